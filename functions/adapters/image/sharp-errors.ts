import { EdgeError } from '../../core/errors.ts';

/** libvips' words for a source it cannot read, mapped to the viewer-facing error. */
export function classifySharpError(error: unknown): EdgeError {
  if (error instanceof EdgeError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) {
    return new EdgeError('SourceTooLarge', 'The original image has too many pixels to resize', { detail: message, cause: error });
  }
  if (/unsupported image format/i.test(message)) {
    return new EdgeError('UnsupportedMediaType', 'The original image format is not supported', { detail: message, cause: error });
  }
  if (/timeout/i.test(message)) {
    return new EdgeError('OriginError', 'The image took too long to resize; try again', { status: 503, detail: message, cause: error });
  }
  // libvips' catch-all for a loader that failed without saying why (a damaged interlaced 16-bit PNG):
  // the bytes are at fault, not the service.
  if (/^unknown error$/i.test(message.trim())) {
    return new EdgeError('UnprocessableImage', 'The original image cannot be decoded', { detail: message, cause: error });
  }
  if (/too large for the \w+ format/i.test(message)) {
    return new EdgeError('UnprocessableImage', 'The image is too large for the requested format; ask for a smaller size or another format', {
      detail: message,
      cause: error,
    });
  }
  if (/empty/i.test(message) && /input/i.test(message)) {
    return new EdgeError('UnprocessableImage', 'The original image is empty', { detail: message, cause: error });
  }
  // Anything else libvips or a loader reports while reading untrusted bytes is a broken source.
  if (
    /^(vips|lib|gif|heif|tiff|svg|glib|jpeg|png|webp|input|corrupt|premature|truncat|invalid|bad |not a known|read error)/i.test(message) ||
    /corrupt|premature end|truncated|invalid|bad seek|read error|XML parse/i.test(message)
  ) {
    return new EdgeError('UnprocessableImage', 'The original image cannot be decoded', { detail: message, cause: error });
  }
  return new EdgeError('InternalError', 'Internal error', { detail: message, cause: error });
}
