/**
 * Every bench section in its smoke size (one case, one round), through `npm run bench`'s own entry
 * point, so a section that breaks fails `npm test` instead of the next full run. Node runs with flags
 * that add globals of their own (`--expose-gc` and others): the local edge's CloudFront Function
 * sandbox must hide them and still answer, or the hit section finds no cached thumbnail and throws.
 * Each section's figures (bench/sections.ts) must be finite numbers, and RESULTS.md must be written.
 * The figures' values are not judged here: speed lives in `npm run bench`, as ratios.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECTIONS } from '../../bench/sections.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
/** Flags of node's own that each add a global the CloudFront Functions runtime does not have. */
const NODE_FLAGS = ['--expose-gc', '--expose-externalize-string', '--expose-statistics'];

let out: string;
let results: Record<string, unknown>;
let report: string;

beforeAll(async () => {
  out = await mkdtemp(path.join(tmpdir(), 'edge-images-bench-smoke-'));
  await run(process.execPath, [...NODE_FLAGS, 'infra/build/run.mjs', 'bench/main.ts', '--smoke', '--out', out], {
    cwd: root,
    maxBuffer: 16 * 1024 * 1024,
  });
  results = JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8')) as Record<string, unknown>;
  report = await readFile(path.join(out, 'RESULTS.md'), 'utf8');
}, 600_000);

afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

describe('npm run bench -- --smoke', () => {
  it.each(SECTIONS.map((s) => [s.name, s] as const))('section %s produces its figures', (_name, section) => {
    const result = results[section.key];
    expect(result, `results.json has no ${section.key}`).toBeDefined();
    const figures = Object.entries(section.figures(result));
    expect(figures.length).toBeGreaterThan(0);
    for (const [name, value] of figures) expect(Number.isFinite(value), `${section.name}: ${name} = ${String(value)}`).toBe(true);
  });

  it('runs every measured section once, in this run, and writes the report', () => {
    const runs = results['sections'] as Record<string, { command: string }>;
    for (const section of SECTIONS.filter((s) => !s.derived)) expect(runs[section.name]?.command).toContain('--smoke');
    expect(report).toContain('## Where we stand');
    expect(report).toContain('## Hit path of the local edge');
  });

  it('serves the cached thumbnail through the CloudFront Function with node flags that add globals', () => {
    const hit = results['hit_path'] as { servers: { label: string; rps: number; errors: number; non2xx: number }[]; still_a_hit_after: string };
    const deployed = hit.servers.find((s) => s.label === 'as npm start runs it');
    expect(deployed?.rps).toBeGreaterThan(0);
    expect(deployed?.non2xx).toBe(0);
    expect(deployed?.errors).toBe(0);
    expect(hit.still_a_hit_after).toBe('Hit from cloudfront');
  });
});
