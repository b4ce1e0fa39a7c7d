import { describe, expect, it } from 'vitest';
import { images } from '../../infra/distribution.ts';
import { canonicalOutcome, canonicalize } from './canonical.ts';

const request = (uri: string, query = '', method = 'GET') => ({ method, uri, query, acceptHeader: undefined });

describe('canonicalize with protected prefixes (what the public behavior runs)', () => {
  it.each([
    ['/private/vault.jpg', ''],
    ['/128x128/private/vault.jpg', ''],
    ['/thumb/private/vault.jpg', ''],
    ['/%70rivate/vault.jpg', 'w=160'],
    ['/private%2Fvault.jpg', ''],
    ['/_derived/private/vault.jpg/128x128-cover-q75.webp', ''],
  ])('refuses %s?%s with a 403', (uri, query) => {
    expect(() => canonicalize(request(uri, query), images, ['private/'])).toThrow(expect.objectContaining({ code: 'Forbidden', status: 403 }));
  });

  it('passes keys that only look alike, and everything when nothing is protected', () => {
    expect(canonicalOutcome(canonicalize(request('/privateer.jpg'), images, ['private/']))).toBe('original');
    expect(canonicalOutcome(canonicalize(request('/photos/private/a.jpg', 'w=160'), images, ['private/']))).toBe('derived-negotiated');
    expect(canonicalOutcome(canonicalize(request('/128x128/private/vault.jpg'), images))).toBe('derived-negotiated');
  });

  it('rewrites to one spelling, and leaves a preflight as it came', () => {
    const original = canonicalize(request('/photos/a%2Bb.jpg', 'x=1'), images);
    expect(original).toMatchObject({ uri: '/photos/a%2Bb.jpg', query: 'x=1' });
    expect(canonicalOutcome(original)).toBe('original');
    const derived = canonicalize(request('/photos/cat.jpg', 'w=128&h=128&fm=webp'), images);
    expect(derived).toMatchObject({ query: '' });
    expect(canonicalOutcome(derived)).toBe('derived');
    const preflight = canonicalize(request('/photos/cat.jpg', 'anything', 'OPTIONS'), images);
    expect(preflight).toEqual({ uri: '/photos/cat.jpg', query: 'anything' });
    expect(canonicalOutcome(preflight)).toBe('preflight');
    expect(() => canonicalize(request('/photos/../x.jpg', '', 'OPTIONS'), images)).toThrow(expect.objectContaining({ status: 400 }));
  });
});
