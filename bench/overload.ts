/**
 * The cost model's figures on the two long-running servers: the time to refuse each attack (real policy),
 * and an ordinary miss's latency alone and while two over-budget renders are in flight (a policy
 * whose SVG limits let a `<use>` fan-out reach librsvg, budget 5 s), with the peak RSS of the
 * server process and of its render workers (VmHWM). Figures are for the report; no assertion.
 *   node infra/build/run.mjs bench/overload.ts
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { distribution, images } from '../infra/distribution.ts';
import { startLocalStack } from '../infra/local-stack.ts';
import { startImageOrigin } from '../infra/origin/server.ts';
import { directoryStore } from '../infra/origin/store.ts';
import { startRenderPool } from '../infra/render/pool.ts';
import * as attack from '../test/support/attacks.ts';

function hwmMb(pid: number | 'self'): number {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : -1;
}

async function timed(url: string): Promise<{ status: number; ms: number }> {
  const t = performance.now();
  const r = await fetch(url);
  await r.arrayBuffer();
  return { status: r.status, ms: Math.round(performance.now() - t) };
}

const dir = await mkdtemp(path.join(tmpdir(), 'overload-'));
const originals = path.join(dir, 'originals');
await mkdir(originals, { recursive: true });
const attacks: Record<string, [Buffer, string]> = {
  'scans.jpg': [await attack.manyScanJpeg(2000, 900), '128x128-cover-q75.jpg'],
  'frames.gif': [attack.manyFrameGif(500, 800), '128x128-cover-q75.gif'],
  'fanout.svg': [attack.useFanOutSvg(6), '256x256-cover-q75.png'],
  'huge.svg': [attack.hugeSvg(900_000), '128x128-cover-q75.png'],
  'tall.png': [attack.tallPng(), '1920xauto-inside-q75.webp'],
  'corrupt.png': [await attack.corruptInterlacedPng(), '128x128-cover-q75.jpg'],
};
for (const [name, [bytes]] of Object.entries(attacks)) await writeFile(path.join(originals, name), bytes);
await writeFile(path.join(originals, 'slow1.svg'), attack.useFanOutSvg(6));
await writeFile(path.join(originals, 'slow2.svg'), attack.useFanOutSvg(6, 10, 9));
for (let i = 0; i < 8; i++) {
  await writeFile(
    path.join(originals, `ok${i}.jpg`),
    await sharp({ create: { width: 1920, height: 1080, channels: 3, background: { r: 20 * i, g: 90, b: 160 } } })
      .jpeg()
      .toBuffer(),
  );
}

const loose = {
  ...images,
  limits: { ...images.limits, cost: attack.costLettingFanOutThrough(images.limits.cost!, { renderSeconds: 5 }) },
};

// --- HTTP image origin ---------------------------------------------------------------------------
{
  const pool = await startRenderPool({ budgetMs: 20_000 });
  const origin = await startImageOrigin({
    store: directoryStore({ originals, derived: path.join(dir, 'derived-a') }),
    policy: images,
    render: pool.render,
    log: () => {},
  });
  console.log('HTTP image origin, real policy: time to refuse each attack');
  for (const [name, [, variant]] of Object.entries(attacks)) {
    const r = await timed(`${origin.url}/_derived/${name}/${variant}`);
    console.log(`  ${name.padEnd(12)} ${r.status} in ${r.ms} ms`);
  }
  console.log(`  peak RSS: server ${hwmMb('self')} MB, workers ${pool.pids().map(hwmMb).join(', ')} MB`);
  await origin.close();
  await pool.close();
}
{
  const pool = await startRenderPool({ budgetMs: 5_000 });
  const origin = await startImageOrigin({
    store: directoryStore({ originals, derived: path.join(dir, 'derived-b') }),
    policy: loose,
    render: pool.render,
    renders: { concurrency: 2, maxQueued: 16, maxWaitMs: 60_000 },
    log: () => {},
  });
  const alone = [];
  for (let i = 0; i < 3; i++) alone.push(await timed(`${origin.url}/_derived/ok${i}.jpg/128x128-cover-q75.webp`));
  const slow = ['slow1.svg', 'slow2.svg'].map((k) => timed(`${origin.url}/_derived/${k}/256x256-cover-q75.png`));
  await new Promise((r) => setTimeout(r, 300));
  const during = await timed(`${origin.url}/_derived/ok3.jpg/128x128-cover-q75.webp`);
  const slowAnswers = await Promise.all(slow);
  const after = await timed(`${origin.url}/_derived/ok4.jpg/128x128-cover-q75.webp`);
  console.log('HTTP image origin, budget 5 s, two over-budget SVG renders in flight:');
  console.log(`  ordinary miss alone: ${alone.map((a) => `${a.status} ${a.ms} ms`).join(', ')}`);
  console.log(
    `  ordinary miss during: ${during.status} in ${during.ms} ms; over-budget: ${slowAnswers.map((a) => `${a.status} in ${a.ms} ms`).join(', ')}; after: ${after.status} in ${after.ms} ms`,
  );
  console.log(`  killed workers: ${pool.killed.join(', ')}; peak RSS server ${hwmMb('self')} MB`);
  await origin.close();
  await pool.close();
}

// --- local edge ------------------------------------------------------------------------------------
{
  const stack = await startLocalStack({ spec: { ...distribution, images: loose }, images: originals, log: () => {} });
  const alone = [];
  for (let i = 5; i < 7; i++) alone.push(await timed(`${stack.edge.url}/128x128/ok${i}.jpg?fm=webp`));
  const slow = ['slow1.svg', 'slow2.svg'].map((k) => timed(`${stack.edge.url}/256x256/${k}?fm=png`));
  await new Promise((r) => setTimeout(r, 300));
  const during = await timed(`${stack.edge.url}/128x128/ok7.jpg?fm=webp`);
  const slowAnswers = await Promise.all(slow);
  console.log('local edge, budget 5 s, two over-budget SVG resizes in flight:');
  console.log(`  ordinary miss alone: ${alone.map((a) => `${a.status} ${a.ms} ms`).join(', ')}`);
  console.log(`  ordinary miss during: ${during.status} in ${during.ms} ms; over-budget: ${slowAnswers.map((a) => `${a.status} in ${a.ms} ms`).join(', ')}`);
  await stack.close();
}
await rm(dir, { recursive: true, force: true });
