/**
 * The render budget and the capacity for ordinary misses, with the shipped settings
 * (images.limits.cost, tunables.renders, tunables.renderPool in infra/distribution.ts):
 *
 * - lambda: image-resize's renderer as Lambda runs it (one warm child process per instance):
 *   what it costs an ordinary miss against rendering in the handler's own process (IPC of the
 *   source and the output, interleaved rounds, median ratio), what a fresh process costs to start
 *   (once per instance, on its first miss), and how soon a render the cost model admits but
 *   misjudges (shapeFanOutSvg: thousands of full-canvas shapes) is stopped.
 * - servers: the HTTP image origin and the local edge, each with its render pool. An ordinary miss
 *   (a 1920x1080 JPEG to a thumbnail; another variant each time, so every one is a real miss) alone,
 *   then while two such renders are in flight: right after they start and once they are set aside.
 *   Ratios to the median alone of the same round; every status counted. The filter storms of the issue (50 blur,
 *   morphology or turbulence primitives drawn 100 times) are refused at admission and never hold
 *   a render: the attack table shows them.
 *
 * Times are wall times on whatever machine runs the bench: compare the ratios of one run.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { render } from '../functions/adapters/image/render.ts';
import { RenderProcess, renderer } from '../functions/adapters/image/render-process.ts';
import { toEdgeError } from '../functions/core/errors.ts';
import type { Variant } from '../functions/core/grammar.ts';
import { distribution, images, tunables } from '../infra/distribution.ts';
import { startLocalStack } from '../infra/local-stack.ts';
import { startImageOrigin } from '../infra/origin/server.ts';
import { directoryStore } from '../infra/origin/store.ts';
import { startRenderPool, workerScript } from '../infra/render/pool.ts';
import { shapeFanOutSvg } from '../test/support/attacks.ts';
import { encode, scene } from '../test/support/image-engine-sources.ts';
import { median, round } from './stats.ts';

const OPTIONS = { ...images.limits, background: '#ffffff' };

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T | undefined; status: number }> {
  const started = performance.now();
  try {
    const value = await fn();
    return { ms: performance.now() - started, value, status: 200 };
  } catch (error) {
    return { ms: performance.now() - started, value: undefined, status: toEdgeError(error).status };
  }
}

export interface LambdaRendererResult {
  /** Time for a fresh render process to load sharp and say it is ready: once per instance. */
  readonly spawn_ms: number;
  readonly ordinary: {
    readonly case: string;
    readonly in_process_ms: number;
    readonly child_ms: number;
    readonly ratio: number;
    readonly source_bytes: number;
  }[];
  /** The admitted, misjudged source: how it ends in the child, and in the handler's own process. */
  readonly misjudged: { readonly child: { readonly status: number; readonly ms: number }; readonly budget_ms: number };
}

export async function benchLambdaRenderer(rounds = 9): Promise<LambdaRendererResult> {
  const script = await workerScript();
  const spawns: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    const p = new RenderProcess(script);
    await p.ready;
    spawns.push(performance.now() - started);
    p.kill();
  }
  const child = renderer(script);
  child.warm();
  const cases: { name: string; source: Buffer; variant: Variant }[] = [
    {
      name: '1920x1080 JPEG to 128x128 JPEG',
      source: await encode(scene(1920, 1080), 'jpeg'),
      variant: { width: 128, height: 128, fit: 'cover', quality: 75, format: 'jpg' },
    },
    {
      name: '12 MP JPEG to 128x128 WebP',
      source: await encode(scene(4000, 3000), 'jpeg'),
      variant: { width: 128, height: 128, fit: 'cover', quality: 75, format: 'webp' },
    },
    {
      name: '12 MP JPEG to 1280w WebP',
      source: await encode(scene(4000, 3000), 'jpeg'),
      variant: { width: 1280, height: undefined, fit: 'inside', quality: 75, format: 'webp' },
    },
  ];
  const ordinary = [];
  for (const c of cases) {
    const inProcess: number[] = [];
    const inChild: number[] = [];
    await render(c.source, c.variant, OPTIONS);
    await child.render(c.source, c.variant, OPTIONS);
    for (let i = 0; i < rounds; i++) {
      const order = i % 2 === 0 ? ['in', 'child'] : ['child', 'in'];
      for (const which of order) {
        const t = await timed(() => (which === 'in' ? render(c.source, c.variant, OPTIONS) : child.render(c.source, c.variant, OPTIONS)));
        (which === 'in' ? inProcess : inChild).push(t.ms);
      }
    }
    const ratios = inChild.map((ms, i) => ms / inProcess[i]!);
    ordinary.push({
      case: c.name,
      in_process_ms: round(median(inProcess), 1),
      child_ms: round(median(inChild), 1),
      ratio: round(median(ratios)),
      source_bytes: c.source.byteLength,
    });
  }
  const slow = await timed(() => child.render(shapeFanOutSvg(), { width: 512, height: 512, fit: 'cover', quality: 75, format: 'png' }, OPTIONS));
  await child.close();
  return {
    spawn_ms: round(median(spawns), 0),
    ordinary,
    misjudged: { child: { status: slow.status, ms: Math.round(slow.ms) }, budget_ms: (images.limits.cost?.minRenderSeconds ?? 0) * 1000 },
  };
}

interface Phase {
  readonly statuses: Record<string, number>;
  /** Over rounds: the median and the worst of (miss during / median alone of the same round). */
  readonly median_ratio: number;
  readonly max_ratio: number;
  readonly median_ms: number;
}

export interface ServerCapacity {
  readonly server: 'image-origin' | 'local-edge';
  readonly rounds: number;
  readonly alone_median_ms: number;
  /** Asked right after the two misjudged renders started. */
  readonly during_start: Phase;
  /** Asked once the two have run past their estimates (set aside at low priority). */
  readonly during_set_aside: Phase;
  readonly misjudged: { readonly statuses: number[]; readonly median_ms: number };
  /** The pool's own count (the HTTP image origin's pool): renders set aside, workers killed. */
  readonly pool?: { readonly set_aside: number; readonly killed: number };
}

function phase(times: { ms: number; status: number; alone: number }[]): Phase {
  const statuses: Record<string, number> = {};
  for (const t of times) statuses[t.status] = (statuses[t.status] ?? 0) + 1;
  const ratios = times.map((t) => t.ms / t.alone);
  return { statuses, median_ratio: round(median(ratios)), max_ratio: round(Math.max(...ratios)), median_ms: round(median(times.map((t) => t.ms)), 1) };
}

/**
 * Rounds of: `perPhase` ordinary misses alone; two misjudged renders started; `perPhase` misses at
 * once; a pause past the pool's set-aside point; `perPhase` misses; the two answered. Each miss is
 * rated against the median alone of its own round (the load of other processes moves between rounds).
 */
async function measure(
  server: ServerCapacity['server'],
  ordinary: (i: number) => string,
  misjudged: (round: number, i: number) => string,
  rounds: number,
  perPhase: number,
): Promise<ServerCapacity> {
  let next = 0;
  const get = async (url: string) => {
    const started = performance.now();
    const response = await fetch(url);
    await response.arrayBuffer();
    return { ms: performance.now() - started, status: response.status };
  };
  const run = async (n: number) => {
    const out = [];
    for (let i = 0; i < n; i++) out.push(await get(ordinary(next++)));
    return out;
  };
  await run(2);
  const alones: number[] = [];
  const start: { ms: number; status: number; alone: number }[] = [];
  const late: { ms: number; status: number; alone: number }[] = [];
  const ended: { ms: number; status: number }[] = [];
  for (let r = 0; r < rounds; r++) {
    // The processes killed in the last round are replaced first (each loads sharp, ~0.6 s of CPU):
    // their cost is the attack's, measured apart (lambda.spawn_ms), not the next round's baseline.
    if (r > 0) await new Promise((resolve) => setTimeout(resolve, 3000));
    const alone = median((await run(perPhase)).map((t) => t.ms));
    alones.push(alone);
    const slow = [0, 1].map((i) => get(misjudged(r, i)));
    start.push(...(await run(perPhase)).map((t) => ({ ...t, alone })));
    // Past the pool's set-aside point (3x the estimate in CPU time, at least 100 ms).
    await new Promise((resolve) => setTimeout(resolve, 1000));
    late.push(...(await run(perPhase)).map((t) => ({ ...t, alone })));
    ended.push(...(await Promise.all(slow)));
  }
  return {
    server,
    rounds,
    alone_median_ms: round(median(alones), 1),
    during_start: phase(start),
    during_set_aside: phase(late),
    misjudged: { statuses: ended.map((e) => e.status), median_ms: Math.round(median(ended.map((e) => e.ms))) },
  };
}

const VARIANTS = ['128x128', '256x256', '192x192', '96x96'].flatMap((size) =>
  ['jpg', 'webp', 'png'].flatMap((format) => [50, 75, 85, 95].map((quality) => ({ size, format, quality }))),
);

export async function benchCapacity(rounds = 4, perPhase = 4): Promise<ServerCapacity[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-capacity-'));
  const results: ServerCapacity[] = [];
  try {
    await writeFile(path.join(dir, 'ok.jpg'), await sharp(await encode(scene(1920, 1080), 'jpeg')).toBuffer());
    // Distinct keys per round and request, so that no render is shared or stored.
    for (let r = 0; r < rounds; r++) for (const i of [0, 1]) await writeFile(path.join(dir, `misjudged-${r}-${i}.svg`), shapeFanOutSvg(19 - i));
    // The HTTP image origin as infra/origin/main.ts starts it.
    const pool = await startRenderPool();
    const derived = await mkdtemp(path.join(tmpdir(), 'bench-capacity-derived-'));
    const origin = await startImageOrigin({
      store: directoryStore({ originals: dir, derived }),
      policy: images,
      render: pool.render,
      renders: tunables.renders,
      log: () => {},
    });
    try {
      const measured = await measure(
        'image-origin',
        (i) => {
          const v = VARIANTS[i % VARIANTS.length]!;
          return `${origin.url}/_derived/ok.jpg/${v.size}-cover-q${v.quality}.${v.format}`;
        },
        (r, i) => `${origin.url}/_derived/misjudged-${r}-${i}.svg/512x512-cover-q75.png`,
        rounds,
        perPhase,
      );
      results.push({ ...measured, pool: { set_aside: pool.setAside.length, killed: pool.killed.length } });
    } finally {
      await origin.close();
      await pool.close();
      await rm(derived, { recursive: true, force: true });
    }
    // The local edge, shipped spec.
    const stack = await startLocalStack({ spec: distribution, images: dir, log: () => {} });
    try {
      results.push(
        await measure(
          'local-edge',
          (i) => {
            const v = VARIANTS[(i + 7) % VARIANTS.length]!;
            return `${stack.edge.url}/${v.size}/ok.jpg?fm=${v.format}&q=${v.quality}`;
          },
          (r, i) => `${stack.edge.url}/512x512/misjudged-${r}-${i}.svg?fm=png`,
          rounds,
          perPhase,
        ),
      );
    } finally {
      await stack.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return results;
}
