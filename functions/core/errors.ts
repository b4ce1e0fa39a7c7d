/**
 * The one error type of the project. `publicMessage` is safe to show a viewer; `detail` is for logs
 * only (it may hold keys, bucket names or library messages). `cacheSeconds` is how long a CDN may
 * keep the error response.
 */
import { ERROR_CODES } from './error-codes.ts';
import type { ErrorCode } from './error-codes.ts';

export type { ErrorCode } from './error-codes.ts';

/**
 * What a refusal or failure is about, which decides whether it may be remembered:
 *   source     the source itself, decided from its header alone under the limits in force, the same
 *              for every variant (functions/core/refusal.ts stores it beside the original's ETag);
 *   variant    this variant of the source (its rendered size, its animated output, its format's
 *              maximum side, a decode of its pixels): another variant may work, never stored;
 *   transient  this attempt (memory, time, a store): trying again may work, never stored.
 * Absent: nothing is claimed, and nothing is stored.
 */
type ErrorScope = 'source' | 'variant' | 'transient';

export interface EdgeError extends Error {
  readonly name: 'EdgeError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly publicMessage: string;
  readonly detail: string | undefined;
  readonly cacheSeconds: number;
  readonly scope: ErrorScope | undefined;
}

interface EdgeErrorOptions {
  detail?: string | undefined;
  cause?: unknown;
  status?: number;
  scope?: ErrorScope;
}

interface EdgeErrorConstructor {
  new (code: ErrorCode, publicMessage: string, options?: EdgeErrorOptions): EdgeError;
  prototype: EdgeError;
}

/**
 * A constructor function rather than a class: this module is also compiled to CloudFront
 * Functions' runtime, whose documented JavaScript has no `class` (infra/build/cloudfront-runtime.ts).
 * `new EdgeError(...)`, `instanceof EdgeError` and `instanceof Error` behave as a subclass would.
 */
export const EdgeError = function EdgeError(
  this: { -readonly [K in keyof EdgeError]: EdgeError[K] },
  code: ErrorCode,
  publicMessage: string,
  options?: EdgeErrorOptions,
) {
  const o = options || {};
  this.message = publicMessage;
  this.cause = o.cause;
  this.code = code;
  // No status is 0: a missing one takes the code's.
  this.status = o.status || ERROR_CODES[code][0];
  this.publicMessage = publicMessage;
  this.detail = o.detail;
  this.cacheSeconds = ERROR_CODES[code][1];
  this.scope = o.scope;
} as unknown as EdgeErrorConstructor;
EdgeError.prototype = Object.create(Error.prototype);
(EdgeError.prototype as { name: string }).name = 'EdgeError';

/** The reason phrase of a status an EdgeError carries (as Node's http.STATUS_CODES spells it), else ''. */
function reasonPhrase(status: number): string {
  const found = Object.values(ERROR_CODES).find((entry) => entry[0] === status);
  return found ? found[2] : '';
}

/** The body of the viewer-safe error response, the same from every runtime: `400 Bad Request: ...`. */
export function errorText(error: EdgeError): string {
  return `${error.status} ${reasonPhrase(error.status)}: ${error.publicMessage}\n`;
}

/** The Cache-Control of an error response: the error's few seconds, or none. */
export function errorCacheControl(error: EdgeError): string {
  return error.cacheSeconds > 0 ? `public, max-age=${error.cacheSeconds}` : 'no-store';
}

/** A 400 in the house style, `Expected <what> but received <what>`; `received` is shown as it is. */
export function refused(expected: string, received: string): EdgeError {
  return new EdgeError('BadRequest', `Expected ${expected} but received ${received}`);
}

/** `Expected <what> for <param> but received <value>`: the house style for parameter errors. */
export function badParam(param: string, expected: string, received: string): EdgeError {
  return refused(`${expected} for ${param}`, quote(received));
}

/**
 * Quote a viewer-supplied value for an error message: bounded, control characters escaped. JSON.stringify
 * escapes C0 controls but leaves DEL, the C1 controls (U+0080-U+009F, such as the terminal's CSI) and the
 * line separators U+2028/U+2029 raw: those are percent-encoded here (`%C2%9B`), as a URL would carry
 * them, for the viewer and for the log line.
 */
export function quote(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value).replace(/[\u007f-\u009f\u2028\u2029]/g, encodeURIComponent);
}

export function isEdgeError(error: unknown): error is EdgeError {
  return error instanceof EdgeError;
}

/** Any thrown value as an EdgeError: unknown errors become a 500 whose detail keeps the cause. */
export function toEdgeError(error: unknown): EdgeError {
  if (error instanceof EdgeError) return error;
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new EdgeError('InternalError', 'Internal error', { detail, cause: error });
}
