/**
 * The originals the benchmarks resize, all drawn from the 12 MP fixture so that only size and format
 * change between them: JPEG at 1, 12 and 40 MP, the 12 MP picture as PNG and as WebP, and a 48-frame
 * animated GIF. Generated into bench/tmp/sources/ on the first run (about 10 s) and reused.
 */
import { access, copyFile, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';

const SOURCES_DIR = path.resolve('bench/tmp/sources');
const LANDSCAPE = 'fixtures/images/landscape-12mp.jpg';

/** A 48-frame pan across the 12 MP fixture at 480x270: a typical animated GIF in a photo bucket. */
export async function writePanGif(out: string): Promise<void> {
  const frames = await Promise.all(
    Array.from({ length: 48 }, (_, i) =>
      sharp(LANDSCAPE)
        .extract({ left: i * 60, top: 900, width: 1120, height: 630 })
        .resize(480, 270)
        .png()
        .toBuffer(),
    ),
  );
  await sharp(frames, { join: { animated: true } })
    .gif({ delay: 80, loop: 0 })
    .toFile(out);
}

export interface Source {
  /** Short name used in case names: `12mp-jpeg`. */
  readonly name: string;
  /** The S3 key it is stored under (its extension drives format negotiation, as in production). */
  readonly key: string;
  readonly file: string;
  readonly format: 'jpeg' | 'png' | 'webp' | 'gif';
  readonly width: number;
  /** Of one frame. */
  readonly height: number;
  readonly frames: number;
  /** Decoded pixels of one frame, in megapixels. */
  readonly megapixels: number;
  readonly bytes: number;
  /** How it was made, for the report. */
  readonly made: string;
}

interface Recipe {
  readonly name: string;
  readonly file: string;
  readonly format: Source['format'];
  readonly made: string;
  readonly create: (out: string) => Promise<unknown>;
}

const RECIPES: readonly Recipe[] = [
  {
    name: '1mp-jpeg',
    file: '1mp.jpg',
    format: 'jpeg',
    made: 'the fixture scaled to 1152x864, JPEG q85 baseline',
    create: (out) => sharp(LANDSCAPE).resize(1152, 864).jpeg({ quality: 85 }).toFile(out),
  },
  {
    name: '12mp-jpeg',
    file: '12mp.jpg',
    format: 'jpeg',
    made: 'fixtures/images/landscape-12mp.jpg as is (4000x3000 baseline JPEG)',
    create: (out) => copyFile(LANDSCAPE, out),
  },
  {
    name: '40mp-jpeg',
    file: '40mp.jpg',
    format: 'jpeg',
    made: 'the fixture scaled to 7304x5478, JPEG q88 baseline',
    create: (out) => sharp(LANDSCAPE).resize(7304, 5478).jpeg({ quality: 88 }).toFile(out),
  },
  {
    name: '12mp-png',
    file: '12mp.png',
    format: 'png',
    made: 'the 12 MP fixture as PNG (RGB, compression level 6, not interlaced)',
    create: (out) => sharp(LANDSCAPE).png({ compressionLevel: 6 }).toFile(out),
  },
  {
    name: '12mp-webp',
    file: '12mp.webp',
    format: 'webp',
    made: 'the 12 MP fixture as lossy WebP q80',
    create: (out) => sharp(LANDSCAPE).webp({ quality: 80 }).toFile(out),
  },
  {
    name: 'gif-48f',
    file: 'animated-48f.gif',
    format: 'gif',
    made: 'a 48-frame pan across the fixture at 480x270 (an animated GIF of a photo bucket)',
    create: writePanGif,
  },
];

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** Makes whatever is missing, then describes every source from its own header. */
export async function prepareSources(): Promise<Source[]> {
  await mkdir(SOURCES_DIR, { recursive: true });
  const sources: Source[] = [];
  for (const recipe of RECIPES) {
    const file = path.join(SOURCES_DIR, recipe.file);
    if (!(await exists(file))) await recipe.create(file);
    const meta = await sharp(file).metadata();
    const height = meta.pageHeight ?? meta.height;
    sources.push({
      name: recipe.name,
      key: `bench/${recipe.file}`,
      file,
      format: recipe.format,
      width: meta.width,
      height,
      frames: Math.max(1, meta.pages ?? 1),
      megapixels: Math.round((meta.width * height) / 1e4) / 100,
      bytes: (await stat(file)).size,
      made: recipe.made,
    });
  }
  return sources;
}
