/**
 * The header of a source, read without decoding pixels, and the refusals it decides: bytes, the
 * cost model's cheap reads (functions/adapters/image/scan.ts) before sharp sees the bytes, the format,
 * the size of one frame, the frame count; and the decode-memory estimate render() checks once it
 * knows the size it decodes at.
 */
import type { Metadata } from 'sharp';
import { checkFrames, checkJpegScans, checkSvg, checkSvgBytes, tooCostly } from '../../core/cost.ts';
import type { CostLimits } from '../../core/cost.ts';
import { EdgeError } from '../../core/errors.ts';
import { loadEngine } from './engine.ts';
import { readCopyright } from './exif.ts';
import { countGifFrames, countJpegScans, isGif, isJpeg, looksLikeXml, scanSvg } from './scan.ts';
import { classifySharpError } from './sharp-errors.ts';

export interface RenderLimits {
  /** Pixels of one decoded frame, or of all frames when the output is animated. */
  readonly maxInputPixels: number;
  /** Bytes of the source. Callers that read the source may check first; render checks again. */
  readonly maxInputBytes?: number;
  /** Estimated peak decode memory (see DECODE_BYTES_PER_PIXEL). Absent: not checked. */
  readonly maxDecodeMegabytes?: number;
  /** The admission cost model: frames, JPEG scans, SVG complexity (functions/core/cost.ts). Absent: not checked. */
  readonly cost?: CostLimits;
}

/** Source formats the engine reads, as sharp names them (AVIF is sharp's `heif` with AV1 inside). */
type SourceFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'avif' | 'tiff' | 'svg';

/** What the header says about a source, read without decoding pixels. */
export interface SourceHeader {
  readonly format: SourceFormat;
  /** Displayed size (EXIF orientation applied), of one frame; for SVG, at 72 dpi. */
  readonly width: number;
  readonly height: number;
  readonly frames: number;
  readonly hasAlpha: boolean;
  readonly copyright: string | undefined;
  /** What the decoder's memory depends on: progressive JPEG / interlaced PNG, bands, sample size. */
  readonly progressive: boolean;
  readonly channels: number;
  readonly bytesPerSample: number;
  readonly chromaSubsampling: string | undefined;
  /** An SVG's filter work (functions/core/cost.ts SvgStats.filterWork), priced by the size it renders at. */
  readonly svgFilterWork?: number;
}

/**
 * Peak decode memory per decoded pixel, in bytes, beyond what the process holds anyway: measured
 * with bench/image-engine.ts (peak RSS over a sharp-loaded baseline, one process per case) and a few
 * one-off runs, sharp 0.35.5 / libvips 8.18, one thread, cache off, rounded up. Formats that shrink
 * on load or stream their lines cost little per pixel; formats decoded whole cost a frame and more:
 *   JPEG baseline 40 MP: 33 MB, 200 MP: 37 MB     progressive 4:2:0 40 MP: 185 MB, 200 MP: 600 MB
 *   PNG 40 MP (67 MB file): 130 MB                interlaced RGBA 200 MP: 870 MB (4.3 B/px)
 *   WebP 40 MP: 25 MB    TIFF 48 MP tiled: 18 MB    SVG rasterised at 48 MP: 24 MB
 *   GIF one 48 MP frame: 258 MB (5.4 B/px)        AVIF 12 MP: 294 MB, 40 MP: 759 MB (19 B/px)
 *   animated output: about 4 B per pixel of every frame, on top of one frame's decode.
 */
export function decodeBytesPerPixel(header: SourceHeader): number {
  switch (header.format) {
    case 'jpeg': {
      if (!header.progressive) return 0.5;
      // A progressive JPEG keeps every DCT coefficient (2 bytes) of every component until the end.
      const chroma = header.channels >= 4 ? 3 : header.chromaSubsampling === '4:4:4' ? 2 : header.chromaSubsampling === '4:2:2' ? 1 : 0.5;
      return 2 * (1 + chroma) + 1;
    }
    case 'png':
      return header.progressive ? header.channels * header.bytesPerSample + 0.5 : 1;
    case 'webp':
    case 'tiff':
    case 'svg':
      return 1;
    case 'gif':
      return 6;
    case 'avif':
      return 19;
  }
}

/** Reads the header only (no pixel decode) and refuses what the engine will not decode. */
export async function inspect(source: Buffer, limits: RenderLimits): Promise<SourceHeader> {
  if (source.byteLength === 0) throw new EdgeError('UnprocessableImage', 'The original image is empty', { detail: '0 bytes', scope: 'source' });
  if (limits.maxInputBytes !== undefined && source.byteLength > limits.maxInputBytes) {
    throw new EdgeError('SourceTooLarge', 'The original image is too large to resize', {
      detail: `${source.byteLength} bytes, the limit is ${limits.maxInputBytes}`,
      scope: 'source',
    });
  }
  // The cost model's cheap reads come before sharp: librsvg parses a whole SVG to give its size, and
  // a JPEG's scan count is only known by walking its markers.
  let svgFilterWork: number | undefined;
  if (limits.cost) {
    if (looksLikeXml(source)) {
      checkSvgBytes(source.byteLength, limits.cost);
      const stats = scanSvg(source);
      checkSvg(stats, limits.cost);
      svgFilterWork = stats.filterWork;
    } else if (isJpeg(source)) {
      checkJpegScans(countJpegScans(source), limits.cost);
    } else if (isGif(source)) {
      // libvips reads every frame of a GIF to count them: count the descriptors ourselves first.
      const frames = countGifFrames(source, limits.cost.maxFrames + 1);
      if (frames > limits.cost.maxFrames) {
        throw tooCostly(
          'The original image has too many frames to resize',
          `gif of more than ${limits.cost.maxFrames} frames, the limit is maxFrames ${limits.cost.maxFrames}`,
        );
      }
    }
  }
  const sharp = await loadEngine();
  let meta: Metadata;
  try {
    // The pixel limit is checked by us below, with the frame count and a clear message.
    meta = await sharp(source, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw classifySharpError(error, 'header');
  }
  const format = sourceFormat(meta);
  // The header of a multi-frame image (read without `animated`) describes one frame or page.
  const storedWidth = meta.width;
  const storedHeight = meta.pageHeight ?? meta.height;
  if (!(storedWidth > 0 && storedHeight > 0)) {
    throw new EdgeError('UnprocessableImage', 'The original image cannot be decoded', { detail: `${format} header without a size`, scope: 'source' });
  }
  const frames = Math.max(1, meta.pages ?? 1);
  if (limits.cost) checkFrames(format, storedWidth, storedHeight, frames, false, limits.cost);
  // EXIF orientations 5-8 turn the picture a quarter: width and height swap when displayed.
  const swapped = (meta.orientation ?? 1) >= 5;
  const oneFrame = swapped ? { width: storedHeight, height: storedWidth } : { width: storedWidth, height: storedHeight };
  const pixels = oneFrame.width * oneFrame.height;
  if (format !== 'svg' && pixels > limits.maxInputPixels) {
    throw new EdgeError('SourceTooLarge', 'The original image has too many pixels to resize', {
      detail: `${format} ${oneFrame.width}x${oneFrame.height} = ${pixels} pixels, the limit is ${limits.maxInputPixels}`,
      scope: 'source',
    });
  }
  return {
    format,
    width: oneFrame.width,
    height: oneFrame.height,
    frames,
    hasAlpha: meta.hasAlpha,
    copyright: readCopyright(meta.exif),
    progressive: meta.isProgressive === true,
    channels: meta.channels,
    bytesPerSample: meta.depth === 'ushort' || meta.depth === 'short' ? 2 : meta.depth === 'float' || meta.depth === 'uint' || meta.depth === 'int' ? 4 : 1,
    chromaSubsampling: meta.chromaSubsampling,
    ...(format === 'svg' && svgFilterWork ? { svgFilterWork } : {}),
  };
}

function sourceFormat(meta: Metadata): SourceFormat {
  switch (meta.format) {
    case 'jpeg':
    case 'png':
    case 'webp':
    case 'gif':
    case 'tiff':
    case 'svg':
      return meta.format;
    case 'heif':
      if (meta.compression === 'av1') return 'avif';
      throw new EdgeError('UnsupportedMediaType', 'The original image format is not supported', {
        detail: `heif with ${meta.compression ?? 'unknown'} compression`,
        scope: 'source',
      });
    default:
      throw new EdgeError('UnsupportedMediaType', 'The original image format is not supported', { detail: `format ${String(meta.format)}`, scope: 'source' });
  }
}
