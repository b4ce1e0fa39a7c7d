/**
 * Peak memory of a resize per source, with the pixel and decode-memory limits of distribution.ts in
 * force: each case runs in a child process of its own (bench/image-engine-child.ts: one warm-up and
 * two renders, then VmHWM, the process's peak RSS), because RSS only grows within one process. The
 * baseline is the same child with Node, sharp and the engine loaded and no image.
 */
import path from 'node:path';
import { parseImageUrl, variantName } from '../functions/core/grammar.ts';
import { images } from '../infra/distribution.ts';
import { CHROMIUM_ACCEPT } from './cases.ts';
import type { Source } from './sources.ts';
import { bundleChild } from './child.ts';
import { median, round } from './stats.ts';

const DIR = path.resolve('bench/tmp/memory');
/** The presets measured for every source: the smallest and two larger outputs. */
const PRESETS = ['thumb', 'card', 'og'] as const;

export interface MemoryResult {
  readonly baseline_rss_mb: number;
  readonly limits: Readonly<Record<string, number>>;
  readonly cases: readonly {
    source: string;
    source_mp: number;
    source_bytes: number;
    preset: string;
    variant: string;
    render_ms: number;
    peak_rss_mb: number;
    over_baseline_mb: number;
  }[];
}

/** Every source with each preset; `smoke`: the first source with the first preset. */
export async function benchMemory(sources: readonly Source[], smoke = false): Promise<MemoryResult> {
  const child = await bundleChild('bench/image-engine-child.ts', DIR);
  const baseline = await child(['--baseline']);
  const baselineMb = round(Number(baseline['maxRssKb']) / 1024, 1);
  const rows: MemoryResult['cases'][number][] = [];
  for (const source of smoke ? sources.slice(0, 1) : sources) {
    for (const preset of smoke ? PRESETS.slice(0, 1) : PRESETS) {
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
  return { baseline_rss_mb: baselineMb, limits: images.limits as unknown as Record<string, number>, cases: rows };
}
