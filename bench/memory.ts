/**
 * Peak memory of a resize per source, with the pixel and decode-memory limits of distribution.ts in
 * force: each case runs in a child process of its own (bench/image-engine-child.ts: one warm-up and
 * two renders, then VmHWM, the process's peak RSS), because RSS only grows within one process. The
 * baseline is the same child with Node, sharp and the engine loaded and no image.
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { parseImageUrl, variantName } from '../functions/core/grammar.ts';
import { images } from '../infra/distribution.ts';
import { CHROMIUM_ACCEPT } from './cases.ts';
import type { Source } from './sources.ts';
import { median, round } from './stats.ts';

const run = promisify(execFile);
const DIR = path.resolve('bench/tmp/memory');
const CHILD = path.join(DIR, 'image-engine-child.mjs');
/** The presets measured for every source: the smallest and two larger outputs. */
const PRESETS = ['thumb', 'card', 'og'] as const;

async function child(args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, [CHILD, ...args], { maxBuffer: 1024 * 1024 });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
}

export async function benchMemory(sources: readonly Source[]): Promise<Record<string, unknown>> {
  await mkdir(DIR, { recursive: true });
  await build({
    entryPoints: ['bench/image-engine-child.ts'],
    outfile: CHILD,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  const baseline = await child(['--baseline']);
  const baselineMb = round(Number(baseline['maxRssKb']) / 1024, 1);
  const rows: Record<string, unknown>[] = [];
  for (const source of sources) {
    for (const preset of PRESETS) {
      const parsed = parseImageUrl(`/${preset}/${source.key}`, '', CHROMIUM_ACCEPT, images);
      if (parsed.kind !== 'derived') continue;
      const r = await child([source.file, JSON.stringify(parsed.variant), '2']);
      const peakMb = round(Number(r['maxRssKb']) / 1024, 1);
      rows.push({
        source: source.name,
        source_mp: source.megapixels,
        source_bytes: source.bytes,
        preset,
        variant: variantName(parsed.variant),
        render_ms: round(median(r['ms'] as number[]), 1),
        peak_rss_mb: peakMb,
        over_baseline_mb: round(peakMb - baselineMb, 1),
      });
    }
  }
  return { baseline_rss_mb: baselineMb, limits: images.limits, cases: rows };
}
