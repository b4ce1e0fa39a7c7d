import { describe, expect, it } from 'vitest';
import { images } from '../../infra/distribution.ts';
import { canonicalize } from './canonical.ts';

const request = (uri: string, querystring = '', method = 'GET') => ({ method, uri, querystring, accept: undefined });

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
    expect(canonicalize(request('/privateer.jpg'), images, ['private/']).outcome).toBe('original');
    expect(canonicalize(request('/photos/private/a.jpg', 'w=160'), images, ['private/']).outcome).toBe('derived-negotiated');
    expect(canonicalize(request('/128x128/private/vault.jpg'), images).outcome).toBe('derived-negotiated');
  });

  it('rewrites to one spelling, and leaves a preflight as it came', () => {
    expect(canonicalize(request('/photos/a%2Bb.jpg', 'x=1'), images)).toEqual({ uri: '/photos/a%2Bb.jpg', querystring: 'x=1', outcome: 'original' });
    expect(canonicalize(request('/photos/cat.jpg', 'w=128&h=128&fm=webp'), images)).toMatchObject({ querystring: '', outcome: 'derived' });
    expect(canonicalize(request('/photos/cat.jpg', 'anything', 'OPTIONS'), images)).toEqual({
      uri: '/photos/cat.jpg',
      querystring: 'anything',
      outcome: 'preflight',
    });
    expect(() => canonicalize(request('/photos/../x.jpg', '', 'OPTIONS'), images)).toThrow(expect.objectContaining({ status: 400 }));
  });
});
