/**
 * A q=auto miss through image-resize on a real s3rver and real sharp: the answer and the stored
 * object carry the SSIM reached (S3 user metadata, and the same header inline), the log line says
 * how the search went, and a second miss of the same key gives the same bytes.
 */
import { readFile } from 'node:fs/promises';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { CloudFrontResultResponse } from 'aws-lambda';
import { missEvent } from '../support/resize.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../functions/adapters/image/render.ts';
import { s3Store } from '../../functions/adapters/s3/store.ts';
import { derivedKey, derivedUri, parseImageUrl } from '../../functions/core/grammar.ts';
import type { Variant } from '../../functions/core/grammar.ts';
import type { LogLine } from '../../functions/core/log.ts';
import { createHandler } from '../../functions/image-resize/handler.ts';
import { imageResizeConfig } from '../../infra/config.ts';
import { startLocalS3 } from '../../infra/local/s3.ts';
import type { LocalS3 } from '../../infra/local/s3.ts';

const config = imageResizeConfig();
const BUCKET = config.buckets[0]!.bucket;
const DOMAIN = config.buckets[0]!.domainNames[0]!;
const KEY = 'corpus/parrots.jpg';
let s3: LocalS3;
let logs: LogLine[] = [];

beforeAll(async () => {
  s3 = await startLocalS3({ buckets: [BUCKET] });
  const body = await readFile('fixtures/corpus/kodak-23-parrots.jpg');
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: body, ContentType: 'image/jpeg' }));
});
afterAll(() => s3?.close());

const handler = createHandler(config, { store: s3Store(() => s3.client), render, log: (line) => logs.push(line) });

async function miss(v: Variant): Promise<{ result: CloudFrontResultResponse; line: LogLine }> {
  logs = [];
  const event = missEvent(derivedUri(KEY, v), DOMAIN);
  const result = (await handler(event)) as CloudFrontResultResponse;
  expect(result.status, JSON.stringify(logs)).toBe('200');
  return { result, line: logs.find((l) => l.fn === 'image-resize')! };
}

describe('a q=auto miss', () => {
  it('stores and answers the SSIM it reached, logs the search, and makes the same bytes again', async () => {
    const parsed = parseImageUrl(`/${KEY}`, 'w=320&q=auto&fm=webp', undefined, config.policy);
    if (parsed.kind !== 'derived') throw new Error('Expected a derived image');
    const v = parsed.variant;
    expect(derivedUri(KEY, v)).toBe('/_derived/corpus/parrots.jpg/320xauto-inside-qauto.webp');
    const { result, line } = await miss(v);
    const ssim = result.headers!['x-amz-meta-ssim']![0]!.value;
    expect(Number(ssim)).toBeGreaterThanOrEqual(config.policy.quality!.auto.target);
    const quality = (line as unknown as { quality: { ssim: number; encodes: number; budgetStopped: boolean; quality: number } }).quality;
    expect(quality.ssim.toFixed(4)).toBe(ssim);
    expect(quality.encodes).toBeLessThanOrEqual(3);
    expect(quality.budgetStopped).toBe(false);
    expect(result.headers!['x-amz-meta-auto-quality']![0]!.value).toBe(String(quality.quality));
    // S3 holds the same, as user metadata.
    const stored = await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: derivedKey(KEY, v) }));
    expect(stored.Metadata?.['ssim']).toBe(ssim);
    expect(stored.Metadata?.['auto-quality']).toBe(String(quality.quality));
    // Deterministic: the same original and variant, the same bytes (the render again, outside the handler).
    const again = await render(await readFile('fixtures/corpus/kodak-23-parrots.jpg'), v, {
      ...config.policy.limits,
      background: '#ffffff',
      quality: config.policy.quality!,
    });
    expect(again.data.equals(Buffer.from(result.body!, 'base64'))).toBe(true);
  });

  it('leaves a fixed-q variant without SSIM metadata', async () => {
    const parsed = parseImageUrl(`/${KEY}`, 'w=320&q=75&fm=webp', undefined, config.policy);
    if (parsed.kind !== 'derived') throw new Error('Expected a derived image');
    const { result } = await miss(parsed.variant);
    expect(result.headers!['x-amz-meta-ssim']).toBeUndefined();
    const stored = await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: derivedKey(KEY, parsed.variant) }));
    expect(stored.Metadata?.['ssim']).toBeUndefined();
  });
});
