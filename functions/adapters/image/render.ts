/**
 * The image engine: the only place that calls sharp. Decodes with a pixel limit, orients by EXIF,
 * resizes without enlarging, strips metadata (sharp writes none unless asked) and encodes.
 */
import sharp from 'sharp';
import type { Sharp } from 'sharp';
import { EdgeError } from '../../core/errors.ts';
import type { Variant } from '../../core/grammar.ts';
import { CONTENT_TYPES } from '../../core/policy.ts';

export interface RenderLimits {
  readonly maxInputPixels: number;
}

export interface Rendered {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
  readonly contentType: string;
}

// Effort settings chosen for an edge miss: near-default size at a fraction of the time.
const ENCODERS = {
  avif: (image: Sharp, quality: number) => image.avif({ quality, effort: 2 }),
  webp: (image: Sharp, quality: number) => image.webp({ quality, effort: 3 }),
  jpg: (image: Sharp, quality: number) => image.jpeg({ quality, mozjpeg: true }),
  png: (image: Sharp, _quality: number) => image.png({ compressionLevel: 8, adaptiveFiltering: false }),
} as const;

export async function render(source: Buffer, variant: Variant, limits: RenderLimits): Promise<Rendered> {
  const image = sharp(source, {
    limitInputPixels: limits.maxInputPixels,
    failOn: 'error',
    sequentialRead: true,
    autoOrient: true,
  }).resize({
    width: variant.width,
    height: variant.height,
    fit: variant.fit,
    withoutEnlargement: true,
  });
  try {
    const { data, info } = await ENCODERS[variant.format](image, variant.quality).toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, contentType: CONTENT_TYPES[variant.format] };
  } catch (error) {
    throw classifySharpError(error);
  }
}

function classifySharpError(error: unknown): EdgeError {
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) {
    return new EdgeError('SourceTooLarge', 'The original image has too many pixels to resize', { detail: message, cause: error });
  }
  if (/unsupported image format|bad seek|corrupt|premature end|truncated|invalid/i.test(message)) {
    return new EdgeError('UnprocessableImage', 'The original image cannot be decoded', { detail: message, cause: error });
  }
  return new EdgeError('InternalError', 'Internal error', { detail: message, cause: error });
}
