/** The responsive set in RESULTS.md: a set of widths from one big original, with and without the mezzanine. */
import type { HeadlineRow, ReportContext, SectionReport } from '../section.ts';
import type { ResponsiveSetResult } from '../sections.ts';
import { fmt, int, money, table, verdict } from './format.ts';

export const setReport: SectionReport<ResponsiveSetResult> = { headline, body };

function headline(rs: ResponsiveSetResult): HeadlineRow[] {
  return rs.sources.flatMap((set): HeadlineRow[] => [
    {
      what: `responsive set, ${set.source}: median CPU ratio mezzanine / direct over the ${set.served} misses it served`,
      figure: set.served_median_ratio,
      digits: 2,
      // No target where nothing read a mezzanine: the original gets none.
      ...(set.served > 0 ? { target: { atMost: set.target_served } } : {}),
      detail: set.served === 0 ? 'not applicable: no miss read a mezzanine (this original gets none)' : '',
    },
    {
      what: `responsive set, ${set.source}: worst miss of the set, CPU ratio`,
      figure: set.max_ratio,
      digits: 2,
      target: { atMost: rs.targets.any_miss },
      detail: set.max_ratio_variant,
    },
  ]);
}

function body(rs: ResponsiveSetResult, ctx: ReportContext): string[] {
  const out: string[] = [];
  out.push('## A responsive set from one big original', '', ...ctx.provenance);
  out.push(
    "The 7 widths of the policy and the 128x128 box, in WebP then AVIF (16 misses), requested in that order, each a real miss on the embedded S3 (bench/responsive-set.ts). **mezzanine**: image-resize as deployed: the first miss too large for the mezzanine makes it, the misses it serves read it (functions/core/mezzanine.ts). **direct**: the same handler, engine and encoder settings without a mezzanine: every miss reads the original. **floor**: the plainest GetObject -> sharp -> PutObject (WebP half only: its AVIF is sharp's default effort 4). Each path reads its own copy of the original; within a round the two run side by side request by request (which goes first alternates), a full garbage collection after each run. Ratios are per request, mezzanine / direct of the same round, median over rounds; the targets are judged on process CPU time, which the machine's other load moves far less than wall time (wall ratios beside them).",
    '',
  );
  for (const set of rs.sources) {
    out.push(`### ${set.source} (${fmt(set.source_mp)} MP, ${int(set.source_bytes)} bytes), up to ${set.rounds} round${set.rounds === 1 ? '' : 's'}`, '');
    out.push(
      table(
        [
          'variant',
          'read',
          'mezzanine ms',
          'direct ms',
          'floor ms',
          'wall ratio',
          'CPU mezzanine ms',
          'CPU direct ms',
          'CPU ratio',
          'CPU ratio, lowest-highest round',
          'rounds',
        ],
        set.requests.map((q) => [
          q.variant,
          `${q.read}${q.made_mezzanine ? ', made it' : ''}`,
          fmt(q.mezzanine_ms),
          fmt(q.direct_ms),
          q.floor_ms === null ? '-' : fmt(q.floor_ms),
          fmt(q.ratio, 2),
          fmt(q.cpu_ms.mezzanine),
          fmt(q.cpu_ms.direct),
          `${fmt(q.cpu_ratio, 2)}${q.cpu_ratio > rs.targets.any_miss ? ' **over**' : ''}`,
          q.cpu_ratio_range ? `${fmt(q.cpu_ratio_range[0], 2)}-${fmt(q.cpu_ratio_range[1], 2)}` : '-',
          q.rounds === undefined ? '-' : String(q.rounds),
        ]),
        ['read'],
      ),
      '',
    );
    const maker = set.requests.find((q) => q.made_mezzanine);
    const served = set.requests.filter((q) => q.read === 'mezzanine');
    const over = set.requests.filter((q) => q.cpu_ratio > rs.targets.any_miss);
    const lines: string[] = [];
    lines.push(
      set.served_median_ratio === null
        ? `- No miss read a mezzanine: ${maker ? 'one was made but nothing after it could use it' : 'this original gets none (see functions/core/mezzanine.ts for which originals do)'}; target ${set.target_served} not applicable, every miss reads the original.`
        : `- Over the ${served.length} misses the mezzanine served, the median CPU ratio is ${fmt(set.served_median_ratio, 2)} against a target of ${set.target_served}: **${verdict(set.served_median_ratio, { atMost: set.target_served })}** (wall: ${fmt(set.served_median_wall_ratio, 2)}).`,
    );
    lines.push(
      `- Worst miss of the set: ${set.max_ratio_variant} at ${fmt(set.max_ratio, 2)} CPU (wall ${fmt(set.max_wall_ratio, 2)}) against ${rs.targets.any_miss}: **${verdict(set.max_ratio, { atMost: rs.targets.any_miss })}**${over.length > 0 ? `; over it: ${over.map((q) => `${q.variant} ${fmt(q.cpu_ratio, 2)}${q.made_mezzanine ? ' (made the mezzanine)' : ''}`).join(', ')}` : ''}.`,
    );
    if (maker)
      lines.push(
        `- The miss that made the mezzanine (${maker.variant}, ${int(set.mezzanine_bytes)} bytes) cost ${fmt(maker.cpu_ms.mezzanine - maker.cpu_ms.direct)} ms of CPU more than the same miss without it (${fmt(maker.cpu_ratio, 2)}x): the mezzanine's encode from the pixels the variant was resized from (one decode), and its write.`,
      );
    if (set.same_work)
      lines.push(
        set.same_work.requests > 0
          ? `- Noise check: ${set.same_work.requests} request${set.same_work.requests === 1 ? '' : 's'} ran the same code on the same bytes on both paths (${set.requests.some((q) => q.made_mezzanine) ? 'those before the mezzanine was made' : 'this original gets no mezzanine'}): median CPU ratio ${fmt(set.same_work.median_cpu_ratio, 2)}, worst ${fmt(set.same_work.worst_cpu_ratio, 2)}. What a ratio differs from 1.0 there is noise alone.`
          : '- Noise check: no request ran the same work on both paths (the first miss made the mezzanine).',
      );
    lines.push(
      `- The whole set: ${fmt(set.totals_cpu_ms.mezzanine)} ms of CPU with the mezzanine, ${fmt(set.totals_cpu_ms.direct)} ms without (${fmt(set.totals_cpu_ms.mezzanine / set.totals_cpu_ms.direct, 2)}x); wall ${fmt(set.totals_ms.mezzanine)} vs ${fmt(set.totals_ms.direct)} ms.` +
        (set.totals_ms.floor_webp > 0
          ? ` Its WebP half against the floor: ${fmt(set.totals_ms.mezzanine_webp)} ms with the mezzanine, ${fmt(set.totals_ms.direct_webp)} ms direct, ${fmt(set.totals_ms.floor_webp)} ms floor (${fmt(set.totals_ms.mezzanine_webp / set.totals_ms.floor_webp, 2)}x and ${fmt(set.totals_ms.direct_webp / set.totals_ms.floor_webp, 2)}x the floor, wall).`
          : ''),
    );
    const g = set.per_million_sets;
    lines.push(
      `- Lambda@Edge for 1M such sets at ${int(g.memory_mb)} MB (16M misses, billed as the CPU time measured, scaled as in the cost model): ${int(g.gb_seconds.mezzanine)} GB-s (${money(g.usd.mezzanine)}) with the mezzanine, ${int(g.gb_seconds.direct)} GB-s (${money(g.usd.direct)}) without.`,
    );
    out.push(...lines, '');
  }
  return out;
}
