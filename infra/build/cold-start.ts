/**
 * Cold start of each packaged function, as Lambda pays it on a new instance: a fresh `node` process
 * loads index.js from the unzipped package and answers one captured event. Compared, in the same
 * run, with a bare `node -e ''` (the floor). Medians of several runs; ratios are what to compare.
 *   npm run package && node infra/build/run.mjs infra/build/cold-start.ts [dist] [--runs 7]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { EventType } from '../distribution.ts';
import { readManifest } from './manifest.ts';
import { bareNodeMs, invoke, unzipTo } from './try-zip.ts';

const EVENT_FIXTURES: Partial<Record<EventType, string>> = {
  'viewer-request': 'fixtures/events/viewer-request-thumbnail.json',
  'origin-request': 'fixtures/events/origin-request-s3.json',
  'origin-response': 'fixtures/events/origin-response-200-derived.json',
};

const { values, positionals } = parseArgs({ options: { runs: { type: 'string', default: '7' } }, allowPositionals: true });
const dist = path.resolve(positionals[0] ?? 'dist');
const runs = Number(values.runs);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const manifest = readManifest(dist);
const work = await mkdtemp(path.join(tmpdir(), 'edge-images-cold-'));
try {
  const targets: { name: string; zipBytes: number; event: EventType; dir: string }[] = [];
  for (const f of manifest.functions) {
    const event = f.eventTypes.find((e) => EVENT_FIXTURES[e]);
    if (!event) continue;
    const dir = path.join(work, f.function);
    await unzipTo(path.join(dist, f.zip), dir);
    targets.push({ name: f.function, zipBytes: f.zipBytes, event, dir });
  }
  // Interleaved (bare, then each function, per round) so load on the machine hits all alike.
  const bare: number[] = [];
  const wall = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  const inside = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  for (let i = 0; i < runs; i++) {
    bare.push(await bareNodeMs());
    for (const t of targets) {
      const answer = await invoke(t.dir, path.resolve(EVENT_FIXTURES[t.event]!));
      wall.get(t.name)!.push(answer.wallMs);
      inside.get(t.name)!.push(answer.loadMs + answer.answerMs);
    }
  }
  const floor = median(bare);
  console.log(`bare node -e ''                          ${floor.toFixed(0).padStart(5)} ms`);
  for (const t of targets) {
    const w = median(wall.get(t.name)!);
    console.log(
      `${t.name.padEnd(14)} ${(t.zipBytes / 1024).toFixed(0).padStart(6)} KB zip  ${w.toFixed(0).padStart(5)} ms  (${(w / floor).toFixed(2)}x bare node; in-process load + first answer ${median(inside.get(t.name)!).toFixed(0)} ms, ${t.event})`,
    );
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
