/**
 * The crafted sources through the engine, each in a process of its own killed at a cap:
 * outcome, time to answer (or "killed at cap") and peak RSS. `npm run bench -- --only attacks`, or
 * alone: node infra/build/run.mjs bench/attacks-main.ts [capSeconds]
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Variant } from '../functions/core/grammar.ts';
import sharp from 'sharp';
import * as attack from '../test/support/attacks.ts';
import { bundleScript } from './child.ts';

/** The baseline of the same run: an ordinary 1920x1080 JPEG to a 128x128 JPEG. */
const BASELINE = 'baseline: ordinary 1920x1080 JPEG to 128x128';

export interface AttackResult {
  readonly name: string;
  readonly bytes: number;
  readonly outcome: string;
  readonly ms: number;
  readonly maxRssMb: number | undefined;
  /** Time and peak RSS over the baseline's, measured in the same run. */
  readonly timeVsBaseline?: number;
  readonly rssVsBaseline?: number;
}

const V = (width: number, height: number | undefined, format: Variant['format']): Variant => ({
  width,
  height,
  fit: height === undefined ? 'inside' : 'cover',
  quality: 75,
  format,
});

async function attackCases(): Promise<{ name: string; source: Buffer; variant: Variant }[]> {
  const ordinary = await sharp({ create: { width: 1920, height: 1080, channels: 3, background: '#468' } })
    .jpeg()
    .toBuffer();
  return [
    { name: BASELINE, source: ordinary, variant: V(128, 128, 'jpg') },
    { name: 'progressive JPEG 2000 px, 900 scans', source: await attack.manyScanJpeg(2000, 900), variant: V(128, 128, 'jpg') },
    { name: 'GIF 800 frames of 1x1 on 500x500', source: attack.manyFrameGif(500, 800), variant: V(128, 128, 'gif') },
    { name: 'SVG <use> fan-out 10^5 blurred', source: attack.useFanOutSvg(5), variant: V(256, 256, 'png') },
    { name: 'SVG 900,000 elements (25 MB)', source: attack.hugeSvg(), variant: V(128, 128, 'png') },
    { name: 'SVG 50 blurs drawn 100 times', source: attack.filterStormSvg('blur'), variant: V(512, 512, 'png') },
    { name: 'SVG 50 morphologies drawn 100 times', source: attack.filterStormSvg('morphology'), variant: V(512, 512, 'png') },
    { name: 'SVG 50 8-octave turbulences drawn 100 times', source: attack.filterStormSvg('turbulence'), variant: V(512, 512, 'png') },
    { name: 'SVG 19,000 full-canvas shapes (admitted, misjudged)', source: attack.shapeFanOutSvg(), variant: V(512, 512, 'png') },
    { name: 'PNG 1920x104000 as WebP 1920w', source: attack.tallPng(), variant: V(1920, undefined, 'webp') },
    { name: 'PNG 1920x104000 as AVIF 1920w', source: attack.tallPng(), variant: V(1920, undefined, 'avif') },
    { name: 'corrupt interlaced 16-bit PNG', source: await attack.corruptInterlacedPng(), variant: V(128, 128, 'jpg') },
  ];
}

/** Every case, or the first `count` (the baseline comes first). */
export async function benchAttacks(capSeconds = 20, count?: number): Promise<AttackResult[]> {
  const dir = path.resolve('bench/tmp/attacks');
  const child = await bundleScript('bench/attack-child.ts', dir);
  const results: AttackResult[] = [];
  for (const [i, c] of (await attackCases()).slice(0, count).entries()) {
    const file = path.join(dir, `attack-${i}`);
    await writeFile(file, c.source);
    const started = performance.now();
    const result = await new Promise<AttackResult>((resolve) => {
      execFile(
        process.execPath,
        [child, file, JSON.stringify(c.variant)],
        { timeout: capSeconds * 1000, killSignal: 'SIGKILL', maxBuffer: 1 << 20 },
        (error, stdout) => {
          const ms = Math.round(performance.now() - started);
          const line = stdout.trim().split('\n').at(-1);
          if (error || !line) {
            resolve({
              name: c.name,
              bytes: c.source.byteLength,
              outcome: error?.killed ? `killed at the ${capSeconds} s cap` : `crashed: ${String(error?.message).slice(0, 120)}`,
              ms,
              maxRssMb: undefined,
            });
            return;
          }
          const parsed = JSON.parse(line) as { outcome: string; ms: number; maxRssKb: number };
          resolve({ name: c.name, bytes: c.source.byteLength, outcome: parsed.outcome, ms: parsed.ms, maxRssMb: Math.round(parsed.maxRssKb / 1024) });
        },
      );
    });
    const base = results[0];
    const rated =
      base && base !== result && base.ms > 0
        ? {
            ...result,
            timeVsBaseline: Math.round((result.ms / base.ms) * 100) / 100,
            ...(result.maxRssMb && base.maxRssMb ? { rssVsBaseline: Math.round((result.maxRssMb / base.maxRssMb) * 100) / 100 } : {}),
          }
        : result;
    results.push(rated);
    process.stderr.write(`${JSON.stringify(rated)}\n`);
  }
  return results;
}
