/**
 * The mezzanine end to end on a real s3rver and real sharp: which miss makes it, which misses it
 * serves, that a changed original never gets a variant from a stale mezzanine, that derived-cleanup
 * removes it with the variants, and the quality guard (every variant of the responsive set that the
 * mezzanine serves, for the 12 MP fixture scaled to a 42 MP JPEG and as a 12 MP PNG, against the
 * same variant made from the original: SSIM on luminance >= QUALITY_FLOOR).
 */
import { readFile } from 'node:fs/promises';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { CloudFrontResultResponse } from 'aws-lambda';
import sharp from 'sharp';
import { missEvent } from '../support/resize.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderMakingMezzanine } from '../../functions/adapters/image/mezzanine.ts';
import { render } from '../../functions/adapters/image/render.ts';
import { ssim } from '../../functions/adapters/image/ssim.ts';
import { s3DerivedStore } from '../../functions/adapters/s3/derived.ts';
import { s3Store } from '../../functions/adapters/s3/store.ts';
import { derivedKey, derivedUri, parseImageUrl } from '../../functions/core/grammar.ts';
import type { Variant } from '../../functions/core/grammar.ts';
import type { LogLine } from '../../functions/core/log.ts';
import { MADE_AT_VARIANT_SIZE, makesMezzanine, mezzanineKey, mezzanineServes, planMezzanine, readMezzanineMetadata } from '../../functions/core/mezzanine.ts';
import type { OriginalShape } from '../../functions/core/mezzanine.ts';
import { createHandler as cleanupHandler } from '../../functions/derived-cleanup/handler.ts';
import { createHandler } from '../../functions/image-resize/handler.ts';
import { imageResizeConfig } from '../../infra/config.ts';
import { startLocalS3 } from '../../infra/local/s3.ts';
import type { LocalS3 } from '../../infra/local/s3.ts';
import { s3Event } from '../support/s3-event.ts';

/** The quality guard's threshold: see docs/testing-and-performance.md ("The mezzanine"). */
const QUALITY_FLOOR = 0.99;

const config = imageResizeConfig();
const settings = config.mezzanine!;
const policy = config.policy;
const options = { ...policy.limits, background: policy.background ?? '#ffffff', ...(policy.quality ? { quality: policy.quality } : {}) };
const BUCKET = config.buckets[0]!.bucket;
const DOMAIN = config.buckets[0]!.domainNames[0]!;
let s3: LocalS3;
let logs: LogLine[] = [];
let jpeg: Buffer;
let png: Buffer;

beforeAll(async () => {
  s3 = await startLocalS3({ buckets: [BUCKET] });
  const fixture = await readFile('fixtures/images/landscape-12mp.jpg');
  // A 42 MP camera-sized JPEG (JPEG originals get a mezzanine from a 6,000 px long edge; this one's is 1/9, 833 px wide).
  jpeg = await sharp(fixture).resize(7500, 5625).jpeg({ quality: 88 }).toBuffer();
  png = await sharp(fixture).png({ compressionLevel: 1 }).toBuffer();
});
afterAll(() => s3?.close());

/** PutObject, then wait until s3rver serves all of it (it answers a large PUT before its file is complete). */
async function put(key: string, body: Buffer, type = 'image/jpeg'): Promise<void> {
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentType: type }));
  for (let attempt = 0; attempt < 100; attempt++) {
    const got = await s3Store(() => s3.client).get(BUCKET, key, 1e9);
    if (got?.body.equals(body)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Expected s3rver to serve all ${body.byteLength} bytes of ${key}`);
}
async function head(key: string) {
  try {
    return await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
  } catch {
    return undefined;
  }
}

const handler = createHandler(config, { store: s3Store(() => s3.client), render, renderMakingMezzanine, log: (line) => logs.push(line) });

/** The variant a viewer's URL makes (the real grammar). */
function variant(path: string, query: string): Variant {
  const parsed = parseImageUrl(path, query, '', policy);
  if (parsed.kind !== 'derived') throw new Error(`Expected a derived image for ${path}?${query}`);
  return parsed.variant;
}

/** One origin-response 404 for the variant, as CloudFront sends it; returns the image and the log line. */
async function miss(key: string, v: Variant): Promise<{ image: Buffer; line: LogLine }> {
  logs = [];
  const event = missEvent(derivedUri(key, v), DOMAIN);
  const result = (await handler(event)) as CloudFrontResultResponse;
  expect(result.status, JSON.stringify(logs)).toBe('200');
  return { image: Buffer.from(result.body!, 'base64'), line: logs.find((l) => l.fn === 'image-resize')! };
}

describe('the mezzanine on image-resize misses', () => {
  const key = 'big/landscape.jpg';
  const w = (width: number) => variant(`/${key}`, `w=${width}&fm=webp`);

  it('a variant the mezzanine would serve, or one the original decodes for at 1/8, reads the original and makes none', async () => {
    await put(key, jpeg);
    // 640 px is too large for the mezzanine (833 / 1.5) but below 1/8 of 7,500 px: sharp decodes it at 1/8.
    for (const width of [160, 640]) {
      const { line } = await miss(key, w(width));
      expect(line).toMatchObject({ outcome: 'resized', source: 'original' });
      expect(line['mezzanine']).toBeUndefined();
    }
    expect(await head(mezzanineKey(key))).toBeUndefined();
  });

  it('the first miss too large for the mezzanine makes it, bound to the original ETag and sizes', async () => {
    const v = w(1280);
    const { image, line } = await miss(key, v);
    // That miss decodes the original once for both; its variant is the direct path's image, resized
    // from the mezzanine-sized pixels when it needs fewer.
    // Judged against the direct path's lossless rendering: as close to it as the direct WebP is.
    const direct = (await render(jpeg, v, options)).data;
    const lossless = (await render(jpeg, { ...v, format: 'png' }, options)).data;
    expect((await sharp(image).metadata()).width).toBe((await sharp(direct).metadata()).width);
    expect(await ssim(image, lossless)).toBeGreaterThanOrEqual((await ssim(direct, lossless)) - 0.005);
    expect(line).toMatchObject({ outcome: 'resized', source: 'original', mezzanine: 'stored' });
    const stored = await head(mezzanineKey(key));
    const original = await head(key);
    expect(stored?.ContentType).toBe('image/jpeg');
    const record = readMezzanineMetadata(stored?.Metadata);
    expect(record).toEqual({ originalEtag: original!.ETag!.replaceAll('"', ''), originalWidth: 7500, originalHeight: 5625, width: 833, height: 625 });
    const mezz = await sharp((await s3Store(() => s3.client).get(BUCKET, mezzanineKey(key), 1e8))!.body).metadata();
    expect([mezz.format, mezz.width, mezz.height, mezz.chromaSubsampling, mezz.exif]).toEqual(['jpeg', 833, 625, '4:4:4', undefined]);
  });

  it('later misses it serves read it; larger ones read the original', async () => {
    for (const v of [w(320), variant(`/${key}`, 'w=480&fm=avif')]) expect((await miss(key, v)).line).toMatchObject({ source: 'mezzanine' });
    expect((await miss(key, variant(`/128x128/${key}`, 'fm=avif'))).line).toMatchObject({ source: 'mezzanine' });
    const large = await miss(key, w(960));
    // Too large too, but a mezzanine exists: it is not made again.
    expect(large.line).toMatchObject({ source: 'original' });
    expect(large.line['mezzanine']).toBeUndefined();
  });

  it('a changed original never gets a variant from the stale mezzanine, which is left for derived-cleanup', async () => {
    const changed = await sharp(jpeg).flop().jpeg({ quality: 90 }).toBuffer();
    await put(key, changed);
    const v = w(480);
    const { image, line } = await miss(key, v);
    expect(line).toMatchObject({ source: 'original', mezzanine: 'stale' });
    // Byte for byte what the changed original gives made directly.
    expect(image.equals((await render(changed, v, options)).data)).toBe(true);
    // The stale mezzanine is neither used nor overwritten.
    expect(readMezzanineMetadata((await head(mezzanineKey(key)))?.Metadata)?.originalEtag).not.toBe((await head(key))!.ETag!.replaceAll('"', ''));
  });

  it('derived-cleanup removes the stale mezzanine with the stale variants on the upload, then everything on delete', async () => {
    const cleanup = cleanupHandler(
      { buckets: [BUCKET] },
      { store: s3DerivedStore(s3.client), invalidator: { invalidate: async () => ({ id: 'I1' }) }, log: () => {} },
    );
    const etag = (await head(key))!.ETag!.replaceAll('"', '');
    const [outcome] = await cleanup(s3Event(BUCKET, key, 'ObjectCreated:Put', etag));
    expect(outcome!.deleted).toContain(mezzanineKey(key));
    // The variant made from the changed original stays; the mezzanine and the old variants go.
    expect(outcome!.kept).toEqual([derivedKey(key, w(480))]);
    expect(await head(mezzanineKey(key))).toBeUndefined();
    // The next big miss makes a mezzanine of the new original, and a delete removes it too.
    expect((await miss(key, w(1280))).line).toMatchObject({ mezzanine: 'stored' });
    const [removed] = await cleanup(s3Event(BUCKET, key, 'ObjectRemoved:Delete'));
    expect(removed!.deleted).toContain(mezzanineKey(key));
    expect(await head(mezzanineKey(key))).toBeUndefined();
  });

  it('a 12 MP PNG gets one (PNG decodes whole on every miss)', async () => {
    const pngKey = 'big/landscape.png';
    await put(pngKey, png, 'image/png');
    expect((await miss(pngKey, w(160))).line).toMatchObject({ source: 'original' });
    expect((await miss(pngKey, w(1920))).line).toMatchObject({ source: 'original', mezzanine: 'stored' });
    // 1,920 px is just under the planned 2,048 px: the mezzanine is that miss's own pixels.
    const { width, height } = (await sharp(png).metadata()) as { width: number; height: number };
    const record = readMezzanineMetadata((await head(mezzanineKey(pngKey)))?.Metadata);
    expect(record).toMatchObject({ originalWidth: width, originalHeight: height, width: 1920, height: Math.round((height * 1920) / width) });
    for (const size of [320, 1280]) expect((await miss(pngKey, w(size))).line).toMatchObject({ source: 'mezzanine' });
  });

  it('a 12 MP JPEG (shrinks on load) and a small original get none', async () => {
    for (const [smallKey, file] of [
      ['small/landscape-12mp.jpg', 'fixtures/images/landscape-12mp.jpg'],
      ['small/street.jpg', 'fixtures/images/street-1080p.jpg'],
    ] as const) {
      await put(smallKey, await readFile(file));
      expect((await miss(smallKey, w(1920))).line).toMatchObject({ source: 'original' });
      expect(await head(mezzanineKey(smallKey))).toBeUndefined();
    }
  });
});

describe('quality guard: variants through the mezzanine against the same variants from the original', () => {
  // The responsive set (the 7 widths and the 128x128 box), rendered lossless (PNG) so that what is
  // compared is the mezzanine's own loss, not the noise of a lossy encoder run on two inputs.
  const set = [...policy.widths.map((width) => variant('/x.jpg', `w=${width}&fm=png`)), variant('/128x128/x.jpg', 'fm=png')];
  for (const [name, source] of [
    ['42 MP JPEG', () => jpeg],
    ['12 MP PNG of the fixture', () => png],
  ] as const) {
    it(`${name}: SSIM >= ${QUALITY_FLOOR} on every variant the mezzanine serves`, async () => {
      const original = source();
      const meta = await sharp(original).metadata();
      const shape: OriginalShape = { format: meta.format, width: meta.width, height: meta.height, frames: 1, hasAlpha: meta.hasAlpha };
      const plan = planMezzanine(shape, settings)!;
      expect(plan).toBeDefined();
      // Made as the first miss that makes it: one decode for the variant and the mezzanine.
      const largest = set.find((v) => makesMezzanine(shape, v, settings) !== undefined)!;
      const made = await renderMakingMezzanine(original, largest, settings, options);
      const mezzanine = made.mezzanine!;
      // The variant made beside it is the direct path's rendering (resized once more when it needs
      // fewer pixels than the mezzanine has).
      const direct = await render(original, largest, options);
      expect([made.image.width, made.image.height]).toEqual([direct.width, direct.height]);
      // Made at the planned size, or at the variant's own when that is just under it.
      const atVariant = direct.width < plan.width && direct.width * MADE_AT_VARIANT_SIZE >= plan.width;
      expect(mezzanine.plan).toEqual(atVariant ? { ...plan, width: direct.width, height: direct.height } : plan);
      expect((await sharp(mezzanine.data).metadata()).width).toBe(mezzanine.plan.width);
      expect(await ssim(made.image.data, direct.data)).toBeGreaterThanOrEqual(QUALITY_FLOOR);
      const served = set.filter((v) => mezzanineServes(mezzanine.original, mezzanine.plan, v, settings));
      // The small half of the set at least (a JPEG's 1/9 serves up to 540 px, a PNG's 1,920-2,048 px up to 1,280-1,365).
      expect(served.length).toBeGreaterThanOrEqual(4);
      const scores: Record<string, number> = {};
      const exacts: Record<string, number> = {};
      const directExacts: Record<string, number> = {};
      const full = await sharp(original).raw().toBuffer({ resolveWithObject: true });
      for (const v of served) {
        const direct = await render(original, v, options);
        let via = (await render(mezzanine.data, v, { ...options, fastShrinkOnLoad: false })).data;
        // A width-only variant's height is rounded from either source's aspect: at most 1 px apart.
        if ((await sharp(via).metadata()).height !== direct.height)
          via = await sharp(via).resize(direct.width, direct.height, { fit: 'fill' }).png().toBuffer();
        // The exact rendering: the whole original decoded, one resize, lossless.
        const exact = await sharp(full.data, { raw: full.info }).resize(direct.width, direct.height, { fit: 'cover' }).png().toBuffer();
        scores[`${v.width}x${v.height ?? 'auto'}`] = await ssim(direct.data, via);
        exacts[`${v.width}x${v.height ?? 'auto'}`] = await ssim(via, exact);
        directExacts[`${v.width}x${v.height ?? 'auto'}`] = await ssim(direct.data, exact);
      }
      // Against the exact rendering (the guard): at the floor, or at least as close as the direct
      // path itself is (whose 1/8 DCT-domain decode departs from it too). Against the direct path:
      // the two agree within the sum of their departures.
      for (const [size, score] of Object.entries(exacts)) {
        const bar = Math.min(QUALITY_FLOOR, directExacts[size]!);
        expect({ size, score, bar, ok: score >= bar }).toMatchObject({ size, ok: true });
      }
      for (const [size, score] of Object.entries(scores)) expect({ size, score, ok: score >= 2 * QUALITY_FLOOR - 1 }).toMatchObject({ size, ok: true });
    });
  }
});
