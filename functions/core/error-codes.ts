/**
 * The codes of the project's one error type (functions/core/errors.ts) and what each means on the
 * wire. A module of its own, data only: the CloudFront Function build carries the rows of the codes
 * its bundle names and no other (infra/build/cloudfront-function.ts), since its 10 KB counts every row.
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
  | 'Unavailable'
  | 'InternalError';

/** Per code: [status, seconds a CDN may cache the error, reason phrase (as Node's http.STATUS_CODES spells it)]. */
export const ERROR_CODES: Readonly<Record<ErrorCode, readonly [number, number, string]>> = {
  BadRequest: [400, 60, 'Bad Request'],
  Forbidden: [403, 0, 'Forbidden'],
  NotFound: [404, 10, 'Not Found'],
  MethodNotAllowed: [405, 60, 'Method Not Allowed'],
  // Deterministic: the same original always gets the same answer, and derived-cleanup invalidates
  // the original's paths when it changes, so a long TTL is safe. CloudFront never caches 413 or 422,
  // and a 415 only for its max-age (functions/core/refusal.ts, which remembers them); browsers do.
  UnsupportedMediaType: [415, 3600, 'Unsupported Media Type'],
  UnprocessableImage: [422, 3600, 'Unprocessable Entity'],
  SourceTooLarge: [413, 3600, 'Payload Too Large'],
  OriginError: [502, 0, 'Bad Gateway'],
  // Transient: this attempt could not be made (busy, out of time or memory); the next may work.
  Unavailable: [503, 0, 'Service Unavailable'],
  InternalError: [500, 0, 'Internal Server Error'],
};
