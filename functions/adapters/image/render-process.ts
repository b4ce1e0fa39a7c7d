/**
 * A render in a process of its own, stopped by killing the process when it runs past its budget.
 * libvips checks its timeout only between tiles, never inside a decode (librsvg drawing a filter, a
 * `<use>` fan-out, a progressive JPEG's scans): one turbulence SVG ran 57 s past a 20 s sharp
 * timeout. A worker thread cannot be stopped while native code runs; a process can, and SIGKILL
 * frees its CPU and memory at once.
 *
 * The process (render-worker.ts) is forked once and kept warm: it loads sharp before it says it is
 * ready and then takes one job at a time over IPC (advanced serialization: Buffers cross as bytes,
 * one copy each way). A job's budget is in two steps: until the worker has read the header and
 * planned the render, `minRenderSeconds` (the cost model's floor); then the budget scaled by the
 * plan's estimate (renderBudgetMs in functions/core/cost.ts), at most `renderSeconds`.
 *
 * Used by image-resize in Lambda (one process per instance, see renderer() below) and by the render
 * pool of the long-running servers (infra/render/pool.ts).
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { renderBudgetMs } from '../../core/cost.ts';
import type { CostLimits } from '../../core/cost.ts';
import { EdgeError, toEdgeError } from '../../core/errors.ts';
import type { ErrorCode } from '../../core/errors.ts';
import type { Variant } from '../../core/grammar.ts';
import type { MezzanineSettings } from '../../core/mezzanine.ts';
import type { MaybeMezzanine } from './mezzanine.ts';
import type { Rendered, RenderOptions } from './render.ts';

/** A job as the worker receives it. */
export type JobRequest =
  | { readonly id: number; readonly op: 'render'; readonly source: Uint8Array; readonly variant: Variant; readonly options: RenderOptions }
  | {
      readonly id: number;
      readonly op: 'mezzanine';
      readonly source: Uint8Array;
      readonly variant: Variant;
      readonly settings: MezzanineSettings;
      readonly options: RenderOptions;
    };

/** An error as it crosses the process boundary: EdgeError's public fields and any field of its own added to them. */
interface SentError {
  readonly code: ErrorCode;
  readonly status: number;
  readonly publicMessage: string;
  readonly detail?: string;
  readonly extra?: Record<string, string | number | boolean>;
}

/** What the worker sends: ready once, then per job its estimate, then its result or its error. */
export type WorkerMessage =
  | { readonly ready: true }
  | { readonly id: number; readonly estimateMs: number }
  | { readonly id: number; readonly rendered: Rendered }
  | { readonly id: number; readonly made: MaybeMezzanine }
  | { readonly id: number; readonly error: SentError };

const OWN_FIELDS = new Set(['name', 'message', 'stack', 'cause', 'code', 'status', 'publicMessage', 'detail', 'cacheSeconds']);

export function sendableError(thrown: unknown): SentError {
  const e = toEdgeError(thrown);
  const extra: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(e)) {
    if (!OWN_FIELDS.has(key) && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')) extra[key] = value;
  }
  return {
    code: e.code,
    status: e.status,
    publicMessage: e.publicMessage,
    ...(e.detail === undefined ? {} : { detail: e.detail }),
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
  };
}

function receivedError(sent: SentError): EdgeError {
  const error = new EdgeError(sent.code, sent.publicMessage, { status: sent.status, ...(sent.detail === undefined ? {} : { detail: sent.detail }) });
  return sent.extra ? Object.assign(error, sent.extra) : error;
}

/** Buffers arrive as Uint8Arrays: the same bytes, as a Buffer. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function renderedBack(image: Rendered): Rendered {
  return { ...image, data: asBuffer(image.data) };
}

/** What a job's budget is scaled by (CostLimits' fields; see renderBudgetMs in functions/core/cost.ts). */
export type Budget = Pick<CostLimits, 'renderSeconds' | 'minRenderSeconds' | 'estimateMargin'>;

export interface JobHooks {
  /** The worker planned the render: its estimate, and the budget it now runs under. */
  onEstimate?(estimateMs: number, budgetMs: number): void;
  /** The budget, when it is not the render options' cost model (default: options.cost). */
  budget?: Budget;
}

/** Why a job was stopped, in the error the viewer gets (503, try again). */
function overBudget(pid: number | undefined, budgetMs: number, estimateMs: number | undefined): EdgeError {
  return new EdgeError('Unavailable', 'The image took too long to resize; try again', {
    detail: `render exceeded its ${budgetMs} ms budget${estimateMs === undefined ? ' before its header was read' : ` (estimate ${estimateMs} ms)`}; process ${pid} killed`,
    scope: 'transient',
  });
}

let nextId = 1;

/** One warm render process. `run` takes one job at a time; a job past its budget kills the process. */
export class RenderProcess {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  /** Set when the process was killed for a budget (it exits soon after). */
  killedForBudget = false;

  constructor(script: string) {
    // execArgv: none of the parent's flags (a test runner's loaders, --expose-gc): the worker is plain JS.
    this.child = fork(script, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
    this.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (message: WorkerMessage) => {
        if ('ready' in message) {
          this.child.off('message', onMessage);
          this.child.off('exit', onExit);
          resolve();
        }
      };
      const onExit = (code: number | null, signal: string | null) => {
        this.child.off('message', onMessage);
        reject(
          new EdgeError('Unavailable', 'The image could not be resized right now; try again', {
            detail: `render process exited before it was ready (${signal ?? code})`,
            scope: 'transient',
          }),
        );
      };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
    });
    // A failed start is reported to the job that waits for it, never as an unhandled rejection.
    // Until it is ready the process keeps the parent alive (someone may be waiting for it).
    this.ready.then(
      () => {
        this.isReady = true;
        this.#idle(!this.#running);
      },
      () => {},
    );
  }

  /** It has loaded sharp and takes jobs. */
  isReady = false;

  #running = false;

  /**
   * An idle process does not keep the parent's event loop alive (a parent with nothing else to do
   * may exit, its worker with it); a running job does.
   */
  #idle(idle: boolean): void {
    if (idle) {
      this.child.unref();
      this.child.channel?.unref();
    } else {
      this.child.ref();
      this.child.channel?.ref();
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null && !this.killedForBudget;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  /** Kills the process and resolves once it has exited (the parent waits for that). */
  stop(): Promise<void> {
    const { child } = this;
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    child.ref();
    return new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  render(source: Buffer, variant: Variant, options: RenderOptions, hooks: JobHooks = {}): Promise<Rendered> {
    return this.#run({ id: nextId++, op: 'render', source, variant, options }, hooks.budget ?? options.cost, hooks).then((m) => {
      if (!('rendered' in m)) throw new EdgeError('InternalError', 'Internal error', { detail: 'render process answered a render with no image' });
      return renderedBack(m.rendered);
    });
  }

  renderMakingMezzanine(source: Buffer, variant: Variant, settings: MezzanineSettings, options: RenderOptions, hooks: JobHooks = {}): Promise<MaybeMezzanine> {
    return this.#run({ id: nextId++, op: 'mezzanine', source, variant, settings, options }, hooks.budget ?? options.cost, hooks).then((m) => {
      if (!('made' in m)) throw new EdgeError('InternalError', 'Internal error', { detail: 'render process answered a mezzanine job with no image' });
      const { image, mezzanine } = m.made;
      return { image: renderedBack(image), ...(mezzanine ? { mezzanine: { ...mezzanine, data: asBuffer(mezzanine.data) } } : {}) };
    });
  }

  async #run(job: JobRequest, cost: Budget | undefined, hooks: JobHooks): Promise<WorkerMessage> {
    const { child } = this;
    this.#running = true;
    this.#idle(false);
    try {
      await this.ready;
    } catch (error) {
      this.#running = false;
      this.#idle(true);
      throw error;
    }
    const started = performance.now();
    return new Promise<WorkerMessage>((resolve, reject) => {
      let budgetMs = renderBudgetMs(cost, cost?.minRenderSeconds === undefined ? undefined : 0);
      let estimateMs: number | undefined;
      let timer: ReturnType<typeof setTimeout>;
      const arm = (ms: number) => {
        clearTimeout(timer);
        timer = setTimeout(
          () => {
            finish();
            this.killedForBudget = true;
            this.kill();
            reject(overBudget(child.pid, budgetMs, estimateMs));
          },
          Math.max(0, ms),
        );
      };
      const finish = () => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        this.#running = false;
        this.#idle(true);
      };
      const onMessage = (message: WorkerMessage) => {
        if ('ready' in message || message.id !== job.id) return;
        if ('estimateMs' in message) {
          estimateMs = message.estimateMs;
          budgetMs = renderBudgetMs(cost, estimateMs);
          arm(budgetMs - (performance.now() - started));
          hooks.onEstimate?.(estimateMs, budgetMs);
          return;
        }
        finish();
        if ('error' in message) reject(receivedError(message.error));
        else resolve(message);
      };
      const onExit = (code: number | null, signal: string | null) => {
        finish();
        reject(
          new EdgeError('Unavailable', 'The image could not be resized right now; try again', {
            detail: `render process ${child.pid} exited during a render (${signal ?? code})`,
            scope: 'transient',
          }),
        );
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      arm(budgetMs);
      child.send(job);
    });
  }
}

export interface Renderer {
  render(source: Buffer, variant: Variant, options: RenderOptions): Promise<Rendered>;
  renderMakingMezzanine(source: Buffer, variant: Variant, settings: MezzanineSettings, options: RenderOptions): Promise<MaybeMezzanine>;
  /** Starts the process now if none is running (a miss may call it before it reads the source). */
  warm(): void;
  /** The live process's id, if one is running. */
  pid(): number | undefined;
  close(): Promise<void>;
}

/**
 * image-resize's renderer in Lambda: one warm process per instance (an instance handles one event at
 * a time), forked on the first miss, kept for the next, replaced after it is killed or dies. Lambda
 * freezes the whole execution environment between invocations and reuses it ("Understanding the
 * Lambda execution environment lifecycle",
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html), so an idle worker
 * costs nothing between misses; Lambda@Edge's pages say nothing about child processes (our choice,
 * exercised by the packaged zip in test/integration/package.test.ts). An idle worker does not keep
 * the handler's event loop alive.
 */
export function renderer(script: string): Renderer {
  let current: RenderProcess | undefined;
  const get = (): RenderProcess => {
    if (!current?.alive) current = new RenderProcess(script);
    return current;
  };
  return {
    render: (source, variant, options) => get().render(source, variant, options),
    renderMakingMezzanine: (source, variant, settings, options) => get().renderMakingMezzanine(source, variant, settings, options),
    warm: () => void get(),
    pid: () => (current?.alive ? current.pid : undefined),
    close: async () => current?.stop(),
  };
}
