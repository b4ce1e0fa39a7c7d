/// <reference types="aws-cloudfront-function" />
/**
 * CloudFront Functions' `cloudfront-js-2.0` runtime, locally: a function's code runs in a fresh
 * node:vm context shaped as AWS documents the runtime (infra/build/cloudfront-runtime.ts holds the
 * documented lists), so code that uses something the runtime lacks fails here as it would in AWS.
 *
 * - Creating the function (as CreateFunction/the console would): code over 10 KB is refused, and so
 *   is syntax the runtime does not list (classes, destructuring, spread, for-of...).
 * - Running it: only the listed globals and members exist (no Map, Set, URLSearchParams, process,
 *   setTimeout, fetch...), `eval` and `new Function` throw, Date stands still at the run's start,
 *   `require` offers querystring, crypto and cloudfront, console has `log` with one argument.
 * - Its result is checked as CloudFront checks it: a request (read-only method, a URI starting
 *   with `/`, lowercase `{ value }` headers, no read-only or disallowed header touched) or a
 *   response (an integer statusCode, `{ value }` headers). A throw is a FunctionExecutionError (503),
 *   a bad result a FunctionValidationError (502).
 *
 * Pages: functions-javascript-runtime-20.html, functions-event-structure.html,
 * cloudfront-function-restrictions.html, edge-function-restrictions-all.html (header rules), all
 * under https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/. Where AWS is silent the
 * choice is named where it is made. This is a conformance tool, not a security boundary: the
 * helpers it hands the function (require, console, Date, TextEncoder) are host objects.
 */
import vm from 'node:vm';
import { transformSync } from 'esbuild';
import { READ_ONLY_HEADERS, isBase64, isDisallowedHeader } from './cloudfront-validate.ts';
import { checkFunctionCode } from './cloudfront-syntax.ts';
import type { FunctionEvent, FunctionValue } from './cloudfront-events.ts';
import { describeThrown, runtimeContext } from './cloudfront-runtime-context.ts';

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

export interface SandboxOptions {
  /** Where console.log lines go (CloudFront: the function's CloudWatch log group). */
  readonly log?: (line: string) => void;
  /**
   * Milliseconds a run may take before it is stopped (a FunctionExecutionError). AWS limits a
   * function by "compute utilization", not by a published time (the budget is well under a
   * millisecond); the local choice is 1,000 ms, a guard against a runaway loop on a busy laptop,
   * not a measure (the inspector shows each run's time). 0: no
   * limit (node:vm's watchdog costs a thread start per run: the bench and the differential test
   * run without it).
   */
  readonly timeoutMs?: number;
  /**
   * One context for every run (the function's globals survive from run to run) instead of a fresh
   * one each time: for the differential test and the bench, which run it 100,000 times. Date is
   * still frozen per run.
   */
  readonly reuseContext?: boolean;
  /** How many runs one context serves before a fresh one replaces it; default 1 (CONTEXT_RUNS). */
  readonly contextRuns?: number;
}

export interface CloudFrontFunctionInstance {
  /** UTF-8 bytes of the code. */
  readonly bytes: number;
  run(event: CfEvent): Promise<CfOutcome>;
}

const EVENT_SLOT = '__cloudFrontFunctionEvent';
const CALL_HANDLER = new vm.Script(`handler(globalThis.${EVENT_SLOT})`, { filename: 'cloudfront-invoke.js' });

/**
 * How many runs one context serves by default. Whether AWS keeps a function's globals from one run to
 * the next is not documented (functions-javascript-runtime-20.html and cloudfront-function-restrictions.html
 * are silent), so the local edge keeps nothing: a function that counts on state surviving fails here
 * as it may in AWS. A larger `contextRuns` (the bench measures 100) shows what a fresh node:vm context
 * per run costs the hit path.
 */
const CONTEXT_RUNS = 1;

/** Loads a function as CloudFront would create it; each context serves `contextRuns` runs. */
export function loadCloudFrontFunction(code: string, options: SandboxOptions = {}): CloudFrontFunctionInstance {
  checkFunctionCode(code);
  // `import x from 'crypto'` / `'cloudfront'` (documented on the helper pages and in AWS's
  // examples) become require calls; nothing else about the script changes.
  const source = /^\s*import\s/m.test(code) ? transformSync(code, { loader: 'js', format: 'cjs', logLevel: 'silent' }).code : code;
  // "Functions operate in strict mode by default ... This cannot be changed" (functions-javascript-runtime-20.html):
  // the directive goes on the first line, so line numbers in errors stay the function's own.
  const script = new vm.Script(`'use strict';${source}`, { filename: 'cloudfront-function.js' });
  const log = options.log ?? (() => {});
  const timeout = options.timeoutMs ?? 1000;
  const clock = { startedAt: 0 };
  const limit = timeout > 0 ? { timeout } : {};
  const perContext = options.reuseContext ? Number.POSITIVE_INFINITY : (options.contextRuns ?? CONTEXT_RUNS);
  let current: { context: vm.Context; inner: Record<string, unknown> } | undefined;
  let served = 0;
  const contextFor = () => {
    if (current && served < perContext) {
      served++;
      return current;
    }
    const context = runtimeContext(clock, log);
    script.runInContext(context, limit);
    current = { context, inner: vm.runInContext('globalThis', context) as Record<string, unknown> };
    served = 1;
    return current;
  };
  return {
    bytes: Buffer.byteLength(code, 'utf8'),
    async run(event: CfEvent): Promise<CfOutcome> {
      const sent = structuredClone({ ...event, request: { ...event.request, rawQueryString: undefined } });
      const raw = event.request.rawQueryString();
      let result: unknown;
      try {
        clock.startedAt = Date.now();
        const { context, inner } = contextFor();
        if (typeof inner['handler'] !== 'function')
          return { ok: false, error: 'FunctionExecutionError', reason: 'the code defines no top-level function handler(event)' };
        // Called inside the context so that the time limit covers the run itself.
        inner[EVENT_SLOT] = toSandbox(inner, event);
        try {
          result = CALL_HANDLER.runInContext(context, limit);
        } finally {
          delete inner[EVENT_SLOT];
        }
        result = await result;
      } catch (error) {
        // A run that threw or was stopped may leave its context half changed: the next run gets a fresh one.
        current = undefined;
        return { ok: false, error: 'FunctionExecutionError', reason: `the function threw: ${describeThrown(error)}` };
      }
      return validate(sent as unknown as CfEvent, raw, result);
    },
  };
}

/** The event, built inside the context (its objects and arrays are the runtime's own). */
function toSandbox(inner: Record<string, unknown>, event: CfEvent): unknown {
  const global = inner as unknown as { JSON: JSON };
  const raw = event.request.rawQueryString();
  const copy = global.JSON.parse(JSON.stringify({ ...event, request: { ...event.request } })) as { request: Record<string, unknown> };
  // A method on the request object (general-helper-methods.html): the query string as received.
  copy.request['rawQueryString'] = () => raw;
  return copy;
}

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
function validate(sent: CfEvent, raw: string | undefined, result: unknown): CfOutcome {
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
