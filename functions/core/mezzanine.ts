/**
 * The mezzanine: one high-quality intermediate of a large original, stored beside its variants at
 * `_derived/<original key>/_source`, from which later misses make the variants it can serve
 * without fetching and decoding the whole original again. Pure rules here (which originals get one,
 * its size, which variants it serves, on which miss it is made, how it is bound to its original);
 * the pixels are in functions/adapters/image/mezzanine.ts, the S3 round trips in the miss pipeline
 * (functions/image-resize/source.ts).
 *
 * - Which originals: still PNG and TIFF without alpha whose long edge is at least `minSourceEdge`
 *   (3,200 px, about 7.7 MP at 4:3), and JPEG from `minJpegEdge` (6,000 px, 24 MP at 3:2). A JPEG
 *   shrinks on load (a 128 px variant of a 12 MP JPEG decodes at 1/8), so its direct miss is nearly
 *   as cheap as one from a mezzanine: measured on the 12 MP JPEG, variants from a mezzanine took
 *   1.0x the CPU of the direct path (bench/responsive-set.ts), so it would only add a write. PNG and
 *   TIFF decode whole on every miss. Not animations, SVG (vector), AVIF/GIF/WebP sources, nor
 *   sources with alpha (a JPEG mezzanine has none).
 * - Its size: for a JPEG, 1/3, 1/5 or 1/9 of the original (the smallest of those whose long edge is
 *   at least `minEdge`, 800 px): the largest sizes sharp makes from a libjpeg decode at 1/2, 1/4
 *   or 1/8 (it decodes an exact 1/k at 1/(k/2), then resamples), so a miss it serves decodes a
 *   ninth to a third of the original's edge; for PNG and TIFF, the long edge `pngEdge` (2,048 px).
 *   Made by a miss whose own resize is just under that size (by at most 1/`MADE_AT_VARIANT_SIZE`,
 *   1/1.125: a 12 MP PNG's 1,920 px variant), it is made at the variant's size: the variant and the
 *   mezzanine are then the same pixels and that miss skips a resize (measured on the 12 MP PNG: the
 *   making render 1.04-1.05x the direct one instead of 1.08-1.09x, and a 823 KB write instead of
 *   932 KB), for a mezzanine that serves up to 1,280 px instead of 1,365 (the policy's widths: the same).
 *   A 40 MP JPEG's is 1/9 (811 px): it serves the variants up to 540 px at a median 0.37 of the
 *   direct CPU time (at 1/5, 1,460 px, it served up to 960 px at a median 0.45-0.53, and saved
 *   more CPU over the whole set: the larger variants cost mostly their encode, which the mezzanine
 *   does not save).
 * - Its format: baseline JPEG q95, 4:4:4 chroma, no metadata (orientation applied, sRGB), so a
 *   later decode can itself shrink on load (1/2 .. 1/8) for small variants. Standard Huffman tables
 *   (no optimised coding): measured on a 2,048 px mezzanine, 12 ms of CPU against 36-49 ms with
 *   optimised tables, for 2% more bytes and the same pixels.
 * - Which variants it serves: those that need at most 1/`detailMargin` (1/1.5) of its pixels across,
 *   so every output pixel still comes from at least 1.5 mezzanine pixels in each direction and the
 *   q95 blocks are averaged away (measured: serving near 1:1 from it costs SSIM 0.98 on luminance;
 *   at <= 1/1.5, 0.991 or better; docs/testing-and-performance.md). Never a variant that enlarges,
 *   keeps the EXIF copyright (the mezzanine has none) or crops by entropy/attention (the choice of
 *   crop depends on fine detail): those read the original.
 * - When it is made: on the first miss (of an original that qualifies) for a variant the mezzanine
 *   cannot serve, i.e. one of the largest: that miss decodes the original at the mezzanine's scale
 *   or finer and encodes a large output anyway, and making the mezzanine adds one encode of its
 *   pixels (0.5-3 MP). Made on the first miss of a small variant instead, it cost 1.13-3.4x that
 *   miss's CPU (measured: 12 MP PNG > 160 px WebP 2.7x, 40 MP JPEG > 960 px 1.5x with a 1/5
 *   mezzanine; 1/9 > 160 px 1.13x for the render alone, 1.16x with its S3 write); on the miss of a
 *   large one the share is smallest. For a JPEG, never a miss whose direct path decodes at 1/8:
 *   that scale keeps only each 8x8 block's mean, and a mezzanine made from it failed the quality
 *   guard (SSIM 0.9898 against the exact rendering at 160 px, 0.9874 at 480 px), where one made
 *   from the 1/4 decode of a larger variant passes (0.991, 0.992). Until then misses read the
 *   original, as without one.
 * - Binding to the original: its `original-etag` metadata. A miss fetches the mezzanine and the
 *   original in parallel (no serial round trip); the mezzanine is used only if its recorded ETag is
 *   the original's ETag of that same GetObject, and the original's body is then never read. A stale
 *   mezzanine is never used nor overwritten (writes are `If-None-Match: *`): derived-cleanup deletes
 *   it with the variants when the original changes.
 */
import type { Variant } from './grammar.ts';
import { sourceRecordKey } from './refusal.ts';

export interface MezzanineSettings {
  /** PNG and TIFF originals whose long edge is at least this get a mezzanine. */
  readonly minSourceEdge: number;
  /** JPEG originals whose long edge is at least this get one (JPEG shrinks on load: see above). */
  readonly minJpegEdge: number;
  /** A JPEG mezzanine is the original at 1/3, 1/5 or 1/9: the smallest whose long edge is at least this. */
  readonly minEdge: number;
  /** Long edge of a PNG or TIFF original's mezzanine. */
  readonly pngEdge: number;
  /** The mezzanine serves a variant needing at most 1/detailMargin of its pixels across. */
  readonly detailMargin: number;
  /** JPEG quality of the mezzanine (4:4:4 chroma). */
  readonly quality: number;
}

/**
 * Where the mezzanine is stored: the original's source record (functions/core/refusal.ts), which
 * holds either its mezzanine or its remembered refusal, so one GetObject beside the original's reads
 * whichever there is. Never a variant name (those start with a digit).
 */
export function mezzanineKey(key: string): string {
  return sourceRecordKey(key);
}

/** What the header of an original says, as far as the mezzanine cares (displayed size, orientation applied). */
export interface OriginalShape {
  readonly format: string;
  readonly width: number;
  readonly height: number;
  readonly frames: number;
  readonly hasAlpha: boolean;
}

export interface MezzaninePlan {
  readonly width: number;
  readonly height: number;
  /** The libjpeg scale (1/shrink) its pixels are decoded at (1 for PNG and TIFF). */
  readonly shrink: number;
}

/** The mezzanine an original gets, or undefined when it gets none. */
export function planMezzanine(original: OriginalShape, settings: MezzanineSettings): MezzaninePlan | undefined {
  if (original.frames > 1 || original.hasAlpha) return undefined;
  const long = Math.max(original.width, original.height);
  if (original.format === 'jpeg') {
    if (long < settings.minJpegEdge) return undefined;
    // 1/(k+1) of the original: the largest size sharp decodes at libjpeg's 1/k scale (its pipeline
    // halves a shrink-on-load whose whole part is k itself, for libjpeg's rounding).
    for (const shrink of [8, 4, 2]) {
      if (long / (shrink + 1) >= settings.minEdge) {
        // Rounded down: a side of more than 1/(k+1) would make sharp's shrink less than k+1.
        return {
          width: Math.max(1, Math.floor(original.width / (shrink + 1))),
          height: Math.max(1, Math.floor(original.height / (shrink + 1))),
          shrink,
        };
      }
    }
    return undefined;
  }
  if ((original.format === 'png' || original.format === 'tiff') && long >= settings.minSourceEdge) {
    const scale = settings.pngEdge / long;
    return { width: Math.max(1, Math.round(original.width * scale)), height: Math.max(1, Math.round(original.height * scale)), shrink: 1 };
  }
  return undefined;
}

/**
 * The share of the original's width (0..1, more when enlarging) a variant's pixels need: a width-only
 * variant its width; a box the side that decides the scale (cover, fill and outside fill the box,
 * contain and inside fit in it).
 */
function neededScale(original: { readonly width: number; readonly height: number }, variant: Variant): number {
  const sx = variant.width / original.width;
  if (variant.height === undefined) return sx;
  const sy = variant.height / original.height;
  return variant.fit === 'contain' || variant.fit === 'inside' ? Math.min(sx, sy) : Math.max(sx, sy);
}

/** Whether a mezzanine of `mezzanine`'s size, made from `original`, serves `variant` without losing detail. */
export function mezzanineServes(
  original: { readonly width: number; readonly height: number },
  mezzanine: { readonly width: number; readonly height: number },
  variant: Variant,
  settings: MezzanineSettings,
): boolean {
  if (variant.enlarge || variant.keepCopyright || variant.position !== undefined) return false;
  // In mezzanine pixels: what the variant needs, against what the mezzanine has (both directions).
  const scale = neededScale(original, variant);
  const mezzanineScale = Math.min(mezzanine.width / original.width, mezzanine.height / original.height);
  return scale * settings.detailMargin <= mezzanineScale;
}

/**
 * A making miss whose own resize is smaller than the planned mezzanine by at most this factor makes
 * the mezzanine at its own size (functions/adapters/image/mezzanine.ts): the variant and the
 * mezzanine are then the same pixels, one resize fewer. See "Its size" above.
 */
export const MADE_AT_VARIANT_SIZE = 1.125;

/** The mezzanine the miss for `variant` makes, if it makes one: the original qualifies and the variant is too large for the mezzanine to serve. */
export function makesMezzanine(original: OriginalShape, variant: Variant, settings: MezzanineSettings): MezzaninePlan | undefined {
  const plan = planMezzanine(original, settings);
  if (!plan) return undefined;
  // Too large for it, not merely excluded by a flag (an enlarged icon is a small, cheap miss).
  const scale = neededScale(original, variant);
  const mezzanineScale = Math.min(plan.width / original.width, plan.height / original.height);
  if (scale * settings.detailMargin <= mezzanineScale) return undefined;
  // A JPEG: not from the 1/8 decode (sharp decodes at 1/8 only when it shrinks by more than 8).
  return original.format === 'jpeg' && scale < 1 / 8 ? undefined : plan;
}

/** S3 user metadata of a mezzanine (lower-case names, string values, as S3 returns them). */
export interface MezzanineRecord {
  /** The original's ETag, without quotes. */
  readonly originalEtag: string;
  /** The original's displayed size. */
  readonly originalWidth: number;
  readonly originalHeight: number;
  readonly width: number;
  readonly height: number;
}

export function mezzanineMetadata(record: MezzanineRecord): Record<string, string> {
  return {
    'original-etag': unquote(record.originalEtag),
    'original-size': `${record.originalWidth}x${record.originalHeight}`,
    'mezzanine-size': `${record.width}x${record.height}`,
  };
}

/** Reads a mezzanine's metadata back; undefined if it is not one of ours or is malformed. */
export function readMezzanineMetadata(metadata: Readonly<Record<string, string>> | undefined): MezzanineRecord | undefined {
  const etag = metadata?.['original-etag'];
  const original = /^([1-9][0-9]{0,5})x([1-9][0-9]{0,5})$/.exec(metadata?.['original-size'] ?? '');
  const own = /^([1-9][0-9]{0,5})x([1-9][0-9]{0,5})$/.exec(metadata?.['mezzanine-size'] ?? '');
  if (!etag || !original || !own) return undefined;
  return { originalEtag: etag, originalWidth: Number(original[1]), originalHeight: Number(original[2]), width: Number(own[1]), height: Number(own[2]) };
}

/** Whether a mezzanine was made from the original whose current ETag is `originalEtag`. */
export function isCurrent(record: MezzanineRecord, originalEtag: string | undefined): boolean {
  return originalEtag !== undefined && unquote(originalEtag) !== '' && unquote(originalEtag) === unquote(record.originalEtag);
}

function unquote(etag: string): string {
  return etag.replaceAll('"', '');
}
