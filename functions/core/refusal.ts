/**
 * Refusals remembered, and only those that are certain: when the admission rules refused a source
 * from its header alone, for every variant, under the limits in force (an EdgeError whose `scope` is
 * `source`, functions/core/errors.ts), the answer is the same for every variant until the original
 * or the limits change. The miss pipeline records it in the original's source record,
 *
 *   _derived/<original key>/_source     metadata original-etag, refusal-limits; body
 *                                       {"etag":"...","limits":"...","code":"...","status":413,"message":"...","detail":"..."}
 *
 * the same object that otherwise holds the original's mezzanine (functions/core/mezzanine.ts), so a
 * miss reads both with one GetObject, beside the original's GetObject and never before it. A record
 * counts only when its ETag is the original's (of that same GetObject) and its limits fingerprint is
 * the one in force: a replaced original, or a raised limit, is tried again. derived-cleanup deletes
 * the record with the other variants when the original changes (its `original-etag` no longer
 * matches). `_source` has no extension, so no URL ever names it as a variant.
 *
 * Never remembered: what depends on the variant (an SVG's rendered size, animated output, an output
 * format's maximum side, a failure while decoding or encoding pixels) and what may pass on another
 * try (memory, time, S3): `scope` is `variant` or `transient` there, or absent.
 *
 * Why a record and not only a long Cache-Control: CloudFront caches only the error codes 400, 403,
 * 404, 405, 414, 416, 500-504, and 415 only with a max-age; never 413 or 422
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/HTTPStatusCodes.html#HTTPStatusCodes-cached-errors).
 * The refusal still carries a long max-age (errors.ts) for browsers and any other cache.
 */
import { EdgeError } from './errors.ts';
import type { ErrorCode } from './errors.ts';
import { DERIVED_PREFIX } from './keys.ts';

/** A record is a few hundred bytes; anything larger is not ours. */
export const MAX_REFUSAL_BYTES = 4096;

/** The object beside an original's variants that holds its mezzanine or its refusal (one GetObject reads either). */
export function sourceRecordKey(originalKey: string): string {
  return `${DERIVED_PREFIX}${originalKey}/_source`;
}

/** Whether an error may be remembered for the source: decided from its header, for every variant. */
export function isSourceRefusal(error: EdgeError): boolean {
  return error.scope === 'source' && REMEMBERED.includes(error.code);
}

const REMEMBERED: readonly ErrorCode[] = ['SourceTooLarge', 'UnprocessableImage', 'UnsupportedMediaType'];

/**
 * A fingerprint of the limits a refusal was decided under: FNV-1a (two 32-bit lanes) of their JSON
 * with sorted keys. Any changed limit gives another fingerprint, and the old record no longer counts.
 */
export function limitsFingerprint(limits: unknown): string {
  const text = canonicalJson(limits);
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 13);
  }
  return `${(a >>> 0).toString(16).padStart(8, '0')}${(b >>> 0).toString(16).padStart(8, '0')}`;
}

function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

interface RefusalRecord {
  readonly etag: string;
  readonly limits: string;
  readonly code: ErrorCode;
  readonly status: number;
  readonly message: string;
  readonly detail: string;
}

/** The S3 user metadata of a refusal record (what a miss checks before reading its body). */
export function refusalMetadata(etag: string, limits: string): Record<string, string> {
  return { 'original-etag': unquote(etag), 'refusal-limits': limits };
}

/** Whether a source record's metadata says it is a refusal that counts for this original under these limits. */
export function refusalApplies(metadata: Readonly<Record<string, string>>, etag: string | undefined, limits: string): boolean {
  return etag !== undefined && metadata['refusal-limits'] === limits && metadata['original-etag'] === unquote(etag);
}

/** Whether a source record's metadata marks a refusal (under any limits). */
export function isRefusalRecord(metadata: Readonly<Record<string, string>>): boolean {
  return metadata['refusal-limits'] !== undefined;
}

export function encodeRefusal(error: EdgeError, etag: string, limits: string): Buffer {
  const record: RefusalRecord = {
    etag: unquote(etag),
    limits,
    code: error.code,
    status: error.status,
    message: error.publicMessage,
    detail: error.detail ?? '',
  };
  return Buffer.from(JSON.stringify(record));
}

/** The remembered refusal, if the record is one, made from the original with this ETag under these limits. */
export function decodeRefusal(body: Buffer, etag: string | undefined, limits: string): EdgeError | undefined {
  let record: Partial<RefusalRecord>;
  try {
    record = JSON.parse(body.toString('utf8')) as Partial<RefusalRecord>;
  } catch {
    return undefined;
  }
  if (etag === undefined || record.etag !== unquote(etag) || record.limits !== limits) return undefined;
  if (record.code === undefined || !REMEMBERED.includes(record.code)) return undefined;
  if (typeof record.message !== 'string' || typeof record.status !== 'number') return undefined;
  return new EdgeError(record.code, record.message, { status: record.status, detail: `remembered refusal: ${record.detail ?? ''}`, scope: 'source' });
}

function unquote(etag: string): string {
  return etag.replaceAll('"', '');
}
