/**
 * A viewer-request slot filled by a CloudFront Function, for the local edge: the request the edge
 * carries (Lambda@Edge's shape, its internal form) becomes CloudFront Functions' event, the
 * function runs in the cloudfront-js-2.0 sandbox (cloudfront-sandbox.ts), and what it returns
 * becomes the request that goes on or the response the viewer gets.
 *
 * CloudFront's names for what happens (the x-edge-result-type of its access logs):
 * FunctionGeneratedResponse, FunctionExecutionError (503), FunctionValidationError (502).
 */
import type { CloudFrontHeaders, CloudFrontRequest } from 'aws-lambda';
import type { CfRequest, CloudFrontFunctionInstance } from './cloudfront-sandbox.ts';
import { type FunctionValue as CfValue, functionViewerRequestEvent, viewerRequestEvent } from './cloudfront-events.ts';

type CloudFrontFunctionFailureKind = 'FunctionExecutionError' | 'FunctionValidationError';

type SlotResult =
  | { readonly kind: 'request'; readonly request: CloudFrontRequest }
  | { readonly kind: 'response'; readonly status: number; readonly headers: CloudFrontHeaders; readonly body: Buffer }
  | { readonly kind: 'failure'; readonly error: CloudFrontFunctionFailureKind; readonly reason: string };

export interface SlotRun {
  readonly result: SlotResult;
  /** The event as the function got it and what it returned, for the request inspector. */
  readonly event: unknown;
  readonly returned: unknown;
}

function values(value: CfValue): string[] {
  return value.multiValue ? value.multiValue.map((m) => m.value) : [value.value];
}

/** `k=v; k2=v2`: the Cookie header CloudFront builds back from the cookies object. */
function cookieHeader(cookies: Record<string, CfValue>): string {
  return Object.entries(cookies)
    .flatMap(([name, value]) => values(value).map((v) => `${name}=${v}`))
    .join('; ');
}

/** The query string CloudFront builds back from the querystring object (a string is taken as it is). */
function queryString(query: CfRequest['querystring']): string {
  if (typeof query === 'string') return query;
  return Object.entries(query)
    .flatMap(([name, value]) => values(value).map((v) => (v === '' ? name : `${name}=${v}`)))
    .join('&');
}

/**
 * `hasQuery`: whether the viewer's URL had a `?` (the Lambda@Edge form loses it: `/page?` and `/page`
 * both carry querystring ''); rawQueryString() answers '' for the first and undefined for the second.
 */
export async function runViewerRequestFunction(
  fn: CloudFrontFunctionInstance,
  request: CloudFrontRequest,
  requestId: string,
  hasQuery: boolean,
): Promise<SlotRun> {
  const event = functionViewerRequestEvent(
    viewerRequestEvent({
      clientIp: request.clientIp,
      method: request.method,
      uri: request.uri,
      querystring: request.querystring,
      headers: request.headers,
      requestId,
    }),
    hasQuery || request.querystring !== '',
  );
  const shown = { ...event, request: { ...event.request, rawQueryString: undefined } };
  const sentQuery = JSON.stringify(event.request.querystring);
  const sentCookies = JSON.stringify(event.request.cookies);
  const outcome = await fn.run(event);
  if (!outcome.ok) return { result: { kind: 'failure', error: outcome.error, reason: outcome.reason }, event: shown, returned: outcome.reason };
  if (outcome.kind === 'response') {
    const response = outcome.response;
    const headers: CloudFrontHeaders = {};
    for (const [name, value] of Object.entries(response.headers ?? {})) headers[name] = values(value).map((v) => ({ key: name, value: v }));
    const body =
      response.body === undefined
        ? Buffer.alloc(0)
        : typeof response.body === 'string'
          ? Buffer.from(response.body)
          : Buffer.from(response.body.data, response.body.encoding === 'base64' ? 'base64' : 'utf8');
    return { result: { kind: 'response', status: response.statusCode, headers, body }, event: shown, returned: response };
  }
  const returned = outcome.request;
  // Header names come back lowercase; the viewer's own spelling is kept where the header is unchanged.
  const headers: CloudFrontHeaders = {};
  for (const [name, value] of Object.entries(returned.headers)) {
    const before = request.headers[name];
    const after = values(value);
    headers[name] = before && JSON.stringify(before.map((h) => h.value)) === JSON.stringify(after) ? before : after.map((v) => ({ key: name, value: v }));
  }
  if (JSON.stringify(returned.cookies) === sentCookies) {
    if (request.headers['cookie']) headers['cookie'] = request.headers['cookie'];
  } else if (Object.keys(returned.cookies).length > 0) {
    headers['cookie'] = [{ key: 'Cookie', value: cookieHeader(returned.cookies) }];
  }
  const querystring = JSON.stringify(returned.querystring) === sentQuery ? request.querystring : queryString(returned.querystring);
  return { result: { kind: 'request', request: { ...request, uri: returned.uri, querystring, headers } }, event: shown, returned };
}
