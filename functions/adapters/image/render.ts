/**
 * The image engine: the only place that calls sharp. Used by image-resize (origin-response) and by
 * the HTTP image origin; everything it needs comes in as arguments.
 *
 * Order of work, cheapest refusal first:
 *   1. bytes: empty -> 422, over `maxInputBytes` -> 413 (no parsing at all);
 *   2. header (sharp `metadata()` reads the header, never the pixels): an unknown or unsupported
 *      format -> 415, a corrupt header -> 422, more pixels than `maxInputPixels` (all frames when
 *      the output is animated) or an estimated decode memory over `maxDecodeMegabytes` -> 413, so
 *      a 50000x50000 PNG, a 1,000-frame GIF or a 100 MP AVIF is refused before any decode;
 *   3. decode with the same pixel limit enforced by libvips, sequential read, shrink-on-load (JPEG
 *      and WebP decode straight at 1/2, 1/4 or 1/8 scale), `failOn: 'error'` (truncated data -> 422),
 *      and a processing timeout below the function's;
 *   4. auto-rotate by EXIF, convert to sRGB from the embedded ICC profile (Display P3, Adobe RGB,
 *      CMYK), resize (see `resizeOptions`), flatten alpha onto the background for JPEG;
 *   5. encode with no metadata at all (sharp writes none unless asked), or only the EXIF Copyright
 *      when the variant keeps it.
 *
 * The parts: sharp's loading and settings (engine.ts), the header read and its refusals
 * (inspect.ts), libvips' errors in the viewer's words (sharp-errors.ts), the cost model's cheap
 * scans (scan.ts); this file plans the render from the header and the variant, and runs it.
 */
import type { FitEnum, ResizeOptions, Sharp, SharpOptions } from 'sharp';
import { checkFrames, checkOutputSize, checkSvgFilterPixels, estimateRenderMs, filterPixels, outputSize } from '../../core/cost.ts';
import { EdgeError } from '../../core/errors.ts';
import type { Variant } from '../../core/grammar.ts';
import { ALPHA_FORMATS, ANIMATED_FORMATS, CONTENT_TYPES } from '../../core/policy.ts';
import type { OutputFormat } from '../../core/policy.ts';
import { loadEngine } from './engine.ts';
import { decodeBytesPerPixel, inspect } from './inspect.ts';
import type { RenderLimits, SourceHeader } from './inspect.ts';
import { classifySharpError } from './sharp-errors.ts';
import { isLossy } from '../../core/quality.ts';
import type { QualityOutcome, QualitySettings } from '../../core/quality.ts';
import { fixedEncoderQuality, renderSearched } from './quality-search.ts';

export { configureEngine, loadEngine } from './engine.ts';
export { inspect } from './inspect.ts';
export { classifySharpError } from './sharp-errors.ts';

export interface RenderOptions extends RenderLimits {
  /** `#rrggbb` under transparent pixels in JPEG, and the letterbox of `contain` in JPEG. Default white. */
  readonly background?: string;
  /**
   * libvips stops and the render fails (503, not cached) after this long; absent: the cost model's
   * renderSeconds (images.limits.cost in infra/distribution.ts), else no limit.
   */
  readonly timeoutSeconds?: number;
  /**
   * sharp's `fastShrinkOnLoad` (default true): shrink a JPEG on load as far as the output allows. Off
   * for a mezzanine, whose pixels were shrunk on load once already: a second DCT-domain shrink would
   * alias (SSIM 0.983 instead of 0.997 against the exact rendering of a 128x128, measured).
   */
  readonly fastShrinkOnLoad?: boolean;
  /** The quality scale and `q=auto` (images.quality): absent, q goes to the encoder as it is and q=auto fails. */
  readonly quality?: QualitySettings;
}

export interface Rendered {
  readonly data: Buffer;
  readonly width: number;
  /** Height of one frame. */
  readonly height: number;
  readonly contentType: string;
  /** Optional for renderers written before formats and animation (test doubles); render() sets both. */
  readonly format?: OutputFormat;
  /** 1 for a still image. */
  readonly frames?: number;
  /** What a `q=auto` search reached (absent for a fixed q). */
  readonly quality?: QualityOutcome;
}

const DEFAULT_BACKGROUND = '#ffffff';
/** SVG is rasterised at the density that fits the box; libvips accepts 1 to 100000 dpi. */
const SVG_BASE_DENSITY = 72;

// Effort settings chosen for an edge miss: near-default size at a fraction of the time (measured by
// bench/miss-path.ts against sharp's defaults; bench/RESULTS.md has the figures). AVIF at effort 2
// is ~10x faster than the default 4 for ~5% more bytes. JPEG is libjpeg-turbo's fast path (baseline,
// optimised Huffman tables) with mozjpeg's quantisation table (3), so a quality number means what it
// meant with mozjpeg; trellis quantisation and scan optimisation are off: at 1200x630 they took 5-7x
// the encode time (~40 ms) for 3-5% fewer bytes at equal SSIM, and progressive scans +17% for ~2%.
// 4:4:4 chroma from q90 up.
const ENCODERS: Record<OutputFormat, (image: Sharp, quality: number, animated: boolean) => Sharp> = {
  avif: (image, quality) => image.avif({ quality, effort: 2 }),
  webp: (image, quality, animated) => image.webp({ quality, effort: animated ? 2 : 3 }),
  jpg: (image, quality) => image.jpeg({ quality, quantisationTable: 3, chromaSubsampling: quality >= 90 ? '4:4:4' : '4:2:0' }),
  png: (image) => image.png({ compressionLevel: 8, adaptiveFiltering: false }),
  // GIF at effort 1-3 is 3x faster than the default 7 for ~7% more bytes; animations also allow a
  // small inter-frame error, ~30% smaller (see bench/image-engine.ts).
  gif: (image, _quality, animated) => image.gif(animated ? { effort: 1, interFrameMaxError: 8 } : { effort: 3 }),
};

export async function render(source: Buffer, variant: Variant, options: RenderOptions): Promise<Rendered> {
  return renderInspected(source, await inspect(source, options), variant, options);
}

/**
 * render() once the header is known: the limits that depend on the variant, then one sharp pipeline.
 * For callers that hold the header already (bench/miss-path.ts's `bare` path: sharp's own work).
 */
export async function renderInspected(source: Buffer, header: SourceHeader, variant: Variant, options: RenderOptions): Promise<Rendered> {
  return renderPlanned(source, header, planRender(header, variant, options), variant, options);
}

/** What render() will do, decided from the header and the variant before any pixel is decoded. */
export interface RenderPlan {
  readonly animated: boolean;
  readonly frames: number;
  /** The density an SVG is rasterised at. */
  readonly density: number | undefined;
  /** The size decoded (for SVG: rasterised) before the resize, one frame. */
  readonly width: number;
  readonly height: number;
  /** The expected time on one core (functions/core/cost.ts estimateRenderMs): the budget scales from it. */
  readonly estimateMs: number;
}

/**
 * The limits that depend on the variant (pixels and decode memory at the size decoded, an
 * animation's frames, an SVG's filters at the size it is drawn, the output format's maximum), and
 * the plan of the render: all before any decode.
 */
export function planRender(header: SourceHeader, variant: Variant, options: RenderOptions): RenderPlan {
  const animated = header.frames > 1 && (header.format === 'gif' || header.format === 'webp') && ANIMATED_FORMATS.includes(variant.format);
  const frames = animated ? header.frames : 1;

  // SVG is vector: rasterise it at the size the box needs, so it is never enlarged as pixels.
  let density: number | undefined;
  let width = header.width;
  let height = header.height;
  if (header.format === 'svg') {
    const scale = svgScale(header, variant);
    density = Math.min(100_000, Math.max(1, SVG_BASE_DENSITY * scale));
    width = Math.max(1, Math.round((header.width * density) / SVG_BASE_DENSITY));
    height = Math.max(1, Math.round((header.height * density) / SVG_BASE_DENSITY));
  }
  const described = `${header.format} ${width}x${height}${frames > 1 ? ` x ${frames} frames` : ''}`;
  const pixels = width * height * frames;
  if (pixels > options.maxInputPixels) {
    throw new EdgeError('SourceTooLarge', 'The original image has too many pixels to resize', {
      detail: `${described} = ${pixels} pixels, the limit is ${options.maxInputPixels}`,
      scope: 'variant',
    });
  }
  if (options.maxDecodeMegabytes !== undefined) {
    const megabytes = Math.ceil((width * height * decodeBytesPerPixel(header) + (animated ? pixels * 4 : 0)) / 1e6);
    if (megabytes > options.maxDecodeMegabytes) {
      throw new EdgeError('SourceTooLarge', 'The original image needs too much memory to resize', {
        detail: `${described} (${header.progressive ? 'progressive/interlaced ' : ''}${header.format}) needs about ${megabytes} MB to decode, the limit is ${options.maxDecodeMegabytes} MB`,
        scope: 'variant',
      });
    }
  }

  if (options.cost && animated) checkFrames(header.format, width, height, frames, true, options.cost);
  // An SVG's filters cost in proportion to the pixels they are drawn on: known only now.
  if (options.cost && header.svgFilterWork) checkSvgFilterPixels(header.svgFilterWork, width, height, options.cost);
  // The output must fit its format (WebP and AVIF hold at most 16383/16384 per side): a 422 naming
  // the limit before any decode, never the encoder's 500.
  const out = outputSize(variant, { width, height, vector: header.format === 'svg' });
  checkOutputSize(variant.format, out.width, out.height, frames);
  const estimateMs = estimateRenderMs({
    format: header.format,
    sourcePixels: width * height,
    frames,
    outputPixels: out.width * out.height,
    outputFormat: variant.format,
    ...(header.svgFilterWork ? { filterPixels: filterPixels(header.svgFilterWork, width, height) } : {}),
  });
  return { animated, frames, density, width, height, estimateMs };
}

/** The sharp input options of a planned render. */
function inputOptions(plan: RenderPlan, options: RenderOptions): SharpOptions {
  return {
    limitInputPixels: options.maxInputPixels,
    failOn: 'error',
    sequentialRead: true,
    autoOrient: true,
    ...(plan.animated ? { animated: true } : {}),
    ...(plan.density === undefined ? {} : { density: plan.density }),
  };
}

/** The render of a plan: one sharp pipeline from the source's bytes. */
export async function renderPlanned(source: Buffer, header: SourceHeader, plan: RenderPlan, variant: Variant, options: RenderOptions): Promise<Rendered> {
  const sharp = await loadEngine();
  return encodeVariant(sharp(source, inputOptions(plan, options)), header, plan, variant, options);
}

/**
 * The resize and the encode of a variant on a pipeline that reads the source: the source's bytes
 * (renderPlanned) or its pixels already decoded (the mezzanine's maker, mezzanine.ts).
 */
export async function encodeVariant(input: Sharp, header: SourceHeader, plan: RenderPlan, variant: Variant, options: RenderOptions): Promise<Rendered> {
  const started = Date.now();
  const { animated, frames, width, height } = plan;
  const alpha = ALPHA_FORMATS.includes(variant.format);
  const background = options.background ?? DEFAULT_BACKGROUND;
  let image = input.timeout({ seconds: Math.ceil(options.timeoutSeconds ?? options.cost?.renderSeconds ?? 0) }).resize({
    ...resizeOptions(variant, { width, height, vector: header.format === 'svg', animated }, alpha ? transparent(background) : background),
    ...(options.fastShrinkOnLoad === false ? { fastShrinkOnLoad: false } : {}),
  });
  if (!alpha && header.hasAlpha) image = image.flatten({ background });
  if (variant.keepCopyright && header.copyright) image = image.withExif({ IFD0: { Copyright: header.copyright } });
  try {
    if (variant.quality === 'auto' && options.quality !== undefined && isLossy(variant.format) && !animated) {
      const keep = variant.keepCopyright && header.copyright ? { IFD0: { Copyright: header.copyright } } : undefined;
      const encode = (pixels: Sharp, quality: number) => ENCODERS[variant.format](keep ? pixels.withExif(keep) : pixels, quality, false);
      const proxy = (pixels: Sharp, quality: number) => ENCODERS.jpg(pixels, quality, false);
      return await renderSearched({ sharp: await loadEngine(), image, format: variant.format, settings: options.quality, encode, proxy, started, options });
    }
    const quality = fixedEncoderQuality(options.quality, variant.format, variant.quality);
    const { data, info } = await ENCODERS[variant.format](image, quality, animated).toBuffer({ resolveWithObject: true });
    const frameHeight = info.pageHeight ?? (animated ? Math.round(info.height / frames) : info.height);
    return { data, width: info.width, height: frameHeight, contentType: CONTENT_TYPES[variant.format], format: variant.format, frames };
  } catch (error) {
    throw classifySharpError(error);
  }
}

/** How much an SVG (size at 72 dpi) must be scaled to fill the box the way the fit asks. */
function svgScale(header: SourceHeader, variant: Variant): number {
  const sx = variant.width / header.width;
  if (variant.height === undefined) return sx;
  const sy = variant.height / header.height;
  return variant.fit === 'inside' || variant.fit === 'contain' ? Math.min(sx, sy) : Math.max(sx, sy);
}

// sharp.strategy.entropy and .attention, by the names sharp also accepts (no sharp needed to say them).
const STRATEGIES = { entropy: 'entropy', attention: 'attention' } as const;

/**
 * The resize, never enlarging unless the variant says so. For `inside` and `outside` sharp's
 * `withoutEnlargement` already does the right thing. For the box-shaped fits it would give up the
 * box's aspect ratio (a 100x50 source "covering" 128x128 would stay 100x50), so the box shrinks
 * instead, keeping its aspect ratio, until the source no longer needs enlarging:
 *   cover, fill: the largest box of that aspect inside the source (a 100x50 source -> a 50x50 crop);
 *   contain:     the smallest box of that aspect around the source (100x50 -> 100x100, letterboxed).
 * An SVG is rasterised at the box's size, so it never needs this.
 */
function resizeOptions(
  variant: Variant,
  source: { readonly width: number; readonly height: number; readonly vector: boolean; readonly animated: boolean },
  background: string | { r: number; g: number; b: number; alpha: number },
): ResizeOptions {
  // sharp cannot pick an entropy or attention crop across the frames of an animation: centre there.
  const position = variant.fit === 'cover' && variant.position && !source.animated ? STRATEGIES[variant.position] : 'centre';
  if (variant.height === undefined) return { width: variant.width, fit: 'inside', withoutEnlargement: !variant.enlarge && !source.vector };
  const fit: keyof FitEnum = variant.fit;
  if (variant.enlarge || source.vector || fit === 'inside' || fit === 'outside') {
    return { width: variant.width, height: variant.height, fit, position, background, withoutEnlargement: !variant.enlarge && !source.vector };
  }
  const rx = source.width / variant.width;
  const ry = source.height / variant.height;
  const scale = Math.min(1, fit === 'contain' ? Math.max(rx, ry) : Math.min(rx, ry));
  const width = Math.max(1, Math.round(variant.width * scale));
  const height = Math.max(1, Math.round(variant.height * scale));
  return {
    width: fit === 'contain' ? width : Math.min(width, source.width),
    height: fit === 'contain' ? height : Math.min(height, source.height),
    fit,
    position,
    background,
  };
}

function transparent(hex: string): { r: number; g: number; b: number; alpha: number } {
  const value = Number.parseInt(hex.slice(1), 16);
  return { r: (value >> 16) & 255, g: (value >> 8) & 255, b: value & 255, alpha: 0 };
}
