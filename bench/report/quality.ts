/** The quality section in RESULTS.md: one scale across formats, and q=auto, on fixtures/corpus/. */
import { qualityMarkdown } from '../quality.ts';
import type { QualityResult } from '../quality.ts';
import type { HeadlineRow, ReportContext, SectionReport } from '../section.ts';

export const qualityReport: SectionReport<QualityResult> = {
  headline,
  body: (q: QualityResult, ctx: ReportContext) => qualityMarkdown(q, ctx.provenance),
};

function headline(q: QualityResult): HeadlineRow[] {
  return [
    ...q.formats.map((f) => ({
      what: `q=auto / fixed q75 bytes, ${f.format} (median)`,
      figure: f.auto_vs_fixed_bytes,
      digits: 3,
      target: { atMost: q.targets.auto_bytes_ratio },
      detail: `min SSIM ${f.auto_min_ssim} (target ${q.target}), ${f.auto_below_target} below`,
    })),
    {
      what: 'median SSIM spread of the formats at calibrated q75',
      figure: q.calibrated_q75_spread,
      digits: 4,
      target: { atMost: q.targets.calibrated_spread },
    },
    { what: 'CPU of a q=auto miss / fixed-q miss (median)', figure: q.cpu.median_ratio, digits: 2, target: { atMost: q.targets.cpu_ratio } },
    { what: 'the same for thumbnails up to 256 px', figure: q.cpu.thumb_median_ratio, digits: 2, target: { atMost: q.targets.thumb_cpu_ratio } },
  ];
}
