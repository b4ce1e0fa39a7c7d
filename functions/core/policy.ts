/**
 * What may be asked of the image service: the allowlists that keep the set of derived images finite
 * (unbounded sizes are a denial-of-wallet hole) and the defaults applied when a URL leaves a
 * parameter out. The data lives in infra/distribution.ts; these are its types.
 */
export const FITS = ['cover', 'contain', 'inside', 'outside', 'fill'] as const;
export type Fit = (typeof FITS)[number];

/** Formats that can be written. The value is also the derived key's extension. */
export const OUTPUT_FORMATS = ['avif', 'webp', 'jpg', 'png'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const CONTENT_TYPES: Record<OutputFormat, string> = {
  avif: 'image/avif',
  webp: 'image/webp',
  jpg: 'image/jpeg',
  png: 'image/png',
};

export interface Preset {
  readonly width: number;
  /** Absent: keep the aspect ratio (height follows the width). */
  readonly height?: number;
  readonly fit?: Fit;
  readonly quality?: number;
  readonly format?: OutputFormat | 'auto';
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
  /** Limits on sources, checked before any full decode. */
  readonly limits: {
    readonly maxInputPixels: number;
    readonly maxInputBytes: number;
  };
}
