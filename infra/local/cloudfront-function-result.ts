/// <reference types="aws-cloudfront-function" />
/**
 * What CloudFront does with a CloudFront Function's result (viewer request): a request (read-only
 * method, a URI starting with `/`, lowercase `{ value }` headers, no read-only or disallowed header
 * touched) or a response (an integer statusCode, `{ value }` headers, a valid base64 body). A bad
 * result is a FunctionValidationError (502).
 * Pages: functions-event-structure.html, edge-function-restrictions-all.html (header rules), under
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/.
 */
import { READ_ONLY_HEADERS, isBase64, isDisallowedHeader } from './cloudfront-validate.ts';
import type { FunctionEvent, FunctionValue } from './cloudfront-events.ts';

/** A request as a function returns it: AWS's normalize-query-string example returns the query as a string. */
export type CfRequest = Omit<AWSCloudFrontFunction.Request, 'querystring'> & { querystring: AWSCloudFrontFunction.ValueObject | string };
type CfValue = FunctionValue;
type CfEvent = FunctionEvent;
type CfResponse = AWSCloudFrontFunction.Response;

/** What CloudFront does with a run. */
export type CfOutcome =
  | { readonly ok: true; readonly kind: 'request'; readonly request: CfRequest; readonly rawQueryString: string | undefined }
  | { readonly ok: true; readonly kind: 'response'; readonly response: CfResponse }
  | { readonly ok: false; readonly error: 'FunctionExecutionError' | 'FunctionValidationError'; readonly reason: string };

const LOWERCASE_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;

function isValueObject(value: unknown): value is CfValue {
  if (typeof value !== 'object' || value === null || typeof (value as CfValue).value !== 'string') return false;
  const multi = (value as CfValue).multiValue;
  return multi === undefined || (Array.isArray(multi) && multi.every((m) => typeof m === 'object' && m !== null && typeof m.value === 'string'));
}

function checkValues(where: string, values: unknown): string | undefined {
  if (typeof values !== 'object' || values === null || Array.isArray(values)) return `Expected an object for ${where} but received ${JSON.stringify(values)}`;
  for (const [name, value] of Object.entries(values)) {
    if (!isValueObject(value)) return `Expected { value: string } for ${where}.${name} but received ${JSON.stringify(value)}`;
  }
  return undefined;
}

function headerValues(headers: Record<string, CfValue>, name: string): string[] {
  const h = headers[name];
  if (!h) return [];
  return h.multiValue ? h.multiValue.map((m) => m.value) : [h.value];
}

/** CloudFront's checks of a viewer-request function's result. */
export function validateResult(
  sent: { readonly request: Pick<CfEvent['request'], 'method' | 'headers'> },
  raw: string | undefined,
  result: unknown,
): CfOutcome {
  const fail = (reason: string): CfOutcome => ({ ok: false, error: 'FunctionValidationError', reason });
  if (typeof result !== 'object' || result === null) return fail(`Expected a request or a response object but received ${String(result)}`);
  if ('statusCode' in result) {
    const response = result as CfResponse;
    if (!Number.isInteger(response.statusCode) || response.statusCode < 200 || response.statusCode > 599) {
      return fail(`Expected an integer statusCode from 200 to 599 but received ${JSON.stringify(response.statusCode)}`);
    }
    if (response.headers !== undefined) {
      const problem = checkValues('headers', response.headers);
      if (problem) return fail(problem);
      for (const name of Object.keys(response.headers)) {
        if (!LOWERCASE_NAME.test(name)) return fail(`Expected a lowercase header name but received ${JSON.stringify(name)}`);
        if (isDisallowedHeader(name)) return fail(`Expected no disallowed header but received ${name}`);
      }
    }
    const body = response.body;
    if (body !== undefined && typeof body !== 'string') {
      if (typeof body !== 'object' || typeof body.data !== 'string' || (body.encoding !== 'text' && body.encoding !== 'base64')) {
        return fail(`Expected a body string or { data, encoding: 'text' | 'base64' } but received ${JSON.stringify(body)}`);
      }
      // A generated response whose base64 body does not decode is an error at CloudFront, not a 200.
      if (body.encoding === 'base64' && !isBase64(body.data)) return fail('Expected valid base64 for body.data but received text that does not decode');
    }
    return { ok: true, kind: 'response', response };
  }
  const request = result as CfRequest;
  if (request.method !== sent.request.method) return fail(`Expected the method unchanged (it is read-only) but received ${JSON.stringify(request.method)}`);
  if (typeof request.uri !== 'string' || !request.uri.startsWith('/'))
    return fail(`Expected a uri starting with "/" but received ${JSON.stringify(request.uri)}`);
  for (const part of ['headers', 'cookies'] as const) {
    const problem = checkValues(part, request[part]);
    if (problem) return fail(problem);
  }
  // The documented query string is an object; AWS's normalize-query-string example returns a string.
  if (typeof request.querystring !== 'string') {
    const problem = checkValues('querystring', request.querystring);
    if (problem) return fail(problem);
  }
  for (const name of Object.keys(request.headers)) {
    if (!LOWERCASE_NAME.test(name)) return fail(`Expected a lowercase header name but received ${JSON.stringify(name)}`);
    if (isDisallowedHeader(name) && !(name in sent.request.headers)) return fail(`Expected no disallowed header but received ${name}`);
  }
  for (const name of READ_ONLY_HEADERS['viewer-request']) {
    if (JSON.stringify(headerValues(request.headers, name)) !== JSON.stringify(headerValues(sent.request.headers, name))) {
      return fail(`Expected the read-only header ${name} unchanged`);
    }
  }
  return { ok: true, kind: 'request', request, rawQueryString: raw };
}
