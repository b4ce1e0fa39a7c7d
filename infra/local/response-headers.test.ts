import type { CloudFrontHeaders } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { imageResponseHeaders } from '../response-headers.ts';
import type { ResponseHeadersPolicySpec } from '../response-headers.ts';
import { withPolicyHeaders } from './response-headers.ts';

const names = (headers: CloudFrontHeaders) => Object.keys(headers).sort();
const value = (headers: CloudFrontHeaders, name: string) => headers[name]?.[0]?.value;

describe('the response headers policy on the local edge', () => {
  it('[resp.headers-policy] adds the security headers to every response, CORS only for a CORS request, preflight headers only to OPTIONS', () => {
    const plain = withPolicyHeaders(imageResponseHeaders, { method: 'GET' }, { 'content-type': [{ key: 'Content-Type', value: 'image/webp' }] });
    expect(names(plain)).toEqual([
      'content-type',
      'cross-origin-resource-policy',
      'referrer-policy',
      'strict-transport-security',
      'x-content-type-options',
      'x-frame-options',
    ]);
    expect(value(plain, 'strict-transport-security')).toBe('max-age=63072000; includeSubDomains');
    expect(value(plain, 'x-content-type-options')).toBe('nosniff');

    const cors = withPolicyHeaders(imageResponseHeaders, { method: 'GET', origin: 'https://app.example' }, {});
    expect(value(cors, 'access-control-allow-origin')).toBe('*');
    expect(value(cors, 'access-control-expose-headers')).toBe('ETag, Content-Length, Content-Type');
    expect(cors['access-control-allow-methods']).toBeUndefined();

    const preflight = withPolicyHeaders(imageResponseHeaders, { method: 'OPTIONS', origin: 'https://app.example' }, {});
    expect([value(preflight, 'access-control-allow-methods'), value(preflight, 'access-control-max-age')]).toEqual(['GET, HEAD, OPTIONS', '86400']);
  });

  it('[resp.headers-policy] replaces what the origin sent only where the policy says override; never changes the answer it was given', () => {
    const fromOrigin: CloudFrontHeaders = {
      'x-frame-options': [{ key: 'X-Frame-Options', value: 'SAMEORIGIN' }],
      'access-control-allow-origin': [{ key: 'Access-Control-Allow-Origin', value: 'https://origin.example' }],
    };
    const keep: ResponseHeadersPolicySpec = {
      ...imageResponseHeaders,
      cors: { ...imageResponseHeaders.cors, originOverride: false, allowOrigins: ['https://app.example'] },
      security: { ...imageResponseHeaders.security, frameOptions: { value: 'DENY', override: false } },
    };
    const kept = withPolicyHeaders(keep, { method: 'GET', origin: 'https://app.example' }, fromOrigin);
    expect([value(kept, 'x-frame-options'), value(kept, 'access-control-allow-origin')]).toEqual(['SAMEORIGIN', 'https://origin.example']);
    const replaced = withPolicyHeaders(imageResponseHeaders, { method: 'GET', origin: 'https://app.example' }, fromOrigin);
    expect([value(replaced, 'x-frame-options'), value(replaced, 'access-control-allow-origin')]).toEqual(['DENY', '*']);
    expect(value(fromOrigin, 'x-frame-options')).toBe('SAMEORIGIN');
    // An origin the list does not name gets no CORS header from the policy.
    const other = withPolicyHeaders(keep, { method: 'GET', origin: 'https://evil.example' }, {});
    expect(other['access-control-allow-origin']).toBeUndefined();
  });
});
