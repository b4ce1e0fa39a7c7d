import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ssim } from './ssim.ts';
import { lumaOfRaw, ssimOfPlanes, ssimReference } from './quality-ssim.ts';
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

  it('stays within 0.03 of the Gaussian reference form and ranks encodes alike', async () => {
    for (const [file, width] of [
      ['fixtures/corpus/kodak-13-mountain-stream.jpg', 240],
      ['fixtures/corpus/kodak-04-woman-red-hat.jpg', 512],
      ['fixtures/corpus/chapel.jpg', 640],
    ] as const) {
      const reference = await sharp(await readFile(file))
        .resize(width)
        .png()
        .toBuffer();
      const measure = ssimReference(await lumaOf(reference));
      const fast: number[] = [];
      const slow: number[] = [];
      for (const quality of [20, 50, 80, 95]) {
        const candidate = await sharp(reference).webp({ quality }).toBuffer();
        fast.push(measure.compare(await lumaOf(candidate)));
        slow.push(await ssim(reference, candidate));
      }
      for (let i = 0; i < fast.length; i++) expect(Math.abs((fast[i] as number) - (slow[i] as number))).toBeLessThan(0.03);
      for (let i = 1; i < fast.length; i++) expect(fast[i]).toBeGreaterThan(fast[i - 1] as number);
    }
  });

  it('takes the mean over 8x8 windows every 4 pixels: a flaw in one window counts in the windows that hold it', () => {
    // 16x16 flat grey, one pixel changed at (0, 0): only the windows at the origin hold it, 1 of 9.
    const a = flat(16, 16, 128);
    const b = flat(16, 16, 128);
    b.data[0] = 200;
    const score = ssimOfPlanes(a, b);
    expect(score).toBeLessThan(1);
    // The eight windows without the pixel score exactly 1.
    expect(score).toBeGreaterThan(8 / 9);
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

describe('luma of raw pixels', () => {
  it('weighs R, G and B as Rec. 601 and flattens alpha onto white', () => {
    const rgba = new Uint8Array([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 0, 0, 0, 0, 0, 0, 0, 128, 200, 200, 200, 255]);
    const plane = lumaOfRaw(rgba, 6, 1, 4);
    expect([...plane.data]).toEqual([77, 149, 29, 255, 127, 200]);
    expect([...lumaOfRaw(new Uint8Array([10, 255, 10, 0]), 2, 1, 2).data]).toEqual([10, 255]);
  });
});
