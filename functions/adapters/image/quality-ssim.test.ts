import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ssim } from './ssim.ts';
import { ssimOfPlanes, ssimReference } from './quality-ssim.ts';
import type { LumaPlane } from './quality-ssim.ts';

const C1 = (0.01 * 255) ** 2;

function flat(width: number, height: number, value: number): LumaPlane {
  return { width, height, data: new Uint8Array(width * height).fill(value) };
}

async function lumaOf(encoded: Buffer): Promise<LumaPlane> {
  const { data, info } = await sharp(encoded).flatten({ background: '#ffffff' }).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

describe('luma SSIM', () => {
  it('is 1 for identical planes and symmetric', async () => {
    const png = await sharp(await readFile('fixtures/corpus/kodak-23-parrots.jpg'))
      .resize(200)
      .png()
      .toBuffer();
    const plane = await lumaOf(png);
    expect(ssimOfPlanes(plane, plane)).toBeCloseTo(1, 6);
    const jpeg = await lumaOf(await sharp(png).jpeg({ quality: 30 }).toBuffer());
    expect(ssimOfPlanes(plane, jpeg)).toBeCloseTo(ssimOfPlanes(jpeg, plane), 6);
  });

  it('gives the closed form on flat planes: only the luminance term is left', () => {
    // Flat planes: every variance and covariance is 0, so SSIM = (2 mx my + C1) / (mx^2 + my^2 + C1).
    const expected = (2 * 100 * 140 + C1) / (100 * 100 + 140 * 140 + C1);
    expect(ssimOfPlanes(flat(32, 24, 100), flat(32, 24, 140))).toBeCloseTo(expected, 6);
  });

  it('agrees with the double-precision reference implementation on real images', async () => {
    const source = await readFile('fixtures/corpus/kodak-13-mountain-stream.jpg');
    const reference = await sharp(source).resize(320).png().toBuffer();
    const measure = ssimReference(await lumaOf(reference));
    for (const quality of [20, 60, 90]) {
      const candidate = await sharp(reference).webp({ quality }).toBuffer();
      expect(measure.compare(await lumaOf(candidate))).toBeCloseTo(await ssim(reference, candidate), 5);
    }
  });

  it('falls as the encoder quality falls', async () => {
    const reference = await sharp(await readFile('fixtures/corpus/kodak-04-woman-red-hat.jpg'))
      .resize(256)
      .png()
      .toBuffer();
    const measure = ssimReference(await lumaOf(reference));
    const scores: number[] = [];
    for (const quality of [90, 70, 50, 30, 10]) scores.push(measure.compare(await lumaOf(await sharp(reference).jpeg({ quality }).toBuffer())));
    for (let i = 1; i < scores.length; i++) expect(scores[i]).toBeLessThan(scores[i - 1] as number);
    expect(scores[0]).toBeLessThan(1);
  });

  it('refuses planes of different sizes, naming both', () => {
    expect(() => ssimOfPlanes(flat(10, 10, 0), flat(10, 11, 0))).toThrow('Expected a 10x10 image to compare but received 10x11');
  });
});
