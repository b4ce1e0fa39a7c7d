/**
 * The cache stage of the local edge: the cache key, the lookup, request collapsing (concurrent misses
 * for one key wait for the first one's origin fetch), storing under CloudFront's TTLs (rules/caching.ts),
 * serving stale on an origin 5xx, and compression as CloudFront applies it (rules/compression.ts).
 */
import type { CloudFrontRequest } from 'aws-lambda';
import type { BehaviorSpec, DistributionSpec } from '../distribution.ts';
import type { Answer } from './answer.ts';
import { cloudFrontHeaders } from './behaviors.ts';
import type { EdgeCache, Lookup } from './cache.ts';
import type { Simulation } from './dev.ts';
import type { Exchange } from './exchange.ts';
import type { OriginContext } from './failover.ts';
import { DEFAULT_ERROR_CACHING_MIN_TTL, cachingDisabled, servableStale, ttlFor } from './rules/caching.ts';
import { compress, compressionFor } from './rules/compression.ts';
import { cacheKey as cacheKeyOf } from './rules/forwarding.ts';

export interface CacheStageOptions {
  readonly spec: DistributionSpec;
  readonly cache: EdgeCache;
  readonly now: () => number;
  /** The origin stage (failover.ts). */
  readonly fromOrigin: (behavior: BehaviorSpec, request: CloudFrontRequest, ctx: OriginContext) => Promise<Answer>;
}

/** What CloudFront caches when a behavior does not say. */
const DEFAULT_CACHED_METHODS: readonly string[] = ['GET', 'HEAD'];

/** The cache stage: the answer from the cache, or from the origin (stored when CloudFront would store it). */
export function createCacheStage(options: CacheStageOptions) {
  const { cache, fromOrigin } = options;
  const inFlight = new Map<string, Promise<Answer>>();

  /** A fresh hit is answered at once; everything else is a promise of what the origin answers. */
  return function throughCache(x: Exchange, request: CloudFrontRequest, ctx: OriginContext): Answer | Promise<Answer> {
    const { behavior, method } = x;
    // A response made under a dev switch is never served to a request without it (nor the reverse).
    const switches = devCacheKey(ctx.simulation);
    const key = `${behavior.pathPattern} ${cacheKeyOf({ behavior, headers: request.headers, querystring: request.querystring, cloudFrontHeaders: cloudFrontHeaders(ctx.simulation), uri: request.uri, method })}${switches}`;
    const cacheable =
      !cachingDisabled(behavior.cachePolicy) &&
      (method === 'GET' || method === 'HEAD' || (method === 'OPTIONS' && (behavior.cachedMethods ?? DEFAULT_CACHED_METHODS).includes('OPTIONS')));
    // A HEAD is answered from the GET entry; a HEAD miss is stored too (CloudFront caches GET and HEAD
    // responses), in an entry that answers HEADs only, since it holds no body (rules: cache.head-from-get).
    const storeKey = method === 'HEAD' ? `${key} HEAD` : key;
    const shared = cacheable ? cache.lookup(key) : undefined;
    const found = method === 'HEAD' && !shared?.fresh ? (cache.lookup(storeKey) ?? shared) : shared;
    if (found?.fresh) {
      const { status, headers, body } = found.object;
      return { status, headers, body, cache: 'Hit', ageSeconds: found.ageSeconds };
    }
    return miss(x, request, ctx, { cacheable, key, storeKey, found });
  };

  async function miss(
    x: Exchange,
    request: CloudFrontRequest,
    ctx: OriginContext,
    { cacheable, key, storeKey, found }: { cacheable: boolean; key: string; storeKey: string; found: Lookup | undefined },
  ): Promise<Answer> {
    const { behavior, method } = x;
    // Not collapsed (each HEAD miss goes to the origin), but stored for the HEADs that follow.
    if (cacheable && method === 'HEAD') return store(x, storeKey, await fromOrigin(behavior, request, ctx), found, request);
    if (cacheable) {
      const pending = inFlight.get(key);
      if (pending) {
        const shared = await pending;
        return { ...shared, cache: cache.get(key) ? 'Hit' : shared.cache };
      }
      const fetching = fromOrigin(behavior, request, ctx).then((fetched) => store(x, key, fetched, found, request));
      inFlight.set(key, fetching);
      try {
        return await fetching;
      } finally {
        inFlight.delete(key);
      }
    }
    // Uncached methods go to the origin and are not stored.
    return compressed(x, await fromOrigin(behavior, request, ctx), request);
  }

  /**
   * Stores what the origin answered under its TTL (rules/caching.ts), compressed as CloudFront would,
   * or serves the expired object again when the origin failed with a 5xx (rules: cache.stale-on-5xx).
   */
  function store(x: Exchange, key: string, fetched: Answer, stale: Lookup | undefined, request: CloudFrontRequest): Answer {
    const minTtl = (status: number) => options.spec.errorCaching?.find((e) => e.errorCode === status)?.errorCachingMinTtl ?? DEFAULT_ERROR_CACHING_MIN_TTL;
    if (stale && !stale.fresh && fetched.status >= 500 && servableStale(stale.object.headers, stale.expiredForSeconds)) {
      cache.set(key, { ...stale.object, ttlMs: minTtl(fetched.status) * 1000 });
      return { ...stale.object, cache: 'Hit', ageSeconds: 0, ...(fetched.origin ? { origin: fetched.origin } : {}) };
    }
    const answer = compressed(x, fetched, request);
    // CloudFront's own error pages (no origin answer) are not cached; an origin's errors are, per the rules.
    if (answer.cache !== 'Miss') return answer;
    const ttl = ttlFor({
      status: answer.status,
      headers: answer.headers,
      method: x.method,
      policy: x.behavior.cachePolicy,
      cachedMethods: x.behavior.cachedMethods ?? DEFAULT_CACHED_METHODS,
      errorCachingMinTtl: minTtl(answer.status),
      now: options.now(),
    });
    cache.set(key, { status: answer.status, headers: answer.headers, body: answer.body, path: request.uri, ttlMs: ttl.seconds * 1000 });
    return answer;
  }
}

/** The answer compressed when CloudFront would compress it for this viewer (rules/compression.ts). */
function compressed(x: Exchange, answer: Answer, request: CloudFrontRequest): Answer {
  if (answer.cache !== 'Miss') return answer;
  const decision = compressionFor({
    behavior: x.behavior,
    acceptEncoding: request.headers['accept-encoding']?.map((h) => h.value).join(', '),
    httpVersion: x.req.httpVersion,
    status: answer.status,
    headers: answer.headers,
    bodyBytes: answer.body.byteLength,
  });
  if (decision.coding === undefined) return answer;
  return { ...answer, ...compress(decision.coding, answer.headers, answer.body) };
}

/**
 * The part of the local cache key that keeps requests made under a dev switch apart from plain ones
 * ('' when none is in force). Requests under switches share among themselves per URI, as CloudFront
 * caches per URI whatever the viewer's country (geo-routed buckets must be replicas).
 */
function devCacheKey(simulation: Simulation): string {
  const any =
    simulation.viewerCountry !== undefined || simulation.failPrimary !== undefined || simulation.viewerIp !== undefined || simulation.s3Conflicts !== undefined;
  return any ? ' [dev switch]' : '';
}
