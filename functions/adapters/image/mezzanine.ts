/**
 * The mezzanine's pixels (the rules are in functions/core/mezzanine.ts). The miss that makes it is
 * one the mezzanine cannot serve (one of the largest variants). It decodes the original once, and
 * resizes it once to the larger of what the variant needs and the mezzanine's size, as raw pixels;
 * both outputs are made from those:
 *   - when the variant needs at least the mezzanine's pixels (the usual case): the raw pixels are
 *     the direct path's own resize before its crop (the same shrink-on-load and kernel), so the
 *     variant is the direct path's image; the mezzanine is resized from them;
 *   - otherwise the raw pixels are the mezzanine, and the variant is resized from them (by less
 *     than the detail margin, 1.5); when the variant needs just under the mezzanine's pixels (by at
 *     most MADE_AT_VARIANT_SIZE), the raw pixels are the variant's own resize and the mezzanine is
 *     made at that size: one resize fewer.
 * The mezzanine is baseline JPEG, 4:4:4, standard Huffman tables, no metadata (orientation
 * applied, sRGB). sharp picks the JPEG shrink-on-load itself, and never at exactly the scale asked (its pipeline halves a shrink
 * that is a whole 2, 4 or 8, for libjpeg's rounding), so asking for exactly 1/k of a JPEG decodes
 * at 1/(k/2) and resamples. Measured by bench/responsive-set.ts (section `set`): the making miss
 * against the direct path. A variant made later from the stored mezzanine goes through the ordinary
 * render() with the mezzanine's bytes as its source.
 */
import { outputSize } from '../../core/cost.ts';
import type { Variant } from '../../core/grammar.ts';
import { MADE_AT_VARIANT_SIZE, makesMezzanine } from '../../core/mezzanine.ts';
import type { MezzaninePlan, MezzanineSettings } from '../../core/mezzanine.ts';
import { loadEngine } from './engine.ts';
import { inspect } from './inspect.ts';
import type { SourceHeader } from './inspect.ts';
import { encodeVariant, planRender, renderPlanned } from './render.ts';
import type { RenderOptions, RenderPlan, Rendered } from './render.ts';
import { classifySharpError } from './sharp-errors.ts';

export interface MaybeMezzanine {
  readonly image: Rendered;
  /** Present when this miss made the mezzanine (see makesMezzanine in core/mezzanine.ts). */
  readonly mezzanine?: { readonly data: Buffer; readonly plan: MezzaninePlan; readonly original: { readonly width: number; readonly height: number } };
}

/** A miss that may make the mezzanine: the variant's plan, and the mezzanine's when this miss makes it. */
interface MezzanineJobPlan {
  readonly render: RenderPlan;
  readonly mezzanine: MezzaninePlan | undefined;
  /** The variant's estimate plus the mezzanine's encode: what the budget scales from. */
  readonly estimateMs: number;
}

/** The mezzanine's q95 4:4:4 encode with standard Huffman tables, per megapixel (measured ~4 ms, with margin). */
const MEZZANINE_MS_PER_MP = 15;

export function planMezzanineJob(header: SourceHeader, variant: Variant, settings: MezzanineSettings, options: RenderOptions): MezzanineJobPlan {
  const render = planRender(header, variant, options);
  const mezzanine = makesMezzanine(header, variant, settings);
  const extra = mezzanine ? Math.ceil((MEZZANINE_MS_PER_MP * mezzanine.width * mezzanine.height) / 1e6) : 0;
  return { render, mezzanine, estimateMs: render.estimateMs + extra };
}

/**
 * What image-resize calls on a miss that read the original (and found no mezzanine): the variant,
 * and the mezzanine too when this miss is the one that makes it, from one decode.
 */
export async function renderMakingMezzanine(source: Buffer, variant: Variant, settings: MezzanineSettings, options: RenderOptions): Promise<MaybeMezzanine> {
  const header = await inspect(source, options);
  return renderMezzanineJob(source, header, planMezzanineJob(header, variant, settings, options), variant, settings, options);
}

/**
 * The size of the one resize of the original: the larger of what the variant needs and the
 * mezzanine; the variant's own when it is just under the mezzanine's (MADE_AT_VARIANT_SIZE), which
 * is then the size the mezzanine is made at.
 */
function sharedSize(header: SourceHeader, variant: Variant, mezzanine: MezzaninePlan): { width: number; height: number; isMezzanine: boolean } {
  const out = outputSize(variant, { width: header.width, height: header.height, vector: false });
  // The scale the direct path resizes by before it crops (cover fills the box in both directions).
  const need = Math.min(1, Math.max(out.width / header.width, out.height / header.height));
  const own = Math.max(mezzanine.width / header.width, mezzanine.height / header.height);
  const needed = { width: Math.max(1, Math.round(header.width * need)), height: Math.max(1, Math.round(header.height * need)) };
  if (need >= own) return { ...needed, isMezzanine: false };
  if (need * MADE_AT_VARIANT_SIZE >= own) return { ...needed, isMezzanine: true };
  return { width: mezzanine.width, height: mezzanine.height, isMezzanine: true };
}

export async function renderMezzanineJob(
  source: Buffer,
  header: SourceHeader,
  plan: MezzanineJobPlan,
  variant: Variant,
  settings: MezzanineSettings,
  options: RenderOptions,
): Promise<MaybeMezzanine> {
  const mezzanine = plan.mezzanine;
  if (!mezzanine) return { image: await renderPlanned(source, header, plan.render, variant, options) };
  const sharp = await loadEngine();
  const timeout = { seconds: Math.ceil(options.timeoutSeconds ?? options.cost?.renderSeconds ?? 0) };
  const shared = sharedSize(header, variant, mezzanine);
  let decoded: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    decoded = await sharp(source, { limitInputPixels: options.maxInputPixels, failOn: 'error', sequentialRead: true, autoOrient: true })
      .timeout(timeout)
      .resize(shared.width, shared.height, { fit: 'fill' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw classifySharpError(error);
  }
  const raw = { raw: { width: decoded.info.width, height: decoded.info.height, channels: decoded.info.channels as 3 } };
  const fromPixels = () => sharp(decoded.data, raw);
  const encodeMezzanine = async () => {
    try {
      const pixels = fromPixels().timeout(timeout);
      return await (shared.isMezzanine ? pixels : pixels.resize(mezzanine.width, mezzanine.height, { fit: 'fill' }))
        .jpeg({ quality: settings.quality, chromaSubsampling: '4:4:4', quantisationTable: 3, optimiseCoding: false })
        .toBuffer();
    } catch (error) {
      throw classifySharpError(error);
    }
  };
  // The variant's resize is planned on the original's displayed size and reads the shared pixels:
  // sharp resizes by what is left of the scale (nothing but the crop, in the usual case).
  const [image, data] = await Promise.all([encodeVariant(fromPixels(), header, plan.render, variant, options), encodeMezzanine()]);
  // Its size as made (the plan's, or the variant's just under it), recorded with it.
  const made = shared.isMezzanine ? { ...mezzanine, width: shared.width, height: shared.height } : mezzanine;
  return { image, mezzanine: { data, plan: made, original: { width: header.width, height: header.height } } };
}
