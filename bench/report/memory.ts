/** Memory in RESULTS.md: the peak RSS of one resize per source and preset. */
import type { MemoryResult } from '../memory.ts';
import type { HeadlineRow, ReportContext, SectionReport } from '../section.ts';
import { fmt, int, kb, table } from './format.ts';

export const memoryReport: SectionReport<MemoryResult> = { headline, body };

function headline(m: MemoryResult): HeadlineRow[] {
  const peak = largest(m);
  return peak ? [{ what: 'peak RSS of one resize (largest case), MB', figure: peak.peak_rss_mb, digits: 1, detail: `${peak.source} > ${peak.preset}` }] : [];
}

function largest(m: MemoryResult) {
  return m.cases.reduce<(typeof m.cases)[number] | undefined>((a, c) => (a === undefined || c.peak_rss_mb > a.peak_rss_mb ? c : a), undefined);
}

function body(m: MemoryResult, ctx: ReportContext): string[] {
  const out = ['## Memory', '', ...ctx.provenance];
  out.push(
    `Peak RSS (VmHWM) of a process that makes one variant (a warm-up and two renders) with the limits of distribution.ts in force (${Object.entries(m.limits)
      .map(([k, v]) => `${k} ${int(v)}`)
      .join(', ')}); the same process with Node, sharp and the engine loaded and no image peaks at ${fmt(m.baseline_rss_mb)} MB.`,
    '',
  );
  out.push(
    table(
      ['source', 'MP', 'source KB', 'preset', 'variant', 'render ms', 'peak RSS MB', 'over baseline MB'],
      m.cases.map((c) => [
        c.source,
        fmt(c.source_mp, 2),
        kb(c.source_bytes),
        c.preset,
        c.variant,
        fmt(c.render_ms),
        fmt(c.peak_rss_mb),
        fmt(c.over_baseline_mb),
      ]),
      ['preset', 'variant'],
    ),
    '',
  );
  const peak = largest(m);
  const peakOf = (source: string) => Math.max(...m.cases.filter((c) => c.source === source).map((c) => c.over_baseline_mb));
  const j12 = peakOf('12mp-jpeg');
  const j40 = peakOf('40mp-jpeg');
  if (peak) {
    out.push(
      `The most memory: ${peak.source} > ${peak.preset}, ${fmt(peak.over_baseline_mb)} MB over the baseline.` +
        (Number.isFinite(j12) && Number.isFinite(j40) && j12 > 0
          ? ` The 40 MP JPEG's worst case takes ${fmt(j40 / j12, 2)}x the 12 MP JPEG's over the baseline (JPEG shrinks on load).`
          : ''),
      '',
    );
  }
  return out;
}
