/**
 * The URL grammar. Three spellings of a derived image, one canonical URI:
 *
 *   /128x128/photos/cat.jpg                        path form   /{W}x{H}/{key}
 *   /thumb/photos/cat.jpg                          preset      /{name}/{key}
 *   /photos/cat.jpg?w=128&h=128&fit=cover&fm=auto  query form  w, h, fit, fm, q, dpr
 *
 *   -> /_derived/photos/cat.jpg/128x128-cover-q75.webp
 *
 * The path and preset forms take fit, fm, q and dpr from the query too. A path with no image
 * parameter at all asks for the original and passes through untouched. Every number must be in the
 * allowlist of the policy; anything else is a 400 before any origin is touched.
 */
import { EdgeError, badParam, quote } from './errors.ts';
import { DERIVED_PREFIX, assertOriginalKey, decodeKey, encodeKey, validateKey } from './keys.ts';
import { formatOfKey, negotiateFormat } from './negotiate.ts';
import { FITS, OUTPUT_FORMATS } from './policy.ts';
import type { Fit, ImagePolicy, OutputFormat, Preset } from './policy.ts';

/** What to make from an original. `height` undefined: follow the aspect ratio. */
export interface Variant {
  readonly width: number;
  readonly height: number | undefined;
  readonly fit: Fit;
  readonly quality: number;
  readonly format: OutputFormat;
}

export type ParsedUrl =
  | { readonly kind: 'original'; readonly key: string }
  | {
      readonly kind: 'derived';
      readonly key: string;
      readonly variant: Variant;
      /** The format was chosen from the Accept header (`fm=auto`). */
      readonly negotiated: boolean;
    };

const IMAGE_PARAMS = new Set(['w', 'h', 'fit', 'fm', 'q', 'dpr']);
const SIZE_SEGMENT = /^([1-9][0-9]{0,4})x([1-9][0-9]{0,4})$/;
const INTEGER = /^[1-9][0-9]{0,4}$/;
const DPR = /^[1-9](?:\.[0-9]{1,2})?$/;
const FORMAT_ALIASES: Record<string, OutputFormat | 'auto'> = { jpeg: 'jpg' };

/**
 * Parse a viewer URI (as CloudFront passes it: percent-encoded, no query) and its query string
 * (no leading `?`) into the original key and, for a derived image, the variant to make.
 */
export function parseImageUrl(
  uri: string,
  querystring: string,
  accept: string | undefined,
  policy: ImagePolicy,
): ParsedUrl {
  if (!uri.startsWith('/')) throw badParam('the path', 'a path starting with "/"', uri);
  const query = readImageParams(querystring);
  const path = uri.slice(1);

  if (path.startsWith(DERIVED_PREFIX)) {
    // A canonical URI asked for directly (our own redirects do this): accept it only if it is one.
    const parsed = parseDerivedUri(uri, policy);
    if (query.size > 0) throw new EdgeError('BadRequest', 'Expected no image parameters on a derived image URI');
    return { kind: 'derived', key: parsed.key, variant: parsed.variant, negotiated: false };
  }

  const slash = path.indexOf('/');
  const first = slash === -1 ? '' : path.slice(0, slash);
  const rest = slash === -1 ? path : path.slice(slash + 1);
  const size = SIZE_SEGMENT.exec(first);
  const preset = Object.hasOwn(policy.presets, first) ? policy.presets[first] : undefined;

  let base: Preset;
  let encodedKey: string;
  if (size) {
    rejectSizeParams(query, 'the path form /{W}x{H}/');
    base = { width: Number(size[1]), height: Number(size[2]) };
    encodedKey = rest;
  } else if (preset) {
    rejectSizeParams(query, `the preset /${first}/`);
    base = preset;
    encodedKey = rest;
  } else if (query.size > 0) {
    base = querySize(query);
    encodedKey = path;
  } else {
    const key = decodeKey(path);
    assertOriginalKey(key);
    return { kind: 'original', key };
  }

  const key = decodeKey(encodedKey);
  assertOriginalKey(key);
  const requested = (query.get('fm') ?? base.format ?? policy.defaults.format) as OutputFormat | 'auto';
  const format = requested === 'auto' ? negotiateFormat(accept, policy.autoFormats, formatOfKey(key)) : requested;
  const variant = resolveVariant(
    {
      width: base.width,
      height: base.height,
      fit: (query.get('fit') as Fit | undefined) ?? base.fit ?? policy.defaults.fit,
      quality: query.has('q') ? Number(query.get('q')) : (base.quality ?? policy.defaults.quality),
      format,
    },
    query.has('dpr') ? Number(query.get('dpr')) : 1,
    policy,
  );
  return { kind: 'derived', key, variant, negotiated: requested === 'auto' };
}

/** Reads the image parameters, refusing repeats, unknown names and malformed values. */
function readImageParams(querystring: string): Map<string, string> {
  const params = new Map<string, string>();
  if (querystring === '') return params;
  const all = new URLSearchParams(querystring);
  let anyImageParam = false;
  for (const name of all.keys()) if (IMAGE_PARAMS.has(name)) anyImageParam = true;
  // A query without image parameters (a cache-buster, a tracking tag) leaves the original alone.
  if (!anyImageParam) return params;
  for (const [name, value] of all) {
    if (!IMAGE_PARAMS.has(name)) {
      throw badParam('the query', `only the image parameters w, h, fit, fm, q, dpr`, name);
    }
    if (params.has(name)) throw badParam(name, 'a single value', `${params.get(name)}, ${value}`);
    params.set(name, checkValue(name, value));
  }
  return params;
}

function checkValue(name: string, value: string): string {
  switch (name) {
    case 'w':
    case 'h':
    case 'q':
      if (!INTEGER.test(value)) throw badParam(name, 'a positive whole number', value);
      return value;
    case 'dpr':
      if (!DPR.test(value)) throw badParam(name, 'a device pixel ratio such as 1, 1.5 or 2', value);
      return value;
    case 'fit':
      if (!(FITS as readonly string[]).includes(value)) throw badParam(name, `one of ${FITS.join(', ')}`, value);
      return value;
    case 'fm': {
      const format = FORMAT_ALIASES[value] ?? value;
      if (format !== 'auto' && !(OUTPUT_FORMATS as readonly string[]).includes(format)) {
        throw badParam(name, `one of auto, ${OUTPUT_FORMATS.join(', ')}`, value);
      }
      return format;
    }
    default:
      return value;
  }
}

function rejectSizeParams(query: Map<string, string>, form: string): void {
  for (const name of ['w', 'h']) {
    if (query.has(name)) throw badParam(name, `no size parameter beside ${form}`, query.get(name) ?? '');
  }
}

function querySize(query: Map<string, string>): Preset {
  const w = query.get('w');
  const h = query.get('h');
  if (w === undefined) throw badParam('w', 'a width whenever image parameters are given', h === undefined ? '' : `h=${h}`);
  return h === undefined ? { width: Number(w) } : { width: Number(w), height: Number(h) };
}

/** Applies dpr and checks everything against the allowlist; the result is canonical. */
export function resolveVariant(
  wanted: { width: number; height: number | undefined; fit: Fit; quality: number; format: OutputFormat },
  dpr: number,
  policy: ImagePolicy,
): Variant {
  if (!(dpr >= 1 && dpr <= policy.maxDpr)) throw badParam('dpr', `a value from 1 to ${policy.maxDpr}`, String(dpr));
  const width = Math.round(wanted.width * dpr);
  const height = wanted.height === undefined ? undefined : Math.round(wanted.height * dpr);
  if (height === undefined) {
    if (!policy.widths.includes(width)) {
      throw badParam('w', `one of the allowed widths (${policy.widths.join(', ')})`, String(width));
    }
  } else if (!(policy.sizes as readonly string[]).includes(`${width}x${height}`)) {
    throw badParam('size', `one of the allowed sizes (${policy.sizes.join(', ')})`, `${width}x${height}`);
  }
  if (!policy.qualities.includes(wanted.quality)) {
    throw badParam('q', `one of the allowed qualities (${policy.qualities.join(', ')})`, String(wanted.quality));
  }
  if (!policy.formats.includes(wanted.format)) {
    throw badParam('fm', `one of the allowed formats (auto, ${policy.formats.join(', ')})`, wanted.format);
  }
  // With one dimension free every fit gives the same picture: one spelling, one cache entry.
  const fit = height === undefined ? 'inside' : wanted.fit;
  return { width, height, fit, quality: wanted.quality, format: wanted.format };
}

/** `128x128-cover-q75.webp`, or `640xauto-inside-q75.webp` when the height follows the width. */
export function variantName(variant: Variant): string {
  const height = variant.height === undefined ? 'auto' : String(variant.height);
  return `${variant.width}x${height}-${variant.fit}-q${variant.quality}.${variant.format}`;
}

/** The S3 key of a derived image: `_derived/<original key>/<variant>`. */
export function derivedKey(key: string, variant: Variant): string {
  return `${DERIVED_PREFIX}${key}/${variantName(variant)}`;
}

/** The canonical URI of a derived image, as CloudFront and S3 see it (percent-encoded). */
export function derivedUri(key: string, variant: Variant): string {
  return `/${encodeKey(derivedKey(key, variant))}`;
}

const VARIANT_NAME = /^([1-9][0-9]{0,4})x([1-9][0-9]{0,4}|auto)-([a-z]+)-q([1-9][0-9]{0,2})\.([a-z]+)$/;

/** Reads a derived URI back into its original key and variant, re-checking it against the policy. */
export function parseDerivedUri(uri: string, policy: ImagePolicy): { key: string; variant: Variant } {
  if (!uri.startsWith(`/${DERIVED_PREFIX}`)) throw badParam('the path', 'a derived image URI', uri);
  const encoded = uri.slice(1 + DERIVED_PREFIX.length);
  const slash = encoded.lastIndexOf('/');
  const match = VARIANT_NAME.exec(encoded.slice(slash + 1));
  if (slash <= 0 || !match) throw badParam('the path', 'a derived image URI ending in a variant name', uri);
  const key = decodeKey(encoded.slice(0, slash));
  validateKey(key);
  assertOriginalKey(key);
  const [, w, h, fit, q, format] = match;
  if (!(FITS as readonly string[]).includes(fit!)) throw badParam('fit', `one of ${FITS.join(', ')}`, fit!);
  if (!(OUTPUT_FORMATS as readonly string[]).includes(format!)) throw badParam('fm', OUTPUT_FORMATS.join(', '), format!);
  const variant = resolveVariant(
    { width: Number(w), height: h === 'auto' ? undefined : Number(h), fit: fit as Fit, quality: Number(q), format: format as OutputFormat },
    1,
    policy,
  );
  // Only the canonical spelling is a derived URI; anything else would split the cache.
  if (derivedUri(key, variant) !== uri) throw badParam('the path', 'a canonical derived image URI', uri);
  return { key, variant };
}

/** Build-time check that presets and defaults stay inside the allowlist. Returns the problems found. */
export function checkPolicy(policy: ImagePolicy): string[] {
  const problems: string[] = [];
  for (const [name, preset] of Object.entries(policy.presets)) {
    if (SIZE_SEGMENT.test(name) || name === DERIVED_PREFIX.slice(0, -1)) problems.push(`preset ${quote(name)} shadows another path form`);
    try {
      resolveVariant(
        {
          width: preset.width,
          height: preset.height,
          fit: preset.fit ?? policy.defaults.fit,
          quality: preset.quality ?? policy.defaults.quality,
          format: preset.format === undefined || preset.format === 'auto' ? (policy.formats[0] ?? 'jpg') : preset.format,
        },
        1,
        policy,
      );
    } catch (error) {
      problems.push(`preset ${quote(name)}: ${(error as Error).message}`);
    }
  }
  if (!policy.qualities.includes(policy.defaults.quality)) problems.push('the default quality is not in the allowlist');
  for (const format of policy.autoFormats) if (!policy.formats.includes(format)) problems.push(`auto format ${format} is not allowed`);
  return problems;
}
