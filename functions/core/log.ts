/**
 * One JSON line per invocation: what CloudWatch Logs Insights queries read (README, "Logs").
 *
 *   fn          the function: image-request, signed-url, geo-route, image-resize, derived-cleanup,
 *               upload-grant
 *               (image-origin: the HTTP image origin, one line per request)
 *   level       info, warn (a refusal: 4xx) or error (a failure: 5xx, or a thrown error)
 *   requestId   CloudFront's request id (the same in every function of one viewer request; the
 *               X-Amz-Cf-Id the viewer sees), or the Lambda request id for derived-cleanup
 *   uri         the URI as the function received it (derived-cleanup: s3://bucket/key)
 *   outcome     what happened, one word per branch (each handler's `...Outcome` type lists them)
 *   status      the HTTP status the function answered or passed on, when it decided one
 *   detail      the internal reason of a refusal or failure: logs only, never shown to a viewer
 *   sourceBytes, outputBytes   bytes of the original read and of the image made (image-resize)
 *   ms          time spent in the function
 */
export type Level = 'info' | 'warn' | 'error';

export type LogLine = {
  readonly fn: string;
  readonly level?: Level;
  readonly requestId: string;
  readonly uri: string;
  readonly outcome: string;
  readonly status?: number;
  readonly detail?: string;
  readonly sourceBytes?: number;
  readonly outputBytes?: number;
  readonly ms: number;
  readonly [field: string]: unknown;
};

export type Log = (line: LogLine) => void;

export const jsonLog: Log = (line) => {
  console.log(JSON.stringify(line));
};

export const silentLog: Log = () => {};

/** Milliseconds since `started` (a performance.now() reading), to two decimals. */
export function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}
