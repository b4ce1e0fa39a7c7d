/**
 * THE single source of truth for the CDN: origins, the origin group, cache behaviors, which function
 * runs on which event, the tunables, and (from the modules beside it) the image policy
 * (infra/image-policy.ts) and the CloudFront quotas (infra/cloudfront-quotas.ts). SST (infra/*.ts) and
 * the local edge (infra/local/) are both built from this plain, typed data, so the local edge cannot
 * drift from what is deployed. The types it is written in are infra/spec.ts.
 */
import { imageCachePolicy, images } from './image-policy.ts';
import { TEST_ECDSA_PUBLIC_KEY, TEST_RSA_PUBLIC_KEY } from './keys.ts';
import type { BehaviorSpec, DistributionSpec, FunctionName } from './spec.ts';

export * from './spec.ts';
export { imageCachePolicy, images } from './image-policy.ts';

/** The functions that have a CloudFront Function build (the rest need Node: sharp, S3, RSA). */
export const CLOUDFRONT_FUNCTION_BUILDS: readonly FunctionName[] = ['image-request'];

/**
 * An image behavior: the origin group, the image cache policy, the viewer country forwarded to
 * origin events, and the functions on each slot; only the viewer-request function differs.
 */
function imageBehavior(pathPattern: string, viewerRequest: 'image-request' | 'signed-url'): BehaviorSpec {
  const signed = viewerRequest === 'signed-url';
  return {
    // signed-url verifies RSA/ECDSA signatures: CloudFront Functions' crypto module has hashes and
    // HMAC only, so it stays on Lambda@Edge.
    viewerRequestRuntime: viewerRequest === 'image-request' ? 'cloudfront-function' : 'lambda-edge',
    pathPattern,
    target: 'images',
    allowedMethods: ['GET', 'HEAD', 'OPTIONS'],
    cachePolicy: imageCachePolicy,
    // Nothing a viewer sent, and nothing signed-url records of it, reaches an origin event: an origin's
    // answer is shared by every viewer CloudFront collapses onto it or serves it from the cache.
    originRequestPolicy: { headers: ['CloudFront-Viewer-Country', 'CloudFront-Viewer-Country-Region'] },
    compress: true,
    functions: {
      'viewer-request': viewerRequest,
      'origin-request': 'geo-route',
      'origin-response': 'image-resize',
      // signed-url again on signed behaviors: it sends each viewer of an over-cap image on to that
      // viewer's own signed URL, after the cache (functions/signed-url/viewer-response.ts). Lambda@Edge,
      // as its viewer-request: CloudFront Functions and Lambda@Edge cannot share a behavior's viewer events.
      ...(signed ? { 'viewer-response': 'signed-url' as const } : {}),
    },
    ...(signed ? { trustedKeyGroups: ['private-images'] } : {}),
  };
}

/**
 * The tunables of image-resize and the HTTP image origin, defined once: both are built from these
 * (image-resize through its baked configuration, infra/config.ts; the origin in infra/origin/server.ts).
 *
 * - derivedCacheControl: Cache-Control of every derived image, answered and stored on the object
 *   (a derived URI names one immutable rendering: a year).
 * - renders: at most four resizes (S3 read + decode + encode) at once per process, 64 waiting, none
 *   waiting more than 10 s; beyond that a 503 (not cached). A Lambda instance handles one event at a
 *   time, so in AWS this never queues; it bounds memory where one process serves many requests (the
 *   local edge, sst dev, the HTTP origin): four 12 MP resizes peak near 4 x 80 MiB with shrink-on-load.
 *   Four, the render pool's workers and reserve: renders set aside past their estimate must not
 *   keep ordinary misses waiting here. 10 s is two of the smallest render budgets
 *   (images.limits.cost.minRenderSeconds): a slot an over-budget render holds is free within one
 *   (checkRenderSettings in infra/render/pool.ts).
 * - renderPool: the long-running servers' render processes (infra/render/pool.ts): two for the two
 *   cores and two in reserve, all taking renders as they come, so that two renders that used
 *   three times their estimate in CPU time (and 50 ms), set aside (paused while renders on time run) until they
 *   finish or their budget kills them, leave two processes to ordinary misses. Measured by the
 *   bench's attacks section (bench/attacks-capacity.ts).
 * - s3: how long S3 may take (functions/adapters/s3/store.ts), so that a whole origin-response stays
 *   inside its timeout: GetObject <= getDeadlineMs (every attempt, backoff and the body read), the
 *   render <= images.limits.cost.renderSeconds, PutObject <= putDeadlineMs (the 409 retry included),
 *   base64 and the answer <= answerMarginMs: 6 + 20 + 3 + 1 = 30 s, checked against image-resize's
 *   timeout and CloudFront's 30 s at build and by the preflight (infra/build/budget.ts). Each attempt is
 *   bounded too: connect <= 1 s (same-region S3 connects in tens of ms), response headers <= 3 s,
 *   <= 3 s of silence between body bytes; 3 attempts with the SDK's standard retry mode (backoff a
 *   random share of 100 ms x 2^n, 500 ms x 2^n after throttling; its retry quota stops an instance
 *   from retrying into an S3 that keeps failing). A failed PutObject costs the viewer nothing (the
 *   image is answered anyway), hence the shorter deadline.
 * - redirectMemoryMs: how long an image-resize instance remembers that it sent a viewer back to S3
 *   for a key: a second miss of it within that time answers 503 instead of redirecting again.
 * The render time budget is images.limits.cost (renderSeconds, scaled by minRenderSeconds and
 * estimateMargin: the admission cost model's, above).
 */
export const tunables = {
  derivedCacheControl: 'public, max-age=31536000, immutable',
  renders: { concurrency: 4, maxQueued: 64, maxWaitMs: 10_000 },
  renderPool: { workers: 2, reserve: 2, overrunFactor: 3, minOverrunMs: 50 },
  s3: { connectionTimeoutMs: 1_000, requestTimeoutMs: 3_000, socketTimeoutMs: 3_000, maxAttempts: 3, getDeadlineMs: 6_000, putDeadlineMs: 3_000 },
  answerMarginMs: 1_000,
  redirectMemoryMs: 60_000,
} as const;

/** The statuses image-resize answers for a failure that should not stick (errorCaching below). */
export const TRANSIENT_ERROR_STATUSES: readonly number[] = [500, 502, 503];

export const distribution: DistributionSpec = {
  name: 'edge-images',
  origins: [
    { kind: 's3', id: 'images-s3', bucket: 'edge-images-originals', region: 'us-east-1' },
    { kind: 'custom', id: 'image-origin', domainName: 'origin.images.example.com', port: 80, protocol: 'http' },
    // Geo-routed replicas (see `geo`): each holds the same originals as images-s3.
    { kind: 's3', id: 'images-s3-eu', bucket: 'edge-images-originals-eu', region: 'eu-west-1' },
    { kind: 's3', id: 'images-s3-ap', bucket: 'edge-images-originals-ap', region: 'ap-northeast-2' },
    { kind: 'custom', id: 'image-origin-hk', domainName: 'origin-hk.images.example.com', port: 443, protocol: 'https' },
  ],
  originGroups: [
    {
      id: 'images',
      primary: 'images-s3',
      secondary: 'image-origin',
      failoverStatusCodes: [500, 502, 503, 504],
    },
  ],
  behaviors: [
    // Private originals, and the canonical derived URIs of their thumbnails, need a signed URL or
    // signed cookies (keys below: keyGroups). image-request refuses keys under these prefixes, so the
    // public `*` behavior is no way around them (see protectedPrefixes in infra/config.ts).
    imageBehavior('/private/*', 'signed-url'),
    imageBehavior('/_derived/private/*', 'signed-url'),
    imageBehavior('*', 'image-request'),
  ],
  functions: {
    'image-request': { memoryMb: 128, timeoutSeconds: 5 },
    'image-resize': { memoryMb: 1536, timeoutSeconds: 30 },
    'geo-route': { memoryMb: 128, timeoutSeconds: 5 },
    'signed-url': { memoryMb: 128, timeoutSeconds: 5 },
  },
  regionalFunctions: {
    // Replaced or deleted originals: their variants leave `_derived/` and the CloudFront cache. A
    // list, a HEAD per variant, one DeleteObjects and one invalidation: seconds even for hundreds
    // of variants; 60 s leaves room for the SDK's retries.
    'derived-cleanup': { memoryMb: 256, timeoutSeconds: 60, s3Events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:*'] },
  },
  images,
  // TEST-ONLY keys (fixtures/keys, infra/keys.ts): anyone can sign with them. A deployment REPLACES
  // them with its own public keys; the private keys never enter the repository.
  keyGroups: [{ name: 'private-images', keys: [TEST_RSA_PUBLIC_KEY, TEST_ECDSA_PUBLIC_KEY] }],
  // TEST-ONLY keys are refused by `npm run package` and `sst deploy` unless built for local use:
  // `npm run keys -- --stage NAME` makes a pair (docs/private-images.md).
  signedUrls: {
    scheme: 'https',
    clockSkewSeconds: 0,
    cors: { allowedOrigins: [], allowedHeaders: [], maxAgeSeconds: 600 },
  },
  // Browser uploads: a grant signs one POST policy for a token's prefix. SVG is left out: a
  // stranger's SVG holds script when a browser opens the original. Five minutes to start the upload
  // (S3 checks the policy's expiration when the POST arrives); tokens at most ten minutes old.
  uploads: {
    grant: { memoryMb: 256, timeoutSeconds: 10 },
    allowedPrefixes: ['uploads/'],
    contentTypes: ['image/jpeg', 'image/png', 'image/webp', 'image/avif', 'image/gif', 'image/tiff'],
    grantSeconds: 300,
    maxTokenSeconds: 600,
    stage: 'local',
    accelerate: false,
  },
  // image-resize's own failures that a retry can cure (500 internal error, 502 the origin failed, 503
  // a render it could not finish, an image it could not store or answer yet) say no-store, but
  // CloudFront caches 500-504 for the error-caching minimum TTL whatever no-store says
  // (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/custom-error-pages-expiration.html):
  // 0 for each, with no error page, so the next viewer retries.
  errorCaching: TRANSIENT_ERROR_STATUSES.map((errorCode) => ({ errorCode, errorCachingMinTtl: 0 })),
  // Subdivision > country > continent > default, as Route 53 geolocation. The default is the origin
  // group's primary: geo-route only reroutes requests bound for it, never the failover secondary.
  geo: {
    defaultOrigin: 'images-s3',
    routes: [
      { origin: 'images-s3-eu', continents: ['EU'] },
      { origin: 'images-s3-ap', countries: ['KR', 'JP'] },
      { origin: 'image-origin-hk', countries: ['CN'] },
    ],
  },
};
