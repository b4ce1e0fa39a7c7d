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
  return { Records: [{ cf: { config: config('viewer-request', opts), request: request(opts, undefined, true) } }] };
}

export function originRequestEvent(opts: OriginRequestOptions): CloudFrontRequestEvent {
  return { Records: [{ cf: { config: config('origin-request', opts), request: request(opts, opts.origin, true) } }] };
}

export function originResponseEvent(opts: OriginResponseOptions): CloudFrontResponseEvent {
  return {
    Records: [{ cf: { config: config('origin-response', opts), request: request(opts, opts.origin, false), response: copyEventData(opts.response) } }],
  };
}

export function viewerResponseEvent(opts: ViewerResponseOptions): CloudFrontResponseEvent {
  return {
    Records: [{ cf: { config: config('viewer-response', opts), request: request(opts, undefined, false), response: copyEventData(opts.response) } }],
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

/**
 * Keys in the order CloudFront's own examples list them (alphabetical), so dumps read alike. `withBody`:
 * request events carry the body (when there is one), response events never do.
 */
function request(opts: RequestOptions, origin: EventOrigin | undefined, withBody: boolean): CloudFrontRequest {
  const out = {} as { -readonly [K in keyof CloudFrontRequest]: CloudFrontRequest[K] };
  if (withBody && opts.body !== undefined) out.body = copyEventData(opts.body);
  out.clientIp = opts.clientIp;
  out.headers = opts.headers === undefined ? {} : copyEventData(opts.headers);
  out.method = opts.method ?? 'GET';
  if (origin !== undefined) out.origin = copyEventData(origin) as CloudFrontOrigin;
  out.querystring = opts.querystring ?? '';
  out.uri = opts.uri;
  return out;
}

/**
 * A deep copy of event data (what a function gets and returns: plain objects, arrays, strings,
 * numbers, booleans, null), as structuredClone makes it, written out because an event is small and
 * structuredClone's serializer costs several times more per event. Anything else (a Date, a typed
 * array, a function a result should not hold, a cycle, a nesting deeper than any event's) goes to
 * structuredClone, which copies it or refuses it.
 */
export function copyEventData<T>(value: T): T {
  try {
    return copyPlain(value, 0) as T;
  } catch (error) {
    if (error !== NOT_PLAIN) throw error;
    return structuredClone(value);
  }
}

/** Deeper than any event (Records, cf, request, origin, custom, customHeaders, name, entry: 8). */
const MAX_EVENT_DEPTH = 32;
const NOT_PLAIN = new Error('not plain event data');

function copyPlain(value: unknown, depth: number): unknown {
  if (typeof value === 'function' || depth > MAX_EVENT_DEPTH) throw NOT_PLAIN;
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = copyPlain(value[i], depth + 1);
    return out;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) throw NOT_PLAIN;
  const out: Record<string, unknown> = {};
  // Own enumerable keys, as Object.keys gives them, without an array of them per object.
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const copied = copyPlain((value as Record<string, unknown>)[key], depth + 1);
    // A viewer may send a header named `__proto__`: it stays an own entry, never the copy's prototype.
    if (key === '__proto__') Object.defineProperty(out, key, { value: copied, enumerable: true, writable: true, configurable: true });
    else out[key] = copied;
  }
  return out;
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
