/**
 * bench/RESULTS.md and bench/miss-path.svg from the results of one run (bench/results.json). The
 * tables are generated; the explanations are written here once and name the figures they rest on.
 */
import { ASSUMPTIONS, HIT_RATIOS, lambdaCost, PRICES, viewerNormalizerCost } from './cost.ts';
import type { CostRow } from './cost.ts';
import type { MissRow, SourceIo } from './miss-path.ts';
import type { SetResult } from './responsive-set.ts';
import type { Source } from './sources.ts';

export interface SectionRun {
  readonly command: string;
  readonly commit: string;
  readonly when: string;
  readonly seconds: number;
}

const SECTION_NAMES: Record<string, string> = {
  miss: 'Miss path',
  set: 'A responsive set from one big original',
  tuning: 'Engine settings',
  viewer: 'Viewer functions',
  cold: 'Cold start',
  hit: 'Hit path of the local edge',
  memory: 'Memory',
  engine: 'The engine on every output format',
  attacks: 'Attacks against the cost model (results.json only)',
};

const day = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

/** The line under a section's title: which run produced it (sections not run keep their own). */
function provenance(r: Results, key: string): string[] {
  const run = r.sections?.[key];
  if (!run)
    return [
      `_Produced by a run before sections recorded their command and commit (the section's date: ${r.section_when?.[key] ? day(r.section_when[key]!) : 'unknown'})._`,
      '',
    ];
  return [`_Produced by \`${run.command}\` at commit ${run.commit} on ${day(run.when)} in ${run.seconds} s._`, ''];
}
import { median } from './stats.ts';

export interface Results {
  readonly when: string;
  readonly seconds?: number;
  readonly command?: string;
  readonly section_when?: Record<string, string>;
  /** Per section: the command, commit and date of the run that produced its figures. */
  readonly sections?: Record<string, SectionRun>;
  /** The last run of every section in one invocation (no --only, --quick or --filter). */
  readonly full_run?: { readonly when: string; readonly seconds: number; readonly commit: string };
  readonly responsive_set?: { targets: { served_median: Record<string, number>; any_miss: number }; sources: SetResult[] };
  readonly machine: Record<string, unknown>;
  readonly sources?: readonly Source[];
  readonly miss_path?: {
    settings: Record<string, unknown>;
    targets: { cross_region: number; other: number; median: number };
    io: SourceIo[];
    cases: MissRow[];
  };
  readonly tuning?: {
    jpeg_og_12mp: { setting: string; median_ms: number; kb: number; ssim: number }[];
    avif_card_12mp: { setting: string; median_ms: number; kb: number }[];
    threads: { case: string; median_ms: number }[];
    stream_into_sharp?: { decode_from_buffer_ms: number; result_after_last_chunk_ms: number };
  };
  readonly viewer?: {
    handlers: Record<string, unknown>[];
    signed_url_verify: { target_ratio: number; worst_ratio: number; cases: Record<string, unknown>[] };
    cloudfront_function?: { code_bytes: number; limit_bytes: number; headroom_bytes: number; cases: Record<string, unknown>[] };
  };
  readonly cold_start?: { bare_node_ms: number; sharp_require_ms?: number; runs: number; functions: Record<string, unknown>[] };
  readonly hit_path?: Record<string, unknown>;
  readonly memory?: { baseline_rss_mb: number; limits: Record<string, number>; cases: Record<string, unknown>[] };
  readonly image_engine?: { baseline_rss_mb: number; cases: Record<string, unknown>[] };
  readonly cost?: { memory_mb_deployed: number; rows: CostRow[] };
}

/** The local edge's hit path against plain node:http, requests per second (issue 19). */
const HIT_TARGET = 0.5;

const fmt = (n: unknown, digits = 1) => (typeof n === 'number' && Number.isFinite(n) ? n.toFixed(digits) : '-');
const int = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
const kb = (bytes: unknown) => (typeof bytes === 'number' ? (bytes / 1024).toFixed(1) : '-');
const money = (n: unknown) => (typeof n === 'number' ? `$${n < 10 ? n.toFixed(2) : n.toFixed(0)}` : '-');

/** A Markdown table: text columns (named in `left`, and the first) left-aligned, figures right-aligned. */
function table(header: readonly string[], rows: readonly (readonly string[])[], left: readonly string[] = []): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  const align = header.map((h, i) => (i === 0 || left.includes(h) ? '---' : '---:'));
  return [line(header), line(align), ...rows.map(line)].join('\n');
}

export function renderMarkdown(r: Results): string {
  const out: string[] = [];
  const m = r.machine;
  out.push('# Benchmark results', '');
  out.push(
    `Written by bench/main.ts from bench/results.json; the last run was \`${r.command ?? 'npm run bench'}\` on ${day(r.when)} (${r.seconds ?? '?'} s) on ${String(m['cpus'])} x ${String(m['model'])}, shared with other work; Node ${String(m['node'])}, sharp ${String(m['sharp'])}, libvips ${String(m['vips'])}. ` +
      'Each section says which run produced it (a `--only` run rewrites only its own sections). Every figure is a median of interleaved rounds and every ratio compares two things measured side by side in the same run, because the machine is noisy: compare ratios between runs, not milliseconds. Raw figures: [results.json](results.json).',
    '',
  );
  out.push(
    table(
      ['section', 'command', 'commit', 'date', 'seconds'],
      Object.entries(SECTION_NAMES).map(([key, name]) => {
        const run = r.sections?.[key];
        return [
          name,
          run ? `\`${run.command}\`` : 'before provenance was recorded',
          run?.commit ?? '-',
          run ? day(run.when) : r.section_when?.[key] ? day(r.section_when[key]!) : '-',
          run ? String(run.seconds) : String((r as { section_seconds?: Record<string, number> }).section_seconds?.[key] ?? '-'),
        ];
      }),
      ['command', 'commit', 'date'],
    ),
    '',
    r.full_run
      ? `The whole bench (every section, \`npm run bench\`) last ran on ${day(r.full_run.when)} at commit ${r.full_run.commit} and took ${r.full_run.seconds} s.`
      : 'No run of the whole bench (every section in one invocation) is recorded in results.json since sections recorded their provenance.',
    '',
  );

  headline(r, out);
  missPath(r, out);
  responsiveSet(r, out);
  tuning(r, out);
  viewer(r, out);
  coldStart(r, out);
  hitPath(r, out);
  memory(r, out);
  engine(r, out);
  cost(r, out);
  return `${out.join('\n')}\n`;
}

function headline(r: Results, out: string[]): void {
  out.push('## Where we stand', '');
  const rows: string[][] = [];
  const miss = r.miss_path?.cases ?? [];
  if (miss.length > 0) {
    const over = miss.filter((c) => !c.within_target);
    const large = miss.filter((c) => c.s3_latency_ms > 0);
    const small = miss.filter((c) => c.s3_latency_ms === 0);
    const range = (xs: MissRow[], f: (c: MissRow) => number) => (xs.length ? `${fmt(Math.min(...xs.map(f)), 2)} to ${fmt(Math.max(...xs.map(f)), 2)}` : '-');
    rows.push([
      'miss path, S3 a region away: miss_vs_floor',
      range(large, (c) => c.miss_vs_floor),
      `<= ${r.miss_path!.targets.cross_region}, median <= ${r.miss_path!.targets.median}`,
      `${large.filter((c) => c.within_target).length} of ${large.length} cases within`,
    ]);
    rows.push([
      'miss path, S3 at 0 ms: miss_vs_floor',
      range(small, (c) => c.miss_vs_floor),
      `<= ${r.miss_path!.targets.other}, median <= ${r.miss_path!.targets.median}`,
      `${small.filter((c) => c.within_target).length} of ${small.length} cases within`,
    ]);
    rows.push([
      'miss path: CPU time miss / floor (all cases)',
      range(miss, (c) => c.cpu_miss_vs_floor),
      '-',
      'the same ratio in process CPU time, which other load moves less',
    ]);
    rows.push([
      'miss path: miss_vs_bare (S3 and handler over sharp alone)',
      range(miss, (c) => c.miss_vs_bare),
      '-',
      `${over.length} cases over their target in all`,
    ]);
  }
  for (const h of r.viewer?.handlers ?? []) {
    rows.push([
      `${String(h['name'])}: hand-written / handler ops/s`,
      fmt(h['baseline_vs_handler'], 2),
      '-',
      `${int(h['handler_ops_per_s'])} ops/s, ${int(h['handler_bytes_per_request'])} B/request`,
    ]);
  }
  if (r.viewer)
    rows.push([
      'signed-url verifier / bare crypto.verify (worst case)',
      fmt(r.viewer.signed_url_verify.worst_ratio, 2),
      `<= ${r.viewer.signed_url_verify.target_ratio}`,
      '',
    ]);
  for (const f of r.cold_start?.functions ?? []) {
    rows.push([
      `cold start ${String(f['function'])} / bare node`,
      fmt(f['vs_bare_node'], 2),
      '-',
      `${fmt(f['wall_ms'])} ms vs ${fmt(r.cold_start!.bare_node_ms)} ms`,
    ]);
  }
  for (const set of r.responsive_set?.sources ?? []) {
    rows.push([
      `responsive set, ${set.source}: median CPU ratio mezzanine / direct over the ${set.served} misses it served`,
      set.served_median_ratio === null ? 'none served' : fmt(set.served_median_ratio, 2),
      `<= ${set.target_served}`,
      set.served === 0 ? 'not applicable: no miss read a mezzanine (this original gets none)' : set.served_within ? 'met' : 'not met',
    ]);
    rows.push([
      `responsive set, ${set.source}: worst miss of the set, CPU ratio`,
      fmt(set.max_ratio, 2),
      `<= ${r.responsive_set!.targets.any_miss}`,
      `${set.max_within ? 'met' : 'not met'} (${set.max_ratio_variant})`,
    ]);
  }
  if (r.hit_path) {
    const ratio = Number(r.hit_path['edge_vs_plain'] ?? 1 / Number(r.hit_path['plain_vs_edge']));
    rows.push([
      'hit path: local edge / plain node:http rps',
      fmt(ratio, 2),
      `>= ${HIT_TARGET}`,
      `${ratio >= HIT_TARGET ? 'met' : 'not met'}: ${int((r.hit_path['edge'] as Record<string, number>)['rps'])} vs ${int((r.hit_path['plain'] as Record<string, number>)['rps'])} rps`,
    ]);
  }
  const mem = r.memory?.cases ?? [];
  if (mem.length) {
    const peak = mem.reduce((a, b) => (Number(b['peak_rss_mb']) > Number(a['peak_rss_mb']) ? b : a));
    rows.push(['peak RSS of one resize (largest case)', `${fmt(peak['peak_rss_mb'])} MB`, '-', `${String(peak['source'])} > ${String(peak['preset'])}`]);
  }
  const thumb = r.cost?.rows.find((c) => c.case.startsWith('12mp-jpeg > thumb') && c.memory_mb === r.cost?.memory_mb_deployed);
  if (thumb) {
    rows.push([
      'Lambda@Edge per 1M new 128x128 thumbnails (12 MP JPEG, 1,536 MB)',
      money(thumb.resize_lambda_per_million),
      '-',
      `everything per 1M requests at 95% hits: ${money(thumb.per_million_requests['0.95'])}`,
    ]);
  }
  out.push(table(['what', 'figure', 'target', 'detail'], rows, ['detail']), '');
}

function missPath(r: Results, out: string[]): void {
  const mp = r.miss_path;
  if (!mp) return;
  out.push('## Miss path: a thumbnail made on a cache miss', '', ...provenance(r, 'miss'));
  out.push(
    'Three ways to make the same thumbnail, run side by side, in rotating order, in one process against the embedded S3 (s3rver on loopback):',
    '',
    '- **miss**: the image-resize handler on a real miss: an origin-response 404 event, GetObject of the original, the header check, sharp, a conditional PutObject (`If-None-Match: *`), the base64 answer. What a run stored is deleted after it (untimed), so every run is a real miss and a real write.',
    "- **floor**: the plainest code that does the same job: GetObject, `transformToByteArray()`, `sharp(bytes).rotate().resize(box, fit).toFormat(format, { quality })` (plus `animated: true` for an animated output), PutObject, base64. Everything else is sharp's default (encoder effort, one thread on this glibc build). It may make different bytes: both sizes are shown.",
    "- **bare**: the engine's own sharp pipeline (`renderInspected` in render.ts: the same options, the same output bytes as miss) on bytes already in memory, the header already read: sharp's work alone, no S3, no checks. The physical limit for that output.",
    '',
    `Targets: \`miss_vs_floor\` at most ${mp.targets.other} in every case with S3 at 0 ms, at most ${mp.targets.cross_region} with S3 a region away (cases marked @ms), a median of at most ${mp.targets.median} at each. ` +
      `The ratios are medians of round-by-round ratios (miss and floor of the same round ran back to back), which drift between rounds on a shared machine cannot move; results.json also has the ratios of the medians. Engine threads: ${String(mp.settings['engine_threads'])}, floor threads: ${String(mp.settings['floor_threads'])}, libvips cache: ${String(mp.settings['libvips_cache'])}.`,
    '',
    '![Miss-path time against source megapixels, per output format](miss-path.svg)',
    '',
  );
  const rows = mp.cases.map((c) => [
    c.case,
    fmt(c.miss.median_ms),
    fmt(c.miss.p95_ms),
    fmt(c.floor.median_ms),
    fmt(c.bare.median_ms),
    `${fmt(c.miss_vs_floor, 2)}${c.within_target ? '' : ' **over**'}`,
    fmt(c.target_miss_vs_floor, 2),
    fmt(c.cpu_miss_vs_floor, 2),
    fmt(c.miss_vs_bare, 2),
    `${kb(c.output_bytes)} / ${kb(c.floor_output_bytes)}`,
    String(c.miss.runs),
  ]);
  out.push(
    table(
      [
        'case (source > preset or format (canonical variant))',
        'miss ms',
        'miss p95',
        'floor ms',
        'bare ms',
        'miss/floor',
        'target',
        'CPU miss/floor',
        'miss/bare',
        'KB miss / floor',
        'runs',
      ],
      rows,
    ),
    '',
  );

  out.push(
    "Where the floor's time goes, per source (medians of 11 runs): GetObject of the original with the SDK's `transformToByteArray()` (what the handler and the floor both use), the same GetObject with its body copied into one buffer of Content-Length as it arrives, a PutObject of a small thumbnail, and the engine's header pass (sharp `metadata()`).",
    '',
  );
  out.push(
    table(
      ['source', 'bytes', 'GetObject ms', 'GetObject, body read directly ms', 'PutObject ms', 'header pass ms'],
      mp.io.map((s) => [s.source, int(s.bytes), fmt(s.get_ms), fmt(s.get_direct_ms), fmt(s.put_thumbnail_ms), fmt(s.header_pass_ms, 2)]),
    ),
    '',
  );

  const over = mp.cases.filter((c) => !c.within_target);
  const overLarge = over.filter((c) => c.s3_latency_ms > 0);
  const overOther = over.filter((c) => c.s3_latency_ms === 0);
  const listed = (xs: readonly MissRow[]) => xs.map((c) => `\`${c.case}\` ${fmt(c.miss_vs_floor, 2)} (CPU ${fmt(c.cpu_miss_vs_floor, 2)})`).join(', ');
  out.push('### What limits the paths over target, and what was tried', '');
  if (over.length === 0) out.push('Every case is within its target in this run.', '');
  const io = new Map(mp.io.map((s) => [s.source, s]));
  // What a decoder fed while the body arrives could reach: the transfer hidden behind the decode.
  const streamed = overLarge
    .map((c) => {
      const s = io.get(c.source);
      return s ? (Math.max(s.get_ms, c.bare.median_ms) + s.put_thumbnail_ms) / c.floor.median_ms : Number.NaN;
    })
    .filter(Number.isFinite);
  const jpeg = r.tuning?.jpeg_og_12mp;
  const jpegNow = jpeg?.find((j) => j.setting.startsWith('engine:'));
  const jpegBefore = jpeg?.find((j) => j.setting.startsWith('before:'));
  const jpegFloor = jpeg?.find((j) => j.setting.startsWith("sharp's default"));
  if (overLarge.length > 0) {
    out.push(
      `**Against ${mp.targets.cross_region}, ${overLarge.length} of ${mp.cases.filter((c) => c.s3_latency_ms > 0).length} cases with S3 a region away** (wall ratio, CPU ratio): ${listed(overLarge)}.`,
      '',
      "- **What limits them: the decode and the transfer, one after the other, the same in both paths.** In these cases the floor and the handler do the same sharp work. Shrink-on-load is automatic in sharp for JPEG and WebP, so the floor gets it too (a 12 MP JPEG decodes straight at 1/8 scale), and for a small output the encoder takes a millisecond, so no effort setting moves it (a 12 MP or 40 MP JPEG to a 128x128 WebP, JPEG or PNG; the og and credited JPEGs). What remains is the entropy decoding of every byte of the source (libjpeg-turbo must Huffman-decode all coefficients even at 1/8 scale: the bare column), plus the S3 transfer before it and the write after it. The handler adds its header pass, conditional write and MD5 (about a millisecond) and ends up at about 1.0 of the floor; the CPU ratio, which the machine's other load moves much less, says the same.",
      "- **Streaming the GetObject body into sharp does not overlap decoding with the transfer (verified).** sharp 0.35 collects a stream input in `_write` and `Buffer.concat`s it in `_flattenBufferIn` on `finish`, before libvips sees a byte (sharp's dist/input.mjs; `_pipeline` in dist/output.mjs waits for `finish`), and it has no custom libvips source to feed" +
        (r.tuning?.stream_into_sharp
          ? `. Measured in this run: with all but the last 64 KB of the 12 MP JPEG written into a sharp stream and the last chunk held back, the thumbnail arrives ${fmt(r.tuning.stream_into_sharp.result_after_last_chunk_ms)} ms after the last chunk, a whole decode (${fmt(r.tuning.stream_into_sharp.decode_from_buffer_ms)} ms from a buffer)`
          : '') +
        '. Piping the body in only moves the copy. A FIFO or a growing temp file as libvips input does not work either: libvips sniffs the format by opening the file again, and a short read of a growing file is a truncated JPEG.',
      `- **Tried, measured, and not worth it:** reading the body into one buffer of Content-Length as it arrives instead of the SDK's \`transformToByteArray()\` (collect, concat, copy) is no faster (the GetObject table above: the copies take well under a millisecond per MB); a second metadata pass does not exist (one header pass, ${mp.io.map((s) => fmt(s.header_pass_ms, 2)).join('/')} ms, needed to refuse a decode bomb before decoding), and reading the header from the first chunk while the rest arrives could save at most that. A second libvips thread: see "Engine settings".`,
      streamed.length > 0
        ? `- **What it would take:** a decoder fed while the body arrives would cost about max(GetObject, bare) + PutObject instead of their sum: a median of ${fmt(median(streamed), 2)} of the floor for these cases (${fmt(Math.min(...streamed), 2)} to ${fmt(Math.max(...streamed), 2)}) on this loopback S3, and more against real S3, where the transfer takes tens of milliseconds. That needs libvips' streaming sources (\`VipsSourceCustom\`, which libvips has and sharp does not expose) or a decoder outside sharp: not a setting of this engine.`
        : '',
      '',
    );
  }
  if (overOther.length > 0) {
    out.push(
      `**Against ${mp.targets.other}, ${overOther.length} of ${mp.cases.filter((c) => c.s3_latency_ms === 0).length} cases with S3 at 0 ms** (wall ratio, CPU ratio): ${listed(overOther)}.`,
      '',
      `- These are cases where the engine's settings cannot help (the encoder takes a millisecond, or the same time as the floor's), so miss and floor do the same sharp work and the handler adds what the floor leaves out: the header pass (a native call, ${mp.io.map((s) => fmt(s.header_pass_ms, 2)).join('/')} ms in this run), the conditional write (\`If-None-Match: *\`, which the embedded S3 checks with one more file lookup), the MD5 of the output for the ETag and the S3 deadlines: 1-2 ms, 3-10% of a 15-40 ms miss. Such a case sits at the line, and the noise of a shared machine decides which side; a CPU ratio near 1.0 under a higher wall ratio means waiting for a core, not work.`,
      "- The one lever left is the header pass: reading a JPEG's header (SOF and the EXIF orientation) in JavaScript from the bytes in hand, falling back to sharp for anything else, would save the native call (~0.3-0.8 ms). Not done: it duplicates libvips' header logic in the one place where a divergence is a security issue (the decode-memory check that refuses decompression bombs), for a few percent of the smallest misses.",
      '',
    );
  }
  out.push(
    "**What the engine does better than the floor** (the cases well under target): AVIF at effort 2 instead of sharp's 4 (about 10x faster for ~5% more bytes), GIF at effort 1-3 instead of 7, WebP at effort 3 (animated: 2) instead of 4" +
      (jpegNow && jpegBefore && jpegFloor
        ? `, and JPEG on libjpeg-turbo's fast path with mozjpeg's quantisation table instead of mozjpeg's trellis quantisation and progressive scan optimisation: ${fmt(jpegNow.median_ms)} ms instead of ${fmt(jpegBefore.median_ms)} ms for the og preset from 12 MP (the floor's libjpeg-turbo defaults: ${fmt(jpegFloor.median_ms)} ms), ${fmt(jpegNow.kb)} KB instead of ${fmt(jpegBefore.kb)} KB at a higher SSIM (${fmt(jpegNow.ssim, 4)} vs ${fmt(jpegBefore.ssim, 4)}; the floor: ${fmt(jpegFloor.kb)} KB)`
        : '') +
      '. sharp itself is loaded on the first resize (see "Cold start").',
    '',
  );
}

function responsiveSet(r: Results, out: string[]): void {
  const rs = r.responsive_set;
  if (!rs) return;
  out.push('## A responsive set from one big original', '', ...provenance(r, 'set'));
  out.push(
    "The 7 widths of the policy and the 128x128 box, in WebP then AVIF (16 misses), requested in that order, each a real miss on the embedded S3 (bench/responsive-set.ts). **mezzanine**: image-resize as deployed: the first miss too large for the mezzanine makes it, the misses it serves read it (functions/core/mezzanine.ts). **direct**: the same handler, engine and encoder settings without a mezzanine: every miss reads the original. **floor**: the plainest GetObject -> sharp -> PutObject (WebP half only: its AVIF is sharp's default effort 4). Ratios are per request, mezzanine / direct of the same round, median over rounds; the targets are judged on process CPU time, which the machine's other load moves far less than wall time (wall ratios beside them).",
    '',
  );
  for (const set of rs.sources) {
    out.push(`### ${set.source} (${fmt(set.source_mp)} MP, ${int(set.source_bytes)} bytes), ${set.rounds} round${set.rounds === 1 ? '' : 's'}`, '');
    out.push(
      table(
        ['variant', 'read', 'mezzanine ms', 'direct ms', 'floor ms', 'wall ratio', 'CPU mezzanine ms', 'CPU direct ms', 'CPU ratio'],
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
        : `- Over the ${served.length} misses the mezzanine served, the median CPU ratio is ${fmt(set.served_median_ratio, 2)} against a target of ${set.target_served}: **${set.served_within ? 'met' : 'not met'}** (wall: ${fmt(set.served_median_wall_ratio, 2)}).`,
    );
    lines.push(
      `- Worst miss of the set: ${set.max_ratio_variant} at ${fmt(set.max_ratio, 2)} CPU (wall ${fmt(set.max_wall_ratio, 2)}) against ${rs.targets.any_miss}: **${set.max_within ? 'met' : 'not met'}**${over.length > 0 ? `; over it: ${over.map((q) => `${q.variant} ${fmt(q.cpu_ratio, 2)}${q.made_mezzanine ? ' (made the mezzanine)' : ''}`).join(', ')}` : ''}.`,
    );
    if (maker)
      lines.push(
        `- The miss that made the mezzanine (${maker.variant}, ${int(set.mezzanine_bytes)} bytes) cost ${fmt(maker.cpu_ms.mezzanine - maker.cpu_ms.direct)} ms of CPU more than the same miss without it (${fmt(maker.cpu_ratio, 2)}x): a second decode of the original at the mezzanine's scale and a q95 encode.`,
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
}

function tuning(r: Results, out: string[]): void {
  const t = r.tuning;
  if (!t) return;
  out.push('## Engine settings (measured in this run, bytes in memory)', '', ...provenance(r, 'tuning'));
  out.push('JPEG, the og preset (1200x630, q85) from the 12 MP photo; SSIM over 8x8 luma blocks against the unencoded resize:', '');
  out.push(
    table(
      ['setting', 'ms', 'KB', 'SSIM'],
      t.jpeg_og_12mp.map((j) => [j.setting, fmt(j.median_ms), fmt(j.kb), fmt(j.ssim, 4)]),
    ),
    '',
  );
  out.push(
    "mozjpeg's trellis quantisation and scan optimisation cost several times the encode for bytes that, at equal SSIM, are a few percent fewer (its smaller file at the same q is mostly a lower quality); progressive scans add ~15% to the encode for ~2%. The engine keeps mozjpeg's quantisation table (3), so a quality number means what it meant before.",
    '',
  );
  out.push('AVIF effort, the card preset (640 wide, q75) from the 12 MP photo:', '');
  out.push(
    table(
      ['setting', 'ms', 'KB'],
      t.avif_card_12mp.map((a) => [a.setting, fmt(a.median_ms), fmt(a.kb)]),
    ),
    '',
  );
  out.push('One libvips thread against two (2 cores here, shared with other work):', '');
  out.push(
    table(
      ['case', 'ms'],
      t.threads.map((x) => [x.case, fmt(x.median_ms)]),
    ),
    '',
  );
  out.push(
    'A second thread helps where libvips can split the work (the AVIF encoder) and not where one stage is serial (the JPEG decoder, an animation written frame by frame). The engine keeps one: image-resize has 1,536 MB, and Lambda gives one vCPU at 1,769 MB and less below it, so two threads would share under one core there, and with glibc malloc each thread adds its own arena (sharp sets one thread on glibc for that reason). `configureEngine({ concurrency })` raises it where cores are real (the HTTP image origin on EC2, or image-resize at 3,538 MB and up).',
    '',
  );
}

function viewer(r: Results, out: string[]): void {
  const v = r.viewer;
  if (!v) return;
  out.push('## Viewer functions', '', ...provenance(r, 'viewer'));
  out.push(
    'Each handler against the same work done by hand (bench/viewer-child.ts): the URL API for the rewrite, `crypto.verify` with a key parsed at init for signed URLs, no grammar rules of its own, no log line. ' +
      'The handler serialises its JSON log line (as deployed) but writes nothing. Both are async and get the same event. Allocation: heap growth over 1,000-5,000 calls with a 64 MB young generation and no garbage collection in between (checked).',
    '',
  );
  out.push(
    table(
      ['case', 'handler ops/s', 'by hand ops/s', 'by hand / handler', 'handler us', 'by hand us', 'handler B/req', 'by hand B/req', 'same URI'],
      v.handlers.map((h) => [
        String(h['name']),
        int(h['handler_ops_per_s']),
        int(h['baseline_ops_per_s']),
        fmt(h['baseline_vs_handler'], 2),
        fmt(h['handler_us'], 2),
        fmt(h['baseline_us'], 2),
        int(h['handler_bytes_per_request']),
        int(h['baseline_bytes_per_request']),
        h['same_uri_by_hand'] ? 'yes' : 'no',
      ]),
    ),
    '',
  );
  out.push(
    'Both run in microseconds and Lambda@Edge bills at least 1 ms, so the difference costs nothing; the hand-written version is faster because it checks far less (every grammar rule, repeated or unknown parameters, key decoding, preset grants, the log line). For signed URLs the signature check dominates both.',
    '',
  );
  const cf = v.cloudfront_function;
  if (cf) {
    out.push(
      `image-request's CloudFront Function build (cloudfront-js-2.0, ${int(cf.code_bytes)} bytes of code, ${int(cf.headroom_bytes)} under the ${int(cf.limit_bytes)}-byte quota) in the local sandbox beside the Lambda@Edge handler in plain Node, per request (bench/cloudfront-function.ts): ` +
        'the same rewrite on the same engine, so the ratio says what the built code (lowered to the runtime\'s syntax, no Map or URLSearchParams) and its event mapping cost; "fresh context" adds the node:vm context the local edge makes per run. CloudFront measures a compute utilization, not a time.',
      '',
      table(
        ['case', 'Lambda@Edge handler us', 'CloudFront Function us', 'CF / L@E', 'CF, fresh context us', 'fresh / L@E'],
        cf.cases.map((x) => [
          String(x['name']),
          fmt(x['lambda_edge_us'], 2),
          fmt(x['cloudfront_function_us'], 2),
          fmt(x['cloudfront_function_vs_lambda_edge'], 2),
          fmt(x['cloudfront_function_fresh_context_us'], 1),
          fmt(x['fresh_context_vs_lambda_edge'], 1),
        ]),
      ),
      '',
    );
  }
  out.push(`The signed-url verifier alone against bare \`crypto.verify\` on pre-decoded bytes (target within ${v.signed_url_verify.target_ratio}x):`, '');
  out.push(
    table(
      ['case', 'verifications/s', 'crypto.verify/s', 'ratio'],
      v.signed_url_verify.cases.map((c) => [String(c['case']), int(c['verifications_per_s']), int(c['bare_crypto_verify_per_s']), fmt(c['ratio'], 2)]),
    ),
    '',
  );
}

function coldStart(r: Results, out: string[]): void {
  const c = r.cold_start;
  if (!c) return;
  out.push('## Cold start', '', ...provenance(r, 'cold'));
  out.push(
    `A new \`node\` process loads the function's index.js from its unzipped package (built from this tree into bench/tmp/dist) and answers one captured event; the floor is \`node -e ''\` in the same rounds (${fmt(c.bare_node_ms)} ms, median of ${c.runs}). ` +
      `A node process that only requires sharp takes ${fmt(c.sharp_require_ms)} ms (${fmt((c.sharp_require_ms ?? Number.NaN) - c.bare_node_ms)} ms over bare node). image-resize now loads sharp on its first resize, not at start: "(sharp preloaded)" is the same package started with \`node -r sharp\`, what its 200 pass-through cost before.`,
    '',
  );
  out.push(
    table(
      ['function', 'event', 'zip KB', 'index.js KB', 'start to first answer ms', 'x bare node', 'in-process load + answer ms'],
      c.functions.map((f) => [
        String(f['function']),
        String(f['event']),
        kb(f['zip_bytes']),
        kb(f['bundle_bytes']),
        fmt(f['wall_ms']),
        fmt(f['vs_bare_node'], 2),
        fmt(f['load_and_first_answer_ms']),
      ]),
      ['event'],
    ),
    '',
  );
  out.push(
    "What is left of image-resize's pass-through start over the viewer functions is the AWS SDK: its bundle is ~0.75 MB against ~20-40 KB, and evaluating it takes most of the in-process time. Loading the S3 client on first use too (a dynamic import in functions/adapters/s3/store.ts and image-resize/index.ts, which esbuild turns into a lazily evaluated module) would bring the pass-through near the viewer functions; the first resize then pays both loads.",
    '',
  );
}

function hitPath(r: Results, out: string[]): void {
  const h = r.hit_path;
  if (!h) return;
  const e = h['edge'] as Record<string, number>;
  const p = h['plain'] as Record<string, number>;
  out.push('## Hit path of the local edge', '', ...provenance(r, 'hit'));
  out.push(
    `A cached thumbnail (\`${String(h['url_path'])}\`, ${int(h['response_bytes'])} bytes of ${String(h['content_type'])}) over loopback with autocannon (${String(h['connections'])} keep-alive connections, ${String(h['rounds'])} rounds of ${String(h['seconds_per_round'])} s each, in a process of its own), against a plain node:http server sending the same status, headers and bytes from memory, rounds alternating.`,
    '',
  );
  out.push(
    table(
      ['server', 'requests/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx'],
      [
        ['local edge (npm start)', int(e['rps']), fmt(e['p50_ms']), fmt(e['p99_ms']), int(e['errors']), int(e['non2xx'])],
        ['plain node:http, same bytes', int(p['rps']), fmt(p['p50_ms']), fmt(p['p99_ms']), int(p['errors']), int(p['non2xx'])],
        ...(h['edge_inspector_open']
          ? [
              (() => {
                const o = h['edge_inspector_open'] as Record<string, number>;
                return ['local edge, inspector open (events and results copied)', int(o['rps']), fmt(o['p50_ms']), fmt(o['p99_ms']), '-', '-'];
              })(),
            ]
          : []),
      ],
    ),
    '',
  );
  out.push(
    `The local edge answers ${fmt(Number(h['edge_vs_plain'] ?? 1 / Number(h['plain_vs_edge'])), 2)}x the requests per second of plain node:http (target >= ${HIT_TARGET}: ${Number(h['edge_vs_plain'] ?? 1 / Number(h['plain_vs_edge'])) >= HIT_TARGET ? 'met' : 'not met'}), ${fmt(h['edge_overhead_us_per_request'])} us more per hit: matching the behavior, building the viewer-request event, running image-request and validating its result as CloudFront does (a structured clone of the event per function), the cache lookup and a one-line trace. Copies of each function's event and result are made only while the gallery's inspector is open (it polled within 10 s); this run had it closed, as \`npm start\` has until someone opens the page.`,
    '',
  );
}

function engine(r: Results, out: string[]): void {
  const e = r.image_engine;
  if (!e) return;
  out.push('## The engine on every output format and on the worst sources admitted', '', ...provenance(r, 'engine'));
  out.push(
    `Each case in a process of its own (bench/image-engine.ts), bytes in memory: the engine's time and its peak RSS, over a baseline of ${fmt(e.baseline_rss_mb)} MB for Node, sharp and the engine with no image. These figures set the decode-memory limit of distribution.ts (a 40 MP AVIF is admitted, a 60 MP one is not).`,
    '',
    table(
      ['case', 'output', 'size', 'ms', 'peak RSS MB', 'over baseline MB', 'output KB'],
      e.cases.map((c) => [
        String(c['case']),
        String(c['output']),
        String(c['size']),
        fmt(c['median_ms']),
        fmt(c['peak_rss_mb']),
        fmt(c['peak_over_baseline_mb']),
        fmt(c['output_kb']),
      ]),
      ['case', 'output', 'size'],
    ),
    '',
  );
}

function memory(r: Results, out: string[]): void {
  const mm = r.memory;
  if (!mm) return;
  out.push('## Memory', '', ...provenance(r, 'memory'));
  out.push(
    `Peak RSS (VmHWM) of a process that makes one variant (a warm-up and two renders) with the limits of distribution.ts in force (${Object.entries(mm.limits)
      .map(([k, v]) => `${k} ${int(v)}`)
      .join(
        ', ',
      )}); the same process with Node, sharp and the engine loaded and no image peaks at ${fmt(mm.baseline_rss_mb)} MB (a few MB of noise either way). image-resize has 1,536 MB.`,
    '',
  );
  out.push(
    table(
      ['source', 'MP', 'source KB', 'preset', 'variant', 'render ms', 'peak RSS MB', 'over baseline MB'],
      mm.cases.map((c) => [
        String(c['source']),
        fmt(c['source_mp'], 2),
        kb(c['source_bytes']),
        String(c['preset']),
        String(c['variant']),
        fmt(c['render_ms']),
        fmt(c['peak_rss_mb']),
        fmt(c['over_baseline_mb']),
      ]),
      ['preset', 'variant'],
    ),
    '',
  );
  out.push(
    'JPEG and WebP sources shrink on load, so a 40 MP JPEG costs about what a 12 MP one does; the 12 MP PNG costs most (no shrink-on-load: every line is inflated, and the 14 MB source is held as well). The worst cases the limits admit (a 40 MP progressive JPEG ~185 MB, a 40 MP AVIF ~760 MB) are measured in the comments of render.ts.',
    '',
  );
}

function cost(r: Results, out: string[]): void {
  const c = r.cost;
  if (!c) return;
  out.push('## Cost model', '');
  out.push('Assumed prices and model (the figures below are computed from them and the miss-path medians of this run):', '');
  for (const a of ASSUMPTIONS) out.push(`- ${a}`);
  out.push('');
  out.push(
    table(
      [
        'case',
        'memory MB',
        'miss ms',
        'billed ms',
        'KB',
        'image-resize $ per 1M new',
        'all-in $ per 1M new',
        ...HIT_RATIOS.map((h) => `$ per 1M requests at ${h * 100}% hits`),
        ...HIT_RATIOS.map((h) => `of which Lambda@Edge at ${h * 100}%`),
      ],
      c.rows.map((x) => [
        x.case,
        int(x.memory_mb),
        fmt(x.miss_ms),
        int(x.billed_ms),
        fmt(x.output_kb),
        money(x.resize_lambda_per_million),
        money(x.new_thumbnail_per_million),
        ...HIT_RATIOS.map((h) => money(x.per_million_requests[String(h)])),
        ...HIT_RATIOS.map((h) => money(x.lambda_share[String(h)])),
      ]),
    ),
    '',
  );
  const thumb = c.rows.find((x) => x.case.startsWith('12mp-jpeg > thumb') && x.memory_mb === c.memory_mb_deployed);
  if (thumb) {
    const perRequest = 1e6 * (PRICES.cloudFrontPerHttpsRequest + lambdaCost(1, 128) + ((thumb.output_kb * 1024) / 1e9) * PRICES.cloudFrontPerGb);
    out.push(
      `Reading the 12 MP thumbnail row: a new thumbnail costs ${money(thumb.resize_lambda_per_million)} per million in image-resize, about as much as the S3 PutObject that stores it (${money(PRICES.s3PerPut * 1e6)} per million), while every request, hit or miss, pays ${money(perRequest)} per million for the CloudFront request, image-request and the transfer. ` +
        `So at a 95% hit ratio the resizes are ${fmt((100 * 0.05 * thumb.resize_lambda_per_million) / thumb.per_million_requests['0.95']!, 0)}% of the bill, and image-request, billed its 1 ms minimum and $0.60 per million on every request, hit or miss, is the larger Lambda@Edge cost (a CloudFront Function would do its rewrite for $0.10 per million invocations, assumed list price, if its limits allow). More memory only pays for a CPU-bound resize, up to one vCPU at 1,769 MB (the rows at other memory settings).`,
      '',
    );
  }
  const normalizerRows = c.rows.filter((x) => x.memory_mb === c.memory_mb_deployed);
  if (normalizerRows.length > 0) {
    out.push(
      'The viewer-request normalizer per million requests at 95% hits: it runs on every request, hit or miss. Lambda@Edge: $0.60 per million plus the 1 ms minimum at 128 MB; CloudFront Function: $0.10 per million, no duration (the deployed default on the public behavior). "Rest" is everything else per million requests in the row above (CloudFront request and transfer, geo-route and image-resize on the misses, S3).',
      '',
      table(
        ['case', 'normalizer on Lambda@Edge', 'normalizer as CloudFront Function', 'rest', 'total with Lambda@Edge', 'total with CloudFront Function', 'saved'],
        normalizerRows.map((x) => {
          const n = viewerNormalizerCost(x, 0.95);
          return [
            x.case,
            money(n.lambda_edge),
            money(n.cloudfront_function),
            money(n.rest),
            money(n.total_lambda_edge),
            money(n.total_cloudfront_function),
            `${fmt((100 * (n.total_lambda_edge - n.total_cloudfront_function)) / n.total_lambda_edge, 1)}%`,
          ];
        }),
      ),
      '',
    );
  }
}

// ------------------------------------------------------------------------------------------------
// The chart
// ------------------------------------------------------------------------------------------------
const COLOURS: Record<string, string> = { avif: '#1f77b4', webp: '#2ca02c', jpg: '#d62728', png: '#9467bd', gif: '#ff7f0e' };

/** Miss-path time against source megapixels, one line per output format (128x128, JPEG sources). */
export function renderChart(cases: readonly MissRow[]): string {
  const W = 760;
  const H = 440;
  const left = 64;
  const right = 190;
  const top = 40;
  const bottom = 56;
  const thumbs = cases.filter((c) => c.variant.startsWith('128x128-cover-q75.'));
  const jpeg = thumbs.filter((c) => c.source_format === 'jpeg');
  const others = thumbs.filter((c) => c.source_format === 'png' || c.source_format === 'webp');
  const xs = [...new Set(jpeg.map((c) => c.source_mp))].sort((a, b) => a - b);
  const maxY = Math.max(10, ...jpeg.flatMap((c) => [c.miss.median_ms, c.floor.median_ms]), ...others.map((c) => c.miss.median_ms));
  const yTop = niceCeil(maxY * 1.05);
  const xMin = Math.log10(0.7);
  const xMax = Math.log10(60);
  const px = (mp: number) => left + ((Math.log10(mp) - xMin) / (xMax - xMin)) * (W - left - right);
  const py = (ms: number) => top + (1 - ms / yTop) * (H - top - bottom);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  parts.push(`<text x="${left}" y="22" font-size="14" font-weight="600">Miss path: 128x128 thumbnail, median ms against source megapixels</text>`);
  // Axes and grid.
  for (let i = 0; i <= 5; i++) {
    const v = (yTop / 5) * i;
    const y = py(v);
    parts.push(`<line x1="${left}" x2="${W - right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${left - 8}" y="${(y + 4).toFixed(1)}" text-anchor="end" fill="#555">${Math.round(v)}</text>`);
  }
  for (const mp of [1, 2, 5, 10, 12, 20, 40]) {
    const x = px(mp);
    const labelled = [1, 12, 40].includes(mp);
    parts.push(`<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${top}" y2="${H - bottom}" stroke="${labelled ? '#d0d0d0' : '#f0f0f0'}"/>`);
    if (labelled) parts.push(`<text x="${x.toFixed(1)}" y="${H - bottom + 18}" text-anchor="middle" fill="#555">${mp} MP</text>`);
  }
  parts.push(`<line x1="${left}" x2="${W - right}" y1="${H - bottom}" y2="${H - bottom}" stroke="#333"/>`);
  parts.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${H - bottom}" stroke="#333"/>`);
  parts.push(`<text x="${(left + W - right) / 2}" y="${H - 14}" text-anchor="middle" fill="#333">source megapixels (log scale)</text>`);
  parts.push(`<text transform="translate(18 ${(top + H - bottom) / 2}) rotate(-90)" text-anchor="middle" fill="#333">ms (median)</text>`);
  // Lines: miss solid, floor dashed, per output format.
  for (const format of Object.keys(COLOURS)) {
    const colour = COLOURS[format]!;
    const series = xs.map((mp) => jpeg.find((c) => c.source_mp === mp && c.output_format === format)).filter((c): c is MissRow => c !== undefined);
    if (series.length === 0) continue;
    const path = (f: (c: MissRow) => number) => series.map((c, i) => `${i === 0 ? 'M' : 'L'}${px(c.source_mp).toFixed(1)},${py(f(c)).toFixed(1)}`).join(' ');
    parts.push(`<path d="${path((c) => c.floor.median_ms)}" fill="none" stroke="${colour}" stroke-width="1.2" stroke-dasharray="5 4" opacity="0.6"/>`);
    parts.push(`<path d="${path((c) => c.miss.median_ms)}" fill="none" stroke="${colour}" stroke-width="2.2"/>`);
    for (const c of series)
      parts.push(
        `<circle cx="${px(c.source_mp).toFixed(1)}" cy="${py(c.miss.median_ms).toFixed(1)}" r="3.5" fill="${colour}"><title>${escapeXml(c.case)}: ${c.miss.median_ms} ms (floor ${c.floor.median_ms} ms)</title></circle>`,
      );
  }
  // Other source formats at their megapixels: squares (PNG) and triangles (WebP).
  for (const c of others) {
    const colour = COLOURS[c.output_format] ?? '#000';
    const x = px(c.source_mp) + (c.source_format === 'png' ? 7 : -7);
    const y = py(c.miss.median_ms);
    const shape =
      c.source_format === 'png'
        ? `<rect x="${(x - 4).toFixed(1)}" y="${(y - 4).toFixed(1)}" width="8" height="8" fill="none" stroke="${colour}" stroke-width="1.8">`
        : `<path d="M${x.toFixed(1)},${(y - 5).toFixed(1)} L${(x + 5).toFixed(1)},${(y + 4).toFixed(1)} L${(x - 5).toFixed(1)},${(y + 4).toFixed(1)} Z" fill="none" stroke="${colour}" stroke-width="1.8">`;
    parts.push(`${shape}<title>${escapeXml(c.case)}: ${c.miss.median_ms} ms</title>${c.source_format === 'png' ? '</rect>' : '</path>'}`);
  }
  // Legend.
  let ly = top + 4;
  const lx = W - right + 20;
  parts.push(`<text x="${lx}" y="${ly}" font-weight="600">output format</text>`);
  for (const [format, colour] of Object.entries(COLOURS)) {
    ly += 18;
    parts.push(
      `<line x1="${lx}" x2="${lx + 22}" y1="${ly - 4}" y2="${ly - 4}" stroke="${colour}" stroke-width="2.2"/><text x="${lx + 30}" y="${ly}">${format}</text>`,
    );
  }
  ly += 28;
  parts.push(
    `<line x1="${lx}" x2="${lx + 22}" y1="${ly - 4}" y2="${ly - 4}" stroke="#333" stroke-width="2.2"/><text x="${lx + 30}" y="${ly}">miss (JPEG sources)</text>`,
  );
  ly += 18;
  parts.push(
    `<line x1="${lx}" x2="${lx + 22}" y1="${ly - 4}" y2="${ly - 4}" stroke="#333" stroke-width="1.2" stroke-dasharray="5 4"/><text x="${lx + 30}" y="${ly}">floor (JPEG sources)</text>`,
  );
  ly += 18;
  parts.push(
    `<rect x="${lx + 7}" y="${ly - 9}" width="8" height="8" fill="none" stroke="#333" stroke-width="1.8"/><text x="${lx + 30}" y="${ly}">miss, PNG source</text>`,
  );
  ly += 18;
  parts.push(
    `<path d="M${lx + 11},${ly - 10} L${lx + 16},${ly - 1} L${lx + 6},${ly - 1} Z" fill="none" stroke="#333" stroke-width="1.8"/><text x="${lx + 30}" y="${ly}">miss, WebP source</text>`,
  );
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function niceCeil(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => `&#${c.codePointAt(0)};`);
}
