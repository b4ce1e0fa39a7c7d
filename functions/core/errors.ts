/**
 * The one error type of the project. `publicMessage` is safe to show a viewer; `detail` is for logs
 * only (it may hold keys, bucket names or library messages). `cacheSeconds` is how long a CDN may
 * keep the error response.
 */
export type ErrorCode =
  | 'BadRequest'
  | 'Forbidden'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'UnsupportedMediaType'
  | 'UnprocessableImage'
  | 'SourceTooLarge'
  | 'OriginError'
  | 'InternalError';

const defaults: Record<ErrorCode, { status: number; cacheSeconds: number }> = {
  BadRequest: { status: 400, cacheSeconds: 60 },
  Forbidden: { status: 403, cacheSeconds: 0 },
  NotFound: { status: 404, cacheSeconds: 10 },
  MethodNotAllowed: { status: 405, cacheSeconds: 60 },
  // Deterministic: the same original always gets the same answer, and derived-cleanup invalidates
  // the original's paths when it changes, so a long TTL is safe. CloudFront itself never caches 413,
  // 415 or 422 (see functions/core/refusal.ts, which remembers them instead); browsers do.
  UnsupportedMediaType: { status: 415, cacheSeconds: 3600 },
  UnprocessableImage: { status: 422, cacheSeconds: 3600 },
  SourceTooLarge: { status: 413, cacheSeconds: 3600 },
  OriginError: { status: 502, cacheSeconds: 0 },
  InternalError: { status: 500, cacheSeconds: 0 },
};

export class EdgeError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly publicMessage: string;
  readonly detail: string | undefined;
  readonly cacheSeconds: number;

  constructor(code: ErrorCode, publicMessage: string, options: { detail?: string; cause?: unknown; status?: number } = {}) {
    super(publicMessage, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EdgeError';
    this.code = code;
    this.status = options.status ?? defaults[code].status;
    this.publicMessage = publicMessage;
    this.detail = options.detail;
    this.cacheSeconds = defaults[code].cacheSeconds;
  }
}

/** `Expected <what> for <param> but received <value>`: the house style for parameter errors. */
export function badParam(param: string, expected: string, received: string): EdgeError {
  return new EdgeError('BadRequest', `Expected ${expected} for ${param} but received ${quote(received)}`);
}

/**
 * Quote a viewer-supplied value for an error message: bounded, control characters escaped. JSON.stringify
 * escapes C0 controls but leaves DEL, the C1 controls (U+0080-U+009F, such as the terminal's CSI) and the
 * line separators U+2028/U+2029 raw: those are escaped here too, for the viewer and for the log line.
 */
export function quote(value: string): string {
  const clipped = value.length > 64 ? `${value.slice(0, 64)}...` : value;
  return JSON.stringify(clipped).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function isEdgeError(error: unknown): error is EdgeError {
  return error instanceof EdgeError;
}

/** Any thrown value as an EdgeError: unknown errors become a 500 whose detail keeps the cause. */
export function toEdgeError(error: unknown): EdgeError {
  if (isEdgeError(error)) return error;
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new EdgeError('InternalError', 'Internal error', { detail, cause: error });
}
