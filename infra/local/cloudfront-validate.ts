/**
 * Validation of a Lambda@Edge function's result the way CloudFront does it before using it. Any
 * failure is a LambdaValidationError, which CloudFront turns into a 502 for the viewer.
 */
import type { CloudFrontHeaders, CloudFrontRequest, CloudFrontRequestEvent, CloudFrontResponseEvent, CloudFrontResultResponse } from 'aws-lambda';
import type { EventType } from './cloudfront-events.ts';
import { generatedSize } from '../../functions/adapters/cloudfront/respond.ts';
import { CLOUDFRONT_QUOTAS, type ViewerOrigin } from '../cloudfront-quotas.ts';

export type { EventType } from './cloudfront-events.ts';

/** Caps in bytes, per event kind: a generated response (headers + body) and a replaced request body. */
export interface Limits {
  readonly generatedResponseBytes: ViewerOrigin<number>;
  readonly replacedBodyBytes: ViewerOrigin<number>;
}

const QUOTA_LIMITS: Limits = CLOUDFRONT_QUOTAS;

export type Validated =
  | { ok: true; kind: 'request'; request: CloudFrontRequest; replacedBody?: Buffer }
  | { ok: true; kind: 'response'; response: CloudFrontResultResponse; generated: boolean; body?: Buffer }
  | { ok: false; error: 'LambdaValidationError'; reason: string };

export const READ_ONLY_HEADERS: Record<EventType, readonly string[]> = {
  'viewer-request': ['cdn-loop', 'content-length', 'host', 'transfer-encoding', 'via'],
  'origin-request': [
    'accept-encoding',
    'cdn-loop',
    'content-length',
    'if-modified-since',
    'if-none-match',
    'if-range',
    'if-unmodified-since',
    'transfer-encoding',
    'via',
  ],
  'origin-response': ['transfer-encoding', 'via'],
  'viewer-response': ['content-encoding', 'content-length', 'transfer-encoding', 'warning', 'via'],
};

const DISALLOWED_NAMES = new Set([
  'connection',
  'expect',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'trailer',
  'upgrade',
  'x-accel-buffering',
  'x-accel-charset',
  'x-accel-limit-rate',
  'x-accel-redirect',
  'x-amzn-auth',
  'x-amzn-cf-billing',
  'x-amzn-cf-id',
  'x-amzn-cf-xff',
  'x-amzn-errortype',
  'x-amzn-fle-profile',
  'x-amzn-header-count',
  'x-amzn-header-order',
  'x-amzn-lambda-integration-tag',
  'x-amzn-requestid',
  'x-cache',
  'x-forwarded-proto',
  'x-real-ip',
  'cloudfront-viewer-cert-pem',
  'client-cert',
  'client-cert-chain',
]);
/** The documented wildcards; X-Accel-* is four named headers on the page, not a prefix. */
const DISALLOWED_PREFIXES = ['x-amz-cf-', 'x-edge-'];

/**
 * The one CloudFront header a viewer-request function may not add: "If a viewer request function adds
 * this header, it fails validation" (lambda-at-edge-function-restrictions.html). The other CloudFront
 * headers may be read, edited, removed or added; CloudFront overwrites them for origin events when a
 * policy adds them.
 */
const VIEWER_REQUEST_FORBIDDEN = 'cloudfront-viewer-country';

/**
 * Headers CloudFront cannot add to origin requests as custom headers (add-origin-custom-headers.html,
 * "Custom headers that CloudFront can't add to origin requests"), so `origin.*.customHeaders` may not.
 */
const CUSTOM_HEADER_DENIED = new Set([
  'cache-control',
  'connection',
  'content-length',
  'cookie',
  'host',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'if-unmodified-since',
  'max-forwards',
  'pragma',
  'proxy-authorization',
  'proxy-connection',
  'range',
  'request-range',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'via',
  'x-real-ip',
]);
const CUSTOM_HEADER_DENIED_PREFIXES = ['x-amz-', 'x-edge-'];

export function isDisallowedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return DISALLOWED_NAMES.has(lower) || DISALLOWED_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

/**
 * `input` must be the event as it was sent: hand the function a copy (copyEventData, cloudfront-events.ts), because
 * functions usually mutate their event and return it, which would hide every change.
 */
export function validateResult(
  eventType: EventType,
  input: CloudFrontRequestEvent | CloudFrontResponseEvent,
  result: unknown,
  limits: Limits = QUOTA_LIMITS,
): Validated {
  try {
    const cf = input.Records[0]?.cf;
    if (cf === undefined) throw new Invalid('the input event has no record');
    if (!isRecord(result)) throw new Invalid(`the result of ${eventType} must be an object but was ${describe(result)}`);
    const isRequestEvent = eventType === 'viewer-request' || eventType === 'origin-request';
    if (isRequestEvent && !('status' in result)) return checkRequest(eventType, cf.request, result, limits);
    const received = 'response' in cf ? cf.response : undefined;
    if (!isRequestEvent && received === undefined) throw new Invalid(`the input ${eventType} event has no response`);
    return checkResponse(eventType, received, result, limits);
  } catch (error) {
    if (error instanceof Invalid) return { ok: false, error: 'LambdaValidationError', reason: error.message };
    throw error;
  }
}

class Invalid extends Error {}

type Rec = Record<string, unknown>;

function checkRequest(eventType: EventType, sent: CloudFrontRequest, result: Rec, limits: Limits): Validated {
  const { uri, querystring } = result;
  if (typeof uri !== 'string' || !uri.startsWith('/')) {
    throw new Invalid(`uri must be a string starting with "/" but was ${describe(uri)}`);
  }
  if (typeof querystring !== 'string') throw new Invalid(`querystring must be a string but was ${describe(querystring)}`);
  if (querystring.startsWith('?')) throw new Invalid('querystring must not start with "?"');
  if (/[\s\x00-\x1f\x7f#]/.test(querystring)) {
    throw new Invalid('querystring must not contain spaces, control characters or "#"');
  }
  if (uri.length + querystring.length >= 8192) throw new Invalid('uri and querystring together must be under 8,192 characters');
  for (const field of ['clientIp', 'method'] as const) {
    if (field in result && result[field] !== sent[field]) throw new Invalid(`read-only field "${field}" was changed in ${eventType}`);
  }
  const headers = checkHeaderMap('request headers', result.headers);
  checkReadOnly(eventType, sent.headers, headers);
  checkAdditions(eventType, sent.headers, headers);
  if (eventType === 'origin-request' && result.origin !== undefined) checkOrigin(eventType, result.origin, headers);
  const replacedBody = result.body === undefined ? undefined : checkRequestBody(eventType, result.body, limits);
  return { ok: true, kind: 'request', request: result as unknown as CloudFrontRequest, ...(replacedBody ? { replacedBody } : {}) };
}

function checkResponse(eventType: EventType, received: { status: string; headers: CloudFrontHeaders } | undefined, result: Rec, limits: Limits): Validated {
  const status = parseStatus(result.status);
  if (eventType === 'viewer-response' && received !== undefined && status !== Number(received.status)) {
    throw new Invalid(`viewer-response cannot change the status (${received.status} -> ${status})`);
  }
  const { statusDescription, body, bodyEncoding } = result;
  if (statusDescription !== undefined && (typeof statusDescription !== 'string' || hasControlChar(statusDescription))) {
    throw new Invalid(`statusDescription must be a string without control characters but was ${describe(statusDescription)}`);
  }
  const headers = checkHeaderMap('response headers', result.headers ?? {});
  // A generated response in a request event has nothing to compare with: the read-only lists there
  // name request headers, so only additions are checked.
  if (received !== undefined) checkReadOnly(eventType, received.headers, headers);
  checkAdditions(eventType, received?.headers ?? {}, headers);

  if (body !== undefined && typeof body !== 'string') throw new Invalid(`body must be a string but was ${describe(body)}`);
  if (bodyEncoding !== undefined && bodyEncoding !== 'text' && bodyEncoding !== 'base64') {
    throw new Invalid(`bodyEncoding must be "text" or "base64" but was ${describe(bodyEncoding)}`);
  }
  if (bodyEncoding === 'base64' && body !== undefined && !isBase64(body)) throw new Invalid('body is not valid base64');
  if (eventType === 'viewer-request' && status === 204 && body !== undefined) {
    throw new Invalid('a generated 204 response in viewer-request must not have a body');
  }

  // Origin-response and viewer-response results without a body keep the body CloudFront already has.
  const generated = received === undefined || body !== undefined;
  if (generated) {
    const limit = eventType.startsWith('viewer-') ? limits.generatedResponseBytes.viewer : limits.generatedResponseBytes.origin;
    // A base64 body is measured as sent (encoded), the stricter reading of an unspecified rule.
    const size = generatedSize({ headers, ...(body === undefined ? {} : { body }) });
    if (size > limit) {
      throw new Invalid(`generated response is ${size} bytes (headers + body), over the ${limit}-byte limit for ${eventType}`);
    }
  }

  const response: CloudFrontResultResponse = {
    status: String(status),
    ...(statusDescription === undefined ? {} : { statusDescription }),
    headers,
    ...(bodyEncoding === undefined ? {} : { bodyEncoding }),
    ...(body === undefined ? {} : { body }),
  };
  if (body === undefined) return { ok: true, kind: 'response', response, generated };
  const decoded = Buffer.from(body, bodyEncoding === 'base64' ? 'base64' : 'utf8');
  return { ok: true, kind: 'response', response, generated, body: decoded };
}

function parseStatus(status: unknown): number {
  const code = typeof status === 'number' ? status : typeof status === 'string' && /^\d{3}$/.test(status) ? Number(status) : NaN;
  if (!Number.isInteger(code) || code < 200 || code > 599) {
    throw new Invalid(`status must be a number from 200 to 599 but was ${describe(status)}`);
  }
  return code;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;

function checkHeaderMap(what: string, headers: unknown): CloudFrontHeaders {
  if (!isRecord(headers)) throw new Invalid(`${what} must be an object but was ${describe(headers)}`);
  for (const [name, entries] of Object.entries(headers)) {
    if (name !== name.toLowerCase()) throw new Invalid(`header map key "${name}" must be lowercase`);
    if (!TOKEN.test(name)) throw new Invalid(`header name "${name}" is not a valid HTTP header name`);
    if (!Array.isArray(entries)) throw new Invalid(`header "${name}" must be an array of {key, value} objects`);
    for (const entry of entries as unknown[]) {
      if (!isRecord(entry)) throw new Invalid(`header "${name}" must be an array of {key, value} objects`);
      const { key, value } = entry;
      if (key !== undefined && typeof key !== 'string') throw new Invalid(`header "${name}" has a key that is not a string: ${describe(key)}`);
      // The map name is the header: AWS's own "Overriding a response header" example (lambda-examples.html)
      // copies `x-amz-meta-last-modified`'s entry, key and all, under `last-modified`, and the viewer
      // gets Last-Modified. An entry whose key names another header goes out under its map name.
      if (key !== undefined && key.toLowerCase() !== name) entry['key'] = name;
      if (typeof value !== 'string') throw new Invalid(`header "${name}" has a value that is not a string: ${describe(value)}`);
      if (hasControlChar(value)) throw new Invalid(`header "${name}" has a value with a control character (CR, LF, NUL, ...)`);
    }
  }
  return headers as CloudFrontHeaders;
}

function checkReadOnly(eventType: EventType, before: CloudFrontHeaders, after: CloudFrontHeaders): void {
  for (const name of READ_ONLY_HEADERS[eventType]) {
    const was = entriesOf(before, name);
    const now = entriesOf(after, name);
    if (sameValues(was, now)) continue;
    const change = was.length === 0 ? 'added' : now.length === 0 ? 'removed' : 'changed';
    throw new Invalid(`read-only header "${name}" was ${change} in ${eventType}`);
  }
}

function checkAdditions(eventType: EventType, before: CloudFrontHeaders, after: CloudFrontHeaders): void {
  for (const name of Object.keys(after)) {
    if (entriesOf(after, name).length === 0 || entriesOf(before, name).length > 0) continue;
    if (isDisallowedHeader(name)) throw new Invalid(`disallowed header "${name}" was added in ${eventType}`);
    if (eventType === 'viewer-request' && name === VIEWER_REQUEST_FORBIDDEN) {
      throw new Invalid(`geo header "${name}" cannot be added in ${eventType}`);
    }
  }
}

/** The documented constraints on `request.origin` (lambda-event-structure.html, "origin"). */
function checkOrigin(eventType: EventType, origin: unknown, requestHeaders: CloudFrontHeaders): void {
  if (!isRecord(origin)) throw new Invalid(`origin must be an object but was ${describe(origin)}`);
  const kinds = (['s3', 'custom'] as const).filter((kind) => origin[kind] !== undefined);
  const [kind] = kinds;
  if (kind === undefined || kinds.length > 1) throw new Invalid('origin must have exactly one of "s3" or "custom"');
  const spec = origin[kind];
  if (!isRecord(spec) || typeof spec.domainName !== 'string' || spec.domainName === '') {
    throw new Invalid(`origin.${kind}.domainName must be a non-empty string`);
  }
  const { domainName, path } = spec;
  if (kind === 'custom') {
    if (domainName.length > 253 || domainName.includes(':') || isIpAddress(domainName)) {
      throw new Invalid(
        `origin.custom.domainName must be a DNS name of at most 253 characters, without ":" and not an IP address, but was ${describe(domainName)}`,
      );
    }
    const { port, protocol, readTimeout, keepaliveTimeout, sslProtocols } = spec;
    if (port !== undefined && !(port === 80 || port === 443 || (Number.isInteger(port) && (port as number) >= 1024 && (port as number) <= 65535))) {
      throw new Invalid(`origin.custom.port must be 80, 443 or 1024-65535 but was ${describe(port)}`);
    }
    if (protocol !== undefined && protocol !== 'http' && protocol !== 'https')
      throw new Invalid(`origin.custom.protocol must be "http" or "https" but was ${describe(protocol)}`);
    if (readTimeout !== undefined && !inRange(readTimeout, 4, 60))
      throw new Invalid(`origin.custom.readTimeout must be a number from 4 to 60 but was ${describe(readTimeout)}`);
    if (keepaliveTimeout !== undefined && !inRange(keepaliveTimeout, 1, 60)) {
      throw new Invalid(`origin.custom.keepaliveTimeout must be a number from 1 to 60 but was ${describe(keepaliveTimeout)}`);
    }
    if (
      sslProtocols !== undefined &&
      !(Array.isArray(sslProtocols) && sslProtocols.every((p) => ['TLSv1.2', 'TLSv1.1', 'TLSv1', 'SSLv3'].includes(p as string)))
    ) {
      throw new Invalid('origin.custom.sslProtocols must list only TLSv1.2, TLSv1.1, TLSv1 or SSLv3');
    }
  } else {
    if (domainName.length > 128 || domainName !== domainName.toLowerCase()) {
      throw new Invalid(`origin.s3.domainName must be lowercase and at most 128 characters but was ${describe(domainName)}`);
    }
    const { authMethod, region } = spec;
    if (authMethod !== undefined && authMethod !== 'origin-access-identity' && authMethod !== 'none') {
      throw new Invalid(`origin.s3.authMethod must be "origin-access-identity" or "none" but was ${describe(authMethod)}`);
    }
    if (authMethod === 'origin-access-identity' && (typeof region !== 'string' || region === '')) {
      throw new Invalid('origin.s3.region is required when authMethod is "origin-access-identity"');
    }
  }
  if (path !== undefined) {
    if (typeof path !== 'string' || (path !== '' && (!path.startsWith('/') || path.endsWith('/')))) {
      throw new Invalid(`origin.${kind}.path must be empty or start with "/" and not end with one, but was ${describe(path)}`);
    }
    if (kind === 'custom' && path.length > 255) throw new Invalid('origin.custom.path must be at most 255 characters');
  }
  if (spec.customHeaders !== undefined) {
    const custom = checkHeaderMap(`origin.${kind}.customHeaders`, spec.customHeaders);
    checkAdditions(eventType, {}, custom);
    for (const name of Object.keys(custom)) {
      if (CUSTOM_HEADER_DENIED.has(name) || CUSTOM_HEADER_DENIED_PREFIXES.some((p) => name.startsWith(p))) {
        throw new Invalid(`origin custom header "${name}" is one CloudFront cannot add to origin requests`);
      }
      if (Object.hasOwn(requestHeaders, name)) throw new Invalid(`origin custom header "${name}" is also in the request headers`);
    }
  }
}

function inRange(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max;
}

function isIpAddress(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.startsWith('[');
}

/**
 * A replaced request body (lambda-event-structure.html "body"; lambda-at-edge-function-restrictions.html
 * "Restrictions on the request body with the include body option"): invalid base64 is an error, and so
 * is a body over the quota: "the request fails with a 502", it is never truncated (40 KB / 1 MB as
 * text, 53.2 KB / 1.33 MB as base64, for viewer / origin request; cloudfront-quotas.ts).
 */
function checkRequestBody(eventType: EventType, body: unknown, limits: Limits): Buffer | undefined {
  if (!isRecord(body)) throw new Invalid(`request body must be an object but was ${describe(body)}`);
  if (body.action !== 'replace') return undefined;
  const { data } = body;
  const encoding = body.encoding ?? 'base64';
  if (typeof data !== 'string') throw new Invalid(`request body data must be a string but was ${describe(data)}`);
  if (encoding !== 'text' && encoding !== 'base64') {
    throw new Invalid(`request body encoding must be "text" or "base64" but was ${describe(encoding)}`);
  }
  if (encoding === 'base64' && !isBase64(data)) throw new Invalid('request body data is not valid base64');
  const quota = eventType === 'viewer-request' ? limits.replacedBodyBytes.viewer : limits.replacedBodyBytes.origin;
  if (encoding === 'text') {
    const bytes = Buffer.from(data, 'utf8');
    if (bytes.length > quota) throw new Invalid(`replaced request body is ${bytes.length} bytes, over the ${quota}-byte limit for ${eventType}`);
    return bytes;
  }
  // 53.2 KB and 1.33 MB: the text quota times 1.33, counted on the base64 characters.
  const base64Quota = Math.floor(quota * 1.33);
  if (data.length > base64Quota) {
    throw new Invalid(`replaced request body is ${data.length} base64 characters, over the ${base64Quota}-character limit for ${eventType}`);
  }
  return Buffer.from(data, 'base64');
}

/** A header's entries (none when the map does not have it as its own), read in place. */
const NO_ENTRIES: readonly { readonly value: string }[] = [];
function entriesOf(headers: CloudFrontHeaders, name: string): readonly { readonly value: string }[] {
  return Object.hasOwn(headers, name) ? (headers[name] ?? NO_ENTRIES) : NO_ENTRIES;
}
function sameValues(a: readonly { readonly value: string }[], b: readonly { readonly value: string }[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i]!.value !== b[i]?.value) return false;
  return a.length === b.length;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function isBase64(text: string): boolean {
  return BASE64.test(text);
}

const CONTROL_CHAR = /[\x00-\x08\x0a-\x1f\x7f]/;
function hasControlChar(text: string): boolean {
  return CONTROL_CHAR.test(text);
}

function isRecord(value: unknown): value is Rec {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
