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
 * Memory: libvips' operation cache is off (every miss is a different image, a cache only holds
 * memory) and one libvips worker thread per image (sharp's own default on glibc without jemalloc, and
 * what a Lambda below 1,769 MB has CPU for: a second thread measured no faster there, see
 * bench/RESULTS.md). `configureEngine` changes both, once per process.
 *
 * sharp itself (libvips, ~20 MB of native code, ~45 ms to load) is loaded on the first render or
 * inspect, not when this module is imported: image-resize answers the 200 pass-through of a derived
 * image that S3 already has without ever loading it, so a new instance starts that much faster.
 */
import type { FitEnum, Metadata, ResizeOptions, Sharp, SharpOptions } from 'sharp';
import { EdgeError } from '../../core/errors.ts';
import type { Variant } from '../../core/grammar.ts';
import { ALPHA_FORMATS, ANIMATED_FORMATS, CONTENT_TYPES } from '../../core/policy.ts';
import type { OutputFormat } from '../../core/policy.ts';
import { readCopyright } from './exif.ts';
import { checkFrames, checkJpegScans, checkOutputSize, checkSvg, checkSvgBytes, outputSize, tooCostly } from '../../core/cost.ts';
import type { CostLimits } from '../../core/cost.ts';
import { countGifFrames, countJpegScans, isGif, isJpeg, looksLikeXml, scanSvg } from './scan.ts';
import { isLossy } from '../../core/quality.ts';
import type { QualityOutcome, QualitySettings } from '../../core/quality.ts';
import { fixedEncoderQuality, renderSearched } from './quality-search.ts';

export interface RenderLimits {
  /** Pixels of one decoded frame, or of all frames when the output is animated. */
  readonly maxInputPixels: number;
  /** Bytes of the source. Callers that read the source may check first; render checks again. */
  readonly maxInputBytes?: number;
  /** Estimated peak decode memory (see DECODE_BYTES_PER_PIXEL). Absent: not checked. */
  readonly maxDecodeMegabytes?: number;
  /** The admission cost model: frames, JPEG scans, SVG complexity (functions/core/cost.ts). Absent: not checked. */
  readonly cost?: CostLimits;
}

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

/** Source formats the engine reads, as sharp names them (AVIF is sharp's `heif` with AV1 inside). */
type SourceFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'avif' | 'tiff' | 'svg';

/** What the header says about a source, read without decoding pixels. */
export interface SourceHeader {
  readonly format: SourceFormat;
  /** Displayed size (EXIF orientation applied), of one frame; for SVG, at 72 dpi. */
  readonly width: number;
  readonly height: number;
  readonly frames: number;
  readonly hasAlpha: boolean;
  readonly copyright: string | undefined;
  /** What the decoder's memory depends on: progressive JPEG / interlaced PNG, bands, sample size. */
  readonly progressive: boolean;
  readonly channels: number;
  readonly bytesPerSample: number;
  readonly chromaSubsampling: string | undefined;
}

export interface EngineSettings {
  /** libvips worker threads per image. Default 1. */
  readonly concurrency?: number;
  /** libvips operation cache. Default off. */
  readonly cache?: false | { readonly memory: number; readonly files: number; readonly items: number };
}

type SharpModule = typeof import('sharp').default;

let settingsInForce: EngineSettings = {};
let loaded: SharpModule | undefined;
let loading: Promise<SharpModule> | undefined;

function apply(sharp: SharpModule, settings: EngineSettings): void {
  sharp.concurrency(settings.concurrency ?? 1);
  sharp.cache(settings.cache ?? false);
}

/** Process-wide sharp settings, applied now if sharp is loaded, else as it loads (on first use). */
export function configureEngine(settings: EngineSettings = {}): void {
  settingsInForce = settings;
  if (loaded) apply(loaded, settings);
}

/** sharp, loaded once and configured, on first use. */
export function loadEngine(): Promise<SharpModule> {
  loading ??= import('sharp').then((module) => {
    const sharp = module.default;
    apply(sharp, settingsInForce);
    loaded = sharp;
    return sharp;
  });
  return loading;
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

/**
 * Peak decode memory per decoded pixel, in bytes, beyond what the process holds anyway: measured
 * with bench/image-engine.ts (peak RSS over a sharp-loaded baseline, one process per case) and a few
 * one-off runs, sharp 0.35.5 / libvips 8.18, one thread, cache off, rounded up. Formats that shrink
 * on load or stream their lines cost little per pixel; formats decoded whole cost a frame and more:
 *   JPEG baseline 40 MP: 33 MB, 200 MP: 37 MB     progressive 4:2:0 40 MP: 185 MB, 200 MP: 600 MB
 *   PNG 40 MP (67 MB file): 130 MB                interlaced RGBA 200 MP: 870 MB (4.3 B/px)
 *   WebP 40 MP: 25 MB    TIFF 48 MP tiled: 18 MB    SVG rasterised at 48 MP: 24 MB
 *   GIF one 48 MP frame: 258 MB (5.4 B/px)        AVIF 12 MP: 294 MB, 40 MP: 759 MB (19 B/px)
 *   animated output: about 4 B per pixel of every frame, on top of one frame's decode.
 */
function decodeBytesPerPixel(header: SourceHeader): number {
  switch (header.format) {
    case 'jpeg': {
      if (!header.progressive) return 0.5;
      // A progressive JPEG keeps every DCT coefficient (2 bytes) of every component until the end.
      const chroma = header.channels >= 4 ? 3 : header.chromaSubsampling === '4:4:4' ? 2 : header.chromaSubsampling === '4:2:2' ? 1 : 0.5;
      return 2 * (1 + chroma) + 1;
    }
    case 'png':
      return header.progressive ? header.channels * header.bytesPerSample + 0.5 : 1;
    case 'webp':
    case 'tiff':
    case 'svg':
      return 1;
    case 'gif':
      return 6;
    case 'avif':
      return 19;
  }
}

export async function render(source: Buffer, variant: Variant, options: RenderOptions): Promise<Rendered> {
  return renderInspected(source, await inspect(source, options), variant, options);
}

/**
 * render() once the header is known: the limits that depend on the variant, then one sharp pipeline.
 * For callers that hold the header already (bench/miss-path.ts's `bare` path: sharp's own work).
 */
export async function renderInspected(source: Buffer, header: SourceHeader, variant: Variant, options: RenderOptions): Promise<Rendered> {
  const started = Date.now();
  const sharp = loaded ?? (await loadEngine());
  const animated = header.frames > 1 && (header.format === 'gif' || header.format === 'webp') && ANIMATED_FORMATS.includes(variant.format);
  const frames = animated ? header.frames : 1;
  const alpha = ALPHA_FORMATS.includes(variant.format);
  const background = options.background ?? DEFAULT_BACKGROUND;

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
  // The output must fit its format (WebP and AVIF hold at most 16383/16384 per side): a 422 naming
  // the limit before any decode, never the encoder's 500.
  const out = outputSize(variant, { width, height, vector: header.format === 'svg' });
  checkOutputSize(variant.format, out.width, out.height, frames);

  const input: SharpOptions = {
    limitInputPixels: options.maxInputPixels,
    failOn: 'error',
    sequentialRead: true,
    autoOrient: true,
    ...(animated ? { animated: true } : {}),
    ...(density === undefined ? {} : { density }),
  };
  let image = sharp(source, input)
    .timeout({ seconds: Math.ceil(options.timeoutSeconds ?? options.cost?.renderSeconds ?? 0) })
    .resize({
      ...resizeOptions(variant, { width, height, vector: header.format === 'svg', animated }, alpha ? transparent(background) : background),
      ...(options.fastShrinkOnLoad === false ? { fastShrinkOnLoad: false } : {}),
    });
  if (!alpha && header.hasAlpha) image = image.flatten({ background });
  if (variant.keepCopyright && header.copyright) image = image.withExif({ IFD0: { Copyright: header.copyright } });
  try {
    if (variant.quality === 'auto' && options.quality !== undefined && isLossy(variant.format) && !animated) {
      const keep = variant.keepCopyright && header.copyright ? { IFD0: { Copyright: header.copyright } } : undefined;
      const encode = (pixels: Sharp, quality: number) => ENCODERS[variant.format](keep ? pixels.withExif(keep) : pixels, quality, false);
      return await renderSearched({ sharp, image, format: variant.format, settings: options.quality, encode, started, options });
    }
    const quality = fixedEncoderQuality(options.quality, variant.format, variant.quality);
    const { data, info } = await ENCODERS[variant.format](image, quality, animated).toBuffer({ resolveWithObject: true });
    const frameHeight = info.pageHeight ?? (animated ? Math.round(info.height / frames) : info.height);
    return { data, width: info.width, height: frameHeight, contentType: CONTENT_TYPES[variant.format], format: variant.format, frames };
  } catch (error) {
    throw classifySharpError(error);
  }
}

/** Reads the header only (no pixel decode) and refuses what the engine will not decode. */
export async function inspect(source: Buffer, limits: RenderLimits): Promise<SourceHeader> {
  if (source.byteLength === 0) throw new EdgeError('UnprocessableImage', 'The original image is empty', { detail: '0 bytes', scope: 'source' });
  if (limits.maxInputBytes !== undefined && source.byteLength > limits.maxInputBytes) {
    throw new EdgeError('SourceTooLarge', 'The original image is too large to resize', {
      detail: `${source.byteLength} bytes, the limit is ${limits.maxInputBytes}`,
      scope: 'source',
    });
  }
  // The cost model's cheap reads come before sharp: librsvg parses a whole SVG to give its size, and
  // a JPEG's scan count is only known by walking its markers.
  if (limits.cost) {
    if (looksLikeXml(source)) {
      checkSvgBytes(source.byteLength, limits.cost);
      checkSvg(scanSvg(source), limits.cost);
    } else if (isJpeg(source)) {
      checkJpegScans(countJpegScans(source), limits.cost);
    } else if (isGif(source)) {
      // libvips reads every frame of a GIF to count them: count the descriptors ourselves first.
      const frames = countGifFrames(source, limits.cost.maxFrames + 1);
      if (frames > limits.cost.maxFrames) {
        throw tooCostly(
          'The original image has too many frames to resize',
          `gif of more than ${limits.cost.maxFrames} frames, the limit is maxFrames ${limits.cost.maxFrames}`,
        );
      }
    }
  }
  const sharp = loaded ?? (await loadEngine());
  let meta: Metadata;
  try {
    // The pixel limit is checked by us below, with the frame count and a clear message.
    meta = await sharp(source, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw classifySharpError(error, 'header');
  }
  const format = sourceFormat(meta);
  // The header of a multi-frame image (read without `animated`) describes one frame or page.
  const storedWidth = meta.width;
  const storedHeight = meta.pageHeight ?? meta.height;
  if (!(storedWidth > 0 && storedHeight > 0)) {
    throw new EdgeError('UnprocessableImage', 'The original image cannot be decoded', { detail: `${format} header without a size`, scope: 'source' });
  }
  const frames = Math.max(1, meta.pages ?? 1);
  if (limits.cost) checkFrames(format, storedWidth, storedHeight, frames, false, limits.cost);
  // EXIF orientations 5-8 turn the picture a quarter: width and height swap when displayed.
  const swapped = (meta.orientation ?? 1) >= 5;
  const oneFrame = swapped ? { width: storedHeight, height: storedWidth } : { width: storedWidth, height: storedHeight };
  const pixels = oneFrame.width * oneFrame.height;
  if (format !== 'svg' && pixels > limits.maxInputPixels) {
    throw new EdgeError('SourceTooLarge', 'The original image has too many pixels to resize', {
      detail: `${format} ${oneFrame.width}x${oneFrame.height} = ${pixels} pixels, the limit is ${limits.maxInputPixels}`,
      scope: 'source',
    });
  }
  return {
    format,
    width: oneFrame.width,
    height: oneFrame.height,
    frames,
    hasAlpha: meta.hasAlpha,
    copyright: readCopyright(meta.exif),
    progressive: meta.isProgressive === true,
    channels: meta.channels,
    bytesPerSample: meta.depth === 'ushort' || meta.depth === 'short' ? 2 : meta.depth === 'float' || meta.depth === 'uint' || meta.depth === 'int' ? 4 : 1,
    chromaSubsampling: meta.chromaSubsampling,
  };
}

function sourceFormat(meta: Metadata): SourceFormat {
  switch (meta.format) {
    case 'jpeg':
    case 'png':
    case 'webp':
    case 'gif':
    case 'tiff':
    case 'svg':
      return meta.format;
    case 'heif':
      if (meta.compression === 'av1') return 'avif';
      throw new EdgeError('UnsupportedMediaType', 'The original image format is not supported', {
        detail: `heif with ${meta.compression ?? 'unknown'} compression`,
        scope: 'source',
      });
    default:
      throw new EdgeError('UnsupportedMediaType', 'The original image format is not supported', { detail: `format ${String(meta.format)}`, scope: 'source' });
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

/**
 * libvips' words for a source it cannot read, mapped to the viewer-facing error. `header`: the
 * failure came from reading the header alone (the same for every variant: a source refusal);
 * `pixels`: from decoding, resizing or encoding one variant (never remembered). Running out of
 * memory is a 503 whatever the stage: another attempt, with less else in flight, may work.
 */
export function classifySharpError(error: unknown, stage: 'header' | 'pixels' = 'pixels'): EdgeError {
  if (error instanceof EdgeError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const scope = stage === 'header' ? 'source' : 'variant';
  if (/memory allocation|out of memory|cannot allocate|bad_alloc|\bENOMEM\b/i.test(message)) {
    return new EdgeError('OriginError', 'The image could not be resized right now; try again', {
      status: 503,
      detail: message,
      cause: error,
      scope: 'transient',
    });
  }
  if (/pixel limit/i.test(message)) {
    return new EdgeError('SourceTooLarge', 'The original image has too many pixels to resize', { detail: message, cause: error, scope });
  }
  if (/unsupported image format/i.test(message)) {
    return new EdgeError('UnsupportedMediaType', 'The original image format is not supported', { detail: message, cause: error, scope });
  }
  if (/timeout/i.test(message)) {
    return new EdgeError('OriginError', 'The image took too long to resize; try again', { status: 503, detail: message, cause: error, scope: 'transient' });
  }
  // libvips' catch-all for a loader that failed without saying why (a damaged interlaced 16-bit PNG):
  // the bytes are at fault, not the service.
  if (/^unknown error$/i.test(message.trim())) {
    return new EdgeError('UnprocessableImage', 'The original image cannot be decoded', { detail: message, cause: error, scope });
  }
  if (/too large for the \w+ format/i.test(message)) {
    return new EdgeError('UnprocessableImage', 'The image is too large for the requested format; ask for a smaller size or another format', {
      detail: message,
      cause: error,
      scope: 'variant',
    });
  }
  if (/empty/i.test(message) && /input/i.test(message)) {
    return new EdgeError('UnprocessableImage', 'The original image is empty', { detail: message, cause: error, scope });
  }
  // Anything else libvips or a loader reports while reading untrusted bytes is a broken source.
  if (
    /^(vips|lib|gif|heif|tiff|svg|glib|jpeg|png|webp|input|corrupt|premature|truncat|invalid|bad |not a known|read error)/i.test(message) ||
    /corrupt|premature end|truncated|invalid|bad seek|read error|XML parse/i.test(message)
  ) {
    return new EdgeError('UnprocessableImage', 'The original image cannot be decoded', { detail: message, cause: error, scope });
  }
  return new EdgeError('InternalError', 'Internal error', { detail: message, cause: error, scope: 'transient' });
}
