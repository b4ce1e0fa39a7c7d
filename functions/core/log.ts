/** One JSON line per invocation: what CloudWatch Logs Insights queries read. */
export type LogLine = {
  readonly fn: string;
  readonly requestId: string;
  readonly uri: string;
  readonly outcome: string;
  readonly status?: number;
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
