/**
 * viewer-request: turns any spelling of an image URL into its one canonical URI, so the cache key
 * is canonical without forwarding Accept. Bad parameters are answered here with a 400, before the
 * cache or any origin is touched.
 */
import type { CloudFrontRequest, CloudFrontRequestEvent, CloudFrontRequestResult } from 'aws-lambda';
import { errorResponse } from '../adapters/cloudfront/respond.ts';
import { toEdgeError } from '../core/errors.ts';
import { canonicalize } from '../core/image-request.ts';
import type { Canonical, ImageRequestConfig } from '../core/image-request.ts';
import { VIEWER_URL_HEADER } from '../core/keys.ts';
import { elapsed } from '../core/log.ts';
import type { Log } from '../core/log.ts';
import type { ImagePolicy } from '../core/policy.ts';

export type { ImageRequestConfig } from '../core/image-request.ts';

export interface ImageRequestDeps {
  readonly log: Log;
}

/**
 * The rewrite on a Lambda@Edge request, shared by every viewer-request function that serves images
 * (functions/core/image-request.ts does the work; the CloudFront Function build runs the same core).
 * Keys under one of `protectedPrefixes` are refused (403): the public function passes them, the
 * signed one does not.
 */
export function canonicalizeRequest(
  request: CloudFrontRequest,
  policy: ImagePolicy,
  protectedPrefixes: readonly string[] = [],
): { request: CloudFrontRequest; outcome: Canonical['outcome'] } {
  // Only signed-url sets it, after verifying; a viewer's own copy never reaches an origin event.
  delete request.headers[VIEWER_URL_HEADER];
  const result = canonicalize(
    { method: request.method, uri: request.uri, query: request.querystring, acceptHeader: request.headers['accept']?.[0]?.value },
    policy,
    protectedPrefixes,
  );
  request.uri = result.uri;
  if (result.query !== undefined) request.querystring = result.query;
  return { request, outcome: result.outcome };
}

export function createHandler(config: ImageRequestConfig, deps: ImageRequestDeps) {
  return async (event: CloudFrontRequestEvent): Promise<CloudFrontRequestResult> => {
    const started = performance.now();
    const { request, config: cf } = event.Records[0]!.cf;
    const uri = request.uri;
    try {
      const result = canonicalizeRequest(request, config.policy, config.protectedPrefixes ?? []);
      deps.log({ fn: 'image-request', requestId: cf.requestId, uri, outcome: result.outcome, to: result.request.uri, ms: elapsed(started) });
      return result.request;
    } catch (thrown) {
      const error = toEdgeError(thrown);
      deps.log({ fn: 'image-request', requestId: cf.requestId, uri, outcome: 'rejected', status: error.status, detail: error.detail ?? error.publicMessage, ms: elapsed(started) });
      return errorResponse(error);
    }
  };
}
