/**
 * The function runner of the local edge: runs one Lambda@Edge handler on one event, with the event's
 * timeout, and validates its result as CloudFront does (shape, read-only and disallowed headers,
 * generated-response caps). A failure becomes a FunctionFailure, which edge.ts answers with
 * CloudFront's 502/503 page.
 */
import type { CloudFrontRequestEvent, CloudFrontResponseEvent } from 'aws-lambda';
import { copyEventData } from './cloudfront-events.ts';
import type { EventType } from './cloudfront-events.ts';
import { validateResult } from './cloudfront-validate.ts';
import type { DistributionSpec, FunctionName } from '../distribution.ts';
import { FunctionFailure } from './answer.ts';
import { CLOUDFRONT_QUOTAS } from '../cloudfront-quotas.ts';

// biome-ignore lint/suspicious/noExplicitAny: one table holds handlers of every event shape; the edge validates what they return
export type EdgeFunction = (event: any) => unknown;

/** One function's run, as the inspector shows it. */
export interface FunctionTrace {
  readonly eventType: EventType;
  readonly fn: FunctionName;
  readonly ms: number;
  readonly outcome:
    | 'continued'
    | 'generated'
    | 'LambdaExecutionError'
    | 'LambdaValidationError'
    | 'LambdaLimitExceeded'
    | 'FunctionExecutionError'
    | 'FunctionValidationError';
  /** Which runtime ran it: Lambda@Edge (absent), or the CloudFront Function build (cloudfront-js-2.0). */
  readonly runtime?: 'cloudfront-function';
  readonly detail?: string;
  /** The event as CloudFront passed it and the result the function returned (bodies shortened). */
  readonly event?: unknown;
  readonly result?: unknown;
}

export interface FunctionRunnerOptions {
  readonly spec: DistributionSpec;
  readonly functions: Partial<Record<FunctionName, EdgeFunction>>;
  /** `strict`: the older quota column (viewer 5 s), the default; `current`: 30 s for every event. */
  readonly quotas?: 'strict' | 'current' | undefined;
  /**
   * Keep the event and the result (shortened) in the trace, for the inspector: asked on every run, so
   * the copies are made only while someone will read them (the inspector open, or a caller's onTrace).
   */
  readonly keepEvents: () => boolean;
}

export type RunFunction = ReturnType<typeof createFunctionRunner>;

export function createFunctionRunner(options: FunctionRunnerOptions) {
  function timeoutMs(eventType: EventType, fn: FunctionName): number {
    // The quota column in force (rules/table.ts: quota.timeout): strict by default, or current.
    const column = CLOUDFRONT_QUOTAS.functionTimeoutSeconds[options.quotas ?? 'strict'];
    const quota = eventType.startsWith('origin') ? column.origin : column.viewer;
    return Math.min(options.spec.functions[fn].timeoutSeconds, quota) * 1000;
  }

  /** Runs one function on one event and validates its result as CloudFront would. */
  async function run(trace: FunctionTrace[], eventType: EventType, fn: FunctionName, event: CloudFrontRequestEvent | CloudFrontResponseEvent) {
    const handler = options.functions[fn];
    if (!handler) throw new FunctionFailure('LambdaExecutionError', `no handler is registered for ${fn}`);
    // The event as sent: functions usually mutate theirs, which would hide every change from the validator.
    const sent = copyEventData(event);
    const started = performance.now();
    let result: unknown;
    const record = (outcome: FunctionTrace['outcome'], detail?: string) => {
      const entry: Writable<FunctionTrace> = { eventType, fn, ms: Math.round(performance.now() - started), outcome };
      if (detail) entry.detail = detail;
      // Copies for the inspector only while someone will read them (asked per run).
      if (options.keepEvents()) {
        entry.event = shortened(sent);
        entry.result = shortened(result);
      }
      trace.push(entry);
    };
    try {
      result = await withinLimit(handler, event, fn, timeoutMs(eventType, fn));
    } catch (error) {
      const failure = error instanceof FunctionFailure ? error : new FunctionFailure('LambdaExecutionError', `${fn} threw: ${String(error)}`);
      record(failure.kind, failure.detail);
      throw failure;
    }
    const validated = validateResult(eventType, sent, result);
    if (!validated.ok) {
      record('LambdaValidationError', validated.reason);
      throw new FunctionFailure('LambdaValidationError', `${fn} on ${eventType}: ${validated.reason}`);
    }
    record(validated.kind === 'response' && validated.generated ? 'generated' : 'continued');
    return validated;
  }

  return run;
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * What the handler returns, or LambdaLimitExceeded once the event's timeout passes first. A handler
 * that returns a value at once (not a promise) has nothing to wait for; one that throws at once
 * throws here. The timer is cleared as soon as the promise settles.
 */
function withinLimit(handler: EdgeFunction, event: unknown, fn: FunctionName, limitMs: number): unknown {
  const returned = handler(event);
  if (!isThenable(returned)) return returned;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new FunctionFailure('LambdaLimitExceeded', `${fn} timed out after ${limitMs} ms`)), limitMs);
    returned.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** A copy for the inspector: bodies longer than a glance are cut, so traces stay small. */
function shortened(value: unknown): unknown {
  if (value === undefined) return undefined;
  return JSON.parse(
    JSON.stringify(value, (key, v: unknown) =>
      key === 'body' && typeof v === 'string' && v.length > 160 ? `${v.slice(0, 160)}... (${v.length} characters)` : v,
    ),
  );
}
