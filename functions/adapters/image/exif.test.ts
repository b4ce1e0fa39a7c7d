import { describe, expect, it } from 'vitest';
import { readCopyright } from './exif.ts';

/** A TIFF block with one IFD0 entry, in either byte order, optionally behind `Exif\0\0`. */
function exif(entry: { tag: number; type: number; value: Buffer }, order: 'II' | 'MM' = 'II', prefix = true): Buffer {
  const le = order === 'II';
  const u16 = (v: number) => {
    const b = Buffer.alloc(2);
    if (le) b.writeUInt16LE(v);
    else b.writeUInt16BE(v);
    return b;
  };
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    if (le) b.writeUInt32LE(v);
    else b.writeUInt32BE(v);
    return b;
  };
  const inline = entry.value.length <= 4;
  const dataOffset = 8 + 2 + 12 + 4;
  const field = inline ? Buffer.concat([entry.value, Buffer.alloc(4 - entry.value.length)]) : u32(dataOffset);
  const tiff = Buffer.concat([
    Buffer.from(order, 'latin1'),
    u16(42),
    u32(8),
    u16(1),
    u16(entry.tag),
    u16(entry.type),
    u32(entry.value.length),
    field,
    u32(0),
    inline ? Buffer.alloc(0) : entry.value,
  ]);
  return prefix ? Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]) : tiff;
}

const copyright = (text: string, type = 2) => ({ tag: 0x8298, type, value: Buffer.from(`${text}\0`, 'utf8') });

describe('readCopyright', () => {
  it('reads IFD0 Copyright in both byte orders, with or without the Exif header', () => {
    expect(readCopyright(exif(copyright('(c) 2024 Jane')))).toBe('(c) 2024 Jane');
    expect(readCopyright(exif(copyright('(c) 2024 Jane'), 'MM'))).toBe('(c) 2024 Jane');
    expect(readCopyright(exif(copyright('(c) 2024 Jane'), 'II', false))).toBe('(c) 2024 Jane');
    expect(readCopyright(exif(copyright('Me')))).toBe('Me');
  });

  it('keeps both parts of a photographer\\0editor copyright and drops control characters', () => {
    expect(readCopyright(exif(copyright('Jane\0Agency')))).toBe('Jane / Agency');
    expect(readCopyright(exif(copyright('Jane\u0007\nDoe')))).toBe('JaneDoe');
  });

  it('reads malformed, truncated, foreign or absent blocks as no copyright', () => {
    expect(readCopyright(undefined)).toBeUndefined();
    expect(readCopyright(Buffer.alloc(0))).toBeUndefined();
    expect(readCopyright(Buffer.from('Exif\0\0XX*\0'))).toBeUndefined();
    expect(readCopyright(exif(copyright('(c) Jane')).subarray(0, 20))).toBeUndefined();
    expect(readCopyright(exif({ tag: 0x013b, type: 2, value: Buffer.from('Artist\0') }))).toBeUndefined();
    expect(readCopyright(exif(copyright('(c) Jane', 7)))).toBeUndefined();
    expect(readCopyright(exif(copyright('')))).toBeUndefined();
    // An offset pointing past the end of the block.
    const broken = exif(copyright('a long copyright notice'));
    broken.writeUInt32LE(10_000, 6 + 8 + 2 + 8);
    expect(readCopyright(broken)).toBeUndefined();
  });
});
