/**
 * One image-engine bench case in its own process, so that its peak RSS is its own (RSS in one
 * process only grows). bench/image-engine.ts bundles this file and runs it once per case:
 *
 *   node image-engine-child.mjs <source file> <variant JSON> <timed runs> [<render options JSON>]
 *   node image-engine-child.mjs --baseline
 *
 * Prints one JSON line: the timings of each run (after one warm-up), the output, and the process's
 * peak RSS in KiB. On Linux that is `VmHWM` of /proc/self/status: `process.resourceUsage().maxRSS`
 * (getrusage) starts a child at its parent's RSS, because Linux carries the pre-exec high-water mark
 * of the forked copy over exec, so a child of a 380 MB parent reports at least 380 MB.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadEngine, render } from '../functions/adapters/image/render.ts';
import type { Variant } from '../functions/core/grammar.ts';
import { images } from '../infra/distribution.ts';

function peakRssKb(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]);
  } catch {
    // Not Linux: fall back to getrusage.
  }
  return process.resourceUsage().maxRSS;
}

const [source, variantJson, runsArg, optionsJson] = process.argv.slice(2);
if (source === '--baseline' || source === undefined) {
  // What the process costs with sharp and the engine loaded, before any image (sharp loads lazily).
  await loadEngine();
  process.stdout.write(`${JSON.stringify({ maxRssKb: peakRssKb(), render: typeof render })}\n`);
} else {
  const variant = JSON.parse(variantJson ?? '{}') as Variant;
  const runs = Number(runsArg ?? 3);
  const bytes = await readFile(source);
  const options = {
    ...images.limits,
    ...(images.background ? { background: images.background } : {}),
    ...(optionsJson ? (JSON.parse(optionsJson) as object) : {}),
  };
  const ms: number[] = [];
  let last: Awaited<ReturnType<typeof render>> | undefined;
  for (let i = -1; i < runs; i++) {
    const started = performance.now();
    last = await render(bytes, variant, options);
    if (i >= 0) ms.push(performance.now() - started);
  }
  process.stdout.write(
    `${JSON.stringify({
      ms,
      sourceBytes: bytes.byteLength,
      outputBytes: last?.data.byteLength,
      width: last?.width,
      height: last?.height,
      frames: last?.frames,
      maxRssKb: peakRssKb(),
    })}\n`,
  );
}
