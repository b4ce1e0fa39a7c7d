/** Crafted sources against the admission cost model, the render budget and the servers' capacity, in RESULTS.md. */
import type { HeadlineRow, ReportContext, SectionReport } from '../section.ts';
import type { AttacksResult } from '../sections.ts';
import { fmt, int, table } from './format.ts';

/** With two over-budget renders in flight, an ordinary miss takes at most this many times its time alone. */
const CAPACITY_TARGET = 2;

export const attacksReport: SectionReport<AttacksResult> = { headline, body };

function headline(a: AttacksResult): HeadlineRow[] {
  const rows: HeadlineRow[] = [];
  for (const c of a.capacity ?? []) {
    const non200 = Object.entries({ ...c.during_start.statuses, ...c.during_set_aside.statuses }).filter(([status]) => status !== '200');
    rows.push({
      what: `${c.server}: ordinary miss with two over-budget renders in flight / alone (median, once set aside)`,
      figure: c.during_set_aside.median_ratio,
      digits: 2,
      target: { atMost: CAPACITY_TARGET },
      detail: `worst ${fmt(c.during_set_aside.max_ratio, 2)}; right after they start ${fmt(c.during_start.median_ratio, 2)} (worst ${fmt(c.during_start.max_ratio, 2)}); ${non200.length === 0 ? 'every ordinary miss 200' : `non-200: ${non200.map(([s, n]) => `${n} x ${s}`).join(', ')}`}`,
    });
  }
  if (a.lambda) {
    for (const o of a.lambda.ordinary) {
      rows.push({
        what: `image-resize's render process / in-process render, ${o.case}`,
        figure: o.ratio,
        digits: 2,
        detail: `${fmt(o.child_ms, 1)} vs ${fmt(o.in_process_ms, 1)} ms`,
      });
    }
  }
  return rows;
}

function body(a: AttacksResult, ctx: ReportContext): string[] {
  const out = [
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
  if (a.lambda) {
    const l = a.lambda;
    out.push(
      '### The render budget in image-resize',
      '',
      `image-resize renders in a warm child process it kills past the budget (functions/adapters/image/render-process.ts). A fresh process was ready in ${fmt(l.spawn_ms, 0)} ms (once per instance). A misjudged render admitted by the cost model ended with ${l.misjudged.child.status} after ${int(l.misjudged.child.ms)} ms against a budget of ${int(l.misjudged.budget_ms)} ms.`,
      '',
      table(
        ['ordinary miss', 'source bytes', 'in the handler ms', 'in the render process ms', 'ratio'],
        l.ordinary.map((o) => [o.case, int(o.source_bytes), fmt(o.in_process_ms, 1), fmt(o.child_ms, 1), fmt(o.ratio, 2)]),
      ),
      '',
    );
  }
  if (a.capacity && a.capacity.length > 0) {
    out.push(
      '### Capacity with two over-budget renders in flight',
      '',
      `Rounds of ordinary misses alone, then two misjudged renders started and ordinary misses asked at once and again once the pool has set the two aside; each miss against the median alone of its own round (bench/attacks-capacity.ts), with the shipped settings. Target: at most ${CAPACITY_TARGET}x, and never a 503.`,
      '',
      table(
        [
          'server',
          'rounds',
          'alone ms',
          'start: median x',
          'start: worst x',
          'set aside: median x',
          'set aside: worst x',
          'ordinary statuses',
          'misjudged statuses',
        ],
        a.capacity.map((c) => [
          c.server,
          int(c.rounds),
          fmt(c.alone_median_ms, 1),
          fmt(c.during_start.median_ratio, 2),
          fmt(c.during_start.max_ratio, 2),
          fmt(c.during_set_aside.median_ratio, 2),
          fmt(c.during_set_aside.max_ratio, 2),
          Object.entries({ ...c.during_start.statuses })
            .map(([s, n]) => `${n} x ${s}`)
            .join(', '),
          c.misjudged.statuses.join(', '),
        ]),
        ['server'],
      ),
      '',
    );
  }
  return out;
}
