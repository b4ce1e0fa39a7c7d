/**
 * signed-url on viewer-response (the signed behaviors attach the one function to both viewer
 * events): sends a signed viewer back to ITS OWN signed URL for an image too large to answer inline.
 *
 * image-resize (origin-response) answers such an image with a credential-free marker: a 302 whose
 * Location is the canonical derived URI the request became, `Cache-Control: no-store`. Nothing a
 * viewer sent is in it, so whatever CloudFront collapses or caches, every viewer receives the same
 * harmless marker. This step runs per viewer, after the cache, hits included ("CloudFront events that
 * can trigger a Lambda@Edge function": the viewer-response function "executes regardless of whether
 * the file is already in the CloudFront cache",
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-cloudfront-trigger-events.html),
 * and it is never cached itself. It replaces the marker's Location with the URL this viewer signed,
 * read from this viewer's own request: viewer-response's `request` is "the request that CloudFront
 * received from the viewer and that might have been modified by the Lambda function that was
 * triggered by a viewer request event" ("Lambda@Edge event structure", response events,
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-event-structure.html),
 * so it carries the header signed-url's viewer-request set there (VIEWER_URL_HEADER). That header is
 * in no origin request policy and no cache key: it never leaves this viewer's request.
 *
 * Only the marker is touched: status 302 and a Location equal to this request's (rewritten) URI.
 * Without the header, the marker goes out as it is: a redirect to the canonical URI, where an unsigned
 * viewer gets signed-url's 403, never someone else's credential.
 *
 * Where AWS is silent: the pages say a viewer-response function does not run "when the origin
 * returns an HTTP status code of 400 or higher"; the marker replaces S3's 403/404 in origin-response,
 * and no page says which of the two statuses counts. The local edge counts the one CloudFront sends
 * (302). If AWS counts S3's, the marker reaches the viewer unchanged (fails closed, as above); the
 * post-deploy check requests a fresh over-cap private variant and expects the signed Location.
 * Read-only headers of this event (Content-Encoding, Content-Length, Transfer-Encoding, Warning, Via)
 * are never touched: only Location changes.
 */
import type { CloudFrontResponseEvent, CloudFrontResponseResult } from 'aws-lambda';
import { wrapHandler } from '../core/handler.ts';
import { VIEWER_URL_HEADER } from '../core/keys.ts';
import type { Log } from '../core/log.ts';

/** The outcomes of the viewer-response log line. */
export type SignedRedirectOutcome = 'response-passed' | 'redirect-signed' | 'redirect-unsigned' | 'response-failed';

export function createViewerResponseHandler(deps: { readonly log: Log }) {
  return wrapHandler<SignedRedirectOutcome, CloudFrontResponseEvent, CloudFrontResponseResult>({
    fn: 'signed-url',
    log: deps.log,
    identify: (event) => ({ requestId: event.Records[0]!.cf.config.requestId, uri: event.Records[0]!.cf.request.uri }),
    run: (event) => {
      const { request, response } = event.Records[0]!.cf;
      const status = Number(response.status);
      const location = response.headers['location']?.[0]?.value;
      if (response.status !== '302' || location !== request.uri) return { result: response, report: { outcome: 'response-passed', status } };
      const own = viewerUrl(request.headers[VIEWER_URL_HEADER]?.[0]?.value);
      if (own === undefined) {
        return { result: response, report: { outcome: 'redirect-unsigned', status, level: 'warn', detail: `no ${VIEWER_URL_HEADER} on this request` } };
      }
      response.headers['location'] = [{ key: 'Location', value: own }];
      return { result: response, report: { outcome: 'redirect-signed', status } };
    },
    // The marker as it came: credential-free, so a failure here leaks nothing.
    fail: { outcome: 'response-failed', answer: (_error, event) => event.Records[0]!.cf.response },
  });
}

/**
 * The URL this viewer signed, as signed-url's viewer-request recorded it: a same-site path and query
 * only (never `//host`), printable ASCII without a backslash.
 */
function viewerUrl(value: string | undefined): string | undefined {
  if (value === undefined || !value.startsWith('/') || value.startsWith('//')) return undefined;
  return /^[\x21-\x7e]+$/.test(value) && !value.includes('\\') ? value : undefined;
}
