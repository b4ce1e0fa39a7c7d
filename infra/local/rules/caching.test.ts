import { describe, expect, it } from 'vitest';
import type { CachePolicySpec } from '../../distribution.ts';
import { toCfHeaders } from '../../../functions/adapters/cloudfront/headers.ts';
import { DEFAULT_ERROR_CACHING_MIN_TTL, cachingDisabled, servableStale, ttlFor } from './caching.ts';
import { imageCachePolicy } from '../../distribution.ts';

const NOW = Date.parse('2026-12-03T12:00:00Z');
// The image behaviors' cache policy: the canonical URI plus the normalized Accept-Encoding.
const policy: CachePolicySpec = imageCachePolicy;
const disabled: CachePolicySpec = { ...policy, defaultTtl: 0, minTtl: 0, maxTtl: 0 };

function ttl(
  status: number,
  headers: Record<string, string> = {},
  overrides: { policy?: CachePolicySpec; method?: string; cachedMethods?: string[]; errorCachingMinTtl?: number } = {},
) {
  return ttlFor({
    status,
    headers: toCfHeaders(headers),
    method: overrides.method ?? 'GET',
    policy: overrides.policy ?? policy,
    cachedMethods: overrides.cachedMethods ?? ['GET', 'HEAD'],
    errorCachingMinTtl: overrides.errorCachingMinTtl ?? DEFAULT_ERROR_CACHING_MIN_TTL,
    now: NOW,
  }).seconds;
}

describe('TTLs of successful responses (Expiration.html)', () => {
  it('[cache.ttl-table] applies the minimum TTL = 0 column: max-age or s-maxage up to the maximum, else the default', () => {
    expect(ttl(200)).toBe(86_400);
    expect(ttl(200, { 'Cache-Control': 'max-age=60' })).toBe(60);
    expect(ttl(200, { 'Cache-Control': 'max-age=60, s-maxage=600' })).toBe(600);
    expect(ttl(200, { 'Cache-Control': 'max-age=999999999' })).toBe(31_536_000);
    expect(ttl(200, { 'Cache-Control': 'max-age=0' })).toBe(0);
  });

  it('[cache.ttl-table] applies the minimum TTL > 0 column: clamped to [minimum, maximum], default at least the minimum', () => {
    const floored = { ...policy, minTtl: 300, defaultTtl: 100 };
    expect(ttl(200, {}, { policy: floored })).toBe(300);
    expect(ttl(200, { 'Cache-Control': 'max-age=60' }, { policy: floored })).toBe(300);
    expect(ttl(200, { 'Cache-Control': 's-maxage=3600' }, { policy: floored })).toBe(3600);
  });

  it('[cache.expires] caches until Expires (capped by the maximum TTL), max-age winning over Expires', () => {
    const inAnHour = new Date(NOW + 3_600_000).toUTCString();
    expect(ttl(200, { Expires: inAnHour })).toBe(3600);
    expect(ttl(200, { Expires: inAnHour, 'Cache-Control': 'max-age=5' })).toBe(5);
    expect(ttl(200, { Expires: new Date(NOW + 10 * 31_536_000_000).toUTCString() })).toBe(31_536_000);
    expect(ttl(200, { Expires: 'yesterday' })).toBe(0);
  });

  it('[cache.no-store] respects no-cache, no-store and private at minimum TTL 0, keeps the minimum TTL above 0', () => {
    for (const directive of ['no-cache', 'no-store', 'private', 'private, max-age=600']) {
      expect(ttl(200, { 'Cache-Control': directive })).toBe(0);
      expect(ttl(200, { 'Cache-Control': directive }, { policy: { ...policy, minTtl: 30 } })).toBe(30);
    }
  });

  it('[cache.3xx] caches 301, 302 and 303 per the cache settings, 307 and 308 only with a Cache-Control header', () => {
    expect(ttl(301)).toBe(86_400);
    expect(ttl(302, { 'Cache-Control': 'max-age=120' })).toBe(120);
    expect(ttl(303)).toBe(86_400);
    expect(ttl(307)).toBe(0);
    expect(ttl(308)).toBe(0);
    expect(ttl(307, { 'Cache-Control': 'max-age=120' })).toBe(120);
    expect(ttl(308, { 'Cache-Control': 'public' })).toBe(86_400);
    expect(ttl(304)).toBe(0);
  });
});

describe('error caching (HTTPStatusCodes.html, custom-error-pages-expiration.html)', () => {
  it('[cache.errors-always] caches 404, 414, 500, 501, 502, 503 and 504 for the error caching minimum TTL without headers', () => {
    for (const status of [404, 414, 500, 501, 502, 503, 504]) expect(ttl(status), String(status)).toBe(10);
  });

  it('[cache.errors-max-age] caches 400, 403, 405, 412 and 415 only with max-age or s-maxage', () => {
    for (const status of [400, 403, 405, 412, 415]) {
      expect(ttl(status), String(status)).toBe(0);
      expect(ttl(status, { Expires: new Date(NOW + 60_000).toUTCString() }), String(status)).toBe(0);
      expect(ttl(status, { 'Cache-Control': 'max-age=60' }), String(status)).toBe(60);
      expect(ttl(status, { 'Cache-Control': 's-maxage=5' }), String(status)).toBe(10);
    }
  });

  it('[cache.errors-never] never caches any other 4xx or 5xx', () => {
    for (const status of [401, 402, 406, 408, 409, 413, 416, 422, 429, 431, 505, 507]) {
      expect(ttl(status, { 'Cache-Control': 'max-age=600' }), String(status)).toBe(0);
    }
  });

  it('[cache.error-refusal] honours no-store, no-cache and private only for 404, 410, 414 and 501', () => {
    for (const status of [404, 410, 414, 501]) expect(ttl(status, { 'Cache-Control': 'no-store' }), String(status)).toBe(0);
    for (const status of [500, 502, 503, 504]) expect(ttl(status, { 'Cache-Control': 'no-cache, no-store, private' }), String(status)).toBe(10);
  });

  it('[cache.error-ttl] keeps an error for the larger of its header and the minimum, the header capped by the maximum TTL', () => {
    expect(ttl(404, { 'Cache-Control': 'max-age=300' })).toBe(300);
    expect(ttl(404, { 'Cache-Control': 'max-age=3' })).toBe(10);
    expect(ttl(503, { Expires: new Date(NOW + 120_000).toUTCString() })).toBe(120);
    expect(ttl(404, { 'Cache-Control': 'max-age=999999999' }, { policy: { ...policy, maxTtl: 600 } })).toBe(600);
    expect(ttl(404, {}, { errorCachingMinTtl: 0 })).toBe(0);
    expect(ttl(502, {}, { errorCachingMinTtl: 30 })).toBe(30);
  });

  it('[cache.disabled] caches nothing, errors included, under a caching-disabled policy', () => {
    expect(cachingDisabled(disabled)).toBe(true);
    expect(cachingDisabled(policy)).toBe(false);
    for (const status of [200, 301, 404, 502, 503]) expect(ttl(status, { 'Cache-Control': 'max-age=600' }, { policy: disabled })).toBe(0);
  });
});

describe('methods', () => {
  it('[cache.methods] caches GET and HEAD, OPTIONS only when the behavior caches it, never the other methods', () => {
    expect(ttl(200, {}, { method: 'HEAD' })).toBe(86_400);
    expect(ttl(200, {}, { method: 'OPTIONS' })).toBe(0);
    expect(ttl(200, {}, { method: 'OPTIONS', cachedMethods: ['GET', 'HEAD', 'OPTIONS'] })).toBe(86_400);
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) expect(ttl(200, { 'Cache-Control': 'max-age=60' }, { method })).toBe(0);
  });
});

describe('stale objects', () => {
  it('[cache.stale-on-5xx] serves an expired object on an origin error unless stale-if-error has run out', () => {
    expect(servableStale(toCfHeaders({ 'Cache-Control': 'max-age=60' }), 3600)).toBe(true);
    expect(servableStale(toCfHeaders({ 'Cache-Control': 'max-age=60, stale-if-error=0' }), 1)).toBe(false);
    expect(servableStale(toCfHeaders({ 'Cache-Control': 'max-age=60, stale-if-error=300' }), 200)).toBe(true);
  });
});
