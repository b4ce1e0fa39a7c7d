import type { CloudFrontHeaders } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { CachePolicySpec, OriginRequestPolicySpec } from '../../distribution.ts';
import { imageCachePolicy, distribution } from '../../distribution.ts';
import { toCfHeaders } from '../../../functions/adapters/cloudfront/headers.ts';
import { CLOUDFRONT_USER_AGENT, cacheKey, forwardToOrigin, normalizeAcceptEncoding } from './forwarding.ts';

// The image behaviors' cache policy: the canonical URI plus the normalized Accept-Encoding.
const policy: CachePolicySpec = imageCachePolicy;

const viewer: CloudFrontHeaders = toCfHeaders([
  ['Host', 'cdn.example.com'],
  ['User-Agent', 'Mozilla/5.0'],
  ['Accept', 'image/avif,image/webp'],
  ['Accept-Encoding', 'gzip, deflate, br, zstd'],
  ['Accept-Language', 'de'],
  ['Referer', 'https://site.example/'],
  ['Cookie', 'session=abc; theme=dark'],
  ['Authorization', 'Bearer x'],
  ['X-Forwarded-For', '192.0.2.4,192.0.2.3'],
  ['CloudFront-Viewer-Country', 'XX'],
  ['X-Custom', 'viewer'],
]);

function forward(
  cachePolicy: CachePolicySpec = policy,
  originRequestPolicy?: OriginRequestPolicySpec,
  overrides: Partial<Parameters<typeof forwardToOrigin>[0]> = {},
) {
  return forwardToOrigin({
    behavior: { cachePolicy, ...(originRequestPolicy ? { originRequestPolicy } : {}) },
    headers: viewer,
    querystring: 'w=128&utm_source=x&h=128',
    clientIp: '192.0.2.2',
    cloudFrontHeaders: { 'cloudfront-viewer-country': 'DE', 'cloudfront-viewer-country-region': 'BE' },
    via: '1.1 local.cloudfront.net (CloudFront)',
    originDomain: 'edge-images-originals.s3.us-east-1.amazonaws.com',
    originIsS3: true,
    ...overrides,
  });
}

describe('the forwarding model', () => {
  it('[fwd.named-only] forwards only what the policies name, plus the headers CloudFront always adds', () => {
    const out = forward(policy, { headers: ['X-Custom'] });
    expect(Object.keys(out.headers).sort()).toEqual(['accept-encoding', 'host', 'user-agent', 'via', 'x-custom', 'x-forwarded-for']);
    expect(out.headers['x-custom']).toEqual([{ key: 'X-Custom', value: 'viewer' }]);
    expect(out.querystring).toBe('');
  });

  it('[fwd.named-only] forwards listed query strings and cookies, or all but the excepted ones', () => {
    const listed = forward(
      { ...policy, queryStrings: { behavior: 'whitelist', items: ['w', 'h'] } },
      { headers: [], cookies: { behavior: 'whitelist', items: ['theme'] } },
    );
    expect(listed.querystring).toBe('w=128&h=128');
    expect(listed.headers['cookie']).toEqual([{ key: 'Cookie', value: 'theme=dark' }]);
    const except = forward({ ...policy, queryStrings: { behavior: 'allExcept', items: ['utm_source'] }, cookies: { behavior: 'all' } });
    expect(except.querystring).toBe('w=128&h=128');
    expect(except.headers['cookie']).toEqual([{ key: 'Cookie', value: 'session=abc; theme=dark' }]);
  });

  it('[fwd.cache-key-forwarded] forwards every header of the cache key without an origin request policy', () => {
    const out = forward({ ...policy, headers: ['Accept-Language'] });
    expect(out.headers['accept-language']).toEqual([{ key: 'Accept-Language', value: 'de' }]);
    expect(out.headers['accept']).toBeUndefined();
  });

  it('[fwd.named-only] forwards every viewer header with allViewerHeaders, with Host still the S3 domain', () => {
    const out = forward(policy, { headers: [], allViewerHeaders: true });
    expect(out.headers['authorization']?.[0]?.value).toBe('Bearer x');
    expect(out.headers['referer']?.[0]?.value).toBe('https://site.example/');
    expect(out.headers['host']?.[0]?.value).toBe('edge-images-originals.s3.us-east-1.amazonaws.com');
    expect(out.headers['user-agent']?.[0]?.value).toBe('Mozilla/5.0');
  });

  it('[fwd.host] sends the origin domain as Host, the viewer Host only to a custom origin that forwards it', () => {
    expect(forward().headers['host']).toEqual([{ key: 'Host', value: 'edge-images-originals.s3.us-east-1.amazonaws.com' }]);
    const custom = { originDomain: 'origin.images.example.com', originIsS3: false };
    expect(forward(policy, undefined, custom).headers['host']?.[0]?.value).toBe('origin.images.example.com');
    expect(forward(policy, { headers: ['Host'] }, custom).headers['host']?.[0]?.value).toBe('cdn.example.com');
  });

  it('[fwd.user-agent] replaces User-Agent with Amazon CloudFront unless a policy forwards it', () => {
    expect(forward().headers['user-agent']).toEqual([{ key: 'User-Agent', value: CLOUDFRONT_USER_AGENT }]);
    expect(forward(policy, { headers: ['user-agent'] }).headers['user-agent']?.[0]?.value).toBe('Mozilla/5.0');
    const none = forward(policy, undefined, { headers: {} });
    expect(none.headers['user-agent']?.[0]?.value).toBe('Amazon CloudFront');
  });

  it('[fwd.x-forwarded-for] appends the client IP to the viewer X-Forwarded-For, or starts one', () => {
    expect(forward().headers['x-forwarded-for']?.[0]?.value).toBe('192.0.2.4,192.0.2.3,192.0.2.2');
    expect(forward(policy, undefined, { headers: {} }).headers['x-forwarded-for']?.[0]?.value).toBe('192.0.2.2');
  });

  it('[fwd.via] adds CloudFront Via after any the viewer sent', () => {
    expect(forward(policy, undefined, { headers: {} }).headers['via']?.[0]?.value).toBe('1.1 local.cloudfront.net (CloudFront)');
    const proxied = forward(policy, undefined, { headers: toCfHeaders({ Via: '1.1 corp-proxy' }) });
    expect(proxied.headers['via']?.[0]?.value).toBe('1.1 corp-proxy, 1.1 local.cloudfront.net (CloudFront)');
  });

  it('[fwd.cloudfront-headers] carries CloudFront values for the named CloudFront headers, never the viewer ones', () => {
    const images = distribution.behaviors.at(-1)!;
    const out = forward(images.cachePolicy, images.originRequestPolicy);
    expect(out.headers['cloudfront-viewer-country']).toEqual([{ key: 'CloudFront-Viewer-Country', value: 'DE' }]);
    expect(out.headers['cloudfront-viewer-country-region']).toEqual([{ key: 'CloudFront-Viewer-Country-Region', value: 'BE' }]);
    // Not named: a viewer's forged value is dropped, and CloudFront adds nothing.
    const unnamed = forward(policy);
    expect(unnamed.headers['cloudfront-viewer-country']).toBeUndefined();
    // Named but no value (no simulated location): the viewer's value still never passes.
    const unknown = forward(policy, { headers: ['CloudFront-Viewer-Country'] }, { cloudFrontHeaders: {} });
    expect(unknown.headers['cloudfront-viewer-country']).toBeUndefined();
  });
});

describe('Accept-Encoding normalization', () => {
  it('[fwd.accept-encoding] normalizes to br,gzip / gzip / br / identity as the cache policy enables', () => {
    expect(normalizeAcceptEncoding(policy, 'gzip, deflate, br, zstd')).toBe('br,gzip');
    expect(normalizeAcceptEncoding(policy, 'deflate, gzip')).toBe('gzip');
    expect(normalizeAcceptEncoding(policy, 'br')).toBe('br');
    expect(normalizeAcceptEncoding(policy, 'deflate')).toBe('identity');
    expect(normalizeAcceptEncoding(policy, 'gzip;q=0, br;q=0')).toBe('identity');
    expect(normalizeAcceptEncoding(policy, undefined)).toBeUndefined();
    expect(normalizeAcceptEncoding({ ...policy, enableAcceptEncodingBrotli: false }, 'br, gzip')).toBe('gzip');
    expect(normalizeAcceptEncoding({ ...policy, enableAcceptEncodingBrotli: false, enableAcceptEncodingGzip: false }, 'br, gzip')).toBeUndefined();
    expect(forward().headers['accept-encoding']).toEqual([{ key: 'Accept-Encoding', value: 'br,gzip' }]);
    expect(forward(policy, undefined, { headers: toCfHeaders({ 'Accept-Encoding': 'deflate' }) }).headers['accept-encoding']?.[0]?.value).toBe('identity');
  });

  it('[fwd.accept-encoding] treats Accept-Encoding as an ordinary header when the policy caches no coding', () => {
    const plain = { ...policy, enableAcceptEncodingGzip: false, enableAcceptEncodingBrotli: false };
    expect(forward(plain).headers['accept-encoding']).toBeUndefined();
    expect(forward(plain, { headers: ['Accept-Encoding'] }).headers['accept-encoding']?.[0]?.value).toBe('gzip, deflate, br, zstd');
  });
});

describe('the cache key', () => {
  const key = (headers: CloudFrontHeaders, querystring = '', method = 'GET', cachePolicy = policy) =>
    cacheKey({ behavior: { cachePolicy }, headers, querystring, cloudFrontHeaders: {}, uri: '/a.svg', method });

  it('[gzip.cache-key] keys on the normalized Accept-Encoding: equal codings share an entry, others do not', () => {
    const brGzip = key(toCfHeaders({ 'Accept-Encoding': 'gzip, deflate, br' }));
    expect(key(toCfHeaders({ 'Accept-Encoding': 'br;q=1.0, gzip;q=0.8' }))).toBe(brGzip);
    expect(key(toCfHeaders({ 'Accept-Encoding': 'gzip' }))).not.toBe(brGzip);
    expect(key(toCfHeaders({ 'Accept-Encoding': 'deflate' }))).toBe(key({}));
  });

  it('[fwd.named-only] leaves what the cache policy does not name out of the key', () => {
    expect(key(toCfHeaders({ 'Accept-Language': 'de' }), 'w=1')).toBe(key({}, ''));
    const byQuery = { ...policy, queryStrings: { behavior: 'all' } as const };
    expect(key({}, 'w=1', 'GET', byQuery)).not.toBe(key({}, 'w=2', 'GET', byQuery));
  });

  it('[cache.head-from-get] gives HEAD the GET key, and OPTIONS a key of its own', () => {
    expect(key({}, '', 'HEAD')).toBe(key({}, '', 'GET'));
    expect(key({}, '', 'OPTIONS')).not.toBe(key({}, '', 'GET'));
  });
});
