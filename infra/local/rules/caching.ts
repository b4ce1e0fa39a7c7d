/**
 * How long CloudFront keeps a response, from its status, its Cache-Control / Expires headers, the
 * method, and the behavior's cache policy. Pure: no I/O, `now` is passed in.
 *
 * Pages: Expiration.html (TTL table), HTTPStatusCodes.html (which errors are cached),
 * custom-error-pages-expiration.html (error caching minimum TTL), http-3xx-status-codes.html.
 */
import type { CloudFrontHeaders } from 'aws-lambda';
import type { CachePolicySpec } from '../../distribution.ts';

/** CloudFront's default error caching minimum TTL, in seconds. */
export const DEFAULT_ERROR_CACHING_MIN_TTL = 10;

/** Errors CloudFront caches whatever the headers say (HTTPStatusCodes.html); 410 is a named choice. */
export const ERRORS_ALWAYS_CACHED: readonly number[] = [404, 410, 414, 500, 501, 502, 503, 504];
/** Errors CloudFront caches only when the origin sends Cache-Control max-age or s-maxage. */
export const ERRORS_CACHED_WITH_MAX_AGE: readonly number[] = [400, 403, 405, 412, 415];
/** The errors whose no-store / no-cache / private CloudFront honours (custom-error-pages-expiration.html). */
export const ERRORS_REFUSAL_HONOURED: readonly number[] = [404, 410, 414, 501];
/** Successful statuses cached per the cache settings (AWS names 200 and 3xx; 203 and 206 are our choice). */
const CACHEABLE_SUCCESS: readonly number[] = [200, 203, 206];
/** Redirects cached per the cache settings; 307 and 308 only with a Cache-Control header. */
const CACHEABLE_REDIRECTS: readonly number[] = [300, 301, 302, 303];
const REDIRECTS_NEEDING_CACHE_CONTROL: readonly number[] = [307, 308];

export interface TtlInput {
  readonly status: number;
  readonly headers: CloudFrontHeaders;
  readonly method: string;
  readonly policy: CachePolicySpec;
  /** The behavior's cached methods: GET and HEAD always; OPTIONS only when listed. */
  readonly cachedMethods: readonly string[];
  /** The error caching minimum TTL for this status (distribution.errorCaching, default 10 s). */
  readonly errorCachingMinTtl: number;
  /** Milliseconds since the epoch, for Expires. */
  readonly now: number;
}

export interface Ttl {
  /** Seconds to keep the response; 0 means it is not cached. */
  readonly seconds: number;
  /** Why, for traces and tests. */
  readonly reason: string;
}

/** Whether the policy caches nothing (CloudFront's CachingDisabled: every TTL 0). */
export function cachingDisabled(policy: CachePolicySpec): boolean {
  return policy.maxTtl === 0 && policy.defaultTtl === 0 && policy.minTtl === 0;
}

export function ttlFor(input: TtlInput): Ttl {
  const { status, policy } = input;
  if (cachingDisabled(policy)) return { seconds: 0, reason: 'the cache policy disables caching' };
  const method = input.method.toUpperCase();
  if (!(method === 'GET' || method === 'HEAD' || (method === 'OPTIONS' && input.cachedMethods.includes('OPTIONS')))) {
    return { seconds: 0, reason: `${method} responses are not cached` };
  }
  const cc = parseCacheControl(input.headers);
  const refuses = cc.has('no-store') || cc.has('no-cache') || cc.has('private');
  const maxAge = seconds(cc.get('s-maxage')) ?? seconds(cc.get('max-age'));
  const expires = expiresIn(input.headers, input.now);

  if (status >= 400) {
    const always = ERRORS_ALWAYS_CACHED.includes(status);
    const withMaxAge = ERRORS_CACHED_WITH_MAX_AGE.includes(status);
    if (!always && !withMaxAge) return { seconds: 0, reason: `${status} is never cached` };
    if (withMaxAge && maxAge === undefined) return { seconds: 0, reason: `${status} is cached only with max-age or s-maxage` };
    if (refuses && ERRORS_REFUSAL_HONOURED.includes(status)) return { seconds: 0, reason: `no-store/no-cache/private honoured for ${status}` };
    // The header's value counts up to the policy's maximum TTL; never less than the error minimum.
    const fromHeaders = maxAge ?? expires;
    const capped = fromHeaders === undefined ? 0 : Math.min(fromHeaders, policy.maxTtl);
    return { seconds: Math.max(input.errorCachingMinTtl, capped), reason: 'error caching' };
  }

  const redirectNeedsHeader = REDIRECTS_NEEDING_CACHE_CONTROL.includes(status);
  if (redirectNeedsHeader && cc.size === 0) return { seconds: 0, reason: `${status} is cached only with a Cache-Control header` };
  if (!CACHEABLE_SUCCESS.includes(status) && !CACHEABLE_REDIRECTS.includes(status) && !redirectNeedsHeader) {
    return { seconds: 0, reason: `${status} is not cached` };
  }
  if (refuses) {
    return policy.minTtl === 0
      ? { seconds: 0, reason: 'no-store/no-cache/private with minimum TTL 0' }
      : { seconds: policy.minTtl, reason: 'minimum TTL over no-cache' };
  }
  // s-maxage over max-age over Expires (max-age wins over Expires), clamped to [min, max].
  const explicit = maxAge ?? expires;
  if (explicit !== undefined) return { seconds: Math.min(Math.max(explicit, policy.minTtl), policy.maxTtl), reason: 'origin headers within the policy TTLs' };
  return { seconds: Math.max(policy.minTtl, policy.defaultTtl), reason: 'default TTL' };
}

/**
 * Whether an expired object may still be served because the origin answered 5xx or did not answer
 * (HTTPStatusCodes.html "The requested object is in the edge cache"). `stale-if-error=N` on the
 * object limits that to N seconds past expiry (Expiration.html); without it, until eviction.
 */
export function servableStale(objectHeaders: CloudFrontHeaders, expiredForSeconds: number): boolean {
  const limit = seconds(parseCacheControl(objectHeaders).get('stale-if-error'));
  return limit === undefined || expiredForSeconds <= limit;
}

function parseCacheControl(headers: CloudFrontHeaders): Map<string, string> {
  const directives = new Map<string, string>();
  const value = (headers['cache-control'] ?? []).map((h) => h.value).join(',');
  for (const part of value.split(',')) {
    const at = part.indexOf('=');
    const name = (at === -1 ? part : part.slice(0, at)).trim().toLowerCase();
    if (name)
      directives.set(
        name,
        at === -1
          ? ''
          : part
              .slice(at + 1)
              .trim()
              .replaceAll('"', ''),
      );
  }
  return directives;
}

function seconds(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number.parseInt(value, 10);
}

/** Seconds until the Expires date (0 when past or invalid, as RFC 9111 treats an invalid date). */
function expiresIn(headers: CloudFrontHeaders, now: number): number | undefined {
  const value = headers['expires']?.[0]?.value;
  if (value === undefined) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return 0;
  return Math.max(0, Math.floor((at - now) / 1000));
}
