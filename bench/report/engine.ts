/** The engine on every output format and the worst sources admitted, in RESULTS.md. */
import type { ReportContext, SectionReport } from '../section.ts';
import type { ImageEngineResult } from '../sections.ts';
import { fmt, table } from './format.ts';

export const engineReport: SectionReport<ImageEngineResult> = { body };

function body(e: ImageEngineResult, ctx: ReportContext): string[] {
  return [
    '## The engine on every output format and on the worst sources admitted',
    '',
    ...ctx.provenance,
    `Each case in a process of its own (bench/image-engine.ts), bytes in memory: the engine's time and its peak RSS, over a baseline of ${fmt(e.baseline_rss_mb)} MB for Node, sharp and the engine with no image. These figures set the decode-memory limit of distribution.ts.`,
    '',
    table(
      ['case', 'output', 'size', 'ms', 'peak RSS MB', 'over baseline MB', 'output KB'],
      e.cases.map((c) => [c.case, c.output, c.size, fmt(c.median_ms), fmt(c.peak_rss_mb), fmt(c.peak_over_baseline_mb), fmt(c.output_kb)]),
      ['case', 'output', 'size'],
    ),
    '',
  ];
}
