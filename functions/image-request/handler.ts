/**
 * viewer-request: turns any spelling of an image URL into its one canonical URI, so the cache key
 * is canonical without forwarding Accept. Bad parameters are answered here with a 400, before the
 * cache or any origin is touched.
 */
import type { CloudFrontRequest, CloudFrontRequestEvent, CloudFrontRequestResult } from 'aws-lambda';
import { errorResponse } from '../adapters/cloudfront/respond.ts';
import { EdgeError, badParam, quote, toEdgeError } from '../core/errors.ts';
import { derivedUri, parseImageUrl } from '../core/grammar.ts';
import { decodeKey, encodeKey, VIEWER_URL_HEADER } from '../core/keys.ts';
import { elapsed } from '../core/log.ts';
import type { Log } from '../core/log.ts';
import type { ImagePolicy } from '../core/policy.ts';

export interface ImageRequestConfig {
  readonly policy: ImagePolicy;
  /**
   * Key prefixes (such as `private/`) that only signed behaviors serve: refused here with a 403, so
   * the public behavior cannot reach a private original or thumbnail by another spelling.
   */
  readonly protectedPrefixes?: readonly string[];
}

export interface ImageRequestDeps {
  readonly log: Log;
}

/**
 * The rewrite itself, shared by every viewer-request function that serves images. Keys under one of
 * `protectedPrefixes` are refused (403): the public function passes them, the signed one does not.
 */
export function canonicalizeRequest(
  request: CloudFrontRequest,
  policy: ImagePolicy,
  protectedPrefixes: readonly string[] = [],
): { request: CloudFrontRequest; outcome: string } {
  // Only signed-url sets it, after verifying; a viewer's own copy never reaches an origin event.
  delete request.headers[VIEWER_URL_HEADER];
  if (request.method === 'OPTIONS') {
    // A preflight carries no image, but its path still goes to the origin: no traversal, no control
    // characters, nothing that is not a key (the query may be anything: it is not looked at).
    if (!request.uri.startsWith('/')) throw badParam('the path', 'a path starting with "/"', request.uri);
    decodeKey(request.uri.slice(1));
    return { request, outcome: 'preflight' };
  }
  const accept = request.headers['accept']?.[0]?.value;
  const parsed = parseImageUrl(request.uri, request.querystring, accept, policy);
  const prefix = protectedPrefixes.find((p) => parsed.key.startsWith(p));
  if (prefix !== undefined) {
    throw new EdgeError('Forbidden', `Expected a signed URL for the private image ${quote(parsed.key)}: ask for /${prefix}... with its signature (sizes as ?w=&h=)`, {
      detail: `protected prefix ${prefix}`,
    });
  }
  if (parsed.kind === 'original') {
    // One spelling per original too (`a+b.jpg` and `a%2Bb.jpg` are one key): one cache entry, and
    // one path for derived-cleanup to invalidate when the original changes.
    request.uri = `/${encodeKey(parsed.key)}`;
    return { request, outcome: 'original' };
  }
  request.uri = derivedUri(parsed.key, parsed.variant);
  request.querystring = '';
  return { request, outcome: parsed.negotiated ? 'derived-negotiated' : 'derived' };
}

export function createHandler(config: ImageRequestConfig, deps: ImageRequestDeps) {
  return async (event: CloudFrontRequestEvent): Promise<CloudFrontRequestResult> => {
    const started = performance.now();
    const { request, config: cf } = event.Records[0]!.cf;
    const uri = request.uri;
    try {
      const result = canonicalizeRequest(request, config.policy, config.protectedPrefixes);
      deps.log({ fn: 'image-request', requestId: cf.requestId, uri, outcome: result.outcome, to: result.request.uri, ms: elapsed(started) });
      return result.request;
    } catch (thrown) {
      const error = toEdgeError(thrown);
      deps.log({ fn: 'image-request', requestId: cf.requestId, uri, outcome: 'rejected', status: error.status, detail: error.detail ?? error.publicMessage, ms: elapsed(started) });
      return errorResponse(error);
    }
  };
}
