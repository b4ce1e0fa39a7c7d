/**
 * viewer-request for private paths: verifies a CloudFront signed URL (query parameters) or, when the
 * query has none, CloudFront signed cookies; then strips the signing parameters and hands the request
 * to the same canonicalisation image-request does. One viewer-request slot per behavior, so the two
 * compose here rather than run one after the other.
 *
 * A refusal is CloudFront's: 403, `text/xml`, `<Error><Code>AccessDenied</Code><Message>...`, with the
 * reason in the message, never a stack trace, and nothing goes on to the cache or the origin.
 *
 * No unsigned request reaches an origin. A CORS preflight (OPTIONS) cannot carry a signature (browsers
 * send no query of their choosing and no cookies with it), so it is answered HERE, from the `cors`
 * settings of distribution.ts: a valid preflight from an allowed origin for GET or HEAD gets a 204 with
 * the Access-Control-* headers; anything else sent with OPTIONS (no Origin, an origin not allowed,
 * another method, a header not allowed) gets a 403. A response generated in viewer-request is never
 * cached, so a preflight answer cannot be served to another origin. Any other method must be signed.
 *
 * Keys per behavior: CloudFront lets each cache behavior trust its own key groups (up to four); one
 * function serves every signed behavior, so it finds the behavior by the viewer's path (CloudFront's
 * path-pattern rule, first match wins) and trusts only that behavior's keys.
 *
 * A verified request goes on with `x-private-viewer-url` (the path and query the viewer signed). No
 * origin request policy forwards it and no cache key holds it: it stays on this viewer's request, for
 * this function's own viewer-response step (viewer-response.ts), which sends the viewer back to that
 * URL when image-resize answers an image too large to answer inline with its credential-free marker.
 * The one function serves both viewer events of the signed behaviors; the event type picks the step.
 */
import type {
  CloudFrontRequest,
  CloudFrontRequestEvent,
  CloudFrontRequestResult,
  CloudFrontResponseEvent,
  CloudFrontResponseResult,
  CloudFrontResultResponse,
} from 'aws-lambda';
import { errorResponse, generatedResponse } from '../adapters/cloudfront/respond.ts';
import { canonicalOutcome, canonicalize } from '../core/canonical.ts';
import type { CanonicalOutcome } from '../core/canonical.ts';
import { EdgeError } from '../core/errors.ts';
import { wrapHandler } from '../core/handler.ts';
import type { Log } from '../core/log.ts';
import type { ImagePolicy } from '../core/policy.ts';
import { createKeyRing, verifySignedRequest, withoutSigningCookies } from '../core/signed-url.ts';
import type { KeyRing, PublicKeyInput } from '../core/signed-url.ts';
import { wildcardMatch } from '../core/signed-url-policy.ts';
import { VIEWER_URL_HEADER } from '../core/keys.ts';
import { createViewerResponseHandler } from './viewer-response.ts';

export interface SignedUrlConfig {
  readonly policy: ImagePolicy;
  /** The trusted public keys, by Key-Pair-Id (baked in at build time), on paths no `behaviors` entry names. */
  readonly publicKeys: readonly PublicKeyInput[];
  /** Per signed behavior, in CloudFront's order: the keys of the key groups that behavior trusts. */
  readonly behaviors?: readonly { readonly pathPattern: string; readonly publicKeys: readonly PublicKeyInput[] }[];
  /** The scheme viewers use, which the signed Resource names: `https` deployed, `http` on the local edge. */
  readonly scheme: 'https' | 'http';
  /** Tolerance on time conditions; CloudFront applies none, so 0 unless a deployment chooses more. */
  readonly clockSkewSeconds: number;
  /** CORS preflights answered here; absent: every OPTIONS is refused (403). */
  readonly cors?: CorsConfig;
}

/** Which cross-origin pages may read private images with fetch/XHR (methods: GET and HEAD only). */
interface CorsConfig {
  /** Exact origins (`https://app.example.com`), compared case-sensitively as browsers send them. */
  readonly allowedOrigins: readonly string[];
  /** Request headers a page may send (lowercase); CORS-safelisted ones need no listing. */
  readonly allowedHeaders: readonly string[];
  readonly maxAgeSeconds: number;
}

export interface SignedUrlDeps {
  readonly log: Log;
  /** Milliseconds since the epoch; default Date.now. */
  readonly now?: () => number;
}

/** The outcomes of signed-url's log line: a preflight, a refused signature, the canonical rewrite, or a refusal of the URL. */
type SignedUrlOutcome = 'preflight-refused' | 'denied' | CanonicalOutcome | 'rejected';

/** Both viewer events of a signed behavior: viewer-request verifies; viewer-response points the over-cap redirect at this viewer’s own signed URL. */
export function createHandler(config: SignedUrlConfig, deps: SignedUrlDeps) {
  const onRequest = createViewerRequestHandler(config, deps);
  const onResponse = createViewerResponseHandler(deps);
  function handler(event: CloudFrontRequestEvent): Promise<CloudFrontRequestResult>;
  function handler(event: CloudFrontResponseEvent): Promise<CloudFrontResponseResult>;
  function handler(event: CloudFrontRequestEvent | CloudFrontResponseEvent): Promise<CloudFrontRequestResult | CloudFrontResponseResult> {
    return event.Records[0]!.cf.config.eventType === 'viewer-response'
      ? onResponse(event as CloudFrontResponseEvent)
      : onRequest(event as CloudFrontRequestEvent);
  }
  return handler;
}

function createViewerRequestHandler(config: SignedUrlConfig, deps: SignedUrlDeps) {
  // Parsed once per container, never per request.
  const keys = createKeyRing(config.publicKeys);
  const rings: { pattern: string; keys: KeyRing }[] = (config.behaviors ?? []).map((b) => ({
    pattern: b.pathPattern.startsWith('/') || b.pathPattern === '*' ? b.pathPattern : `/${b.pathPattern}`,
    keys: createKeyRing(b.publicKeys),
  }));
  const keysFor = (uri: string): KeyRing => rings.find((r) => wildcardMatch(r.pattern, uri))?.keys ?? keys;
  const now = deps.now ?? Date.now;

  return wrapHandler<SignedUrlOutcome, CloudFrontRequestEvent, CloudFrontRequestResult>({
    fn: 'signed-url',
    log: deps.log,
    identify: (event) => ({ requestId: event.Records[0]!.cf.config.requestId, uri: event.Records[0]!.cf.request.uri }),
    run: (event) => {
      const { request } = event.Records[0]!.cf;
      const uri = request.uri;
      // Never taken from a viewer: only this function sets it, after verifying (a refused or preflight
      // request is answered here, and viewer-response does not run for an answer made in viewer-request).
      delete request.headers[VIEWER_URL_HEADER];
      if (request.method === 'OPTIONS') {
        const preflight = answerPreflight(request, config.cors);
        return { result: preflight, report: { outcome: preflight.status === '204' ? 'preflight' : 'preflight-refused', status: Number(preflight.status) } };
      }
      const verdict = verifySignedRequest(
        {
          scheme: config.scheme,
          host: request.headers['host']?.[0]?.value,
          uri,
          querystring: request.querystring,
          clientIp: request.clientIp,
          cookies: (request.headers['cookie'] ?? []).map((header) => header.value),
        },
        { keys: keysFor(uri), clockSkewSeconds: config.clockSkewSeconds, now: now() / 1000 },
      );
      if (!verdict.ok) {
        return {
          result: accessDenied(verdict.error),
          report: { outcome: 'denied', status: 403, reason: verdict.reason, via: verdict.via, keyPairId: verdict.keyPairId, detail: verdict.error.detail },
        };
      }
      const signedUrl = `${uri}${request.querystring === '' ? '' : `?${request.querystring}`}`;
      if (verdict.via === 'cookie') stripSigningCookies(request);
      const accept = request.headers['accept']?.[0]?.value;
      const canonical = canonicalize({ method: request.method, uri: request.uri, query: verdict.querystring, acceptHeader: accept }, config.policy);
      request.uri = canonical.uri;
      request.querystring = canonical.query;
      request.headers[VIEWER_URL_HEADER] = [{ key: VIEWER_URL_HEADER, value: signedUrl }];
      return {
        result: request,
        report: {
          outcome: canonicalOutcome(canonical),
          via: verdict.via,
          keyPairId: verdict.keyPairId,
          policy: verdict.policy,
          hash: verdict.hash,
          to: canonical.uri,
        },
      };
    },
    fail: { outcome: 'rejected', answer: (error) => errorResponse(error) },
  });
}

/** CloudFront's refusal of a signed URL: 403 with an XML AccessDenied body, never cached. */
function accessDenied(error: EdgeError): CloudFrontResultResponse {
  const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>${escapeXml(error.publicMessage)}</Message></Error>`;
  return generatedResponse(403, { 'Content-Type': 'text/xml', 'Cache-Control': 'no-store' }, { data: body, encoding: 'text' });
}

const SAFELISTED_HEADERS = new Set(['accept', 'accept-language', 'content-language', 'content-type', 'range']);

/**
 * A CORS preflight answered at the edge (Fetch standard, "CORS-preflight request"): it must name an
 * Origin and Access-Control-Request-Method; the origin must be allowed, the method GET or HEAD, and
 * every requested header allowed or safelisted. 204 with the grant, else 403; never cached.
 */
function answerPreflight(request: CloudFrontRequest, cors: CorsConfig | undefined): CloudFrontResultResponse {
  const header = (name: string) => request.headers[name]?.[0]?.value;
  const origin = header('origin');
  const method = header('access-control-request-method');
  const asked = (header('access-control-request-headers') ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
  let refusal: string | undefined;
  if (cors === undefined) refusal = 'Expected no OPTIONS request on a signed path (no CORS settings) but received one';
  else if (origin === undefined || method === undefined)
    refusal = 'Expected a CORS preflight (Origin and Access-Control-Request-Method) for OPTIONS but received neither';
  else if (!cors.allowedOrigins.includes(origin)) refusal = `Expected an allowed origin for Origin but received ${JSON.stringify(origin)}`;
  else if (method !== 'GET' && method !== 'HEAD') refusal = `Expected GET or HEAD for Access-Control-Request-Method but received ${JSON.stringify(method)}`;
  else {
    const extra = asked.find((h) => !SAFELISTED_HEADERS.has(h) && !cors.allowedHeaders.includes(h));
    if (extra !== undefined) refusal = `Expected allowed headers for Access-Control-Request-Headers but received ${JSON.stringify(extra)}`;
  }
  if (refusal !== undefined || cors === undefined || origin === undefined) {
    const response = accessDenied(new EdgeError('Forbidden', refusal ?? 'Forbidden'));
    response.headers!['vary'] = [{ key: 'Vary', value: 'Origin' }];
    return response;
  }
  return generatedResponse(204, {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Methods': 'GET, HEAD',
    ...(asked.length > 0 ? { 'Access-Control-Allow-Headers': asked.join(', ') } : {}),
    'Access-Control-Max-Age': String(cors.maxAgeSeconds),
    Vary: 'Origin',
    'Cache-Control': 'no-store',
  });
}

/** The signing cookies are ours: they do not travel on to the origin. */
function stripSigningCookies(request: CloudFrontRequest): void {
  const headers = request.headers['cookie'];
  if (headers === undefined) return;
  const kept = headers.map((h) => ({ ...h, value: withoutSigningCookies(h.value) })).filter((h) => h.value !== '');
  if (kept.length === 0) delete request.headers['cookie'];
  else request.headers['cookie'] = kept;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]|[^\x20-\x7e]/gu, (char) => `&#${char.codePointAt(0)};`);
}
