/**
 * Renders in a pool of warm child processes, for the long-running servers (the local edge and the
 * HTTP image origin), each job in a RenderProcess (functions/adapters/image/render-process.ts):
 * killed past its budget, which the cost model scales from the render's estimate (at least
 * `minRenderSeconds`, at most `renderSeconds`), answering 503 "try again". A dead worker is
 * replaced by a fresh one.
 *
 * Capacity for ordinary misses: `workers` processes (what the cores run at full speed) and
 * `reserve` more, all warm, each taking the next render as soon as it is free, so an ordinary miss
 * finds a process even while renders that overrun their estimate hold others. A render that has
 * used `overrunFactor` times its estimate in CPU time (and at least `minOverrunMs`; CPU time, not
 * wall time, so a busy host does not make ordinary renders late) is set aside: it is paused
 * (SIGSTOP) whenever a render on time is running and resumed (SIGCONT) when none is, so it takes no
 * core, cache or memory bandwidth from ordinary misses, and its budget, wall time, runs on until it
 * finishes or is killed. Lowering its priority instead left ordinary misses 1.5-2.4x slower beside
 * it (the other core, shared caches). At most `reserve` renders are set aside at once (past that a
 * late render runs on as it is).
 *
 * The limiter in front of the pool (tunables.renders) must let that many renders in, and wait at
 * least as long as an over-budget render can hold a slot: checkRenderSettings says so.
 *
 * In Lambda@Edge there is no pool: image-resize renders in one RenderProcess per instance
 * (functions/image-resize/index.ts).
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import type { MaybeMezzanine } from '../../functions/adapters/image/mezzanine.ts';
import { RenderProcess } from '../../functions/adapters/image/render-process.ts';
import type { Budget, JobHooks } from '../../functions/adapters/image/render-process.ts';
import type { Rendered, RenderOptions } from '../../functions/adapters/image/render.ts';
import { looksLikeXml } from '../../functions/adapters/image/scan.ts';
import { checkSvgBytes } from '../../functions/core/cost.ts';
import { EdgeError } from '../../functions/core/errors.ts';
import type { Variant } from '../../functions/core/grammar.ts';
import type { LimitSettings } from '../../functions/core/limit.ts';
import type { MezzanineSettings } from '../../functions/core/mezzanine.ts';
import type { ImagePolicy } from '../../functions/core/policy.ts';
import { images, tunables } from '../distribution.ts';

export interface RenderPoolSettings {
  /** Processes for the renders the cores run at full speed. */
  readonly workers: number;
  /** Processes beyond those, so that renders set aside past their estimate leave processes free. */
  readonly reserve: number;
  /** A render is set aside once it has used this many times its estimate in CPU time... */
  readonly overrunFactor: number;
  /** ...and at least this much. */
  readonly minOverrunMs: number;
}

export interface RenderPoolOptions extends Partial<RenderPoolSettings> {
  /** The longest budget of one render, header read included (default: the cost model's renderSeconds). */
  readonly budgetMs?: number;
}

export interface RenderPool {
  render(source: Buffer, variant: Variant, options: RenderOptions): Promise<Rendered>;
  /** render(), and the mezzanine when this miss makes it (functions/adapters/image/mezzanine.ts). */
  renderMakingMezzanine(source: Buffer, variant: Variant, settings: MezzanineSettings, options: RenderOptions): Promise<MaybeMezzanine>;
  /** Process ids of the live workers. */
  pids(): number[];
  /** Process ids of workers killed for exceeding the budget, most recent last. */
  readonly killed: number[];
  /** Process ids of workers whose render was set aside past its estimate, most recent last. */
  readonly setAside: number[];
  close(): Promise<void>;
}

/** The longest budget of one render in the pool: the cost model's `renderSeconds` (distribution.ts). */
export function renderBudgetMs(policy: ImagePolicy): number {
  return (policy.limits.cost?.renderSeconds ?? 20) * 1000;
}

/**
 * The limiter in front of the pool and the pool agree: the limiter lets every process work (else an
 * ordinary miss waits at the limiter behind set-aside renders), and waits at least two smallest
 * budgets (a slot held by an over-budget render is freed within one). Problems as sentences.
 */
export function checkRenderSettings(renders: LimitSettings, pool: RenderPoolSettings, policy: ImagePolicy): string[] {
  const problems: string[] = [];
  const processes = pool.workers + pool.reserve;
  if (renders.concurrency < processes) {
    problems.push(`Expected renders.concurrency of at least ${processes} (renderPool workers + reserve) but received ${renders.concurrency}`);
  }
  const cost = policy.limits.cost;
  const minBudgetMs = (cost?.minRenderSeconds ?? cost?.renderSeconds ?? 20) * 1000;
  if (renders.maxWaitMs < 2 * minBudgetMs) {
    problems.push(`Expected renders.maxWaitMs of at least ${2 * minBudgetMs} (two smallest render budgets) but received ${renders.maxWaitMs}`);
  }
  return problems;
}

/** How often a running render's CPU time is compared with its estimate. */
const CHECK_EVERY_MS = 20;

/** CPU time (user + system) a process has used, in ms, from /proc (Linux); undefined elsewhere. */
function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Fields after the command name (which may hold spaces, inside parentheses): utime is the 14th
    // field of the line, stime the 15th, in clock ticks (USER_HZ, 100 on Linux).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

let bundled: Promise<string> | undefined;

/** The worker entry, bundled once per process (Node 20 cannot run TypeScript), packages external. */
export function workerScript(): Promise<string> {
  bundled ??= (async () => {
    const outdir = path.resolve('.build', 'render');
    await mkdir(outdir, { recursive: true });
    const outfile = path.join(outdir, 'render-worker.mjs');
    await build({
      entryPoints: [path.resolve('functions/adapters/image/render-worker.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'warning',
    });
    return outfile;
  })();
  return bundled;
}

interface Slot {
  process: RenderProcess;
  busy: boolean;
  /** Its render was set aside past its estimate (paused while renders on time run). */
  late: boolean;
  /** Paused now (SIGSTOP). */
  paused: boolean;
}

export async function startRenderPool(options: RenderPoolOptions = {}): Promise<RenderPool> {
  const script = await workerScript();
  const settings: RenderPoolSettings = {
    workers: options.workers ?? tunables.renderPool.workers,
    reserve: options.reserve ?? tunables.renderPool.reserve,
    overrunFactor: options.overrunFactor ?? tunables.renderPool.overrunFactor,
    minOverrunMs: options.minOverrunMs ?? tunables.renderPool.minOverrunMs,
  };
  const budgetCapMs = options.budgetMs;
  const slots: Slot[] = [];
  const waiting: ((slot: Slot) => void)[] = [];
  const killed: number[] = [];
  const setAside: number[] = [];
  let closed = false;

  const late = () => slots.filter((s) => s.late && s.busy).length;

  /** Set-aside renders are paused while any render on time runs, and resumed when none does. */
  function schedule(): void {
    const onTime = slots.some((s) => s.busy && !s.late);
    for (const s of slots) {
      if (!s.late || !s.busy || s.paused === onTime) continue;
      if (s.process.child.exitCode !== null || s.process.child.signalCode !== null) continue;
      s.process.child.kill(onTime ? 'SIGSTOP' : 'SIGCONT');
      s.paused = onTime;
    }
  }

  function spawn(): Slot {
    const slot: Slot = { process: new RenderProcess(script), busy: false, late: false, paused: false };
    slot.process.child.once('exit', () => {
      const at = slots.indexOf(slot);
      if (at !== -1) slots.splice(at, 1);
      if (!closed) {
        spawn();
        dispatch();
      }
    });
    slots.push(slot);
    return slot;
  }

  /** Hands idle processes to waiting renders. */
  function dispatch(): void {
    while (waiting.length > 0) {
      const idle = slots.filter((s) => !s.busy && s.process.alive);
      const free = idle.find((s) => s.process.isReady) ?? idle[0];
      if (!free) return;
      free.busy = true;
      waiting.shift()!(free);
      schedule();
    }
  }

  function acquire(): Promise<Slot> {
    return new Promise((resolve) => {
      waiting.push(resolve);
      dispatch();
    });
  }

  function release(slot: Slot): void {
    slot.busy = false;
    slot.late = false;
    if (slot.paused) {
      slot.paused = false;
      if (slot.process.child.exitCode === null && slot.process.child.signalCode === null) slot.process.child.kill('SIGCONT');
    }
    if (slot.process.killedForBudget) {
      if (slot.process.pid !== undefined) killed.push(slot.process.pid);
    }
    dispatch();
    schedule();
  }

  for (let i = 0; i < settings.workers + settings.reserve; i++) spawn();
  await Promise.all(slots.map((s) => s.process.ready));

  async function run<T>(
    source: Buffer,
    options: RenderOptions,
    job: (process: RenderProcess, options: RenderOptions, hooks: JobHooks) => Promise<T>,
  ): Promise<T> {
    if (closed) throw new EdgeError('Unavailable', 'The image service is stopping; try again', { detail: 'render pool closed', scope: 'transient' });
    // The byte limits are checked here, so an oversized source is never copied to a worker.
    if (options.maxInputBytes !== undefined && source.byteLength > options.maxInputBytes) {
      throw new EdgeError('SourceTooLarge', 'The original image is too large to resize', {
        detail: `${source.byteLength} bytes, the limit is ${options.maxInputBytes}`,
        scope: 'source',
      });
    }
    if (options.cost && looksLikeXml(source)) checkSvgBytes(source.byteLength, options.cost);
    // The budget: the cost model's (the shipped one when the options have none), capped by the pool's.
    const cost = options.cost ?? images.limits.cost;
    const budget: Budget = {
      renderSeconds: Math.min(cost?.renderSeconds ?? 20, (budgetCapMs ?? Number.POSITIVE_INFINITY) / 1000),
      ...(cost?.minRenderSeconds === undefined ? {} : { minRenderSeconds: cost.minRenderSeconds }),
      ...(cost?.estimateMargin === undefined ? {} : { estimateMargin: cost.estimateMargin }),
    };
    const slot = await acquire();
    await slot.process.ready.catch(() => {});
    // Late is judged on the CPU time the render used, not on wall time: on a busy host every render
    // takes longer, but only one that does more work than its estimate is set aside.
    const pid = slot.process.pid;
    const cpuAtStart = pid === undefined ? undefined : cpuMs(pid);
    const startedAt = performance.now();
    let thresholdMs = settings.minOverrunMs;
    const used = () => {
      const now = pid === undefined || cpuAtStart === undefined ? undefined : cpuMs(pid);
      return now === undefined || cpuAtStart === undefined ? performance.now() - startedAt : now - cpuAtStart;
    };
    const timer = setInterval(() => {
      if (!slot.busy || slot.late || late() >= settings.reserve || pid === undefined || used() < thresholdMs) return;
      slot.late = true;
      setAside.push(pid);
      schedule();
    }, CHECK_EVERY_MS);
    try {
      return await job(slot.process, options, {
        budget,
        onEstimate: (estimateMs) => {
          thresholdMs = Math.max(settings.minOverrunMs, estimateMs * settings.overrunFactor);
        },
      });
    } finally {
      clearInterval(timer);
      release(slot);
    }
  }
  return {
    killed,
    setAside,
    pids: () => slots.map((s) => s.process.pid).filter((pid): pid is number => pid !== undefined),
    render: (source, variant, renderOptions) => run(source, renderOptions, (p, o, hooks) => p.render(source, variant, o, hooks)),
    renderMakingMezzanine: (source, variant, mezzanine, renderOptions) =>
      run(source, renderOptions, (p, o, hooks) => p.renderMakingMezzanine(source, variant, mezzanine, o, hooks)),
    async close() {
      closed = true;
      await Promise.all(slots.map((s) => s.process.stop()));
    },
  };
}
