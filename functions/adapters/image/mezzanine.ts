/**
 * The mezzanine's pixels (the rules are in functions/core/mezzanine.ts). The miss that makes it is
 * one the mezzanine cannot serve: its variant is rendered from the original exactly as without a
 * mezzanine (the same bytes), then the mezzanine is encoded by a second libvips pipeline: the
 * original decoded at the mezzanine's scale (JPEG shrink-on-load), resized to its size, baseline
 * JPEG, 4:4:4, no metadata (orientation applied, sRGB). A variant made later from the stored
 * mezzanine goes through the ordinary render() with the mezzanine's bytes as its source.
 *
 * One pipeline per output, not one decode into raw pixels shared by both: measured, holding a 12 MP
 * decode as raw pixels and resampling it twice took 2.5-4x the CPU of the two pipelines (libvips
 * streams a pipeline and shrinks on load; a raw buffer defeats both).
 */
import { EdgeError } from '../../core/errors.ts';
import type { Variant } from '../../core/grammar.ts';
import { makesMezzanine } from '../../core/mezzanine.ts';
import type { MezzaninePlan, MezzanineSettings } from '../../core/mezzanine.ts';
import { classifySharpError, inspect, loadEngine, renderInspected } from './render.ts';
import type { Rendered, RenderOptions } from './render.ts';

export interface MaybeMezzanine {
  readonly image: Rendered;
  /** Present when this miss made the mezzanine (see makesMezzanine in core/mezzanine.ts). */
  readonly mezzanine?: { readonly data: Buffer; readonly plan: MezzaninePlan; readonly original: { readonly width: number; readonly height: number } };
}

/**
 * What image-resize calls on a miss that read the original (and found no mezzanine): the variant,
 * and the mezzanine too when this miss is the one that makes it. One header pass either way.
 */
export async function renderMakingMezzanine(source: Buffer, variant: Variant, settings: MezzanineSettings, options: RenderOptions): Promise<MaybeMezzanine> {
  const header = await inspect(source, options);
  const image = await renderInspected(source, header, variant, options);
  const plan = makesMezzanine(header, variant, settings);
  if (!plan) return { image };
  return {
    image,
    mezzanine: { data: await encodeMezzanine(source, plan, settings.quality, options), plan, original: { width: header.width, height: header.height } },
  };
}

/** The mezzanine of `source` at `plan`'s size. */
export async function encodeMezzanine(source: Buffer, plan: MezzaninePlan, quality: number, options: RenderOptions): Promise<Buffer> {
  const sharp = await loadEngine();
  try {
    return await sharp(source, { limitInputPixels: options.maxInputPixels, failOn: 'error', sequentialRead: true, autoOrient: true })
      .timeout({ seconds: Math.ceil(options.timeoutSeconds ?? options.cost?.renderSeconds ?? 0) })
      // Exactly 1/k of a JPEG lets libjpeg decode at that scale with almost nothing left to resample.
      .resize(plan.width, plan.height, { fit: 'fill' })
      .toColourspace('srgb')
      .removeAlpha()
      .jpeg({ quality, chromaSubsampling: '4:4:4', quantisationTable: 3 })
      .toBuffer();
  } catch (error) {
    const classified = classifySharpError(error);
    throw classified instanceof EdgeError ? classified : new EdgeError('InternalError', 'Internal error', { detail: `mezzanine: ${String(error)}` });
  }
}
