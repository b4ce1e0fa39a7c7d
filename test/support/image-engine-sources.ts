/**
 * Source images for the image-engine tests, drawn from code at test time (nothing is committed or
 * downloaded): every format the engine reads, animation, alpha, EXIF orientations 1-8, wide-gamut and
 * CMYK colour, 16-bit depth, rich metadata, and the hostile inputs (bombs, corrupt files, SVG with
 * external references). Also the pixel comparison the tests use.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import zlib from 'node:zlib';
import sharp from 'sharp';
import type { Sharp } from 'sharp';

export type Rgb = readonly [number, number, number];
export interface RawImage {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
}

/** A smooth, colourful picture with shapes: compresses in every format, and resizes predictably. */
export function scene(width: number, height: number): RawImage {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const u = x / width;
      const v = y / height;
      let r = 40 + 180 * u;
      let g = 30 + 190 * v;
      let b = 128 + 90 * Math.sin(6 * u + 3 * v);
      const dx = u - 0.3;
      const dy = v - 0.4;
      if (dx * dx + dy * dy < 0.03) [r, g, b] = [250, 220, 40];
      if (u > 0.6 && u < 0.85 && v > 0.55 && v < 0.85) [r, g, b] = [30, 40, 160];
      data[i] = Math.round(r);
      data[i + 1] = Math.round(g);
      data[i + 2] = Math.round(b);
    }
  }
  return { data, width, height, channels: 3 };
}

export const RED: Rgb = [230, 30, 30];
export const GREEN: Rgb = [30, 200, 60];
export const BLUE: Rgb = [30, 60, 230];
export const YELLOW: Rgb = [240, 220, 30];

/** Four solid quadrants: top-left red, top-right green, bottom-left blue, bottom-right yellow. */
export function quadrants(width: number, height: number): RawImage {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const colour = y < height / 2 ? (x < width / 2 ? RED : GREEN) : x < width / 2 ? BLUE : YELLOW;
      data.set(colour, (y * width + x) * 3);
    }
  }
  return { data, width, height, channels: 3 };
}

/**
 * RGBA: fully transparent background (every corner alpha 0), an opaque red square in the middle and
 * a 50% transparent blue band across the bottom quarter.
 */
export function withAlpha(width: number, height: number): RawImage {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const inSquare = x > width * 0.3 && x < width * 0.7 && y > height * 0.25 && y < height * 0.65;
      const inBand = y > height * 0.75 && x > width * 0.1 && x < width * 0.9;
      if (inSquare) data.set([220, 20, 20, 255], i);
      else if (inBand) data.set([20, 40, 220, 128], i);
      else data.set([0, 0, 0, 0], i);
    }
  }
  return { data, width, height, channels: 4 };
}

export function fromRaw(image: RawImage): Sharp {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } });
}

export type SourceKind = 'jpeg' | 'png' | 'webp' | 'avif' | 'gif' | 'tiff';

export function encode(image: RawImage, kind: SourceKind): Promise<Buffer> {
  const s = fromRaw(image);
  switch (kind) {
    case 'jpeg':
      return s.jpeg({ quality: 92 }).toBuffer();
    case 'png':
      return s.png().toBuffer();
    case 'webp':
      return s.webp({ quality: 92 }).toBuffer();
    case 'avif':
      return s.avif({ quality: 80, effort: 1 }).toBuffer();
    case 'gif':
      return s.gif().toBuffer();
    case 'tiff':
      return s.tiff({ compression: 'lzw' }).toBuffer();
  }
}

/** The quadrant picture as SVG: 200x150 user units, the same four colours, no external anything. */
export function quadrantsSvg(width = 200, height = 150): Buffer {
  const [w2, h2] = [width / 2, height / 2];
  const fill = (c: Rgb) => `rgb(${c.join(',')})`;
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
      `<rect x="0" y="0" width="${w2}" height="${h2}" fill="${fill(RED)}"/>` +
      `<rect x="${w2}" y="0" width="${w2}" height="${h2}" fill="${fill(GREEN)}"/>` +
      `<rect x="0" y="${h2}" width="${w2}" height="${h2}" fill="${fill(BLUE)}"/>` +
      `<rect x="${w2}" y="${h2}" width="${w2}" height="${h2}" fill="${fill(YELLOW)}"/>` +
      `</svg>`,
  );
}

/** The colours of the frames of `animation()`, in order. */
export const FRAME_COLOURS: readonly Rgb[] = [RED, GREEN, BLUE];
export const FRAME_DELAYS = [100, 200, 300];

/** A 3-frame animation, 120x90 per frame: each frame one solid colour (FRAME_COLOURS). */
export async function animation(kind: 'gif' | 'webp', width = 120, height = 90): Promise<Buffer> {
  const frames = await Promise.all(
    FRAME_COLOURS.map((c) =>
      sharp({ create: { width, height, channels: 3, background: { r: c[0], g: c[1], b: c[2] } } })
        .png()
        .toBuffer(),
    ),
  );
  const joined = sharp(frames, { join: { animated: true } });
  return kind === 'gif' ? joined.gif({ delay: FRAME_DELAYS, loop: 0 }).toBuffer() : joined.webp({ delay: FRAME_DELAYS, loop: 0, quality: 90 }).toBuffer();
}

/**
 * A JPEG with EXIF `Orientation` = `orientation` whose stored pixels are arranged so that, displayed
 * as EXIF says, it shows `quadrants(width, height)` upright.
 */
export async function orientedJpeg(orientation: number, width = 400, height = 300): Promise<Buffer> {
  const display = quadrants(width, height);
  const swapped = orientation >= 5;
  const sw = swapped ? height : width;
  const sh = swapped ? width : height;
  const stored = Buffer.alloc(sw * sh * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // Where display pixel (x, y) lives in the stored image, per the EXIF definition.
      const [sx, sy] = ((): [number, number] => {
        switch (orientation) {
          case 2:
            return [sw - 1 - x, y];
          case 3:
            return [sw - 1 - x, sh - 1 - y];
          case 4:
            return [x, sh - 1 - y];
          case 5:
            return [y, x];
          case 6:
            return [y, sh - 1 - x];
          case 7:
            return [sw - 1 - y, sh - 1 - x];
          case 8:
            return [sw - 1 - y, x];
          default:
            return [x, y];
        }
      })();
      display.data.copy(stored, (sy * sw + sx) * 3, (y * width + x) * 3, (y * width + x) * 3 + 3);
    }
  }
  return sharp(stored, { raw: { width: sw, height: sh, channels: 3 } })
    .withMetadata({ orientation })
    .jpeg({ quality: 92 })
    .toBuffer();
}

/** A JPEG carrying everything that must not leak: EXIF (camera, GPS, copyright), XMP and an ICC profile. */
export async function metadataRichJpeg(): Promise<Buffer> {
  return fromRaw(scene(320, 240))
    .withExif({
      IFD0: { Artist: 'Jane Photographer', Copyright: '(c) 2024 Jane Photographer', Make: 'TestCam', Model: 'T-1000', ImageDescription: 'secret place' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 3600/100', GPSLongitudeRef: 'E', GPSLongitude: '2/1 20/1 1320/100' },
    })
    .withXmp(
      '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
        '<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="48,51.6N"/></rdf:RDF></x:xmpmeta>',
    )
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** Whether an EXIF block has a GPS IFD pointer (tag 0x8825) in IFD0. */
export function hasGpsPointer(exif: Buffer | undefined): boolean {
  if (!exif) return false;
  const tiff = exif.subarray(exif.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? 6 : 0);
  const le = tiff.subarray(0, 2).toString('latin1') === 'II';
  const u16 = (o: number) => (le ? tiff.readUInt16LE(o) : tiff.readUInt16BE(o));
  const u32 = (o: number) => (le ? tiff.readUInt32LE(o) : tiff.readUInt32BE(o));
  const ifd = u32(4);
  for (let i = 0; i < u16(ifd); i++) if (u16(ifd + 2 + i * 12) === 0x8825) return true;
  return false;
}

// --- colour ----------------------------------------------------------------------------------------

let tmp: Promise<string> | undefined;
async function tempDir(): Promise<string> {
  tmp ??= mkdtemp(path.join(os.tmpdir(), 'image-engine-'));
  return tmp;
}

/**
 * An ICC v2 display profile for Adobe RGB (1998): D50-adapted colorants, gamma 563/256. Written from
 * the published primaries, so no third-party profile file is needed.
 */
export function adobeRgbProfile(): Buffer {
  const s15 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(Math.round(v * 65536));
    return b;
  };
  const xyz = (x: number, y: number, z: number) => Buffer.concat([Buffer.from('XYZ '), Buffer.alloc(4), s15(x), s15(y), s15(z)]);
  const curv = Buffer.concat([Buffer.from('curv'), Buffer.alloc(4), Buffer.from([0, 0, 0, 1, 0x02, 0x33])]);
  const text = (value: string) => Buffer.concat([Buffer.from('text'), Buffer.alloc(4), Buffer.from(`${value}\0`, 'latin1')]);
  const desc = (value: string) => {
    const ascii = Buffer.from(`${value}\0`, 'latin1');
    const count = Buffer.alloc(4);
    count.writeUInt32BE(ascii.length);
    return Buffer.concat([Buffer.from('desc'), Buffer.alloc(4), count, ascii, Buffer.alloc(4 + 4 + 2 + 1 + 67)]);
  };
  const tags: [string, Buffer][] = [
    ['desc', desc('Adobe RGB (1998) compatible, test')],
    ['cprt', text('No copyright, test profile')],
    ['wtpt', xyz(0.9642, 1.0, 0.8249)],
    ['rXYZ', xyz(0.60974, 0.31111, 0.01947)],
    ['gXYZ', xyz(0.20528, 0.62567, 0.06087)],
    ['bXYZ', xyz(0.14919, 0.06322, 0.74457)],
    ['rTRC', curv],
    ['gTRC', curv],
    ['bTRC', curv],
  ];
  const tableSize = 4 + tags.length * 12;
  let offset = 128 + tableSize;
  const table = Buffer.alloc(tableSize);
  table.writeUInt32BE(tags.length, 0);
  const bodies: Buffer[] = [];
  tags.forEach(([sig, data], i) => {
    const padded = Buffer.concat([data, Buffer.alloc((4 - (data.length % 4)) % 4)]);
    table.write(sig, 4 + i * 12, 'latin1');
    table.writeUInt32BE(offset, 8 + i * 12);
    table.writeUInt32BE(data.length, 12 + i * 12);
    bodies.push(padded);
    offset += padded.length;
  });
  const header = Buffer.alloc(128);
  header.writeUInt32BE(offset, 0);
  header.writeUInt32BE(0x02100000, 8);
  header.write('mntr', 12, 'latin1');
  header.write('RGB ', 16, 'latin1');
  header.write('XYZ ', 20, 'latin1');
  for (const [i, v] of [2024, 1, 1, 0, 0, 0].entries()) header.writeUInt16BE(v, 24 + i * 2);
  header.write('acsp', 36, 'latin1');
  s15(0.9642).copy(header, 68);
  s15(1.0).copy(header, 72);
  s15(0.8249).copy(header, 76);
  return Buffer.concat([header, table, ...bodies]);
}

/** Converts sRGB pixels into `profile` (a sharp built-in name or a profile's bytes) and embeds it. */
export async function inProfile(image: RawImage, profile: 'p3' | 'cmyk' | Buffer, kind: 'jpeg' | 'png' | 'tiff' = 'jpeg'): Promise<Buffer> {
  let name: string = typeof profile === 'string' ? profile : '';
  if (Buffer.isBuffer(profile)) {
    name = path.join(await tempDir(), `profile-${profile.length}.icc`);
    await writeFile(name, profile);
  }
  const s = fromRaw(image).withIccProfile(name);
  if (kind === 'png') return s.png().toBuffer();
  if (kind === 'tiff') return s.tiff({ compression: 'lzw' }).toBuffer();
  return (profile === 'cmyk' ? s.toColourspace('cmyk') : s).jpeg({ quality: 95 }).toBuffer();
}

/** 16 bits per sample, in PNG or TIFF, of the given 8-bit picture. */
export function sixteenBit(image: RawImage, kind: 'png' | 'tiff'): Promise<Buffer> {
  const s = fromRaw(image).toColourspace('rgb16');
  return kind === 'png' ? s.png().toBuffer() : s.tiff({ compression: 'lzw' }).toBuffer();
}

// --- hostile inputs ----------------------------------------------------------------------------------

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([length, body, crc]);
}

function pngHeader(width: number, height: number, bitDepth: number, colourType: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colourType;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr)]);
}

/**
 * The header of a 50000x50000 RGB PNG and a few compressed rows: a full decode would fail (the data
 * ends early, a 422), so a 413 proves the refusal came from the header alone.
 */
export function pngBombHeader(size = 50_000): Buffer {
  const rows = deflateSync(Buffer.alloc((size * 3 + 1) * 4));
  return Buffer.concat([pngHeader(size, size, 8, 2), pngChunk('IDAT', rows), pngChunk('IEND', Buffer.alloc(0))]);
}

/** A complete, valid 1-bit greyscale PNG of `size`x`size` zeros: a few KB that decode to `size`^2 pixels. */
export function pngBomb(size = 12_000): Buffer {
  const row = Buffer.alloc(1 + Math.ceil(size / 8));
  const rows = deflateSync(Buffer.concat(Array.from({ length: size }, () => row)), { level: 9 });
  return Buffer.concat([pngHeader(size, size, 1, 0), pngChunk('IDAT', rows), pngChunk('IEND', Buffer.alloc(0))]);
}

export const HTML_AS_JPEG = Buffer.from('<!doctype html>\n<html><head><title>Not found</title></head><body><h1>404</h1></body></html>\n');

/** SVGs that reference things outside themselves. None may be fetched or read. */
export function externalSvgs(httpBase: string, secretPng: string, secretText: string): Record<string, Buffer> {
  const frame = (inner: string) =>
    Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="200" height="150">` +
        `<rect width="200" height="150" fill="rgb(${BLUE.join(',')})"/>${inner}</svg>`,
    );
  return {
    'http image': frame(`<image href="${httpBase}/image.png" width="200" height="150"/><image xlink:href="${httpBase}/xlink.png" width="200" height="150"/>`),
    'file:// image': frame(`<image href="file://${secretPng}" width="200" height="150"/>`),
    'relative image': frame(`<image href="${path.basename(secretPng)}" width="200" height="150"/>`),
    'css import and url()': frame(
      `<style>@import url(${httpBase}/style.css); rect.x { fill: url(${httpBase}/paint.svg#p) }</style><rect class="x" width="10" height="10"/>`,
    ),
    'use of an external element': frame(`<use href="${httpBase}/sprite.svg#icon"/><use href="file://${secretPng}#x"/>`),
    xinclude: frame(`<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file://${secretText}" parse="text"/>`),
  };
}

/** An SVG whose text comes from external entities (XXE): the file and the URL must not be read. */
export function xxeSvg(httpBase: string, secretText: string): Buffer {
  return Buffer.from(
    `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY file SYSTEM "file://${secretText}"><!ENTITY web SYSTEM "${httpBase}/entity">]>` +
      `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="150"><rect width="200" height="150" fill="blue"/><text x="10" y="80" font-size="30">&file;&web;</text></svg>`,
  );
}

export async function secretFiles(): Promise<{ png: string; text: string }> {
  const dir = await tempDir();
  const png = path.join(dir, 'secret.png');
  const text = path.join(dir, 'secret.txt');
  await writeFile(
    png,
    await sharp({ create: { width: 200, height: 150, channels: 3, background: { r: 255, g: 0, b: 0 } } })
      .png()
      .toBuffer(),
  );
  await writeFile(text, 'TOP SECRET');
  return { png, text };
}

// --- comparison ------------------------------------------------------------------------------------

/** RGB pixels of an encoded image (or raw), flattened on `background`, scaled to `w`x`h`. */
export async function thumbnail(input: Buffer | RawImage, w = 32, h = 24, background = '#ffffff'): Promise<Buffer> {
  const s = Buffer.isBuffer(input) ? sharp(input) : fromRaw(input);
  return s.flatten({ background }).resize(w, h, { fit: 'fill', kernel: 'cubic' }).removeAlpha().raw().toBuffer();
}

/** Mean absolute difference per channel, 0-255. */
export function meanAbsoluteDifference(a: Buffer, b: Buffer): number {
  if (a.length !== b.length) throw new Error(`Expected buffers of the same length but received ${a.length} and ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

/** The average colour (RGBA) of a small square of an encoded image around (x, y), frame `page`. */
export async function sample(image: Buffer, x: number, y: number, page = 0, size = 4): Promise<[number, number, number, number]> {
  const { data, info } = await sharp(image, { page })
    .ensureAlpha()
    .extract({ left: Math.max(0, x - size / 2), top: Math.max(0, y - size / 2), width: size, height: size })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const sum = [0, 0, 0, 0];
  for (let i = 0; i < data.length; i++) sum[i % info.channels]! += data[i]!;
  const n = data.length / info.channels;
  return [sum[0]! / n, sum[1]! / n, sum[2]! / n, sum[3]! / n];
}

/** Whether two colours are within `tolerance` on every channel. */
export function near(actual: readonly number[], expected: readonly number[], tolerance = 24): boolean {
  return expected.every((v, i) => Math.abs((actual[i] ?? NaN) - v) <= tolerance);
}
