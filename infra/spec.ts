/**
 * The shape of the distribution in CloudFront's terms (origins, origin groups, cache and origin
 * request policies, behaviors, functions per event, key groups), and the functions that read it.
 * The data itself is infra/distribution.ts.
 */
import type { GeoTable } from '../functions/core/geo.ts';
import type { ImagePolicy } from '../functions/core/policy.ts';

export type EventType = 'viewer-request' | 'origin-request' | 'origin-response' | 'viewer-response';
/**
 * Where a viewer-request function runs. `cloudfront-function`: CloudFront Functions (runtime
 * cloudfront-js-2.0, in every edge location, $0.10 per million invocations, code at most 10 KB;
 * image-request only, built from the same core by infra/build/cloudfront-function.ts).
 * `lambda-edge`: Lambda@Edge (Node.js, in the regional edge caches, per request plus duration).
 */
export type ViewerRuntime = 'cloudfront-function' | 'lambda-edge';
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
