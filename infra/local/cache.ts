/**
 * The edge cache: objects keyed by cache key, kept for the TTL CloudFront would give them.
 *
 * TTL rules as CloudFront applies a cache policy: `s-maxage`, else `max-age`, clamped to the
 * policy's min and max TTL; `no-store`, `no-cache` or `private` mean "don't cache" when the min TTL
 * is 0; no Cache-Control means the default TTL. Error responses CloudFront caches are kept for the
 * larger of their max-age and the error caching minimum TTL (10 s by default); `no-store`,
 * `no-cache` and `private` keep an error out of the cache only for 404, 414 and 501; every other
 * cached error (a 502 or 503 among them) is kept for the error caching minimum TTL regardless. The
 * errors CloudFront caches are 400, 403, 404, 405, 414, 416, 500, 501, 502, 503 and 504; any other
 * 4xx or 5xx (413, 415, 422, 429) is never cached.
 */
import type { CloudFrontHeaders } from 'aws-lambda';
import type { CachePolicySpec } from '../distribution.ts';

export interface CachedObject {
  readonly status: number;
  readonly headers: CloudFrontHeaders;
  readonly body: Buffer;
  readonly storedAt: number;
  readonly ttlMs: number;
}

const CACHEABLE_BY_DEFAULT = new Set([200, 203, 300, 301, 410]);
const ERROR_CACHED = new Set([400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504]);
/** The only cached errors whose `no-store` / `no-cache` / `private` CloudFront honours (and 410, cached as content). */
const ERROR_REFUSAL_HONOURED = new Set([404, 414, 501]);
const ERROR_CACHING_MIN_TTL = 10;

export function ttlSeconds(status: number, headers: CloudFrontHeaders, policy: CachePolicySpec): number {
  const directives = parseCacheControl(headers['cache-control']?.map((h) => h.value).join(',') ?? '');
  const refuses = directives.has('no-store') || directives.has('no-cache') || directives.has('private');
  const explicit = directives.get('s-maxage') ?? directives.get('max-age');
  const seconds = explicit === undefined ? undefined : Number.parseInt(explicit, 10);
  if (ERROR_CACHED.has(status)) {
    if (refuses) return ERROR_REFUSAL_HONOURED.has(status) ? 0 : ERROR_CACHING_MIN_TTL;
    return seconds === undefined || Number.isNaN(seconds) ? ERROR_CACHING_MIN_TTL : Math.max(seconds, ERROR_CACHING_MIN_TTL);
  }
  // Any other 4xx/5xx (413, 415, 422, 429, ...) is never cached.
  if (status >= 400) return 0;
  if (refuses && policy.minTtl === 0) return 0;
  if (seconds !== undefined && !Number.isNaN(seconds)) return Math.min(Math.max(seconds, policy.minTtl), policy.maxTtl);
  return CACHEABLE_BY_DEFAULT.has(status) ? policy.defaultTtl : 0;
}

function parseCacheControl(value: string): Map<string, string> {
  const directives = new Map<string, string>();
  for (const part of value.split(',')) {
    const [name, arg] = part.trim().split('=');
    if (name) directives.set(name.toLowerCase(), (arg ?? '').replaceAll('"', ''));
  }
  return directives;
}

export class EdgeCache {
  readonly #objects = new Map<string, CachedObject>();

  constructor(private readonly now: () => number = Date.now) {}

  get(key: string): { object: CachedObject; ageSeconds: number } | undefined {
    const object = this.#objects.get(key);
    if (!object) return undefined;
    const ageMs = this.now() - object.storedAt;
    if (ageMs >= object.ttlMs) {
      this.#objects.delete(key);
      return undefined;
    }
    return { object, ageSeconds: Math.floor(ageMs / 1000) };
  }

  set(key: string, object: Omit<CachedObject, 'storedAt'>): void {
    if (object.ttlMs > 0) this.#objects.set(key, { ...object, storedAt: this.now() });
  }

  /** Like a CloudFront invalidation: `*` at the end matches any suffix. Returns how many were dropped. */
  invalidate(pattern = '*'): number {
    let dropped = 0;
    const prefix = pattern.endsWith('*') ? pattern.slice(0, -1) : undefined;
    for (const key of this.#objects.keys()) {
      const path = key.slice(key.indexOf(' ') + 1);
      if (prefix === undefined ? path === pattern : path.startsWith(prefix)) {
        this.#objects.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  get size(): number {
    return this.#objects.size;
  }
}
