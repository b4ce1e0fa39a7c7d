/**
 * Deterministic refusals remembered: when a source itself is refused (too big, too costly, corrupt,
 * unsupported), the answer is the same for every variant until the original changes. image-resize
 * records it as a small object under the original's derived prefix,
 *
 *   _derived/<original key>/refused        {"etag":"...","code":"...","status":422,"message":"...","detail":"..."}
 *
 * with the original's ETag inside and in its `original-etag` metadata, so that another region (a
 * replica bucket) or a cold instance answers from it without fetching or decoding the original: one
 * GET of the marker and one HEAD of the original, whose ETag must still match (a replaced original
 * is tried again; derived-cleanup also deletes the marker with the other variants, as its
 * `original-etag` no longer matches). `refused` has no extension, so no URL ever names it as a
 * variant (parseDerivedUri refuses it).
 *
 * Why a marker and not only a long Cache-Control: CloudFront caches only the error codes 400, 403,
 * 404, 405, 414, 416, 500-504 and never 413, 415 or 422, whatever their Cache-Control says
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/HTTPStatusCodes.html#HTTPStatusCodes-cached-errors).
 * The refusal still carries a long max-age (errors.ts) for browsers and any other cache.
 *
 * Refusals about a variant (an output too large for its format) are not remembered here: another
 * variant of the same original may work. Transient failures (S3, load, our own timeouts) never are.
 */
import { EdgeError } from './errors.ts';
import type { ErrorCode } from './errors.ts';
import { DERIVED_PREFIX } from './keys.ts';

const REFUSAL_NAME = 'refused';
/** A marker is a few hundred bytes; anything larger is not ours. */
export const MAX_REFUSAL_BYTES = 4096;

export function refusalKey(originalKey: string): string {
  return `${DERIVED_PREFIX}${originalKey}/${REFUSAL_NAME}`;
}

/** Whether an error is about the source itself and will be the same on every try. */
export function isSourceRefusal(error: EdgeError): boolean {
  const codes: readonly ErrorCode[] = ['SourceTooLarge', 'UnprocessableImage', 'UnsupportedMediaType'];
  // Variant-level refusals (an output too large for its format) name "The image"; source ones "The original".
  return codes.includes(error.code) && error.publicMessage.startsWith('The original');
}

interface RefusalRecord {
  readonly etag: string;
  readonly code: ErrorCode;
  readonly status: number;
  readonly message: string;
  readonly detail: string;
}

export function encodeRefusal(error: EdgeError, etag: string): Buffer {
  const record: RefusalRecord = { etag, code: error.code, status: error.status, message: error.publicMessage, detail: error.detail ?? '' };
  return Buffer.from(JSON.stringify(record));
}

/** The remembered refusal, if the marker is one and was made from the original with this ETag. */
export function decodeRefusal(body: Buffer, etag: string | undefined): EdgeError | undefined {
  let record: Partial<RefusalRecord>;
  try {
    record = JSON.parse(body.toString('utf8')) as Partial<RefusalRecord>;
  } catch {
    return undefined;
  }
  if (etag === undefined || record.etag !== etag.replaceAll('"', '')) return undefined;
  if (record.code !== 'SourceTooLarge' && record.code !== 'UnprocessableImage' && record.code !== 'UnsupportedMediaType') return undefined;
  if (typeof record.message !== 'string' || typeof record.status !== 'number') return undefined;
  return new EdgeError(record.code, record.message, { status: record.status, detail: `remembered refusal: ${record.detail ?? ''}` });
}
