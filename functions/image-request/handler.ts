/**
 * viewer-request: turns any spelling of an image URL into its one canonical URI, so the cache key
 * is canonical without forwarding Accept. Bad parameters are answered here with a 400, before the
 * cache or any origin is touched.
 */
import type { CloudFrontRequest, CloudFrontRequestEvent, CloudFrontRequestResult } from 'aws-lambda';
import { errorResponse } from '../adapters/cloudfront/respond.ts';
import { toEdgeError } from '../core/errors.ts';
import { derivedUri, parseImageUrl } from '../core/grammar.ts';
import { elapsed } from '../core/log.ts';
import type { Log } from '../core/log.ts';
import type { ImagePolicy } from '../core/policy.ts';

export interface ImageRequestConfig {
  readonly policy: ImagePolicy;
}

export interface ImageRequestDeps {
  readonly log: Log;
}

/** The rewrite itself, shared by every viewer-request function that serves images. */
export function canonicalizeRequest(request: CloudFrontRequest, policy: ImagePolicy): { request: CloudFrontRequest; outcome: string } {
  if (request.method === 'OPTIONS') return { request, outcome: 'preflight' };
  const accept = request.headers['accept']?.[0]?.value;
  const parsed = parseImageUrl(request.uri, request.querystring, accept, policy);
  if (parsed.kind === 'original') return { request, outcome: 'original' };
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
      const result = canonicalizeRequest(request, config.policy);
      deps.log({ fn: 'image-request', requestId: cf.requestId, uri, outcome: result.outcome, to: result.request.uri, ms: elapsed(started) });
      return result.request;
    } catch (thrown) {
      const error = toEdgeError(thrown);
      deps.log({ fn: 'image-request', requestId: cf.requestId, uri, outcome: 'rejected', status: error.status, detail: error.detail ?? error.publicMessage, ms: elapsed(started) });
      return errorResponse(error);
    }
  };
}
