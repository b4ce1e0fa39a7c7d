/// <reference types="aws-cloudfront-function" />
/**
 * CloudFront Functions' `cloudfront-js-2.0` runtime, locally: a function's code runs in a worker
 * thread, in a node:vm context shaped as AWS documents the runtime (infra/build/cloudfront-runtime.ts
 * holds the documented lists), so code that uses something the runtime lacks fails here as it would
 * in AWS.
 *
 * - Creating the function (as CreateFunction/the console would): code over 10 KB is refused, and so
 *   is syntax the runtime does not list (classes, destructuring, spread, for-of...).
 * - Running it (cloudfront-sandbox-worker.ts): only the listed globals and members exist (no Map,
 *   Set, URLSearchParams, process, setTimeout, fetch...), `eval` and `new Function` throw, Date
 *   stands still at the run's start, `require` offers querystring, crypto and cloudfront, console has
 *   `log` with one argument. Every run evaluates the script afresh: nothing a run keeps survives it.
 * - Its result is checked as CloudFront checks it (cloudfront-function-result.ts). A throw is a
 *   FunctionExecutionError (503), a bad result a FunctionValidationError (502).
 * - Its cost is bounded: a run past `timeoutMs` stops the thread (a FunctionExecutionError) and a
 *   fresh one serves the next runs; so does a run that exhausts the thread's heap.
 *
 * Pages: functions-javascript-runtime-20.html, functions-event-structure.html,
 * cloudfront-function-restrictions.html, edge-function-restrictions-all.html (header rules), all
 * under https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/. Where AWS is silent the
 * choice is named where it is made. This is a conformance tool, not a security boundary: the
 * helpers it hands the function (require, console, Date, TextEncoder) are host objects.
 */
import path from 'node:path';
import vm from 'node:vm';
import { Worker } from 'node:worker_threads';
import { buildSync, transformSync } from 'esbuild';
import type { FunctionEvent } from './cloudfront-events.ts';
import type { CfOutcome } from './cloudfront-function-result.ts';
import type { RunMessage, RunReply } from './cloudfront-sandbox-worker.ts';
import { checkFunctionCode } from './cloudfront-syntax.ts';

export type { CfOutcome, CfRequest } from './cloudfront-function-result.ts';

export interface SandboxOptions {
  /** Where console.log lines go (CloudFront: the function's CloudWatch log group). */
  readonly log?: (line: string) => void;
  /**
   * Milliseconds a run may take before its thread is stopped (a FunctionExecutionError). AWS limits a
   * function by "compute utilization", a percentage of a maximum time it does not publish
   * (cloudfront-function-restrictions.html); the local choice is 1,000 ms, a guard against a runaway
   * loop on a busy laptop, not a measure (the inspector and the bench show each run's time). One timer
   * per thread: it costs a run nothing, so there is no way to turn it off.
   */
  readonly timeoutMs?: number;
}

export interface CloudFrontFunctionInstance {
  /** UTF-8 bytes of the code. */
  readonly bytes: number;
  run(event: FunctionEvent): Promise<CfOutcome>;
  /** Stops the function's thread (a later run starts a new one). */
  close(): Promise<void>;
}

/**
 * The heap of a function's thread, a local choice (a node:vm context alone takes several MB): a run
 * that allocates past it ends the thread, a FunctionExecutionError.
 */
const HEAP_MB = 64;

const DEFAULT_TIMEOUT_MS = 1000;

let workerCode: URL | undefined;

/**
 * The worker's code, bundled once per process (the sources are TypeScript; a worker runs JavaScript),
 * as an ES module in a data: URL: what it is does not depend on the flags node runs with (`--input-type`).
 */
function sandboxWorkerCode(): URL {
  // From the project root, where every npm script runs (as infra/render/pool.ts bundles its worker).
  workerCode ??= new URL(
    `data:text/javascript,${encodeURIComponent(
      buildSync({
        entryPoints: [path.resolve('infra/local/cloudfront-sandbox-worker.ts')],
        bundle: true,
        write: false,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        logLevel: 'silent',
      }).outputFiles[0]!.text,
    )}`,
  );
  return workerCode;
}

interface Pending {
  readonly message: RunMessage;
  readonly resolve: (outcome: CfOutcome) => void;
}

/** Loads a function as CloudFront would create it (size and syntax checked now); its thread starts on the first run. */
export function loadCloudFrontFunction(code: string, options: SandboxOptions = {}): CloudFrontFunctionInstance {
  checkFunctionCode(code);
  // `import x from 'crypto'` / `'cloudfront'` (documented on the helper pages and in AWS's
  // examples) become require calls; nothing else about the script changes.
  const source = /^\s*import\s/m.test(code) ? transformSync(code, { loader: 'js', format: 'cjs', logLevel: 'silent' }).code : code;
  // A syntax error is CreateFunction's refusal, here and now, not a failure of every run.
  new vm.Script(`'use strict';${source}`, { filename: 'cloudfront-function.js' });
  const log = options.log ?? (() => {});
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const pending: Pending[] = [];
  let worker: Worker | undefined;
  let lastProgress = 0;
  let watchdog: NodeJS.Timeout | undefined;

  const start = (): Worker => {
    const started = new Worker(sandboxWorkerCode(), {
      workerData: { source },
      resourceLimits: { maxOldGenerationSizeMb: HEAP_MB },
      stdout: false,
      stderr: false,
    });
    started.on('message', (reply: RunReply) => {
      if (worker !== started) return;
      const done = pending.shift();
      lastProgress = performance.now();
      for (const line of reply.logs) log(line);
      if (pending.length === 0) started.unref();
      done?.resolve(reply.outcome);
    });
    started.on('error', (error) => replace(started, `the function's thread failed: ${error.message}`));
    started.on('exit', () => replace(started, "the function's thread ended"));
    return started;
  };

  /** Ends `stopped` (if it is still the function's thread): the run it was on fails, the runs queued behind it go to a fresh thread. */
  function replace(stopped: Worker, reason: string): void {
    if (worker !== stopped) return;
    worker = undefined;
    void stopped.terminate();
    pending.shift()?.resolve({ ok: false, error: 'FunctionExecutionError', reason });
    if (pending.length > 0) {
      worker = start();
      for (const p of pending) worker.postMessage(p.message);
      lastProgress = performance.now();
      watchdog?.refresh();
    }
  }

  const check = () => {
    if (worker === undefined || pending.length === 0) return;
    if (performance.now() - lastProgress >= timeoutMs) replace(worker, `the function ran past ${timeoutMs} ms and was stopped`);
    else watchdog?.refresh();
  };

  return {
    bytes: Buffer.byteLength(code, 'utf8'),
    run(event: FunctionEvent): Promise<CfOutcome> {
      const message: RunMessage = {
        event: JSON.stringify({ ...event, request: { ...event.request, rawQueryString: undefined } }),
        raw: event.request.rawQueryString(),
      };
      return new Promise((resolve) => {
        worker ??= start();
        if (pending.length === 0) {
          worker.ref();
          lastProgress = performance.now();
          watchdog ??= setTimeout(check, timeoutMs).unref();
          watchdog.refresh();
        }
        pending.push({ message, resolve });
        worker.postMessage(message);
      });
    },
    async close() {
      if (watchdog) clearTimeout(watchdog);
      const stopping = worker;
      worker = undefined;
      for (const p of pending.splice(0)) p.resolve({ ok: false, error: 'FunctionExecutionError', reason: 'the function was closed' });
      await stopping?.terminate();
    },
  };
}
