/// <reference types="aws-cloudfront-function" />
/**
 * image-request as a CloudFront Function (runtime `cloudfront-js-2.0`): the same rewrite as the
 * Lambda@Edge handler (functions/core/canonical.ts), mapped from and to CloudFront Functions'
 * own event shape (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-event-structure.html):
 * headers as `{ value, multiValue? }` under lowercase names, the query string as an object (its raw
 * form from `request.rawQueryString()`), and a generated response with a numeric `statusCode`.
 *
 * infra/build/cloudfront-function.ts compiles this file to one script whose top-level
 * `function handler(event)` CloudFront calls; the config (the image policy and the protected
 * prefixes) is baked in at build time through the same generated module as the Lambda@Edge build
 * (functions/baked-config.d.ts), and the build refuses code over the 10 KB quota.
 */
import config from 'edge-images:config/image-request';
import { EdgeError, errorCacheControl, errorText } from '../core/errors.ts';
import { canonicalize } from '../core/canonical.ts';
import { VIEWER_URL_HEADER } from '../core/keys.ts';

/** CloudFront Functions' viewer-request event (no response: that is viewer-response's); types from @types/aws-cloudfront-function. */
type ViewerRequestEvent = Omit<AWSCloudFrontFunction.Event, 'response'>;

export function handler(event: ViewerRequestEvent): AWSCloudFrontFunction.Request | AWSCloudFrontFunction.Response {
  const request = event.request;
  const uri = request.uri;
  const accept = request.headers['accept'];
  // The query as received ('' when there is none).
  const query = request.rawQueryString() || '';
  // Only signed-url sets it, after verifying (as in the Lambda@Edge build): a viewer's own copy goes no further.
  delete request.headers[VIEWER_URL_HEADER];
  try {
    const result = canonicalize(
      // biome-ignore lint/complexity/useOptionalChain: `?.` is not in cloudfront-js-2.0; esbuild would lower it to a longer ternary (10 KB)
      { method: request.method, uri: uri, query: query, acceptHeader: accept && accept.value },
      config.policy,
      config.protectedPrefixes,
    );
    request.uri = result.uri;
    // The canonical form drops the query (a derived image) or keeps it as the viewer sent it.
    if (result.query !== query) request.querystring = {};
    return request;
  } catch (error) {
    // Anything but a refusal is a fault of this code: CloudFront answers it with its own 503
    // (FunctionExecutionError) and logs the exception with the function's logs.
    if (!(error instanceof EdgeError)) throw error;
    // Refusals only, one JSON line as the Lambda@Edge build writes (no `ms`: Date stands still during
    // a CloudFront Function's run). Rewrites are not logged: CloudFront's access logs already carry
    // every request's URI and status, and a line per hit at an image CDN's rate is a CloudWatch bill.
    // console.log takes one argument in this runtime.
    console.log(
      JSON.stringify({
        fn: 'image-request',
        requestId: event.context.requestId,
        uri: uri,
        outcome: 'rejected',
        status: error.status,
        detail: error.detail || error.publicMessage,
      }),
    );
    return {
      statusCode: error.status,
      headers: { 'content-type': { value: 'text/plain; charset=utf-8' }, 'cache-control': { value: errorCacheControl(error) } },
      body: { encoding: 'text', data: errorText(error) },
    };
  }
}
