/**
 * Originals crafted to pass the old header checks (pixels, bytes, decode-memory estimate) while
 * costing seconds to hours of CPU, generated small, in memory.
 *
 *   manyScanJpeg    a progressive JPEG whose last scan is repeated: every scan is a pass over all
 *                   coefficients (libjpeg warns about the bogus progression and goes on decoding)
 *   manyFrameGif    hundreds of 1x1 frames on a large canvas: each frame composites the canvas
 *   manyFrameWebp   an animated WebP of many frames
 *   useFanOutSvg    `<use>` references nested ten wide: 10^depth blurred shapes from 2 KB
 *   hugeSvg         a flat SVG of many elements (librsvg parses all of it to read the header)
 *   tallPng         1920x104000, 1 bit: under the pixel limit, taller than WebP and AVIF can hold
 *   corruptInterlacedPng  an interlaced 16-bit PNG with damaged (CRC-correct) image data
 */
import { deflateSync } from 'node:zlib';
import zlib from 'node:zlib';
import sharp from 'sharp';
import type { CostLimits } from '../../functions/core/cost.ts';

/** Every marker segment and scan of a JPEG as byte ranges: [start, end) of each SOS up to the next non-RST marker. */
function jpegScans(jpeg: Buffer): { start: number; end: number }[] {
  const scans: { start: number; end: number }[] = [];
  let at = 2;
  while (at < jpeg.length - 1) {
    if (jpeg[at] !== 0xff) throw new Error(`Expected a marker at ${at} but received ${jpeg[at]}`);
    const marker = jpeg[at + 1]!;
    if (marker === 0xd9) break;
    const length = jpeg.readUInt16BE(at + 2);
    let next = at + 2 + length;
    if (marker === 0xda) {
      // Entropy-coded data runs to the next marker that is neither a stuffed 0xFF00 nor a restart.
      while (next < jpeg.length - 1 && !(jpeg[next] === 0xff && jpeg[next + 1] !== 0 && !(jpeg[next + 1]! >= 0xd0 && jpeg[next + 1]! <= 0xd7))) next++;
      scans.push({ start: at, end: next });
    }
    at = next;
  }
  return scans;
}

export async function manyScanJpeg(size = 2000, scans = 900): Promise<Buffer> {
  const base = await sharp({ create: { width: size, height: size, channels: 3, background: '#808080' } })
    .jpeg({ progressive: true, quality: 90 })
    .toBuffer();
  const found = jpegScans(base);
  const last = found.at(-1)!;
  const repeated = base.subarray(last.start, last.end);
  const extra = Math.max(0, scans - found.length);
  return Buffer.concat([base.subarray(0, last.end), ...Array.from({ length: extra }, () => repeated), base.subarray(last.end)]);
}

/** A GIF89a of `frames` 1x1 frames on a `canvas`x`canvas` screen, a few bytes per frame. */
export function manyFrameGif(canvas = 500, frames = 800): Buffer {
  const header = Buffer.alloc(13);
  header.write('GIF89a', 0, 'latin1');
  header.writeUInt16LE(canvas, 6);
  header.writeUInt16LE(canvas, 8);
  header[10] = 0x80; // global colour table of 2 entries
  const palette = Buffer.from([0, 0, 0, 255, 255, 255]);
  const loop = Buffer.from([0x21, 0xff, 0x0b, ...Buffer.from('NETSCAPE2.0', 'latin1'), 0x03, 0x01, 0x00, 0x00, 0x00]);
  const frame = (i: number): Buffer => {
    const control = Buffer.from([0x21, 0xf9, 0x04, 0x00, 0x02, 0x00, 0x00, 0x00]);
    const descriptor = Buffer.alloc(10);
    descriptor[0] = 0x2c;
    descriptor.writeUInt16LE(i % canvas, 1);
    descriptor.writeUInt16LE(Math.floor(i / canvas) % canvas, 3);
    descriptor.writeUInt16LE(1, 5);
    descriptor.writeUInt16LE(1, 7);
    // LZW, minimum code size 2: clear (4), pixel 0, end (5), as 3-bit codes packed LSB first.
    const data = Buffer.from([0x02, 0x02, 0x44, 0x01, 0x00]);
    return Buffer.concat([control, descriptor, data]);
  };
  return Buffer.concat([header, palette, loop, ...Array.from({ length: frames }, (_, i) => frame(i)), Buffer.from([0x3b])]);
}

/** `<use>` fan-out: level k holds `width` uses of level k-1; level 0 is a blurred circle. */
export function useFanOutSvg(depth = 6, width = 10, blur = 8): Buffer {
  const levels: string[] = [`<g id="l0"><circle cx="50" cy="50" r="40" fill="#c33" filter="url(#b)"/></g>`];
  for (let k = 1; k <= depth; k++) {
    levels.push(`<g id="l${k}">${Array.from({ length: width }, (_, i) => `<use href="#l${k - 1}" x="${i}"/>`).join('')}</g>`);
  }
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="1000"><defs><filter id="b"><feGaussianBlur stdDeviation="${blur}"/></filter>${levels.join('')}</defs><use href="#l${depth}"/></svg>`,
  );
}

export function hugeSvg(elements = 900_000): Buffer {
  const rect = '<rect x="1" y="1" width="2" height="2"/>';
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">${rect.repeat(elements)}</svg>`);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A valid 1-bit greyscale PNG (a few hundred KB) of width x height. */
export function tallPng(width = 1920, height = 104_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1;
  ihdr[9] = 0;
  const row = Buffer.alloc(1 + Math.ceil(width / 8));
  const rows = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)), { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', rows),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * An interlaced (Adam7) 16-bit RGB PNG whose compressed data is damaged mid-stream, with the chunk
 * CRC recomputed so that only the image data is wrong.
 */
export async function corruptInterlacedPng(size = 600): Promise<Buffer> {
  const good = await sharp({ create: { width: size, height: size, channels: 3, background: '#456789' } })
    .composite([
      {
        input: Buffer.from(
          `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"><circle cx="${size / 2}" cy="${size / 2}" r="${size / 3}" fill="#f80"/></svg>`,
        ),
      },
    ])
    .toColourspace('rgb16')
    .png({ progressive: true, compressionLevel: 1 })
    .toBuffer();
  // Rebuild the IDAT as one chunk with a run of its middle bytes overwritten.
  const chunks: { type: string; data: Buffer }[] = [];
  for (let at = 8; at < good.length; ) {
    const length = good.readUInt32BE(at);
    chunks.push({ type: good.toString('latin1', at + 4, at + 8), data: good.subarray(at + 8, at + 8 + length) });
    at += 12 + length;
  }
  const idat = Buffer.concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data));
  const middle = Math.floor(idat.length / 2);
  for (let i = middle; i < middle + 64 && i < idat.length; i++) idat[i] = (idat[i]! * 31 + 7) & 0xff;
  const head = chunks.filter((c) => c.type !== 'IDAT' && c.type !== 'IEND');
  return Buffer.concat([good.subarray(0, 8), ...head.map((c) => pngChunk(c.type, c.data)), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]);
}

/**
 * A filter of `primitives` costly primitives drawn through `<use>` `draws` times and once in its `<defs>` (3-5 KB): every
 * drawing runs the whole filter over the canvas. Each kind is one librsvg cost: a Gaussian blur,
 * a morphology (the costliest per pixel), a turbulence of 8 octaves.
 */
export function filterStormSvg(kind: 'blur' | 'morphology' | 'turbulence', primitives = 50, draws = 99): Buffer {
  const primitive = {
    blur: (i: number) => `<feGaussianBlur stdDeviation="${(i % 9) + 2}"/>`,
    morphology: (i: number) => `<feMorphology radius="${(i % 9) + 4}"/>`,
    turbulence: (i: number) => `<feTurbulence baseFrequency=".0${(i % 9) + 1}" numOctaves="8"/>`,
  }[kind];
  const filter = `<filter id="f" x="0" y="0" width="1" height="1">${Array.from({ length: primitives }, (_, i) => primitive(i)).join('')}</filter>`;
  const uses = Array.from({ length: draws }, () => '<use href="#r"/>').join('');
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="1000"><defs>${filter}<rect id="r" width="1000" height="1000" fill="#c33" filter="url(#f)"/></defs>${uses}</svg>`,
  );
}

/**
 * `<use>` references fanned out to `count` thousand full-canvas, half-transparent rectangles (2 KB):
 * no filters, under every element limit, so the cost model admits it and estimates it at tens of
 * milliseconds, while librsvg blends every rectangle over every pixel (19,000 took 12 s at 512 px).
 * The source the render budget and the pool's reserve must hold against.
 */
export function shapeFanOutSvg(thousands = 19): Buffer {
  const rects = '<rect width="1000" height="1000" fill="#c33" opacity=".5"/>'.repeat(10);
  const level = (id: string, ref: string, n: number) => `<g id="${id}">${`<use href="#${ref}"/>`.repeat(n)}</g>`;
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="1000"><defs><g id="a">${rects}</g>${level('b', 'a', 10)}${level('c', 'b', 10)}${level('d', 'c', thousands)}</defs><use href="#d"/></svg>`,
  );
}

/**
 * Cost limits that let an SVG `<use>` fan-out of filtered shapes through to librsvg, so that a test
 * or the bench can make a render that really runs past its budget; `changes` set the budget.
 */
export function costLettingFanOutThrough(cost: CostLimits, changes: Partial<CostLimits>): CostLimits {
  return {
    ...cost,
    ...changes,
    svg: {
      ...cost.svg,
      maxRenderedElements: Number.MAX_SAFE_INTEGER,
      maxFilteredRenders: Number.MAX_SAFE_INTEGER,
      maxFilterWork: Number.MAX_SAFE_INTEGER,
      maxFilterPixels: Number.MAX_SAFE_INTEGER,
    },
  };
}
