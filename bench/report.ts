/**
 * bench/RESULTS.md from the results of one run (bench/results.json): a header saying which run made
 * each section, "Where we stand" (each section's headline figures, judged against their targets
 * here), then each section's own part. The sections and their parts are listed in bench/sections.ts;
 * the tables and verdicts are computed from the figures.
 */
import { day, fmt, table, targetText, verdict } from './report/format.ts';
import type { BenchSection, HeadlineRow, ReportContext } from './section.ts';
import { SECTIONS } from './sections.ts';

export interface SectionRun {
  readonly command: string;
  readonly commit: string;
  readonly when: string;
  readonly seconds: number;
}

/** results.json: the run's metadata and each section's figures under its key. */
export interface Results {
  readonly when: string;
  readonly seconds?: number;
  readonly command?: string;
  readonly machine: { readonly cpus: number; readonly model?: string; readonly node: string; readonly sharp: string; readonly vips: string };
  /** Per section: the command, commit and date of the run that produced its figures. */
  readonly sections?: Readonly<Record<string, SectionRun>>;
  /** The last run of every section in one invocation (no --only, --quick, --smoke or --filter). */
  readonly full_run?: { readonly when: string; readonly seconds: number; readonly commit: string };
  readonly [key: string]: unknown;
}

/** A section's figures in these results. */
export function resultIn<R>(results: Results, section: BenchSection<R>): R | undefined {
  return results[section.key] as R | undefined;
}

export function renderMarkdown(r: Results): string {
  const m = r.machine;
  const out: string[] = ['# Benchmark results', ''];
  out.push(
    `Written by bench/main.ts from bench/results.json; the last run was \`${r.command ?? 'npm run bench'}\` on ${day(r.when)} (${r.seconds ?? '?'} s) on ${m.cpus} x ${m.model ?? 'unknown CPU'}; Node ${m.node}, sharp ${m.sharp}, libvips ${m.vips}. ` +
      'Each section says which run produced it (a `--only` run rewrites only its own sections). Every figure is a median of interleaved rounds and every ratio compares two things measured side by side in the same run: compare ratios between runs, not milliseconds. Raw figures: [results.json](results.json).',
    '',
  );
  out.push(
    table(
      ['section', 'command', 'commit', 'date', 'seconds'],
      SECTIONS.filter((s) => !s.derived).map((s) => {
        const run = r.sections?.[s.name];
        return [s.name, run ? `\`${run.command}\`` : 'not run', run?.commit ?? '-', run ? day(run.when) : '-', run ? String(run.seconds) : '-'];
      }),
      ['command', 'commit', 'date'],
    ),
    '',
    r.full_run
      ? `The whole bench (every section, \`npm run bench\`) last ran on ${day(r.full_run.when)} at commit ${r.full_run.commit} and took ${r.full_run.seconds} s.`
      : 'No run of the whole bench (every section in one invocation) is recorded in results.json.',
    '',
  );
  const ctxFor = (section: BenchSection<unknown>): ReportContext => ({
    resultOf: (other) => resultIn(r, other),
    provenance: provenance(r, section),
  });
  const rows: HeadlineRow[] = [];
  for (const section of SECTIONS) {
    const result = resultIn(r, section);
    if (result !== undefined && section.report.headline) rows.push(...section.report.headline(result, ctxFor(section)));
  }
  out.push('## Where we stand', '');
  out.push(
    table(
      ['what', 'figure', 'target', 'verdict', 'detail'],
      rows.map((row) => [
        row.what,
        `${fmt(row.figure, row.digits ?? 2)}${row.unit ? ` ${row.unit}` : ''}`,
        row.target ? targetText(row.target) : '-',
        row.target ? verdict(row.figure, row.target) : '-',
        row.detail ?? '',
      ]),
      ['verdict', 'detail'],
    ),
    '',
  );
  for (const section of SECTIONS) {
    const result = resultIn(r, section);
    if (result !== undefined) out.push(...section.report.body(result, ctxFor(section)));
  }
  return `${out.join('\n')}\n`;
}

/** The line under a section's title: which run produced it. */
function provenance(r: Results, section: BenchSection<unknown>): string[] {
  const run = r.sections?.[section.name];
  if (!run) return section.derived ? ['_Computed from the figures above._', ''] : ['_No run of this section is recorded with its command and commit._', ''];
  return [`_Produced by \`${run.command}\` at commit ${run.commit} on ${day(run.when)} in ${run.seconds} s._`, ''];
}
