/**
 * What the miss-path bench resizes: every source to every preset (in the format a Chromium viewer
 * gets for it) and to the 128x128 thumbnail in every output format. Variants come from the real URL
 * grammar, so a case is exactly what a viewer's request would make.
 *
 * Two reference pipelines beside the engine, both plain sharp on the same bytes:
 *   bare   the engine's own sharp pipeline (render.ts `renderInspected`: the same input options,
 *          resize and encoder settings, so the same output bytes) on bytes already in memory, with
 *          the header already read: sharp's work for that output and nothing else, no S3, no header
 *          pass. The physical limit of producing exactly that output with sharp.
 *   floor  what the plainest code would call: `sharp(bytes).rotate().resize(box, fit).toFormat(
 *          format, { quality })` (with `animated: true` when the output is an animation), every other
 *          setting at sharp's default (encoder effort, thread count). Its output may differ in bytes:
 *          the bench reports both sizes.
 */
import sharp from 'sharp';
import type { Sharp } from 'sharp';
import type { Variant } from '../functions/core/grammar.ts';
import { parseImageUrl, variantName } from '../functions/core/grammar.ts';
import { ANIMATED_FORMATS, OUTPUT_FORMATS } from '../functions/core/policy.ts';
import type { ImagePolicy } from '../functions/core/policy.ts';
import type { Source } from './sources.ts';

/** Chromium's Accept header for images. */
export const CHROMIUM_ACCEPT = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8';

export interface MissCase {
  /** `12mp-jpeg > thumb (128x128-cover-q75.avif)` */
  readonly name: string;
  readonly source: Source;
  /** `thumb`, or `128x128 fm=png` */
  readonly label: string;
  readonly variant: Variant;
}

export function missCases(sources: readonly Source[], policy: ImagePolicy): MissCase[] {
  const cases: MissCase[] = [];
  for (const source of sources) {
    const seen = new Set<string>();
    const add = (label: string, uri: string, query: string) => {
      const parsed = parseImageUrl(uri, query, CHROMIUM_ACCEPT, policy);
      if (parsed.kind !== 'derived') throw new Error(`Expected a derived image for ${uri}?${query} but received the original`);
      const id = variantName(parsed.variant);
      if (seen.has(id)) return;
      seen.add(id);
      cases.push({ name: `${source.name} > ${label} (${id})`, source, label, variant: parsed.variant });
    };
    for (const preset of Object.keys(policy.presets)) add(preset, `/${preset}/${source.key}`, '');
    for (const format of OUTPUT_FORMATS) add(`128x128 ${format}`, `/128x128/${source.key}`, `fm=${format}`);
  }
  return cases;
}

/** Whether the engine renders this variant of this source animated (the same rule as render()). */
export function isAnimated(source: Source, variant: Variant): boolean {
  return source.frames > 1 && (source.format === 'gif' || source.format === 'webp') && ANIMATED_FORMATS.includes(variant.format);
}

/** The plainest sharp call for the variant: geometry, format and quality; sharp's defaults for the rest. */
export function floorPipeline(bytes: Buffer | Uint8Array, source: Source, variant: Variant): Sharp {
  const image = sharp(bytes, isAnimated(source, variant) ? { animated: true } : {})
    .rotate()
    .resize({
      width: variant.width,
      ...(variant.height === undefined ? {} : { height: variant.height }),
      fit: variant.fit,
      withoutEnlargement: !variant.enlarge,
    });
  const format = variant.format === 'jpg' ? 'jpeg' : variant.format;
  return format === 'png' || format === 'gif'
    ? image.toFormat(format)
    : image.toFormat(format, typeof variant.quality === 'number' ? { quality: variant.quality } : {});
}
