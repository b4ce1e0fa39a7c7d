/**
 * The one piece of EXIF the engine ever keeps: IFD0 `Copyright` (tag 0x8298), for presets that ask
 * for it. A small, bounds-checked reader of the TIFF structure sharp hands back as `metadata().exif`
 * (`Exif\0\0` + a TIFF header); anything malformed reads as "no copyright".
 */
const COPYRIGHT = 0x8298;
const ASCII = 2;
const MAX_LENGTH = 512;

export function readCopyright(exif: Buffer | undefined): string | undefined {
  if (!exif) return undefined;
  const base = exif.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? 6 : 0;
  const tiff = exif.subarray(base);
  if (tiff.length < 8) return undefined;
  const order = tiff.subarray(0, 2).toString('latin1');
  if (order !== 'II' && order !== 'MM') return undefined;
  const little = order === 'II';
  const u16 = (at: number) => (little ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number) => (little ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  if (u16(2) !== 42) return undefined;
  const ifd = u32(4);
  if (ifd + 2 > tiff.length) return undefined;
  const entries = u16(ifd);
  for (let i = 0; i < entries; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.length) return undefined;
    if (u16(entry) !== COPYRIGHT) continue;
    if (u16(entry + 2) !== ASCII) return undefined;
    const count = u32(entry + 4);
    const start = count <= 4 ? entry + 8 : u32(entry + 8);
    if (count === 0 || start + count > tiff.length) return undefined;
    // EXIF allows "photographer\0editor\0": keep both parts, drop the padding.
    const text = tiff
      .subarray(start, start + count)
      .toString('utf8')
      .split('\0')
      .map((part) => part.trim())
      .filter((part) => part !== '')
      .join(' / ');
    const clean = text.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, MAX_LENGTH);
    return clean === '' ? undefined : clean;
  }
  return undefined;
}
