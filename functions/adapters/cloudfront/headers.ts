/**
 * Helpers for CloudFront's header map: lowercase names -> `[{ key, value }]`, one entry per value.
 */
import type { CloudFrontHeaders } from 'aws-lambda';

export type HeaderInput = Record<string, string | readonly string[] | undefined> | Iterable<readonly [string, string]>;

/** Builds a header map from a plain record (such as node's `req.headers`) or name/value pairs. */
export function toCfHeaders(input: HeaderInput): CloudFrontHeaders {
  const headers: CloudFrontHeaders = {};
  for (const [name, value] of pairsOf(input)) appendCfHeader(headers, name, value);
  return headers;
}

/**
 * Adds one value of a header under its lowercase name (`lower`, when the caller has it already), after
 * the values it holds. A viewer's `__proto__` header is stored as an own entry, never made the map's
 * prototype.
 */
export function appendCfHeader(headers: CloudFrontHeaders, name: string, value: string, lower = name.toLowerCase()): void {
  const entry = { key: name, value };
  if (Object.hasOwn(headers, lower)) headers[lower]!.push(entry);
  else if (lower !== '__proto__') headers[lower] = [entry];
  else Object.defineProperty(headers, lower, { value: [entry], enumerable: true, writable: true, configurable: true });
}

/** The first value of a header, the name matched case-insensitively. */
export function headerValue(headers: CloudFrontHeaders | undefined, name: string): string | undefined {
  const lower = name.toLowerCase();
  if (headers === undefined || !Object.hasOwn(headers, lower)) return undefined;
  return headers[lower]?.[0]?.value;
}

/** Replaces every value of a header; returns the same map for chaining. */
export function setHeader(headers: CloudFrontHeaders, name: string, value: string | readonly string[]): CloudFrontHeaders {
  const key = canonicalHeaderName(name);
  const values = typeof value === 'string' ? [value] : value;
  headers[name.toLowerCase()] = values.map((v) => ({ key, value: v }));
  return headers;
}

export function removeHeader(headers: CloudFrontHeaders, name: string): CloudFrontHeaders {
  delete headers[name.toLowerCase()];
  return headers;
}

/** Name/value pairs for writing an HTTP message, one pair per value, in map order. */
export function fromCfHeaders(headers: CloudFrontHeaders | undefined): [string, string][] {
  if (headers === undefined) return [];
  return Object.entries(headers).flatMap(([name, entries]) => entries.map((entry): [string, string] => [entry.key ?? canonicalHeaderName(name), entry.value]));
}

/**
 * `content-type` -> `Content-Type`. This is the rule CloudFront itself applies when a function omits
 * `key`, so names like `etag` become `Etag`, not `ETag` (HTTP names are case-insensitive anyway).
 */
export function canonicalHeaderName(name: string): string {
  return name
    .toLowerCase()
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('-');
}

function* pairsOf(input: HeaderInput): Iterable<readonly [string, string]> {
  if (isIterable(input)) {
    yield* input;
    return;
  }
  for (const [name, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (typeof value === 'string') yield [name, value];
    else for (const v of value) yield [name, v];
  }
}

function isIterable(input: HeaderInput): input is Iterable<readonly [string, string]> {
  return typeof (input as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function';
}
