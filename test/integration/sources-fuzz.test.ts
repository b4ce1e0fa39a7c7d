/**
 * Fuzz over generated sources x every kind of variant: whatever the source (ordinary,
 * animated, vector, extreme aspect ratios, corrupt, crafted to be costly) and whatever variant the
 * allowlist admits (every fit, position, format, quality, size or width, dpr, enlarge), the engine
 * answers an image that fits its format or a 413/415/422; never a 5xx (the only 5xx the service
 * answers for a source is the 503 of load or of an exceeded budget, neither of which a single
 * render here can reach).
 *
 *   FUZZ_RUNS=500 npx vitest run test/integration/sources-fuzz.test.ts
 */
import fc from 'fast-check';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../functions/adapters/image/render.ts';
import { OUTPUT_MAX_SIDE } from '../../functions/core/cost.ts';
import { toEdgeError } from '../../functions/core/errors.ts';
import type { Variant } from '../../functions/core/grammar.ts';
import { FITS, OUTPUT_FORMATS, POSITIONS } from '../../functions/core/policy.ts';
import { images as policy } from '../../infra/distribution.ts';
import * as attack from '../support/attacks.ts';
import * as src from '../support/image-engine-sources.ts';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 60);
const SEED = Number(process.env['FUZZ_SEED'] ?? 20_260_114);
const sources: Record<string, Buffer> = {};

beforeAll(async () => {
  Object.assign(sources, {
    jpeg: await src.encode(src.scene(320, 240), 'jpeg'),
    progressive: await sharp(await src.encode(src.scene(320, 240), 'jpeg'))
      .jpeg({ progressive: true })
      .toBuffer(),
    png: await src.fromRaw(src.withAlpha(200, 120)).png().toBuffer(),
    webp: await src.encode(src.scene(160, 90), 'webp'),
    avif: await src.encode(src.scene(96, 64), 'avif'),
    tiff16: await src.sixteenBit(src.scene(120, 80), 'tiff'),
    gif: await src.animation('gif'),
    webpAnim: await src.animation('webp'),
    svg: src.quadrantsSvg(),
    tall: attack.tallPng(1920, 104_000),
    wide: attack.tallPng(60_000, 40),
    thin: attack.tallPng(1, 20_000),
    corrupt: await attack.corruptInterlacedPng(),
    truncated: (await src.encode(src.scene(320, 240), 'jpeg')).subarray(0, 3000),
    scans: await attack.manyScanJpeg(256, 300),
    frames: attack.manyFrameGif(200, 400),
    fanOut: attack.useFanOutSvg(6),
    html: src.HTML_AS_JPEG,
    empty: Buffer.alloc(0),
  });
}, 120_000);

const sizes = policy.sizes.map((s) => s.split('x').map(Number) as [number, number]);
const variant: fc.Arbitrary<Variant> = fc
  .record({
    box: fc.oneof(
      fc.constantFrom(...sizes).map(([w, h]) => ({ w, h })),
      fc.constantFrom(...policy.widths).map((w) => ({ w, h: undefined })),
    ),
    dpr: fc.constantFrom(1, 1.5, 2, policy.maxDpr),
    fit: fc.constantFrom(...FITS),
    position: fc.constantFrom(...POSITIONS),
    format: fc.constantFrom(...OUTPUT_FORMATS),
    quality: fc.constantFrom(...policy.qualities),
    enlarge: fc.boolean(),
  })
  .map(({ box, dpr, fit, position, format, quality, enlarge }) => {
    const width = Math.round(box.w * dpr);
    const height = box.h === undefined ? undefined : Math.round(box.h * dpr);
    return {
      width,
      height,
      fit: height === undefined ? 'inside' : fit,
      quality,
      format,
      ...(height !== undefined && fit === 'cover' && position !== 'centre' ? { position } : {}),
      ...(enlarge ? { enlarge: true as const } : {}),
    } satisfies Variant;
  });

describe('sources x variants: never a 5xx', () => {
  it(
    'answers an image within its format or a 413/415/422',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...Object.keys(sources)), variant, async (name, wanted) => {
          try {
            const out = await render(sources[name]!, wanted, { ...policy.limits, background: '#ffffff' });
            const max = OUTPUT_MAX_SIDE[wanted.format];
            expect(out.width).toBeLessThanOrEqual(max);
            expect(out.height).toBeLessThanOrEqual(max);
          } catch (error) {
            const e = toEdgeError(error);
            expect([413, 415, 422], `${name} as ${JSON.stringify(wanted)}: ${e.status} ${e.detail}`).toContain(e.status);
          }
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    },
    Math.max(300_000, RUNS * 5000),
  );
});
