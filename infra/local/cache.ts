/**
 * The edge cache: objects by cache key, kept for the TTL CloudFront would give them (the rules are in
 * rules/caching.ts). An expired object stays until it is evicted, because CloudFront serves it again
 * when the origin answers 5xx or does not answer; the cache holds at most `maxObjects`, the oldest
 * stored leaving first, so one process never grows without bound.
 */
import type { CloudFrontHeaders } from 'aws-lambda';

export interface CachedObject {
  readonly status: number;
  readonly headers: CloudFrontHeaders;
  readonly body: Buffer;
  /** The request path the object was stored for, which invalidations match. */
  readonly path: string;
  readonly storedAt: number;
  readonly ttlMs: number;
}

export type Lookup =
  | { readonly fresh: true; readonly object: CachedObject; readonly ageSeconds: number }
  | { readonly fresh: false; readonly object: CachedObject; readonly expiredForSeconds: number };

export class EdgeCache {
  readonly #objects = new Map<string, CachedObject>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxObjects = 10_000,
  ) {}

  /** A fresh object. */
  get(key: string): { object: CachedObject; ageSeconds: number } | undefined {
    const found = this.lookup(key);
    return found?.fresh ? found : undefined;
  }

  /** A fresh object, or an expired one (for serving stale on an origin error). */
  lookup(key: string): Lookup | undefined {
    const object = this.#objects.get(key);
    if (!object) return undefined;
    const ageMs = this.now() - object.storedAt;
    if (ageMs < object.ttlMs) return { fresh: true, object, ageSeconds: Math.floor(ageMs / 1000) };
    return { fresh: false, object, expiredForSeconds: Math.floor((ageMs - object.ttlMs) / 1000) };
  }

  /**
   * Stores an object. Its header map is frozen, entries and all: what the cache holds never changes
   * after it is stored, so what is derived from it (respond.ts's header lines) can be made once.
   */
  set(key: string, object: Omit<CachedObject, 'storedAt'>): void {
    if (object.ttlMs <= 0) return;
    this.#objects.delete(key);
    this.#objects.set(key, { ...object, headers: frozen(object.headers), storedAt: this.now() });
    for (const oldest of this.#objects.keys()) {
      if (this.#objects.size <= this.maxObjects) break;
      this.#objects.delete(oldest);
    }
  }

  /** Like a CloudFront invalidation: `*` at the end matches any suffix. Returns how many were dropped. */
  invalidate(pattern = '*'): number {
    let dropped = 0;
    const prefix = pattern.endsWith('*') ? pattern.slice(0, -1) : undefined;
    for (const [key, object] of this.#objects) {
      if (prefix === undefined ? object.path === pattern : object.path.startsWith(prefix)) {
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

/** The header maps the cache has frozen (every object's, since it was stored). */
const frozenMaps = new WeakSet<CloudFrontHeaders>();

/** Whether this header map is a cached object's, and so never changes. */
export function isFrozenByCache(headers: CloudFrontHeaders): boolean {
  return frozenMaps.has(headers);
}

/** The header map frozen in place, with its arrays and entries. */
function frozen(headers: CloudFrontHeaders): CloudFrontHeaders {
  if (frozenMaps.has(headers)) return headers;
  for (const entries of Object.values(headers)) {
    for (const entry of entries) Object.freeze(entry);
    Object.freeze(entries);
  }
  frozenMaps.add(Object.freeze(headers));
  return headers;
}
