/**
 * The thread a CloudFront Function runs in (cloudfront-sandbox.ts starts it and stops it past its
 * time): one node:vm context shaped as runtime 2.0 (cloudfront-runtime-context.ts), and for every run
 * the function's script evaluated afresh inside it, so nothing the function's own code keeps (its
 * top-level `var`, `let` and `const`, the objects they hold) survives from one run to the next. What
 * the script writes to `globalThis` (or to `this` at its top level) goes to an object made for the
 * run, whose prototype is the global object. A run that throws leaves a fresh context to the next one.
 * Not modelled: a change to a built-in's prototype (`Array.prototype.x = ...`) lasts as long as the
 * context.
 *
 * Message in: `{ event, raw }` (the event as JSON without `rawQueryString`, and the raw query). Out:
 * `{ outcome, logs }`, one per message, in order.
 */
import vm from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import { describeThrown, runtimeContext } from './cloudfront-runtime-context.ts';
import type { CfOutcome } from './cloudfront-function-result.ts';
import { validateResult } from './cloudfront-function-result.ts';

export interface RunMessage {
  readonly event: string;
  readonly raw: string | undefined;
}

export interface RunReply {
  readonly outcome: CfOutcome;
  readonly logs: readonly string[];
}

interface Loaded {
  readonly global: Record<string, unknown>;
  /** Evaluates the function's script afresh, with `globalThis` and `this` the run's own object, and answers its `handler`. */
  readonly fresh: (this: object, runGlobal: object) => unknown;
  /** A new object whose prototype is the context's global object. */
  readonly runGlobal: () => object;
}

const source = (workerData as { source: string }).source;
const clock = { startedAt: 0 };
let logs: string[] = [];
const log = (line: string) => logs.push(line);

const script = new vm.Script(`'use strict';${source}`, { filename: 'cloudfront-function.js' });
const scratch = runtimeContext(clock, () => {});
const scratchGlobal = vm.runInContext('globalThis', scratch) as Record<string, unknown>;
/**
 * The runtime's built-ins, handed to the function as the parameters of its wrapper: a name the
 * function reads is then a local, not a lookup through node:vm's global object (a C++ interceptor
 * on every read). The same values, so nothing the function sees changes.
 */
const builtIns = Object.getOwnPropertyNames(scratchGlobal).filter(
  (name) =>
    /^[A-Za-z_$][\w$]*$/.test(name) &&
    name !== 'globalThis' &&
    name !== 'eval' &&
    (typeof scratchGlobal[name] === 'function' || (typeof scratchGlobal[name] === 'object' && scratchGlobal[name] !== null)),
);
// The script as CloudFront runs it (strict mode: "This cannot be changed", functions-javascript-runtime-20.html),
// inside a function opened on its first line (line numbers stay the script's) so that each call is
// a fresh top level.
const wrapped = new vm.Script(
  `'use strict';(function (${builtIns.join(',')}) { return function (globalThis) {${source}\nreturn typeof handler === 'function' ? handler : undefined;}; })`,
  { filename: 'cloudfront-function.js' },
);

/** CloudFront calls the script's top-level `handler`: a function declaration or a `var`, not a `let` or `const`. */
const definesHandler = (() => {
  script.runInContext(scratch);
  return typeof scratchGlobal['handler'] === 'function';
})();

let current: Loaded | undefined;

function load(): Loaded {
  const context = runtimeContext(clock, log);
  const global = vm.runInContext('globalThis', context) as Record<string, unknown>;
  const bind = wrapped.runInContext(context) as (...values: unknown[]) => Loaded['fresh'];
  return {
    global: global,
    fresh: bind(...builtIns.map((name) => global[name])),
    runGlobal: vm.runInContext('(function () { return Object.create(globalThis); })', context) as () => object,
  };
}

async function run(message: RunMessage): Promise<CfOutcome> {
  clock.startedAt = Date.now();
  if (!definesHandler) return { ok: false, error: 'FunctionExecutionError', reason: 'the code defines no top-level function handler(event)' };
  current ??= load();
  const loaded = current;
  let result: unknown;
  try {
    const runGlobal = loaded.runGlobal();
    const handler = loaded.fresh.call(runGlobal, runGlobal) as (event: unknown) => unknown;
    // The event is built inside the context: its objects and arrays are the runtime's own.
    const event = (loaded.global['JSON'] as JSON).parse(message.event) as { request: Record<string, unknown> };
    // A method on the request object (general-helper-methods.html): the query string as received.
    event.request['rawQueryString'] = () => message.raw;
    result = await handler(event);
  } catch (error) {
    current = undefined;
    return { ok: false, error: 'FunctionExecutionError', reason: `the function threw: ${describeThrown(error)}` };
  }
  // What CloudFront reads of the result is its JSON shape (no functions, getters run once).
  let shape: unknown;
  try {
    shape = result === undefined ? undefined : JSON.parse(JSON.stringify(result));
  } catch (error) {
    return {
      ok: false,
      error: 'FunctionValidationError',
      reason: `Expected a result CloudFront can read but received one that does not serialize: ${describeThrown(error)}`,
    };
  }
  return validateResult(JSON.parse(message.event), message.raw, shape);
}

const port = parentPort;
if (port === null) throw new Error('Expected cloudfront-sandbox-worker to run as a worker thread but it runs on the main thread');
// One run at a time, in arrival order: Date stands still per run, and replies match requests by order.
let queue = Promise.resolve();
port.on('message', (message: RunMessage) => {
  queue = queue.then(async () => {
    logs = [];
    const outcome = await run(message);
    port.postMessage({ outcome, logs } satisfies RunReply);
  });
});
