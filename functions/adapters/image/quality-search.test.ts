/**
 * q=auto in the real engine (sharp) on images of the corpus: the SSIM it reports is the SSIM of what
 * it serves, it reaches the target within three encodes, it is deterministic, and the render budget
 * stops it with the best encode so far.
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { images } from '../../../infra/distribution.ts';
import type { Variant } from '../../core/grammar.ts';
import { render } from './render.ts';
import type { RenderOptions } from './render.ts';
import { searchQuality, texture } from './quality-search.ts';
import { lumaOfRaw, ssimReference } from './quality-ssim.ts';

const settings = images.quality!;
const options: RenderOptions = { ...images.limits, background: '#ffffff', quality: settings };
const variant = (format: Variant['format'], quality: Variant['quality'], width = 320): Variant => ({
  width,
  height: undefined,
  fit: 'inside',
  quality,
  format,
});

async function luma(encoded: Buffer) {
  const { data, info } = await sharp(encoded).raw().toBuffer({ resolveWithObject: true });
  return lumaOfRaw(data, info.width, info.height, info.channels);
}

describe('q=auto in the engine', () => {
  for (const file of ['kodak-20-seaplane.jpg', 'kodak-13-mountain-stream.jpg', 'bridge-night.png']) {
    it(`reaches the target on ${file} in every lossy format, reporting the SSIM of what it serves`, async () => {
      const source = await readFile(`fixtures/corpus/${file}`);
      const exact = ssimReference(await luma((await render(source, variant('png', 75), options)).data));
      for (const format of ['jpg', 'webp', 'avif'] as const) {
        const out = await render(source, variant(format, 'auto'), options);
        expect(out.format).toBe(format);
        expect(out.width).toBe(320);
        const outcome = out.quality!;
        expect(outcome.encodes).toBeGreaterThanOrEqual(1);
        expect(outcome.encodes).toBeLessThanOrEqual(settings.auto.maxEncodes);
        expect(outcome.reached).toBe(true);
        expect(outcome.ssim).toBeGreaterThanOrEqual(settings.auto.target);
        expect(outcome.budgetStopped).toBe(false);
        // The reported SSIM is that of the bytes served, against the exact resize (to 4 decimals; a JPEG's
        // alpha is flattened by libvips before the search, and by the luma here for the PNG: a rounding apart).
        expect(Math.abs(exact.compare(await luma(out.data)) - outcome.ssim)).toBeLessThan(1e-3);
      }
    });
  }

  it('is deterministic: the same original and variant give the same bytes', async () => {
    const source = await readFile('fixtures/corpus/kodak-04-woman-red-hat.jpg');
    for (const format of ['jpg', 'webp', 'avif'] as const) {
      const a = await render(source, variant(format, 'auto', 256), options);
      const b = await render(source, variant(format, 'auto', 256), options);
      expect(a.data.equals(b.data)).toBe(true);
      expect(a.quality).toEqual(b.quality);
    }
  });

  it('gives smaller files than a fixed q on a smooth image, larger where the fixed q falls short', async () => {
    const smooth = await readFile('fixtures/corpus/kodak-20-seaplane.jpg');
    const fixed = await render(smooth, variant('avif', 95), options);
    const auto = await render(smooth, variant('avif', 'auto'), options);
    expect(auto.data.byteLength).toBeLessThan(fixed.data.byteLength);
    const busy = await readFile('fixtures/corpus/kodak-13-mountain-stream.jpg');
    const low = await render(busy, variant('jpg', 30), options);
    const exact = ssimReference(await luma((await render(busy, variant('png', 75), options)).data));
    expect(exact.compare(await luma(low.data))).toBeLessThan(settings.auto.target);
    expect((await render(busy, variant('jpg', 'auto'), options)).data.byteLength).toBeGreaterThan(low.data.byteLength);
  });

  it('stops at the render budget and serves the best encode so far', async () => {
    const { data, info } = await sharp(await readFile('fixtures/corpus/kodak-08-houses.jpg'))
      .resize(200)
      .raw()
      .toBuffer({ resolveWithObject: true });
    // A clock that moves 10 s per reading: the first encode "takes" longer than the budget left.
    let clock = 0;
    const found = await searchQuality({
      sharp,
      pixels: { data, width: info.width, height: info.height, channels: info.channels as 3 },
      format: 'webp',
      // A target no encode reaches: an unbounded search would spend all its encodes.
      settings: { ...settings, auto: { ...settings.auto, target: 0.99999 } },
      encode: (image, quality) => image.webp({ quality }),
      deadline: 15_000,
      now: () => (clock += 10_000),
    });
    expect(found.outcome.encodes).toBe(1);
    expect(found.outcome.budgetStopped).toBe(true);
    expect(found.outcome.reached).toBe(false);
    expect((await sharp(found.data).metadata()).format).toBe('webp');
  });

  it('finds the q of AVIF with JPEG first, flattened onto white, and keeps the budget across both', async () => {
    const source = await readFile('fixtures/corpus/corn-emoji-alpha.png');
    const { data, info } = await sharp(source).resize(160).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const pixels = { data, width: info.width, height: info.height, channels: 4 as const };
    const proxied: string[] = [];
    const proxy = (image: Sharp, quality: number) => {
      proxied.push(`jpg ${quality}`);
      return image.jpeg({ quality });
    };
    const encode = (image: Sharp, quality: number) => image.avif({ quality, effort: 2 });
    const found = await searchQuality({ sharp, pixels, format: 'avif', settings, encode, proxy });
    expect(found.outcome.proxyEncodes).toBe(proxied.length);
    expect(found.outcome.proxyEncodes).toBeGreaterThanOrEqual(1);
    expect(found.outcome.reached).toBe(true);
    const served = await sharp(found.data).metadata();
    expect([served.format, served.hasAlpha]).toEqual(['heif', true]);
    const exact = ssimReference(lumaOfRaw(data, info.width, info.height, 4));
    expect(exact.compare(await luma(found.data))).toBeGreaterThanOrEqual(settings.auto.target);
    // WebP is not in auto.proxied: no JPEG encode.
    const webp = await searchQuality({ sharp, pixels, format: 'webp', settings, encode: (image, quality) => image.webp({ quality }), proxy });
    expect(webp.outcome.proxyEncodes).toBe(0);
    // A budget spent by the first JPEG encode: one AVIF encode all the same (something is served), no more.
    let clock = 0;
    const stopped = await searchQuality({
      sharp,
      pixels,
      format: 'avif',
      settings: { ...settings, auto: { ...settings.auto, target: 0.99999 } },
      encode,
      proxy,
      deadline: 15_000,
      now: () => (clock += 10_000),
    });
    expect([stopped.outcome.proxyEncodes, stopped.outcome.encodes, stopped.outcome.budgetStopped]).toEqual([1, 1, true]);
    expect((await sharp(stopped.data).metadata()).format).toBe('heif');
  });

  it('leaves PNG alone (one encode, no search) and needs the policy settings for a lossy format', async () => {
    const source = await readFile('fixtures/corpus/corn-emoji-alpha.png');
    const png = await render(source, variant('png', 'auto', 160), options);
    expect(png.quality).toBeUndefined();
    expect((await sharp(png.data).metadata()).format).toBe('png');
    const { quality: _none, ...withoutSettings } = options;
    await expect(render(source, variant('webp', 'auto', 160), withoutSettings)).rejects.toMatchObject({ detail: expect.stringMatching(/images\.quality/) });
  });
});

describe("the first guess's texture", () => {
  const plane = (width: number, height: number, at: (x: number, y: number) => number) => {
    const data = new Uint8Array(width * height);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = at(x, y);
    return { width, height, data };
  };

  it('counts the flat 8x8 blocks and takes the median block variance', () => {
    // Left half flat grey, right half a checkerboard of 0 and 255 (variance 127.5^2 in every block).
    const half = texture(
      plane(32, 16, (x, y) => (x < 16 ? 128 : (x + y) % 2 === 0 ? 0 : 255)),
      2,
    );
    expect(half.flat).toBe(0.5);
    expect(half.detail).toBeCloseTo(Math.log(1 + 127.5 ** 2 / 2), 6);
    const flat = texture(
      plane(16, 16, () => 40),
      2,
    );
    expect(flat).toEqual({ flat: 1, detail: 0 });
  });

  it('reads an image under 8 px on a side as whole blocks of its short side', () => {
    const tiny = texture(
      plane(6, 3, (x) => x * 10),
      2,
    );
    expect(tiny.flat).toBe(0);
    expect(tiny.detail).toBeCloseTo(Math.log(1 + 100 * (2 / 3)), 6);
  });
});
