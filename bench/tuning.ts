/**
 * The evidence for the engine's settings (functions/adapters/image/render.ts), measured in the same
 * run on bytes in memory: the JPEG encoder (time, bytes and a luma SSIM against the unencoded
 * resize), AVIF effort, and one libvips thread against two.
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { JpegOptions } from 'sharp';
import type { Source } from './sources.ts';
import { interleave, median, round } from './stats.ts';

/** Mean SSIM over 8x8 luma blocks: crude, but enough to compare encoders at the same size. */
function lumaSsim(a: Uint8Array, b: Uint8Array, width: number, height: number): number {
  const c1 = (0.01 * 255) ** 2;
  const c2 = (0.03 * 255) ** 2;
  let sum = 0;
  let blocks = 0;
  for (let y = 0; y + 8 <= height; y += 8) {
    for (let x = 0; x + 8 <= width; x += 8) {
      let ma = 0;
      let mb = 0;
      for (let j = 0; j < 8; j++)
        for (let i = 0; i < 8; i++) {
          const k = (y + j) * width + x + i;
          ma += a[k]!;
          mb += b[k]!;
        }
      ma /= 64;
      mb /= 64;
      let va = 0;
      let vb = 0;
      let cov = 0;
      for (let j = 0; j < 8; j++)
        for (let i = 0; i < 8; i++) {
          const k = (y + j) * width + x + i;
          const da = a[k]! - ma;
          const db = b[k]! - mb;
          va += da * da;
          vb += db * db;
          cov += da * db;
        }
      sum += ((2 * ma * mb + c1) * (2 * (cov / 63) + c2)) / ((ma * ma + mb * mb + c1) * (va / 63 + vb / 63 + c2));
      blocks++;
    }
  }
  return sum / blocks;
}

export interface TuningResult {
  readonly jpeg_og_12mp: readonly { setting: string; median_ms: number; kb: number; ssim: number }[];
  readonly avif_card_12mp: readonly { setting: string; median_ms: number; kb: number }[];
  readonly threads: readonly { case: string; median_ms: number }[];
  readonly stream_into_sharp: { decode_from_buffer_ms: number; result_after_last_chunk_ms: number };
}

/** `rounds` timed rounds of each comparison (at least 3 where noted, unless `smoke`: one round, no warm-up). */
export async function benchTuning(sources: readonly Source[], rounds: number, smoke = false): Promise<TuningResult> {
  const source = sources.find((s) => s.name === '12mp-jpeg')!;
  const gif = sources.find((s) => s.name === 'gif-48f');
  const bytes = await readFile(source.file);
  const threadsBefore = sharp.concurrency();

  // JPEG: 1200x630 q85 (the og preset) from the 12 MP photo.
  const resized = () => sharp(bytes, { sequentialRead: true, autoOrient: true }).resize({ width: 1200, height: 630, fit: 'cover' });
  const reference = await resized().greyscale().raw().toBuffer({ resolveWithObject: true });
  const jpegSettings: Record<string, JpegOptions> = {
    'engine: libjpeg-turbo, quantisation table 3 (this run)': { quality: 85, quantisationTable: 3, chromaSubsampling: '4:2:0' },
    'before: mozjpeg (trellis, scan optimisation), progressive': { quality: 85, mozjpeg: true, progressive: true, chromaSubsampling: '4:2:0' },
    'engine + progressive': { quality: 85, quantisationTable: 3, progressive: true, chromaSubsampling: '4:2:0' },
    "sharp's default (the floor)": { quality: 85 },
  };
  sharp.concurrency(1);
  const jpegBytes: Record<string, Buffer> = {};
  const jpegTimes = await interleave(
    Object.fromEntries(
      Object.entries(jpegSettings).map(([name, options]) => [
        name,
        async () => {
          jpegBytes[name] = await resized().jpeg(options).toBuffer();
        },
      ]),
    ),
    rounds,
    smoke ? 0 : 1,
  );
  const jpeg = [];
  for (const [name, out] of Object.entries(jpegBytes)) {
    const luma = await sharp(out).greyscale().raw().toBuffer();
    jpeg.push({
      setting: name,
      median_ms: round(median(jpegTimes[name]!)),
      kb: round(out.byteLength / 1024, 1),
      ssim: round(lumaSsim(reference.data, luma, reference.info.width, reference.info.height), 4),
    });
  }

  // AVIF effort: the card preset (640 wide, q75), where the encoder is most of the work.
  const card = () => sharp(bytes, { sequentialRead: true, autoOrient: true }).resize({ width: 640, fit: 'inside' });
  const avifBytes: Record<string, number> = {};
  const avifTimes = await interleave(
    Object.fromEntries(
      [2, 4].map((effort) => [
        `effort ${effort}`,
        async () => {
          avifBytes[`effort ${effort}`] = (await card().avif({ quality: 75, effort }).toBuffer()).byteLength;
        },
      ]),
    ),
    smoke ? 1 : Math.max(3, Math.ceil(rounds / 2)),
    smoke ? 0 : 1,
  );
  const avif = Object.keys(avifBytes).map((name) => ({ setting: name, median_ms: round(median(avifTimes[name]!)), kb: round(avifBytes[name]! / 1024, 1) }));

  // Threads: libvips with one worker thread against two, where they could matter most.
  const threadCases: Record<string, () => Promise<unknown>> = {
    '12mp-jpeg > card avif, 1 thread': () => withThreads(1, () => card().avif({ quality: 75, effort: 2 }).toBuffer()),
    '12mp-jpeg > card avif, 2 threads': () => withThreads(2, () => card().avif({ quality: 75, effort: 2 }).toBuffer()),
    '12mp-jpeg > og jpg, 1 thread': () =>
      withThreads(1, () => resized().jpeg(jpegSettings['engine: libjpeg-turbo, quantisation table 3 (this run)']).toBuffer()),
    '12mp-jpeg > og jpg, 2 threads': () =>
      withThreads(2, () => resized().jpeg(jpegSettings['engine: libjpeg-turbo, quantisation table 3 (this run)']).toBuffer()),
  };
  if (gif) {
    const gifBytes = await readFile(gif.file);
    const anim = () => sharp(gifBytes, { animated: true }).resize({ width: 640, fit: 'inside', withoutEnlargement: true }).webp({ quality: 75, effort: 2 });
    threadCases['gif-48f > card webp (animated), 1 thread'] = () => withThreads(1, () => anim().toBuffer());
    threadCases['gif-48f > card webp (animated), 2 threads'] = () => withThreads(2, () => anim().toBuffer());
  }
  const threadTimes = await interleave(threadCases, smoke ? 1 : Math.max(3, Math.ceil(rounds / 2)), smoke ? 0 : 1);
  sharp.concurrency(threadsBefore);
  const threads = Object.keys(threadCases).map((name) => ({ case: name, median_ms: round(median(threadTimes[name]!)) }));
  return { jpeg_og_12mp: jpeg, avif_card_12mp: avif, threads, stream_into_sharp: await streamIntoSharp(bytes, smoke ? 1 : Math.max(3, Math.ceil(rounds / 2))) };
}

/**
 * Does sharp decode a stream while it arrives? The 12 MP JPEG is written into a sharp pipeline in
 * 64 KB chunks, all but the last at once and the last after a pause: if sharp decoded as data came,
 * the result would follow the last chunk quickly; if it buffers, it follows by a whole decode.
 */
async function streamIntoSharp(bytes: Buffer, rounds: number): Promise<TuningResult['stream_into_sharp']> {
  sharp.concurrency(1);
  const thumb = () => sharp({ sequentialRead: true }).resize({ width: 128, height: 128, fit: 'cover' }).webp({ quality: 75, effort: 3 });
  const fromBuffer: number[] = [];
  const afterLastChunk: number[] = [];
  for (let i = -1; i < rounds; i++) {
    let started = performance.now();
    await sharp(bytes, { sequentialRead: true }).resize({ width: 128, height: 128, fit: 'cover' }).webp({ quality: 75, effort: 3 }).toBuffer();
    if (i >= 0) fromBuffer.push(performance.now() - started);
    const pipeline = thumb();
    const done = pipeline.toBuffer();
    const chunk = 64 * 1024;
    for (let at = 0; at < bytes.byteLength - chunk; at += chunk) pipeline.write(bytes.subarray(at, Math.min(at + chunk, bytes.byteLength - chunk)));
    await new Promise((resolve) => setTimeout(resolve, 100));
    started = performance.now();
    pipeline.end(bytes.subarray(bytes.byteLength - chunk));
    await done;
    if (i >= 0) afterLastChunk.push(performance.now() - started);
  }
  return { decode_from_buffer_ms: round(median(fromBuffer)), result_after_last_chunk_ms: round(median(afterLastChunk)) };
}

async function withThreads<T>(threads: number, fn: () => Promise<T>): Promise<T> {
  sharp.concurrency(threads);
  return fn();
}
