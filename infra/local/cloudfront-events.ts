/// <reference types="aws-cloudfront-function" />
/**
 * Builders of the events CloudFront sends, one per event type: the four Lambda@Edge events, and the
 * CloudFront Functions viewer-request event, which is made from the Lambda@Edge viewer-request event
 * of the same request (one request, two shapes). Every builder copies its inputs, so a function that
 * mutates its event cannot change the caller's objects (the validators compare a function's result
 * against the event as it was sent). CloudFront Functions' types are @types/aws-cloudfront-function's.
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

/** CloudFront Functions' viewer-request event (no `response`: that is the viewer-response event's). */
export type FunctionEvent = Omit<AWSCloudFrontFunction.Event, 'response' | 'context'> & {
  readonly context: AWSCloudFrontFunction.Context & { readonly eventType: 'viewer-request' };
};
/** One query string parameter, header or cookie. */
export type FunctionValue = AWSCloudFrontFunction.ValueObject[string];

/**
 * The CloudFront Functions viewer-request event of a request (functions-event-structure.html), from
 * its Lambda@Edge viewer-request event: lowercase header names, repeats as multiValue, cookies out of
 * the headers into their own object, the query string parsed into names and values. AWS does not say
 * whether those names and values are percent-decoded; they are left as sent (functions that need
 * exact values use rawQueryString(), as image-request does). `hasQuery`: whether the URL had a `?`
 * (the Lambda@Edge form carries '' both for `/page?` and `/page`); rawQueryString() answers '' for
 * the first and undefined for the second (general-helper-methods.html).
 */
export function functionViewerRequestEvent(event: CloudFrontRequestEvent, hasQuery?: boolean): FunctionEvent {
  const cf = event.Records[0]!.cf;
  const sent = cf.request;
  const headers: AWSCloudFrontFunction.ValueObject = {};
  const cookies: AWSCloudFrontFunction.ValueObject = {};
  const add = (into: AWSCloudFrontFunction.ValueObject, name: string, value: string) => {
    const existing = into[name];
    if (!existing) into[name] = { value };
    else into[name] = { value: existing.value, multiValue: [...(existing.multiValue ?? [{ value: existing.value }]), { value }] };
  };
  for (const [name, entries] of Object.entries(sent.headers)) {
    for (const { value } of entries) {
      if (name !== 'cookie') {
        add(headers, name, value);
        continue;
      }
      for (const pair of value.split(';')) {
        const eq = pair.indexOf('=');
        const cookie = (eq === -1 ? pair : pair.slice(0, eq)).trim();
        if (cookie !== '') add(cookies, cookie, eq === -1 ? '' : pair.slice(eq + 1).trim());
      }
    }
  }
  const querystring: AWSCloudFrontFunction.ValueObject = {};
  for (const piece of sent.querystring.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    add(querystring, eq === -1 ? piece : piece.slice(0, eq), eq === -1 ? '' : piece.slice(eq + 1));
  }
  const raw = (hasQuery ?? sent.querystring !== '') ? sent.querystring : undefined;
  return {
    version: '1.0',
    context: { ...cf.config, eventType: 'viewer-request' },
    viewer: { ip: sent.clientIp },
    request: { method: sent.method, uri: sent.uri, querystring, headers, cookies, rawQueryString: () => raw },
  };
}
