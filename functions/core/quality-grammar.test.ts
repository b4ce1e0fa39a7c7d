/** `q=auto` in the URL grammar: its spellings, its canonical `-qauto` name, and what is refused. */
import { describe, expect, it } from 'vitest';
import { images } from '../../infra/distribution.ts';
import { canonicalize } from './canonical.ts';
import { EdgeError } from './errors.ts';
import { derivedUri, parseDerivedUri, parseImageUrl } from './grammar.ts';
import type { ImagePolicy } from './policy.ts';
import { admittedVariants } from './variants.ts';

const CHROMIUM = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8';
const policy: ImagePolicy = { ...images, presets: { ...images.presets, lean: { width: 320, quality: 'auto', format: 'webp' } } };

function canonical(uri: string, query = ''): string {
  return canonicalize({ method: 'GET', uri, query, acceptHeader: CHROMIUM }, policy).uri;
}

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof EdgeError) return `${error.status} ${error.publicMessage}`;
    throw error;
  }
  return 'accepted';
}

describe('q=auto', () => {
  it('names the variant -qauto in the query, path and preset forms', () => {
    expect(canonical('/photos/cat.jpg', 'w=640&q=auto')).toBe('/_derived/photos/cat.jpg/640xauto-inside-qauto.avif');
    expect(canonical('/128x128/photos/cat.jpg', 'q=auto&fm=jpg')).toBe('/_derived/photos/cat.jpg/128x128-cover-qauto.jpg');
    expect(canonical('/lean/photos/cat.jpg')).toBe('/_derived/photos/cat.jpg/320xauto-inside-qauto.webp');
    // A URL's q overrides the preset's, as for numbers.
    expect(canonical('/lean/photos/cat.jpg', 'q=75')).toBe('/_derived/photos/cat.jpg/320xauto-inside-q75.webp');
  });

  it('reads a -qauto derived URI back to the same variant', () => {
    const uri = '/_derived/photos/cat.jpg/256x256-cover-attention-qauto.webp';
    const parsed = parseDerivedUri(uri, policy);
    expect(parsed.variant.quality).toBe('auto');
    expect(derivedUri(parsed.key, parsed.variant)).toBe(uri);
    expect(canonical(uri)).toBe(uri);
  });

  it('refuses other spellings with a 400', () => {
    for (const q of ['Auto', 'AUTO', 'auto1', 'autoo', '']) {
      expect(refusal(() => parseImageUrl('/photos/cat.jpg', `w=640&q=${q}`, CHROMIUM, policy))).toMatch(/^400 /);
    }
    expect(refusal(() => parseDerivedUri('/_derived/photos/cat.jpg/640xauto-inside-qAuto.webp', policy))).toMatch(/^400 /);
    expect(refusal(() => parseDerivedUri('/_derived/photos/cat.jpg/640xauto-inside-q-auto.webp', policy))).toMatch(/^400 /);
  });

  it('is one of the variants an original admits, in every format', () => {
    const names = admittedVariants(images).map((v) => derivedUri('k', v));
    for (const format of images.formats) expect(names).toContain(`/_derived/k/640xauto-inside-qauto.${format}`);
  });
});
