import { generateKeyPairSync, createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { getSignedCookies, getSignedUrl } from '@aws-sdk/cloudfront-signer';
import type { CloudFrontRequest, CloudFrontRequestResult, CloudFrontResultResponse } from 'aws-lambda';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { images } from '../../infra/distribution.ts';
import { viewerRequestEvent } from '../../infra/local/cloudfront-events.ts';
import type { LogLine } from '../core/log.ts';
import { encodeCloudFrontBase64 } from '../core/signed-url-policy.ts';
import { createHandler } from './handler.ts';
import type { SignedUrlConfig } from './handler.ts';

const keysDir = path.join(process.cwd(), 'fixtures/keys');
const pem = (file: string) => readFileSync(path.join(keysDir, file), 'utf8');
const RSA = { id: 'K0TESTONLYRSA1', privateKey: pem('rsa-test.private.pem'), publicKey: pem('rsa-test.public.pem') };
const EC = { id: 'K0TESTONLYEC01', privateKey: pem('ecdsa-test.private.pem'), publicKey: pem('ecdsa-test.public.pem') };

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const at = (seconds: number) => new Date(NOW + seconds * 1000);
const epoch = (seconds: number) => Math.floor(NOW / 1000) + seconds;
const HOST = 'cdn.example.com';
const BASE = `https://${HOST}`;
const ACCEPT_WEBP = 'image/webp,image/*;q=0.8';

const config: SignedUrlConfig = {
  policy: images,
  publicKeys: [
    { id: RSA.id, pem: RSA.publicKey },
    { id: EC.id, pem: EC.publicKey },
  ],
  scheme: 'https',
  clockSkewSeconds: 0,
};
const skewed: SignedUrlConfig = { ...config, clockSkewSeconds: 30 };

let other: { privateKey: string; publicKey: string };
beforeAll(() => {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  other = {
    privateKey: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
});

interface Call {
  readonly result: CloudFrontRequestResult;
  readonly logs: LogLine[];
}

/** Runs the handler on a viewer request for `url` as a browser would send it. */
async function call(
  url: string,
  options: {
    cookies?: string[];
    clientIp?: string;
    method?: string;
    now?: number;
    accept?: string;
    cfg?: SignedUrlConfig;
    headers?: Record<string, string>;
  } = {},
): Promise<Call> {
  const logs: LogLine[] = [];
  const handler = createHandler(options.cfg ?? config, { log: (line) => logs.push(line), now: () => options.now ?? NOW });
  const match = /^https?:\/\/([^/]*)(\/[^?]*)(?:\?(.*))?$/s.exec(url);
  if (!match) throw new Error(`not a URL: ${url}`);
  const [, host = '', uri = '/', querystring = ''] = match;
  const headers: CloudFrontRequest['headers'] = { host: [{ key: 'Host', value: host }] };
  if (options.accept) headers['accept'] = [{ key: 'Accept', value: options.accept }];
  if (options.cookies) headers['cookie'] = options.cookies.map((value) => ({ key: 'Cookie', value }));
  for (const [key, value] of Object.entries(options.headers ?? {})) headers[key.toLowerCase()] = [{ key, value }];
  const event = viewerRequestEvent({ clientIp: options.clientIp ?? '203.0.113.9', method: options.method ?? 'GET', uri, querystring, headers });
  return { result: await handler(event), logs };
}

function passed(call: Call): CloudFrontRequest {
  expect(call.result, JSON.stringify(call.result)).not.toHaveProperty('status');
  return call.result as CloudFrontRequest;
}

/** The refusal, checked for CloudFront's shape; returns its message. */
function denied(call: Call, reason: string): string {
  const response = call.result as CloudFrontResultResponse;
  expect(response.status, JSON.stringify(call.result)).toBe('403');
  expect(response.headers?.['content-type']?.[0]?.value).toBe('text/xml');
  expect(response.headers?.['cache-control']?.[0]?.value).toBe('no-store');
  const body = response.body ?? '';
  expect(body).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?><Error><Code>AccessDenied<\/Code><Message>[^<]+<\/Message><\/Error>$/);
  expect(body).not.toMatch(/\bat .*\.ts:\d+/);
  expect(call.logs).toHaveLength(1);
  expect(call.logs[0]).toMatchObject({ fn: 'signed-url', outcome: 'denied', status: 403, reason });
  return /<Message>([^<]*)<\/Message>/.exec(body)![1]!.replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)));
}

const sign = (url: string, key = RSA, extra: { algorithm?: 'SHA1' | 'SHA256'; expires?: number } = {}) =>
  getSignedUrl({
    url,
    keyPairId: key.id,
    privateKey: key.privateKey,
    dateLessThan: at(extra.expires ?? 3600),
    ...(extra.algorithm ? { algorithm: extra.algorithm } : {}),
  });

const signPolicy = (url: string, policy: object, key = RSA, algorithm: 'SHA1' | 'SHA256' = 'SHA1') =>
  getSignedUrl({ url, keyPairId: key.id, privateKey: key.privateKey, policy: JSON.stringify(policy), algorithm });

const statement = (resource: string | undefined, condition: Record<string, unknown>) => ({
  Statement: [{ ...(resource === undefined ? {} : { Resource: resource }), Condition: { DateLessThan: { 'AWS:EpochTime': epoch(3600) }, ...condition } }],
});

/** Replaces one query parameter's value in a URL, keeping everything else as sent. */
const withParam = (url: string, name: string, value: string) => url.replace(new RegExp(`([?&]${name}=)[^&]*`), `$1${value}`);
const param = (url: string, name: string) => new RegExp(`[?&]${name}=([^&]*)`).exec(url)?.[1] ?? '';

describe('signatures made by @aws-sdk/cloudfront-signer', () => {
  it.each([
    ['RSA', 'SHA1', RSA],
    ['RSA', 'SHA256', RSA],
    ['ECDSA', 'SHA1', EC],
    ['ECDSA', 'SHA256', EC],
  ] as const)('accepts a canned %s %s URL and strips the signing parameters', async (_, algorithm, key) => {
    const url = sign(`${BASE}/private/vault.jpg`, key, { algorithm });
    if (algorithm === 'SHA256') expect(url).toContain('&Hash-Algorithm=SHA256');
    const call_ = await call(url);
    const request = passed(call_);
    expect(request.uri).toBe('/private/vault.jpg');
    expect(request.querystring).toBe('');
    expect(call_.logs).toEqual([
      expect.objectContaining({ fn: 'signed-url', outcome: 'original', via: 'query', keyPairId: key.id, policy: 'canned', hash: algorithm }),
    ]);
  });

  it('hands a signed thumbnail request to the image-request rewrite', async () => {
    const url = sign(`${BASE}/private/vault.jpg?w=128&h=128`, EC, { algorithm: 'SHA256' });
    const request = passed(await call(url, { accept: ACCEPT_WEBP }));
    expect(request.uri).toBe('/_derived/private/vault.jpg/128x128-cover-q75.webp');
    expect(request.querystring).toBe('');
  });

  it('accepts the canonical derived URI signed directly', async () => {
    const request = passed(await call(sign(`${BASE}/_derived/private/vault.jpg/128x128-cover-q75.webp`)));
    expect(request.uri).toBe('/_derived/private/vault.jpg/128x128-cover-q75.webp');
  });

  it('accepts keys with spaces and unicode as the SDK encodes them', async () => {
    const url = sign(`${BASE}/private/caf\u00e9 au lait.jpg?w=320`);
    expect(url).toContain('/private/caf%C3%A9%20au%20lait.jpg?w=320&Expires=');
    expect(passed(await call(url)).uri).toBe('/_derived/private/caf%C3%A9%20au%20lait.jpg/320xauto-inside-q75.jpg');
  });

  it('accepts a custom policy with DateGreaterThan and an IPv4 range from the SDK', async () => {
    const url = getSignedUrl({
      url: `${BASE}/private/vault.jpg`,
      keyPairId: RSA.id,
      privateKey: RSA.privateKey,
      dateLessThan: at(60),
      dateGreaterThan: at(-60),
      ipAddress: '203.0.113.0/24',
      algorithm: 'SHA256',
    });
    expect(url).toContain('Policy=');
    const call_ = await call(url, { clientIp: '203.0.113.200' });
    expect(passed(call_).querystring).toBe('');
    expect(call_.logs[0]).toMatchObject({ policy: 'custom', hash: 'SHA256' });
  });

  it('accepts a custom policy without Resource (every object)', async () => {
    passed(await call(signPolicy(`${BASE}/private/a/b.jpg`, statement(undefined, {}))));
  });

  it('keeps the viewer’s own query parameters and their order', async () => {
    const url = sign(`${BASE}/private/vault.jpg?v=3&cb=x`);
    expect(passed(await call(url)).querystring).toBe('v=3&cb=x');
  });

  describe('CORS preflight, answered here: no unsigned request reaches an origin', () => {
    const cors: SignedUrlConfig = { ...config, cors: { allowedOrigins: ['https://app.example.com'], allowedHeaders: ['x-trace'], maxAgeSeconds: 600 } };
    const preflight = (headers: Record<string, string>, cfg = cors) =>
      call(`${BASE}/_derived/private/vault.jpg/128x128-cover-q75.webp`, { method: 'OPTIONS', cfg, headers });

    it('grants a valid preflight from an allowed origin, for GET or HEAD, uncached', async () => {
      const result = (
        await preflight({ Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'X-Trace' })
      ).result as CloudFrontResultResponse;
      expect(result.status).toBe('204');
      expect(result.body).toBeUndefined();
      expect(result.headers?.['access-control-allow-origin']?.[0]?.value).toBe('https://app.example.com');
      expect(result.headers?.['access-control-allow-methods']?.[0]?.value).toBe('GET, HEAD');
      expect(result.headers?.['access-control-allow-headers']?.[0]?.value).toBe('x-trace');
      expect(result.headers?.['access-control-max-age']?.[0]?.value).toBe('600');
      expect(result.headers?.['cache-control']?.[0]?.value).toBe('no-store');
    });

    it.each([
      ['no CORS settings', { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'GET' }, config],
      ['not a preflight (no Origin)', { 'Access-Control-Request-Method': 'GET' }, cors],
      ['not a preflight (no method)', { Origin: 'https://app.example.com' }, cors],
      ['an origin not allowed', { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' }, cors],
      ['a method other than GET/HEAD', { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'PUT' }, cors],
      [
        'a header not allowed',
        { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' },
        cors,
      ],
    ] as const)('refuses OPTIONS with %s (403, nothing goes on)', async (_, headers, cfg) => {
      const result = (await preflight(headers, cfg)).result as CloudFrontResultResponse;
      expect(result.status).toBe('403');
      expect(result.body).toMatch(/<Code>AccessDenied<\/Code>/);
    });
  });

  describe('key groups per behavior', () => {
    it('trusts on each signed path only the keys of that behavior', async () => {
      const perBehavior: SignedUrlConfig = {
        ...config,
        publicKeys: [],
        behaviors: [
          { pathPattern: '/private/*', publicKeys: [{ id: RSA.id, pem: RSA.publicKey }] },
          { pathPattern: '/_derived/private/*', publicKeys: [{ id: EC.id, pem: EC.publicKey }] },
        ],
      };
      passed(await call(sign(`${BASE}/private/vault.jpg`, RSA), { cfg: perBehavior }));
      denied(await call(sign(`${BASE}/private/vault.jpg`, EC), { cfg: perBehavior }), 'unknown-key');
      const derived = `${BASE}/_derived/private/vault.jpg/128x128-cover-q75.webp`;
      passed(await call(sign(derived, EC), { cfg: perBehavior }));
      denied(await call(sign(derived, RSA), { cfg: perBehavior }), 'unknown-key');
    });
  });

  it('records the URL the viewer signed on its request, and never a viewer’s own copy of that header', async () => {
    const url = sign(`${BASE}/private/vault.jpg?w=320`);
    const request = passed(await call(url, { headers: { 'x-private-viewer-url': '//evil.example/' } }));
    expect(request.headers['x-private-viewer-url']).toEqual([{ key: 'x-private-viewer-url', value: url.slice(BASE.length) }]);
  });

  it('trusts several keys at once, so keys rotate without downtime', async () => {
    const rotating: SignedUrlConfig = { ...config, publicKeys: [...config.publicKeys, { id: 'KNEWKEY0000001', pem: other.publicKey }] };
    const newKey = { id: 'KNEWKEY0000001', privateKey: other.privateKey, publicKey: other.publicKey };
    passed(await call(sign(`${BASE}/private/vault.jpg`, newKey), { cfg: rotating }));
    passed(await call(sign(`${BASE}/private/vault.jpg`, RSA), { cfg: rotating }));
    // Once the old key leaves the group, its URLs stop working.
    const retired: SignedUrlConfig = { ...rotating, publicKeys: rotating.publicKeys.filter((k) => k.id !== RSA.id) };
    expect(denied(await call(sign(`${BASE}/private/vault.jpg`, RSA), { cfg: retired }), 'unknown-key')).toBe('Unknown Key');
  });

  it('refuses a bad key at init, not per request', () => {
    expect(() => createHandler({ ...config, publicKeys: [{ id: 'KBAD', pem: 'not a key' }] }, { log: () => {} })).toThrow();
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => createHandler({ ...config, publicKeys: [{ id: 'KSMALL', pem: small }] }, { log: () => {} })).toThrow(/RSA-2048 or ECDSA P-256/);
  });
});

describe('signed cookies', () => {
  const cookieHeader = (cookies: Record<string, string | number | undefined>) =>
    Object.entries(cookies)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${v}`)
      .join('; ');

  it('accepts a custom wildcard policy from the SDK and keeps other cookies from the origin', async () => {
    const cookies = getSignedCookies({
      keyPairId: EC.id,
      privateKey: EC.privateKey,
      policy: JSON.stringify(statement(`${BASE}/private/*`, {})),
      algorithm: 'SHA256',
    });
    const call_ = await call(`${BASE}/private/vault.jpg?w=128&h=128`, {
      cookies: [`session=abc; ${cookieHeader({ ...cookies })}; theme=dark`],
      accept: ACCEPT_WEBP,
    });
    const request = passed(call_);
    expect(request.uri).toBe('/_derived/private/vault.jpg/128x128-cover-q75.webp');
    expect(request.headers['cookie']).toEqual([{ key: 'Cookie', value: 'session=abc; theme=dark' }]);
    expect(call_.logs[0]).toMatchObject({ via: 'cookie', policy: 'custom', hash: 'SHA256' });
  });

  it('accepts canned cookies for the exact URL, across several Cookie headers, and drops emptied headers', async () => {
    const cookies = getSignedCookies({ url: `${BASE}/private/vault.jpg`, keyPairId: RSA.id, privateKey: RSA.privateKey, dateLessThan: at(60) });
    const { 'CloudFront-Signature': signature, ...rest } = cookies;
    const request = passed(await call(`${BASE}/private/vault.jpg`, { cookies: [cookieHeader(rest), cookieHeader({ 'CloudFront-Signature': signature })] }));
    expect(request.headers['cookie']).toBeUndefined();
  });

  it('refuses a cookie set for another folder', async () => {
    const cookies = getSignedCookies({ keyPairId: RSA.id, privateKey: RSA.privateKey, policy: JSON.stringify(statement(`${BASE}/private/albums/*`, {})) });
    denied(await call(`${BASE}/private/vault.jpg`, { cookies: [cookieHeader({ ...cookies })] }), 'resource');
  });

  it('refuses a set split between the query string and cookies', async () => {
    const url = sign(`${BASE}/private/vault.jpg`);
    const withoutSignature = url.replace(/&Signature=[^&]*/, '');
    const message = denied(await call(withoutSignature, { cookies: [`CloudFront-Signature=${param(url, 'Signature')}`] }), 'mixed');
    expect(message).toContain('mix of both');
  });
});

describe('every refusal, with its reason', () => {
  const vault = `${BASE}/private/vault.jpg`;

  it('missing: no signing parameter and no cookie', async () => {
    expect(denied(await call(vault), 'missing')).toBe('Missing Key-Pair-Id query parameter or cookie value.');
    expect(denied(await call(vault, { cookies: ['session=abc'] }), 'missing')).toBe('Missing Key-Pair-Id query parameter or cookie value.');
  });

  it.each(['Signature', 'Key-Pair-Id', 'Expires'])('missing: a URL without %s', async (name) => {
    const url = sign(vault)
      .replace(new RegExp(`&?${name}=[^&]*`), '')
      .replace('?&', '?');
    expect(denied(await call(url), 'missing')).toMatch(new RegExp(`^Missing ${name}`));
  });

  it('missing: a cookie set without CloudFront-Signature', async () => {
    expect(denied(await call(vault, { cookies: [`CloudFront-Key-Pair-Id=${RSA.id}; CloudFront-Expires=${epoch(60)}`] }), 'missing')).toBe(
      'Missing CloudFront-Signature cookie value',
    );
  });

  it('unknown key', async () => {
    expect(denied(await call(withParam(sign(vault), 'Key-Pair-Id', 'KUNKNOWN000001')), 'unknown-key')).toBe('Unknown Key');
  });

  it.each([
    ['another path', (u: string) => u.replace('/vault.jpg', '/vault2.jpg')],
    ['another host', (u: string) => u.replace(HOST, 'cdn.example.org')],
    ['an added parameter', (u: string) => u.replace('?', '?w=128&')],
    ['a later expiry', (u: string) => withParam(u, 'Expires', String(Number(param(u, 'Expires')) + 1))],
    ['the Hash-Algorithm dropped', (u: string) => u.replace('&Hash-Algorithm=SHA256', '')],
  ])('tampered URL: %s', async (_, tamper) => {
    const url = sign(vault, RSA, { algorithm: 'SHA256' });
    expect(denied(await call(tamper(url)), 'bad-signature')).toMatch(/signature does not match/);
  });

  it('tampered URL under an exact custom policy: the Resource no longer covers it', async () => {
    const url = signPolicy(vault, statement(vault, {}));
    expect(denied(await call(url.replace('/vault.jpg', '/other.jpg')), 'resource')).toMatch(/Resource does not cover/);
  });

  it('tampered policy: a longer DateLessThan re-encoded with the same signature', async () => {
    const url = signPolicy(`${BASE}/private/*`, statement(`${BASE}/private/*`, {}));
    const forged = JSON.stringify(statement(`${BASE}/private/*`, { DateLessThan: { 'AWS:EpochTime': epoch(10 * 365 * 86400) } }));
    denied(await call(withParam(url, 'Policy', encodeCloudFrontBase64(Buffer.from(forged)))), 'bad-signature');
  });

  it('signature of another key under a trusted Key-Pair-Id', async () => {
    const forged = sign(vault, { id: RSA.id, privateKey: other.privateKey, publicKey: other.publicKey });
    denied(await call(forged), 'bad-signature');
    // An ECDSA signature presented for the RSA key is not even the right size.
    const ecdsa = sign(vault, EC);
    denied(await call(withParam(ecdsa, 'Key-Pair-Id', RSA.id)), 'malformed');
  });

  it('expired at its second exactly, with no clock skew by default (as CloudFront)', async () => {
    const url = sign(vault, RSA, { expires: 60 });
    passed(await call(url, { now: NOW + 59_999 }));
    expect(denied(await call(url, { now: NOW + 60_000 }), 'expired')).toBe('Access denied: the signed URL expired at 2026-01-01T12:01:00.000Z');
    const custom = signPolicy(vault, statement(vault, { DateLessThan: { 'AWS:EpochTime': epoch(60) } }));
    denied(await call(custom, { now: NOW + 60_000 }), 'expired');
  });

  it('expired, with a chosen clock skew as the margin', async () => {
    const url = sign(vault, RSA, { expires: 60 });
    passed(await call(url, { now: NOW + (60 + 29) * 1000, cfg: skewed }));
    denied(await call(url, { now: NOW + (60 + 30) * 1000, cfg: skewed }), 'expired');
  });

  it('not yet valid: DateGreaterThan denies at or before its time (skew only when chosen)', async () => {
    const url = signPolicy(vault, statement(vault, { DateGreaterThan: { 'AWS:EpochTime': epoch(600) } }));
    expect(denied(await call(url), 'not-yet-valid')).toBe('Access denied: the signed URL is not valid until after 2026-01-01T12:10:00.000Z');
    denied(await call(url, { now: NOW + 600_000 }), 'not-yet-valid');
    passed(await call(url, { now: NOW + 601_000 }));
    denied(await call(url, { now: NOW + 570_000, cfg: skewed }), 'not-yet-valid');
    passed(await call(url, { now: NOW + 571_000, cfg: skewed }));
  });

  it('IP outside the range (IPv4)', async () => {
    const url = signPolicy(vault, statement(vault, { IpAddress: { 'AWS:SourceIp': '203.0.113.0/28' } }));
    passed(await call(url, { clientIp: '203.0.113.15' }));
    expect(denied(await call(url, { clientIp: '203.0.113.16' }), 'ip')).toMatch(/IP address is outside/);
    denied(await call(url, { clientIp: '2001:db8::1' }), 'ip');
  });

  it('IP ranges in IPv6, which this function supports and CloudFront does not', async () => {
    const url = signPolicy(vault, statement(vault, { IpAddress: { 'AWS:SourceIp': '2001:db8:1234::/48' } }), EC, 'SHA256');
    passed(await call(url, { clientIp: '2001:db8:1234:ffff::7' }));
    denied(await call(url, { clientIp: '2001:db8:1235::7' }), 'ip');
    denied(await call(url, { clientIp: '203.0.113.9' }), 'ip');
  });

  it('resource mismatch: another distribution, scheme or folder', async () => {
    for (const resource of [`https://other.example.com/private/*`, `http://${HOST}/private/*`, `${BASE}/private/albums/*`]) {
      denied(await call(signPolicy(vault, statement(resource, {}))), 'resource');
    }
  });

  it.each([
    [`${BASE}/private/*`, `${BASE}/private/deep/er/a.jpg?w=128&h=128`, true],
    [`${BASE}/private/*`, `${BASE}/privateer.jpg`, false],
    [`${BASE}/private/*`, `${BASE}/Private/a.jpg`, false],
    [`${BASE}/private/?.jpg`, `${BASE}/private/a.jpg`, true],
    [`${BASE}/private/?.jpg`, `${BASE}/private/ab.jpg`, false],
    [`${BASE}/private/a.jpg`, `${BASE}/private/a.jpg?w=160`, false],
    [`${BASE}/private/a.jpg*`, `${BASE}/private/a.jpg?w=160`, true],
    [`*://${HOST}/private/*`, `${BASE}/private/a.jpg`, true],
    [`https://*.example.com/private/*`, `${BASE}/private/a.jpg`, true],
    [`https://*.example.org/private/*`, `${BASE}/private/a.jpg`, false],
  ])('wildcard boundaries: %s covers %s: %s', async (resource, target, allowed) => {
    const url = signPolicy(target, statement(resource, {}));
    const call_ = await call(url);
    if (allowed) passed(call_);
    else denied(call_, 'resource');
  });

  it.each([
    ['a character outside the alphabet', (s: string) => `${s.slice(0, 10)}!${s.slice(11)}`],
    ['standard base64', (s: string) => Buffer.from(s.replaceAll('-', '+').replaceAll('~', '/').replaceAll('_', '='), 'base64').toString('base64')],
    ['a truncated signature', (s: string) => s.slice(0, 100)],
    ['non-zero unused bits', (s: string) => `${s.slice(0, -3)}${s.at(-3) === 'A' ? 'B' : 'A'}__`],
  ])('malformed base64 in Signature: %s', async (_, mangle) => {
    const url = sign(vault);
    denied(await call(withParam(url, 'Signature', mangle(param(url, 'Signature')))), 'malformed');
  });

  it('malformed base64 in Policy, and malformed Expires', async () => {
    const custom = signPolicy(vault, statement(vault, {}));
    denied(await call(withParam(custom, 'Policy', `${param(custom, 'Policy')}%3D`)), 'malformed');
    denied(await call(withParam(sign(vault), 'Expires', '1e12')), 'malformed');
  });

  it('a policy that is signed but not CloudFront JSON', async () => {
    const policy = '{"Statement":[{"Resource":"x"}]}';
    const signature = encodeCloudFrontBase64(createSign('RSA-SHA1').update(policy).sign(RSA.privateKey));
    const url = `${vault}?Policy=${encodeCloudFrontBase64(Buffer.from(policy))}&Signature=${signature}&Key-Pair-Id=${RSA.id}`;
    expect(denied(await call(url), 'malformed-policy')).toMatch(/Condition/);
  });

  it('a policy of any size that fits in a URL CloudFront accepts (8,192 bytes); beyond, refused before decoding', async () => {
    const big = statement(`${BASE}/private/${'*'.repeat(3000)}`, {});
    passed(await call(signPolicy(vault, big)));
    const huge = statement(`${BASE}/private/${'*'.repeat(7000)}`, {});
    expect(denied(await call(signPolicy(vault, huge)), 'oversized-policy')).toMatch(/^Expected a Policy that fits in a URL of at most 8192 bytes/);
  });

  it('a signing parameter given twice', async () => {
    const url = sign(vault);
    expect(denied(await call(`${url}&Key-Pair-Id=${RSA.id}`), 'duplicate')).toMatch(/single Key-Pair-Id/);
  });

  it('a Hash-Algorithm other than SHA1 or SHA256', async () => {
    expect(denied(await call(`${sign(vault)}&Hash-Algorithm=MD5`), 'unsupported-hash')).toBe('Expected SHA1 or SHA256 for Hash-Algorithm but received "MD5"');
  });

  it('no Host header', async () => {
    const handler = createHandler(config, { log: () => {}, now: () => NOW });
    const url = sign(vault);
    const event = viewerRequestEvent({ clientIp: '203.0.113.9', uri: '/private/vault.jpg', querystring: url.split('?')[1]!, headers: {} });
    expect(((await handler(event)) as CloudFrontResultResponse).status).toBe('403');
  });

  it('escapes what it echoes, and never shows a stack', async () => {
    const call_ = await call(`${sign(vault)}&Hash-Algorithm=%3Cscript%3E<b>`);
    const body = (call_.result as CloudFrontResultResponse).body!;
    expect(body).not.toContain('<b>');
    expect(body).toContain('&#60;b&#62;');
  });

  it('answers bad image parameters after a valid signature with the usual 400', async () => {
    const call_ = await call(sign(`${vault}?w=100&h=100`));
    expect((call_.result as CloudFrontResultResponse).status).toBe('400');
    expect(call_.logs[0]).toMatchObject({ outcome: 'rejected', status: 400 });
  });
});

describe('flipping any byte of a valid signed URL', () => {
  /** The parts a viewer sends (host, path, query), one string: `host/path?query`. */
  const wire = (url: string) => url.replace(/^https:\/\//, '');

  // One handler for every case, as one Lambda instance has: its keys are parsed once, at creation
  // (parsing them per request made this file's thousands of cases CPU-bound, and slow on a busy machine).
  const handler = createHandler(config, { log: () => {}, now: () => NOW });

  async function outcome(sent: string): Promise<string> {
    const slash = sent.indexOf('/');
    const host = slash === -1 ? sent : sent.slice(0, slash);
    const target = slash === -1 ? '/' : sent.slice(slash);
    const q = target.indexOf('?');
    const event = viewerRequestEvent({
      clientIp: '203.0.113.9',
      uri: q === -1 ? target : target.slice(0, q),
      querystring: q === -1 ? '' : target.slice(q + 1),
      headers: { host: [{ key: 'Host', value: host }] },
    });
    const result = await handler(event);
    return result && 'status' in result ? String(result.status) : 'passed';
  }

  const exact = [
    ['canned RSA SHA1', () => sign(`${BASE}/private/vault.jpg?w=128&h=128`)],
    ['canned ECDSA SHA256', () => sign(`${BASE}/private/vault.jpg`, EC, { algorithm: 'SHA256' })],
    [
      'custom exact RSA SHA256 with IP',
      () =>
        signPolicy(
          `${BASE}/private/vault.jpg?w=640`,
          statement(`${BASE}/private/vault.jpg?w=640`, { IpAddress: { 'AWS:SourceIp': '203.0.113.0/24' } }),
          RSA,
          'SHA256',
        ),
    ],
    ['custom exact ECDSA SHA1', () => signPolicy(`${BASE}/private/vault.jpg`, statement(`${BASE}/private/vault.jpg`, {}), EC)],
  ] as const;

  // Thousands of signature checks: CPU-bound, so the bound is a hang guard, not a speed claim.
  it.each(exact)(
    'never passes: %s',
    async (_, make) => {
      const sent = Buffer.from(wire(make()), 'latin1');
      expect(await outcome(sent.toString('latin1'))).toBe('passed');
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: sent.length - 1 }), fc.integer({ min: 1, max: 255 }), async (index, mask) => {
          const flipped = Buffer.from(sent);
          flipped[index] = flipped[index]! ^ mask;
          const status = await outcome(flipped.toString('latin1'));
          return status !== 'passed' && status !== '200';
        }),
        { seed: 20260101, numRuns: 1500 },
      );
      // And every position at least once, with a low, a case and a high bit.
      for (let index = 0; index < sent.length; index++) {
        for (const mask of [0x01, 0x20, 0x80]) {
          const flipped = Buffer.from(sent);
          flipped[index] = flipped[index]! ^ mask;
          expect(await outcome(flipped.toString('latin1')), `byte ${index} ^ ${mask}`).not.toBe('passed');
        }
      }
    },
    120_000,
  );
});
