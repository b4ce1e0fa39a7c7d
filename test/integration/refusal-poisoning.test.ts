/**
 * A refusal is remembered only when certain, and only for what was asked: each request below once
 * poisoned a good original (refused until it changed). For each, the poisoned original and a
 * byte-identical copy that never saw the poisoning request must answer alike, afterwards. Real sharp,
 * real s3rver, image-resize as deployed (its baked configuration), the render injected only where a
 * failure must be forced.
 */
import { readFile } from 'node:fs/promises';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { CloudFrontResponseEvent, CloudFrontResultResponse } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifySharpError, render } from '../../functions/adapters/image/render.ts';
import { s3Store } from '../../functions/adapters/s3/store.ts';
import { derivedUri, parseImageUrl } from '../../functions/core/grammar.ts';
import type { LogLine } from '../../functions/core/log.ts';
import { createHandler } from '../../functions/image-resize/handler.ts';
import type { ImageResizeConfig, ImageResizeDeps } from '../../functions/image-resize/handler.ts';
import { imageResizeConfig } from '../../infra/config.ts';
import { startLocalS3 } from '../../infra/local/s3.ts';
import type { LocalS3 } from '../../infra/local/s3.ts';
import { manyFrameGif } from '../support/attacks.ts';
import * as src from '../support/image-engine-sources.ts';

const BUCKET = 'edge-images-originals';
let s3: LocalS3;
const logs: LogLine[] = [];
const config = imageResizeConfig();

beforeAll(async () => {
  s3 = await startLocalS3({ buckets: [BUCKET] });
});
afterAll(() => s3?.close());

function handler(over: Partial<ImageResizeConfig> = {}, deps: Partial<ImageResizeDeps> = {}) {
  return createHandler({ ...config, ...over }, { store: s3Store(() => s3.client), render, log: (line) => logs.push(line), ...deps });
}

/** The canonical URI image-request makes of a viewer's URL. */
function canonical(path: string, query = ''): string {
  const parsed = parseImageUrl(path, query, 'image/webp', config.policy);
  if (parsed.kind !== 'derived') throw new Error(`Expected a derived image for ${path}?${query} but received an original`);
  return derivedUri(parsed.key, parsed.variant);
}

async function run(uri: string, fn = handler()) {
  const input = JSON.parse(await readFile('fixtures/events/origin-response-404-derived.json', 'utf8')) as CloudFrontResponseEvent;
  input.Records[0]!.cf.request.uri = uri;
  const result = (await fn(input)) as CloudFrontResultResponse;
  return { status: result.status, body: result.body ?? '' };
}

/** The original at `poisoned/<name>` and its byte-identical copy at `copy/<name>`. */
async function pair(name: string, body: Buffer): Promise<{ poisoned: string; copy: string }> {
  for (const prefix of ['poisoned', 'copy']) await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${name}`, Body: body }));
  return { poisoned: `poisoned/${name}`, copy: `copy/${name}` };
}

async function hasRecord(key: string): Promise<boolean> {
  try {
    await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `_derived/${key}/_source` }));
    return true;
  } catch {
    return false;
  }
}

/** Both originals answer the same status and, for a 200, the same bytes. */
async function expectAlike(poisoned: string, copy: string, path: (key: string) => string, query: string, status: string, fn = handler()) {
  const a = await run(canonical(path(poisoned), query), fn);
  const b = await run(canonical(path(copy), query), fn);
  expect([a.status, b.status]).toEqual([status, status]);
  if (status === '200') expect(a.body).toBe(b.body);
}

describe('variant-dependent refusals are never remembered for the source', () => {
  it('an SVG divider refused at 1024x1024 (its rendered size) still answers ?w=320, as its copy does', async () => {
    const divider = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="4"><rect width="1200" height="4" fill="#333"/></svg>');
    const { poisoned, copy } = await pair('divider.svg', divider);
    const refused = await run(canonical(`/1024x1024/${poisoned}`));
    expect(refused.status).toBe('413');
    expect(await hasRecord(poisoned)).toBe(false);
    await expectAlike(poisoned, copy, (k) => `/${k}`, 'w=320', '200');
  });

  it('a 170-frame GIF refused as an animated GIF still answers as JPEG and PNG, as its copy does', async () => {
    // 500x500 x 170 frames = 42.5 MP written animated: over maxAnimatedPixels (40 MP); one frame is 0.25 MP.
    const { poisoned, copy } = await pair('frames.gif', manyFrameGif(500, 170));
    const refused = await run(canonical(`/${poisoned}`, 'w=320&fm=gif'));
    expect(refused.status).toBe('413');
    expect(await hasRecord(poisoned)).toBe(false);
    await expectAlike(poisoned, copy, (k) => `/${k}`, 'w=320&fm=jpg', '200');
    await expectAlike(poisoned, copy, (k) => `/${k}`, 'w=320&fm=png', '200');
  });
});

describe('a source refusal holds only under the limits that decided it', () => {
  it('a refusal at a lower maxInputPixels is no refusal once the limit is raised', async () => {
    const { poisoned, copy } = await pair('photo.png', await src.encode(src.scene(640, 480), 'png'));
    const strict = { ...config.policy, limits: { ...config.policy.limits, maxInputPixels: 200_000 } };
    const refused = await run(canonical(`/128x128/${poisoned}`), handler({ policy: strict }));
    expect(refused.status).toBe('413');
    // Decided from the header alone, so remembered, and answered from the record under the same limits.
    expect(await hasRecord(poisoned)).toBe(true);
    expect((await run(canonical(`/256x256/${poisoned}`), handler({ policy: strict }))).status).toBe('413');
    expect(logs.at(-1)?.['detail']).toContain('remembered refusal');
    // The limit raised (a restart with another config): the record no longer counts.
    await expectAlike(poisoned, copy, (k) => `/128x128/${k}`, '', '200');
  });
});

describe('transient failures are never remembered', () => {
  it('an encoder out of memory answers 503, stores nothing, and the next miss renders', async () => {
    const { poisoned, copy } = await pair('memory.jpg', await src.encode(src.scene(640, 480), 'jpeg'));
    // The words libheif used when it ran out of memory under prlimit, through the engine's classifier.
    const failing = handler({}, { render: async () => Promise.reject(classifySharpError(new Error('heif: Memory allocation error'))) });
    const failed = await run(canonical(`/128x128/${poisoned}`, 'fm=avif'), failing);
    expect(failed.status).toBe('503');
    expect(await hasRecord(poisoned)).toBe(false);
    await expectAlike(poisoned, copy, (k) => `/128x128/${k}`, 'fm=avif', '200');
    await expectAlike(poisoned, copy, (k) => `/128x128/${k}`, 'fm=jpg', '200');
  });

  it('a refusal record is stored with the ETag and the limits fingerprint, and derived-cleanup can match it', async () => {
    const { poisoned } = await pair('html.jpg', src.HTML_AS_JPEG);
    expect((await run(canonical(`/128x128/${poisoned}`))).status).toBe('415');
    const out = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `_derived/${poisoned}/_source` }));
    const original = await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: poisoned }));
    expect(out.Metadata?.['original-etag']).toBe(original.ETag?.replaceAll('"', ''));
    expect(out.Metadata?.['refusal-limits']).toMatch(/^[0-9a-f]{16}$/);
  });
});
