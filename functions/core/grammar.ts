/**
 * The URL grammar. Three spellings of a derived image, one canonical URI:
 *
 *   /128x128/photos/cat.jpg                        path form   /{W}x{H}/{key}
 *   /thumb/photos/cat.jpg                          preset      /{name}/{key}
 *   /photos/cat.jpg?w=128&h=128&fit=cover&fm=auto  query form  w, h, fit, pos, fm, q, dpr
 *
 *   -> /_derived/photos/cat.jpg/128x128-cover-q75.webp
 *
 * The path and preset forms take fit, pos, fm, q and dpr from the query too. `q` is a point of the
 * policy's quality scale or `auto` (the lowest quality that reaches the policy's SSIM target, see
 * functions/core/quality.ts), named `-qauto`. The canonical variant
 * name is `{W}x{H}-{fit}[-{pos}]-q{Q|auto}[-enlarge][-copyright].{fmt}`: the optional parts appear only
 * when they differ from the default (a cover crop that is not centred; a preset that enlarges or
 * keeps the copyright), so every image has exactly one canonical URI and the old names stay valid. A path with no image
 * parameter at all asks for the original and passes through untouched. Every number must be in the
 * allowlist of the policy; anything else is a 400 before any origin is touched.
 */
import { OUTPUT_MAX_SIDE } from './cost.ts';
import { badParam, quote, refused } from './errors.ts';
import { DERIVED_PREFIX, MAX_KEY_BYTES, assertOriginalKey, decodeKey, encodeKey, utf8Length } from './keys.ts';
import { negotiateAuto } from './negotiate.ts';
import { QUERY, parseQuery, queryReader } from './query.ts';
import { FITS, OUTPUT_FORMATS, POSITIONS } from './policy.ts';
import type { Fit, ImagePolicy, OutputFormat, Position, Preset } from './policy.ts';

/**
 * What to make from an original. `height` undefined: follow the aspect ratio. The optional fields
 * are present only when they differ from their default (centre; no enlarging; no metadata), so a
 * canonical Variant has one shape and the plain `{ width, height, fit, quality, format }` is valid.
 */
export interface Variant {
  readonly width: number;
  readonly height: number | undefined;
  readonly fit: Fit;
  /** A point of the quality scale, or `auto` (searched per image). */
  readonly quality: number | 'auto';
  readonly format: OutputFormat;
  /** Where `cover` crops; absent = centre. */
  readonly position?: Exclude<Position, 'centre'>;
  /** Scale up originals smaller than the box (presets only); absent = never enlarge. */
  readonly enlarge?: true;
  /** Keep the original's EXIF Copyright (presets only); absent = strip all metadata. */
  readonly keepCopyright?: true;
}

/** What a URL asks for, before the allowlist and canonical rules are applied. */
export interface WantedVariant {
  readonly width: number;
  readonly height: number | undefined;
  readonly fit: Fit;
  readonly quality: number | 'auto';
  readonly format: OutputFormat;
  readonly position?: Position | undefined;
  readonly enlarge?: boolean | undefined;
  readonly keepCopyright?: boolean | undefined;
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

/** The word for what the viewer or the image decides: `fm=auto`, `q=auto`, a height that follows the width. */
const AUTO = 'auto';
/** The parameter name of path errors (a constant: the CloudFront Function's 10 KB counts every repeat). */
const PATH = 'the path';
const SIZE_SEGMENT = /^([1-9]\d{0,4})x([1-9]\d{0,4})$/;
const INTEGER = /^[1-9]\d{0,4}$/;
const WHOLE = 'a positive whole number';
/** A value that is one of `words`, and how the message names them. */
const oneOf = (name: string, words: readonly string[]): readonly [string, RegExp, string] => [
  name,
  new RegExp(`^(?:${words.join('|')})$`),
  `one of ${words.join(', ')}`,
];
/**
 * Each image parameter (in the order the unknown-parameter message lists them): the pattern of its
 * values, after ALIASES, and what a wrong value is told was expected. A table, not a branch per
 * parameter: the CloudFront Function's 10 KB counts every branch. Rows, not an object keyed by name:
 * that build shortens property names such as `fit`, and these are the names a viewer writes.
 */
const PARAMS: readonly (readonly [string, RegExp, string])[] = [
  ['w', INTEGER, WHOLE],
  ['h', INTEGER, WHOLE],
  oneOf('fit', FITS),
  oneOf('pos', POSITIONS),
  oneOf('fm', [AUTO].concat(OUTPUT_FORMATS)),
  ['q', /^(?:[1-9]\d{0,4}|auto)$/, WHOLE],
  ['dpr', /^[1-9](?:\.\d{1,2})?$/, 'a device pixel ratio such as 1, 1.5 or 2'],
];
const IMAGE_PARAMS = PARAMS.map((row) => row[0]);
const IMAGE_QUERY = queryReader(IMAGE_PARAMS);
/** The other spellings of a position and a format; a value of any other parameter they turn into is refused all the same. */
const ALIASES: Readonly<Record<string, string>> = { jpeg: 'jpg', center: 'centre' };

/**
 * The image parameters of one URL by name, each at most once; undefined when the query names none. A
 * plain object, not a Map: this file is also compiled to CloudFront Functions, whose runtime has no
 * Map or Set (see functions/core/canonical.ts).
 */
type ImageParams = Readonly<Record<string, string>> | undefined;

/** Only ever asked for one of IMAGE_PARAMS, none of which Object.prototype has. */
// biome-ignore lint/complexity/useOptionalChain: `?.` is not in cloudfront-js-2.0; esbuild would lower it to a longer ternary (10 KB)
const param = (query: ImageParams, name: string): string | undefined => query && query[name];
/** `a ?? b` for values that are never null, without what esbuild lowers `??` to (the 10 KB again). */
const or = <T>(a: T | undefined, b: T): T => (a !== undefined ? a : b);
/** A quality as written (`75`, `auto`) as a Variant holds it: `auto` is the one value that is not a number (and 0 is never one). */
const qualityOf = (q: string | number): number | 'auto' => Number(q) || (q as 'auto');

/**
 * Parse a viewer URI (as CloudFront passes it: percent-encoded, no query) and its query string
 * (no leading `?`) into the original key and, for a derived image, the variant to make.
 */
export function parseImageUrl(uri: string, querystring: string, accept: string | undefined, policy: ImagePolicy): ParsedUrl {
  if (!uri.startsWith('/')) throw badParam(PATH, 'a path starting with "/"', uri);
  const query = readImageParams(querystring);
  const path = uri.slice(1);

  if (path.startsWith(DERIVED_PREFIX)) {
    // A canonical URI asked for directly (our own redirects do this): accept it only if it is one.
    const parsed = parseDerivedUri(uri, policy);
    if (query) throw refused('no image parameters on a derived image URI', quote(querystring));
    return parsed;
  }

  const slash = path.indexOf('/');
  const first = slash === -1 ? '' : path.slice(0, slash);
  // The whole path when there is no slash (slice(0)).
  const rest = path.slice(slash + 1);
  const size = SIZE_SEGMENT.exec(first);
  // An own preset only (`constructor` is no preset): Object.hasOwn is not in cloudfront-js-2.0.
  const preset = Object.keys(policy.presets).includes(first) ? policy.presets[first] : undefined;

  // The path and preset forms name the size in the path (and take no size parameter); the query
  // form names it in w and h; a path with no image parameter at all asks for the original.
  const form = size ? 'the path form /{W}x{H}/' : preset ? `the preset /${first}/` : '';
  if (form === '' && !query) {
    const key = decodeKey(path);
    assertOriginalKey(key);
    return { kind: 'original', key };
  }
  if (form !== '') rejectSizeParams(query, form);
  const base: Preset = size ? { width: Number(size[1]), height: Number(size[2]) } : preset || querySize(query);
  const encodedKey = form === '' ? path : rest;

  const key = decodeKey(encodedKey);
  assertOriginalKey(key);
  const requested = or(or(param(query, 'fm') as OutputFormat | 'auto' | undefined, base.format), policy.defaults.format);
  const format = requested === AUTO ? negotiateAuto(key, accept, policy) : requested;
  const variant = resolveVariant(
    {
      width: base.width,
      height: base.height,
      fit: or(or(param(query, 'fit') as Fit | undefined, base.fit), policy.defaults.fit),
      position: or(param(query, 'pos') as Position | undefined, base.position),
      quality: qualityOf(or<string | number>(param(query, 'q'), or(base.quality, policy.defaults.quality))),
      format,
      enlarge: base.enlarge,
      keepCopyright: base.keepCopyright,
    },
    Number(or<string | number>(param(query, 'dpr'), 1)),
    policy,
  );
  assertDerivedKeyFits(key, variant);
  return { kind: 'derived', key, variant, negotiated: requested === AUTO };
}

/** Reads the image parameters, refusing repeats, unknown names and malformed values. */
function readImageParams(querystring: string): ImageParams {
  // No query, the usual case, costs no scan (about a tenth of the ordinary request's time).
  const all = querystring === '' ? [] : parseQuery(querystring, IMAGE_QUERY);
  // A query without image parameters (a cache-buster, a tracking tag) leaves the original alone;
  // parseQuery returns no pair exactly then, and otherwise stops at the first unknown name, refused below.
  if (all.length === 0) return undefined;
  const values: Record<string, string> = {};
  for (let i = 0; i < all.length; i++) {
    const name = (all[i] as [string, string])[0];
    const value = (all[i] as [string, string])[1];
    if (!IMAGE_PARAMS.includes(name)) {
      throw badParam(QUERY, `only the image parameters ${IMAGE_PARAMS.join(', ')}`, name);
    }
    // Every value read is non-empty (checkValue refuses '').
    if (values[name]) throw badParam(name, 'a single value', `${values[name]}, ${value}`);
    values[name] = checkValue(name, value);
  }
  return values;
}

/** The value of an image parameter in its one spelling; a 400 naming what was expected otherwise. */
function checkValue(name: string, value: string): string {
  // `||`, not an own-property check: an inherited name (`constructor`) gives a function, which no pattern of PARAMS matches.
  const canonical = ALIASES[value] || value;
  const rule = PARAMS[IMAGE_PARAMS.indexOf(name)] as readonly [string, RegExp, string];
  if (!rule[1].test(canonical)) throw badParam(name, rule[2], value);
  return canonical;
}

function rejectSizeParams(query: ImageParams, form: string): void {
  ['w', 'h'].forEach((name) => {
    const value = param(query, name);
    if (value) throw badParam(name, `no size parameter beside ${form}`, value);
  });
}

function querySize(query: ImageParams): Preset {
  const w = param(query, 'w');
  const h = param(query, 'h');
  if (!w) throw badParam('w', 'a width whenever image parameters are given', h ? `h=${h}` : '');
  return { width: Number(w), height: h ? Number(h) : undefined };
}

/** Applies dpr and checks everything against the allowlist; the result is canonical. */
export function resolveVariant(wanted: WantedVariant, dpr: number, policy: ImagePolicy): Variant {
  if (!(dpr >= 1 && dpr <= policy.maxDpr)) throw badParam('dpr', `a value from 1 to ${policy.maxDpr}`, `${dpr}`);
  const width = Math.round(wanted.width * dpr);
  const height = wanted.height === undefined ? undefined : Math.round(wanted.height * dpr);
  /** The value must be one of `list`: the allowlist is named in the message. */
  const allow = <T>(list: readonly T[], value: T, param: string, what: string): void => {
    if (!list.includes(value)) throw badParam(param, `one of the allowed ${what} (${list.join(', ')})`, `${value}`);
  };
  if (height === undefined) allow(policy.widths, width, 'w', 'widths');
  else allow(policy.sizes as readonly string[], `${width}x${height}`, 'size', 'sizes');
  if (wanted.quality !== AUTO) allow(policy.qualities, wanted.quality, 'q', 'qualities');
  if (!policy.formats.includes(wanted.format)) {
    throw badParam('fm', `one of the allowed formats (auto, ${policy.formats.join(', ')})`, wanted.format);
  }
  // With one dimension free every fit gives the same picture: one spelling, one cache entry.
  const fit = height === undefined ? 'inside' : wanted.fit;
  // Only cover crops, so only cover has a position; centre is the default and is left out.
  const position = fit === 'cover' && wanted.position && wanted.position !== 'centre' ? wanted.position : undefined;
  // Optional fields only when set (no object spread: CloudFront Functions' runtime lacks what esbuild lowers it to).
  const variant: { -readonly [K in keyof Variant]: Variant[K] } = { width: width, height: height, fit: fit, quality: wanted.quality, format: wanted.format };
  if (position) variant.position = position;
  if (wanted.enlarge) variant.enlarge = true;
  if (wanted.keepCopyright) variant.keepCopyright = true;
  return variant;
}

/**
 * `128x128-cover-q75.webp`, `640xauto-inside-q75.webp` when the height follows the width,
 * `128x128-cover-attention-q75.webp` for a cover crop that is not centred, and `-enlarge` /
 * `-copyright` after the quality for presets that ask for them.
 */
export function variantName(variant: Variant): string {
  const height = variant.height === undefined ? AUTO : variant.height;
  const position = variant.position ? `-${variant.position}` : '';
  const flags = `${variant.enlarge ? '-enlarge' : ''}${variant.keepCopyright ? '-copyright' : ''}`;
  return `${variant.width}x${height}-${variant.fit}${position}-q${variant.quality}${flags}.${variant.format}`;
}

/**
 * A derived key is the original's key plus about 40 bytes, and S3 refuses keys over 1,024 bytes: an
 * original whose key is that long can be served as it is, but it has no thumbnails (400, not a failed
 * write and an S3 error page).
 */
function assertDerivedKeyFits(key: string, variant: Variant): void {
  const bytes = utf8Length(derivedKey(key, variant));
  if (bytes > MAX_KEY_BYTES) {
    throw refused(`an image key whose thumbnail key fits in ${MAX_KEY_BYTES} bytes`, `one that makes ${bytes} bytes`);
  }
}

/** The S3 key of a derived image: `_derived/<original key>/<variant>`. */
export function derivedKey(key: string, variant: Variant): string {
  return `${DERIVED_PREFIX}${key}/${variantName(variant)}`;
}

/** The canonical URI of a derived image, as CloudFront and S3 see it (percent-encoded). */
export function derivedUri(key: string, variant: Variant): string {
  return `/${encodeKey(derivedKey(key, variant))}`;
}

/**
 * A variant name read loosely (any digits, any format word): what it names is then checked against the
 * allowlist and re-derived, and only the canonical spelling passes (`0128x128`, `jpeg` and a
 * `-centre` that the canonical name leaves out all fail the comparison). The fit and the position are
 * the only parts the re-derivation would copy as they are, so those are the policy's words alone.
 */
const VARIANT_NAME = new RegExp(`^(\\d+)x(\\d+|auto)-(${FITS.join('|')})(?:-(${POSITIONS.join('|')}))?-q(\\d+|auto)(-enlarge)?(-copyright)?\\.(\\w+)$`);

/**
 * Reads a derived URI back into its original key and variant: the variant it names is resolved as a
 * request's is, and the URI must be that variant's canonical URI (anything else would split the cache).
 */
export function parseDerivedUri(uri: string, policy: ImagePolicy): ParsedUrl & { kind: 'derived' } {
  const encoded = uri.slice(1 + DERIVED_PREFIX.length);
  const slash = encoded.lastIndexOf('/');
  const match = VARIANT_NAME.exec(encoded.slice(slash + 1));
  const wrong = () => badParam(PATH, 'a canonical URI /_derived/{key}/{variant}', uri);
  if (!uri.startsWith(`/${DERIVED_PREFIX}`) || slash <= 0 || !match) throw wrong();
  const key = decodeKey(encoded.slice(0, slash));
  assertOriginalKey(key);
  const variant = resolveVariant(
    {
      width: Number(match[1]),
      height: match[2] === AUTO ? undefined : Number(match[2]),
      fit: match[3] as Fit,
      position: match[4] as Position | undefined,
      quality: qualityOf(match[5] as string),
      format: match[8] as OutputFormat,
      enlarge: !!match[6],
      keepCopyright: !!match[7],
    },
    1,
    policy,
  );
  // Enlarging and keeping the copyright are a preset's to grant: a derived URI asked for directly may
  // carry them only where such a preset (at some allowed dpr) makes exactly that size; no request
  // names such a URI otherwise, so it is not canonical either.
  if (derivedUri(key, variant) !== uri || ((variant.enlarge || variant.keepCopyright) && !presetGrants(policy, variant))) throw wrong();
  assertDerivedKeyFits(key, variant);
  return { kind: 'derived', key: key, variant: variant, negotiated: false };
}

/**
 * Whether a preset with the variant's flags makes exactly its size at a dpr of the grammar (1 to
 * maxDpr in steps of 0.01, as resolveVariant applies it). Only presets that enlarge or keep the
 * copyright are tried: a few hundred dprs each, on a URI that names a flag. A height that follows the
 * width counts as 0 on both sides, so a box never matches a width alone.
 */
function presetGrants(policy: ImagePolicy, variant: Variant): boolean {
  return Object.values(policy.presets).some((preset) => {
    if (!preset.enlarge !== !variant.enlarge || !preset.keepCopyright !== !variant.keepCopyright) return false;
    for (let hundredths = 100; hundredths <= policy.maxDpr * 100; hundredths++) {
      const dpr = hundredths / 100;
      if (Math.round(preset.width * dpr) === variant.width && Math.round((preset.height || 0) * dpr) === (variant.height || 0)) return true;
    }
    return false;
  });
}

/** Build-time check that presets and defaults stay inside the allowlist. Returns the problems found. */
export function checkPolicy(policy: ImagePolicy): string[] {
  const problems: string[] = [];
  const names = Object.keys(policy.presets);
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    const preset = policy.presets[name] as Preset;
    if (SIZE_SEGMENT.test(name) || name === DERIVED_PREFIX.slice(0, -1)) problems.push(`preset ${quote(name)} shadows another path form`);
    try {
      resolveVariant(
        {
          width: preset.width,
          height: preset.height,
          fit: preset.fit ?? policy.defaults.fit,
          position: preset.position,
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
  if (policy.background !== undefined && !/^#[0-9a-fA-F]{6}$/.test(policy.background)) {
    problems.push(`the background ${quote(policy.background)} is not a #rrggbb colour`);
  }
  policy.autoFormats.forEach((format) => {
    if (!policy.formats.includes(format)) problems.push(`auto format ${format} is not allowed`);
  });
  // No allowed box may be larger than a format can hold (WebP: 16383 per side), at the largest dpr.
  // (Written without spread or for-of: this file is also compiled to CloudFront Functions.)
  const sides = policy.sizes
    .flatMap((size) => size.split('x').map(Number))
    .concat(policy.widths)
    .concat(Object.values(policy.presets).flatMap((p) => [p.width, p.height ?? 0]));
  const largest = Math.ceil(Math.max.apply(null, [0].concat(sides)) * policy.maxDpr);
  policy.formats.forEach((format) => {
    if (largest > OUTPUT_MAX_SIDE[format])
      problems.push(`a ${largest} px side (at dpr ${policy.maxDpr}) is more than ${format} can hold (${OUTPUT_MAX_SIDE[format]})`);
  });
  return problems;
}
