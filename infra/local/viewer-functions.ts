/**
 * The viewer stages of the local edge: viewer-request (a Lambda@Edge function, or a CloudFront
 * Function in the cloudfront-js-2.0 sandbox) and viewer-response. A response generated in
 * viewer-request goes straight back to the viewer and is never cached.
 */
import { STATUS_CODES } from 'node:http';
import type { CloudFrontRequest } from 'aws-lambda';
import { copyEventData, viewerRequestEvent, viewerResponseEvent } from './cloudfront-events.ts';
import type { FunctionName } from '../distribution.ts';
import { viewerRuntimeOf } from '../distribution.ts';
import { FunctionFailure, eventOptions } from './answer.ts';
import type { Answer } from './answer.ts';
import { runViewerRequestFunction } from './cloudfront-function-slot.ts';
import type { CloudFrontFunctionInstance } from './cloudfront-sandbox.ts';
import type { Exchange } from './exchange.ts';
import type { FunctionTrace, RunFunction } from './function-runner.ts';

export interface ViewerFunctions {
  readonly run: RunFunction;
  /** The CloudFront Functions loaded for behaviors whose viewer-request runtime is `cloudfront-function`. */
  readonly cloudFrontFunctions?: Partial<Record<FunctionName, CloudFrontFunctionInstance>> | undefined;
  /** Whether traces carry each function's event and result (see EdgeOptions.traceDetail). */
  readonly keepDetail: () => boolean;
}

/**
 * The behavior's viewer-request function: the request that goes on, or the answer it generated (the
 * request at once when the behavior has no viewer-request function).
 */
export function viewerRequestStage(
  x: Exchange,
  request: CloudFrontRequest,
  fns: ViewerFunctions,
): CloudFrontRequest | Answer | Promise<CloudFrontRequest | Answer> {
  const fn = x.behavior.functions['viewer-request'];
  if (!fn) return request;
  if (viewerRuntimeOf(x.behavior) === 'cloudfront-function') return viaCloudFrontFunction(x, fn, request, fns);
  const event = viewerRequestEvent({
    clientIp: request.clientIp,
    method: request.method,
    uri: request.uri,
    querystring: request.querystring,
    headers: request.headers,
    requestId: x.requestId,
  });
  return fns.run(x.functions, 'viewer-request', fn, event).then(goesOn);
}

/** What a validated viewer-request result means: the request that goes on, or the answer to send. */
function goesOn(result: Extract<Awaited<ReturnType<RunFunction>>, { ok: true }>): CloudFrontRequest | Answer {
  if (result.kind === 'response') {
    return {
      status: Number(result.response.status),
      headers: result.response.headers ?? {},
      body: result.body ?? Buffer.alloc(0),
      cache: 'LambdaGeneratedResponse',
    };
  }
  return result.request;
}

/** The viewer-request slot run by a CloudFront Function. */
async function viaCloudFrontFunction(x: Exchange, fn: FunctionName, request: CloudFrontRequest, fns: ViewerFunctions): Promise<CloudFrontRequest | Answer> {
  const loaded = fns.cloudFrontFunctions?.[fn];
  if (!loaded) throw new FunctionFailure('FunctionExecutionError', `no CloudFront Function is loaded for ${fn}`);
  const started = performance.now();
  const ran = await runViewerRequestFunction(loaded, request, x.requestId, x.rawUrl.includes('?'));
  const result = ran.result;
  const entry: { -readonly [K in keyof FunctionTrace]: FunctionTrace[K] } = {
    eventType: 'viewer-request',
    fn,
    runtime: 'cloudfront-function',
    ms: Math.round(performance.now() - started),
    outcome: result.kind === 'failure' ? result.error : result.kind === 'response' ? 'generated' : 'continued',
  };
  if (result.kind === 'failure') entry.detail = result.reason;
  // Details only while they are kept (the inspector open), as the function runner does.
  if (fns.keepDetail()) {
    entry.event = ran.event;
    entry.result = ran.returned;
  }
  x.functions.push(entry);
  if (result.kind === 'failure') throw new FunctionFailure(result.error, `${fn} (CloudFront Function): ${result.reason}`);
  if (result.kind === 'response') return { status: result.status, headers: result.headers, body: result.body, cache: 'FunctionGeneratedResponse' };
  return result.request;
}

/**
 * The behavior's viewer-response function on the answer; skipped when the answer is 400 or above, as
 * CloudFront does (the answer comes back at once when no function runs).
 */
export function viewerResponseStage(x: Exchange, answer: Answer, request: CloudFrontRequest, fns: ViewerFunctions): Answer | Promise<Answer> {
  const fn = x.behavior.functions['viewer-response'];
  if (!fn || answer.status >= 400) return answer;
  return viewerResponse(x, fn, answer, request, fns);
}

async function viewerResponse(x: Exchange, fn: FunctionName, answer: Answer, request: CloudFrontRequest, fns: ViewerFunctions): Promise<Answer> {
  const event = viewerResponseEvent({
    ...eventOptions(request),
    requestId: x.requestId,
    response: { status: String(answer.status), statusDescription: STATUS_CODES[answer.status] ?? '', headers: copyEventData(answer.headers) },
  });
  const result = await fns.run(x.functions, 'viewer-response', fn, event);
  if (result.kind !== 'response') return answer;
  return { ...answer, headers: result.response.headers ?? {}, body: result.generated ? (result.body ?? Buffer.alloc(0)) : answer.body };
}
