/**
 * `npm run variants`: how many derived objects one original admits under distribution.ts, by
 * format, and what making all of them would cost in the worst case, from the bench's measured
 * render times (bench/results.json, engine section) when present.
 */
import { readFile } from 'node:fs/promises';
import { admittedVariants } from '../../functions/core/variants.ts';
import { images } from '../distribution.ts';

const variants = admittedVariants(images);
const byFormat = new Map<string, number>();
for (const v of variants) byFormat.set(v.format, (byFormat.get(v.format) ?? 0) + 1);
console.log(`${variants.length} derived objects per original (${[...byFormat].map(([f, n]) => `${f} ${n}`).join(', ')})`);
console.log(
  `  sizes ${images.sizes.length} x fits/positions 7 + widths ${images.widths.length}, x qualities ${images.qualities.length} + auto x formats ${images.formats.length}, + preset variants`,
);

// Worst case: every variant made from the costliest source the limits admit. The bench measures a
// render per (source, output format); an original is one source, so the bound is the slowest
// measured render of any source for each format, times that format's variant count.
const results = await readFile('bench/results.json', 'utf8').then(
  (t) => JSON.parse(t) as Record<string, unknown>,
  () => undefined,
);
const cases = (results?.['image_engine'] as { cases?: { case: string; output: string; median_ms: number }[] } | undefined)?.cases;
if (!cases?.length) {
  console.log('no engine timings in bench/results.json: run `npm run bench -- --only engine` first');
} else {
  const slowest = new Map<string, { ms: number; source: string }>();
  for (const c of cases) if ((slowest.get(c.output)?.ms ?? 0) < c.median_ms) slowest.set(c.output, { ms: c.median_ms, source: c.case });
  const fallback = Math.max(...[...slowest.values()].map((s) => s.ms));
  let totalMs = 0;
  for (const [format, count] of byFormat) totalMs += count * (slowest.get(format)?.ms ?? fallback);
  const overall = variants.length * fallback;
  console.log(`worst case per original, from bench/results.json (${String(results?.['when'] ?? '?')}):`);
  for (const [format, s] of slowest) console.log(`  ${format}: ${byFormat.get(format) ?? 0} variants x ${s.ms} ms (slowest measured: ${s.source})`);
  console.log(`  all variants at each format's slowest render: ${(totalMs / 60_000).toFixed(1)} CPU-minutes`);
  console.log(`  all variants at the slowest render of any format (${fallback} ms): ${(overall / 60_000).toFixed(1)} CPU-minutes`);
  // Lambda@Edge bills duration per GB-second at image-resize's memory.
  const gb = 1536 / 1024;
  console.log(`  = ${((overall / 1000) * gb).toFixed(0)} GB-seconds at image-resize's 1,536 MB`);
}
