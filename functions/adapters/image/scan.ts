/**
 * Cheap reads of a source before sharp sees it, for the cost model (functions/core/cost.ts): the
 * scan count of a JPEG by walking its markers (no entropy decoding), and the complexity of an SVG by
 * one pass over its tags (no XML tree, no rendering). Both are linear in the bytes and allocate
 * little, so they are inside any budget that admits reading the bytes at all.
 */
import { FILTER_WEIGHTS, filterPrimitiveWeight } from '../../core/cost.ts';
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
    // Entropy-coded data: jump from one 0xFF to the next (a native search, not a loop over every byte).
    while (at + 1 < n) {
      const ff = bytes.indexOf(0xff, at);
      if (ff < 0 || ff + 1 >= n) return scans;
      const next = bytes[ff + 1]!;
      at = ff;
      if (next !== 0x00 && next !== 0xff && !(next >= 0xd0 && next <= 0xd7)) break;
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
  /** The filters its filtered elements name (`url(#id)`), one entry per element, with the element's area when known. */
  readonly filterRefs: { readonly id: string; readonly area: number | undefined }[];
  /** Filter work of its elements that name no filter element (CSS filter functions, style sheets). */
  inlineWork: number;
  readonly refs: string[];
}

const TAG = /<(\/?)([A-Za-z_][\w:.-]*)((?:[^>"']|"[^"]*"|'[^']*')*?)(\/?)>|<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<![^>]*>|<\?[\s\S]*?\?>/g;
const ID = /(?:^|\s)id\s*=\s*(?:"([^"]*)"|'([^']*)')/;
const HREF = /(?:^|\s)(?:xlink:)?href\s*=\s*(?:"\s*#([^"]*)"|'\s*#([^']*)')/;
const FILTER = /(?:^|\s)filter\s*=\s*(?:"([^"]*)"|'([^']*)')|(?:^|[\s;"'])filter\s*:\s*([^;"']*)/;
const NUM_OCTAVES = /(?:^|\s)numOctaves\s*=\s*["']\s*([\d.eE+]+)/;
const ORDER = /(?:^|\s)order\s*=\s*["']\s*([\d.eE+]+)(?:[\s,]+([\d.eE+]+))?/;
const NUMBER_ATTRIBUTE = (name: string) => new RegExp(`(?:^|\\s)${name}\\s*=\\s*["']\\s*([\\d.eE+-]+)(%?)\\s*(?:px)?\\s*["']`);
const WIDTH = NUMBER_ATTRIBUTE('width');
const HEIGHT = NUMBER_ATTRIBUTE('height');
const R = NUMBER_ATTRIBUTE('r');
const RX = NUMBER_ATTRIBUTE('rx');
const RY = NUMBER_ATTRIBUTE('ry');
const VIEW_BOX = /(?:^|\s)viewBox\s*=\s*["']\s*[\d.eE+-]+[\s,]+[\d.eE+-]+[\s,]+([\d.eE+]+)[\s,]+([\d.eE+]+)/;
const USER_SPACE = /(?:^|\s)filterUnits\s*=\s*["']\s*userSpaceOnUse/;

/** A number attribute in user units (a percentage, a unit other than px, or nothing: undefined). */
function userNumber(attributes: string, pattern: RegExp): number | undefined {
  const found = pattern.exec(attributes);
  if (!found || found[2] === '%') return undefined;
  const value = Number(found[1]);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** A filter region's side as a share of the bounding box (objectBoundingBox units): `1.2` or `120%`. */
function boxShare(attributes: string, pattern: RegExp, fallback: number): number {
  const found = pattern.exec(attributes);
  if (!found) return fallback;
  const value = Number(found[1]) / (found[2] === '%' ? 100 : 1);
  return Number.isFinite(value) ? Math.abs(value) : fallback;
}

/** The area of a shape from its own attributes, in user units; undefined when it takes more than that. */
function shapeArea(local: string, attributes: string): number | undefined {
  if (local === 'rect' || local === 'image') {
    const w = userNumber(attributes, WIDTH);
    const h = userNumber(attributes, HEIGHT);
    return w !== undefined && h !== undefined ? w * h : undefined;
  }
  if (local === 'circle') {
    const r = userNumber(attributes, R);
    return r === undefined ? undefined : 4 * r * r;
  }
  if (local === 'ellipse') {
    const rx = userNumber(attributes, RX);
    const ry = userNumber(attributes, RY);
    return rx !== undefined && ry !== undefined ? 4 * rx * ry : undefined;
  }
  return undefined;
}

/** What a `<filter>` costs: its primitives' weights, and its region (absolute, or a share of the box). */
interface FilterInfo {
  work: number;
  readonly userArea: number | undefined;
  readonly boxShare: number;
}

const STYLE_SHEET = /<style\b[^>]*>([\s\S]*?)<\/style\s*>/gi;
const STYLE_FILTER = /(?:^|[\s;{])filter\s*:\s*([^;}]*)/g;

/** A filter value: the id it names (`url(#id)`), or the work of its CSS filter functions; `none` is no filter. */
function readFilter(value: string): { id: string } | { work: number } | undefined {
  const trimmed = value.trim();
  if (trimmed === '' || trimmed === 'none') return undefined;
  const url = /url\(\s*['"]?#([^'")\s]*)/.exec(trimmed);
  if (url) return { id: url[1]! };
  // CSS filter functions (blur(), drop-shadow(), ...): each is a primitive of librsvg's.
  const functions = trimmed.match(/[a-z-]+\(/gi)?.length ?? 1;
  return { work: functions * FILTER_WEIGHTS.other };
}
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
  const root: Scope = { id: undefined, elements: 0, filtered: 0, filterRefs: [], inlineWork: 0, refs: [] };
  const scopes = new Map<string, Scope>();
  // Each <filter> element (its primitives' weights and region), and the one being read.
  const filters = new Map<string, FilterInfo>();
  let openFilter: FilterInfo | undefined;
  // The canvas in user units (the root's viewBox, else its width and height): a filter is computed
  // over its region, at most the canvas.
  let canvas: number | undefined;
  let seenRoot = false;
  // A filter set by a style sheet may apply to any element: each element counts as drawn with the
  // costliest filter the sheets name (librsvg's selectors are not matched here).
  let sheetFilter: ReturnType<typeof readFilter>;
  let sheetInlineWork = 0;
  for (const sheet of text.matchAll(STYLE_SHEET)) {
    for (const rule of (sheet[1] ?? '').matchAll(STYLE_FILTER)) {
      const found = readFilter(rule[1] ?? '');
      if (!found) continue;
      if ('id' in found) sheetFilter = found;
      else sheetInlineWork = Math.max(sheetInlineWork, found.work);
    }
  }
  // The stack of open elements, each with the scopes it belongs to (its own id and every ancestor's).
  const open: Scope[][] = [[root]];
  for (const match of text.matchAll(TAG)) {
    const [, closing, name, attributes = '', selfClosing] = match;
    if (name === undefined) continue; // comment, CDATA, doctype, processing instruction
    if (closing) {
      if (name === 'filter' || name.endsWith(':filter')) openFilter = undefined;
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
      const scope: Scope = { id: idValue, elements: 0, filtered: 0, filterRefs: [], inlineWork: 0, refs: [] };
      scopes.set(idValue, scope);
      own = [...enclosing, scope];
    }
    const filterMatch = FILTER.exec(attributes);
    let filter = filterMatch ? readFilter(filterMatch[1] ?? filterMatch[2] ?? filterMatch[3] ?? '') : undefined;
    let inlineWork = filter && 'work' in filter ? filter.work : 0;
    if (sheetFilter || sheetInlineWork > 0) {
      filter ??= sheetFilter;
      inlineWork = Math.max(inlineWork, sheetInlineWork);
    }
    const filtered = filter !== undefined || inlineWork > 0;
    const local = name.includes(':') ? name.slice(name.indexOf(':') + 1) : name;
    if (!seenRoot && local === 'svg') {
      seenRoot = true;
      const box = VIEW_BOX.exec(attributes);
      const w = box ? Number(box[1]) : userNumber(attributes, WIDTH);
      const h = box ? Number(box[2]) : userNumber(attributes, HEIGHT);
      if (w !== undefined && h !== undefined && w * h > 0) canvas = w * h;
    }
    if (local === 'filter' && !selfClosing) {
      const userSpace = USER_SPACE.test(attributes);
      const w = userNumber(attributes, WIDTH);
      const h = userNumber(attributes, HEIGHT);
      openFilter = {
        work: 0,
        userArea: userSpace && w !== undefined && h !== undefined ? w * h : undefined,
        // The default region is the box grown by 10% on every side: 1.2 x 1.2.
        boxShare: userSpace ? 1.44 : boxShare(attributes, WIDTH, 1.2) * boxShare(attributes, HEIGHT, 1.2),
      };
      if (idValue !== undefined && !filters.has(idValue)) filters.set(idValue, openFilter);
    }
    if (/^fe[A-Z]/.test(local)) {
      filterPrimitives++;
      if (openFilter) {
        const octaves = NUM_OCTAVES.exec(attributes);
        const order = ORDER.exec(attributes);
        const x = order ? Number(order[1]) : 3;
        openFilter.work += filterPrimitiveWeight(local, {
          ...(octaves ? { numOctaves: Number(octaves[1]) || 1 } : {}),
          order: [Number.isFinite(x) ? x : 3, order?.[2] !== undefined ? Number(order[2]) || x : x],
        });
      }
    }
    const href = local === 'use' ? HREF.exec(attributes) : null;
    const target = href ? (href[1] ?? href[2]) : undefined;
    for (const scope of own) {
      scope.elements++;
      if (filtered) scope.filtered++;
      if (filter && 'id' in filter) scope.filterRefs.push({ id: filter.id, area: shapeArea(local, attributes) });
      scope.inlineWork += inlineWork;
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
  type Drawn = { elements: number; filtered: number; work: number };
  const memo = new Map<Scope, Drawn>();
  const visiting = new Set<Scope>();
  let cycle = false;
  // A filtered drawing's work: its filter's weights times the share of the canvas its region covers
  // (the whole canvas when the region is not known from attributes). A filter named but not defined
  // costs what one primitive does over the canvas (librsvg then draws nothing).
  const workOf = (ref: { readonly id: string; readonly area: number | undefined }) => {
    const info = filters.get(ref.id);
    if (!info) return FILTER_WEIGHTS.other;
    const region = info.userArea ?? (ref.area === undefined ? undefined : ref.area * info.boxShare);
    return info.work * (canvas === undefined || region === undefined ? 1 : Math.min(1, region / canvas));
  };
  const cost = (scope: Scope): Drawn => {
    const known = memo.get(scope);
    if (known) return known;
    if (visiting.has(scope)) {
      cycle = true;
      return { elements: 0, filtered: 0, work: 0 };
    }
    visiting.add(scope);
    let e = scope.elements;
    let f = scope.filtered;
    let w = scope.inlineWork;
    for (const ref of scope.filterRefs) w = Math.min(CAP, w + workOf(ref));
    for (const ref of scope.refs) {
      const target = scopes.get(ref);
      if (!target) continue;
      const inner = cost(target);
      e = Math.min(CAP, e + inner.elements);
      f = Math.min(CAP, f + inner.filtered);
      w = Math.min(CAP, w + inner.work);
    }
    visiting.delete(scope);
    const result = { elements: e, filtered: f, work: w };
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
    filterWork: drawn.work,
    depth: maxDepth,
    embeddedBytes,
    entities,
    cycle,
  };
}
