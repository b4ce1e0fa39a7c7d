import { describe, expect, it } from 'vitest';
import { readSigningCookies, splitSigningParams, withoutSigningCookies } from './signed-url.ts';

describe('splitSigningParams', () => {
  it('takes the signing parameters out and keeps the rest as sent, in order', () => {
    const { found, rest } = splitSigningParams('b=2&Expires=10&a=%20x&Signature=s~_&Key-Pair-Id=K1&flag&Hash-Algorithm=SHA256');
    expect(rest).toBe('b=2&a=%20x&flag');
    expect(found.values).toEqual({ expires: '10', signature: 's~_', keyPairId: 'K1', hash: 'SHA256' });
    expect(found.count).toBe(4);
    expect(found.duplicate).toBeUndefined();
  });

  it('is case-sensitive and never decodes names', () => {
    const { found, rest } = splitSigningParams('expires=1&Key%2DPair%2DId=K1');
    expect(found.count).toBe(0);
    expect(rest).toBe('expires=1&Key%2DPair%2DId=K1');
  });

  it('notes a repeated parameter', () => {
    expect(splitSigningParams('Signature=a&Signature=a').found.duplicate).toBe('Signature');
  });
});

describe('signing cookies', () => {
  it('reads them from several Cookie headers, among others', () => {
    const found = readSigningCookies(['a=1; CloudFront-Policy=p', 'CloudFront-Signature=s;CloudFront-Key-Pair-Id=K1 ']);
    expect(found.values).toEqual({ policy: 'p', signature: 's', keyPairId: 'K1' });
  });

  it('removes them and keeps the others', () => {
    expect(withoutSigningCookies('a=1; CloudFront-Policy=p; b=2;CloudFront-Signature=s')).toBe('a=1; b=2');
    expect(withoutSigningCookies('CloudFront-Key-Pair-Id=K1')).toBe('');
    expect(withoutSigningCookies('a=1')).toBe('a=1');
  });
});
