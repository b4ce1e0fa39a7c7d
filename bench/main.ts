/**
 * `npm run bench`: how close each path is to its physical limit, in one run on this machine. Every
 * figure is a ratio against a baseline measured in the same run, because the machines are shared and
 * noisy. Writes results.json, RESULTS.md and miss-path.svg to bench/tmp/ (ignored by git), or to
 * bench/ with --record (the committed figures).
 *
 *   npm run bench                          every section (docs/testing-and-performance.md has the wall time)
 *   npm run bench -- --only miss,viewer    some sections; the others are kept from results.json
 *   npm run bench -- --quick               fewer rounds and cases, no one-process-per-case sections
 *   npm run bench -- --smoke --out DIR     every section with one case and one round, into DIR, nothing
 *                                          kept from earlier runs (npm test runs it: bench-smoke.test.ts)
 *   npm run bench -- --only miss --filter 12mp-jpeg
 *   npm run bench -- --report-only        RESULTS.md and the chart again from results.json
 *   npm run bench -- --record             write the committed bench/results.json, RESULTS.md, miss-path.svg
 *
 * The sections, what each measures and how it is reported: bench/sections.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { renderChart } from './report/chart.ts';
import { renderMarkdown, resultIn } from './report.ts';
import type { Results, SectionRun } from './report.ts';
import type { BenchMode, BenchSection } from './section.ts';
import { missSection, SECTIONS } from './sections.ts';
import { prepareSources } from './sources.ts';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    filter: { type: 'string' },
    out: { type: 'string' },
    'report-only': { type: 'boolean', default: false },
    record: { type: 'boolean', default: false },
  },
});
const names = SECTIONS.map((s) => s.name);
const named = (values.only ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const s of named) if (!names.includes(s)) throw new Error(`Expected sections among ${names.join(', ')} for --only but received ${JSON.stringify(s)}`);
const mode: BenchMode = values.smoke ? 'smoke' : values.quick ? 'quick' : 'full';
// --quick leaves out the sections that start one process per case unless named with --only: they
// keep their last figures, labelled with the run that made them.
const chosen = (s: BenchSection<unknown>) =>
  !values['report-only'] && (named.length > 0 ? named.includes(s.name) || s.derived === true : mode !== 'quick' || !s.processPerCase);

const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
// A run writes to the ignored bench/tmp/ unless --record or --out: running the bench never changes the checkout.
const OUT = values.out ?? (values.record ? 'bench' : 'bench/tmp');
await mkdir(OUT, { recursive: true });
const RESULTS = `${OUT}/results.json`;
const started = Date.now();
// Sections not run keep the figures of the last run here, else of the recorded run; a smoke run keeps nothing.
const previous: Record<string, unknown> =
  mode === 'smoke'
    ? {}
    : await readFile(existsSync(RESULTS) ? RESULTS : 'bench/results.json', 'utf8').then(
        (text) => JSON.parse(text) as Record<string, unknown>,
        () => ({}),
      );
const results: Record<string, unknown> = { ...previous };
// Figures kept from an earlier run in a shape this bench no longer reads are dropped (that section shows as not run).
for (const section of SECTIONS) {
  if (results[section.key] !== undefined && !readable(section, results[section.key])) {
    process.stdout.write(`${section.name}: the figures kept in results.json are in an older shape and are left out\n`);
    delete results[section.key];
  }
}
if (!values['report-only']) {
  results['when'] = new Date().toISOString();
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

const sources = await prepareSources();
results['sources'] = sources.map(({ file: _file, ...rest }) => rest);
const current = () => results as Results;
for (const section of SECTIONS) {
  if (!chosen(section)) continue;
  const at = Date.now();
  if (!section.derived) process.stdout.write(`${section.title}...\n`);
  const value = await section.run({
    mode,
    sources,
    filter: values.filter,
    progress: (line) => process.stdout.write(`  ${line}\n`),
    resultOf: (other) => resultIn(current(), other),
  });
  if (value === undefined) continue;
  results[section.key] = value;
  if (section.derived) continue;
  const seconds = Math.round((Date.now() - at) / 1000);
  sectionRuns[section.name] = { command, commit, when: new Date(at).toISOString(), seconds };
  process.stdout.write(`  done in ${seconds} s\n`);
}
results['sections'] = sectionRuns;
// The whole bench's wall time, kept only from a run of every section at full size.
if (!values['report-only'] && named.length === 0 && mode === 'full' && !values.filter) {
  results['full_run'] = { when: new Date(started).toISOString(), seconds: Math.round((Date.now() - started) / 1000), commit };
}
if (!values['report-only']) results['seconds'] = Math.round((Date.now() - started) / 1000);
await writeFile(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
await writeFile(`${OUT}/RESULTS.md`, renderMarkdown(current()));
const missPath = resultIn(current(), missSection);
if (missPath) await writeFile(`${OUT}/miss-path.svg`, renderChart(missPath.cases));
console.log(
  values['report-only']
    ? `wrote ${OUT}/RESULTS.md and ${OUT}/miss-path.svg from ${RESULTS}`
    : `wrote ${RESULTS}, ${OUT}/RESULTS.md and ${OUT}/miss-path.svg in ${Math.round((Date.now() - started) / 1000)} s${values.record ? '' : ' (--record writes the committed ones in bench/)'}`,
);

/** Whether figures kept from an earlier run still have the shape the section reads. */
function readable(section: BenchSection<unknown>, value: unknown): boolean {
  try {
    return Object.values(section.figures(value)).some((v) => typeof v === 'number' && Number.isFinite(v));
  } catch {
    return false;
  }
}
