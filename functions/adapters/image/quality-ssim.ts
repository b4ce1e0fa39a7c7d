/**
 * SSIM on luminance (Wang, Bovik, Sheikh, Simoncelli 2004), fast enough to run inside a miss: the
 * measure `q=auto` searches with, and the one the quality scale was calibrated with.
 *
 * The form, and why (a search compares up to three encodes against one reference, inside a miss that
 * must cost under twice a plain one; the reference form with an 11x11 Gaussian at full resolution
 * took ~30 ms of CPU on a 640x427 image here, four times a whole JPEG miss; this form, ~2 ms):
 *   - scale: full resolution (no scaling towards a viewing distance, as the authors' reference code
 *     does: a 640 px image would then be judged at 320 and get a lower quality than a 320 px one);
 *   - windows: 8x8 with uniform weights, every 4 pixels in each direction (the overlapping sampled
 *     windows of the SSIM that video encoders such as libvpx report), each window's sums of x, x^2,
 *     y, y^2 and xy added up from 4x4 blocks; the reference's sums are computed once;
 *   - constants: K1 = 0.01, K2 = 0.03, L = 255; the score is the mean over the windows.
 * On real images it stays within 0.03 of the Gaussian form (functions/adapters/image/ssim.ts,
 * the mezzanine's guard), ranks encodes the same way, and costs a few milliseconds.
 *
 * Why it is written here: no library the project may use computes SSIM (sharp and libvips have no
 * SSIM operation; none of the allowed packages offers one).
 */

export interface LumaPlane {
  readonly width: number;
  readonly height: number;
  /** 8-bit luminance, row by row, `width * height` bytes. */
  readonly data: Uint8Array;
}

const C1 = (0.01 * 255) ** 2;
const C2 = (0.03 * 255) ** 2;
const WINDOW = 8;

/**
 * 8-bit luminance of raw pixels (1 to 4 channels, as sharp's `raw()` gives them), alpha flattened
 * onto white: Rec. 601 weights on the encoded values, in integers ((77 R + 150 G + 29 B) / 256),
 * the luma JPEG itself codes. Computed here rather than by libvips' colourspace conversion, which
 * works in linear light in floats and cost as much as a whole thumbnail's encode.
 */
export function lumaOfRaw(data: Uint8Array, width: number, height: number, channels: number): LumaPlane {
  const n = width * height;
  const out = new Uint8Array(n);
  const alpha = channels === 2 || channels === 4;
  const colour = channels >= 3;
  for (let i = 0, at = 0; i < n; i++, at += channels) {
    let v = colour ? (77 * (data[at] as number) + 150 * (data[at + 1] as number) + 29 * (data[at + 2] as number) + 128) >> 8 : (data[at] as number);
    if (alpha) {
      const a = data[at + channels - 1] as number;
      v = (v * a + 255 * (255 - a) + 127) / 255;
    }
    out[i] = v;
  }
  return { width, height, data: out };
}

/** One reference image, ready to be compared with any number of candidates of its size. */
export interface SsimReference {
  readonly width: number;
  readonly height: number;
  /** Mean SSIM of `candidate` against this reference; 1 is identical. */
  compare(candidate: LumaPlane): number;
}

const BLOCK = 4;

/**
 * Sums over 4x4 blocks: of a and a^2, or of b, b^2 and ab. An 8x8 window every 4 pixels is then
 * 2x2 blocks; the last rows and columns that fill no whole block are left out.
 */
function blockSums(width: number, height: number, a: ArrayLike<number>, b?: ArrayLike<number>): Float64Array[] {
  const bw = Math.floor(width / BLOCK);
  const bh = Math.floor(height / BLOCK);
  const s1 = new Float64Array(bw * bh);
  const s2 = new Float64Array(bw * bh);
  const s3 = new Float64Array(b ? bw * bh : 0);
  for (let row = 0; row < bh * BLOCK; row++) {
    const base = row * width;
    const line = (row >> 2) * bw;
    for (let col = 0; col < bw * BLOCK; col++) {
      const at = line + (col >> 2);
      const p = a[base + col] as number;
      if (b) {
        const q = b[base + col] as number;
        s1[at] = (s1[at] as number) + q;
        s2[at] = (s2[at] as number) + q * q;
        s3[at] = (s3[at] as number) + p * q;
      } else {
        s1[at] = (s1[at] as number) + p;
        s2[at] = (s2[at] as number) + p * p;
      }
    }
  }
  return b ? [s1, s2, s3] : [s1, s2];
}

export function ssimReference(reference: LumaPlane): SsimReference {
  const { width, height } = reference;
  if (!(width > 0 && height > 0) || reference.data.length < width * height) {
    throw new Error(`Expected ${width}x${height} bytes of luminance for the reference but received ${reference.data.length}`);
  }
  const x = reference;
  // An image under 8 px on a side is compared as one window.
  const tiny = x.width < WINDOW || x.height < WINDOW;
  const [sx, sxx] = blockSums(x.width, x.height, x.data) as [Float64Array, Float64Array];
  const bw = Math.floor(x.width / BLOCK);
  const bh = Math.floor(x.height / BLOCK);
  const area = WINDOW * WINDOW;
  const window = (sums: Float64Array, at: number): number =>
    (sums[at] as number) + (sums[at + 1] as number) + (sums[at + bw] as number) + (sums[at + bw + 1] as number);
  const score = (mx: number, my: number, vx: number, vy: number, cov: number): number =>
    ((2 * mx * my + C1) * (2 * cov + C2)) / ((mx * mx + my * my + C1) * (vx + vy + C2));
  return {
    width,
    height,
    compare(candidate: LumaPlane): number {
      if (candidate.width !== width || candidate.height !== height || candidate.data.length < width * height) {
        throw new Error(`Expected a ${width}x${height} image to compare but received ${candidate.width}x${candidate.height}`);
      }
      const y = candidate;
      if (tiny) return wholeImage(x.data, y.data, x.width * x.height, score);
      const [sy, syy, sxy] = blockSums(x.width, x.height, x.data, y.data) as [Float64Array, Float64Array, Float64Array];
      let total = 0;
      for (let by = 0; by + 1 < bh; by++) {
        for (let bx = 0; bx + 1 < bw; bx++) {
          const at = by * bw + bx;
          const mx = window(sx, at) / area;
          const my = window(sy, at) / area;
          total += score(mx, my, window(sxx, at) / area - mx * mx, window(syy, at) / area - my * my, window(sxy, at) / area - mx * my);
        }
      }
      return total / ((bw - 1) * (bh - 1));
    },
  };
}

/** SSIM of an image smaller than one window: the whole image is the window. */
function wholeImage(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  n: number,
  score: (mx: number, my: number, vx: number, vy: number, cov: number) => number,
): number {
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const p = x[i] as number;
    const q = y[i] as number;
    sx += p;
    sy += q;
    sxx += p * p;
    syy += q * q;
    sxy += p * q;
  }
  const mx = sx / n;
  const my = sy / n;
  return score(mx, my, sxx / n - mx * mx, syy / n - my * my, sxy / n - mx * my);
}

/** Mean SSIM of two luminance planes of the same size. */
export function ssimOfPlanes(a: LumaPlane, b: LumaPlane): number {
  return ssimReference(a).compare(b);
}
