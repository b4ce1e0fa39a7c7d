/**
 * SSIM on luminance (Wang, Bovik, Sheikh, Simoncelli 2004), fast enough to run inside a miss: the
 * measure `q=auto` searches with. The reference form: an 11x11 Gaussian window (sigma 1.5),
 * K1 = 0.01, K2 = 0.03, L = 255, edges clamped, the mean of the SSIM map over the whole image at
 * full resolution; the same definition as functions/adapters/image/ssim.ts (the mezzanine's guard),
 * which its test checks to the sixth decimal.
 *
 * Why it is written here: no library the project may use computes SSIM (sharp and libvips have no
 * SSIM operation; none of the allowed packages offers one). Why it is fast: a search compares up to
 * three encodes against one reference, so the reference's local means and variances are computed
 * once (`ssimReference`) and each comparison blurs three planes, not five, in 32-bit floats.
 */

export interface LumaPlane {
  readonly width: number;
  readonly height: number;
  /** 8-bit luminance, row by row, `width * height` bytes. */
  readonly data: Uint8Array;
}

const C1 = (0.01 * 255) ** 2;
const C2 = (0.03 * 255) ** 2;
const RADIUS = 5;
const SIGMA = 1.5;

const KERNEL: Float32Array = (() => {
  const k = new Float32Array(2 * RADIUS + 1);
  let sum = 0;
  for (let i = -RADIUS; i <= RADIUS; i++) {
    const v = Math.exp(-(i * i) / (2 * SIGMA * SIGMA));
    k[i + RADIUS] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i] = (k[i] as number) / sum;
  return k;
})();

/** One reference image, ready to be compared with any number of candidates of its size. */
export interface SsimReference {
  readonly width: number;
  readonly height: number;
  /** Mean SSIM of `candidate` against this reference; 1 is identical. */
  compare(candidate: LumaPlane): number;
}

export function ssimReference(reference: LumaPlane): SsimReference {
  const { width, height } = reference;
  const n = width * height;
  if (reference.data.length < n || n === 0) {
    throw new Error(`Expected ${width}x${height} bytes of luminance for the reference but received ${reference.data.length}`);
  }
  const scratch = new Float32Array(n);
  const x = new Float32Array(n);
  const xx = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const p = reference.data[i] as number;
    x[i] = p;
    xx[i] = p * p;
  }
  const rx = reference.data;
  blur(x, scratch, width, height);
  blur(xx, scratch, width, height);
  return {
    width,
    height,
    compare(candidate: LumaPlane): number {
      if (candidate.width !== width || candidate.height !== height || candidate.data.length < n) {
        throw new Error(`Expected a ${width}x${height} image to compare but received ${candidate.width}x${candidate.height}`);
      }
      const y = new Float32Array(n);
      const yy = new Float32Array(n);
      const xy = new Float32Array(n);
      const cy = candidate.data;
      for (let i = 0; i < n; i++) {
        const q = cy[i] as number;
        y[i] = q;
        yy[i] = q * q;
        xy[i] = q * (rx[i] as number);
      }
      blur(y, scratch, width, height);
      blur(yy, scratch, width, height);
      blur(xy, scratch, width, height);
      let total = 0;
      for (let i = 0; i < n; i++) {
        const mx = x[i] as number;
        const my = y[i] as number;
        const mxy = mx * my;
        const mxx = mx * mx;
        const myy = my * my;
        total += ((2 * mxy + C1) * (2 * ((xy[i] as number) - mxy) + C2)) / ((mxx + myy + C1) * ((xx[i] as number) - mxx + ((yy[i] as number) - myy) + C2));
      }
      return total / n;
    },
  };
}

/** Mean SSIM of two luminance planes of the same size. */
export function ssimOfPlanes(a: LumaPlane, b: LumaPlane): number {
  return ssimReference(a).compare(b);
}

/** Separable Gaussian blur in place, edges clamped. */
function blur(plane: Float32Array, scratch: Float32Array, width: number, height: number): void {
  const k = KERNEL;
  for (let row = 0; row < height; row++) {
    const base = row * width;
    for (let col = 0; col < width; col++) {
      let sum = 0;
      if (col >= RADIUS && col < width - RADIUS) {
        const at = base + col - RADIUS;
        for (let t = 0; t <= 2 * RADIUS; t++) sum += (plane[at + t] as number) * (k[t] as number);
      } else {
        for (let t = -RADIUS; t <= RADIUS; t++) {
          const c = col + t < 0 ? 0 : col + t >= width ? width - 1 : col + t;
          sum += (plane[base + c] as number) * (k[t + RADIUS] as number);
        }
      }
      scratch[base + col] = sum;
    }
  }
  for (let row = 0; row < height; row++) {
    const inside = row >= RADIUS && row < height - RADIUS;
    for (let col = 0; col < width; col++) {
      let sum = 0;
      if (inside) {
        let at = (row - RADIUS) * width + col;
        for (let t = 0; t <= 2 * RADIUS; t++, at += width) sum += (scratch[at] as number) * (k[t] as number);
      } else {
        for (let t = -RADIUS; t <= RADIUS; t++) {
          const r = row + t < 0 ? 0 : row + t >= height ? height - 1 : row + t;
          sum += (scratch[r * width + col] as number) * (k[t + RADIUS] as number);
        }
      }
      plane[row * width + col] = sum;
    }
  }
}
