/** Crafted sources against the admission cost model, in RESULTS.md. */
import type { ReportContext, SectionReport } from '../section.ts';
import type { AttacksResult } from '../sections.ts';
import { fmt, int, table } from './format.ts';

export const attacksReport: SectionReport<AttacksResult> = { body };

function body(a: AttacksResult, ctx: ReportContext): string[] {
  return [
    '## Attacks against the cost model',
    '',
    ...ctx.provenance,
    `Crafted sources through the engine, each in a process of its own killed at a cap (bench/attacks.ts), against an ordinary miss in the same run. The policy admits ${int(a.variants_per_original)} variants per original.`,
    '',
    table(
      ['case', 'bytes', 'outcome', 'ms', 'peak RSS MB', 'time x baseline', 'RSS x baseline'],
      a.cases.map((c) => [c.name, int(c.bytes), c.outcome, int(c.ms), int(c.maxRssMb), fmt(c.timeVsBaseline, 2), fmt(c.rssVsBaseline, 2)]),
      ['outcome'],
    ),
    '',
  ];
}
