/**
 * The image engine per output format, on a 12 MP and a 40 MP source, plus AVIF, PNG, rotated,
 * attention-cropped and animated cases: encode (render) time and peak memory.
 *
 * Each case runs in a child process of its own (bench/image-engine-child.ts, bundled here once),
 * one warm-up and `runs` timed renders, and reports `process.resourceUsage().maxRSS`: RSS only grows
 * within one process, so a shared process would report the largest case for every later one. The
 * baseline is the same child with sharp and the engine loaded and no image.
 *
 * Sources are generated into bench/tmp/image-engine/ on the first run (about 10 s) and reused.
 */
import { access, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { Variant } from '../functions/core/grammar.ts';
import { bundleChild } from './child.ts';
import { writePanGif } from './sources.ts';
import { median, round } from './stats.ts';

const DIR = path.resolve('bench/tmp/image-engine');

interface EngineCase {
  readonly name: string;
  readonly source: string;
  readonly variant: Variant;
  readonly runs: number;
  /** Render option overrides, e.g. a byte limit a source exceeds on purpose. */
  readonly options?: Record<string, number>;
}

const PAGE = (format: Variant['format']): Variant => ({ width: 1280, height: undefined, fit: 'inside', quality: 75, format });

function cases(): EngineCase[] {
  const list: EngineCase[] = [];
  for (const [source, runs] of [
    ['12mp.jpg', 3],
    ['40mp.jpg', 2],
  ] as const) {
    for (const format of ['jpg', 'webp', 'avif', 'png', 'gif'] as const) {
      list.push({ name: `${source.replace('.jpg', '-jpeg')}-to-1280w-${format}`, source, variant: PAGE(format), runs });
    }
  }
  list.push(
    { name: '12mp-jpeg-to-128x128-avif', source: '12mp.jpg', variant: { width: 128, height: 128, fit: 'cover', quality: 75, format: 'avif' }, runs: 3 },
    { name: '12mp-avif-to-1280w-webp', source: '12mp.avif', variant: PAGE('webp'), runs: 2 },
    { name: '40mp-avif-to-1280w-webp', source: '40mp.avif', variant: PAGE('webp'), runs: 1 },
    { name: '40mp-progressive-jpeg-to-1280w-webp', source: '40mp-progressive.jpg', variant: PAGE('webp'), runs: 2 },
    // A 40 MP photo as PNG is ~65 MB, over the default byte limit: measured with the limit raised.
    { name: '40mp-png-to-1280w-webp', source: '40mp.png', variant: PAGE('webp'), runs: 2, options: { maxInputBytes: 128 * 1024 * 1024 } },
    { name: '40mp-jpeg-exif6-to-1280w-webp', source: '40mp-exif6.jpg', variant: PAGE('webp'), runs: 2 },
    {
      name: '40mp-jpeg-to-512x512-attention-webp',
      source: '40mp.jpg',
      variant: { width: 512, height: 512, fit: 'cover', position: 'attention', quality: 75, format: 'webp' },
      runs: 2,
    },
    {
      name: 'animated-gif-48f-to-320w-webp',
      source: 'animated-48f.gif',
      variant: { width: 320, height: undefined, fit: 'inside', quality: 75, format: 'webp' },
      runs: 2,
    },
    {
      name: 'animated-gif-48f-to-320w-gif',
      source: 'animated-48f.gif',
      variant: { width: 320, height: undefined, fit: 'inside', quality: 75, format: 'gif' },
      runs: 2,
    },
    {
      name: 'animated-gif-48f-to-320w-avif-first-frame',
      source: 'animated-48f.gif',
      variant: { width: 320, height: undefined, fit: 'inside', quality: 75, format: 'avif' },
      runs: 2,
    },
  );
  return list;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** The sources, drawn from the 12 MP fixture: scaled up to 40 MP, re-encoded, rotated, animated. */
async function prepareSources(needed: ReadonlySet<string>): Promise<Record<string, { width: number; height: number; bytes: number }>> {
  await mkdir(DIR, { recursive: true });
  const landscape = 'fixtures/images/landscape-12mp.jpg';
  const out = (name: string) => path.join(DIR, name);
  const make: Record<string, () => Promise<unknown>> = {
    '12mp.jpg': () => sharp(landscape).toFile(out('12mp.jpg')),
    '12mp.avif': () => sharp(landscape).avif({ quality: 60, effort: 2 }).toFile(out('12mp.avif')),
    '40mp.jpg': () => sharp(landscape).resize(7304, 5478).jpeg({ quality: 88 }).toFile(out('40mp.jpg')),
    '40mp.avif': () => sharp(landscape).resize(7304, 5478).avif({ quality: 60, effort: 2 }).toFile(out('40mp.avif')),
    '40mp-progressive.jpg': () => sharp(landscape).resize(7304, 5478).jpeg({ quality: 88, progressive: true }).toFile(out('40mp-progressive.jpg')),
    '40mp.png': () => sharp(landscape).resize(7304, 5478).png({ compressionLevel: 1 }).toFile(out('40mp.png')),
    // Stored turned a quarter anticlockwise, displayed upright by EXIF orientation 6.
    '40mp-exif6.jpg': async () => {
      const scaled = await sharp(landscape).resize(7304, 5478).png({ compressionLevel: 0 }).toBuffer();
      await sharp(scaled).rotate(-90).withMetadata({ orientation: 6 }).jpeg({ quality: 88 }).toFile(out('40mp-exif6.jpg'));
    },
    'animated-48f.gif': () => writePanGif(out('animated-48f.gif')),
  };
  const info: Record<string, { width: number; height: number; bytes: number }> = {};
  for (const [name, create] of Object.entries(make)) {
    if (!needed.has(name)) continue;
    if (!(await exists(out(name)))) await create();
    const meta = await sharp(out(name)).metadata();
    info[name] = {
      width: meta.width,
      height: meta.pageHeight ?? meta.height,
      bytes: (await stat(out(name))).size,
      ...(meta.pages && meta.pages > 1 ? { frames: meta.pages } : {}),
    };
  }
  return info;
}

/** Every case, or those named in `only` (the smoke run), making only the sources they read. */
export async function benchImageEngine(options: { only?: readonly string[] } = {}): Promise<Record<string, unknown>> {
  const started = Date.now();
  const chosen = cases().filter((c) => !options.only || options.only.includes(c.name));
  const sources = await prepareSources(new Set(chosen.map((c) => c.source)));
  const child = await bundleChild('bench/image-engine-child.ts', DIR);
  const baseline = await child(['--baseline']);
  const baselineMb = round(Number(baseline['maxRssKb']) / 1024, 1);
  const results: Record<string, unknown>[] = [];
  for (const c of chosen) {
    const r = await child([path.join(DIR, c.source), JSON.stringify(c.variant), String(c.runs), JSON.stringify(c.options ?? {})]);
    const ms = r['ms'] as number[];
    const peakMb = round(Number(r['maxRssKb']) / 1024, 1);
    results.push({
      case: c.name,
      output: c.variant.format,
      median_ms: round(median(ms)),
      runs: ms.length,
      peak_rss_mb: peakMb,
      peak_over_baseline_mb: round(peakMb - baselineMb, 1),
      output_kb: round(Number(r['outputBytes']) / 1024, 1),
      size: `${String(r['width'])}x${String(r['height'])}${Number(r['frames']) > 1 ? ` x${String(r['frames'])}` : ''}`,
    });
  }
  return { sources, baseline_rss_mb: baselineMb, cases: results, seconds: Math.round((Date.now() - started) / 1000) };
}
