/**
 * The image engine (functions/adapters/image/render.ts) on generated sources: every format pair,
 * animation, alpha, EXIF orientations 1-8, colour management, 16-bit, metadata stripping, geometry,
 * and the inputs it must refuse. Every case decodes the output and checks its pixels.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCopyright } from '../../functions/adapters/image/exif.ts';
import { classifySharpError, inspect, render } from '../../functions/adapters/image/render.ts';
import type { RenderOptions } from '../../functions/adapters/image/render.ts';
import { EdgeError } from '../../functions/core/errors.ts';
import type { Variant } from '../../functions/core/grammar.ts';
import type { OutputFormat } from '../../functions/core/policy.ts';
import { images as policy } from '../../infra/distribution.ts';
import * as src from '../support/image-engine-sources.ts';

const OPTIONS: RenderOptions = { ...policy.limits, background: '#ffffff' };
const SHARP_NAME: Record<OutputFormat, string> = { jpg: 'jpeg', png: 'png', webp: 'webp', avif: 'heif', gif: 'gif' };
const OUTPUTS: OutputFormat[] = ['jpg', 'png', 'webp', 'avif', 'gif'];

function variant(width: number, height: number | undefined, format: OutputFormat, extra: Partial<Variant> = {}): Variant {
  return { width, height, fit: height === undefined ? 'inside' : 'cover', quality: 75, format, ...extra };
}

async function refusal(work: Promise<unknown>): Promise<EdgeError> {
  try {
    await work;
  } catch (error) {
    expect(error).toBeInstanceOf(EdgeError);
    return error as EdgeError;
  }
  throw new Error('Expected the render to be refused but it succeeded');
}

async function decoded(data: Buffer) {
  return sharp(data).metadata();
}

describe('every source format to every output format', () => {
  const picture = src.scene(240, 180);
  const sources: src.SourceKind[] = ['jpeg', 'png', 'webp', 'avif', 'gif', 'tiff'];
  // Mean absolute difference (0-255) against the lossless picture, on a 32x24 reduction. GIF's
  // 256-colour palette (in or out) dithers, which the reduction mostly averages away.
  const tolerance = (from: string, to: OutputFormat) => (from === 'gif' || to === 'gif' ? 7 : 4);
  const encoded = new Map<string, Buffer>();
  let reference: Buffer;
  beforeAll(async () => {
    for (const kind of sources) encoded.set(kind, await src.encode(picture, kind));
    reference = await src.thumbnail(picture);
  });

  it.each(sources.flatMap((from) => OUTPUTS.map((to) => [from, to] as const)))('%s -> %s', async (from, to) => {
    const out = await render(encoded.get(from)!, variant(160, undefined, to), OPTIONS);
    const meta = await decoded(out.data);
    expect([meta.format, meta.width, meta.height]).toEqual([SHARP_NAME[to], 160, 120]);
    expect([out.width, out.height, out.contentType]).toEqual([160, 120, `image/${to === 'jpg' ? 'jpeg' : to}`]);
    expect(meta.exif).toBeUndefined();
    expect(src.meanAbsoluteDifference(await src.thumbnail(out.data), reference)).toBeLessThan(tolerance(from, to));
  });

  it.each(OUTPUTS)('svg -> %s, rasterised at the size asked for', async (to) => {
    const out = await render(src.quadrantsSvg(), variant(160, undefined, to), OPTIONS);
    const meta = await decoded(out.data);
    expect([meta.format, meta.width, meta.height]).toEqual([SHARP_NAME[to], 160, 120]);
    for (const [x, y, colour] of [
      [40, 30, src.RED],
      [120, 30, src.GREEN],
      [40, 90, src.BLUE],
      [120, 90, src.YELLOW],
    ] as const) {
      expect(src.near(await src.sample(out.data, x, y), colour, to === 'gif' ? 30 : 12)).toBe(true);
    }
  });

  it('reads the header without decoding and names the source format', async () => {
    expect(await inspect(encoded.get('avif')!, OPTIONS)).toMatchObject({ format: 'avif', width: 240, height: 180, frames: 1, hasAlpha: false });
    expect(await inspect(src.quadrantsSvg(), OPTIONS)).toMatchObject({ format: 'svg', width: 200, height: 150 });
    expect(await inspect(await src.animation('gif'), OPTIONS)).toMatchObject({ format: 'gif', width: 120, height: 90, frames: 3 });
  });
});

describe('animation', () => {
  let gif: Buffer;
  let webp: Buffer;
  beforeAll(async () => {
    gif = await src.animation('gif');
    webp = await src.animation('webp');
  });

  it.each([
    ['gif', 'webp'],
    ['gif', 'gif'],
    ['webp', 'webp'],
    ['webp', 'gif'],
  ] as const)('keeps every frame and its delay: animated %s -> %s', async (from, to) => {
    const out = await render(from === 'gif' ? gif : webp, variant(60, undefined, to), OPTIONS);
    expect([out.width, out.height, out.frames]).toEqual([60, 45, 3]);
    const meta = await decoded(out.data);
    expect([meta.format, meta.width, meta.pages, meta.pageHeight ?? meta.height]).toEqual([to, 60, 3, 45]);
    expect(meta.delay).toEqual(src.FRAME_DELAYS);
    for (let page = 0; page < 3; page++) {
      expect(src.near(await src.sample(out.data, 30, 22, page), [...src.FRAME_COLOURS[page]!, 255])).toBe(true);
    }
  });

  it.each(['avif', 'png', 'jpg'] as const)('writes the first frame, one frame tall, to %s', async (to) => {
    const out = await render(gif, variant(60, undefined, to), OPTIONS);
    expect([out.width, out.height, out.frames]).toEqual([60, 45, 1]);
    const meta = await decoded(out.data);
    expect([meta.width, meta.height, meta.pages ?? 1]).toEqual([60, 45, 1]);
    expect(src.near(await src.sample(out.data, 30, 22), [...src.RED, 255])).toBe(true);
  });

  it('crops animated frames from the centre when asked for attention (sharp cannot pick per animation)', async () => {
    const out = await render(gif, variant(64, 64, 'webp', { position: 'attention' }), OPTIONS);
    const meta = await decoded(out.data);
    expect([meta.width, meta.pages, meta.pageHeight ?? meta.height]).toEqual([64, 3, 64]);
  });

  it('counts every frame against the pixel limit when the output is animated, one otherwise', async () => {
    const limits = { ...OPTIONS, maxInputPixels: 120 * 90 * 2 };
    const error = await refusal(render(gif, variant(60, undefined, 'webp'), limits));
    expect([error.status, error.detail]).toEqual([413, 'gif 120x90 x 3 frames = 32400 pixels, the limit is 21600']);
    expect((await render(gif, variant(60, undefined, 'png'), limits)).frames).toBe(1);
  });
});

describe('alpha', () => {
  let png: Buffer;
  beforeAll(async () => {
    png = await src.fromRaw(src.withAlpha(200, 160)).png().toBuffer();
  });

  it.each(['png', 'webp', 'avif'] as const)('is kept in %s: transparent corners, opaque square, half-transparent band', async (to) => {
    const out = await render(png, variant(100, undefined, to), OPTIONS);
    expect((await decoded(out.data)).hasAlpha).toBe(true);
    expect((await src.sample(out.data, 2, 2))[3]).toBeLessThan(8);
    expect(src.near(await src.sample(out.data, 50, 36), [220, 20, 20, 255])).toBe(true);
    expect((await src.sample(out.data, 50, 70))[3]).toBeGreaterThan(100);
    expect((await src.sample(out.data, 50, 70))[3]).toBeLessThan(156);
  });

  it('is kept in gif as on/off transparency', async () => {
    const out = await render(png, variant(100, undefined, 'gif'), OPTIONS);
    expect((await decoded(out.data)).hasAlpha).toBe(true);
    expect((await src.sample(out.data, 2, 2))[3]).toBe(0);
    expect(src.near(await src.sample(out.data, 50, 36), [220, 20, 20, 255], 30)).toBe(true);
  });

  it('is flattened onto the configured background in jpg', async () => {
    for (const [background, rgb] of [
      ['#ffffff', [255, 255, 255]],
      ['#ff00ff', [255, 0, 255]],
    ] as const) {
      const out = await render(png, variant(100, undefined, 'jpg'), { ...OPTIONS, background });
      const meta = await decoded(out.data);
      expect([meta.hasAlpha, meta.channels]).toEqual([false, 3]);
      expect(src.near(await src.sample(out.data, 4, 4), [...rgb, 255], 6)).toBe(true);
      // The half-transparent blue band is blended with the background, as a browser would show it.
      expect(src.near(await src.sample(out.data, 50, 70), [(20 + rgb[0]) / 2, (40 + rgb[1]) / 2, (220 + rgb[2]) / 2, 255], 20)).toBe(true);
    }
  });

  it('letterboxes contain with transparency where the format has alpha, with the background where not', async () => {
    const wide = await src.encode(src.scene(400, 200), 'png');
    const transparent = await render(wide, variant(128, 128, 'png', { fit: 'contain' }), OPTIONS);
    expect([transparent.width, transparent.height]).toEqual([128, 128]);
    expect((await src.sample(transparent.data, 64, 8))[3]).toBe(0);
    expect((await src.sample(transparent.data, 64, 64))[3]).toBe(255);
    const flat = await render(wide, variant(128, 128, 'jpg', { fit: 'contain' }), { ...OPTIONS, background: '#ff00ff' });
    expect(src.near(await src.sample(flat.data, 64, 8), [255, 0, 255, 255], 8)).toBe(true);
  });
});

describe('EXIF orientation', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('turns orientation %i upright and drops the tag', async (orientation) => {
    const source = await src.orientedJpeg(orientation);
    expect((await sharp(source).metadata()).orientation).toBe(orientation);
    const out = await render(source, variant(160, undefined, 'jpg'), OPTIONS);
    const meta = await decoded(out.data);
    expect([meta.width, meta.height, meta.orientation, meta.exif]).toEqual([160, 120, undefined, undefined]);
    for (const [x, y, colour] of [
      [40, 30, src.RED],
      [120, 30, src.GREEN],
      [40, 90, src.BLUE],
      [120, 90, src.YELLOW],
    ] as const) {
      expect(src.near(await src.sample(out.data, x, y), [...colour, 255]), `orientation ${orientation} at ${x},${y}`).toBe(true);
    }
  });

  it('applies the orientation before cropping (a swapped source covering a box)', async () => {
    const out = await render(await src.orientedJpeg(6), variant(128, 64, 'webp'), OPTIONS);
    expect([out.width, out.height]).toEqual([128, 64]);
    // The display is 400x300; a 2:1 crop from its middle keeps all four quadrants in place.
    expect(src.near(await src.sample(out.data, 16, 8), [...src.RED, 255])).toBe(true);
    expect(src.near(await src.sample(out.data, 112, 56), [...src.YELLOW, 255])).toBe(true);
  });
});

describe('colour', () => {
  const picture = src.scene(160, 120);
  const muted: src.RawImage = { ...picture, data: Buffer.from(picture.data.map((v) => Math.round(128 + (v - 128) * 0.4))) };
  let reference: Buffer;
  let mutedReference: Buffer;
  beforeAll(async () => {
    reference = await src.thumbnail(picture);
    mutedReference = await src.thumbnail(muted);
  });

  it.each([
    ['Display P3 JPEG', () => src.inProfile(picture, 'p3', 'jpeg'), 3],
    ['Display P3 PNG', () => src.inProfile(picture, 'p3', 'png'), 3],
    ['Adobe RGB JPEG', () => src.inProfile(picture, src.adobeRgbProfile(), 'jpeg'), 3],
    ['Adobe RGB TIFF', () => src.inProfile(picture, src.adobeRgbProfile(), 'tiff'), 3],
    // CMYK's gamut is smaller than sRGB's and the round trip through a print profile is lossy, so
    // the CMYK case uses a muted picture and a wider tolerance (a dropped K channel or an uninverted
    // Adobe CMYK would be off by far more).
    ['CMYK JPEG', () => src.inProfile(muted, 'cmyk', 'jpeg'), 10],
  ] as const)('converts a %s to sRGB, keeping its look', async (name, make, tolerance) => {
    const source = await make();
    const meta = await sharp(source).metadata();
    expect(meta.icc).toBeDefined();
    for (const to of ['jpg', 'webp'] as const) {
      const out = await render(source, variant(160, undefined, to), OPTIONS);
      const outMeta = await decoded(out.data);
      // sRGB, 3 channels, and no profile: untagged images are sRGB to every browser.
      expect([outMeta.space, outMeta.channels, outMeta.icc]).toEqual(['srgb', 3, undefined]);
      expect(src.meanAbsoluteDifference(await src.thumbnail(out.data), name.startsWith('CMYK') ? mutedReference : reference)).toBeLessThan(tolerance);
    }
    if (name.startsWith('CMYK')) {
      // Stored as ink amounts (Adobe's inverted CMYK): shown without conversion it is a negative.
      expect((await sharp(source).metadata()).space).toBe('cmyk');
      return;
    }
    // The check is sensitive: reading the same pixels as if they were sRGB looks visibly different.
    const naive = await sharp(source, { ignoreIcc: true }).toColourspace('srgb').png().toBuffer();
    expect(src.meanAbsoluteDifference(await src.thumbnail(naive), reference)).toBeGreaterThan(tolerance);
  });

  it.each(['png', 'tiff'] as const)('reads 16 bits per sample from %s and writes 8', async (kind) => {
    const source = await src.sixteenBit(picture, kind);
    expect((await sharp(source).metadata()).depth).toBe('ushort');
    for (const to of ['png', 'jpg', 'webp', 'avif'] as const) {
      const out = await render(source, variant(160, undefined, to), OPTIONS);
      const meta = await decoded(out.data);
      expect([meta.width, meta.height, meta.depth]).toEqual([160, 120, 'uchar']);
      expect(src.meanAbsoluteDifference(await src.thumbnail(out.data), reference)).toBeLessThan(4);
    }
  });
});

describe('metadata', () => {
  let rich: Buffer;
  beforeAll(async () => {
    rich = await src.metadataRichJpeg();
    const meta = await sharp(rich).metadata();
    expect(src.hasGpsPointer(meta.exif)).toBe(true);
    expect(meta.xmp).toBeDefined();
  });

  it.each(OUTPUTS)('strips EXIF, GPS, XMP and ICC from %s by default', async (to) => {
    const out = await render(rich, variant(160, undefined, to), OPTIONS);
    const meta = await decoded(out.data);
    expect([meta.exif, meta.xmp, meta.icc, meta.iptc]).toEqual([undefined, undefined, undefined, undefined]);
    expect(out.data.includes('Jane')).toBe(false);
    expect(out.data.includes('48,51')).toBe(false);
  });

  it.each(['jpg', 'webp', 'avif', 'png'] as const)('keeps only the copyright in %s when the variant asks', async (to) => {
    const out = await render(rich, variant(160, undefined, to, { keepCopyright: true }), OPTIONS);
    const meta = await decoded(out.data);
    expect(readCopyright(meta.exif)).toBe('(c) 2024 Jane Photographer');
    expect(src.hasGpsPointer(meta.exif)).toBe(false);
    expect(meta.xmp).toBeUndefined();
    for (const leak of ['TestCam', 'T-1000', 'secret place', 'Artist']) expect(meta.exif!.includes(leak)).toBe(false);
  });

  it('writes no EXIF at all for a copyright-keeping variant of a source without one', async () => {
    const out = await render(await src.encode(src.scene(100, 80), 'jpeg'), variant(80, undefined, 'jpg', { keepCopyright: true }), OPTIONS);
    expect((await decoded(out.data)).exif).toBeUndefined();
  });
});

describe('geometry', () => {
  let landscape: Buffer;
  let small: Buffer;
  beforeAll(async () => {
    landscape = await src.encode(src.scene(400, 300), 'png');
    small = await src.encode(src.quadrants(100, 50), 'png');
  });

  it.each([
    ['cover', 128, 128],
    ['contain', 128, 128],
    ['inside', 128, 96],
    ['outside', 171, 128],
    ['fill', 128, 128],
  ] as const)('fits %s into 128x128', async (fit, width, height) => {
    const out = await render(landscape, variant(128, 128, 'png', { fit }), OPTIONS);
    const meta = await decoded(out.data);
    expect([meta.width, meta.height]).toEqual([width, height]);
    // The content is the source's, scaled the way the fit says.
    const expected = await src
      .fromRaw(src.scene(400, 300))
      .resize({ width: 128, height: 128, fit, background: { r: 0, g: 0, b: 0, alpha: 0 } })
      .png()
      .toBuffer();
    expect(src.meanAbsoluteDifference(await src.thumbnail(out.data), await src.thumbnail(expected))).toBeLessThan(3);
  });

  it.each([
    ['cover', 50, 50],
    ['contain', 100, 100],
    ['fill', 50, 50],
    ['inside', 100, 50],
    ['outside', 100, 50],
  ] as const)('never enlarges a small source: %s of 100x50 into 128x128', async (fit, width, height) => {
    const out = await render(small, variant(128, 128, 'png', { fit }), OPTIONS);
    expect([out.width, out.height]).toEqual([width, height]);
    if (fit === 'cover' || fit === 'fill') {
      // The box's aspect ratio, cut from the middle of the source at its own scale.
      expect(src.near(await src.sample(out.data, 12, 12), [...src.RED, 255])).toBe(true);
      expect(src.near(await src.sample(out.data, 37, 37), [...src.YELLOW, 255])).toBe(true);
    }
    if (fit === 'contain') {
      expect((await src.sample(out.data, 50, 10))[3]).toBe(0);
      expect(src.near(await src.sample(out.data, 25, 40), [...src.RED, 255])).toBe(true);
    }
  });

  it.each([
    ['cover', 128, 128],
    ['contain', 128, 128],
    ['inside', 128, 64],
  ] as const)('enlarges when the variant says so: %s of 100x50 into 128x128', async (fit, width, height) => {
    const out = await render(small, variant(128, 128, 'png', { fit, enlarge: true }), OPTIONS);
    expect([out.width, out.height]).toEqual([width, height]);
  });

  it('never enlarges a width-only request', async () => {
    expect((await render(small, variant(640, undefined, 'png'), OPTIONS)).width).toBe(100);
    expect((await render(small, variant(640, undefined, 'png', { enlarge: true }), OPTIONS)).width).toBe(640);
  });

  it('renders an SVG at the size asked for, however small or large its declared size', async () => {
    for (const svg of [src.quadrantsSvg(20, 15), src.quadrantsSvg(100_000, 75_000)]) {
      const out = await render(svg, variant(320, 240, 'png'), OPTIONS);
      expect([out.width, out.height]).toEqual([320, 240]);
      expect(src.near(await src.sample(out.data, 80, 60), [...src.RED, 255], 8)).toBe(true);
      expect(src.near(await src.sample(out.data, 240, 180), [...src.YELLOW, 255], 8)).toBe(true);
    }
  });

  describe('the cover position', () => {
    // 600x200, flat grey, with a busy checkerboard (entropy) at the left or a saturated orange disc
    // (attention) at the right: a centred square crop sees neither.
    function feature(kind: 'busy-left' | 'disc-right'): src.RawImage {
      const [width, height] = [600, 200];
      const data = Buffer.alloc(width * height * 3, 128);
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const i = (y * width + x) * 3;
          if (kind === 'busy-left' && x < 150) data.fill(((x >> 4) + (y >> 4)) % 2 ? 250 : 5, i, i + 3);
          if (kind === 'disc-right' && (x - 520) ** 2 + (y - 100) ** 2 < 60 ** 2) data.set([250, 120, 30], i);
        }
      }
      return { data, width, height, channels: 3 };
    }
    const spread = (px: number[]) => Math.max(...px) - Math.min(...px);

    it('crops to the busiest region with entropy', async () => {
      const source = await src.encode(feature('busy-left'), 'png');
      const centre = await render(source, variant(128, 128, 'png'), OPTIONS);
      const entropy = await render(source, variant(128, 128, 'png', { position: 'entropy' }), OPTIONS);
      const column = async (image: Buffer) =>
        (await sharp(image).extract({ left: 0, top: 0, width: 40, height: 128 }).greyscale().raw().toBuffer()).toJSON().data;
      expect(spread(await column(centre.data))).toBeLessThan(10);
      expect(spread(await column(entropy.data))).toBeGreaterThan(100);
    });

    it('crops to the most striking region with attention', async () => {
      const source = await src.encode(feature('disc-right'), 'png');
      const centre = await render(source, variant(128, 128, 'png'), OPTIONS);
      const attention = await render(source, variant(128, 128, 'png', { position: 'attention' }), OPTIONS);
      expect(src.near(await src.sample(centre.data, 64, 64), [128, 128, 128, 255], 4)).toBe(true);
      // The disc, scaled by 128/200, is at x ~333 of 384: inside a crop that reaches the right edge.
      expect(src.near(await src.sample(attention.data, 90, 64), [250, 120, 30, 255], 12)).toBe(true);
    });
  });
});

describe('limits and hostile sources', () => {
  it('refuses a 50000x50000 PNG from its header alone (its data would not even decode)', async () => {
    const error = await refusal(render(src.pngBombHeader(), variant(128, 128, 'webp'), OPTIONS));
    expect([error.status, error.code, error.publicMessage]).toEqual([413, 'SourceTooLarge', 'The original image has too many pixels to resize']);
    expect(error.detail).toBe(`png 50000x50000 = 2500000000 pixels, the limit is ${OPTIONS.maxInputPixels}`);
  });

  it('refuses a valid decompression bomb (a few KB, 256 MP)', async () => {
    const bomb = src.pngBomb(16_000);
    expect(bomb.length).toBeLessThan(64 * 1024);
    const error = await refusal(render(bomb, variant(128, 128, 'webp'), OPTIONS));
    expect([error.status, error.detail]).toEqual([413, `png 16000x16000 = 256000000 pixels, the limit is ${OPTIONS.maxInputPixels}`]);
  });

  it('refuses what would decode whole in memory beyond the budget, by format, from the header', async () => {
    // 3 MP each: a baseline JPEG shrinks on load (~2 MB); a progressive JPEG keeps every coefficient
    // (~12 MB); AVIF decodes whole at ~19 bytes a pixel (~57 MB). A 10 MB budget admits the first.
    const picture = src.scene(2000, 1500);
    const budget = { ...OPTIONS, maxDecodeMegabytes: 10 };
    const baseline = await src.fromRaw(picture).jpeg({ quality: 80 }).toBuffer();
    const progressive = await src.fromRaw(picture).jpeg({ quality: 80, progressive: true }).toBuffer();
    const avif = await src.fromRaw(picture).avif({ quality: 40, effort: 0 }).toBuffer();
    expect((await render(baseline, variant(160, undefined, 'webp'), budget)).width).toBe(160);
    for (const [source, detail] of [
      [progressive, 'jpeg 2000x1500 (progressive/interlaced jpeg) needs about 12 MB to decode, the limit is 10 MB'],
      [avif, 'avif 2000x1500 (avif) needs about 57 MB to decode, the limit is 10 MB'],
    ] as const) {
      const error = await refusal(render(source, variant(160, undefined, 'webp'), budget));
      expect([error.status, error.publicMessage, error.detail]).toEqual([413, 'The original image needs too much memory to resize', detail]);
    }
  });

  it('refuses a source over the byte limit before reading its header', async () => {
    const error = await refusal(render(src.HTML_AS_JPEG, variant(128, 128, 'webp'), { ...OPTIONS, maxInputBytes: 16 }));
    expect(error.status).toBe(413);
  });

  it.each([
    ['zero bytes', () => Buffer.alloc(0), 422],
    ['a truncated JPEG', async () => (await src.encode(src.scene(320, 240), 'jpeg')).subarray(0, 3000), 422],
    [
      'a truncated PNG',
      async () => {
        const png = await src.encode(src.scene(320, 240), 'png');
        return png.subarray(0, png.length - 2000);
      },
      422,
    ],
    [
      'a truncated GIF',
      async () => {
        const gif = await src.encode(src.scene(320, 240), 'gif');
        return gif.subarray(0, gif.length / 2);
      },
      422,
    ],
    ['a JPEG header and junk', () => Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3, 4, 5, 6, 7]), 422],
    ['HTML saved as .jpg', () => src.HTML_AS_JPEG, 415],
    ['random bytes', () => Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919) % 251)), 415],
    ['a PDF', () => Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n'), 415],
  ] as const)('refuses %s with a %s kept for an hour (deterministic: the same source, the same answer)', async (_name, make, status) => {
    const error = await refusal(render(await make(), variant(128, 128, 'webp'), OPTIONS));
    expect(error.status).toBe(status);
    expect(error.cacheSeconds).toBe(3600);
  });

  it('maps a libvips timeout to a 503 that is not cached', () => {
    const error = classifySharpError(new Error('timeout: 12% complete'));
    expect([error.status, error.cacheSeconds]).toEqual([503, 0]);
  });

  describe('SVG never reaches outside itself', () => {
    let server: ReturnType<typeof createServer>;
    let base: string;
    const hits: string[] = [];
    let secret: { png: string; text: string };
    beforeAll(async () => {
      secret = await src.secretFiles();
      server = createServer((req, res) => {
        hits.push(req.url ?? '');
        res.writeHead(200, { 'content-type': 'image/svg+xml' });
        res.end('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="red"/></svg>');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('draws no external or file:// image, stylesheet, element or include', async () => {
      for (const [name, svg] of Object.entries(src.externalSvgs(base, secret.png, secret.text))) {
        const out = await render(svg, variant(200, 150, 'png'), OPTIONS);
        // Only the SVG's own blue rectangle: the secret file is solid red.
        expect(src.near(await src.sample(out.data, 100, 75), [...src.BLUE, 255], 4), name).toBe(true);
        expect(src.near(await src.sample(out.data, 5, 5), [...src.BLUE, 255], 4), name).toBe(true);
      }
      expect(hits).toEqual([]);
    });

    it('expands no external entity (XXE): the source is refused as undecodable', async () => {
      const error = await refusal(render(src.xxeSvg(base, secret.text), variant(200, 150, 'png'), OPTIONS));
      expect(error.status).toBe(422);
      expect(hits).toEqual([]);
    });
  });
});
