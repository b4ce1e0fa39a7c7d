/**
 * The request target, before anything else runs: which targets are accepted, and the normalized path
 * CloudFront matches behaviors against. Pure: no I/O.
 *
 * AWS: "CloudFront normalizes URI paths consistent with RFC 3986 and then matches the path with the
 * correct cache behavior. Once the cache behavior is matched, CloudFront sends the raw URI path to
 * the origin" (cache behavior settings, Path pattern). Which steps of RFC 3986 section 6 it applies is
 * not listed beyond multiple slashes and `..`: the choice here is RFC 3986 6.2.2 (percent-encoded
 * unreserved characters decoded, hex digits upper-cased, dot segments removed) plus runs of `/`
 * collapsed. Functions get the raw path, as the origin does (AWS is silent on what they see).
 */
import { MAX_REQUEST_BYTES, MAX_URL_BYTES } from '../../../functions/core/signed-url.ts';
import type { BehaviorSpec } from '../../distribution.ts';

/**
 * The longest URL (8,192 bytes) and request line plus headers (20,480 bytes) CloudFront accepts:
 * defined once, in functions/core/signed-url.ts (they also bound a signed policy); over either, 413
 * (RequestAndResponseBehaviorCustomOrigin.html).
 */
export { MAX_REQUEST_BYTES, MAX_URL_BYTES };

export type Target =
  | { readonly kind: 'origin-form'; readonly path: string; readonly querystring: string }
  | { readonly kind: 'refused'; readonly reason: string };

/**
 * The request target as CloudFront takes it. Only origin-form (`/path?query`) reaches a behavior:
 * `*` (OPTIONS *), absolute-form and authority-form are refused with a 400 (AWS is silent: a choice).
 */
export function parseTarget(raw: string): Target {
  if (!raw.startsWith('/'))
    return { kind: 'refused', reason: `Expected a path starting with "/" for the request target but received ${JSON.stringify(raw.slice(0, 64))}` };
  const at = raw.indexOf('?');
  return { kind: 'origin-form', path: at === -1 ? raw : raw.slice(0, at), querystring: at === -1 ? '' : raw.slice(at + 1) };
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;
/** What normalizing can change: an escape, a run of `/`, a `.` or `..` segment. A path without one is normal already. */
const NORMALIZABLE = /%|\/\/|\/\.\.?(?:\/|$)/;

/** The path CloudFront matches path patterns against. */
export function normalizePath(path: string): string {
  if (path.startsWith('/') && !NORMALIZABLE.test(path)) return path;
  // Percent-encoded unreserved characters decoded, other escapes upper-cased (RFC 3986 6.2.2.1-2).
  const decoded = path.replace(/%([0-9a-fA-F]{2})/g, (_escape, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
  });
  return removeDotSegments(decoded.replace(/\/{2,}/g, '/'));
}

/** RFC 3986 5.2.4, for an absolute path. */
function removeDotSegments(path: string): string {
  const output: string[] = [];
  const segments = path.split('/').slice(1);
  for (const [i, segment] of segments.entries()) {
    const last = i === segments.length - 1;
    if (segment === '.' || segment === '..') {
      if (segment === '..') output.pop();
      if (last) output.push('');
      continue;
    }
    output.push(segment);
  }
  return `/${output.join('/')}`;
}

/** CloudFront's matching on the normalized path: behaviors in order, `*` any run, `?` one character, case-sensitive. */
export function matchBehavior<B extends Pick<BehaviorSpec, 'pathPattern'>>(behaviors: readonly B[], rawPath: string): B {
  const path = normalizePath(rawPath);
  for (const behavior of behaviors) {
    if (patternRegExp(behavior.pathPattern).test(path)) return behavior;
  }
  const fallback = behaviors.at(-1);
  if (!fallback) throw new Error('Expected at least one cache behavior but received none');
  return fallback;
}

/** Each path pattern's expression, made once (a distribution has a handful of patterns; every request matches them). */
const patternCache = new Map<string, RegExp>();

function patternRegExp(pattern: string): RegExp {
  const cached = patternCache.get(pattern);
  if (cached) return cached;
  const made = patternRegExpOf(pattern);
  patternCache.set(pattern, made);
  return made;
}

function patternRegExpOf(pattern: string): RegExp {
  const normalized = pattern.startsWith('/') || pattern === '*' ? pattern : `/${pattern}`;
  const body = normalized
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${body}$`, 's');
}
