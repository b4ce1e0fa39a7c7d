/**
 * What may be asked of the image service: the allowlists that keep the set of derived images finite
 * (unbounded sizes are a denial-of-wallet hole) and the defaults applied when a URL leaves a
 * parameter out. The data lives in infra/distribution.ts; these are its types.
 */
import type { MezzanineSettings } from './mezzanine.ts';
import type { CostLimits } from './cost.ts';
import type { QualitySettings } from './quality.ts';

export const FITS = ['cover', 'contain', 'inside', 'outside', 'fill'] as const;
export type Fit = (typeof FITS)[number];

/**
 * Where `fit=cover` crops: the centre, the region with the most detail (entropy) or the region most
 * likely to draw the eye (attention: skin tones, saturation, luminance). Only cover crops, so only
 * cover carries a position; `centre` is the default and never appears in a canonical name.
 */
export const POSITIONS = ['centre', 'entropy', 'attention'] as const;
export type Position = (typeof POSITIONS)[number];

/** Formats that can be written. The value is also the derived key's extension. */
export const OUTPUT_FORMATS = ['avif', 'webp', 'jpg', 'png', 'gif'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const CONTENT_TYPES: Record<OutputFormat, string> = {
  avif: 'image/avif',
  webp: 'image/webp',
  jpg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
};

/**
 * Output formats written animated when the source is animated (GIF, animated WebP). Every other
 * target gets the first frame. (sharp cannot write animated AVIF or APNG.)
 */
export const ANIMATED_FORMATS: readonly OutputFormat[] = ['webp', 'gif'];

/** Output formats with an alpha channel. The others (JPEG) are flattened onto the policy background. */
export const ALPHA_FORMATS: readonly OutputFormat[] = ['avif', 'webp', 'png', 'gif'];

export interface Preset {
  readonly width: number;
  /** Absent: keep the aspect ratio (height follows the width). */
  readonly height?: number;
  readonly fit?: Fit;
  /** Where `cover` crops; default `centre`. */
  readonly position?: Position;
  /** A point of the quality scale, or `auto`. */
  readonly quality?: number | 'auto';
  readonly format?: OutputFormat | 'auto';
  /** Scale small originals up to the requested size. Default: never enlarge beyond the original. */
  readonly enlarge?: boolean;
  /** Keep the original's EXIF Copyright (and nothing else) in the output. Default: strip all metadata. */
  readonly keepCopyright?: boolean;
}

export interface ImagePolicy {
  /** Allowed boxes for the path form `/{W}x{H}/key` and `?w=&h=`, as `WxH` strings. */
  readonly sizes: readonly `${number}x${number}`[];
  /** Allowed widths for width-only requests (`?w=640`); the height follows the aspect ratio. */
  readonly widths: readonly number[];
  readonly qualities: readonly number[];
  /** Formats a URL may name with `fm=`; `auto` is always allowed and picks among `autoFormats`. */
  readonly formats: readonly OutputFormat[];
  /** What `fm=auto` may choose, best first, when the viewer's Accept header lists it. */
  readonly autoFormats: readonly ('avif' | 'webp')[];
  readonly presets: Readonly<Record<string, Preset>>;
  readonly maxDpr: number;
  readonly defaults: {
    readonly fit: Fit;
    readonly quality: number;
    readonly format: OutputFormat | 'auto';
  };
  /**
   * `#rrggbb`: what transparent pixels become in a format without alpha (JPEG), and the letterbox
   * of `fit=contain` in such a format. Default white. Changing it changes existing derived images
   * only once they are purged (it is not part of the derived name).
   */
  readonly background?: string;
  /**
   * One quality scale across the lossy formats (the encoder quality for each allowed q, calibrated
   * on fixtures/corpus/) and the settings of `q=auto` (functions/core/quality.ts). Absent: q goes to
   * the encoders as it is, and a `q=auto` variant cannot be rendered (checkPolicy says so).
   */
  readonly quality?: QualitySettings;
  /**
   * The mezzanine of large originals (functions/core/mezzanine.ts): one near-lossless intermediate
   * per original, from which later misses make the variants it serves. Absent: none is made or read.
   */
  readonly mezzanine?: MezzanineSettings;
  /** Limits on sources, all checked from the header, before any decode. */
  readonly limits: {
    /** Pixels of one frame, or of all frames when an animated source is written animated. */
    readonly maxInputPixels: number;
    /** Bytes of the original, checked against Content-Length before the body is read. */
    readonly maxInputBytes: number;
    /**
     * Estimated peak memory of the decode, in MB: pixels times the bytes per pixel that source's
     * decoder needs (measured, see functions/adapters/image/render.ts). A pixel count alone lets
     * through what decodes whole in memory: AVIF, progressive JPEG, interlaced PNG, GIF, animations.
     * Absent: no estimate is checked.
     */
    readonly maxDecodeMegabytes?: number;
    /**
     * The admission cost model (functions/core/cost.ts): frames, JPEG scans, SVG complexity, read
     * before any decode. Absent: not checked.
     */
    readonly cost?: CostLimits;
  };
}
