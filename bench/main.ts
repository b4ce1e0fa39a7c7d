/**
 * `npm run bench`: how close each path is to its physical limit, in one run on this machine. Every
 * figure is a ratio against a baseline measured in the same run, because the machines are shared and
 * noisy. Writes results.json, RESULTS.md and miss-path.svg to bench/tmp/ (ignored by git), or to
 * bench/ with --record (the committed figures).
 *
 *   npm run bench                          everything (see docs/testing-and-performance.md for the wall time)
 *   npm run bench -- --only miss,viewer    some sections; the others are kept from results.json
 *   npm run bench -- --quick               fewer rounds and cases, no one-process-per-case sections
 *                                          (memory, engine, attacks): to try the bench (~2 minutes)
 *   npm run bench -- --only miss --filter 12mp-jpeg
 *   npm run bench -- --report-only        RESULTS.md and the chart again from results.json
 *   npm run bench -- --record             write the committed bench/results.json, RESULTS.md, miss-path.svg
 *
 * Sections: miss (miss path: image-resize vs floor vs bare sharp), set (a responsive set from one
 * big original: the mezzanine vs reading the original every time), tuning (engine settings), viewer
 * (image-request and signed-url vs hand-written), cold (cold starts and bundle sizes), hit (the local
 * edge's hit path vs plain node:http), memory (peak RSS per source), engine (every output format, and
 * the worst sources the limits admit: 40 MP AVIF, progressive JPEG, PNG), attacks (issue 14's crafted
 * sources against the admission cost model, time and peak RSS over an ordinary miss's), then the cost model and the report.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { distribution } from '../infra/distribution.ts';
import { admittedVariants } from '../functions/core/variants.ts';
import { benchAttacks } from './attacks.ts';
import { benchCapacity, benchLambdaRenderer } from './attacks-capacity.ts';
import { benchColdStart } from './cold-start.ts';
import { costModel, PRICES } from './cost.ts';
import { benchHitPath } from './hit-path.ts';
import { benchImageEngine } from './image-engine.ts';
import { benchMemory } from './memory.ts';
import { benchMissPath, TARGET_ANY, TARGET_LARGE } from './miss-path.ts';
import { benchResponsiveSet, TARGET_ANY_MISS, TARGET_SERVED } from './responsive-set.ts';
import { renderChart, renderMarkdown } from './report.ts';
import type { Results, SectionRun } from './report.ts';
import { prepareSources } from './sources.ts';
import { benchTuning } from './tuning.ts';
import { benchViewer } from './viewer.ts';

const SECTIONS = ['miss', 'set', 'tuning', 'viewer', 'cold', 'hit', 'memory', 'engine', 'attacks'] as const;
type Section = (typeof SECTIONS)[number];

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    filter: { type: 'string' },
    'report-only': { type: 'boolean', default: false },
    record: { type: 'boolean', default: false },
  },
});
// --quick leaves out the sections that start one process per case (memory, engine, attacks) unless
// named with --only: they keep their last figures, labelled with the run that made them.
const PROCESS_SECTIONS: readonly string[] = ['memory', 'engine', 'attacks'];
const only = new Set(
  (values['report-only'] ? '' : (values.only ?? SECTIONS.join(',')))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean) as Section[],
);
for (const s of only) if (!SECTIONS.includes(s)) throw new Error(`Expected sections among ${SECTIONS.join(', ')} for --only but received ${JSON.stringify(s)}`);
const quick = values.quick;
if (quick && !values.only) for (const name of PROCESS_SECTIONS) only.delete(name as Section);

const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
// A run writes to the ignored bench/tmp/ unless --record: running the bench never changes the checkout.
const OUT = values.record ? 'bench' : 'bench/tmp';
await mkdir(OUT, { recursive: true });
const RESULTS = `${OUT}/results.json`;
const started = Date.now();
// Sections not run keep the figures of the last run here, else of the recorded run.
const previous = await readFile(existsSync(RESULTS) ? RESULTS : 'bench/results.json', 'utf8').then(
  (text) => JSON.parse(text) as Record<string, unknown>,
  () => ({}) as Record<string, unknown>,
);
// Sections not run this time keep their figures from the previous run (and say when they were taken).
const results: Record<string, unknown> = { ...previous };
// Results written before this bench's format had the miss path as a bare list: not comparable.
if (Array.isArray(results['miss_path'])) delete results['miss_path'];
if (!values['report-only']) results['when'] = new Date().toISOString();
if (!values['report-only']) {
  results['command'] = command;
  results['machine'] = {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    node: process.version,
    sharp: sharp.versions.sharp,
    vips: sharp.versions.vips,
    load_average_at_start: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
// Which run produced each section: a --only run rewrites the provenance of its own sections only.
const commit = (() => {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    return 'unknown';
  }
})();
const sectionRuns: Record<string, SectionRun> = { ...((previous['sections'] as Record<string, SectionRun> | undefined) ?? {}) };
const sectionTimes: Record<string, number> = { ...((previous['section_seconds'] as Record<string, number> | undefined) ?? {}) };
const sectionWhen: Record<string, string> = { ...((previous['section_when'] as Record<string, string> | undefined) ?? {}) };

async function section<T>(name: Section, label: string, fn: () => Promise<T>): Promise<T | undefined> {
  if (!only.has(name)) return undefined;
  const at = Date.now();
  process.stdout.write(`${label}...\n`);
  const value = await fn();
  sectionTimes[name] = Math.round((Date.now() - at) / 1000);
  sectionWhen[name] = new Date(at).toISOString();
  sectionRuns[name] = { command, commit, when: sectionWhen[name], seconds: sectionTimes[name] };
  process.stdout.write(`  done in ${sectionTimes[name]} s\n`);
  return value;
}

const sources = await prepareSources();
results['sources'] = sources.map(({ file: _file, ...rest }) => rest);

const miss = await section('miss', 'miss path: image-resize vs floor vs bare sharp, every source x preset/format', () =>
  benchMissPath({
    sources,
    budgetMsPerCase: quick ? 300 : 2200,
    minRounds: quick ? 2 : 5,
    maxRounds: quick ? 3 : 31,
    // --quick: the thumbnail preset of each source, not all ten cases.
    ...(quick ? { labels: ['thumb'] } : {}),
    ...(values.filter ? { filter: values.filter } : {}),
    onCase: (row, index, total) =>
      process.stdout.write(
        `  ${String(index + 1).padStart(2)}/${total} ${row.case.padEnd(62)} miss ${row.miss.median_ms.toFixed(1).padStart(7)}  floor ${row.floor.median_ms.toFixed(1).padStart(7)}  bare ${row.bare.median_ms.toFixed(1).padStart(7)}  miss/floor ${row.miss_vs_floor.toFixed(2)}${row.within_target ? '' : ' (over)'}\n`,
      ),
  }),
);
if (miss) results['miss_path'] = { targets: { large_sources: TARGET_LARGE, other: TARGET_ANY }, ...miss };

const set = await section('set', 'a responsive set from one big original: mezzanine vs direct (7 widths + 128x128, WebP then AVIF)', () =>
  benchResponsiveSet({
    sources,
    rounds: quick ? 1 : 2,
    // --quick: the 40 MP JPEG alone, no floor (the whole section takes ~4 minutes on a loaded machine).
    ...(quick ? { only: ['40mp-jpeg'], noFloor: true } : {}),
    onSource: (r) =>
      process.stdout.write(
        `  ${r.source.padEnd(10)} served ${r.served}/16, median CPU ratio ${r.served_median_ratio ?? '-'} (target ${r.target_served}), worst ${r.max_ratio} ${r.max_ratio_variant} (target ${TARGET_ANY_MISS})\n`,
      ),
  }),
);
if (set) results['responsive_set'] = { targets: { served_median: TARGET_SERVED, any_miss: TARGET_ANY_MISS }, sources: set };

const tuning = await section('tuning', 'engine settings (JPEG encoder, AVIF effort, threads)', () => benchTuning(sources, quick ? 3 : 7));
if (tuning) results['tuning'] = tuning;

const viewer = await section('viewer', 'viewer functions: image-request and signed-url vs by hand', () => benchViewer());
if (viewer) results['viewer'] = viewer;

const cold = await section('cold', 'cold start: package, then node start to first answer', () => benchColdStart({ runs: quick ? 3 : 9 }));
if (cold) results['cold_start'] = cold;

const hit = await section('hit', 'hit path: local edge vs plain node:http (autocannon, loopback)', () =>
  benchHitPath({ seconds: quick ? 2 : 4, rounds: quick ? 1 : 2, connections: 16 }),
);
if (hit) results['hit_path'] = hit;

const memory = await section('memory', 'memory: peak RSS per source and preset (one process each)', () => benchMemory(sources));
if (memory) results['memory'] = memory;

const engine = await section('engine', 'engine: every output format and the worst sources the limits admit (one process each)', () => benchImageEngine());
if (engine) results['image_engine'] = engine;

const attacks = await section(
  'attacks',
  'attacks: the crafted sources against the cost model (one process each, 20 s cap), the render budget, the capacity',
  async () => ({
    variants_per_original: admittedVariants(distribution.images).length,
    cases: await benchAttacks(20),
    // image-resize's render process as Lambda runs it, and the servers' pools with the shipped settings.
    lambda: await benchLambdaRenderer(quick ? 3 : 9),
    capacity: await benchCapacity(quick ? 1 : 4),
  }),
);
if (attacks) results['attacks'] = attacks;

// The cost model reads the miss path, from this run or the last.
const missPath = results['miss_path'] as Results['miss_path'];
if (missPath) {
  const deployed = distribution.functions['image-resize'].memoryMb;
  const picks = missPath.cases.filter((c) => c.label === 'thumb' || (c.source === '12mp-jpeg' && (c.label === 'card' || c.label === 'og'))).map((c) => c.case);
  const thumb12 = picks.filter((name) => name.startsWith('12mp-jpeg > thumb'));
  results['cost'] = {
    prices: PRICES,
    memory_mb_deployed: deployed,
    rows: [
      ...costModel(missPath.cases, [deployed], picks),
      ...costModel(
        missPath.cases,
        [1024, 1769, 3008].filter((m) => m !== deployed),
        thumb12,
      ),
    ],
  };
}

results['section_seconds'] = sectionTimes;
results['sections'] = sectionRuns;
// The whole bench's wall time, kept only from a run of every section at full size.
if (!values['report-only'] && !values.only && !quick && !values.filter) {
  results['full_run'] = { when: new Date(started).toISOString(), seconds: Math.round((Date.now() - started) / 1000), commit };
}
results['section_when'] = sectionWhen;
if (!values['report-only']) results['seconds'] = Math.round((Date.now() - started) / 1000);
await writeFile(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
const report = results as unknown as Results;
await writeFile(`${OUT}/RESULTS.md`, renderMarkdown(report));
if (missPath) await writeFile(`${OUT}/miss-path.svg`, renderChart(missPath.cases));
console.log(
  values['report-only']
    ? `wrote ${OUT}/RESULTS.md and ${OUT}/miss-path.svg from ${RESULTS}`
    : `wrote ${RESULTS}, ${OUT}/RESULTS.md and ${OUT}/miss-path.svg in ${Math.round((Date.now() - started) / 1000)} s${values.record ? '' : ' (--record writes the committed ones in bench/)'}`,
);
