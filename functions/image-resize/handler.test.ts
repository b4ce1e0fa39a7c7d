/**
 * image-resize against captured origin-response events, a real s3rver and real sharp. Every result
 * is also checked the way CloudFront checks it (validateResult), so a 502 in AWS fails here.
 */
import { readFile } from 'node:fs/promises';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { CloudFrontResponseEvent, CloudFrontResultResponse } from 'aws-lambda';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { validateResult } from '../../infra/local/cloudfront-validate.ts';
import { s3Store } from '../adapters/s3/store.ts';
import type { ObjectStore } from '../adapters/s3/store.ts';
import type { LogLine } from '../core/log.ts';
import { startLocalS3 } from '../../infra/local/s3.ts';
import type { LocalS3 } from '../../infra/local/s3.ts';
import { countingResizeHandler } from '../../test/support/resize.ts';

const BUCKET = 'edge-images-originals';
let s3: LocalS3;
let logs: LogLine[];
let renders: number;

beforeAll(async () => {
  s3 = await startLocalS3({ buckets: [BUCKET] });
  for (const key of ['photos/cat.jpg', 'landscape-12mp.jpg']) {
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: await readFile(`fixtures/images/${key}`), ContentType: 'image/jpeg' }));
  }
});
afterAll(() => s3?.close());
beforeEach(() => {
  logs = [];
  renders = 0;
});

function handler(store: ObjectStore = s3Store(() => s3.client)) {
  return countingResizeHandler(
    store,
    () => renders++,
    (line) => logs.push(line),
  );
}

async function event(name: string, uri?: string): Promise<CloudFrontResponseEvent> {
  const input = JSON.parse(await readFile(`fixtures/events/${name}.json`, 'utf8')) as CloudFrontResponseEvent;
  if (uri) input.Records[0]!.cf.request.uri = uri;
  return input;
}

async function run(input: CloudFrontResponseEvent, fn = handler()) {
  const sent = structuredClone(input);
  const result = await fn(input);
  const validated = validateResult('origin-response', sent, result);
  expect(validated).toMatchObject({ ok: true });
  return { result: result as CloudFrontResultResponse, body: validated.ok && validated.kind === 'response' ? validated.body : undefined };
}

async function exists(key: string): Promise<boolean> {
  try {
    await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    return true;
  } catch {
    return false;
  }
}

describe('image-resize', () => {
  it.each(['origin-response-404-derived', 'origin-response-403-derived'])('makes, stores and answers the thumbnail on %s', async (name) => {
    const uri = `/_derived/photos/cat.jpg/128x128-cover-q75.webp`;
    const { result, body } = await run(await event(name, name.includes('403') ? uri.replace('128x128', '256x256') : uri));
    expect(result.status).toBe('200');
    expect(result.headers?.['content-type']?.[0]?.value).toBe('image/webp');
    expect(result.headers?.['cache-control']?.[0]?.value).toBe('public, max-age=31536000, immutable');
    // S3's chunked Transfer-Encoding is read-only in origin-response: it must survive.
    expect(result.headers?.['transfer-encoding']?.[0]?.value).toBe('chunked');
    const meta = await sharp(body).metadata();
    expect(meta.format).toBe('webp');
    expect(meta.width).toBe(name.includes('403') ? 256 : 128);
    expect(await exists(name.includes('403') ? '_derived/photos/cat.jpg/256x256-cover-q75.webp' : '_derived/photos/cat.jpg/128x128-cover-q75.webp')).toBe(true);
    expect(logs.at(-1)).toMatchObject({ fn: 'image-resize', outcome: 'resized', status: 200, stored: 'stored' });
  });

  it('treats a key someone else stored first (412) as success', async () => {
    const uri = '/_derived/photos/cat.jpg/64x64-cover-q75.jpg';
    await run(await event('origin-response-404-derived', uri));
    const { result } = await run(await event('origin-response-404-derived', uri));
    expect(result.status).toBe('200');
    expect(logs.at(-1)).toMatchObject({ stored: 'exists' });
  });

  it('answers what S3 holds when its conditional write loses (412): response, ETag and object agree', async () => {
    const uri = '/_derived/photos/cat.jpg/64x64-cover-q85.webp';
    // Another writer stored different bytes under the key first (as another encoder build might).
    const other = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#ff0000' } })
      .webp()
      .toBuffer();
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: uri.slice(1), Body: other, ContentType: 'image/webp' }));
    const { result, body } = await run(await event('origin-response-404-derived', uri));
    expect(result.status).toBe('200');
    expect(logs.at(-1)).toMatchObject({ stored: 'exists' });
    expect(body?.equals(other)).toBe(true);
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: uri.slice(1) }));
    expect(result.headers?.['etag']?.[0]?.value).toBe(head.ETag);
    expect(result.headers?.['last-modified']?.[0]?.value).toBe(head.LastModified?.toUTCString());
  });

  it.each(['OPTIONS', 'POST', 'PUT', 'DELETE', 'PATCH'])('makes no image and stores nothing for %s (problems 1 and 8)', async (method) => {
    const uri = '/_derived/photos/cat.jpg/1024x1024-cover-q95.avif';
    for (const name of ['origin-response-403-derived', 'origin-response-404-derived']) {
      const input = await event(name, uri);
      (input.Records[0]!.cf.request as { method: string }).method = method;
      const { result } = await run(structuredClone(input));
      expect(result).toEqual(input.Records[0]!.cf.response);
    }
    expect(renders).toBe(0);
    expect(await exists(uri.slice(1))).toBe(false);
    expect(logs.at(-1)).toMatchObject({ outcome: 'passed-method' });
  });

  it('makes one image for many concurrent misses of one key', async () => {
    const fn = handler();
    const uri = '/_derived/photos/cat.jpg/512x512-cover-q75.avif';
    const results = await Promise.all(Array.from({ length: 6 }, async () => (await run(await event('origin-response-404-derived', uri), fn)).result));
    expect(results.every((r) => r.status === '200')).toBe(true);
    expect(new Set(results.map((r) => r.body)).size).toBe(1);
    expect(renders).toBe(1);
  });

  it('adds the derived caching headers to a derived object S3 serves', async () => {
    const { result } = await run(await event('origin-response-200-derived'));
    expect(result.status).toBe('200');
    expect(result.headers?.['vary']?.[0]?.value).toBe('Accept');
    expect(result.headers?.['cache-control']?.[0]?.value).toBeDefined();
    expect(renders).toBe(0);
  });

  it('leaves responses for originals alone', async () => {
    const input = await event('origin-response-404-original');
    const { result } = await run(structuredClone(input));
    expect(result).toEqual(input.Records[0]!.cf.response);
    expect(renders).toBe(0);
  });

  it('answers a missing original with a 404 kept for seconds', async () => {
    const { result, body } = await run(await event('origin-response-404-derived', '/_derived/photos/nope.jpg/128x128-cover-q75.webp'));
    expect(result.status).toBe('404');
    expect(result.headers?.['cache-control']?.[0]?.value).toBe('public, max-age=10');
    expect(body?.toString()).toBe('404 Not Found: The original image does not exist\n');
    expect(logs.at(-1)).toMatchObject({ outcome: 'error', status: 404, detail: `${BUCKET}/photos/nope.jpg` });
  });

  it('never touches a bucket its config does not list', async () => {
    const input = await event('origin-response-404-derived');
    input.Records[0]!.cf.request.origin!.s3!.domainName = 'someone-else.s3.us-east-1.amazonaws.com';
    const { result } = await run(input);
    expect(result.status).toBe('404');
    expect(renders).toBe(0);
    expect(logs.at(-1)).toMatchObject({ outcome: 'unknown-bucket' });
  });

  it('refuses a derived URI outside the allowlist', async () => {
    const { result } = await run(await event('origin-response-404-derived', '/_derived/photos/cat.jpg/4000x4000-cover-q75.webp'));
    expect(result.status).toBe('400');
    expect(renders).toBe(0);
  });

  it('still answers the image when the write fails, and logs it', async () => {
    const real = s3Store(() => s3.client);
    const failingWrites: ObjectStore = { get: real.get, putIfAbsent: async () => Promise.reject(new Error('S3 is down')) };
    const uri = '/_derived/photos/cat.jpg/96x96-cover-q75.webp';
    const { result } = await run(await event('origin-response-404-derived', uri), handler(failingWrites));
    expect(result.status).toBe('200');
    expect(await exists('_derived/photos/cat.jpg/96x96-cover-q75.webp')).toBe(false);
    expect(logs.at(-1)).toMatchObject({ outcome: 'resized', stored: 'failed' });
  });

  it('redirects, uncached, to the stored object when the image is over the 1 MB cap', async () => {
    const uri = '/_derived/landscape-12mp.jpg/1920xauto-inside-q95.png';
    const { result } = await run(await event('origin-response-404-derived', uri));
    expect(result.status).toBe('302');
    expect(result.headers?.['location']?.[0]?.value).toBe(uri);
    expect(result.headers?.['cache-control']?.[0]?.value).toBe('no-store');
    expect(await exists(uri.slice(1))).toBe(true);
    expect(logs.at(-1)).toMatchObject({ outcome: 'resized-redirect', status: 302 });
  });
});
