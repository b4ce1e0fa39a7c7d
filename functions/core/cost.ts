/**
 * The admission cost model: what one render of a source may cost, decided from facts read before any
 * pixel is decoded (the header, a walk over the JPEG markers, a scan of the SVG text). Pure: no sharp.
 *
 * The pixel, byte and decode-memory limits (policy.limits) bound one frame's size; they let through
 * sources whose cost is in the work per pixel, not the pixel count: a progressive JPEG repeating its
 * scans (each scan is a pass over every coefficient), an animation of hundreds of frames (each is
 * decoded, resized and encoded), an SVG whose `<use>` references fan out to millions of blurred
 * shapes, or whose header alone takes librsvg seconds to parse. Each gets a limit of its own here,
 * and every output format's own maximum dimensions are checked before encoding, so that a variant
 * the format cannot hold is a 422 naming the limit, never a 500 from the encoder.
 *
 * Refusals: 413 (SourceTooLarge) when the source is too costly, 422 (UnprocessableImage) when the
 * output cannot be written in that format. Both are deterministic: the same source always gets the
 * same answer, so it is remembered (see functions/core/refusal.ts).
 */
import { EdgeError } from './errors.ts';
import type { OutputFormat } from './policy.ts';

interface SvgLimits {
  /** Bytes of the SVG text: librsvg builds a tree of every element before it knows the size. */
  readonly maxBytes: number;
  /** Elements in the text. */
  readonly maxElements: number;
  /** Elements drawn once every `<use>` is expanded (references of references multiply). */
  readonly maxRenderedElements: number;
  /** Filter primitives (`<fe...>`) in the text. */
  readonly maxFilterPrimitives: number;
  /** Filtered drawings once every `<use>` is expanded: each is a blur or a convolution over pixels. */
  readonly maxFilteredRenders: number;
  /**
   * Filter work once every `<use>` is expanded: over every filtered drawing, the weights of its
   * filter's primitives (FILTER_WEIGHTS: a blur is 1, a morphology 12, a turbulence 1 per octave)
   * times the share of the canvas the filter's region covers (1 when not known from attributes).
   * Read from the text alone, whatever size is asked.
   */
  readonly maxFilterWork: number;
  /**
   * The filter work over the pixels it is drawn on: filter work x rendered pixels x
   * max(1, rendered pixels / 1 MP) (librsvg computes a filter over its whole region, and above about
   * a megapixel its time per pixel grows with the size). Depends on the size asked.
   */
  readonly maxFilterPixels: number;
  /** Element nesting depth. */
  readonly maxDepth: number;
  /** Bytes of embedded `data:` URIs (images librsvg decodes with its own loaders). */
  readonly maxEmbeddedBytes: number;
}

export interface CostLimits {
  /**
   * Wall-clock seconds of one render, header read included: sharp's timeout everywhere, and in the
   * long-running servers the point at which the render's process is killed (infra/render/pool.ts).
   */
  readonly renderSeconds: number;
  /**
   * The budget of one render scaled by its estimate (estimateRenderMs): `estimateMargin` times the
   * estimate, at least `minRenderSeconds`, at most `renderSeconds`. A render killed there is a 503.
   * Absent: every render gets renderSeconds.
   */
  readonly minRenderSeconds?: number;
  readonly estimateMargin?: number;
  /** Frames of an animated source (GIF, WebP). */
  readonly maxFrames: number;
  /** Pixels over all frames when an animation is written animated. */
  readonly maxAnimatedPixels: number;
  /** Scans (SOS markers) of a JPEG. */
  readonly maxJpegScans: number;
  readonly svg: SvgLimits;
}

/**
 * What each output format can hold, per side of one frame, in pixels. An animation is encoded from
 * one tall image of stacked frames, but each format's limit is on its canvas, one frame (measured:
 * sharp writes 5 frames of 16000x16000 as WebP, and refuses 17000x17000).
 *   WebP: 14-bit dimensions, 16383 (https://developers.google.com/speed/webp/faq#what_is_the_maximum_size_a_webp_image_can_be);
 *   AVIF: libvips and sharp refuse HEIF output over 16384 per side (sharp's changelog, 0.33: "Limit
 *         HEIF output dimensions to 16384x16384, matches libvips"), what browsers display;
 *   JPEG: 16-bit dimensions, and libjpeg's JPEG_MAX_DIMENSION of 65500;
 *   GIF:  16-bit dimensions, 65535;
 *   PNG:  31 bits in the format; libvips' own limit on an image side is 10,000,000.
 */
export const OUTPUT_MAX_SIDE: Readonly<Record<OutputFormat, number>> = {
  webp: 16_383,
  avif: 16_384,
  jpg: 65_500,
  gif: 65_535,
  png: 10_000_000,
};

/** A 413 for a costly source; `scope` absent: decided from the source alone (a source refusal). */
export function tooCostly(publicMessage: string, detail: string, scope?: 'variant'): EdgeError {
  return new EdgeError('SourceTooLarge', publicMessage, { detail, scope: scope || 'source' });
}

/** Frame count and pixels over all frames; `animated` when the output keeps every frame. */
export function checkFrames(format: string, width: number, height: number, frames: number, animated: boolean, limits: CostLimits): void {
  if (frames > limits.maxFrames) {
    throw tooCostly('The original image has too many frames to resize', `${format} of ${frames} frames, the limit is maxFrames ${limits.maxFrames}`);
  }
  const total = width * height * frames;
  if (animated && total > limits.maxAnimatedPixels) {
    throw tooCostly(
      'The original animation has too many pixels to resize',
      `${format} ${width}x${height} x ${frames} frames = ${total} pixels, the limit is maxAnimatedPixels ${limits.maxAnimatedPixels}`,
      'variant',
    );
  }
}

export function checkJpegScans(scans: number, limits: CostLimits): void {
  if (scans > limits.maxJpegScans) {
    throw tooCostly('The original image has too many progressive scans to resize', `jpeg of ${scans} scans, the limit is maxJpegScans ${limits.maxJpegScans}`);
  }
}

/** What a cheap scan of an SVG's text found (see functions/adapters/image/scan.ts). */
export interface SvgStats {
  readonly bytes: number;
  readonly elements: number;
  readonly renderedElements: number;
  readonly filterPrimitives: number;
  readonly filteredRenders: number;
  /** Weighted filter primitives over every filtered drawing, `<use>` expanded (see FILTER_WEIGHTS). */
  readonly filterWork: number;
  readonly depth: number;
  readonly embeddedBytes: number;
  /** A `<!DOCTYPE` with an internal subset or `<!ENTITY`: entity expansion, refused outright. */
  readonly entities: boolean;
  /** A `<use>` that refers (through others) to itself. */
  readonly cycle: boolean;
}

export function checkSvgBytes(bytes: number, limits: CostLimits): void {
  if (bytes > limits.svg.maxBytes)
    throw tooCostly('The original SVG is too large to render', `svg of ${bytes} bytes, the limit is svg.maxBytes ${limits.svg.maxBytes}`);
}

export function checkSvg(stats: SvgStats, limits: CostLimits): void {
  const svg = limits.svg;
  checkSvgBytes(stats.bytes, limits);
  if (stats.entities)
    throw new EdgeError('UnprocessableImage', 'The original SVG declares entities, which are not rendered', {
      detail: 'svg with <!ENTITY or an internal DTD subset',
      scope: 'source',
    });
  if (stats.cycle) throw new EdgeError('UnprocessableImage', 'The original SVG refers to itself', { detail: 'svg <use> cycle', scope: 'source' });
  const checks: [number, number, string][] = [
    [stats.elements, svg.maxElements, 'svg.maxElements'],
    [stats.depth, svg.maxDepth, 'svg.maxDepth'],
    [stats.filterPrimitives, svg.maxFilterPrimitives, 'svg.maxFilterPrimitives'],
    [stats.embeddedBytes, svg.maxEmbeddedBytes, 'svg.maxEmbeddedBytes'],
    [stats.renderedElements, svg.maxRenderedElements, 'svg.maxRenderedElements'],
    [stats.filteredRenders, svg.maxFilteredRenders, 'svg.maxFilteredRenders'],
    [stats.filterWork, svg.maxFilterWork, 'svg.maxFilterWork'],
  ];
  // forEach, not for-of with destructuring: grammar.ts imports this file, and grammar.ts is also
  // compiled to CloudFront Functions (whose runtime has neither).
  checks.forEach((check) => {
    const value = check[0];
    const limit = check[1];
    const name = check[2];
    if (value > limit) throw tooCostly('The original SVG is too complex to render', `svg ${name.slice(4)} ${value}, the limit is ${name} ${limit}`);
  });
}

/**
 * What one filter primitive costs per pixel of its region, in units of a Gaussian blur (librsvg's
 * box-blur approximation: its time hardly depends on stdDeviation). Measured with sharp 0.35.5 /
 * librsvg through libvips at 256 to 2048 px, filter regions covering the canvas, on a shared 2-core
 * machine (time per primitive per pixel, relative to the blur's 4-25 MP/s):
 *   feMorphology 5-30 (0.3 MP/s, about the same for any radius from 2 px)
 *   feTurbulence 0.6 per octave (numOctaves 1: 4.6 MP/s at 1024 px; 8 and 10 octaves: 5-9x that)
 *   feConvolveMatrix order 3: 5, order 9: 15     feDiffuseLighting 1.5
 *   feFlood 0.05; offsets, merges, composites and colour matrices are per-pixel arithmetic: 0.25
 * Rounded up. Elements that are parts of a primitive (feMergeNode, feFuncR, the light sources) cost
 * nothing of their own.
 */
export const FILTER_WEIGHTS = {
  blur: 1,
  /** feDropShadow: a blur, an offset and a merge. */
  dropShadow: 1.5,
  morphology: 12,
  turbulencePerOctave: 1,
  lighting: 2,
  /** feConvolveMatrix: 1 + half a unit per kernel tap (orderX x orderY). */
  convolvePerTap: 0.5,
  /** An unknown filter, or a CSS filter function (blur(), drop-shadow(), ...): a blur. */
  other: 1,
  arithmetic: 0.25,
} as const;

const PRIMITIVE_PARTS: readonly string[] = ['feMergeNode', 'feFuncR', 'feFuncG', 'feFuncB', 'feFuncA', 'feDistantLight', 'fePointLight', 'feSpotLight'];

/** The weight of one filter primitive (`local` is its element name without a prefix). */
export function filterPrimitiveWeight(local: string, attributes: { readonly numOctaves?: number; readonly order?: readonly [number, number] }): number {
  if (PRIMITIVE_PARTS.indexOf(local) !== -1) return 0;
  switch (local) {
    case 'feMorphology':
      return FILTER_WEIGHTS.morphology;
    case 'feTurbulence':
      return FILTER_WEIGHTS.turbulencePerOctave * Math.max(1, Math.min(1e6, attributes.numOctaves ?? 1));
    case 'feGaussianBlur':
      return FILTER_WEIGHTS.blur;
    case 'feDropShadow':
      return FILTER_WEIGHTS.dropShadow;
    case 'feDiffuseLighting':
    case 'feSpecularLighting':
      return FILTER_WEIGHTS.lighting;
    case 'feConvolveMatrix': {
      const order = attributes.order ?? [3, 3];
      const x = order[0];
      const y = order[1];
      return 1 + Math.ceil(FILTER_WEIGHTS.convolvePerTap * Math.min(1e6, Math.max(1, x) * Math.max(1, y)));
    }
    default:
      return FILTER_WEIGHTS.arithmetic;
  }
}

/** An SVG's filter work over the pixels it is drawn on (see SvgLimits.maxFilterPixels). */
export function filterPixels(filterWork: number, width: number, height: number): number {
  const pixels = width * height;
  return filterWork * pixels * Math.max(1, pixels / 1e6);
}

/**
 * The filter work of an SVG over the pixels it is rendered at (see SvgLimits.maxFilterPixels):
 * checked once the size asked is known, a refusal of this variant only (a smaller one may pass).
 */
export function checkSvgFilterPixels(filterWork: number, width: number, height: number, limits: CostLimits): void {
  const work = filterPixels(filterWork, width, height);
  if (work > limits.svg.maxFilterPixels) {
    throw tooCostly(
      'The original SVG has too many filters to render at this size; ask for a smaller size',
      `svg filter work ${filterWork} at ${width}x${height} = ${Math.round(work)}, the limit is svg.maxFilterPixels ${limits.svg.maxFilterPixels}`,
      'variant',
    );
  }
}

/** libvips' limit on an image side (VIPS_MAX_COORD): the stacked frames of an animation too. */
const LIBVIPS_MAX_SIDE = 10_000_000;

/**
 * The output's size must fit the format: checked before encoding, from the size the resize will
 * produce, per frame. Answered 422: the variant names a format that cannot hold this source at that size.
 */
export function checkOutputSize(format: OutputFormat, width: number, height: number, frames: number): void {
  const max = OUTPUT_MAX_SIDE[format];
  const stacked = height * frames;
  if (width > max || height > max || stacked > LIBVIPS_MAX_SIDE) {
    const described = frames > 1 ? `${width}x${height} per frame x ${frames} frames` : `${width}x${height}`;
    throw new EdgeError('UnprocessableImage', `The image is too large for the ${format} format; ask for a smaller size or another format`, {
      detail:
        stacked > LIBVIPS_MAX_SIDE && width <= max && height <= max
          ? `${format} output of ${described}, ${stacked} px stacked, the libvips limit is ${LIBVIPS_MAX_SIDE}`
          : `${format} output of ${described}, the ${format} limit is ${max} per side`,
      scope: 'variant',
    });
  }
}

/** What a render's time depends on, known once the header is read and the variant planned. */
export interface RenderWork {
  /** The source's format as the engine names it (jpeg, png, webp, gif, avif, tiff, svg). */
  readonly format: string;
  /** Pixels of one frame as stored (for SVG: as rasterised). */
  readonly sourcePixels: number;
  /** Frames decoded and encoded (1 unless the output is animated). */
  readonly frames: number;
  /** Pixels of one output frame. */
  readonly outputPixels: number;
  readonly outputFormat: OutputFormat;
  /** An SVG's filter work over its pixels (checkSvgFilterPixels' figure). */
  readonly filterPixels?: number;
}

/**
 * Milliseconds per megapixel, rounded up from bench/results.json's engine section and the filter
 * measurements above (sharp 0.35.5, one libvips thread, on the 2-core bench machine): decode per
 * source megapixel (JPEG and WebP shrink on load, so theirs is mostly entropy decoding), encode
 * per output megapixel at the engine's efforts, librsvg's filters per million units of work.
 */
const DECODE_MS_PER_MP: Readonly<Record<string, number>> = { jpeg: 6, webp: 20, png: 30, gif: 25, tiff: 15, avif: 60, svg: 15 };
const ENCODE_MS_PER_MP: Readonly<Record<OutputFormat, number>> = { jpg: 25, webp: 120, avif: 400, png: 60, gif: 150 };
const FILTER_MS_PER_MILLION = 300;
const BASE_MS = 20;

/** The expected time of one render on one core: what its budget is scaled from. */
export function estimateRenderMs(work: RenderWork): number {
  const decode = (DECODE_MS_PER_MP[work.format] ?? 60) * (work.sourcePixels / 1e6);
  const encode = ENCODE_MS_PER_MP[work.outputFormat] * (work.outputPixels / 1e6);
  const filters = FILTER_MS_PER_MILLION * ((work.filterPixels ?? 0) / 1e6);
  return Math.ceil(BASE_MS + work.frames * (decode + encode) + filters);
}

/** The budget of one render, in ms, from its estimate (see CostLimits.minRenderSeconds). */
export function renderBudgetMs(
  limits: Pick<CostLimits, 'renderSeconds' | 'minRenderSeconds' | 'estimateMargin'> | undefined,
  estimateMs: number | undefined,
): number {
  const max = (limits?.renderSeconds ?? 20) * 1000;
  if (!limits || limits.minRenderSeconds === undefined || limits.estimateMargin === undefined || estimateMs === undefined) return max;
  return Math.min(max, Math.max(limits.minRenderSeconds * 1000, Math.ceil(estimateMs * limits.estimateMargin)));
}

/**
 * The size the resize produces (see resizeOptions in functions/adapters/image/render.ts): a box
 * fit gives the box (smaller when the source is, unless enlarged), a width-only or `inside` fit
 * keeps the aspect ratio, `outside` covers the box keeping it.
 */
export function outputSize(
  variant: { readonly width: number; readonly height: number | undefined; readonly fit: string; readonly enlarge?: boolean },
  source: { readonly width: number; readonly height: number; readonly vector: boolean },
): { width: number; height: number } {
  const grow = variant.enlarge === true || source.vector;
  const aspect = source.height / source.width;
  if (variant.height === undefined || variant.fit === 'inside' || variant.fit === 'outside') {
    const boxHeight = variant.height ?? Number.POSITIVE_INFINITY;
    const scaleW = variant.width / source.width;
    const scaleH = boxHeight / source.height;
    let scale = variant.fit === 'outside' && variant.height !== undefined ? Math.max(scaleW, scaleH) : Math.min(scaleW, scaleH);
    if (!grow) scale = Math.min(1, scale);
    return { width: Math.max(1, Math.round(source.width * scale)), height: Math.max(1, Math.round(source.width * scale * aspect)) };
  }
  // cover, contain, fill: at most the box (smaller when the source is and not enlarged).
  return { width: variant.width, height: variant.height };
}
