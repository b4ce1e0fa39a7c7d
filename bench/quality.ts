/**
 * Section `quality`: one quality scale across formats, and `q=auto`, on the corpus of real images in
 * fixtures/corpus/ (corpus.json). For each image, output width and lossy format: bytes and luma SSIM
 * (against the exact resize: the same render written as PNG) at the encoder's own q75, at the
 * calibrated q75, and at q=auto; then the CPU of a q=auto miss against a fixed-q miss (process CPU
 * time, so the other processes on a shared machine count less than in wall time).
 *
 *   node infra/build/run.mjs bench/quality.ts --calibrate    measures the scale and the q=auto
 *       settings the policy holds (infra/distribution.ts images.quality) and prints them
 *   ... --calibrate --again                                 the same from the curves it last measured
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { Variant } from '../functions/core/grammar.ts';
import { LOSSY_FORMATS, bestTry, encoderQuality, firstGuess, nextGuess } from '../functions/core/quality.ts';
import type { LossyFormat, QualitySettings, QualityTry, Texture } from '../functions/core/quality.ts';
import { render } from '../functions/adapters/image/render.ts';
import type { RenderOptions } from '../functions/adapters/image/render.ts';
import { texture } from '../functions/adapters/image/quality-search.ts';
import { lumaOfRaw, ssimReference } from '../functions/adapters/image/quality-ssim.ts';
import type { LumaPlane, SsimReference } from '../functions/adapters/image/quality-ssim.ts';
import { images } from '../infra/distribution.ts';
import { median, round } from './stats.ts';

const CORPUS = 'fixtures/corpus';
/** Output widths measured: a card and a content image (the corpus's images are 400 to 1024 wide). */
const WIDTHS = [320, 640] as const;
/** Thumbnails for the CPU ratio (the issue's "up to 256 px"). */
const THUMBS = [128, 256] as const;

interface CorpusImage {
  readonly file: string;
  readonly kind: string;
  readonly body: Buffer;
}

async function loadCorpus(): Promise<CorpusImage[]> {
  const list = JSON.parse(await readFile(`${CORPUS}/corpus.json`, 'utf8')) as { images: { file: string; kind: string }[] };
  return Promise.all(list.images.map(async (e) => ({ file: e.file, kind: e.kind, body: await readFile(`${CORPUS}/${e.file}`) })));
}

const widthVariant = (width: number, format: Variant['format'], quality: Variant['quality']): Variant => ({
  width,
  height: undefined,
  fit: 'inside',
  quality,
  format,
});

async function luma(encoded: Buffer): Promise<LumaPlane> {
  const { data, info } = await sharp(encoded).raw().toBuffer({ resolveWithObject: true });
  return lumaOfRaw(data, info.width, info.height, info.channels);
}

/** The exact resize of one image at one variant's size: the same render, written losslessly. */
async function exact(body: Buffer, variant: Variant, options: RenderOptions): Promise<{ reference: SsimReference; texture: Texture }> {
  const png = await render(body, { ...variant, format: 'png', quality: 75 }, options);
  const plane = await luma(png.data);
  return { reference: ssimReference(plane), texture: texture(plane, FLAT_VARIANCE) };
}

const baseOptions: RenderOptions = { ...images.limits, ...(images.background ? { background: images.background } : {}) };

/** Encoder qualities the calibration measures. */
const GRID = [20, 30, 40, 50, 60, 65, 70, 75, 80, 85, 90, 95, 100] as const;
/** The first guess's flat block, as the policy reads it (the fit below is for this threshold). */
const FLAT_VARIANCE = images.quality?.auto.estimate.flatVariance ?? 2;

interface Curve {
  readonly file: string;
  readonly width: number;
  readonly texture: Texture;
  /** Per format, SSIM and bytes at each GRID quality. */
  readonly ssim: Record<LossyFormat, number[]>;
  readonly bytes: Record<LossyFormat, number[]>;
}

/** SSIM and bytes of every corpus image, width and lossy format at every GRID encoder quality. */
async function measureCurves(corpus: readonly CorpusImage[]): Promise<Curve[]> {
  const curves: Curve[] = [];
  for (const image of corpus) {
    for (const width of WIDTHS) {
      const { reference, texture: tex } = await exact(image.body, widthVariant(width, 'png', 75), baseOptions);
      const ssim = { avif: [], webp: [], jpg: [] } as Record<LossyFormat, number[]>;
      const bytes = { avif: [], webp: [], jpg: [] } as Record<LossyFormat, number[]>;
      for (const format of LOSSY_FORMATS) {
        for (const q of GRID) {
          const out = await render(image.body, widthVariant(width, format, q), baseOptions);
          ssim[format].push(reference.compare(await luma(out.data)));
          bytes[format].push(out.data.byteLength);
        }
      }
      curves.push({ file: image.file, width, texture: tex, ssim, bytes });
      process.stdout.write(`  ${image.file} ${width}: jpg q75 ${ssim.jpg[7]?.toFixed(4)} webp ${ssim.webp[7]?.toFixed(4)} avif ${ssim.avif[7]?.toFixed(4)}\n`);
    }
  }
  return curves;
}

/** Linear interpolation of y at x on ascending xs. */
function at(xs: readonly number[], ys: readonly number[], x: number): number {
  if (x <= (xs[0] as number)) return ys[0] as number;
  for (let i = 1; i < xs.length; i++) {
    if (x <= (xs[i] as number)) {
      const t = (x - (xs[i - 1] as number)) / ((xs[i] as number) - (xs[i - 1] as number));
      return (ys[i - 1] as number) + t * ((ys[i] as number) - (ys[i - 1] as number));
    }
  }
  return ys[ys.length - 1] as number;
}

/** The lowest encoder quality (interpolated on GRID) whose SSIM reaches `target`. */
function qualityFor(ssims: readonly number[], target: number): number {
  for (let i = 0; i < GRID.length; i++) {
    if ((ssims[i] as number) >= target) {
      if (i === 0) return GRID[0];
      const lo = ssims[i - 1] as number;
      const hi = ssims[i] as number;
      return (GRID[i - 1] as number) + ((GRID[i] as number) - (GRID[i - 1] as number)) * ((target - lo) / Math.max(1e-9, hi - lo));
    }
  }
  return 100;
}

const POINTS = [30, 40, 50, 60, 70, 75, 80, 85, 90, 95, 100] as const;

/** The scale: JPEG keeps its own numbers; WebP and AVIF get the quality whose median SSIM matches JPEG's. */
function calibrateScale(curves: readonly Curve[]): QualitySettings['scale'] {
  const medianCurve = (format: LossyFormat) => GRID.map((_, i) => median(curves.map((c) => c.ssim[format][i] as number)));
  const jpg = medianCurve('jpg');
  const scale = { points: [...POINTS], jpg: [...POINTS] as number[], webp: [] as number[], avif: [] as number[] };
  for (const format of ['webp', 'avif'] as const) {
    const curve = medianCurve(format);
    for (const p of POINTS) scale[format].push(Math.max(1, Math.min(100, Math.round(qualityFor(curve, at(GRID, jpg, p))))));
  }
  return scale;
}

/** Prints the measured scale, the fitted first-guess line and, per target, q=auto's expected median bytes ratio. */
async function printCalibration(): Promise<void> {
  // The curves take minutes to measure: kept in bench/tmp/ (ignored by git) for `--calibrate --again`.
  const saved = 'bench/tmp/quality-curves.json';
  const curves: Curve[] = process.argv.includes('--again') ? (JSON.parse(await readFile(saved, 'utf8')) as Curve[]) : await measureCurves(await loadCorpus());
  if (curves.some((c) => c.texture === undefined)) {
    throw new Error(`Expected curves with each image's texture in ${saved} but received older ones: run --calibrate without --again`);
  }
  await mkdir('bench/tmp', { recursive: true });
  await writeFile(saved, JSON.stringify(curves));
  const scale = calibrateScale(curves);
  console.log(JSON.stringify({ scale }));
  // The first guess: per format, the policy q each image needs for a target, against its texture.
  const policyQ = (format: LossyFormat, encoder: number) => {
    const values = scale[format];
    for (let i = 1; i < POINTS.length; i++) {
      const a = values[i - 1] as number;
      const b = values[i] as number;
      if (encoder <= b)
        return (POINTS[i - 1] as number) + ((POINTS[i] as number) - (POINTS[i - 1] as number)) * Math.max(0, Math.min(1, (encoder - a) / Math.max(1, b - a)));
    }
    return 100;
  };
  const logSlope = median(
    curves.flatMap((c) => LOSSY_FORMATS.map((f) => (Math.log(1 - (c.ssim[f][8] as number)) - Math.log(1 - (c.ssim[f][6] as number))) / 10)),
  );
  console.log(`ln(1 - ssim) per encoder q near 75, median: ${round(logSlope, 4)}`);
  // The policy's own scale and search (as distribution.ts holds them now) on these curves.
  if (images.quality) for (const line of simulateSearch(curves, images.quality)) console.log(`the policy's q=auto search on these curves, ${line}`);
  for (const target of [0.9, 0.91, 0.92, 0.93, 0.94, 0.95]) {
    const xs: Texture[] = [];
    const ys: number[] = [];
    for (const c of curves) {
      for (const f of LOSSY_FORMATS) {
        xs.push(c.texture);
        ys.push(policyQ(f, qualityFor(c.ssim[f], target)));
      }
    }
    const [intercept, flat, detail] = fitPlane(xs, ys);
    const residuals = ys.map((y, i) => y - (intercept + flat * (xs[i] as Texture).flat + detail * (xs[i] as Texture).detail)).sort((a, b) => a - b);
    const q75 = residuals[Math.floor(residuals.length * 0.75)] as number;
    const ideal = LOSSY_FORMATS.map((f) => {
      const ratio = curves.map((c) => at(GRID, c.bytes[f], qualityFor(c.ssim[f], target)) / (c.bytes[f][7] as number));
      return `${f} ${round(median(ratio), 3)}`;
    });
    console.log(
      `target ${target}: needed q = ${round(intercept, 1)} + ${round(flat, 1)} flat + ${round(detail, 2)} detail, residual 75th percentile ${round(q75, 1)}; ideal median bytes vs fixed q75: ${ideal.join(', ')}`,
    );
  }
}

/** Least squares of y = a + b flat + c detail (the normal equations, solved by Cramer's rule). */
function fitPlane(xs: readonly Texture[], ys: readonly number[]): [number, number, number] {
  const rows = xs.map((x) => [1, x.flat, x.detail]);
  const m = [0, 1, 2].map((i) => [0, 1, 2].map((j) => rows.reduce((s, r) => s + (r[i] as number) * (r[j] as number), 0)));
  const v = [0, 1, 2].map((i) => rows.reduce((s, r, k) => s + (r[i] as number) * (ys[k] as number), 0));
  const det = (a: number[][]) =>
    a[0]![0]! * (a[1]![1]! * a[2]![2]! - a[1]![2]! * a[2]![1]!) -
    a[0]![1]! * (a[1]![0]! * a[2]![2]! - a[1]![2]! * a[2]![0]!) +
    a[0]![2]! * (a[1]![0]! * a[2]![1]! - a[1]![1]! * a[2]![0]!);
  const d = det(m);
  const solve = (col: number) => det(m.map((row, i) => row.map((x, j) => (j === col ? (v[i] as number) : x)))) / d;
  return [solve(0), solve(1), solve(2)];
}

/**
 * The q=auto search of the policy run on the measured curves (SSIM and bytes interpolated between
 * the measured encoder qualities): median bytes against a fixed q75, how many encodes, how many
 * below the target. For tuning images.quality.auto without encoding anything.
 */
function simulateSearch(curves: readonly Curve[], settings: QualitySettings): string[] {
  const { scale, auto } = settings;
  return LOSSY_FORMATS.map((format) => {
    const ratios: number[] = [];
    const encodes = [0, 0, 0, 0];
    let below = 0;
    for (const c of curves) {
      const search = (searched: LossyFormat, first: number): QualityTry[] => {
        const tries: QualityTry[] = [];
        let q: number | undefined = first;
        while (q !== undefined) {
          tries.push({ quality: q, ssim: at(GRID, c.ssim[searched], encoderQuality(scale, searched, q)) });
          q = nextGuess(auto, tries);
        }
        return tries;
      };
      // A proxied format starts where the JPEG search ended (its JPEG encodes are not counted).
      const first = firstGuess(auto, c.texture);
      const tries = search(format, auto.proxied.includes(format) ? bestTry(auto.target, search('jpg', first)).quality : first);
      const best = bestTry(auto.target, tries);
      if (best.ssim < auto.target) below++;
      ratios.push(at(GRID, c.bytes[format], encoderQuality(scale, format, best.quality)) / (c.bytes[format][7] as number));
      encodes[tries.length] = (encodes[tries.length] as number) + 1;
    }
    return `${format}: median bytes vs fixed q75 ${round(median(ratios), 3)}, searches of 1/2/3 encodes ${encodes.slice(1).join('/')}, below target ${below}`;
  });
}

interface ModeFigures {
  readonly bytes: number;
  readonly ssim: number;
}

interface QualityRow {
  readonly image: string;
  readonly kind: string;
  readonly width: number;
  readonly format: LossyFormat;
  readonly fixed_q75: ModeFigures;
  readonly calibrated_q75: ModeFigures;
  readonly auto: ModeFigures & { readonly quality: number; readonly encodes: number; readonly reached: boolean };
}

interface FormatSummary {
  readonly format: LossyFormat;
  readonly median_bytes: { readonly fixed_q75: number; readonly calibrated_q75: number; readonly auto: number };
  readonly median_ssim: { readonly fixed_q75: number; readonly calibrated_q75: number; readonly auto: number };
  /** Median bytes at q=auto over median bytes at fixed q75 (target <= 0.75). */
  readonly auto_vs_fixed_bytes: number;
  readonly auto_min_ssim: number;
  readonly auto_below_target: number;
  readonly auto_median_encodes: number;
}

interface CpuRow {
  readonly image: string;
  readonly size: string;
  readonly format: LossyFormat;
  readonly fixed_cpu_ms: number;
  readonly auto_cpu_ms: number;
  readonly ratio: number;
}

export interface QualityResult {
  readonly target: number;
  readonly images: number;
  readonly targets: { readonly auto_bytes_ratio: number; readonly calibrated_spread: number; readonly cpu_ratio: number; readonly thumb_cpu_ratio: number };
  readonly formats: FormatSummary[];
  /** Largest minus smallest median SSIM of the three formats at the calibrated q75 (target <= 0.01, i.e. +-0.005). */
  readonly calibrated_q75_spread: number;
  readonly cpu: { readonly median_ratio: number; readonly thumb_median_ratio: number; readonly large_thumb_median_ratio?: number; readonly rows: CpuRow[] };
  readonly rows: QualityRow[];
}

/** Process CPU time (every thread: libvips encodes on its own) of one call, in ms. */
async function cpuOf<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const before = process.cpuUsage();
  const value = await fn();
  const used = process.cpuUsage(before);
  return { ms: (used.user + used.system) / 1000, value };
}

export async function benchQuality(options: {
  readonly every?: number;
  /** CPU is measured on every n-th image (it takes most of the time). */
  readonly cpuEvery: number;
  /** Large sources (the bench's own, generated: for CPU only, never for quality), as `[name, file]`. */
  readonly largeSources?: readonly (readonly [string, string])[];
  readonly cpuRounds: number;
  readonly onImage?: (line: string) => void;
}): Promise<QualityResult> {
  const settings = images.quality;
  if (settings === undefined) throw new Error('Expected images.quality in infra/distribution.ts for the quality section but received none');
  const calibrated: RenderOptions = { ...baseOptions, quality: settings };
  const corpus = (await loadCorpus()).filter((_, i) => i % (options.every ?? 1) === 0);
  const rows: QualityRow[] = [];
  const cpuRows: CpuRow[] = [];
  for (const [index, image] of corpus.entries()) {
    for (const width of WIDTHS) {
      const { reference } = await exact(image.body, widthVariant(width, 'png', 75), baseOptions);
      const measure = async (variant: Variant, opts: RenderOptions) => {
        const out = await render(image.body, variant, opts);
        return { out, figures: { bytes: out.data.byteLength, ssim: round(reference.compare(await luma(out.data)), 4) } };
      };
      for (const format of LOSSY_FORMATS) {
        const fixed = await measure(widthVariant(width, format, 75), baseOptions);
        const cal = await measure(widthVariant(width, format, 75), calibrated);
        const auto = await measure(widthVariant(width, format, 'auto'), calibrated);
        const chosen = auto.out.quality;
        rows.push({
          image: image.file,
          kind: image.kind,
          width,
          format,
          fixed_q75: fixed.figures,
          calibrated_q75: cal.figures,
          auto: { ...auto.figures, quality: chosen?.quality ?? 0, encodes: chosen?.encodes ?? 0, reached: auto.figures.ssim >= settings.auto.target },
        });
      }
    }
    // CPU of a miss (decode, resize, encode; q=auto adds its search) at fixed q75 and at q=auto, interleaved.
    const sizes: { label: string; variant: (format: LossyFormat, q: Variant['quality']) => Variant }[] = [
      ...THUMBS.map((side) => ({
        label: `${side}x${side}`,
        variant: (format: LossyFormat, q: Variant['quality']): Variant => ({ width: side, height: side, fit: 'cover', quality: q, format }),
      })),
      { label: '640w', variant: (format: LossyFormat, q: Variant['quality']) => widthVariant(640, format, q) },
    ];
    for (const size of index % options.cpuEvery === 0 ? sizes : []) {
      for (const format of LOSSY_FORMATS) {
        const fixed: number[] = [];
        const auto: number[] = [];
        for (let round = 0; round < options.cpuRounds; round++) {
          fixed.push((await cpuOf(() => render(image.body, size.variant(format, 75), calibrated))).ms);
          auto.push((await cpuOf(() => render(image.body, size.variant(format, 'auto'), calibrated))).ms);
        }
        cpuRows.push({
          image: image.file,
          size: size.label,
          format,
          fixed_cpu_ms: round(median(fixed), 1),
          auto_cpu_ms: round(median(auto), 1),
          ratio: round(median(auto) / Math.max(0.1, median(fixed)), 2),
        });
      }
    }
    options.onImage?.(
      `  ${image.file}: ${rows
        .filter((r) => r.image === image.file)
        .map((r) => `${r.format}@${r.width} auto ${r.auto.ssim} (${r.auto.encodes})`)
        .join(', ')}`,
    );
  }
  // Thumbnails of large originals: the decode dominates a miss there, as in production.
  const largeRows: CpuRow[] = [];
  for (const [name, file] of options.largeSources ?? []) {
    const body = await readFile(file);
    for (const side of THUMBS) {
      for (const format of LOSSY_FORMATS) {
        const thumb = (q: Variant['quality']): Variant => ({ width: side, height: side, fit: 'cover', quality: q, format });
        const fixed: number[] = [];
        const auto: number[] = [];
        for (let round = 0; round < options.cpuRounds; round++) {
          fixed.push((await cpuOf(() => render(body, thumb(75), calibrated))).ms);
          auto.push((await cpuOf(() => render(body, thumb('auto'), calibrated))).ms);
        }
        const row = { image: name, size: `${side}x${side}`, format, fixed_cpu_ms: round(median(fixed), 1), auto_cpu_ms: round(median(auto), 1) };
        largeRows.push({ ...row, ratio: round(median(auto) / Math.max(0.1, median(fixed)), 2) });
      }
    }
  }
  const formats = LOSSY_FORMATS.map((format): FormatSummary => {
    const mine = rows.filter((r) => r.format === format);
    const med = (pick: (r: QualityRow) => number) => median(mine.map(pick));
    const bytes = { fixed_q75: med((r) => r.fixed_q75.bytes), calibrated_q75: med((r) => r.calibrated_q75.bytes), auto: med((r) => r.auto.bytes) };
    return {
      format,
      median_bytes: bytes,
      median_ssim: {
        fixed_q75: round(
          med((r) => r.fixed_q75.ssim),
          4,
        ),
        calibrated_q75: round(
          med((r) => r.calibrated_q75.ssim),
          4,
        ),
        auto: round(
          med((r) => r.auto.ssim),
          4,
        ),
      },
      auto_vs_fixed_bytes: round(bytes.auto / bytes.fixed_q75, 3),
      auto_min_ssim: Math.min(...mine.map((r) => r.auto.ssim)),
      auto_below_target: mine.filter((r) => !r.auto.reached).length,
      auto_median_encodes: med((r) => r.auto.encodes),
    };
  });
  const calibratedMedians = formats.map((f) => f.median_ssim.calibrated_q75);
  const thumbs = cpuRows.filter((r) => r.size !== '640w');
  return {
    target: settings.auto.target,
    images: corpus.length,
    targets: { auto_bytes_ratio: 0.75, calibrated_spread: 0.01, cpu_ratio: 1.8, thumb_cpu_ratio: 1.3 },
    formats,
    calibrated_q75_spread: round(Math.max(...calibratedMedians) - Math.min(...calibratedMedians), 4),
    cpu: {
      median_ratio: round(median(cpuRows.map((r) => r.ratio)), 2),
      thumb_median_ratio: round(median(thumbs.map((r) => r.ratio)), 2),
      ...(largeRows.length ? { large_thumb_median_ratio: round(median(largeRows.map((r) => r.ratio)), 2) } : {}),
      rows: [...cpuRows, ...largeRows],
    },
    rows,
  };
}

/** The section of RESULTS.md. */
export function qualityMarkdown(q: QualityResult, provenance: readonly string[]): string[] {
  const kb = (bytes: number) => (bytes / 1024).toFixed(1);
  const mark = (ok: boolean) => (ok ? '' : ' (over)');
  return [
    '## Quality: one scale across formats, and q=auto',
    '',
    ...provenance,
    `${q.images} images of fixtures/corpus/ at 320 and 640 px wide, luma SSIM against the exact resize (the same render as PNG). Fixed q75: the encoder's own 75; calibrated q75: the policy scale's 75 (images.quality.scale); q=auto: the lowest q reaching SSIM ${q.target}. Medians over images and widths.`,
    '',
    '| format | fixed q75 KB | SSIM | calibrated q75 KB | SSIM | q=auto KB | SSIM | min SSIM | below target | encodes | auto / fixed bytes |',
    '| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |',
    ...q.formats.map(
      (f) =>
        `| ${f.format} | ${kb(f.median_bytes.fixed_q75)} | ${f.median_ssim.fixed_q75} | ${kb(f.median_bytes.calibrated_q75)} | ${f.median_ssim.calibrated_q75} | ${kb(f.median_bytes.auto)} | ${f.median_ssim.auto} | ${f.auto_min_ssim} | ${f.auto_below_target} | ${f.auto_median_encodes} | ${f.auto_vs_fixed_bytes}${mark(f.auto_vs_fixed_bytes <= q.targets.auto_bytes_ratio)} |`,
    ),
    '',
    `Spread of the three formats' median SSIM at the calibrated q75: ${q.calibrated_q75_spread} (target at most ${q.targets.calibrated_spread}, i.e. +-0.005)${mark(q.calibrated_q75_spread <= q.targets.calibrated_spread)}.`,
    '',
    `CPU of a q=auto miss over a fixed-q miss (process CPU time, median of per-case ratios; the corpus's originals are small, 240 to 1024 px, so a miss there is mostly encoding): ${q.cpu.median_ratio} over all cases (target ${q.targets.cpu_ratio})${mark(q.cpu.median_ratio <= q.targets.cpu_ratio)}, ${q.cpu.thumb_median_ratio} for thumbnails of 128 and 256 px (target ${q.targets.thumb_cpu_ratio})${mark(q.cpu.thumb_median_ratio <= q.targets.thumb_cpu_ratio)}${q.cpu.large_thumb_median_ratio === undefined ? '' : `; thumbnails of the bench's large originals (12 MP JPEG and PNG, where the decode dominates as in production): ${q.cpu.large_thumb_median_ratio}${mark(q.cpu.large_thumb_median_ratio <= q.targets.thumb_cpu_ratio)}`}.`,
    '',
  ];
}

if (process.argv.includes('--calibrate')) await printCalibration();
