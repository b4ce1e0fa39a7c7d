/**
 * image-resize with the engine behind it, on a real s3rver: what the viewer gets and what S3 keeps
 * for every kind of source, the 1 MB cap (store first, redirect once, never loop, never 502), and the
 * headers of the stored object against those of the inline answer. Every result is validated as
 * CloudFront validates it.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { CloudFrontResponseEvent, CloudFrontResultResponse } from 'aws-lambda';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { validateResult } from '../../infra/local/cloudfront-validate.ts';
import { readCopyright } from '../../functions/adapters/image/exif.ts';
import { s3Store } from '../../functions/adapters/s3/store.ts';
import type { ObjectStore } from '../../functions/adapters/s3/store.ts';
import type { LogLine } from '../../functions/core/log.ts';
import { startLocalS3 } from '../../infra/local/s3.ts';
import type { LocalS3 } from '../../infra/local/s3.ts';
import * as src from '../support/image-engine-sources.ts';
import { countingResizeHandler } from '../support/resize.ts';
import { CLOUDFRONT_QUOTAS } from '../../infra/cloudfront-quotas.ts';
import { corruptInterlacedPng } from '../support/attacks.ts';

const BUCKET = 'edge-images-originals';
const CAP = CLOUDFRONT_QUOTAS.generatedResponseBytes.origin;
let s3: LocalS3;
let logs: LogLine[];
let renders: number;

const originals: Record<string, () => Promise<Buffer>> = {
  'engine/scene.jpg': () => src.encode(src.scene(640, 480), 'jpeg'),
  'engine/landscape-12mp.jpg': () => readFile('fixtures/images/landscape-12mp.jpg'),
  'engine/anim.gif': () => src.animation('gif'),
  'engine/logo.png': async () => src.fromRaw(src.withAlpha(64, 48)).png().toBuffer(),
  'engine/rich.jpg': () => src.metadataRichJpeg(),
  'engine/drawing.svg': async () => src.quadrantsSvg(),
  'engine/page.jpg': async () => src.HTML_AS_JPEG,
  'engine/empty.jpg': async () => Buffer.alloc(0),
  'engine/truncated.jpg': async () => (await src.encode(src.scene(640, 480), 'jpeg')).subarray(0, 4000),
  'engine/bomb.png': async () => src.pngBombHeader(),
};

beforeAll(async () => {
  s3 = await startLocalS3({ buckets: [BUCKET] });
  for (const [key, make] of Object.entries(originals)) {
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: await make() }));
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

async function event(uri: string, status = '404'): Promise<CloudFrontResponseEvent> {
  const input = JSON.parse(await readFile('fixtures/events/origin-response-404-derived.json', 'utf8')) as CloudFrontResponseEvent;
  input.Records[0]!.cf.request.uri = uri;
  input.Records[0]!.cf.response.status = status;
  return input;
}

async function run(uri: string, fn = handler()) {
  const input = await event(uri);
  const sent = structuredClone(input);
  const result = (await fn(input)) as CloudFrontResultResponse;
  const validated = validateResult('origin-response', sent, result);
  // Never a 502: whatever happens, CloudFront accepts the result.
  expect(validated).toMatchObject({ ok: true });
  const header = (name: string) => result.headers?.[name]?.[0]?.value;
  return { result, header, body: validated.ok && validated.kind === 'response' ? validated.body : undefined };
}

async function head(key: string) {
  return s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
}

async function s3Body(key: string): Promise<Buffer> {
  const out = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

describe('what the viewer gets and what S3 keeps', () => {
  it('answers inline with the same Content-Type, ETag, Last-Modified and caching S3 then serves', async () => {
    const uri = '/_derived/engine/scene.jpg/256x256-cover-q75.webp';
    const { result, header, body } = await run(uri);
    expect(result.status).toBe('200');
    expect((await sharp(body).metadata()).format).toBe('webp');
    const stored = await head(uri.slice(1));
    expect(stored.ContentType).toBe(header('content-type'));
    expect(stored.ContentLength).toBe(body!.byteLength);
    expect(stored.CacheControl).toBe('public, max-age=31536000, immutable');
    expect(header('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(stored.ETag).toBe(header('etag'));
    expect(header('etag')).toBe(`"${createHash('md5').update(body!).digest('hex')}"`);
    expect(Math.abs(stored.LastModified!.getTime() - Date.parse(header('last-modified')!))).toBeLessThanOrEqual(2000);
    expect(header('vary')).toBe('Accept');
    expect((await s3Body(uri.slice(1))).equals(body!)).toBe(true);
  });

  it('turns an animated GIF into an animated WebP, and a GIF into a GIF', async () => {
    for (const format of ['webp', 'gif'] as const) {
      const { result, body } = await run(`/_derived/engine/anim.gif/128x128-cover-q75.${format}`);
      expect(result.status).toBe('200');
      const meta = await sharp(body).metadata();
      expect([meta.format, meta.width, meta.pages, meta.pageHeight ?? meta.height]).toEqual([format, 90, 3, 90]);
    }
  });

  it('crops by attention when the canonical name says so', async () => {
    const { result, body } = await run('/_derived/engine/scene.jpg/128x128-cover-attention-q75.png');
    expect(result.status).toBe('200');
    expect([(await sharp(body).metadata()).width, (await sharp(body).metadata()).height]).toEqual([128, 128]);
  });

  it('enlarges for a preset that says so (icon), never otherwise', async () => {
    const icon = await run('/_derived/engine/logo.png/192x192-contain-q75-enlarge.png');
    expect([(await sharp(icon.body).metadata()).width, (await sharp(icon.body).metadata()).hasAlpha]).toEqual([192, true]);
    const plain = await run('/_derived/engine/logo.png/192x192-contain-q75.png');
    expect((await sharp(plain.body).metadata()).width).toBe(64);
  });

  it('keeps only the copyright for the credited preset, and strips everything by default', async () => {
    const credited = await run('/_derived/engine/rich.jpg/960xauto-inside-q85-copyright.jpg');
    const meta = await sharp(credited.body).metadata();
    expect([meta.width, readCopyright(meta.exif), src.hasGpsPointer(meta.exif), meta.xmp]).toEqual([320, '(c) 2024 Jane Photographer', false, undefined]);
    const plain = await run('/_derived/engine/rich.jpg/960xauto-inside-q85.jpg');
    const plainMeta = await sharp(plain.body).metadata();
    expect([plainMeta.exif, plainMeta.xmp, plainMeta.icc]).toEqual([undefined, undefined, undefined]);
  });

  it('rasterises an SVG original', async () => {
    const { body } = await run('/_derived/engine/drawing.svg/256x256-contain-q75.png');
    const meta = await sharp(body).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 256, 256]);
    expect(src.near(await src.sample(body!, 64, 64), [...src.RED, 255], 6)).toBe(true);
  });

  it.each([
    ['engine/page.jpg', '415', 'The original image format is not supported'],
    ['engine/empty.jpg', '422', 'The original image is empty'],
    ['engine/truncated.jpg', '422', 'The original image cannot be decoded'],
    ['engine/bomb.png', '413', 'The original image has too many pixels to resize'],
  ])('answers %s with a %s kept for an hour (deterministic), and stores no image', async (key, status, message) => {
    const uri = `/_derived/${key}/128x128-cover-q75.webp`;
    const { result, header, body } = await run(uri);
    expect(result.status).toBe(status);
    expect(header('cache-control')).toBe('public, max-age=3600');
    expect(body?.toString()).toContain(message);
    await expect(head(uri.slice(1))).rejects.toThrow();
  });
});

describe('refusals remembered in the source record, and only those decided from the header', () => {
  it('remembers a header refusal for every variant, and tries a replaced original again', async () => {
    const key = 'engine/remembered-bomb.png';
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: src.pngBombHeader() }));
    const first = await run(`/_derived/${key}/128x128-cover-q75.webp`);
    expect([first.result.status, renders]).toEqual(['413', 1]);
    const record = JSON.parse((await s3Body(`_derived/${key}/_source`)).toString()) as { code: string; etag: string; limits: string };
    expect(record.code).toBe('SourceTooLarge');
    const meta = (await head(`_derived/${key}/_source`)).Metadata;
    expect([meta?.['original-etag'], meta?.['refusal-limits']]).toEqual([record.etag, record.limits]);
    // Another variant, another instance: the same 413 from the record, no render.
    const second = await run(`/_derived/${key}/640xauto-inside-q75.jpg`, handler());
    expect([second.result.status, renders]).toEqual(['413', 1]);
    expect(logs.at(-1)?.['detail']).toContain('remembered refusal');
    // A replaced original (another ETag) is decided again, and this one renders.
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: await src.encode(src.scene(320, 240), 'png') }));
    const third = await run(`/_derived/${key}/64x64-cover-q75.webp`);
    expect([third.result.status, renders]).toEqual(['200', 2]);
  });

  it('never remembers a failure while decoding pixels: a corrupt original is decoded again on the next miss', async () => {
    const key = 'engine/corrupt-pixels.png';
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: await corruptInterlacedPng() }));
    const first = await run(`/_derived/${key}/128x128-cover-q75.webp`);
    expect([first.result.status, renders]).toEqual(['422', 1]);
    await expect(head(`_derived/${key}/_source`)).rejects.toThrow();
    const second = await run(`/_derived/${key}/640xauto-inside-q75.jpg`, handler());
    expect([second.result.status, renders]).toEqual(['422', 2]);
  });
});

describe('the 1 MB cap on a generated response', () => {
  const uri = '/_derived/engine/landscape-12mp.jpg/1920xauto-inside-q95.png';

  it('stores an image too big to answer, then redirects once to it, uncached', async () => {
    const { result, header } = await run(uri);
    expect(result.status).toBe('302');
    expect([header('location'), header('cache-control')]).toEqual([uri, 'no-store']);
    // An empty body of its own: without one, CloudFront would pass on S3's NoSuchKey XML.
    expect([result.body, result.bodyEncoding]).toEqual(['', 'text']);
    const stored = await head(uri.slice(1));
    // Over the cap once base64-encoded: the reason for the redirect.
    expect(Math.ceil(stored.ContentLength! / 3) * 4).toBeGreaterThan(CAP);
    expect([stored.ContentType, stored.CacheControl]).toEqual(['image/png', 'public, max-age=31536000, immutable']);
    const meta = await sharp(await s3Body(uri.slice(1))).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 1920, 1440]);
    expect(logs.at(-1)).toMatchObject({ outcome: 'resized-redirect', status: 302, stored: 'stored' });
  });

  it('never loops: the same instance seeing S3 miss it again answers 503, uncached, without resizing', async () => {
    const fn = handler();
    expect((await run(uri, fn)).result.status).toBe('302');
    expect(renders).toBe(1);
    const again = await run(uri, fn);
    expect([again.result.status, again.header('cache-control')]).toEqual(['503', 'no-store']);
    expect(renders).toBe(1);
    // Another instance has no such memory: it finds the object stored (412) and redirects again.
    expect((await run(uri)).result.status).toBe('302');
    expect(logs.at(-1)).toMatchObject({ stored: 'exists' });
  });

  it('answers 503 (never 502) when the image is too big and could not be stored', async () => {
    const real = s3Store(() => s3.client);
    const failing: ObjectStore = { get: real.get, putIfAbsent: async () => Promise.reject(new Error('S3 is down')) };
    const { result, header } = await run('/_derived/engine/landscape-12mp.jpg/1920xauto-inside-q85.png', handler(failing));
    expect([result.status, header('cache-control')]).toEqual(['503', 'no-store']);
  });

  it('answers inline right up to the cap, headers included', async () => {
    // The same source at 1280 wide as WebP is far below the cap: inline, with its body counted.
    const { result, body } = await run('/_derived/engine/landscape-12mp.jpg/1280xauto-inside-q95.webp');
    expect(result.status).toBe('200');
    expect(body!.byteLength).toBeLessThan((CAP * 3) / 4);
  });
});
