/**
 * Builders of Lambda@Edge events shaped exactly as CloudFront sends them. Every builder copies its
 * inputs, so a function that mutates its event cannot change the caller's objects (the validator
 * compares a function's result against the event as it was sent).
 */
import { randomBytes } from 'node:crypto';
import type {
  CloudFrontCustomOrigin,
  CloudFrontHeaders,
  CloudFrontOrigin,
  CloudFrontRequest,
  CloudFrontRequestEvent,
  CloudFrontResponse,
  CloudFrontResponseEvent,
  CloudFrontS3Origin,
} from 'aws-lambda';

export type EventType = 'viewer-request' | 'origin-request' | 'origin-response' | 'viewer-response';

/** CloudFront sends `responseCompletionTimeout` too; @types/aws-lambda does not know it yet. */
type CustomOrigin = CloudFrontCustomOrigin & { responseCompletionTimeout?: number };
export type EventOrigin = { s3: CloudFrontS3Origin } | { custom: CustomOrigin };

export interface RequestOptions {
  clientIp: string;
  /** Default `GET`. */
  method?: string;
  uri: string;
  /** Without the leading `?`; default empty. */
  querystring?: string;
  headers?: CloudFrontHeaders;
  /** Only when the association has "include body". */
  body?: CloudFrontRequest['body'];
  distributionDomainName?: string;
  distributionId?: string;
  /** Default: a fresh id from `newRequestId()`. */
  requestId?: string;
}

export interface OriginRequestOptions extends RequestOptions {
  origin: EventOrigin;
}

export interface OriginResponseOptions extends OriginRequestOptions {
  response: CloudFrontResponse;
}

export interface ViewerResponseOptions extends RequestOptions {
  response: CloudFrontResponse;
}

const DEFAULT_DISTRIBUTION_DOMAIN = 'd111111abcdef8.cloudfront.net';
const DEFAULT_DISTRIBUTION_ID = 'EDFDVBD6EXAMPLE';

/**
 * A CloudFront-like request id: 40 random bytes in base64url with `==` padding, 56 characters,
 * e.g. `4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ==`.
 */
export function newRequestId(): string {
  return `${randomBytes(40).toString('base64url')}==`;
}

export function viewerRequestEvent(opts: RequestOptions): CloudFrontRequestEvent {
  return { Records: [{ cf: { config: config('viewer-request', opts), request: request(opts) } }] };
}

export function originRequestEvent(opts: OriginRequestOptions): CloudFrontRequestEvent {
  return { Records: [{ cf: { config: config('origin-request', opts), request: request(opts, opts.origin) } }] };
}

export function originResponseEvent(opts: OriginResponseOptions): CloudFrontResponseEvent {
  const { body: _ignored, ...forwarded } = request(opts, opts.origin);
  return {
    Records: [{ cf: { config: config('origin-response', opts), request: forwarded, response: structuredClone(opts.response) } }],
  };
}

export function viewerResponseEvent(opts: ViewerResponseOptions): CloudFrontResponseEvent {
  const { body: _ignored, ...received } = request(opts);
  return {
    Records: [{ cf: { config: config('viewer-response', opts), request: received, response: structuredClone(opts.response) } }],
  };
}

function config(eventType: EventType, opts: RequestOptions) {
  return {
    distributionDomainName: opts.distributionDomainName ?? DEFAULT_DISTRIBUTION_DOMAIN,
    distributionId: opts.distributionId ?? DEFAULT_DISTRIBUTION_ID,
    eventType,
    requestId: opts.requestId ?? newRequestId(),
  };
}

/** Keys in the order CloudFront's own examples list them (alphabetical), so dumps read alike. */
function request(opts: RequestOptions, origin?: EventOrigin): CloudFrontRequest {
  return {
    ...(opts.body === undefined ? {} : { body: structuredClone(opts.body) }),
    clientIp: opts.clientIp,
    headers: structuredClone(opts.headers ?? {}),
    method: opts.method ?? 'GET',
    ...(origin === undefined ? {} : { origin: structuredClone(origin) as CloudFrontOrigin }),
    querystring: opts.querystring ?? '',
    uri: opts.uri,
  };
}
