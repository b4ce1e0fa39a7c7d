/**
 * The mezzanine's pixels (the rules are in functions/core/mezzanine.ts): one decode of the original,
 * held as raw pixels, from which both the mezzanine (baseline JPEG, 4:4:4, no metadata) and the
 * variant of the miss that made it are encoded. A variant made later from the stored mezzanine goes
 * through the ordinary render() with the mezzanine's bytes as its source.
 */
import { EdgeError } from '../../core/errors.ts';
import type { Variant } from '../../core/grammar.ts';
import { jpegShrink, makesMezzanine } from '../../core/mezzanine.ts';
import type { MezzaninePlan, MezzanineSettings } from '../../core/mezzanine.ts';
import { classifySharpError, inspect, loadEngine, renderInspected } from './render.ts';
import type { RawImage, Rendered, RenderOptions, SourceHeader } from './render.ts';

export interface WithMezzanine {
  readonly image: Rendered;
  readonly mezzanine: Buffer;
  readonly header: SourceHeader;
}

/**
 * Renders `variant` from `source` and makes its mezzanine from the same decode. The decode is at the
 * JPEG shrink-on-load scale the variant needs (never smaller than the mezzanine), or whole for PNG
 * and TIFF. The source's header checks (bytes, pixels, decode memory) run first, as in render().
 */
export async function renderWithMezzanine(
  source: Buffer,
  variant: Variant,
  plan: MezzaninePlan,
  quality: number,
  options: RenderOptions,
  header?: SourceHeader,
): Promise<WithMezzanine> {
  const inspected = header ?? (await inspect(source, options));
  const sharp = await loadEngine();
  // The scale the decode runs at: the variant's own JPEG shrink-on-load factor, at most the plan's.
  const shrink = inspected.format === 'jpeg' ? Math.min(plan.shrink, jpegShrink(inspected, variant)) : 1;
  const width = Math.ceil(inspected.width / shrink);
  const height = Math.ceil(inspected.height / shrink);
  let decoded: RawImage;
  try {
    let pipeline = sharp(source, { limitInputPixels: options.maxInputPixels, failOn: 'error', sequentialRead: true, autoOrient: true }).timeout({
      seconds: options.timeoutSeconds ?? 20,
    });
    // Asking for exactly 1/k lets libjpeg decode at that scale (shrink-on-load) with nothing left to resample.
    if (shrink > 1) pipeline = pipeline.resize(width, height, { fit: 'fill' });
    const { data, info } = await pipeline.toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
    decoded = { data, info: { width: info.width, height: info.height, channels: info.channels as RawImage['info']['channels'] } };
  } catch (error) {
    throw classifySharpError(error);
  }
  const rawHeader: SourceHeader = { ...inspected, width: decoded.info.width, height: decoded.info.height, frames: 1, hasAlpha: false, progressive: false };
  const makeMezzanine = async (): Promise<Buffer> => {
    let pipeline = sharp(decoded.data, { raw: decoded.info });
    if (decoded.info.width !== plan.width || decoded.info.height !== plan.height) pipeline = pipeline.resize(plan.width, plan.height, { fit: 'fill' });
    try {
      return await pipeline.jpeg({ quality, chromaSubsampling: '4:4:4', quantisationTable: 3 }).toBuffer();
    } catch (error) {
      throw new EdgeError('InternalError', 'Internal error', { detail: `mezzanine encode: ${String(error)}`, cause: error });
    }
  };
  const [image, mezzanine] = await Promise.all([renderInspected(decoded, rawHeader, variant, options), makeMezzanine()]);
  return { image, mezzanine, header: inspected };
}

export interface MaybeMezzanine {
  readonly image: Rendered;
  /** Present when this miss made the mezzanine (see makesMezzanine in core/mezzanine.ts). */
  readonly mezzanine?: { readonly data: Buffer; readonly plan: MezzaninePlan; readonly original: { readonly width: number; readonly height: number } };
}

/**
 * What image-resize calls on a miss that read the original: the variant, and the mezzanine too when
 * this miss is the one that makes it. One header pass either way.
 */
export async function renderMakingMezzanine(source: Buffer, variant: Variant, settings: MezzanineSettings, options: RenderOptions): Promise<MaybeMezzanine> {
  const header = await inspect(source, options);
  const plan = makesMezzanine(header, variant, settings);
  if (!plan) return { image: await renderInspected(source, header, variant, options) };
  const made = await renderWithMezzanine(source, variant, plan, settings.quality, options, header);
  return { image: made.image, mezzanine: { data: made.mezzanine, plan, original: { width: header.width, height: header.height } } };
}
