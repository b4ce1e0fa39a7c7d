/**
 * The local edge's CloudFront rules as data: one row per documented rule, the AWS page it comes from,
 * what the local edge does, the choice made where AWS is silent, and the test that proves it (a test
 * whose title carries the row's id in brackets, in the named file). Quotas carry both columns, strict
 * (the older quota table, the default) and current (`--quotas current`); the edge reads them from here.
 *
 * docs/local-edge-conformance.md is generated from this table (`npm run conformance`).
 */
import { COMPRESSED_STATUSES, MAX_COMPRESSED_BYTES, MIN_COMPRESSED_BYTES } from './compression.ts';
import { DEFAULT_ERROR_CACHING_MIN_TTL, ERRORS_ALWAYS_CACHED, ERRORS_CACHED_WITH_MAX_AGE, ERRORS_REFUSAL_HONOURED } from './caching.ts';
import { MAX_REQUEST_BYTES, MAX_URL_BYTES } from './path.ts';
import { CLOUDFRONT_QUOTAS } from '../../cloudfront-quotas.ts';
import { TRANSIENT_ERROR_STATUSES } from '../../distribution.ts';

export type Area = 'request' | 'forwarding' | 'cache' | 'compression' | 'response' | 'functions' | 'quotas';

export interface Rule {
  /** Stable id; a test title carrying `[id]` in `test` proves the row. */
  readonly id: string;
  readonly area: Area;
  /** The rule as AWS documents it. */
  readonly rule: string;
  /** The AWS page (with anchor where there is one). */
  readonly source: string;
  /** What the local edge does. */
  readonly local: string;
  /** Where AWS is silent: what it leaves open and the choice made. */
  readonly silent?: string;
  /** The test file (from the repository root) holding the proving test. */
  readonly test: string;
  /** For quotas: the strict (default) and current (`--quotas current`) values. */
  readonly quota?: { readonly strict: string; readonly current: string };
}

const GUIDE = 'https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide';
const CUSTOM_ORIGIN = `${GUIDE}/RequestAndResponseBehaviorCustomOrigin.html`;
const RESTRICTIONS_ALL = `${GUIDE}/edge-function-restrictions-all.html`;
const RESTRICTIONS_LAMBDA = `${GUIDE}/lambda-at-edge-function-restrictions.html`;
const EVENT_STRUCTURE = `${GUIDE}/lambda-event-structure.html`;
const QUOTAS = `${GUIDE}/cloudfront-limits.html#limits-lambda-at-edge`;

const UNIT = {
  forwarding: 'infra/local/rules/forwarding.test.ts',
  caching: 'infra/local/rules/caching.test.ts',
  path: 'infra/local/rules/path.test.ts',
  compression: 'infra/local/rules/compression.test.ts',
  validate: 'infra/local/cloudfront-validate.test.ts',
  table: 'infra/local/rules/table.test.ts',
} as const;
/** The integration test: the local edge over real HTTP with recording origins. */
const CONFORMANCE_TEST = 'test/e2e/local-edge-conformance.test.ts';
/** The CloudFront Functions sandbox. */
const SANDBOX_TEST = 'infra/local/cloudfront-sandbox.test.ts';
const SANDBOX_CONTEXT_TEST = 'infra/local/cloudfront-sandbox-context.test.ts';

const list = (codes: readonly number[]) => codes.join(', ');

export const RULES: readonly Rule[] = [
  // The request as it arrives.
  {
    id: 'path.normalize',
    area: 'request',
    rule: 'CloudFront normalizes the URI path (RFC 3986; multiple slashes and `..` among what it removes) before it matches path patterns, then sends the raw path to the origin.',
    source: `${GUIDE}/DownloadDistValuesCacheBehavior.html#DownloadDistValuesPathPattern`,
    local:
      'Matches behaviors on the normalized path; functions and origins get the raw path. `/%70rivate/a.jpg`, `//private/a.jpg` and `/x/../private/a.jpg` all take the signed `/private/*` behavior.',
    silent:
      'Which RFC 3986 steps apply: percent-encoded unreserved characters decoded, other escapes upper-cased, dot segments removed, runs of `/` collapsed. What functions see: the raw path, like the origin.',
    test: UNIT.path,
  },
  {
    id: 'path.patterns',
    area: 'request',
    rule: 'Path patterns: `*` matches 0 or more characters, `?` exactly one, case-sensitive, the leading `/` optional; the first matching behavior wins, the default `*` comes last.',
    source: `${GUIDE}/DownloadDistValuesCacheBehavior.html#DownloadDistValuesPathPattern`,
    local: 'The same, on the normalized path, over the behaviors of distribution.ts in order.',
    test: UNIT.path,
  },
  {
    id: 'path.targets',
    area: 'request',
    rule: 'Requests address objects by path (origin-form).',
    source: CUSTOM_ORIGIN,
    local: 'A request target other than `/path` (`*`, `http://host/path`, `host:443`) gets a CloudFront-style 400 before any function runs.',
    silent: 'AWS does not describe `OPTIONS *`, absolute-form or authority-form targets: all three are refused with 400.',
    test: UNIT.path,
  },
  {
    id: 'req.url-length',
    area: 'request',
    rule: `A URL longer than ${MAX_URL_BYTES.toLocaleString('en-US')} bytes gets 413 Request Entity Too Large.`,
    source: `${CUSTOM_ORIGIN}#RequestCustomMaxRequestStringLength`,
    local: `413 for a path plus query string over ${MAX_URL_BYTES} bytes.`,
    silent: 'AWS also closes the TCP connection; the local edge answers and closes it too.',
    test: CONFORMANCE_TEST,
  },
  {
    id: 'req.request-length',
    area: 'request',
    rule: `A request (path, query string and headers) longer than ${MAX_REQUEST_BYTES.toLocaleString('en-US')} bytes gets 413.`,
    source: `${CUSTOM_ORIGIN}#RequestCustomMaxRequestStringLength`,
    local: `413 when the request line and headers exceed ${MAX_REQUEST_BYTES} bytes (Node's own header limit is raised above it so the rule, not Node, decides).`,
    silent: 'How bytes are counted: `METHOD SP target SP HTTP/x.y CRLF` plus `name: value CRLF` per header.',
    test: CONFORMANCE_TEST,
  },
  {
    id: 'req.get-body',
    area: 'request',
    rule: 'A viewer GET request that includes a body gets 403 Forbidden.',
    source: `${CUSTOM_ORIGIN}#RequestCustom-get-body`,
    local: '403 for a GET with a non-empty body (Content-Length above 0 or chunked), before any function runs.',
    silent: 'HEAD with a body is not mentioned: treated like GET.',
    test: CONFORMANCE_TEST,
  },
  {
    id: 'req.methods',
    area: 'request',
    rule: 'A method the behavior does not allow gets 403.',
    source: `${GUIDE}/DownloadDistValuesCacheBehavior.html#DownloadDistValuesAllowedHTTPMethods`,
    local: "The behavior's allowedMethods from distribution.ts; any other method is a CloudFront-style 403.",
    test: CONFORMANCE_TEST,
  },

  // What reaches the origin.
  {
    id: 'fwd.named-only',
    area: 'forwarding',
    rule: 'An origin request carries the URL path, the body, the headers CloudFront always includes, and only the query strings, headers and cookies the cache policy or origin request policy names.',
    source: `${GUIDE}/controlling-origin-requests.html`,
    local:
      "The forwarding model (infra/local/rules/forwarding.ts) builds the origin request from the behavior's policies in distribution.ts; allow lists, all-except lists and all-viewer-headers as CloudFront defines them.",
    silent: 'Query string names are compared decoded (`%77` is `w`).',
    test: UNIT.forwarding,
  },
  {
    id: 'fwd.cache-key-forwarded',
    area: 'forwarding',
    rule: 'Everything in the cache key is also included in origin requests.',
    source: `${GUIDE}/understanding-how-origin-request-policies-and-cache-policies-work-together.html`,
    local: 'Headers, cookies and query strings of the cache policy are forwarded without an origin request policy.',
    test: UNIT.forwarding,
  },
  {
    id: 'fwd.host',
    area: 'forwarding',
    rule: "Host is set to the origin's domain name; a custom origin may receive the viewer's Host when a policy forwards it, an S3 origin never.",
    source: `${CUSTOM_ORIGIN}#request-custom-headers-behavior`,
    local: "Host is the S3 REST domain or the custom origin's domain before origin-request runs; an origin-request function may change it.",
    test: UNIT.forwarding,
  },
  {
    id: 'fwd.user-agent',
    area: 'forwarding',
    rule: "Unless User-Agent is forwarded, CloudFront removes the viewer's and sends `User-Agent: Amazon CloudFront`.",
    source: `${CUSTOM_ORIGIN}#request-custom-user-agent-header`,
    local: 'The same, and origin-request functions see `Amazon CloudFront`.',
    test: UNIT.forwarding,
  },
  {
    id: 'fwd.x-forwarded-for',
    area: 'forwarding',
    rule: "CloudFront adds X-Forwarded-For with the viewer's IP, appended to any X-Forwarded-For the viewer sent.",
    source: `${CUSTOM_ORIGIN}#RequestCustomIPAddresses`,
    local: 'The same (the local viewer IP is 127.0.0.1, or the simulated viewer IP).',
    test: UNIT.forwarding,
  },
  {
    id: 'fwd.via',
    area: 'forwarding',
    rule: "Origin requests carry CloudFront's Via (`2.0 <id>.cloudfront.net (CloudFront)` in AWS's origin-request example event); Via is read-only in origin-request.",
    source: `${EVENT_STRUCTURE}#example-origin-request`,
    local: '`Via: <viewer HTTP version> <id>.cloudfront.net (CloudFront)`, shown to origin-request functions.',
    silent: 'What happens to a Via the viewer sent: the local edge keeps it and appends its own, as a proxy does.',
    test: UNIT.forwarding,
  },
  {
    id: 'fwd.x-amz-cf-id',
    area: 'forwarding',
    rule: 'CloudFront adds X-Amz-Cf-Id to the request it forwards; X-Amz-Cf-* headers are never exposed to functions.',
    source: `${CUSTOM_ORIGIN}#request-custom-headers-behavior`,
    local: 'The origin receives X-Amz-Cf-Id (the request id every function event carries); no function sees it.',
    test: CONFORMANCE_TEST,
  },
  {
    id: 'fwd.cloudfront-headers',
    area: 'forwarding',
    rule: "CloudFront headers (CloudFront-Viewer-Country, ...) are added after the viewer request, only when a policy names them, overwriting any the viewer sent; viewer functions see the viewer's value, origin functions CloudFront's.",
    source: `${RESTRICTIONS_LAMBDA}#lambda-at-edge-restrictions-cloudfront-headers`,
    local:
      "The same, with the simulated viewer location (x-local-viewer-country) as CloudFront's value; without one, a named header is absent and the viewer's value never reaches an origin.",
    test: UNIT.forwarding,
  },
  {
    id: 'fwd.origin-functions-see-forwarded',
    area: 'forwarding',
    rule: 'Origin-event functions see the origin request: the forwarded headers, and the query string only if a policy forwards it.',
    source: `${RESTRICTIONS_ALL}#function-restrictions-query-strings`,
    local: 'origin-request and origin-response events carry the forwarded set; what the origin receives is what the function returned.',
    silent: 'AWS says origin functions need query strings set to All; with an allow list they see the allowed ones here (what the origin receives).',
    test: CONFORMANCE_TEST,
  },
  {
    id: 'fwd.same-policies',
    area: 'forwarding',
    rule: "A behavior's cache policy (TTLs, key values, gzip and Brotli) and origin request policy are what CloudFront applies; compression and error caching are distribution settings.",
    source: `${GUIDE}/controlling-the-cache-key.html`,
    local:
      'One set of policies in distribution.ts: the local edge applies them, and infra/cdn.ts deploys them through cachePolicyParameters and originRequestPolicyConfig (the CloudFront API shapes), with compress and the error caching minimum TTLs.',
    test: 'test/integration/infra.test.ts',
  },
  {
    id: 'fwd.accept-encoding',
    area: 'forwarding',
    rule: 'With gzip or Brotli enabled in the cache policy, Accept-Encoding is normalized to `br,gzip`, `gzip` or `br` (or `identity` when the viewer accepts neither) and forwarded; without them it is an ordinary header.',
    source: `${GUIDE}/controlling-the-cache-key.html#cache-policy-compressed-objects`,
    local: 'The same; Accept-Encoding is read-only in origin-request.',
    silent: 'Weights: a coding with `q=0` counts as not accepted (RFC 9110).',
    test: UNIT.forwarding,
  },

  // The cache.
  {
    id: 'cache.ttl-table',
    area: 'cache',
    rule: 'TTL: s-maxage, else max-age, up to the maximum TTL (and at least the minimum TTL when it is above 0); without either, the default TTL (at least the minimum).',
    source: `${GUIDE}/Expiration.html#ExpirationDownloadDist`,
    local: "The same, from the behavior's cache policy in distribution.ts.",
    test: UNIT.caching,
  },
  {
    id: 'cache.expires',
    area: 'cache',
    rule: 'Expires sets the TTL (capped by the maximum TTL); with both, max-age wins.',
    source: `${GUIDE}/Expiration.html#expiration-individual-objects`,
    local: 'The same.',
    silent: 'An invalid Expires date counts as already expired (RFC 9111).',
    test: UNIT.caching,
  },
  {
    id: 'cache.no-store',
    area: 'cache',
    rule: 'no-cache, no-store and private are respected when the minimum TTL is 0; with a minimum TTL above 0 the object is kept for the minimum TTL.',
    source: `${GUIDE}/Expiration.html#ExpirationDownloadDist`,
    local: 'The same.',
    test: UNIT.caching,
  },
  {
    id: 'cache.3xx',
    area: 'cache',
    rule: '3xx responses are cached per the cache settings and headers; 307 and 308 only when the origin sends Cache-Control.',
    source: `${GUIDE}/http-3xx-status-codes.html`,
    local: '301, 302, 303 (and 300) per the TTL rules; 307 and 308 only with a Cache-Control header.',
    silent: '304 and other statuses (201, 202, 204) are not cached; 203 and 206 are, like 200.',
    test: UNIT.caching,
  },
  {
    id: 'cache.errors-always',
    area: 'cache',
    rule: `Errors cached whatever the headers: ${list(ERRORS_ALWAYS_CACHED.filter((s) => s !== 410))}, for the error caching minimum TTL (${DEFAULT_ERROR_CACHING_MIN_TTL} s by default).`,
    source: `${GUIDE}/HTTPStatusCodes.html#HTTPStatusCodes-cached-errors`,
    local: 'The same; distribution.ts `errorCaching` sets other minimum TTLs per status.',
    silent: '410 is named only among the errors whose no-store is honoured: it is cached like 404.',
    test: UNIT.caching,
  },
  {
    id: 'cache.errors-max-age',
    area: 'cache',
    rule: `Errors cached only when the origin sends Cache-Control max-age or s-maxage: ${list(ERRORS_CACHED_WITH_MAX_AGE)}.`,
    source: `${GUIDE}/HTTPStatusCodes.html#HTTPStatusCodes-cached-errors-with-cache-control`,
    local: 'The same; Expires alone does not make them cacheable.',
    test: UNIT.caching,
  },
  {
    id: 'cache.errors-never',
    area: 'cache',
    rule: 'Other 4xx and 5xx responses (416 among them) are not cached.',
    source: `${GUIDE}/custom-error-pages-expiration.html`,
    local: 'Never cached, whatever the headers (413, 416, 422, 429, ...).',
    test: UNIT.caching,
  },
  {
    id: 'cache.error-refusal',
    area: 'cache',
    rule: `no-store, no-cache and private keep an error out of the cache only for ${list(ERRORS_REFUSAL_HONOURED)}; for other errors they are ignored.`,
    source: `${GUIDE}/custom-error-pages-expiration.html`,
    local: 'The same: a 502 or 503 with no-store is still cached for the error caching minimum TTL.',
    test: UNIT.caching,
  },
  {
    id: 'cache.error-ttl',
    area: 'cache',
    rule: 'An error with max-age, s-maxage or Expires is cached for the larger of that value and the error caching minimum TTL; max-age and s-maxage count at most the maximum TTL.',
    source: `${GUIDE}/custom-error-pages-expiration.html`,
    local: 'The same.',
    silent: 'Expires is capped by the maximum TTL like max-age.',
    test: UNIT.caching,
  },
  {
    id: 'cache.error-ttl-zero',
    area: 'cache',
    rule: 'The error caching minimum TTL is set per status (custom error responses); 0 keeps an error out of the cache, no-store or not, and no error page is needed for it.',
    source: `${GUIDE}/custom-error-pages-expiration.html`,
    local: `distribution.ts sets 0 for ${list(TRANSIENT_ERROR_STATUSES)}, the failures image-resize answers that a retry can cure; the local edge keeps none of them, and infra/cdn.ts deploys the same setting.`,
    test: CONFORMANCE_TEST,
  },
  {
    id: 'cache.disabled',
    area: 'cache',
    rule: 'The CachingDisabled policy (every TTL 0) caches nothing and prevents request collapsing.',
    source: `${CUSTOM_ORIGIN}#request-custom-traffic-spikes`,
    local: 'A policy with every TTL 0 caches nothing, errors included, and concurrent misses each go to the origin.',
    silent: 'That errors are not cached under it either (AWS names no exception).',
    test: UNIT.caching,
  },
  {
    id: 'cache.methods',
    area: 'cache',
    rule: 'Responses to GET and HEAD are cached; OPTIONS only when the behavior caches OPTIONS; other methods never.',
    source: `${GUIDE}/HTTPStatusCodes.html`,
    local: "The same, from the behavior's cachedMethods.",
    test: UNIT.caching,
  },
  {
    id: 'cache.head-from-get',
    area: 'cache',
    rule: 'GET and HEAD share the cached object: a HEAD is answered from the GET entry.',
    source: `${GUIDE}/HTTPStatusCodes.html`,
    local: 'HEAD hits the GET entry (headers without the body); a HEAD miss goes to the origin as HEAD and is stored, so a second HEAD is a hit.',
    silent: 'Whether a HEAD miss can answer a later GET: it cannot (it has no body); it is kept in an entry that answers HEADs only.',
    test: CONFORMANCE_TEST,
  },
  {
    id: 'cache.options-key',
    area: 'cache',
    rule: 'OPTIONS responses are cached only when the behavior caches OPTIONS.',
    source: `${GUIDE}/DownloadDistValuesCacheBehavior.html#DownloadDistValuesCachedHTTPMethods`,
    local: 'A cached OPTIONS answer has its own entry: it never answers a GET, and a GET never answers it.',
    silent: 'That OPTIONS is keyed apart from GET and HEAD.',
    test: CONFORMANCE_TEST,
  },
  {
    id: 'cache.stale-on-5xx',
    area: 'cache',
    rule: 'When the object is in the cache but expired and the origin answers 5xx (or does not answer), CloudFront serves the expired object, for the error caching minimum TTL; stale-if-error limits how long.',
    source: `${GUIDE}/HTTPStatusCodes.html#HTTPStatusCodes-no-custom-error-pages-in-cache`,
    local:
      'Expired objects are kept until evicted; on a 5xx, a refused connection or a timeout the expired object is served again and kept for the error caching minimum TTL; `stale-if-error=N` ends that N seconds after expiry.',
    silent: 'X-Cache on such an answer: `Hit from cloudfront`.',
    test: CONFORMANCE_TEST,
  },
  {
    id: 'cache.collapsing',
    area: 'cache',
    rule: 'Simultaneous requests with the same cache key are collapsed into one origin request; the first is a Miss, the others Hits.',
    source: `${CUSTOM_ORIGIN}#request-custom-traffic-spikes`,
    local: 'The same while caching is enabled.',
    test: CONFORMANCE_TEST,
  },

  // Compression.
  {
    id: 'gzip.when',
    area: 'compression',
    rule: `CloudFront compresses a response when the behavior compresses objects, the cache policy enables gzip or Brotli (and does not list Accept-Encoding), the viewer accepts it, the status is ${list(COMPRESSED_STATUSES)}, the type is compressible (SVG yes, raster images no), the origin sent a Content-Length of ${MIN_COMPRESSED_BYTES.toLocaleString('en-US')} to ${MAX_COMPRESSED_BYTES.toLocaleString('en-US')} bytes, and no Content-Encoding.`,
    source: `${GUIDE}/ServingCompressedFiles.html#compressed-content-cloudfront-notes`,
    local: 'The same list of types and bounds; compressed with node:zlib (Brotli or gzip) and stored compressed under its key.',
    silent:
      'When compression happens relative to origin-response: after it, on what it returns; a response without Content-Length (a body a function generated without one) is not compressed, as for an origin.',
    test: UNIT.compression,
  },
  {
    id: 'gzip.br-preferred',
    area: 'compression',
    rule: 'When the viewer accepts both, CloudFront uses Brotli.',
    source: `${GUIDE}/ServingCompressedFiles.html#compressed-content-cloudfront-how-it-works`,
    local: 'The same.',
    test: UNIT.compression,
  },
  {
    id: 'gzip.http10',
    area: 'compression',
    rule: 'For an HTTP/1.0 request CloudFront removes Accept-Encoding and does not compress.',
    source: `${GUIDE}/ServingCompressedFiles.html#compressed-content-cloudfront-notes`,
    local: 'The same.',
    test: UNIT.compression,
  },
  {
    id: 'gzip.etag-weak',
    area: 'compression',
    rule: 'Compressing turns a strong ETag weak (`W/` added), keeps a weak one, and removes an invalid one.',
    source: `${GUIDE}/ServingCompressedFiles.html#compressed-content-cloudfront-etag-header`,
    local: 'The same.',
    silent: 'Vary: the local edge adds Accept-Encoding to it on a compressed response.',
    test: UNIT.compression,
  },
  {
    id: 'gzip.cache-key',
    area: 'compression',
    rule: 'With compression caching on, the normalized Accept-Encoding is part of the cache key; other values the viewer sent are not.',
    source: `${GUIDE}/controlling-the-cache-key.html#cache-policy-compressed-objects`,
    local: 'The same: `gzip, deflate, br` and `br, gzip` share the Brotli entry; a viewer that accepts neither shares the uncompressed one.',
    test: UNIT.forwarding,
  },
  {
    id: 'gzip.served',
    area: 'compression',
    rule: 'A compressible response is sent compressed to a viewer that accepts it (Content-Encoding set); a raster image is not.',
    source: `${GUIDE}/ServingCompressedFiles.html`,
    local: 'End to end: an SVG original and a text error page arrive Brotli- or gzip-encoded, a JPEG thumbnail does not.',
    test: CONFORMANCE_TEST,
  },

  // The response headers policy.
  {
    id: 'resp.headers-policy',
    area: 'response',
    rule: 'A response headers policy adds its security and custom headers to the responses CloudFront sends for the behavior, and its CORS headers to responses for CORS requests (an Origin header); with override (originOverride for CORS) they replace what the origin sent, without it they are added only when absent.',
    source: `${GUIDE}/adding-response-headers.html`,
    local:
      'The data of infra/response-headers.ts (what cdn.ts deploys) applied to every response the edge sends: nosniff, HSTS, Referrer-Policy, X-Frame-Options, Cross-Origin-Resource-Policy; Access-Control-Allow-Origin and Expose-Headers on a CORS GET, Allow-Methods, Allow-Headers and Max-Age on a CORS OPTIONS.',
    silent:
      'Whether a response a viewer-request function generated (a 400, a signed-url 403) gets them: the local edge adds them (a response sent to a request that matched the behavior).',
    test: 'infra/local/response-headers.test.ts',
  },

  // Functions.
  {
    id: 'fn.key-case',
    area: 'functions',
    rule: 'Header map keys are lowercase; `key` is the header name in any case, optional (CloudFront fills it in).',
    source: `${EVENT_STRUCTURE}#request-event-fields-request`,
    local: "Accepts what AWS's example functions return: `key: 'host'` under `host`, standard case, or no key.",
    test: UNIT.validate,
  },
  {
    id: 'fn.key-other-name',
    area: 'functions',
    rule: "AWS's example \"Overriding a response header\" copies an entry, key and all, under another map name (`last-modified: [{ key: 'X-Amz-Meta-Last-Modified', ... }]`) and the viewer gets Last-Modified: the map name is the header.",
    source: `${GUIDE}/lambda-examples.html`,
    local:
      'Accepted; the entry goes out under its map name, and the disallowed and read-only checks read map names, so a key cannot smuggle a header past them.',
    silent: 'AWS does not say which name wins when key and map name differ; its example shows the map name does.',
    test: UNIT.validate,
  },
  {
    id: 'fn.disallowed',
    area: 'functions',
    rule: 'Disallowed headers (Connection, Expect, Keep-Alive, Proxy-*, Trailer, Upgrade, X-Accel-Buffering, X-Accel-Charset, X-Accel-Limit-Rate, X-Accel-Redirect, X-Amz-Cf-*, X-Amzn-* (the listed ones), X-Cache, X-Edge-*, X-Forwarded-Proto, X-Real-IP) are not shown to functions; adding one is a 502.',
    source: `${RESTRICTIONS_ALL}#function-restrictions-disallowed-headers`,
    local: 'The same list, exactly; CloudFront-Viewer-Cert-PEM, Client-Cert and Client-Cert-Chain (mutual TLS) as well.',
    test: UNIT.validate,
  },
  {
    id: 'fn.read-only',
    area: 'functions',
    rule: 'Read-only headers per event (viewer-request: Content-Length, Host, Transfer-Encoding, Via; origin-request adds Accept-Encoding and the conditional headers; origin-response: Transfer-Encoding, Via; viewer-response: Warning, Via and the body headers): changing one is a 502.',
    source: `${RESTRICTIONS_ALL}#function-restrictions-read-only-headers`,
    local: 'The lists of infra/local/cloudfront-validate.ts (CDN-Loop among them).',
    test: UNIT.validate,
  },
  {
    id: 'fn.viewer-country',
    area: 'functions',
    rule: 'A viewer-request function that adds CloudFront-Viewer-Country fails validation; the other CloudFront headers may be read, edited, removed or added.',
    source: `${RESTRICTIONS_LAMBDA}#lambda-at-edge-restrictions-cloudfront-headers`,
    local: 'Only that header, only in viewer-request, is refused.',
    test: UNIT.validate,
  },
  {
    id: 'fn.origin-fields',
    area: 'functions',
    rule: 'request.origin: exactly one of s3 or custom; custom domain a DNS name (no colon, not an IP, at most 253), port 80, 443 or 1024-65535, protocol http or https, readTimeout 4-60, keepaliveTimeout 1-60, path starting with `/` and not ending with one (at most 255 for custom); S3 domain lowercase, at most 128; authMethod origin-access-identity (needs region) or none.',
    source: `${EVENT_STRUCTURE}#request-event-fields-request`,
    local: 'Each constraint checked; a violation is a 502 LambdaValidationError.',
    test: UNIT.validate,
  },
  {
    id: 'fn.custom-header-denylist',
    area: 'functions',
    rule: 'origin.customHeaders cannot hold a disallowed header, one CloudFront cannot add to origin requests (Cache-Control, Cookie, Host, Range, X-Amz-*, ...), or one already in the request headers.',
    source: `${GUIDE}/add-origin-custom-headers.html#add-origin-custom-headers-denylist`,
    local: 'Each is a 502 LambdaValidationError.',
    test: UNIT.validate,
  },
  {
    id: 'fn.uri-no-rebehavior',
    area: 'functions',
    rule: 'Changing the URI in a function does not change the cache behavior or the origin the request goes to.',
    source: `${RESTRICTIONS_ALL}#function-restrictions-uri`,
    local: "The behavior is chosen once, on the viewer's path; a rewritten URI keeps it.",
    test: CONFORMANCE_TEST,
  },
  {
    id: 'fn.viewer-response-skip',
    area: 'functions',
    rule: 'Viewer-response functions are not invoked when the origin returns 400 or higher; origin-response functions run for every origin status.',
    source: `${RESTRICTIONS_ALL}#function-restrictions-status-codes`,
    local: 'The same.',
    test: CONFORMANCE_TEST,
  },
  {
    id: 'fn.viewer-response-event',
    area: 'functions',
    rule: 'A viewer-response event carries the response\'s status and statusDescription (AWS\'s example viewer-response event: status "200", statusDescription "OK").',
    source: `${EVENT_STRUCTURE}#lambda-event-structure-response`,
    local: 'statusDescription is the status\'s reason phrase (Node\'s STATUS_CODES), "OK" for a 200.',
    silent: 'The description CloudFront gives a status whose origin sent another reason phrase: the standard phrase.',
    test: CONFORMANCE_TEST,
  },
  {
    id: 'fn.generated-not-cached',
    area: 'functions',
    rule: 'A response generated by a viewer-request function is returned without going to the cache; X-Cache says LambdaGeneratedResponse.',
    source: `${GUIDE}/lambda-generating-http-responses.html`,
    local: 'The same: the function runs for every request and nothing is stored.',
    test: CONFORMANCE_TEST,
  },
  {
    id: 'fn.origin-honoured',
    area: 'functions',
    rule: 'What an origin-request function sets on request.origin decides where the request goes: domain, path, custom headers (port, protocol and timeouts for custom origins).',
    source: `${EVENT_STRUCTURE}#request-event-fields-request`,
    local:
      'The request goes to the local endpoint of the origin with that domain, under the origin path, with the custom headers; port and protocol are validated but every local origin answers on loopback.',
    silent: 'Locally a changed port or protocol cannot reach another server: the domain alone picks the endpoint.',
    test: CONFORMANCE_TEST,
  },
  {
    id: 'fn.body-replace',
    area: 'functions',
    rule: 'A replaced request body (action `replace`, text or base64) goes to the origin; invalid base64 is an error; "If the request body exceeds the size limit, the request fails with a 502" (40 KB / 1 MB as text, 53.2 KB / 1.33 MB as base64, viewer / origin request).',
    source: `${RESTRICTIONS_LAMBDA}#lambda-at-edge-restrictions-request-body`,
    local: `The origin receives the replaced body; over ${CLOUDFRONT_QUOTAS.replacedBodyBytes.viewer} / ${CLOUDFRONT_QUOTAS.replacedBodyBytes.origin} bytes as text (1.33 times that in base64 characters) it is a 502 LambdaValidationError, never truncated.`,
    silent: '"KB" and "MB" read at their smaller value (1,000 and 1,000,000 bytes).',
    test: UNIT.validate,
  },
  {
    id: 'fn.body-sent',
    area: 'functions',
    rule: 'The body an origin-request function replaced is the one the origin receives.',
    source: `${EVENT_STRUCTURE}#request-event-fields-request`,
    local: 'End to end through a recording origin.',
    test: CONFORMANCE_TEST,
  },

  // CloudFront Functions (cloudfront-js-2.0), run in the local sandbox.
  {
    id: 'cff.strict-mode',
    area: 'functions',
    rule: '"Functions operate in strict mode by default, so you don\'t need to add a use strict statement in your function code. This cannot be changed."',
    source: `${GUIDE}/functions-javascript-runtime-20.html`,
    local:
      'Every function runs in strict mode: an undeclared assignment throws, `this` in a plain call is undefined, a write to a frozen object throws (a FunctionExecutionError, 503).',
    test: SANDBOX_TEST,
  },
  {
    id: 'cff.async',
    area: 'functions',
    rule: '"await can be used inside async functions only. async arguments and closures are not supported."',
    source: `${GUIDE}/functions-javascript-runtime-20.html`,
    local: 'Refused when the function is created: an async function inside another function, or passed as an argument; top-level async functions run.',
    silent: 'Whether AWS refuses such code at creation or fails at run time: at creation, where the syntax is checked.',
    test: SANDBOX_TEST,
  },
  {
    id: 'cff.buffer',
    area: 'functions',
    rule: 'The Buffer module: the listed methods (Buffer.alloc, from, concat, byteLength, compare, isBuffer, isEncoding; buf.toString, write, read*/write* of the listed widths, slice, subarray, ...) with the encodings utf8, hex, base64 and base64url.',
    source: `${GUIDE}/functions-javascript-runtime-20.html`,
    local:
      'A facade over Node\'s Buffer answers the listed members only (no allocUnsafeSlow, BigInt readers, lowercase aliases or toLocaleString) and throws "Unknown encoding" for latin1, ascii, utf16le and the rest.',
    silent: 'Whether a Buffer also has the typed array methods: yes, the listed ones (a Buffer is a Uint8Array).',
    test: SANDBOX_TEST,
  },
  {
    id: 'cff.typed-arrays',
    area: 'functions',
    rule: 'Typed arrays: from and of, and the listed ES 6 prototype methods (copyWithin, every, fill, filter, find, findIndex, forEach, includes, indexOf, join, lastIndexOf, map, reduce, reduceRight, reverse, set, slice, some, sort, subarray, toString).',
    source: `${GUIDE}/functions-javascript-runtime-20.html`,
    local:
      "The prototype every typed array shares keeps those only (at, entries, keys, values, findLast, toReversed, toSorted, with are removed); TextEncoder returns the runtime's own Uint8Array.",
    test: SANDBOX_TEST,
  },
  {
    id: 'cff.base64-body',
    area: 'functions',
    rule: 'A generated response body with encoding base64 must be valid base64; AWS returns an error otherwise.',
    source: `${GUIDE}/functions-event-structure.html`,
    local: 'A FunctionValidationError (502).',
    silent: 'The status of that error is not given: 502, as for every other invalid result.',
    test: SANDBOX_TEST,
  },
  {
    id: 'cff.state',
    area: 'functions',
    rule: "Nothing says that a function's globals survive from one run to the next, nor that they do not.",
    source: `${GUIDE}/functions-javascript-runtime-20.html`,
    local:
      "Every run evaluates the script afresh: its top-level `var`, `let` and `const` and the objects they hold start new, and what it writes to `globalThis` (or top-level `this`) is gone by the next run. A change to a built-in's prototype lasts as long as the context; a run that throws gets a fresh context for the next.",
    silent: 'AWS is silent: nothing is kept, so a function that counts on state surviving fails here as it may at the edge.',
    test: SANDBOX_CONTEXT_TEST,
  },
  {
    id: 'cff.compute',
    area: 'functions',
    rule: '"CloudFront Functions have a limit on the time they can take to run, measured as compute utilization", a percentage of "the maximum allowed time".',
    source: `${GUIDE}/cloudfront-function-restrictions.html#cloudfront-function-restrictions-compute-utilization`,
    local:
      "A run past 1,000 ms, or past its thread's 64 MB heap, is stopped: a FunctionExecutionError (503), and the runs queued behind it are answered by a fresh thread.",
    silent:
      'The maximum allowed time is not published: 1,000 ms here stops a runaway on a busy laptop, and the bench measures what a run costs (worst input within 5x an ordinary one). The heap bound is a local choice: a node:vm context alone takes several MB.',
    test: SANDBOX_CONTEXT_TEST,
  },
  {
    id: 'cff.raw-query-string',
    area: 'functions',
    rule: 'rawQueryString(): the query string without the leading `?`; "" when the `?` is present with nothing after it, undefined when there is no `?`.',
    source: `${GUIDE}/general-helper-methods.html`,
    local: "The same, from the viewer's own URL.",
    test: SANDBOX_TEST,
  },

  // Quotas.
  {
    id: 'quota.timeout',
    area: 'quotas',
    rule: 'Function timeout: viewer events 5 s in the older quota table, 30 s in the current one; origin events 30 s. Over it: 503 LambdaLimitExceeded.',
    source: QUOTAS,
    local: 'Enforced per event from this row; `--quotas current` switches column.',
    quota: { strict: 'viewer 5 s, origin 30 s', current: 'viewer 30 s, origin 30 s' },
    test: CONFORMANCE_TEST,
  },
  {
    id: 'quota.generated-size',
    area: 'quotas',
    rule: '"Size of a response that is generated by a Lambda function, including headers and body": 40 KB for viewer request and viewer response events, 1 MB for origin request and origin response events. Over it: 502.',
    source: QUOTAS,
    local: `Enforced by the result validator at ${CLOUDFRONT_QUOTAS.generatedResponseBytes.viewer} and ${CLOUDFRONT_QUOTAS.generatedResponseBytes.origin} bytes (infra/cloudfront-quotas.ts, also image-resize's cap).`,
    silent:
      'KB and MB without 1,000 or 1,024: the smaller reading (40,000 and 1,000,000 bytes). Whether a base64 body counts encoded or decoded: encoded, the stricter reading.',
    quota: { strict: 'viewer 40,000 bytes, origin 1,000,000 bytes', current: 'viewer 40,000 bytes, origin 1,000,000 bytes' },
    test: UNIT.validate,
  },
  {
    id: 'quota.memory-zip',
    area: 'quotas',
    rule: "Memory and compressed zip size: viewer events 128 MB and 1 MB in the older table; the current one gives every event Lambda's memory and 50 MB.",
    source: QUOTAS,
    local:
      'Checked at build time (infra/build/limits.ts) on the strict column for viewer functions; the local edge runs functions in-process and does not measure memory.',
    quota: { strict: 'viewer 128 MB / 1,000,000-byte zip; origin 10,240 MB / 50,000,000-byte zip', current: 'every event 10,240 MB / 50,000,000-byte zip' },
    test: UNIT.table,
  },
  {
    id: 'quota.function-size',
    area: 'quotas',
    rule: 'CloudFront Functions: "Maximum size of a function: 10 KB".',
    source: `${GUIDE}/cloudfront-limits.html#limits-functions`,
    local: `The build refuses image-request's CloudFront Function over ${CLOUDFRONT_QUOTAS.functionCodeBytes} bytes (printing its headroom), and the sandbox refuses any code over it when the function is created.`,
    silent: '10 KB without 1,000 or 1,024: the smaller reading, 10,000 bytes of UTF-8.',
    quota: { strict: '10,000 bytes', current: '10,000 bytes' },
    test: 'infra/build/cloudfront-function.test.ts',
  },
];
