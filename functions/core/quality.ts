/**
 * One quality scale across formats, and the search behind `q=auto`. Pure: no sharp, no I/O.
 *
 * The scale. A quality number in a URL (`q=75`) is a point on the policy's scale, not an encoder's
 * setting: each lossy encoder (JPEG, WebP, AVIF) was calibrated on the corpus in fixtures/corpus/ so
 * that a given q gives the same median luma SSIM in every format (bench/quality.ts `--calibrate`
 * measures it; the table lives in infra/distribution.ts `images.quality.scale`, docs/quality.md shows
 * it). Between two calibrated points the encoder quality is interpolated linearly. PNG and GIF have
 * no quality: the scale leaves them alone.
 *
 * `q=auto`. The lowest q on that scale whose output reaches the target SSIM (luma, against the exact
 * resize of the same pixels), found in at most `maxEncodes` encodes:
 *   1. a first guess from the image itself, from its 8x8 blocks of luma (`Texture`): the share of
 *      flat blocks (where any encoder error shows, yet which cost an encoder almost nothing, so an
 *      image of many needs a low q) and the median block's variance (texture masks an encoder's
 *      error under SSIM), through a plane fitted on the corpus (`estimate`);
 *   2. then steps in `ln(1 - SSIM)`, which is close to linear in q: with one try, along the corpus's
 *      typical slope; with two on the same side of the target, along their secant; with one on each
 *      side, between them; after a miss, past the target. A try that reaches the target by less than
 *      `slack` ends the search.
 *   For a format in `proxied` (AVIF), the same search runs first in JPEG, whose encode costs a tenth,
 *   and the format's own search starts from the q JPEG needed (the lowest that passed, else the best).
 * The answer is the lowest tried q that reached the target, else the try with the highest SSIM. The
 * same image and variant give the same tries, so the same bytes (the encoders are deterministic).
 */

/** Formats whose quality number means something. */
export const LOSSY_FORMATS = ['avif', 'webp', 'jpg'] as const;
export type LossyFormat = (typeof LOSSY_FORMATS)[number];

export function isLossy(format: string): format is LossyFormat {
  return (LOSSY_FORMATS as readonly string[]).includes(format);
}

export interface QualityScale {
  /** Policy qualities at which the encoders were calibrated, ascending from 1 to 100. */
  readonly points: readonly number[];
  /** Each lossy format's encoder quality at each point. */
  readonly avif: readonly number[];
  readonly webp: readonly number[];
  readonly jpg: readonly number[];
}

export interface AutoQuality {
  /** Luma SSIM every `q=auto` output must reach, against the exact resize of the same pixels. */
  readonly target: number;
  /** Bounds of the search on the policy scale. */
  readonly min: number;
  readonly max: number;
  /** Encodes one search may spend. */
  readonly maxEncodes: number;
  /**
   * First guess: q = intercept + flat * (share of flat blocks) + detail * ln(1 + median block
   * variance), a block flat when its luma variance is under `flatVariance`.
   */
  readonly estimate: { readonly intercept: number; readonly flat: number; readonly detail: number; readonly flatVariance: number };
  /** The typical d ln(1 - SSIM) / dq on the corpus (negative): the step when one try is known. */
  readonly logErrorPerQ: number;
  /** A try that reaches the target by less than this is kept without looking lower. */
  readonly slack: number;
  /**
   * Formats whose search runs first in JPEG (an encode an order of magnitude cheaper than AVIF's), then
   * in the format itself from the q JPEG needed: on the scale the two need nearly the same q for
   * the same image, closer than any first guess from the pixels.
   */
  readonly proxied: readonly LossyFormat[];
  /** The q of `q=auto` outputs the search does not measure: animations (PNG and GIF ignore q). */
  readonly unmeasured: number;
}

export interface QualitySettings {
  readonly scale: QualityScale;
  readonly auto: AutoQuality;
}

/** The encoder's quality for a policy quality: the scale interpolated; identity for PNG and GIF. */
export function encoderQuality(scale: QualityScale | undefined, format: string, quality: number): number {
  if (scale === undefined || !isLossy(format)) return quality;
  const points = scale.points;
  const values = scale[format];
  if (quality <= (points[0] as number)) return values[0] as number;
  for (let i = 1; i < points.length; i++) {
    const hi = points[i] as number;
    if (quality <= hi) {
      const lo = points[i - 1] as number;
      const a = values[i - 1] as number;
      const b = values[i] as number;
      return Math.round(a + ((b - a) * (quality - lo)) / (hi - lo));
    }
  }
  return values[values.length - 1] as number;
}

/** What a `q=auto` encode reached: stored as object metadata and logged. */
export interface QualityOutcome {
  /** Luma SSIM of the served encode against the exact resize, to 4 decimals. */
  readonly ssim: number;
  /** The chosen point of the policy scale, and what the encoder was given. */
  readonly quality: number;
  readonly encoderQuality: number;
  readonly encodes: number;
  /** JPEG encodes that found the first q of a format in `auto.proxied` (0 for the others). */
  readonly proxyEncodes: number;
  /** The target was reached (else the best encode is served). */
  readonly reached: boolean;
  /** The render budget ended the search early. */
  readonly budgetStopped: boolean;
}

/**
 * The S3 user metadata (`x-amz-meta-*`) of a `q=auto` variant: the SSIM it reached and the q it
 * chose. The inline answer carries the same headers, so a viewer sees the same either way.
 */
export function qualityMetadata(outcome: QualityOutcome | undefined): Record<string, string> {
  return outcome === undefined ? {} : { ssim: outcome.ssim.toFixed(4), 'auto-quality': String(outcome.quality) };
}

export interface QualityTry {
  /** On the policy scale. */
  readonly quality: number;
  readonly ssim: number;
}

const clamp = (value: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, value));
/** How far past the target a try after a miss aims, as a multiple of the estimated step. */
const OVERSHOOT = 1.5;
/** ln(1 - SSIM), kept finite for a perfect match. */
const logError = (ssim: number): number => Math.log(Math.max(1e-6, 1 - ssim));

/** What the first guess reads from the resized image's 8x8 blocks of luma. */
export interface Texture {
  /** Share of blocks whose luma variance is under `estimate.flatVariance`, 0 to 1. */
  readonly flat: number;
  /** ln(1 + the median block's luma variance). */
  readonly detail: number;
}

/** The first q to try, from the resized image's texture. */
export function firstGuess(auto: AutoQuality, texture: Texture): number {
  const { intercept, flat, detail } = auto.estimate;
  const q = intercept + flat * texture.flat + detail * texture.detail;
  return clamp(Math.round(Number.isFinite(q) ? q : auto.max), auto.min, auto.max);
}

/**
 * The next q to try after `tries`, or undefined when the search is over (the budget of encodes is
 * spent, or nothing between what passed and what failed is left to try).
 */
export function nextGuess(auto: AutoQuality, tries: readonly QualityTry[]): number | undefined {
  if (tries.length === 0 || tries.length >= auto.maxEncodes) return undefined;
  const goal = logError(auto.target);
  const passed = tries.filter((t) => t.ssim >= auto.target).sort((a, b) => a.quality - b.quality);
  const failed = tries.filter((t) => t.ssim < auto.target).sort((a, b) => b.quality - a.quality);
  const pass = passed[0];
  const fail = failed.find((t) => pass === undefined || t.quality < pass.quality);
  const tried = (q: number) => tries.some((t) => t.quality === q);
  // A pass close enough to the target, or at the bottom of the scale, is the answer.
  if (pass !== undefined && (pass.ssim - auto.target < auto.slack || pass.quality <= auto.min)) return undefined;
  let q: number;
  if (pass !== undefined && fail !== undefined) {
    if (pass.quality - fail.quality <= 1) return undefined;
    // Between the two, where the line through them in ln(1 - SSIM) meets the target.
    const dp = logError(pass.ssim);
    const df = logError(fail.ssim);
    const at = df === dp ? 0.5 : (goal - df) / (dp - df);
    q = clamp(Math.ceil(fail.quality + at * (pass.quality - fail.quality)), fail.quality + 1, pass.quality - 1);
  } else if (pass !== undefined) {
    q = clamp(Math.ceil(pass.quality + (goal - logError(pass.ssim)) / slopeOf(auto, passed)), auto.min, pass.quality - 1);
  } else {
    const best = failed[0] as QualityTry;
    if (best.quality >= auto.max) return undefined;
    // Aim past the target: a miss leaves fewer tries to reach it.
    const step = (goal - logError(best.ssim)) / slopeOf(auto, failed);
    q = clamp(Math.ceil(best.quality + step * OVERSHOOT + 2), best.quality + 1, auto.max);
  }
  return tried(q) ? undefined : q;
}

/** d ln(1 - SSIM) / dq: the secant of two tries on one side, else the corpus's typical slope. */
function slopeOf(auto: AutoQuality, side: readonly QualityTry[]): number {
  const a = side[0];
  const b = side[1];
  if (a !== undefined && b !== undefined && a.quality !== b.quality) {
    const slope = (logError(a.ssim) - logError(b.ssim)) / (a.quality - b.quality);
    // A flat or inverted secant (an encoder's plateau) says nothing: fall back to the typical one.
    if (slope < auto.logErrorPerQ / 4) return slope;
  }
  return auto.logErrorPerQ;
}

/** The try to serve: the lowest q that reached the target, else the highest SSIM reached. */
export function bestTry<T extends QualityTry>(target: number, tries: readonly T[]): T {
  const passed = tries.filter((t) => t.ssim >= target).sort((a, b) => a.quality - b.quality);
  if (passed[0] !== undefined) return passed[0];
  const sorted = [...tries].sort((a, b) => b.ssim - a.ssim);
  if (sorted[0] === undefined) throw new Error('Expected at least one encode for q=auto but received none');
  return sorted[0];
}

/** Build-time checks of the quality settings against the allowed qualities. Returns the problems. */
export function checkQuality(settings: QualitySettings, qualities: readonly number[]): string[] {
  const problems: string[] = [];
  const { scale, auto } = settings;
  const points = scale.points;
  for (let i = 0; i < points.length; i++) {
    const p = points[i] as number;
    if (!(p >= 1 && p <= 100) || (i > 0 && p <= (points[i - 1] as number))) problems.push('quality.scale.points must rise from 1 to 100');
  }
  for (const format of LOSSY_FORMATS) {
    const values = scale[format];
    if (values.length !== points.length) problems.push(`quality.scale.${format} needs one value per point`);
    if (values.some((v) => !(Number.isInteger(v) && v >= 1 && v <= 100))) problems.push(`quality.scale.${format} values must be whole numbers from 1 to 100`);
  }
  for (const q of qualities) if (!points.includes(q)) problems.push(`quality ${q} is allowed but not a calibrated point of quality.scale`);
  if (!(auto.target > 0 && auto.target < 1)) problems.push('quality.auto.target must be an SSIM between 0 and 1');
  if (!(auto.min >= 1 && auto.min < auto.max && auto.max <= 100)) problems.push('quality.auto needs 1 <= min < max <= 100');
  if (!(Number.isInteger(auto.maxEncodes) && auto.maxEncodes >= 1 && auto.maxEncodes <= 3)) problems.push('quality.auto.maxEncodes must be 1, 2 or 3');
  if (!(auto.logErrorPerQ < 0)) problems.push('quality.auto.logErrorPerQ must be negative');
  if (auto.proxied.some((f) => f === 'jpg' || !isLossy(f))) problems.push('quality.auto.proxied may hold only avif and webp (JPEG is the proxy)');
  return problems;
}

/** The scale as the markdown table of docs/quality.md (its test keeps the page and the policy in step). */
export function scaleTable(scale: QualityScale): string {
  const rows = scale.points.map((point, i) => `| ${point} | ${scale.jpg[i]} | ${scale.webp[i]} | ${scale.avif[i]} |`);
  return ['| q in the URL | JPEG | WebP | AVIF |', '| --: | --: | --: | --: |', ...rows].join('\n');
}
