import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { distribution } from '../../distribution.ts';
import { toCfHeaders } from '../../../functions/adapters/cloudfront/headers.ts';
import { compress, compressionFor } from './compression.ts';

const behavior = distribution.behaviors.at(-1)!;
const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg">${'<rect width="1" height="1"/>'.repeat(100)}</svg>`);

function decide(
  overrides: {
    status?: number;
    headers?: Record<string, string>;
    acceptEncoding?: string | undefined;
    httpVersion?: string;
    bodyBytes?: number;
    compress?: boolean;
  } = {},
) {
  return compressionFor({
    behavior: { cachePolicy: behavior.cachePolicy, compress: overrides.compress ?? true },
    acceptEncoding: 'acceptEncoding' in overrides ? overrides.acceptEncoding : 'gzip, deflate, br',
    httpVersion: overrides.httpVersion ?? '1.1',
    status: overrides.status ?? 200,
    headers: toCfHeaders(overrides.headers ?? { 'Content-Type': 'image/svg+xml', 'Content-Length': String(svg.byteLength) }),
    bodyBytes: overrides.bodyBytes ?? svg.byteLength,
  }).coding;
}

describe('CloudFront compression', () => {
  it('[gzip.when] compresses compressible types of 1,000 to 10,000,000 bytes with a Content-Length, status 200/403/404', () => {
    expect(decide()).toBe('br');
    for (const status of [403, 404]) expect(decide({ status })).toBe('br');
    for (const status of [206, 301, 400, 500, 503]) expect(decide({ status })).toBeUndefined();
    expect(decide({ headers: { 'Content-Type': 'image/jpeg', 'Content-Length': '5000' } })).toBeUndefined();
    expect(decide({ headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': '1000' } })).toBe('br');
    expect(decide({ headers: { 'Content-Type': 'text/plain', 'Content-Length': '999' } })).toBeUndefined();
    expect(decide({ headers: { 'Content-Type': 'text/plain', 'Content-Length': '10000000' } })).toBe('br');
    expect(decide({ headers: { 'Content-Type': 'text/plain', 'Content-Length': '10000001' } })).toBeUndefined();
    expect(decide({ headers: { 'Content-Type': 'text/plain' } })).toBeUndefined();
    expect(decide({ headers: { 'Content-Type': 'text/plain', 'Content-Length': 'many' } })).toBeUndefined();
    expect(decide({ headers: { 'Content-Type': 'text/plain', 'Content-Length': '5000', 'Content-Encoding': 'identity' } })).toBeUndefined();
    expect(decide({ bodyBytes: 0 })).toBeUndefined();
    expect(decide({ compress: false })).toBeUndefined();
    const listed = { ...behavior.cachePolicy, headers: ['Accept-Encoding'] };
    expect(
      compressionFor({
        behavior: { cachePolicy: listed, compress: true },
        acceptEncoding: 'gzip',
        httpVersion: '1.1',
        status: 200,
        headers: toCfHeaders({ 'Content-Type': 'text/plain', 'Content-Length': '5000' }),
        bodyBytes: 5000,
      }).coding,
    ).toBeUndefined();
  });

  it('[gzip.br-preferred] prefers Brotli when the viewer accepts both, gzip when only gzip, none otherwise', () => {
    expect(decide({ acceptEncoding: 'gzip, br' })).toBe('br');
    expect(decide({ acceptEncoding: 'gzip' })).toBe('gzip');
    expect(decide({ acceptEncoding: 'br;q=0, gzip' })).toBe('gzip');
    expect(decide({ acceptEncoding: 'deflate, zstd' })).toBeUndefined();
    expect(decide({ acceptEncoding: undefined })).toBeUndefined();
  });

  it('[gzip.http10] never compresses for an HTTP/1.0 request', () => {
    expect(decide({ httpVersion: '1.0' })).toBeUndefined();
  });

  it('[gzip.etag-weak] weakens a strong ETag, keeps a weak one, drops an invalid one; the body decodes to the original', () => {
    const strong = compress('br', toCfHeaders({ ETag: '"abc"', 'Content-Type': 'image/svg+xml', Vary: 'Accept' }), svg);
    expect(strong.headers['etag']?.[0]?.value).toBe('W/"abc"');
    expect(strong.headers['content-encoding']?.[0]?.value).toBe('br');
    expect(strong.headers['vary']?.[0]?.value).toBe('Accept, Accept-Encoding');
    expect(Number(strong.headers['content-length']?.[0]?.value)).toBe(strong.body.byteLength);
    expect(brotliDecompressSync(strong.body).equals(svg)).toBe(true);
    const weak = compress('gzip', toCfHeaders({ ETag: 'W/"abc"' }), svg);
    expect(weak.headers['etag']?.[0]?.value).toBe('W/"abc"');
    expect(gunzipSync(weak.body).equals(svg)).toBe(true);
    expect(compress('gzip', toCfHeaders({ ETag: 'abc' }), svg).headers['etag']).toBeUndefined();
  });
});
