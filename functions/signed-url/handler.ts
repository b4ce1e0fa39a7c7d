/**
 * viewer-request for private paths: verifies a CloudFront signed URL (query parameters) or, when the
 * query has none, CloudFront signed cookies; then strips the signing parameters and hands the request
 * to the same canonicalisation image-request does. One viewer-request slot per behavior, so the two
 * compose here rather than run one after the other.
 *
 * A refusal is CloudFront's: 403, `text/xml`, `<Error><Code>AccessDenied</Code><Message>...`, with the
 * reason in the message, never a stack trace, and nothing goes on to the cache or the origin.
 * OPTIONS (CORS preflight) passes unsigned, as it carries no image.
 */
import type { CloudFrontRequest, CloudFrontRequestEvent, CloudFrontRequestResult, CloudFrontResultResponse } from 'aws-lambda';
import { errorResponse, generatedResponse } from '../adapters/cloudfront/respond.ts';
import { canonicalize } from '../core/canonical.ts';
import type { CanonicalOutcome } from '../core/canonical.ts';
import type { EdgeError } from '../core/errors.ts';
import { wrapHandler } from '../core/handler.ts';
import type { Log } from '../core/log.ts';
import type { ImagePolicy } from '../core/policy.ts';
import { createKeyRing, verifySignedRequest, withoutSigningCookies } from '../core/signed-url.ts';
import type { PublicKeyInput } from '../core/signed-url.ts';

export interface SignedUrlConfig {
  readonly policy: ImagePolicy;
  /** The trusted public keys, by Key-Pair-Id (baked in at build time). */
  readonly publicKeys: readonly PublicKeyInput[];
  /** The scheme viewers use, which the signed Resource names: `https` deployed, `http` on the local edge. */
  readonly scheme: 'https' | 'http';
  readonly clockSkewSeconds: number;
  readonly maxPolicyBytes: number;
}

export interface SignedUrlDeps {
  readonly log: Log;
  /** Milliseconds since the epoch; default Date.now. */
  readonly now?: () => number;
}

/** The outcomes of signed-url's log line: a refused signature, the canonical rewrite, or a refusal of the URL. */
export type SignedUrlOutcome = 'denied' | CanonicalOutcome | 'rejected';

export function createHandler(config: SignedUrlConfig, deps: SignedUrlDeps) {
  // Parsed once per container, never per request.
  const keys = createKeyRing(config.publicKeys);
  const now = deps.now ?? Date.now;
  const options = { keys, clockSkewSeconds: config.clockSkewSeconds, maxPolicyBytes: config.maxPolicyBytes };

  return wrapHandler<SignedUrlOutcome, CloudFrontRequestEvent, CloudFrontRequestResult>({
    fn: 'signed-url',
    log: deps.log,
    identify: (event) => ({ requestId: event.Records[0]!.cf.config.requestId, uri: event.Records[0]!.cf.request.uri }),
    run: (event) => {
      const { request } = event.Records[0]!.cf;
      if (request.method === 'OPTIONS') return { result: request, report: { outcome: 'preflight' } };
      const verdict = verifySignedRequest(
        {
          scheme: config.scheme,
          host: request.headers['host']?.[0]?.value,
          uri: request.uri,
          querystring: request.querystring,
          clientIp: request.clientIp,
          cookies: (request.headers['cookie'] ?? []).map((header) => header.value),
        },
        { ...options, now: now() / 1000 },
      );
      if (!verdict.ok) {
        return {
          result: accessDenied(verdict.error),
          report: { outcome: 'denied', status: 403, reason: verdict.reason, via: verdict.via, keyPairId: verdict.keyPairId, detail: verdict.error.detail },
        };
      }
      if (verdict.via === 'cookie') stripSigningCookies(request);
      const accept = request.headers['accept']?.[0]?.value;
      const canonical = canonicalize({ method: request.method, uri: request.uri, querystring: verdict.querystring, accept }, config.policy);
      request.uri = canonical.uri;
      request.querystring = canonical.querystring;
      return {
        result: request,
        report: { outcome: canonical.outcome, via: verdict.via, keyPairId: verdict.keyPairId, policy: verdict.policy, hash: verdict.hash, to: canonical.uri },
      };
    },
    fail: { outcome: 'rejected', answer: (error) => errorResponse(error) },
  });
}

/** CloudFront's refusal of a signed URL: 403 with an XML AccessDenied body, never cached. */
function accessDenied(error: EdgeError): CloudFrontResultResponse {
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<Error><Code>AccessDenied</Code><Message>${escapeXml(error.publicMessage)}</Message></Error>`;
  return generatedResponse(403, { 'Content-Type': 'text/xml', 'Cache-Control': 'no-store' }, { data: body, encoding: 'text' });
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
