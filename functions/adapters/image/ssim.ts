/**
 * SSIM (Wang, Bovik, Sheikh, Simoncelli 2004, "Image quality assessment: from error visibility to
 * structural similarity") on luminance: the quality guard of the mezzanine. Used by its test and by
 * the bench, never by a function at run time.
 *
 * Why SSIM on luminance: the mezzanine changes how pixels are resampled (two downscales instead of
 * one) and adds one near-lossless encode; what a viewer could see of that is lost or smeared detail
 * (edges, texture), which is what SSIM's structure term measures and a mean error (PSNR) averages
 * away. Luminance carries the detail; every output here is chroma-subsampled or compressed in chroma
 * anyway. The reference form is used: an 11x11 Gaussian window (sigma 1.5), K1 = 0.01, K2 = 0.03,
 * L = 255, the mean of the SSIM map over the whole image, at full resolution (no downsampling to a
 * viewing distance: that would hide differences, and a guard should not).
 *
 * Both images are decoded by sharp to 8-bit greyscale (libvips' `b-w`, i.e. luminance) after
 * flattening alpha onto white, so any two encoded images of the same size compare.
 */
import sharp from 'sharp';

const K1 = 0.01;
const K2 = 0.03;
const L = 255;
const C1 = (K1 * L) ** 2;
const C2 = (K2 * L) ** 2;
const RADIUS = 5;
const SIGMA = 1.5;

/** The normalised 11-tap Gaussian. */
const KERNEL: Float64Array = (() => {
  const k = new Float64Array(2 * RADIUS + 1);
  let sum = 0;
  for (let i = -RADIUS; i <= RADIUS; i++) sum += k[i + RADIUS] = Math.exp(-(i * i) / (2 * SIGMA * SIGMA));
  for (let i = 0; i < k.length; i++) k[i]! /= sum;
  return k;
})();

interface Luma {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** Decodes an encoded image to 8-bit luminance (alpha flattened onto white). */
async function luma(image: Buffer): Promise<Luma> {
  const { data, info } = await sharp(image).flatten({ background: '#ffffff' }).greyscale().raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) throw new Error(`Expected 1 channel of luminance but received ${info.channels}`);
  return { width: info.width, height: info.height, data };
}

/** Mean SSIM of two encoded images of the same size, on luminance. 1 is identical. */
export async function ssim(a: Buffer, b: Buffer): Promise<number> {
  return ssimOf(await luma(a), await luma(b));
}

/** Mean SSIM of two luminance planes of the same size. */
function ssimOf(a: Luma, b: Luma): number {
  if (a.width !== b.width || a.height !== b.height) {
    throw new Error(`Expected two images of the same size but received ${a.width}x${a.height} and ${b.width}x${b.height}`);
  }
  const { width, height } = a;
  const n = width * height;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const xx = new Float64Array(n);
  const yy = new Float64Array(n);
  const xy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = a.data[i]!;
    const q = b.data[i]!;
    x[i] = p;
    y[i] = q;
    xx[i] = p * p;
    yy[i] = q * q;
    xy[i] = p * q;
  }
  const scratch = new Float64Array(n);
  for (const plane of [x, y, xx, yy, xy]) blur(plane, scratch, width, height);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const mx = x[i]!;
    const my = y[i]!;
    const vx = xx[i]! - mx * mx;
    const vy = yy[i]! - my * my;
    const cov = xy[i]! - mx * my;
    total += ((2 * mx * my + C1) * (2 * cov + C2)) / ((mx * mx + my * my + C1) * (vx + vy + C2));
  }
  return total / n;
}

/** Separable Gaussian blur in place; edges are clamped (the window is renormalised by replication). */
function blur(plane: Float64Array, scratch: Float64Array, width: number, height: number): void {
  for (let row = 0; row < height; row++) {
    const base = row * width;
    for (let col = 0; col < width; col++) {
      let sum = 0;
      for (let k = -RADIUS; k <= RADIUS; k++) {
        const c = col + k < 0 ? 0 : col + k >= width ? width - 1 : col + k;
        sum += plane[base + c]! * KERNEL[k + RADIUS]!;
      }
      scratch[base + col] = sum;
    }
  }
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      let sum = 0;
      for (let k = -RADIUS; k <= RADIUS; k++) {
        const r = row + k < 0 ? 0 : row + k >= height ? height - 1 : row + k;
        sum += scratch[r * width + col]! * KERNEL[k + RADIUS]!;
      }
      plane[row * width + col] = sum;
    }
  }
}
