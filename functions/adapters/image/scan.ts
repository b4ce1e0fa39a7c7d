/**
 * Cheap reads of a source before sharp sees it, for the cost model (functions/core/cost.ts): the
 * scan count of a JPEG by walking its markers (no entropy decoding), and the complexity of an SVG by
 * one pass over its tags (no XML tree, no rendering). Both are linear in the bytes and allocate
 * little, so they are inside any budget that admits reading the bytes at all.
 */
import type { SvgStats } from '../../core/cost.ts';

/** True for JPEG's SOI marker. */
export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/**
 * The number of scans (SOS markers) of a JPEG: marker segments are skipped by their length, and the
 * entropy-coded data after each SOS by looking for the next marker (0xFF not followed by 0x00, a
 * restart marker or a fill byte). Stops at EOI or the end of the bytes.
 */
export function countJpegScans(bytes: Uint8Array): number {
  let scans = 0;
  let at = 2;
  const n = bytes.length;
  while (at + 3 < n) {
    if (bytes[at] !== 0xff) return scans;
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0xd9) return scans;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    at += 2 + length;
    if (marker !== 0xda) continue;
    scans++;
    while (at + 1 < n) {
      if (bytes[at] === 0xff) {
        const next = bytes[at + 1]!;
        if (next !== 0x00 && next !== 0xff && !(next >= 0xd0 && next <= 0xd7)) break;
      }
      at++;
    }
  }
  return scans;
}

/** True for a GIF87a or GIF89a signature. */
export function isGif(bytes: Uint8Array): boolean {
  return bytes.length > 13 && bytes[0] === 0x47 && bytes[1] === 0x49 && bytes[2] === 0x46 && bytes[3] === 0x38;
}

/**
 * The frames (image descriptors) of a GIF, by walking its blocks: extensions and image data are
 * skipped sub-block by sub-block, nothing is decompressed. Stops at the trailer, at the end of the
 * bytes or at `stopAfter` frames (enough to refuse).
 */
export function countGifFrames(bytes: Uint8Array, stopAfter = Number.POSITIVE_INFINITY): number {
  const n = bytes.length;
  const packed = bytes[10]!;
  let at = 13 + (packed & 0x80 ? 3 * 2 ** ((packed & 7) + 1) : 0);
  let frames = 0;
  const skipSubBlocks = () => {
    while (at < n) {
      const size = bytes[at]!;
      at += 1 + size;
      if (size === 0) return;
    }
  };
  while (at < n && frames < stopAfter) {
    const block = bytes[at]!;
    if (block === 0x3b) break;
    if (block === 0x21) {
      at += 2;
      skipSubBlocks();
    } else if (block === 0x2c) {
      frames++;
      const local = bytes[at + 9] ?? 0;
      at += 10 + (local & 0x80 ? 3 * 2 ** ((local & 7) + 1) : 0) + 1;
      skipSubBlocks();
    } else {
      break;
    }
  }
  return frames;
}

/** True when the bytes start (after a BOM and white space) with `<`: what libvips' SVG loader would take. */
export function looksLikeXml(bytes: Uint8Array): boolean {
  let at = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (at < bytes.length && at < 4096 && (bytes[at] === 0x20 || bytes[at] === 0x09 || bytes[at] === 0x0a || bytes[at] === 0x0d)) at++;
  return bytes[at] === 0x3c;
}

interface Scope {
  readonly id: string | undefined;
  elements: number;
  filtered: number;
  readonly refs: string[];
}

const TAG = /<(\/?)([A-Za-z_][\w:.-]*)((?:[^>"']|"[^"]*"|'[^']*')*?)(\/?)>|<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<![^>]*>|<\?[\s\S]*?\?>/g;
const ID = /(?:^|\s)id\s*=\s*(?:"([^"]*)"|'([^']*)')/;
const HREF = /(?:^|\s)(?:xlink:)?href\s*=\s*(?:"\s*#([^"]*)"|'\s*#([^']*)')/;
const FILTER = /(?:^|\s)filter\s*=|(?:^|[\s;"'])filter\s*:/;
const DATA_URI = /data:[^"')\s]*/g;

/**
 * One pass over the tags of an SVG: elements, nesting depth, filter primitives, embedded data, and
 * what `<use>` expands to. Every element with an id is a scope that counts its own elements, its
 * filtered elements and the ids its `<use>`s name; the drawn cost of the document is its elements
 * plus, for every `<use>`, the drawn cost of what it names (memoised; a cycle is reported).
 */
export function scanSvg(bytes: Uint8Array): SvgStats {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  const entities = /<!ENTITY/i.test(text) || /<!DOCTYPE[^>[]*\[/i.test(text);
  let elements = 0;
  let filterPrimitives = 0;
  let embeddedBytes = 0;
  let depth = 0;
  let maxDepth = 0;
  const root: Scope = { id: undefined, elements: 0, filtered: 0, refs: [] };
  const scopes = new Map<string, Scope>();
  // The stack of open elements, each with the scopes it belongs to (its own id and every ancestor's).
  const open: Scope[][] = [[root]];
  for (const match of text.matchAll(TAG)) {
    const [, closing, name, attributes = '', selfClosing] = match;
    if (name === undefined) continue; // comment, CDATA, doctype, processing instruction
    if (closing) {
      if (open.length > 1) open.pop();
      depth = Math.max(0, depth - 1);
      continue;
    }
    elements++;
    const enclosing = open.at(-1)!;
    const id = ID.exec(attributes);
    const idValue = id ? (id[1] ?? id[2]) : undefined;
    let own = enclosing;
    if (idValue !== undefined && !scopes.has(idValue)) {
      const scope: Scope = { id: idValue, elements: 0, filtered: 0, refs: [] };
      scopes.set(idValue, scope);
      own = [...enclosing, scope];
    }
    const filtered = FILTER.test(attributes);
    const local = name.includes(':') ? name.slice(name.indexOf(':') + 1) : name;
    if (/^fe[A-Z]/.test(local)) filterPrimitives++;
    const href = local === 'use' ? HREF.exec(attributes) : null;
    const target = href ? (href[1] ?? href[2]) : undefined;
    for (const scope of own) {
      scope.elements++;
      if (filtered) scope.filtered++;
      if (target !== undefined) scope.refs.push(target);
    }
    for (const data of attributes.matchAll(DATA_URI)) embeddedBytes += data[0].length;
    if (!selfClosing) {
      open.push(own);
      depth++;
      maxDepth = Math.max(maxDepth, depth);
    }
  }
  for (const data of text.matchAll(/url\(\s*['"]?data:[^)]*\)/g)) embeddedBytes += data[0].length;

  // Drawn cost of a scope: its elements plus what its uses expand to. Capped so that a fan-out of
  // 10^100 stays a finite number; a cycle marks the document.
  const CAP = Number.MAX_SAFE_INTEGER / 4;
  const memo = new Map<Scope, { elements: number; filtered: number }>();
  const visiting = new Set<Scope>();
  let cycle = false;
  const cost = (scope: Scope): { elements: number; filtered: number } => {
    const known = memo.get(scope);
    if (known) return known;
    if (visiting.has(scope)) {
      cycle = true;
      return { elements: 0, filtered: 0 };
    }
    visiting.add(scope);
    let e = scope.elements;
    let f = scope.filtered;
    for (const ref of scope.refs) {
      const target = scopes.get(ref);
      if (!target) continue;
      const inner = cost(target);
      e = Math.min(CAP, e + inner.elements);
      f = Math.min(CAP, f + inner.filtered);
    }
    visiting.delete(scope);
    const result = { elements: e, filtered: f };
    memo.set(scope, result);
    return result;
  };
  const drawn = cost(root);
  return {
    bytes: bytes.byteLength,
    elements,
    renderedElements: drawn.elements,
    filterPrimitives,
    filteredRenders: drawn.filtered,
    depth: maxDepth,
    embeddedBytes,
    entities,
    cycle,
  };
}
