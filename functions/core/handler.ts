/**
 * The one handler wrapper of the six functions: it times the invocation, takes the request id,
 * writes the one JSON log line (with `level` and the function's typed `outcome`) and turns a thrown
 * error into the function's error answer. A handler's own code only says what happened.
 *
 *   const handler = wrapHandler<ImageRequestOutcome, CloudFrontRequestEvent, CloudFrontRequestResult>({
 *     fn: 'image-request', log, identify, run, fail: { outcome: 'rejected', answer: (error) => errorResponse(error) } });
 *
 * Neutral: no AWS types here; each handler names its event and result types.
 */
import { toEdgeError } from './errors.ts';
import type { EdgeError } from './errors.ts';
import { elapsed } from './log.ts';
import type { Level, Log } from './log.ts';

type FunctionName = 'image-request' | 'signed-url' | 'geo-route' | 'image-resize' | 'derived-cleanup' | 'upload-grant';

/** What a handler reports for its log line: the outcome, and any fields that say more. */
type Report<O extends string> = {
  readonly outcome: O;
  readonly status?: number;
  readonly level?: Level;
  readonly detail?: string;
  readonly [field: string]: unknown;
};

/** One invocation's answer and its log line. */
interface Done<O extends string, R> {
  readonly result: R;
  readonly report: Report<O>;
}

/** What the log line names an invocation by. */
interface Invocation {
  readonly requestId: string;
  readonly uri: string;
}

export interface HandlerSpec<O extends string, E, R, C> {
  readonly fn: FunctionName;
  readonly log: Log;
  /** The request id and the URI the log line names, read from the event (and context). */
  readonly identify: (event: E, context: C | undefined) => Invocation;
  /** The work. A thrown error goes to `fail`. */
  readonly run: (event: E, context: C | undefined, invocation: Invocation) => Promise<Done<O, R>> | Done<O, R>;
  /** A thrown error: the outcome it is logged as, and the answer (or a rethrow, for an event source that retries). */
  readonly fail: {
    readonly outcome: O;
    readonly answer: (error: EdgeError, event: E, thrown: unknown) => R;
    /** Fields of the failure's log line beyond status and detail. */
    readonly fields?: (event: E) => Record<string, unknown>;
  };
}

/** Warnings for refusals (4xx), errors for failures (5xx), info otherwise. */
function levelOf(status: number | undefined): Level {
  if (status === undefined || status < 400) return 'info';
  return status >= 500 ? 'error' : 'warn';
}

export function wrapHandler<O extends string, E, R, C = undefined>(spec: HandlerSpec<O, E, R, C>): (event: E, context?: C) => Promise<R> {
  return async (event, context) => {
    const started = performance.now();
    const invocation = spec.identify(event, context);
    const { requestId, uri } = invocation;
    let done: Done<O, R>;
    try {
      done = await spec.run(event, context, invocation);
    } catch (thrown) {
      const error = toEdgeError(thrown);
      spec.log({
        fn: spec.fn,
        level: levelOf(error.status),
        requestId,
        uri,
        outcome: spec.fail.outcome,
        status: error.status,
        ...spec.fail.fields?.(event),
        detail: error.detail ?? error.publicMessage,
        ms: elapsed(started),
      });
      return spec.fail.answer(error, event, thrown);
    }
    const { level, ...fields } = done.report;
    spec.log({ fn: spec.fn, level: level ?? levelOf(fields.status), requestId, uri, ...fields, ms: elapsed(started) });
    return done.result;
  };
}
