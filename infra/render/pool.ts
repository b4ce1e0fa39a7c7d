/**
 * Renders in a pool of child processes, for the long-running servers (the local edge and the HTTP
 * image origin): a render that exceeds its time budget is stopped by killing its process (SIGKILL),
 * which frees its CPU, its memory and its slot at once, and answers 503 "try again". libvips checks
 * its own timeout only between tiles, never inside a decode (a `<use>` fan-out in librsvg, a
 * progressive JPEG's scans), and a worker thread cannot be stopped while native code runs: a process
 * can. A dead worker is replaced by a fresh one.
 *
 * In Lambda@Edge there is no pool: one event per instance, sharp's timeout, and the function's own
 * timeout (image-resize: 30 s, CloudFront's origin-response limit) end the work.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import type { Rendered, RenderOptions } from '../../functions/adapters/image/render.ts';
import { looksLikeXml } from '../../functions/adapters/image/scan.ts';
import { checkSvgBytes } from '../../functions/core/cost.ts';
import { EdgeError } from '../../functions/core/errors.ts';
import type { ErrorCode, ErrorScope } from '../../functions/core/errors.ts';
import type { Variant } from '../../functions/core/grammar.ts';
import type { ImagePolicy } from '../../functions/core/policy.ts';

export interface RenderPoolOptions {
  /** Worker processes. Default 2 (image-resize's DEFAULT_RENDER_LIMIT concurrency). */
  readonly size?: number;
  /** Wall-clock budget of one render, header read included; the worker is killed past it. */
  readonly budgetMs: number;
}

export interface RenderPool {
  render(source: Buffer, variant: Variant, options: RenderOptions): Promise<Rendered>;
  /** Process ids of the live workers. */
  pids(): number[];
  /** Process ids of workers killed for exceeding the budget, most recent last. */
  readonly killed: number[];
  close(): Promise<void>;
}

interface Worker {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  busy: boolean;
}

interface Reply {
  readonly id: number;
  readonly image?: Omit<Rendered, 'data'> & { data: Uint8Array };
  readonly error?: { code: ErrorCode; status: number; publicMessage: string; detail?: string; scope?: ErrorScope };
}

/** The budget of one render in the pool: the cost model's `renderSeconds` (distribution.ts). */
export function renderBudgetMs(policy: ImagePolicy): number {
  return (policy.limits.cost?.renderSeconds ?? 20) * 1000;
}

let bundled: Promise<string> | undefined;

/** The child entry, bundled once per process (Node 20 cannot run TypeScript), packages external. */
function childScript(): Promise<string> {
  bundled ??= (async () => {
    const outdir = path.resolve('.build', 'render');
    await mkdir(outdir, { recursive: true });
    const outfile = path.join(outdir, 'render-child.mjs');
    await build({
      entryPoints: [path.resolve('infra/render/child.ts')],
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

export async function startRenderPool(options: RenderPoolOptions): Promise<RenderPool> {
  const script = await childScript();
  const size = options.size ?? 2;
  const workers: Worker[] = [];
  const waiting: ((worker: Worker) => void)[] = [];
  const killed: number[] = [];
  let closed = false;
  let nextId = 1;

  function spawn(): Worker {
    const child = fork(script, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ready = new Promise<void>((resolve) => {
      const onReady = (message: { ready?: boolean }) => {
        if (message.ready) {
          child.off('message', onReady);
          resolve();
        }
      };
      child.on('message', onReady);
    });
    const worker: Worker = { child, ready, busy: false };
    child.once('exit', () => {
      const at = workers.indexOf(worker);
      if (at !== -1) workers.splice(at, 1);
      if (!closed) release(spawn());
    });
    workers.push(worker);
    return worker;
  }

  function release(worker: Worker): void {
    worker.busy = false;
    const next = waiting.shift();
    if (next) {
      worker.busy = true;
      next(worker);
    }
  }

  function acquire(): Promise<Worker> {
    const free = workers.find((w) => !w.busy && w.child.exitCode === null && !w.child.killed);
    if (free) {
      free.busy = true;
      return Promise.resolve(free);
    }
    return new Promise((resolve) => waiting.push(resolve));
  }

  for (let i = 0; i < size; i++) spawn();
  await Promise.all(workers.map((w) => w.ready));

  return {
    killed,
    pids: () => workers.map((w) => w.child.pid).filter((pid): pid is number => pid !== undefined),
    async render(source, variant, renderOptions) {
      if (closed) throw new EdgeError('OriginError', 'The image service is stopping; try again', { status: 503, detail: 'render pool closed' });
      // The byte limits are checked here, so an oversized source is never copied to a worker.
      if (renderOptions.maxInputBytes !== undefined && source.byteLength > renderOptions.maxInputBytes) {
        throw new EdgeError('SourceTooLarge', 'The original image is too large to resize', {
          detail: `${source.byteLength} bytes, the limit is ${renderOptions.maxInputBytes}`,
        });
      }
      if (renderOptions.cost && looksLikeXml(source)) checkSvgBytes(source.byteLength, renderOptions.cost);
      const worker = await acquire();
      await worker.ready;
      const id = nextId++;
      return new Promise<Rendered>((resolve, reject) => {
        const { child } = worker;
        const finish = () => {
          clearTimeout(timer);
          child.off('message', onMessage);
          child.off('exit', onExit);
        };
        const onMessage = (reply: Reply) => {
          if (reply.id !== id) return;
          finish();
          release(worker);
          if (reply.image) {
            const data = Buffer.from(reply.image.data.buffer, reply.image.data.byteOffset, reply.image.data.byteLength);
            resolve({ ...reply.image, data });
          } else {
            const e = reply.error!;
            reject(new EdgeError(e.code, e.publicMessage, { status: e.status, detail: e.detail, ...(e.scope === undefined ? {} : { scope: e.scope }) }));
          }
        };
        const onExit = (code: number | null, signal: string | null) => {
          finish();
          reject(
            new EdgeError('OriginError', 'The image could not be resized right now; try again', {
              status: 503,
              detail: `render worker ${child.pid} exited (${signal ?? code})`,
            }),
          );
        };
        // The budget: past it the worker is killed (its replacement is spawned on exit).
        const timer = setTimeout(() => {
          finish();
          if (child.pid !== undefined) killed.push(child.pid);
          child.kill('SIGKILL');
          reject(
            new EdgeError('OriginError', 'The image took too long to resize; try again', {
              status: 503,
              detail: `render exceeded its ${options.budgetMs} ms budget; worker ${child.pid} killed`,
            }),
          );
        }, options.budgetMs);
        child.on('message', onMessage);
        child.once('exit', onExit);
        child.send({ id, source, variant, options: renderOptions });
      });
    },
    async close() {
      closed = true;
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve) => {
              if (w.child.exitCode !== null || w.child.signalCode !== null) return resolve();
              w.child.once('exit', () => resolve());
              w.child.kill('SIGKILL');
            }),
        ),
      );
    },
  };
}
