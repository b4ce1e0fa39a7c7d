import { describe, expect, it } from 'vitest';
import { parseImageUrl } from './grammar.ts';
import type { Variant } from './grammar.ts';
import type { ImagePolicy } from './policy.ts';
import { isCurrent, makesMezzanine, mezzanineKey, mezzanineMetadata, mezzanineServes, planMezzanine, readMezzanineMetadata } from './mezzanine.ts';

const settings = { minSourceEdge: 3200, minJpegEdge: 6000, minEdge: 800, pngEdge: 2048, detailMargin: 1.5, quality: 95 };
const images: ImagePolicy = {
  sizes: ['128x128', '1024x1024', '192x192', '256x256'],
  widths: [160, 320, 480, 640, 960, 1280, 1920],
  qualities: [75, 85],
  formats: ['webp', 'jpg'],
  autoFormats: ['webp'],
  presets: { icon: { width: 192, height: 192, fit: 'contain', enlarge: true }, credited: { width: 960, format: 'jpg', quality: 85, keepCopyright: true } },
  maxDpr: 1,
  defaults: { fit: 'cover', quality: 75, format: 'jpg' },
  limits: { maxInputPixels: 1e8, maxInputBytes: 1e8 },
};
const v = (path: string, query = ''): Variant => {
  const parsed = parseImageUrl(path, query, '', images);
  if (parsed.kind !== 'derived') throw new Error('Expected a derived image');
  return parsed.variant;
};
const jpeg12 = { format: 'jpeg', width: 4000, height: 3000, frames: 1, hasAlpha: false };
const jpeg40 = { format: 'jpeg', width: 7304, height: 5478, frames: 1, hasAlpha: false };

describe('planMezzanine', () => {
  it('a JPEG from minJpegEdge gets 1/(k+1) for the largest libjpeg scale 1/k that keeps the long edge >= minEdge', () => {
    expect(planMezzanine(jpeg12, settings)).toBeUndefined();
    expect(planMezzanine(jpeg40, settings)).toEqual({ width: 811, height: 608, shrink: 8 });
    expect(planMezzanine({ ...jpeg12, width: 16320, height: 12240 }, settings)).toEqual({ width: 1813, height: 1360, shrink: 8 });
    expect(planMezzanine({ ...jpeg12, width: 4000, height: 6000 }, settings)).toEqual({ width: 800, height: 1200, shrink: 4 });
    expect(planMezzanine({ ...jpeg12, width: 4000, height: 6000 }, { ...settings, minEdge: 1400 })).toEqual({ width: 1333, height: 2000, shrink: 2 });
  });
  it('PNG and TIFF get the fixed long edge; small, animated, alpha and other formats get none', () => {
    expect(planMezzanine({ ...jpeg12, format: 'png' }, settings)).toEqual({ width: 2048, height: 1536, shrink: 1 });
    expect(planMezzanine({ ...jpeg12, format: 'tiff', width: 3000, height: 4000 }, settings)).toEqual({ width: 1536, height: 2048, shrink: 1 });
    expect(planMezzanine({ ...jpeg12, format: 'png', width: 3199, height: 2000 }, settings)).toBeUndefined();
    expect(planMezzanine({ ...jpeg40, frames: 2 }, settings)).toBeUndefined();
    expect(planMezzanine({ ...jpeg40, hasAlpha: true }, settings)).toBeUndefined();
    for (const format of ['webp', 'avif', 'gif', 'svg']) expect(planMezzanine({ ...jpeg40, format }, settings)).toBeUndefined();
  });
});

describe('mezzanineServes', () => {
  const original = { width: 4000, height: 3000 };
  const mezz = { width: 2000, height: 1500 };
  it('serves a variant needing at most 1/detailMargin of its pixels across', () => {
    expect(mezzanineServes(original, mezz, v('/x.jpg', 'w=1280'), settings)).toBe(true);
    expect(mezzanineServes(original, mezz, v('/x.jpg', 'w=1920'), settings)).toBe(false);
    expect(mezzanineServes(original, mezz, v('/128x128/x.jpg'), settings)).toBe(true);
    // A box that crops (cover) needs its larger side; contain its smaller.
    expect(mezzanineServes(original, mezz, v('/1024x1024/x.jpg'), settings)).toBe(false);
    expect(mezzanineServes(original, mezz, v('/1024x1024/x.jpg', 'fit=contain'), settings)).toBe(true);
  });
  it('never a variant that enlarges, keeps the copyright or crops by content', () => {
    expect(mezzanineServes(original, mezz, v('/icon/x.jpg'), settings)).toBe(false);
    expect(mezzanineServes(original, mezz, v('/credited/x.jpg'), settings)).toBe(false);
    expect(mezzanineServes(original, mezz, v('/x.jpg', 'w=256&h=256&fit=cover&pos=entropy'), settings)).toBe(false);
  });
});

describe('makesMezzanine', () => {
  it('the first miss for a variant it cannot serve makes it; misses it would serve do not', () => {
    // 811 px wide, it serves up to 540 px; 640 px is too large but decodes at 1/8 (below 1/8 of 7,304 px).
    expect(makesMezzanine(jpeg40, v('/x.jpg', 'w=480'), settings)).toBeUndefined();
    expect(makesMezzanine(jpeg40, v('/x.jpg', 'w=640'), settings)).toBeUndefined();
    expect(makesMezzanine(jpeg40, v('/x.jpg', 'w=960'), settings)).toEqual({ width: 811, height: 608, shrink: 8 });
    // At 1/5 every variant too large for it decodes at 1/4 or finer.
    expect(makesMezzanine({ ...jpeg40, width: 4000, height: 6000 }, v('/x.jpg', 'w=640'), settings)).toEqual({ width: 800, height: 1200, shrink: 4 });
    expect(makesMezzanine(jpeg40, v('/icon/x.jpg'), settings)).toBeUndefined();
    const png = { ...jpeg12, format: 'png' };
    expect(makesMezzanine(png, v('/x.jpg', 'w=1280'), settings)).toBeUndefined();
    expect(makesMezzanine(png, v('/x.jpg', 'w=1920'), settings)).toEqual({ width: 2048, height: 1536, shrink: 1 });
    expect(makesMezzanine(jpeg12, v('/x.jpg', 'w=1920'), settings)).toBeUndefined();
  });
});

describe('binding to the original', () => {
  it('metadata round-trips and is current only for the same ETag', () => {
    const record = { originalEtag: '"abc"', originalWidth: 4000, originalHeight: 3000, width: 2000, height: 1500 };
    const read = readMezzanineMetadata(mezzanineMetadata(record))!;
    expect(read).toEqual({ ...record, originalEtag: 'abc' });
    expect(isCurrent(read, '"abc"')).toBe(true);
    expect(isCurrent(read, '"abd"')).toBe(false);
    expect(isCurrent(read, undefined)).toBe(false);
    expect(readMezzanineMetadata({ 'original-etag': 'abc' })).toBeUndefined();
    expect(readMezzanineMetadata({ 'original-etag': 'abc', 'original-size': '0x3', 'mezzanine-size': '2x2' })).toBeUndefined();
  });
  it('lives beside the variants, under a name no variant can have', () => {
    expect(mezzanineKey('photos/cat.jpg')).toBe('_derived/photos/cat.jpg/_source');
    expect(() => parseImageUrl('/_derived/photos/cat.jpg/_source', '', '', images)).toThrow(/\/_derived\/\{key\}\/\{variant\}/);
  });
});
