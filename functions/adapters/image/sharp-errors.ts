import { EdgeError } from '../../core/errors.ts';

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
    return new EdgeError('Unavailable', 'The image could not be resized right now; try again', {
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
    return new EdgeError('Unavailable', 'The image took too long to resize; try again', { detail: message, cause: error, scope: 'transient' });
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
