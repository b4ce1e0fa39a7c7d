/**
 * Section `quality`: one quality scale across formats, and `q=auto`, on the corpus of real images in
 * fixtures/corpus/ (corpus.json). For each image, output width and lossy format: bytes and luma SSIM
 * (against the exact resize: the same render written as PNG) at the encoder's own q75, at the
 * calibrated q75, and at q=auto; then the CPU of a q=auto miss against a fixed-q miss (process CPU
 * time, so the other processes on a shared machine count less than in wall time).
 *
 *   node infra/build/run.mjs bench/quality.ts --calibrate    measures the scale and the q=auto
 *       settings the policy holds (infra/distribution.ts images.quality) and prints them
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { Variant } from '../functions/core/grammar.ts';
import { LOSSY_FORMATS } from '../functions/core/quality.ts';
import type { LossyFormat, QualitySettings } from '../functions/core/quality.ts';
import { render } from '../functions/adapters/image/render.ts';
import type { RenderOptions } from '../functions/adapters/image/render.ts';
import { activity } from '../functions/adapters/image/quality-search.ts';
import { ssimReference } from '../functions/adapters/image/quality-ssim.ts';
import type { LumaPlane, SsimReference } from '../functions/adapters/image/quality-ssim.ts';
import { images } from '../infra/distribution.ts';
import { median, round } from './stats.ts';

const CORPUS = 'fixtures/corpus';
/** Output widths measured: a card and a content image (the corpus's images are 400 to 1024 wide). */
const WIDTHS = [320, 640] as const;
/** Thumbnails for the CPU ratio (the "up to 256 px"). */
const THUMBS = [128, 256] as const;

export interface CorpusImage {
  readonly file: string;
  readonly kind: string;
  readonly body: Buffer;
}

export async function loadCorpus(): Promise<CorpusImage[]> {
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
  const { data, info } = await sharp(encoded).flatten({ background: '#ffffff' }).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

/** The exact resize of one image at one variant's size: the same render, written losslessly. */
async function exact(body: Buffer, variant: Variant, options: RenderOptions): Promise<{ reference: SsimReference; activity: number }> {
  const png = await render(body, { ...variant, format: 'png', quality: 75 }, options);
  const plane = await luma(png.data);
  return { reference: ssimReference(plane), activity: activity(plane) };
}

const baseOptions: RenderOptions = { ...images.limits, ...(images.background ? { background: images.background } : {}) };

/** Encoder qualities the calibration measures. */
const GRID = [20, 30, 40, 50, 60, 65, 70, 75, 80, 85, 90, 95, 100] as const;

interface Curve {
  readonly file: string;
  readonly width: number;
  readonly activity: number;
  /** Per format, SSIM and bytes at each GRID quality. */
  readonly ssim: Record<LossyFormat, number[]>;
  readonly bytes: Record<LossyFormat, number[]>;
}

/** SSIM and bytes of every corpus image, width and lossy format at every GRID encoder quality. */
async function measureCurves(corpus: readonly CorpusImage[]): Promise<Curve[]> {
  const curves: Curve[] = [];
  for (const image of corpus) {
    for (const width of WIDTHS) {
      const { reference, activity: act } = await exact(image.body, widthVariant(width, 'png', 75), baseOptions);
      const ssim = { avif: [], webp: [], jpg: [] } as Record<LossyFormat, number[]>;
      const bytes = { avif: [], webp: [], jpg: [] } as Record<LossyFormat, number[]>;
      for (const format of LOSSY_FORMATS) {
        for (const q of GRID) {
          const out = await render(image.body, widthVariant(width, format, q), baseOptions);
          ssim[format].push(reference.compare(await luma(out.data)));
          bytes[format].push(out.data.byteLength);
        }
      }
      curves.push({ file: image.file, width, activity: act, ssim, bytes });
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
  const curves = await measureCurves(await loadCorpus());
  const scale = calibrateScale(curves);
  console.log(JSON.stringify({ scale }));
  // Format-neutral (the scale is calibrated): JPEG's needed q per image, against ln(activity).
  for (const target of [0.95, 0.955, 0.96, 0.965, 0.97, 0.975, 0.98]) {
    const xs = curves.map((c) => Math.log(Math.max(0.05, c.activity)));
    const ys = curves.map((c) => qualityFor(c.ssim.jpg, target));
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
    const my = ys.reduce((a, b) => a + b, 0) / ys.length;
    const slope = xs.reduce((a, x, i) => a + (x - mx) * ((ys[i] as number) - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
    const ratios = LOSSY_FORMATS.map((f) => {
      const ratio = curves.map((c) => {
        const q = qualityFor(c.ssim[f], target);
        return at(GRID, c.bytes[f], q) / (c.bytes[f][7] as number);
      });
      return `${f} ${round(median(ratio), 3)}`;
    });
    const logSlope = median(curves.map((c) => (Math.log(1 - (c.ssim.jpg[8] as number)) - Math.log(1 - (c.ssim.jpg[6] as number))) / 10));
    console.log(
      `target ${target}: needed-q line ${round(my - slope * mx, 1)} + ${round(slope, 2)} ln(activity); ln(1-ssim)/q ${round(logSlope, 4)}; median bytes vs own q75: ${ratios.join(', ')}`,
    );
  }
}

if (process.argv.includes('--calibrate')) await printCalibration();
