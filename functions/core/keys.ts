/**
 * Object keys as they travel in URIs. CloudFront hands functions the path as the viewer sent it
 * (percent-encoded); S3 decodes it once to find the key. We do the same, exactly once, and then
 * re-encode every key one canonical way, so that all spellings of a key share one cache entry.
 *
 * Decisions, each deliberate:
 * - `%2F` decodes to `/`: S3 keys use `/` as their separator, so `a%2Fb.jpg` is the key `a/b.jpg`.
 * - `+` in a path is a literal plus (only query strings use `+` for space); spaces arrive as `%20`.
 * - Decoding happens once: `%252e%252e` is the literal key segment `%2e%2e`, never `..`.
 * - `.` and `..` segments, empty segments, backslashes and control characters are refused: S3 would
 *   store them, but no image key needs them and they are how traversal and cache-poisoning start.
 * - Keys are bytes to S3; no Unicode normalisation is applied (NFC and NFD spellings are different
 *   objects), the key is kept as decoded.
 */
import { badParam, quote, refused } from './errors.ts';

/** S3's limit on a key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/** Where derived images live: `_derived/<original key>/<variant>`. */
export const DERIVED_PREFIX = '_derived/';

/** What a path or a query that does not decode was expected to be. */
export const VALID_ESCAPES = 'valid percent-encoded UTF-8';

/** Decode a URI path (without the leading `/`) into an S3 key, once, refusing what no key may be. */
export function decodeKey(encodedPath: string): string {
  let key: string;
  try {
    key = decodeURIComponent(encodedPath);
  } catch {
    throw badParam('the image path', VALID_ESCAPES, encodedPath);
  }
  validateKey(key);
  return key;
}

/** The parameter name of key errors (a constant: the CloudFront Function's 10 KB counts every repeat). */
const KEY = 'the image key';

/** What no key may hold, each with what the 400 says was expected instead; checked in this order. */
const KEY_RULES: readonly (readonly [RegExp, string])[] = [
  // C0 controls, DEL and the C1 controls (U+0080-U+009F: JSON.stringify leaves them raw in log lines).
  [/[\u0000-\u001f\u007f-\u009f]/, 'no control characters'],
  [/\\/, 'no backslashes'],
  [/\uFFFD/, 'valid UTF-8'],
  // A segment that is empty, `.` or `..`: between two slashes, or at either end.
  [/(?:^|\/)\.{0,2}(?:\/|$)/, 'no empty, "." or ".." segments'],
];

export function validateKey(key: string): void {
  if (key.length === 0) throw refused('an image key in the path', 'nothing');
  // The length first: an 8 KB key costs one pass, not one per check.
  const bytes = utf8Length(key);
  if (bytes > MAX_KEY_BYTES) {
    throw refused(`an image key of at most ${MAX_KEY_BYTES} bytes`, `${bytes} bytes`);
  }
  for (let i = 0; i < KEY_RULES.length; i++) {
    const rule = KEY_RULES[i] as readonly [RegExp, string];
    if (rule[0].test(key)) throw badParam(KEY, rule[1], key);
  }
}

const ENCODER = new TextEncoder();

/** UTF-8 bytes of a string, as S3 counts a key (TextEncoder: in both runtimes image-request is built for). */
export function utf8Length(text: string): number {
  return ENCODER.encode(text).length;
}

/** Keys under `_derived/` are ours to write; a viewer never names one as an original. */
export function assertOriginalKey(key: string): void {
  // `_derived` itself, or anything under `_derived/`.
  if (`${key}/`.startsWith(DERIVED_PREFIX)) {
    throw refused('an original image key', `the derived key ${quote(key)}`);
  }
}

/** The one canonical URI spelling of a key: every segment percent-encoded as encodeURIComponent does. */
export function encodeKey(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, '/');
}

/**
 * Set by signed-url's viewer-request on a verified request: the path and query the viewer signed
 * (signing parameters included). It stays on that viewer's request: no origin request policy forwards
 * it and no cache key holds it, so no origin answer (shared by every viewer CloudFront collapses or
 * serves from its cache) can carry it. signed-url's viewer-response step reads it to send this viewer,
 * and only this one, on to its own signed URL when an image is too large to answer inline.
 * Never taken from a viewer: signed-url and image-request delete it from every viewer request.
 */
export const VIEWER_URL_HEADER = 'x-private-viewer-url';
