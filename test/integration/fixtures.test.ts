// Checks the generated fixture images (fixtures/generate.ts) are what the other tests rely on:
// sizes, EXIF orientation and GPS on the portrait, real transparency on the logo, key-encoding names.
import { describe, it, expect } from 'vitest';
import sharp from 'sharp';
import { readdir, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const IMAGES = fileURLToPath(new URL('../../fixtures/images/', import.meta.url));
const fixture = (rel: string): string => path.join(IMAGES, rel);

const CAFE = 'photos/caf\u00e9 au lait.jpg'; // NFC: U+00E9, not "e" + U+0301

const EXPECTED: { file: string; format: string; width: number; height: number }[] = [
  { file: 'landscape-12mp.jpg', format: 'jpeg', width: 4000, height: 3000 },
  { file: 'street-1080p.jpg', format: 'jpeg', width: 1920, height: 1080 },
  { file: 'logo-alpha.png', format: 'png', width: 800, height: 800 },
  { file: 'portrait-exif6.jpg', format: 'jpeg', width: 1600, height: 1200 },
  { file: 'photos/cat.jpg', format: 'jpeg', width: 1200, height: 900 },
  { file: CAFE, format: 'jpeg', width: 640, height: 480 },
  { file: 'photos/a+b.jpg', format: 'jpeg', width: 640, height: 480 },
];

// ---------------------------------------------------------------------------------------------------
// A minimal TIFF/EXIF reader: enough to walk IFD0 and the GPS IFD of the block sharp returns.
// ---------------------------------------------------------------------------------------------------

interface IfdEntry {
  tag: number;
  type: number;
  count: number;
  /** Offset (from the TIFF header) of the value bytes, inline or not. */
  valueOffset: number;
}

const TYPE_SIZES: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 9: 4, 10: 8 };

class TiffReader {
  private readonly le: boolean;
  constructor(private readonly tiff: Buffer) {
    const order = tiff.toString('latin1', 0, 2);
    if (order !== 'II' && order !== 'MM') throw new Error(`Expected II or MM for TIFF byte order but received ${order}`);
    this.le = order === 'II';
    if (this.u16(2) !== 42) throw new Error(`Expected 42 for TIFF magic but received ${this.u16(2)}`);
  }

  static fromExif(exif: Buffer): TiffReader {
    // sharp returns the APP1 payload: "Exif\0\0" then the TIFF header
    const start = exif.toString('latin1', 0, 6) === 'Exif\0\0' ? 6 : 0;
    return new TiffReader(exif.subarray(start));
  }

  u16(o: number): number {
    return this.le ? this.tiff.readUInt16LE(o) : this.tiff.readUInt16BE(o);
  }

  u32(o: number): number {
    return this.le ? this.tiff.readUInt32LE(o) : this.tiff.readUInt32BE(o);
  }

  firstIfdOffset(): number {
    return this.u32(4);
  }

  ifd(offset: number): Map<number, IfdEntry> {
    const entries = new Map<number, IfdEntry>();
    const n = this.u16(offset);
    for (let i = 0; i < n; i++) {
      const e = offset + 2 + i * 12;
      const type = this.u16(e + 2);
      const count = this.u32(e + 4);
      const size = (TYPE_SIZES[type] ?? 1) * count;
      entries.set(this.u16(e), { tag: this.u16(e), type, count, valueOffset: size <= 4 ? e + 8 : this.u32(e + 8) });
    }
    return entries;
  }

  short(entry: IfdEntry): number {
    return this.u16(entry.valueOffset);
  }

  long(entry: IfdEntry): number {
    return this.u32(entry.valueOffset);
  }

  ascii(entry: IfdEntry): string {
    return this.tiff.toString('latin1', entry.valueOffset, entry.valueOffset + entry.count).replace(/\0+$/, '');
  }

  rationals(entry: IfdEntry): number[] {
    const out: number[] = [];
    for (let i = 0; i < entry.count; i++) {
      const o = entry.valueOffset + i * 8;
      out.push(this.u32(o) / this.u32(o + 4));
    }
    return out;
  }
}

const TAG = {
  Orientation: 0x0112,
  Artist: 0x013b,
  Copyright: 0x8298,
  GPSInfoIFDPointer: 0x8825,
  GPSLatitudeRef: 0x0001,
  GPSLatitude: 0x0002,
  GPSLongitudeRef: 0x0003,
  GPSLongitude: 0x0004,
} as const;

function required(ifd: Map<number, IfdEntry>, tag: number): IfdEntry {
  const entry = ifd.get(tag);
  if (!entry) throw new Error(`Expected tag 0x${tag.toString(16)} in IFD but received tags ${[...ifd.keys()].map((t) => t.toString(16)).join(',')}`);
  return entry;
}

const dms = ([d = 0, m = 0, s = 0]: number[]): number => d + m / 60 + s / 3600;

/** The RGB of pixel (x, y) in a raw 3- or 4-channel buffer. */
function pixel(data: Buffer, width: number, channels: number, x: number, y: number): [number, number, number] {
  const o = (y * width + x) * channels;
  return [data[o]!, data[o + 1]!, data[o + 2]!];
}

// ---------------------------------------------------------------------------------------------------

describe('fixture images', () => {
  it.each(EXPECTED)('$file is a $format of $width x $height stored pixels', async ({ file, format, width, height }) => {
    const meta = await sharp(fixture(file)).metadata();
    expect(meta.format).toBe(format);
    expect(meta.width).toBe(width);
    expect(meta.height).toBe(height);
  });

  it('keeps the whole set small enough to commit (under 8 MB)', async () => {
    let total = 0;
    for (const { file } of EXPECTED) total += (await stat(fixture(file))).size;
    expect(total).toBeLessThan(8 * 1024 * 1024);
  });

  it('landscape-12mp.jpg is a 12 MP photo-like JPEG (compresses like a photo, not a flat graphic)', async () => {
    const { size } = await stat(fixture('landscape-12mp.jpg'));
    expect(size).toBeGreaterThan(1.5 * 1024 * 1024);
    expect(size).toBeLessThan(5 * 1024 * 1024);
    const stats = await sharp(fixture('landscape-12mp.jpg')).stats();
    // real texture: every channel has substantial spread
    for (const channel of stats.channels) expect(channel.stdev).toBeGreaterThan(20);
  });

  it('only portrait-exif6.jpg carries EXIF (the others are clean sources)', async () => {
    for (const { file } of EXPECTED) {
      const meta = await sharp(fixture(file)).metadata();
      if (file === 'portrait-exif6.jpg') expect(meta.exif).toBeInstanceOf(Buffer);
      else expect(meta.exif).toBeUndefined();
    }
  });

  it('uses NFC and a plus sign in the key-encoding file names', async () => {
    const names = await readdir(fixture('photos'));
    expect(names).toContain(path.basename(CAFE));
    expect(names).toContain('a+b.jpg');
    for (const name of names) expect(name).toBe(name.normalize('NFC'));
    expect(Buffer.from(path.basename(CAFE), 'utf8').toString('hex')).toBe(Buffer.from('caf\u00e9 au lait.jpg', 'utf8').toString('hex'));
  });
});

describe('portrait-exif6.jpg', () => {
  const file = fixture('portrait-exif6.jpg');

  it('has EXIF Orientation 6, so it displays as 1200x1600', async () => {
    const meta = await sharp(file).metadata();
    expect(meta.orientation).toBe(6);
    expect(meta.autoOrient).toEqual({ width: 1200, height: 1600 });
  });

  it('has Orientation, Artist, Copyright and a GPS IFD with a position in Paris in its EXIF', async () => {
    const { exif } = await sharp(file).metadata();
    expect(exif).toBeDefined();
    const tiff = TiffReader.fromExif(exif!);
    const ifd0 = tiff.ifd(tiff.firstIfdOffset());
    expect(tiff.short(required(ifd0, TAG.Orientation))).toBe(6);
    expect(tiff.ascii(required(ifd0, TAG.Artist))).toMatch(/edge-images/);
    expect(tiff.ascii(required(ifd0, TAG.Copyright))).toMatch(/CC0/);

    const gps = tiff.ifd(tiff.long(required(ifd0, TAG.GPSInfoIFDPointer)));
    expect(tiff.ascii(required(gps, TAG.GPSLatitudeRef))).toBe('N');
    expect(tiff.ascii(required(gps, TAG.GPSLongitudeRef))).toBe('E');
    const lat = dms(tiff.rationals(required(gps, TAG.GPSLatitude)));
    const lon = dms(tiff.rationals(required(gps, TAG.GPSLongitude)));
    expect(lat).toBeCloseTo(48.86, 2);
    expect(lon).toBeCloseTo(2.337, 2);
  });

  it('auto-rotates to 1200x1600 with a red top-left quadrant', async () => {
    const { data, info } = await sharp(file).rotate().resize(120, 160).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([120, 160]);
    const near = (actual: number[], expected: number[]) => actual.every((v, i) => Math.abs(v - expected[i]!) <= 24);
    // quadrant centres of the displayed picture: red, green / blue, checkerboard
    expect(near(pixel(data, 120, info.channels, 30, 40), [255, 0, 0])).toBe(true);
    expect(near(pixel(data, 120, info.channels, 2, 2), [255, 0, 0])).toBe(true);
    expect(near(pixel(data, 120, info.channels, 90, 40), [0, 170, 60])).toBe(true);
    expect(near(pixel(data, 120, info.channels, 30, 120), [20, 60, 230])).toBe(true);
  });

  it('is not red at the top-left when the orientation is ignored (stored pixels are rotated)', async () => {
    const { data, info } = await sharp(file).resize(160, 120).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([160, 120]);
    const [r, g] = pixel(data, 160, info.channels, 2, 2);
    expect(r).toBeLessThan(60);
    expect(g).toBeGreaterThan(120); // the display's top-right (green) is stored at the top-left
    // and the red quadrant is stored at the bottom-left
    const [r2, g2, b2] = pixel(data, 160, info.channels, 2, 117);
    expect(r2).toBeGreaterThan(200);
    expect(Math.max(g2, b2)).toBeLessThan(60);
  });
});

describe('logo-alpha.png', () => {
  const file = fixture('logo-alpha.png');

  it('has an alpha channel', async () => {
    const meta = await sharp(file).metadata();
    expect(meta.hasAlpha).toBe(true);
    expect(meta.channels).toBe(4);
  });

  it('has fully transparent, semi-transparent and opaque pixels, with transparent corners', async () => {
    const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(4);
    let transparent = 0;
    let partial = 0;
    let opaque = 0;
    let halfish = 0;
    for (let i = 3; i < data.length; i += 4) {
      const a = data[i]!;
      if (a === 0) transparent++;
      else if (a === 255) opaque++;
      else {
        partial++;
        if (a >= 120 && a <= 136) halfish++;
      }
    }
    const total = info.width * info.height;
    expect(transparent).toBeGreaterThan(total * 0.2);
    expect(opaque).toBeGreaterThan(total * 0.05);
    // the 50% disc is a large region, not just anti-aliased edges
    expect(halfish).toBeGreaterThan(total * 0.05);
    expect(partial).toBeGreaterThan(halfish);
    for (const [x, y] of [
      [0, 0],
      [799, 0],
      [0, 799],
      [799, 799],
    ] as const) {
      expect(data[(y * info.width + x) * 4 + 3]).toBe(0);
    }
  });
});
