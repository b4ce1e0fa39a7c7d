/**
 * What the local edge's pipeline answers before the HTTP front writes it (edge.ts), and the answers
 * CloudFront makes itself: its error pages, and the pages for a failed Lambda@Edge function.
 */
import type { CloudFrontHeaders, CloudFrontRequest } from 'aws-lambda';
import { cloudFrontErrorPage, errorTypeFor } from '../../functions/adapters/cloudfront/error-page.ts';
import { toCfHeaders } from '../../functions/adapters/cloudfront/headers.ts';

/** The X-Cache value: `<status> from cloudfront`. */
export type CacheStatus = 'Hit' | 'Miss' | 'LambdaGeneratedResponse' | 'Error' | 'LambdaValidationError' | 'LambdaExecutionError' | 'LambdaLimitExceeded';

/** What the pipeline answers, before the edge's own headers are added. */
export interface Answer {
  status: number;
  headers: CloudFrontHeaders;
  body: Buffer;
  cache: CacheStatus;
  ageSeconds?: number;
  origin?: string;
  failover?: { from: string; reason: string };
}

/** A Lambda@Edge function failed as CloudFront reports it (the kind names CloudFront's error). */
export class FunctionFailure extends Error {
  constructor(
    readonly kind: 'LambdaExecutionError' | 'LambdaValidationError' | 'LambdaLimitExceeded',
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** Headers that belong to one connection: never passed on. */
export const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);

/** The fields of a request that every event built from it carries. */
export function eventOptions(request: CloudFrontRequest) {
  return { clientIp: request.clientIp, method: request.method, uri: request.uri, querystring: request.querystring, headers: request.headers };
}

/** An answer from the local edge itself (a bad dev switch), not something CloudFront would send. */
export function localError(status: number, message: string): Answer {
  return {
    status,
    headers: toCfHeaders({ 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }),
    body: Buffer.from(`${status} local edge: ${message}\n`),
    cache: 'Error',
  };
}

export function cloudFrontError(status: number, title: string, detail: string, requestId: string): Answer {
  const page = cloudFrontErrorPage(status, title, detail, requestId);
  return { status, headers: toCfHeaders(page.headers), body: Buffer.from(page.body), cache: 'Error' };
}

/** A failed function or a failure of the edge itself, as CloudFront's error page. */
export function failureAnswer(error: unknown, requestId: string): Answer {
  if (error instanceof FunctionFailure) {
    const { status, title } = errorTypeFor(error.kind);
    console.error(`local edge: ${error.kind}: ${error.detail}`);
    const answer = cloudFrontError(status, title, `${error.kind}: the Lambda function associated with the CloudFront distribution failed.`, requestId);
    return { ...answer, cache: error.kind };
  }
  console.error('local edge: internal failure', error);
  return cloudFrontError(500, 'Internal error.', 'The local edge failed while handling this request.', requestId);
}
