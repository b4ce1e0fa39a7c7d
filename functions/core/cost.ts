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
  /** Frames of an animated source (GIF, WebP). */
  readonly maxFrames: number;
  /** Pixels over all frames when an animation is written animated. */
  readonly maxAnimatedPixels: number;
  /** Scans (SOS markers) of a JPEG. */
  readonly maxJpegScans: number;
  readonly svg: SvgLimits;
}

/**
 * What each output format can hold, per side, in pixels. An animation is written as one tall image
 * of stacked frames, so its height counts all frames.
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
 * The output's size must fit the format: checked before encoding, from the size the resize will
 * produce. Answered 422: the variant names a format that cannot hold this source at that size.
 */
export function checkOutputSize(format: OutputFormat, width: number, height: number, frames: number): void {
  const max = OUTPUT_MAX_SIDE[format];
  const stacked = height * frames;
  if (width > max || stacked > max) {
    const described = frames > 1 ? `${width}x${height} x ${frames} frames (${width}x${stacked} stacked)` : `${width}x${height}`;
    throw new EdgeError('UnprocessableImage', `The image is too large for the ${format} format; ask for a smaller size or another format`, {
      detail: `${format} output of ${described}, the ${format} limit is ${max} per side`,
      scope: 'variant',
    });
  }
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
