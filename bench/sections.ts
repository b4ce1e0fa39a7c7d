/**
 * The bench's sections, in the order they run and appear in RESULTS.md. A section joins with one
 * entry here (bench/section.ts says what an entry holds): how it runs at each size, the figures its
 * smoke run must produce (test/integration/bench-smoke.test.ts checks them), and its report.
 */
import { admittedVariants } from '../functions/core/variants.ts';
import { distribution } from '../infra/distribution.ts';
import { benchAttacks } from './attacks.ts';
import type { AttackResult } from './attacks.ts';
import { benchCapacity, benchLambdaRenderer } from './attacks-capacity.ts';
import type { LambdaRendererResult, ServerCapacity } from './attacks-capacity.ts';
import { benchColdStart } from './cold-start.ts';
import { costResult } from './cost.ts';
import { benchHitPath } from './hit-path.ts';
import { benchImageEngine } from './image-engine.ts';
import { benchMemory } from './memory.ts';
import { benchMissPath, TARGET_ANY, TARGET_CROSS_REGION, TARGET_MEDIAN } from './miss-path.ts';
import { attacksReport } from './report/attacks.ts';
import { coldReport } from './report/cold.ts';
import { costReport } from './report/cost.ts';
import { engineReport } from './report/engine.ts';
import { hitReport } from './report/hit.ts';
import { memoryReport } from './report/memory.ts';
import { missReport } from './report/miss.ts';
import { qualityReport } from './report/quality.ts';
import { setReport } from './report/set.ts';
import { tuningReport } from './report/tuning.ts';
import { viewerReport } from './report/viewer.ts';
import { benchQuality } from './quality.ts';
import type { QualityResult } from './quality.ts';
import { benchResponsiveSet, TARGET_ANY_MISS, TARGET_SERVED } from './responsive-set.ts';
import type { SetResult } from './responsive-set.ts';
import { defineSection } from './section.ts';
import type { BenchSection } from './section.ts';
import { benchTuning } from './tuning.ts';
import { benchViewer } from './viewer.ts';

export type MissPathResult = Awaited<ReturnType<typeof benchMissPath>> & { readonly targets: { cross_region: number; other: number; median: number } };

export interface ResponsiveSetResult {
  readonly targets: { readonly served_median: Readonly<Record<string, number>>; readonly any_miss: number };
  readonly sources: readonly SetResult[];
}

export interface ImageEngineResult {
  readonly baseline_rss_mb: number;
  readonly cases: readonly {
    case: string;
    output: string;
    median_ms: number;
    runs: number;
    peak_rss_mb: number;
    peak_over_baseline_mb: number;
    output_kb: number;
    size: string;
  }[];
}

export interface AttacksResult {
  readonly variants_per_original: number;
  readonly cases: readonly AttackResult[];
  /** image-resize's render process as Lambda runs it. */
  readonly lambda?: LambdaRendererResult;
  /** The long-running servers' pools with the shipped settings, two over-budget renders in flight. */
  readonly capacity?: readonly ServerCapacity[];
}

const first = <T>(xs: readonly T[]): T | undefined => xs[0];

export const missSection: BenchSection<MissPathResult> = {
  name: 'miss',
  key: 'miss_path',
  title: 'miss path: image-resize vs floor vs bare sharp, every source x preset/format',
  async run({ mode, sources, filter, progress }) {
    const sizes = {
      full: { budgetMsPerCase: 2200, minRounds: 5, maxRounds: 127 },
      // The thumbnail preset of each source, not all ten cases.
      quick: { budgetMsPerCase: 300, minRounds: 2, maxRounds: 3, labels: ['thumb'] },
      smoke: { budgetMsPerCase: 0, minRounds: 1, maxRounds: 1, labels: ['thumb'], filter: '1mp-jpeg >' },
    }[mode];
    const result = await benchMissPath({
      sources,
      ...(filter ? { filter } : {}),
      ...sizes,
      onCase: (row, index, total) =>
        progress(
          `${String(index + 1).padStart(2)}/${total} ${row.case.padEnd(62)} miss ${row.miss.median_ms.toFixed(1).padStart(7)}  floor ${row.floor.median_ms.toFixed(1).padStart(7)}  bare ${row.bare.median_ms.toFixed(1).padStart(7)}  miss/floor ${row.miss_vs_floor.toFixed(2)}${row.within_target ? '' : ' (over)'}`,
        ),
    });
    return { targets: { cross_region: TARGET_CROSS_REGION, other: TARGET_ANY, median: TARGET_MEDIAN }, ...result };
  },
  figures: (r) => ({ cases: r.cases.length, miss_ms: first(r.cases)?.miss.median_ms, miss_vs_floor: first(r.cases)?.miss_vs_floor }),
  report: missReport,
};

const setSection: BenchSection<ResponsiveSetResult> = {
  name: 'set',
  key: 'responsive_set',
  title: 'a responsive set from one big original: mezzanine vs direct (7 widths + 128x128, WebP then AVIF)',
  async run({ mode, sources, progress }) {
    const sizes = {
      // Up to 16 rounds, only for the requests up to the last one near or over a target after the first five.
      full: { rounds: 5, maxRounds: 16 },
      // The 40 MP JPEG alone, no floor (the whole section takes minutes on a loaded machine).
      quick: { rounds: 1, only: ['40mp-jpeg'], noFloor: true },
      smoke: { rounds: 1, only: ['12mp-jpeg'], noFloor: true, variants: 2 },
    }[mode];
    const set = await benchResponsiveSet({
      sources,
      ...sizes,
      onSource: (r) =>
        progress(
          `${r.source.padEnd(10)} ${r.rounds} rounds, served ${r.served}/${r.requests.length}, median CPU ratio ${r.served_median_ratio ?? '-'} (target ${r.target_served}), worst ${r.max_ratio} ${r.max_ratio_variant} (target ${TARGET_ANY_MISS}); same work on both paths: ${r.same_work.requests} requests, median ${r.same_work.median_cpu_ratio ?? '-'}, worst ${r.same_work.worst_cpu_ratio ?? '-'}`,
        ),
    });
    return { targets: { served_median: TARGET_SERVED, any_miss: TARGET_ANY_MISS }, sources: set };
  },
  figures: (r) => ({ sources: r.sources.length, worst_cpu_ratio: first(r.sources)?.max_ratio }),
  report: setReport,
};

export const tuningSection = {
  name: 'tuning',
  key: 'tuning',
  title: 'engine settings (JPEG encoder, AVIF effort, threads)',
  run: ({ mode, sources }) => benchTuning(sources, { full: 7, quick: 3, smoke: 1 }[mode], mode === 'smoke'),
  figures: (r) => ({
    jpeg_ms: first(r.jpeg_og_12mp)?.median_ms,
    avif_ms: first(r.avif_card_12mp)?.median_ms,
    threads_ms: first(r.threads)?.median_ms,
    stream_ms: r.stream_into_sharp.result_after_last_chunk_ms,
  }),
  report: tuningReport,
} satisfies BenchSection<Awaited<ReturnType<typeof benchTuning>>>;

const viewerSection = {
  name: 'viewer',
  key: 'viewer',
  title: 'viewer functions: image-request and signed-url vs by hand',
  run: ({ mode }) => benchViewer(mode === 'smoke' ? { rounds: 1, roundMs: 20 } : {}),
  figures: (r) => ({
    handler_ops_per_s: first(r.handlers)?.handler_ops_per_s,
    signed_url_worst_ratio: r.signed_url_verify.worst_ratio,
    cloudfront_function_us: r.cloudfront_function ? first(r.cloudfront_function.cases)?.cloudfront_function_us : undefined,
  }),
  report: viewerReport,
} satisfies BenchSection<Awaited<ReturnType<typeof benchViewer>>>;

const coldSection = {
  name: 'cold',
  key: 'cold_start',
  title: 'cold start: package, then node start to first answer',
  run: ({ mode }) => benchColdStart({ runs: { full: 9, quick: 3, smoke: 1 }[mode] }),
  figures: (r) => ({ bare_node_ms: r.bare_node_ms, functions: r.functions.length, first_wall_ms: first(r.functions)?.wall_ms }),
  report: coldReport,
} satisfies BenchSection<Awaited<ReturnType<typeof benchColdStart>>>;

const hitSection = {
  name: 'hit',
  key: 'hit_path',
  title: 'hit path: local edge vs plain node:http (autocannon, loopback)',
  run: ({ mode }) =>
    benchHitPath({ seconds: { full: 4, quick: 2, smoke: 1 }[mode], rounds: mode === 'full' ? 2 : 1, connections: 16, inspector: mode !== 'smoke' }),
  figures: (r) => ({ plain_rps: r.plain.rps, ...Object.fromEntries(r.servers.map((s) => [`${s.label}: x plain`, s.vs_plain])) }),
  report: hitReport,
} satisfies BenchSection<Awaited<ReturnType<typeof benchHitPath>>>;

const memorySection = {
  name: 'memory',
  key: 'memory',
  title: 'memory: peak RSS per source and preset (one process each)',
  processPerCase: true,
  run: ({ mode, sources }) => benchMemory(sources, mode === 'smoke'),
  figures: (r) => ({ baseline_rss_mb: r.baseline_rss_mb, cases: r.cases.length, peak_rss_mb: first(r.cases)?.peak_rss_mb }),
  report: memoryReport,
} satisfies BenchSection<Awaited<ReturnType<typeof benchMemory>>>;

const engineSection: BenchSection<ImageEngineResult> = {
  name: 'engine',
  key: 'image_engine',
  title: 'engine: every output format and the worst sources the limits admit (one process each)',
  processPerCase: true,
  run: async ({ mode }) => (await benchImageEngine(mode === 'smoke' ? { only: ['12mp-jpeg-to-128x128-avif'] } : {})) as unknown as ImageEngineResult,
  figures: (r) => ({ baseline_rss_mb: r.baseline_rss_mb, cases: r.cases.length, median_ms: first(r.cases)?.median_ms }),
  report: engineReport,
};

const attacksSection: BenchSection<AttacksResult> = {
  name: 'attacks',
  key: 'attacks',
  title: 'attacks: crafted sources against the cost model (one process each, 20 s cap), the render budget, the capacity',
  processPerCase: true,
  run: async ({ mode }) => ({
    variants_per_original: admittedVariants(distribution.images).length,
    // The baseline and the first attack in the smoke run.
    cases: await benchAttacks(20, mode === 'smoke' ? 2 : undefined),
    // image-resize's render process as Lambda runs it, and the servers' pools with the shipped settings.
    lambda: await benchLambdaRenderer({ full: 9, quick: 3, smoke: 1 }[mode]),
    capacity: await benchCapacity({ full: 4, quick: 1, smoke: 1 }[mode], mode === 'smoke' ? 1 : 4),
  }),
  figures: (r) => ({
    cases: r.cases.length,
    baseline_ms: first(r.cases)?.ms,
    first_attack_ms: r.cases[1]?.ms,
    lambda_spawn_ms: r.lambda?.spawn_ms,
    ...Object.fromEntries((r.capacity ?? []).map((c) => [`${c.server} x alone, set aside`, c.during_set_aside.median_ratio])),
  }),
  report: attacksReport,
};

const qualitySection: BenchSection<QualityResult> = {
  name: 'quality',
  key: 'quality',
  title: 'quality: one scale across formats and q=auto, on fixtures/corpus/',
  run: ({ mode, sources, progress }) =>
    benchQuality({
      cpuRounds: mode === 'full' ? 2 : 1,
      cpuEvery: mode === 'smoke' ? 1 : 3,
      // The smoke run: the corpus's first image only, and no large source.
      ...(mode === 'smoke' ? { every: 1000 } : mode === 'quick' ? { every: 4 } : {}),
      ...(mode === 'smoke'
        ? {}
        : { largeSources: sources.filter((s) => s.name === '12mp-jpeg' || s.name === '12mp-png').map((s) => [s.name, s.file] as const) }),
      onImage: progress,
    }),
  figures: (r) => ({
    images: r.images,
    spread: r.calibrated_q75_spread,
    cpu_ratio: r.cpu.median_ratio,
    ...Object.fromEntries(r.formats.map((f) => [`${f.format} auto/fixed`, f.auto_vs_fixed_bytes])),
  }),
  report: qualityReport,
};

const costSection = {
  name: 'cost',
  key: 'cost',
  title: 'cost model from the miss path',
  derived: true,
  run: async ({ resultOf }) => {
    const miss = resultOf(missSection);
    return miss ? costResult(miss.cases, distribution.functions['image-resize'].memoryMb) : undefined;
  },
  figures: (r) => ({ rows: r.rows.length, first_resize_per_million: first(r.rows)?.resize_lambda_per_million }),
  report: costReport,
} satisfies BenchSection<ReturnType<typeof costResult>>;

export const SECTIONS: readonly BenchSection<unknown>[] = [
  defineSection(missSection),
  defineSection(setSection),
  defineSection(tuningSection),
  defineSection(viewerSection),
  defineSection(coldSection),
  defineSection(hitSection),
  defineSection(memorySection),
  defineSection(engineSection),
  defineSection(attacksSection),
  defineSection(qualitySection),
  defineSection(costSection),
];
