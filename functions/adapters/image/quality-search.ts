/**
 * `q=auto` in the image engine: from the resized pixels (the exact resize, before any encode), up to
 * `maxEncodes` encodes chosen by functions/core/quality.ts, each decoded back to luminance and
 * compared by SSIM with the resized pixels' own luminance. Pixels with alpha are compared flattened
 * onto white (what a viewer sees on a white page). For a format in `auto.proxied` the search runs
 * first in JPEG (flattened onto white likewise), and the format's own search starts from its answer.
 *
 * The render budget: before another encode, the search checks that the time left before `deadline`
 * holds one more encode as long as the last one took; if not, it stops and serves the best encode so
 * far (`budgetStopped`, which the miss's log line carries). A budget spent in JPEG still gets one
 * encode in the target format: something must be served.
 */
import type { Sharp } from 'sharp';
import { CONTENT_TYPES } from '../../core/policy.ts';
import { bestTry, encoderQuality, firstGuess, nextGuess } from '../../core/quality.ts';
import type { LossyFormat, QualityOutcome, QualitySettings, Texture } from '../../core/quality.ts';
import { lumaOfRaw, ssimReference } from './quality-ssim.ts';
import type { Rendered, RenderOptions } from './render.ts';
import type { LumaPlane } from './quality-ssim.ts';

type SharpModule = typeof import('sharp').default;

interface ResizedPixels {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 2 | 3 | 4;
}

export interface QualitySearch {
  readonly sharp: SharpModule;
  readonly pixels: ResizedPixels;
  readonly format: LossyFormat;
  readonly settings: QualitySettings;
  /** The encoder call for this format at an encoder quality (render.ts's ENCODERS entry, plus metadata). */
  readonly encode: (image: Sharp, encoderQuality: number) => Sharp;
  /**
   * The JPEG encoder (render.ts's), for formats in `auto.proxied`: their search runs first in JPEG,
   * an order of magnitude cheaper, on the same scale, then in the target format from the q JPEG needed.
   */
  readonly proxy?: (image: Sharp, encoderQuality: number) => Sharp;
  /** Epoch milliseconds after which no further encode starts; absent: no budget. */
  readonly deadline?: number;
  /** For tests and the bench: the clock. */
  readonly now?: () => number;
}

export interface Searched {
  readonly data: Buffer;
  readonly outcome: QualityOutcome;
}

/** Luminance of an encoded image, alpha flattened onto white. */
async function lumaOf(input: Sharp): Promise<LumaPlane> {
  const { data, info } = await input.raw().toBuffer({ resolveWithObject: true });
  return lumaOfRaw(data, info.width, info.height, info.channels);
}

/**
 * The first guess's input: the luma variance of every whole 8x8 block (an image under 8 px on a
 * side is one block), as the share under `flatVariance` and ln(1 + the median).
 */
export function texture(plane: LumaPlane, flatVariance: number): Texture {
  const { width, height, data } = plane;
  const side = Math.min(8, width, height);
  const bw = Math.floor(width / side);
  const bh = Math.floor(height / side);
  const variances = new Float64Array(bw * bh);
  const n = side * side;
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      let sum = 0;
      let squares = 0;
      for (let row = by * side; row < (by + 1) * side; row++) {
        const base = row * width + bx * side;
        for (let col = 0; col < side; col++) {
          const v = data[base + col] as number;
          sum += v;
          squares += v * v;
        }
      }
      variances[by * bw + bx] = squares / n - (sum / n) ** 2;
    }
  }
  if (variances.length === 0) return { flat: 1, detail: 0 };
  let flat = 0;
  for (const v of variances) if (v < flatVariance) flat++;
  variances.sort();
  const mid = variances.length >> 1;
  const median = variances.length % 2 === 1 ? (variances[mid] as number) : ((variances[mid - 1] as number) + (variances[mid] as number)) / 2;
  return { flat: flat / variances.length, detail: Math.log(1 + Math.max(0, median)) };
}

/**
 * The encoder quality of a render that does not search: a number on the policy scale, mapped; `auto`
 * where the search does not run (PNG, GIF, animations) takes `auto.unmeasured`.
 */
export function fixedEncoderQuality(settings: QualitySettings | undefined, format: string, quality: number | 'auto'): number {
  if (quality !== 'auto') return encoderQuality(settings?.scale, format, quality);
  if (settings === undefined) throw new Error('Expected images.quality (the scale and q=auto settings) in the policy for q=auto but received none');
  return encoderQuality(settings.scale, format, settings.auto.unmeasured);
}

export async function searchQuality(search: QualitySearch): Promise<Searched> {
  const { sharp, pixels, settings, format } = search;
  const now = search.now ?? Date.now;
  const raw = { raw: { width: pixels.width, height: pixels.height, channels: pixels.channels } };
  const reference = lumaOfRaw(pixels.data, pixels.width, pixels.height, pixels.channels);
  const measure = ssimReference(reference);
  const auto = settings.auto;
  let budgetStopped = false;

  /** One search in one encoder, from `first`; each encode after the first only while the budget holds it. */
  const run = async (target: LossyFormat, encode: (image: Sharp, encoderQuality: number) => Sharp, first: number) => {
    const tries: { quality: number; ssim: number; data: Buffer; encoderQuality: number }[] = [];
    let quality: number | undefined = first;
    while (quality !== undefined) {
      const started = now();
      const encoder = encoderQuality(settings.scale, target, quality);
      const data = await encode(sharp(pixels.data, raw), encoder).toBuffer();
      const ssim = measure.compare(await lumaOf(sharp(data)));
      tries.push({ quality, ssim, data, encoderQuality: encoder });
      const next = nextGuess(auto, tries);
      const at = now();
      // Room for one more encode as long as this one took, or serve the best so far.
      if (next !== undefined && (budgetStopped || (search.deadline !== undefined && at + (at - started) > search.deadline))) {
        budgetStopped = true;
        break;
      }
      quality = next;
    }
    return tries;
  };

  let first = firstGuess(auto, texture(reference, auto.estimate.flatVariance));
  let proxyEncodes = 0;
  if (search.proxy !== undefined && auto.proxied.includes(format)) {
    // JPEG, flattened onto white as the measure sees it, finds the q; the target format starts there.
    const proxy = search.proxy;
    const flat = (image: Sharp, encoder: number) => proxy(pixels.channels % 2 === 0 ? image.flatten({ background: '#ffffff' }) : image, encoder);
    const proxyTries = await run('jpg', flat, first);
    proxyEncodes = proxyTries.length;
    first = bestTry(auto.target, proxyTries).quality;
  }
  // After the budget stopped the proxy, one encode in the target format: something must be served.
  const tries = await run(format, search.encode, first);
  const best = bestTry(auto.target, tries);
  return {
    data: best.data,
    outcome: {
      ssim: Math.floor(best.ssim * 10_000) / 10_000,
      quality: best.quality,
      encoderQuality: best.encoderQuality,
      encodes: tries.length,
      proxyEncodes,
      reached: best.ssim >= auto.target,
      budgetStopped,
    },
  };
}

/**
 * render()'s q=auto path: the pipeline (decode, resize, flatten) to raw pixels, the search, the
 * render budget from the time render started (the options' timeout, else the cost model's).
 */
export async function renderSearched(args: {
  readonly sharp: SharpModule;
  readonly image: Sharp;
  readonly format: LossyFormat;
  readonly settings: QualitySettings;
  readonly encode: (image: Sharp, encoderQuality: number) => Sharp;
  readonly proxy: (image: Sharp, encoderQuality: number) => Sharp;
  readonly started: number;
  readonly options: RenderOptions;
}): Promise<Rendered> {
  const budget = args.options.timeoutSeconds ?? args.options.cost?.renderSeconds;
  const { data, info } = await args.image.raw().toBuffer({ resolveWithObject: true });
  const found = await searchQuality({
    sharp: args.sharp,
    pixels: { data, width: info.width, height: info.height, channels: info.channels },
    format: args.format,
    settings: args.settings,
    encode: args.encode,
    proxy: args.proxy,
    ...(budget ? { deadline: args.started + budget * 1000 } : {}),
  });
  const { width, height } = info;
  return { data: found.data, width, height, contentType: CONTENT_TYPES[args.format], format: args.format, frames: 1, quality: found.outcome };
}
