/**
 * THE single source of truth for the CDN: origins, the origin group, cache behaviors, which function
 * runs on which event, and the image policy. SST (infra/*.ts) and the local edge (infra/local/) are
 * both built from this plain, typed data, so the local edge cannot drift from what is deployed.
 */
import type { GeoTable } from '../functions/core/geo.ts';
import type { ImagePolicy } from '../functions/core/policy.ts';
import { TEST_ECDSA_PUBLIC_KEY, TEST_RSA_PUBLIC_KEY } from './keys.ts';

export type EventType = 'viewer-request' | 'origin-request' | 'origin-response' | 'viewer-response';
/**
 * Where a viewer-request function runs. `cloudfront-function`: CloudFront Functions (runtime
 * cloudfront-js-2.0, in every edge location, $0.10 per million invocations, code at most 10 KB;
 * image-request only, built from the same core by infra/build/cloudfront-function.ts).
 * `lambda-edge`: Lambda@Edge (Node.js, in the regional edge caches, per request plus duration).
 */
export type ViewerRuntime = 'cloudfront-function' | 'lambda-edge';
/** The functions that have a CloudFront Function build (the rest need Node: sharp, S3, RSA). */
export const CLOUDFRONT_FUNCTION_BUILDS: readonly FunctionName[] = ['image-request'];
export type FunctionName = 'image-request' | 'image-resize' | 'geo-route' | 'signed-url';
/** Regular regional Lambda functions (not Lambda@Edge), run by the buckets' events. */
export type RegionalFunctionName = 'derived-cleanup';
/** The S3 event notification types a regional function subscribes to on every image bucket. */
export type S3EventName = 's3:ObjectCreated:*' | 's3:ObjectRemoved:*';

export interface S3OriginSpec {
  readonly kind: 's3';
  readonly id: string;
  readonly bucket: string;
  readonly region: string;
}

export interface CustomOriginSpec {
  readonly kind: 'custom';
  readonly id: string;
  readonly domainName: string;
  readonly port: number;
  readonly protocol: 'http' | 'https';
  readonly path?: string;
}

export type OriginSpec = S3OriginSpec | CustomOriginSpec;

export interface OriginGroupSpec {
  readonly id: string;
  readonly primary: string;
  readonly secondary: string;
  /** Status codes that make CloudFront retry the secondary. 403/404 are deliberately absent. */
  readonly failoverStatusCodes: readonly (400 | 403 | 404 | 416 | 429 | 500 | 502 | 503 | 504)[];
}

/**
 * Which viewer values a policy names, in CloudFront's terms (`QueryStringBehavior`, `CookieBehavior`):
 * none, all, only the listed ones (`whitelist`), or all but the listed ones (`allExcept`).
 */
export type ValueSet =
  | { readonly behavior: 'none' }
  | { readonly behavior: 'all' }
  | { readonly behavior: 'whitelist' | 'allExcept'; readonly items: readonly string[] };

/**
 * A CloudFront cache policy: the TTLs, and the values in the cache key. Everything in the key is also
 * forwarded to the origin. https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/controlling-the-cache-key.html
 */
export interface CachePolicySpec {
  /** Seconds, as CloudFront's cache policy: used when the origin sends no Cache-Control or Expires. */
  readonly defaultTtl: number;
  readonly minTtl: number;
  readonly maxTtl: number;
  /** Headers in the cache key (a cache policy can only list them, never name all). */
  readonly headers: readonly string[];
  readonly cookies: ValueSet;
  readonly queryStrings: ValueSet;
  /** Accept-Encoding normalized into the key for these codings; needed for CloudFront compression. */
  readonly enableAcceptEncodingGzip: boolean;
  readonly enableAcceptEncodingBrotli: boolean;
}

/**
 * A CloudFront origin request policy: values forwarded to the origin (and shown to origin-event
 * functions) without being in the cache key. `headers` lists viewer headers or CloudFront headers
 * (`CloudFront-Viewer-Country`, ...); `allViewerHeaders` forwards every viewer header as well.
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/controlling-origin-requests.html
 */
export interface OriginRequestPolicySpec {
  readonly headers: readonly string[];
  readonly allViewerHeaders?: boolean;
  /** Default: none. */
  readonly cookies?: ValueSet;
  /** Default: none. */
  readonly queryStrings?: ValueSet;
}

/** A custom error response with no page: only how long CloudFront caches one error status. */
interface ErrorCachingSpec {
  readonly errorCode: number;
  /** Seconds; CloudFront's default for every status is 10. */
  readonly errorCachingMinTtl: number;
}

export interface BehaviorSpec {
  /** CloudFront path pattern: `*` any run, `?` one character, case-sensitive; `*` is the default. */
  readonly pathPattern: string;
  /** An origin id or an origin group id. */
  readonly target: string;
  /** CloudFront's sets: GET, HEAD; GET, HEAD, OPTIONS; or all seven. */
  readonly allowedMethods: readonly ('GET' | 'HEAD' | 'OPTIONS' | 'PUT' | 'PATCH' | 'POST' | 'DELETE')[];
  /** Cached methods: GET and HEAD (the default) or GET, HEAD, OPTIONS. OPTIONS fails over only when cached. */
  readonly cachedMethods?: readonly ('GET' | 'HEAD' | 'OPTIONS')[];
  readonly cachePolicy: CachePolicySpec;
  /** What else reaches the origin and origin-event functions, such as `CloudFront-Viewer-Country`. */
  readonly originRequestPolicy?: OriginRequestPolicySpec;
  /** "Compress objects automatically": Brotli or gzip for compressible types (the API's default: false). */
  readonly compress?: boolean;
  readonly functions: Partial<Record<EventType, FunctionName>>;
  /**
   * Which runtime runs this behavior's viewer-request function (default `lambda-edge`). A hit pays
   * the viewer-request function on every request: the public image behavior runs image-request as a
   * CloudFront Function; `lambda-edge` stays selectable (the same core, same answers: see
   * test/integration/cloudfront-function-differential.test.ts).
   */
  readonly viewerRequestRuntime?: ViewerRuntime;
  /**
   * Signed behaviors only: the key groups (by name, 1 to 4, as CloudFront allows per behavior) whose
   * keys may sign URLs and cookies for this path pattern.
   */
  readonly trustedKeyGroups?: readonly string[];
}

export interface FunctionSpec {
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
}

/**
 * A regional function on the image buckets' object events: one per bucket region (S3 notifies only
 * functions in the bucket's own region), subscribed to `s3Events` on every S3 origin's bucket.
 */
export interface RegionalFunctionSpec extends FunctionSpec {
  readonly s3Events: readonly S3EventName[];
}

export interface DistributionSpec {
  readonly name: string;
  readonly origins: readonly OriginSpec[];
  readonly originGroups: readonly OriginGroupSpec[];
  /** In CloudFront's order: the first matching pattern wins, the `*` default comes last. */
  readonly behaviors: readonly BehaviorSpec[];
  /** Error caching minimum TTLs other than CloudFront's default of 10 s. */
  readonly errorCaching?: readonly ErrorCachingSpec[];
  readonly functions: Readonly<Record<FunctionName, FunctionSpec>>;
  /** Regional functions on the buckets' object events (deployed with the CDN: they invalidate it). */
  readonly regionalFunctions: Readonly<Record<RegionalFunctionName, RegionalFunctionSpec>>;
  readonly images: ImagePolicy;
  /** Which origin serves which viewer location (geo-route); checked by checkGeoTable at build time. */
  readonly geo?: GeoTable;
  /** CloudFront public keys grouped as key groups: who may sign URLs and cookies for private paths. */
  readonly keyGroups?: readonly KeyGroupSpec[];
  /** How the signed-url function verifies (behaviors whose viewer-request is `signed-url`). */
  readonly signedUrls?: SignedUrlSpec;
  /** Browser uploads of originals through short-lived grants (the upload-grant function, docs/uploads.md). */
  readonly uploads?: UploadsSpec;
}

// ---------------------------------------------------------------------------------------------
// Browser uploads (upload-grant): one block, read by infra/config.ts, infra/upload-grant.ts and the local edge.

interface UploadsSpec {
  /** The upload-grant function: a regional Lambda behind its own function URL. */
  readonly grant: FunctionSpec;
  /** Prefixes a token may grant (each ends in `/`, none under `_derived/`): the role may write only there. */
  readonly allowedPrefixes: readonly string[];
  /** Content-Types an upload may declare: originals' media types (functions/core/media-types.ts). */
  readonly contentTypes: readonly string[];
  /** How long a grant's POST policy stays valid. */
  readonly grantSeconds: number;
  /** The longest an upload token may live when the grant checks it. */
  readonly maxTokenSeconds: number;
  /** The stage tokens must name; a deployment sets its own (infra/options.ts stageOverrides). */
  readonly stage: string;
  /** Grants name the bucket's Transfer Acceleration endpoint (the stage's `uploads.accelerate`). */
  readonly accelerate: boolean;
}

/** A CloudFront public key (PEM, SubjectPublicKeyInfo; RSA-2048 or ECDSA P-256). Its id is the Key-Pair-Id. */
export interface PublicKeySpec {
  readonly id: string;
  readonly name: string;
  readonly comment: string;
  readonly pem: string;
}

/** A CloudFront key group: keys trusted together, so a new key can be added before an old one leaves. */
export interface KeyGroupSpec {
  readonly name: string;
  readonly keys: readonly PublicKeySpec[];
}

interface SignedUrlSpec {
  /** The scheme viewers use and signed Resources name (the local edge, on http, overrides it). */
  readonly scheme: 'https' | 'http';
  /**
   * Allowed clock difference between signer and edge, applied to DateLessThan and DateGreaterThan.
   * CloudFront applies none, so 0 is the default; a deployment whose signers' clocks drift may choose more.
   */
  readonly clockSkewSeconds: number;
  /**
   * CORS preflights (OPTIONS) on signed paths, answered by signed-url itself (no unsigned request
   * reaches an origin): pages of these origins may fetch private images with GET or HEAD. Absent or
   * empty: every OPTIONS on a signed path is a 403.
   */
  readonly cors?: {
    readonly allowedOrigins: readonly string[];
    readonly allowedHeaders: readonly string[];
    readonly maxAgeSeconds: number;
  };
}

/**
 * Keyed on the canonical URI only (the viewer-request function bakes size, quality and format into
 * it), plus Accept-Encoding as CloudFront normalizes it for compression (SVG originals, text pages).
 */
export const imageCachePolicy: CachePolicySpec = {
  defaultTtl: 86_400,
  minTtl: 0,
  maxTtl: 31_536_000,
  headers: [],
  cookies: { behavior: 'none' },
  queryStrings: { behavior: 'none' },
  enableAcceptEncodingGzip: true,
  enableAcceptEncodingBrotli: true,
};

export const images: ImagePolicy = {
  sizes: ['64x64', '128x128', '256x256', '512x512', '1024x1024', '96x96', '192x192', '384x384', '1200x630'],
  widths: [160, 320, 480, 640, 960, 1280, 1920],
  // Four steps: each quality multiplies the derived objects one original admits (`npm run variants`
  // counts them), and steps closer than about 10 are hardly visible at thumbnail sizes. 50 for low
  // data, 75 default, 85 presets, 95 near-lossless.
  qualities: [50, 75, 85, 95],
  formats: ['avif', 'webp', 'jpg', 'png', 'gif'],
  autoFormats: ['avif', 'webp'],
  presets: {
    thumb: { width: 128, height: 128, fit: 'cover' },
    avatar: { width: 64, height: 64, fit: 'cover', quality: 85 },
    card: { width: 640 },
    og: { width: 1200, height: 630, fit: 'cover', format: 'jpg', quality: 85 },
    // App and site icons from small logos: letterboxed, scaled up when the source is smaller.
    icon: { width: 192, height: 192, fit: 'contain', enlarge: true },
    // Shareable views that credit the photographer: JPEG (whose EXIF every tool reads) keeping the
    // EXIF Copyright and nothing else.
    credited: { width: 960, format: 'jpg', quality: 85, keepCopyright: true },
  },
  maxDpr: 3,
  defaults: { fit: 'cover', quality: 75, format: 'auto' },
  // Under transparent pixels in JPEG (and the letterbox of `contain` in JPEG).
  background: '#ffffff',
  // One quality scale across formats, and q=auto (functions/core/quality.ts; docs/quality.md has the
  // table and the reasons). Measured on fixtures/corpus/ by `node infra/build/run.mjs bench/quality.ts
  // --calibrate`: JPEG keeps its own numbers, WebP and AVIF get the setting whose median luma SSIM on
  // the corpus matches JPEG's at each point.
  quality: {
    scale: {
      points: [30, 40, 50, 60, 70, 75, 80, 85, 90, 95, 100],
      jpg: [30, 40, 50, 60, 70, 75, 80, 85, 90, 95, 100],
      webp: [20, 25, 31, 41, 57, 66, 75, 78, 84, 91, 100],
      avif: [36, 40, 45, 49, 55, 58, 63, 67, 74, 85, 99],
    },
    // Target: the highest (in steps of 0.005) at which, on the corpus, the ideal q=auto (the exact
    // lowest q per image) keeps the median bytes of every format at most 0.7x those of a fixed q75,
    // leaving room for the bounded search's overshoot under the 0.75x the design asks for. JPEG binds
    // (its own q75 has the lowest median SSIM, 0.94). First guess: the fitted line of the q each image
    // needs against ln(activity), raised by 11 so that most first tries pass; a pass within 0.02 of the
    // target ends the search (bench/quality.ts simulates the search on the measured curves).
    auto: {
      target: 0.925,
      min: 30,
      max: 100,
      maxEncodes: 3,
      estimate: { intercept: 40, slope: 10.75 },
      logErrorPerQ: -0.04,
      slack: 0.02,
      unmeasured: 75,
    },
  },
  // PNG/TIFF originals from a 3,200 px long edge, JPEG from 6,000 px, get one q95 JPEG intermediate
  // under `_derived/<key>/_source`; measured by bench/responsive-set.ts, reasons in
  // functions/core/mezzanine.ts.
  mezzanine: { minSourceEdge: 3200, minJpegEdge: 6000, minEdge: 1400, pngEdge: 2048, detailMargin: 1.5, quality: 95 },
  // Measured by bench/image-engine.ts; the reasons are in functions/adapters/image/render.ts.
  limits: {
    // One frame: a 200 MP phone JPEG (16320x12240) resizes in ~0.7 s and ~40 MB thanks to
    // shrink-on-load; a 50000x50000 PNG (2.5 GP) or a 16384x16384 bomb is refused.
    maxInputPixels: 200_000_000,
    // Fetched into memory at the edge: ~0.5-1 s from S3, and it covers 100 MP camera JPEGs.
    maxInputBytes: 64 * 1024 * 1024,
    // Two thirds of image-resize's 1,536 MB, the rest for Node, the SDK, the source and the encoder.
    // Admits a 40 MP AVIF (~760 MB measured) and a 200 MP progressive JPEG (~800 MB estimated);
    // refuses a 60 MP AVIF or a 16-bit interlaced 150 MP PNG, which would crash the function.
    maxDecodeMegabytes: 1024,
    // The admission cost model (functions/core/cost.ts): sources whose cost is in the work per pixel,
    // read before any decode. Figures from bench/attacks.ts.
    cost: {
      // One render, header read included. image-resize: 6 s GetObject + 20 s + 3 s PutObject + 1 s
      // stays inside CloudFront's 30 s origin-response limit (functions/adapters/s3/store.ts); the
      // local edge and the HTTP image origin kill the render's process at this budget.
      renderSeconds: 20,
      // The budget of one render scales with the cost model's estimate of it (estimateRenderMs in
      // functions/core/cost.ts, in one-core milliseconds): 10 times the estimate, at least 5 s, at
      // most renderSeconds. An ordinary miss is estimated at 20-500 ms (a 40 MP AVIF to WebP, the
      // slowest measured, ~2.4 s: its budget is the full 20 s); measured renders came within 1-3x of
      // their estimates on the loaded bench machine. A source the model misjudges (the SVG of 19,000
      // full-canvas shapes the attacks section keeps, estimated at 25 ms, ran 12 s at 512 px) is
      // killed at 5 s: in Lambda that is what one such miss bills, not the 30 s function timeout.
      minRenderSeconds: 5,
      estimateMargin: 10,
      // An animation is decoded, resized and encoded frame by frame; 800 frames of 1x1 on a 500x500
      // canvas took ~1 s as a 128x128 GIF, 200 frames of 1000x1000 took 20 s as WebP. Real GIFs and
      // animated WebPs rarely exceed a few hundred frames.
      maxFrames: 300,
      // Pixels over all frames written animated: ~10 MP/s through decode + resize + encode here
      // (200 MP in 20 s), so 40 MP keeps an animation near 4 s, inside the 20 s render timeout.
      maxAnimatedPixels: 40_000_000,
      // Each scan of a progressive JPEG is a pass over every coefficient; encoders write 10 (libjpeg)
      // to ~20 (mozjpeg tuned); a 900-scan 12,000 px JPEG ran past the 30 s origin timeout.
      maxJpegScans: 100,
      svg: {
        // librsvg parses the whole document to give its size: 25 MB and 900,000 elements took 8 s
        // and 1.5 GB just for the header; 2 MiB holds any icon, chart or illustration we serve.
        maxBytes: 2 * 1024 * 1024,
        maxElements: 20_000,
        // After every <use> is expanded: a 2 KB fan-out of 10^5 blurred shapes ran past 20 s.
        maxRenderedElements: 50_000,
        maxFilterPrimitives: 50,
        // Each filtered drawing blurs or convolves its pixels: the costly part of a fan-out.
        maxFilteredRenders: 100,
        // Filter work: per filtered drawing (<use> expanded), its primitives' weights (a blur 1, a
        // morphology 12, a turbulence 1 per octave: FILTER_WEIGHTS in functions/core/cost.ts) times
        // the share of the canvas its region covers. 50 blurs, morphologies or 8-octave turbulences
        // drawn 100 times over the canvas (3-5 KB, bench/attacks.ts) are 5,000, 60,000 and 40,000 and
        // ran past 120 s; a chart of 40 shadowed bars is 1.1. 100 canvas-sized blurs took ~2 s at 256 px.
        maxFilterWork: 100,
        // The filter work over the pixels it is drawn on: work x pixels x max(1, pixels / 1 MP).
        // librsvg took 20-300 ns per unit here (blur the slowest: 4 blurs x 10 drawings at 1024 px,
        // 9.8 s; one at 2048 px, 6.5 s), so 20 M is about 6 s at worst, inside renderSeconds. A
        // drop-shadowed logo passes at 1920x1080; 40 shadowed bars pass at any allowed size.
        maxFilterPixels: 20_000_000,
        // librsvg recurses per nesting level.
        maxDepth: 64,
        // data: URIs are decoded by librsvg's own image loaders, outside our header checks.
        maxEmbeddedBytes: 1024 * 1024,
      },
    },
  },
};

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

/** The runtime of a behavior's viewer-request function. */
export function viewerRuntimeOf(behavior: BehaviorSpec): ViewerRuntime {
  return behavior.viewerRequestRuntime ?? 'lambda-edge';
}

/** Whether `fn` runs on `event` of `behavior` as a Lambda@Edge function (not as a CloudFront Function). */
export function runsOnLambdaEdge(behavior: BehaviorSpec, event: EventType): boolean {
  return behavior.functions[event] !== undefined && !(event === 'viewer-request' && viewerRuntimeOf(behavior) === 'cloudfront-function');
}

export function findOrigin(spec: DistributionSpec, id: string): OriginSpec {
  const origin = spec.origins.find((o) => o.id === id);
  if (!origin) throw new Error(`Expected an origin id of ${spec.name} but received ${JSON.stringify(id)}`);
  return origin;
}

/** The S3 REST domain CloudFront puts in `origin.s3.domainName` for a bucket. */
export function s3DomainName(origin: S3OriginSpec): string {
  return `${origin.bucket}.s3.${origin.region}.amazonaws.com`;
}

/** A policy's value set as the CloudFront API writes it: a behavior and, for lists, the items. */
function apiValueSet<K extends string>(kind: K, set: ValueSet): Record<`${K}Behavior`, string> & { [key: string]: unknown } {
  const behavior = `${kind}Behavior` as const;
  const key = `${kind}s` as const;
  if (set.behavior === 'none' || set.behavior === 'all') return { [behavior]: set.behavior } as Record<`${K}Behavior`, string>;
  return { [behavior]: set.behavior, [key]: { items: [...set.items] } } as Record<`${K}Behavior`, string>;
}

/**
 * The cache policy's key parameters in the CloudFront API's shape (CachePolicy
 * `ParametersInCacheKeyAndForwardedToOrigin`), for SST and the console alike.
 */
export function cachePolicyParameters(policy: CachePolicySpec) {
  const headers = [...new Set(policy.headers.map((h) => h.toLowerCase()))].sort();
  return {
    cookiesConfig: apiValueSet('cookie', policy.cookies),
    headersConfig: headers.length === 0 ? { headerBehavior: 'none' } : { headerBehavior: 'whitelist', headers: { items: headers } },
    queryStringsConfig: apiValueSet('queryString', policy.queryStrings),
    enableAcceptEncodingBrotli: policy.enableAcceptEncodingBrotli,
    enableAcceptEncodingGzip: policy.enableAcceptEncodingGzip,
  };
}

/** The origin request policy in the CloudFront API's shape (OriginRequestPolicyConfig without its name). */
export function originRequestPolicyConfig(policy: OriginRequestPolicySpec) {
  const headers = [...new Set(policy.headers.map((h) => h.toLowerCase()))].sort();
  const headerBehavior = policy.allViewerHeaders
    ? headers.length > 0
      ? 'allViewerAndWhitelistCloudFront'
      : 'allViewer'
    : headers.length > 0
      ? 'whitelist'
      : 'none';
  return {
    cookiesConfig: apiValueSet('cookie', policy.cookies ?? { behavior: 'none' }),
    headersConfig: headers.length > 0 ? { headerBehavior, headers: { items: headers } } : { headerBehavior },
    queryStringsConfig: apiValueSet('queryString', policy.queryStrings ?? { behavior: 'none' }),
  };
}
