import { describe, it, expect } from 'vitest';
import { canonicalHeaderName, fromCfHeaders, headerValue, removeHeader, setHeader, toCfHeaders } from './headers.ts';

describe('toCfHeaders', () => {
  it('turns a record into lowercase keys, one entry per value, skipping undefined', () => {
    const headers = toCfHeaders({ 'Content-Type': 'image/webp', 'set-cookie': ['a=1', 'b=2'], absent: undefined });
    expect(headers).toEqual({
      'content-type': [{ key: 'Content-Type', value: 'image/webp' }],
      'set-cookie': [
        { key: 'set-cookie', value: 'a=1' },
        { key: 'set-cookie', value: 'b=2' },
      ],
    });
  });

  it('keeps the original case and order of name/value pairs and groups repeats', () => {
    const headers = toCfHeaders([
      ['Host', 'cdn.example.com'],
      ['X-Custom', 'one'],
      ['x-custom', 'two'],
    ]);
    expect(headers).toEqual({
      host: [{ key: 'Host', value: 'cdn.example.com' }],
      'x-custom': [
        { key: 'X-Custom', value: 'one' },
        { key: 'x-custom', value: 'two' },
      ],
    });
  });

  it('accepts a Map and stores a "__proto__" header as data', () => {
    const headers = toCfHeaders(new Map([['__proto__', 'x']]));
    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype);
    expect(headerValue(headers, '__proto__')).toBe('x');
  });
});

describe('headerValue', () => {
  const headers = toCfHeaders([
    ['Accept', 'image/avif'],
    ['Accept', 'image/webp'],
  ]);

  it('returns the first value, matching the name case-insensitively', () => {
    expect(headerValue(headers, 'ACCEPT')).toBe('image/avif');
  });

  it('returns undefined for a missing header, an empty list or no map', () => {
    expect(headerValue(headers, 'host')).toBeUndefined();
    expect(headerValue({ host: [] }, 'host')).toBeUndefined();
    expect(headerValue(undefined, 'host')).toBeUndefined();
    expect(headerValue(headers, 'constructor')).toBeUndefined();
  });
});

describe('setHeader and removeHeader', () => {
  it('replaces every value with the capitalised key', () => {
    const headers = toCfHeaders([
      ['content-type', 'a'],
      ['content-type', 'b'],
    ]);
    expect(setHeader(headers, 'CONTENT-TYPE', 'image/avif')).toBe(headers);
    expect(headers).toEqual({ 'content-type': [{ key: 'Content-Type', value: 'image/avif' }] });
  });

  it('sets several values', () => {
    expect(setHeader({}, 'vary', ['Accept', 'Origin'])).toEqual({
      vary: [
        { key: 'Vary', value: 'Accept' },
        { key: 'Vary', value: 'Origin' },
      ],
    });
  });

  it('removes a header by any case', () => {
    const headers = toCfHeaders({ 'X-Debug': '1', Host: 'h' });
    expect(removeHeader(headers, 'x-DEBUG')).toEqual({ host: [{ key: 'Host', value: 'h' }] });
  });
});

describe('fromCfHeaders', () => {
  it('writes one pair per value, using key or the capitalised map name', () => {
    expect(
      fromCfHeaders({
        'cache-control': [{ value: 'max-age=60' }],
        'set-cookie': [
          { key: 'Set-Cookie', value: 'a=1' },
          { key: 'Set-Cookie', value: 'b=2' },
        ],
      }),
    ).toEqual([
      ['Cache-Control', 'max-age=60'],
      ['Set-Cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
    ]);
    expect(fromCfHeaders(undefined)).toEqual([]);
  });

  it('capitalises each hyphen-separated part, as CloudFront does for a missing key', () => {
    expect(canonicalHeaderName('x-amz-meta-source')).toBe('X-Amz-Meta-Source');
    expect(canonicalHeaderName('ETAG')).toBe('Etag');
  });
});
