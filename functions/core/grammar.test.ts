import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { images as policy } from '../../infra/distribution.ts';
import { EdgeError } from './errors.ts';
import { checkPolicy, derivedUri, parseDerivedUri, parseImageUrl, resolveVariant } from './grammar.ts';
import { FITS, POSITIONS } from './policy.ts';
import type { ParsedUrl } from './grammar.ts';

const CHROMIUM = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8';
const OLD_SAFARI = 'image/webp,image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5';
const CURL = '*/*';

function canonical(uri: string, query = '', accept: string | null = CHROMIUM): string {
  const parsed = parseImageUrl(uri, query, accept ?? undefined, policy);
  if (parsed.kind !== 'derived') throw new Error(`expected a derived image for ${uri}`);
  return derivedUri(parsed.key, parsed.variant);
}

function status(fn: () => unknown): number | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    if (error instanceof EdgeError) return error.status;
    throw error;
  }
}

describe('the three spellings of a derived image', () => {
  it('maps the path form, a preset and the query form to the same canonical URI', () => {
    const expected = '/_derived/photos/cat.jpg/128x128-cover-q75.avif';
    expect(canonical('/128x128/photos/cat.jpg')).toBe(expected);
    expect(canonical('/thumb/photos/cat.jpg')).toBe(expected);
    expect(canonical('/photos/cat.jpg', 'w=128&h=128&fit=cover&fm=auto&q=75')).toBe(expected);
    expect(canonical('/photos/cat.jpg', 'q=75&fm=auto&h=128&w=128')).toBe(expected);
  });

  it('negotiates avif > webp > the original format from Accept', () => {
    expect(canonical('/128x128/photos/cat.jpg', '', CHROMIUM)).toMatch(/\.avif$/);
    expect(canonical('/128x128/photos/cat.jpg', '', OLD_SAFARI)).toMatch(/\.webp$/);
    expect(canonical('/128x128/photos/cat.jpg', '', CURL)).toMatch(/\.jpg$/);
    expect(canonical('/128x128/logo.png', '', null)).toMatch(/\.png$/);
    expect(canonical('/128x128/photos/cat.jpg', '', 'image/avif;q=0,image/webp')).toMatch(/\.webp$/);
  });

  it('reports negotiation only when the format came from Accept', () => {
    const auto = parseImageUrl('/128x128/photos/cat.jpg', '', CHROMIUM, policy) as Extract<ParsedUrl, { kind: 'derived' }>;
    const fixed = parseImageUrl('/128x128/photos/cat.jpg', 'fm=webp', CHROMIUM, policy) as Extract<ParsedUrl, { kind: 'derived' }>;
    expect(auto.negotiated).toBe(true);
    expect(fixed.negotiated).toBe(false);
    expect(fixed.variant.format).toBe('webp');
  });

  it('applies dpr inside the allowlist', () => {
    expect(canonical('/128x128/photos/cat.jpg', 'dpr=2&fm=webp')).toBe('/_derived/photos/cat.jpg/256x256-cover-q75.webp');
    expect(canonical('/thumb/photos/cat.jpg', 'dpr=3&fm=jpg')).toBe('/_derived/photos/cat.jpg/384x384-cover-q75.jpg');
    expect(canonical('/64x64/photos/cat.jpg', 'dpr=1.5&fm=webp')).toBe('/_derived/photos/cat.jpg/96x96-cover-q75.webp');
    expect(status(() => canonical('/128x128/photos/cat.jpg', 'dpr=1.25'))).toBe(400);
    expect(status(() => canonical('/128x128/photos/cat.jpg', 'dpr=4'))).toBe(400);
  });

  it('gives width-only requests one spelling whatever the fit', () => {
    expect(canonical('/photos/cat.jpg', 'w=640&fm=webp')).toBe('/_derived/photos/cat.jpg/640xauto-inside-q75.webp');
    expect(canonical('/photos/cat.jpg', 'w=640&fit=cover&fm=webp')).toBe('/_derived/photos/cat.jpg/640xauto-inside-q75.webp');
    expect(canonical('/card/photos/cat.jpg', 'fm=webp')).toBe('/_derived/photos/cat.jpg/640xauto-inside-q75.webp');
  });

  it('lets a preset fix its format and quality', () => {
    expect(canonical('/og/photos/cat.jpg')).toBe('/_derived/photos/cat.jpg/1200x630-cover-q85.jpg');
  });
});

describe('position, presets that enlarge or keep the copyright, and animated keys', () => {
  it('names a cover position only when it is not the centre, one spelling for each', () => {
    expect(canonical('/128x128/photos/cat.jpg', 'pos=attention&fm=webp')).toBe('/_derived/photos/cat.jpg/128x128-cover-attention-q75.webp');
    expect(canonical('/photos/cat.jpg', 'w=128&h=128&pos=entropy&fm=webp')).toBe('/_derived/photos/cat.jpg/128x128-cover-entropy-q75.webp');
    for (const pos of ['centre', 'center']) {
      expect(canonical('/128x128/photos/cat.jpg', `pos=${pos}&fm=webp`)).toBe('/_derived/photos/cat.jpg/128x128-cover-q75.webp');
    }
    // Only cover crops: elsewhere the position changes nothing, so it is not part of the name.
    expect(canonical('/128x128/photos/cat.jpg', 'fit=contain&pos=attention&fm=webp')).toBe('/_derived/photos/cat.jpg/128x128-contain-q75.webp');
    expect(canonical('/photos/cat.jpg', 'w=640&pos=attention&fm=webp')).toBe('/_derived/photos/cat.jpg/640xauto-inside-q75.webp');
    expect(status(() => canonical('/128x128/photos/cat.jpg', 'pos=top'))).toBe(400);
  });

  it('reads positions and preset flags back from derived URIs, and only canonical ones', () => {
    for (const uri of [
      '/_derived/photos/cat.jpg/128x128-cover-attention-q75.webp',
      '/_derived/photos/cat.jpg/192x192-contain-q75-enlarge.png',
      '/_derived/photos/cat.jpg/384x384-contain-q75-enlarge.png',
      '/_derived/photos/cat.jpg/960xauto-inside-q85-copyright.jpg',
    ]) {
      expect(canonical(uri)).toBe(uri);
    }
    for (const uri of [
      '/_derived/photos/cat.jpg/128x128-cover-centre-q75.webp',
      '/_derived/photos/cat.jpg/128x128-contain-attention-q75.webp',
      '/_derived/photos/cat.jpg/128x128-cover-top-q75.webp',
      '/_derived/photos/cat.jpg/128x128-cover-q75-copyright-enlarge.webp',
      // No preset enlarges to 128x128 or keeps the copyright at 640 wide: the flags are a preset's.
      '/_derived/photos/cat.jpg/128x128-cover-q75-enlarge.webp',
      '/_derived/photos/cat.jpg/640xauto-inside-q75-copyright.jpg',
    ]) {
      expect(
        status(() => parseDerivedUri(uri, policy)),
        uri,
      ).toBe(400);
    }
  });

  it('gives presets that enlarge or keep the copyright their own canonical names', () => {
    expect(canonical('/icon/logo.png', 'fm=png')).toBe('/_derived/logo.png/192x192-contain-q75-enlarge.png');
    expect(canonical('/icon/logo.png', 'fm=png&dpr=2')).toBe('/_derived/logo.png/384x384-contain-q75-enlarge.png');
    expect(canonical('/credited/photos/cat.jpg')).toBe('/_derived/photos/cat.jpg/960xauto-inside-q85-copyright.jpg');
    expect(canonical('/photos/cat.jpg', 'w=960&q=85&fm=jpg')).toBe('/_derived/photos/cat.jpg/960xauto-inside-q85.jpg');
  });

  it('writes GIF on request and negotiates animation-capable formats for keys that may be animated', () => {
    expect(canonical('/128x128/anim.gif', 'fm=gif')).toBe('/_derived/anim.gif/128x128-cover-q75.gif');
    // .gif and .webp may be animated: never AVIF from fm=auto (sharp writes no animated AVIF).
    expect(canonical('/128x128/anim.gif', '', CHROMIUM)).toMatch(/\.webp$/);
    expect(canonical('/128x128/anim.gif', '', CURL)).toMatch(/\.gif$/);
    expect(canonical('/128x128/sticker.webp', '', CHROMIUM)).toMatch(/\.webp$/);
    // An old viewer that did not ask for WebP gets PNG from a WebP, AVIF or SVG original.
    expect(canonical('/128x128/sticker.webp', '', CURL)).toMatch(/\.png$/);
    expect(canonical('/128x128/photo.avif', '', OLD_SAFARI)).toMatch(/\.webp$/);
    expect(canonical('/128x128/photo.avif', '', CURL)).toMatch(/\.png$/);
    expect(canonical('/128x128/drawing.svg', '', CHROMIUM)).toMatch(/\.avif$/);
    expect(canonical('/128x128/scan.tiff', '', CURL)).toMatch(/\.jpg$/);
  });

  it('refuses a preset whose background is not a colour', () => {
    expect(checkPolicy({ ...policy, background: 'white' })).toEqual(['the background "white" is not a #rrggbb colour']);
  });
});

describe('originals and keys', () => {
  it('passes a plain path, or one with only foreign query parameters, through as the original', () => {
    expect(parseImageUrl('/photos/cat.jpg', '', CHROMIUM, policy)).toEqual({ kind: 'original', key: 'photos/cat.jpg' });
    expect(parseImageUrl('/photos/cat.jpg', 'v=3', CHROMIUM, policy)).toEqual({ kind: 'original', key: 'photos/cat.jpg' });
  });

  it('decodes once and re-encodes one canonical way', () => {
    expect(canonical('/128x128/photos/caf%C3%A9%20au%20lait.jpg', 'fm=jpg')).toBe('/_derived/photos/caf%C3%A9%20au%20lait.jpg/128x128-cover-q75.jpg');
    expect(canonical('/128x128/photos/a+b.jpg', 'fm=jpg')).toBe('/_derived/photos/a%2Bb.jpg/128x128-cover-q75.jpg');
    expect(canonical('/128x128/photos%2Fcat.jpg', 'fm=jpg')).toBe('/_derived/photos/cat.jpg/128x128-cover-q75.jpg');
    expect(canonical('/128x128/photos/%2525.jpg', 'fm=jpg')).toBe('/_derived/photos/%2525.jpg/128x128-cover-q75.jpg');
  });

  it.each([
    ['/128x128/../secret.jpg'],
    ['/128x128/photos/%2e%2e/secret.jpg'],
    ['/128x128/photos%2F..%2Fsecret.jpg'],
    ['/128x128/photos//cat.jpg'],
    ['/128x128/photos/./cat.jpg'],
    ['/128x128/photos\\cat.jpg'],
    ['/128x128/photos/%5Ccat.jpg'],
    ['/128x128/photos/%00cat.jpg'],
    ['/128x128/photos/%E0%A4%A.jpg'],
    ['/128x128/photos/%C3%28.jpg'],
    ['/128x128/_derived/photos/cat.jpg/64x64-cover-q75.jpg'],
    ['/_derived/photos/cat.jpg/100x100-cover-q75.jpg'],
    ['/_derived/photos/cat.jpg/128x128-cover-q75.jpg.exe'],
    [`/128x128/${'a'.repeat(1025)}.jpg`],
    ['/128x128/'],
  ])('refuses %s with a 400', (uri) => {
    expect(status(() => parseImageUrl(uri, '', CHROMIUM, policy))).toBe(400);
  });
});

describe('parameters', () => {
  it.each([
    ['w=100&h=100', /allowed sizes/],
    ['w=128&h=128&q=74', /allowed qualities/],
    ['w=128&h=128&fm=bmp', /one of auto/],
    ['w=128&h=128&fit=squash', /one of cover/],
    ['w=128&w=256&h=128', /a single value/],
    ['w=-128&h=128', /positive whole number/],
    ['w=128.5&h=128', /positive whole number/],
    ['w=99999999&h=128', /positive whole number/],
    ['h=128', /a width/],
    ['w=128&h=128&foo=1', /only the image parameters/],
    // An unknown name before the image parameters is refused as one after them.
    ['utm=1&w=640', /only the image parameters .* but received "utm"/],
    ['utm=1&%77=640', /only the image parameters .* but received "utm"/],
    ['fit=center&w=128&h=128', /one of cover, contain, inside, outside, fill for fit but received "center"/],
    ['w=jpeg', /a positive whole number for w but received "jpeg"/],
    ['pos=constructor&w=128&h=128', /one of centre, entropy, attention for pos but received "constructor"/],
    ['w=641', /allowed widths/],
  ])('refuses %s with a clear 400', (query, message) => {
    let error: unknown;
    try {
      parseImageUrl('/photos/cat.jpg', query, CHROMIUM, policy);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EdgeError);
    expect((error as EdgeError).status).toBe(400);
    expect((error as EdgeError).publicMessage).toMatch(/^Expected /);
    expect((error as EdgeError).publicMessage).toMatch(message);
  });

  it('refuses a size beside the path form or a preset', () => {
    expect(status(() => parseImageUrl('/128x128/photos/cat.jpg', 'w=64', CHROMIUM, policy))).toBe(400);
    expect(status(() => parseImageUrl('/thumb/photos/cat.jpg', 'h=64', CHROMIUM, policy))).toBe(400);
  });

  it('keeps presets and defaults inside the allowlist', () => {
    expect(checkPolicy(policy)).toEqual([]);
    expect(checkPolicy({ ...policy, presets: { huge: { width: 5000, height: 5000 } } })).toHaveLength(1);
  });
});

describe('derived URIs read back', () => {
  it('accepts a canonical derived URI asked for directly, and only its canonical spelling', () => {
    const uri = '/_derived/photos/caf%C3%A9%20au%20lait.jpg/128x128-cover-q75.webp';
    expect(canonical(uri)).toBe(uri);
    expect(status(() => parseDerivedUri('/_derived/photos/caf%c3%a9%20au%20lait.jpg/128x128-cover-q75.webp', policy))).toBe(400);
    expect(status(() => parseDerivedUri('/_derived/photos/a+b.jpg/128x128-cover-q75.webp', policy))).toBe(400);
  });
  it('grants -enlarge and -copyright exactly where a preset makes that size at some dpr of 0.01 steps, small presets included', () => {
    // Presets as narrow as 3 px (each dpr step moves them by less than a pixel) and as wide as 1200; every
    // size they reach at any dpr, and its neighbours, is allowed, so only the grant decides.
    const presets = { a: { width: 3, height: 2 }, b: { width: 33 }, c: { width: 64, height: 64 }, d: { width: 1200, height: 630 } };
    const reached = (preset: { width: number; height?: number }, hundredths: number) =>
      [Math.round(preset.width * (hundredths / 100)), preset.height === undefined ? undefined : Math.round(preset.height * (hundredths / 100))] as const;
    const sizes = new Set<string>();
    const widths = new Set<number>();
    for (const preset of Object.values(presets)) {
      for (let h = 100; h <= 300; h++) {
        const [w, ht] = reached(preset, h);
        for (const dw of [-1, 0, 1]) {
          if (ht === undefined) widths.add(w + dw);
          else for (const dh of [-1, 0, 1]) sizes.add(`${w + dw}x${ht + dh}`);
        }
      }
    }
    const flagged = {
      ...policy,
      maxDpr: 3,
      sizes: [...sizes] as `${number}x${number}`[],
      widths: [...widths],
      presets: Object.fromEntries(Object.entries(presets).map(([name, p]) => [name, { ...p, fit: 'inside' as const, enlarge: true as const }])),
    };
    let granted = 0;
    for (const [width, height] of [...flagged.sizes.map((s) => s.split('x').map(Number)), ...flagged.widths.map((w) => [w, undefined])] as [
      number,
      number | undefined,
    ][]) {
      const variant = resolveVariant({ width, height, fit: 'inside', quality: 75, format: 'webp', enlarge: true }, 1, flagged);
      const expected = Object.values(presets).some((preset) => {
        for (let h = 100; h <= 300; h++) {
          const [w, ht] = reached(preset, h);
          if (w === width && (ht ?? 0) === (height ?? 0)) return true;
        }
        return false;
      });
      const uri = derivedUri('photos/cat.jpg', variant);
      expect(
        status(() => parseDerivedUri(uri, flagged)),
        uri,
      ).toBe(expected ? undefined : 400);
      if (expected) granted++;
    }
    expect(granted).toBeGreaterThan(100);
  });
});

describe('properties', () => {
  const segment = fc.oneof(
    fc.string({ minLength: 1, maxLength: 12 }),
    fc.constantFrom('..', '.', '%2e%2e', '%2F', '_derived', 'a+b', 'caf\u00e9', ' ', '%', '%25', '\\'),
  );
  const path = fc.array(segment, { minLength: 1, maxLength: 5 }).map((parts) => `/${parts.join('/')}`);
  const prefix = fc.constantFrom('', '/128x128', '/thumb', '/64x64', '/100x100', '/og', '/icon', '/credited', '/_derived');
  const query = fc
    .array(
      fc.tuple(
        fc.constantFrom('w', 'h', 'fit', 'pos', 'fm', 'q', 'dpr', 'x'),
        fc.constantFrom('128', '640', '2', '75', 'cover', 'contain', 'auto', 'webp', 'gif', 'attention', 'entropy', 'center', '-1', '1.5', ''),
      ),
      { maxLength: 4 },
    )
    .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));
  const accept = fc.constantFrom(CHROMIUM, OLD_SAFARI, CURL, undefined);

  it('maps every accepted URL to one canonical key that stays under _derived/ and inside the allowlist', () => {
    fc.assert(
      fc.property(prefix, path, query, accept, (pre, p, q, acc) => {
        let parsed: ParsedUrl;
        try {
          parsed = parseImageUrl(pre + p, q, acc, policy);
        } catch (error) {
          expect(error).toBeInstanceOf(EdgeError);
          expect((error as EdgeError).status).toBe(400);
          return;
        }
        expect(parsed.key.split('/')).not.toContain('..');
        expect(parsed.key.startsWith('_derived/')).toBe(false);
        if (parsed.kind === 'original') return;
        const uri = derivedUri(parsed.key, parsed.variant);
        expect(uri.startsWith('/_derived/')).toBe(true);
        // One canonical key: reading it back gives the same key and variant, and it is a fixed point.
        expect(parseDerivedUri(uri, policy)).toEqual({ kind: 'derived', key: parsed.key, variant: parsed.variant, negotiated: false });
        const again = parseImageUrl(uri, '', acc, policy);
        expect(again.kind === 'derived' && derivedUri(again.key, again.variant)).toBe(uri);
        const { width, height } = parsed.variant;
        if (height === undefined) expect(policy.widths).toContain(width);
        else expect(policy.sizes).toContain(`${width}x${height}`);
      }),
      { seed: 20261123, numRuns: 2000 },
    );
  });

  it('reads every variant the allowlist allows back from its name, position included', () => {
    const size = fc.oneof(
      fc.constantFrom(...policy.sizes).map((s) => s.split('x').map(Number) as [number, number | undefined]),
      fc.constantFrom(...policy.widths).map((w) => [w, undefined] as [number, number | undefined]),
    );
    fc.assert(
      fc.property(
        size,
        fc.constantFrom(...FITS),
        fc.constantFrom(...POSITIONS, undefined),
        fc.constantFrom(...policy.qualities),
        fc.constantFrom(...policy.formats),
        ([width, height], fit, position, quality, format) => {
          const variant = resolveVariant({ width, height, fit, position, quality, format }, 1, policy);
          const uri = derivedUri('photos/cat.jpg', variant);
          expect(parseDerivedUri(uri, policy)).toEqual({ kind: 'derived', key: 'photos/cat.jpg', variant, negotiated: false });
          // The name carries a position exactly when it changes the picture.
          expect(uri.includes('-entropy') || uri.includes('-attention')).toBe(
            fit === 'cover' && height !== undefined && position !== undefined && position !== 'centre',
          );
        },
      ),
      { seed: 20261124, numRuns: 500 },
    );
  });
});
