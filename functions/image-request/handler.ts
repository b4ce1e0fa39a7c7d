/**
 * viewer-request: turns any spelling of an image URL into its one canonical URI, so the cache key
 * is canonical without forwarding Accept. Bad parameters are answered here with a 400, before the
 * cache or any origin is touched.
 */
import type { CloudFrontRequestEvent, CloudFrontRequestResult } from 'aws-lambda';
import { errorResponse } from '../adapters/cloudfront/respond.ts';
import { canonicalOutcome, canonicalize } from '../core/canonical.ts';
import type { CanonicalOutcome } from '../core/canonical.ts';
import { wrapHandler } from '../core/handler.ts';
import { VIEWER_URL_HEADER } from '../core/keys.ts';
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

/** The outcomes of image-request's log line: the canonical rewrite, or a refusal. */
export type ImageRequestOutcome = CanonicalOutcome | 'rejected';

export function createHandler(config: ImageRequestConfig, deps: ImageRequestDeps) {
  return wrapHandler<ImageRequestOutcome, CloudFrontRequestEvent, CloudFrontRequestResult>({
    fn: 'image-request',
    log: deps.log,
    identify: (event) => ({ requestId: event.Records[0]!.cf.config.requestId, uri: event.Records[0]!.cf.request.uri }),
    run: (event) => {
      const { request } = event.Records[0]!.cf;
      // Only signed-url sets it, after verifying; a viewer's own copy never reaches an origin event.
      delete request.headers[VIEWER_URL_HEADER];
      const accept = request.headers['accept']?.[0]?.value;
      const canonical = canonicalize(
        { method: request.method, uri: request.uri, query: request.querystring, acceptHeader: accept },
        config.policy,
        config.protectedPrefixes,
      );
      request.uri = canonical.uri;
      request.querystring = canonical.query;
      return { result: request, report: { outcome: canonicalOutcome(canonical), to: canonical.uri } };
    },
    fail: { outcome: 'rejected', answer: (error) => errorResponse(error) },
  });
}
