/**
 * The signer library and CLI, the test-only keys, and the signed-url configuration derived from
 * distribution.ts. Signatures are checked by the verifier the function runs.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createKeyRing, verifySignedRequest } from '../../functions/core/signed-url.ts';
import type { Verdict } from '../../functions/core/signed-url.ts';
import { decodeCloudFrontBase64 } from '../../functions/core/signed-url-policy.ts';
import { imageRequestConfig, protectedPrefixes, signedUrlConfig } from '../../infra/config.ts';
import { distribution } from '../../infra/distribution.ts';
import type { DistributionSpec } from '../../infra/distribution.ts';
import { TEST_ECDSA_PUBLIC_KEY, TEST_RSA_PUBLIC_KEY } from '../../infra/keys.ts';
import { runSign } from '../../infra/tools/sign.ts';
import { folderPattern, parseWhen, signCookies, signUrl, testKey, testKeys } from '../../infra/tools/signer.ts';

const NOW = new Date('2026-03-01T00:00:00Z');
const keys = createKeyRing(signedUrlConfig().behaviors![0]!.publicKeys);

/** Verifies a signed URL as the deployed function would (https, skew 30 s). */
function verifyUrl(url: string, options: { clientIp?: string; now?: Date; cookies?: string[] } = {}): Verdict {
  const { host, pathname } = new URL(url);
  const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  return verifySignedRequest(
    {
      scheme: url.startsWith('https:') ? 'https' : 'http',
      host,
      uri: pathname,
      querystring: query,
      clientIp: options.clientIp ?? '198.51.100.7',
      cookies: options.cookies ?? [],
    },
    { keys, now: (options.now ?? NOW).getTime() / 1000, clockSkewSeconds: 30 },
  );
}

function cli(...args: string[]): { code: number; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const code = runSign(args, { stdout: (l) => out.push(l), stderr: (l) => err.push(l), now: NOW });
  return { code, out, err };
}

const policyOf = (url: string) =>
  JSON.parse(decodeCloudFrontBase64(/Policy=([^&]*)/.exec(url)![1]!)!.toString()) as {
    Statement: [{ Resource: string; Condition: Record<string, Record<string, unknown>> }];
  };

describe('the test-only keys', () => {
  it('pair up, match infra/keys.ts, and say they are test-only', () => {
    const byId = new Map([TEST_RSA_PUBLIC_KEY, TEST_ECDSA_PUBLIC_KEY].map((k) => [k.id, k]));
    for (const key of testKeys()) {
      const baked = byId.get(key.id)!;
      expect(baked.comment).toMatch(/TEST-ONLY/);
      const derived = createPublicKey(createPrivateKey(key.privateKey)).export({ type: 'spki', format: 'pem' }).toString();
      expect(derived).toBe(baked.pem);
      expect(readFileSync(key.privateKeyFile.replace('.private.', '.public.'), 'utf8')).toBe(baked.pem);
    }
    expect(readFileSync('fixtures/keys/README.md', 'utf8')).toMatch(/TEST-ONLY/);
    expect(JSON.parse(readFileSync('fixtures/keys/keys.json', 'utf8'))).toMatchObject({ testOnly: true });
  });
});

describe('configuration from distribution.ts', () => {
  it('gives signed-url the key group and https, and image-request the protected prefixes', () => {
    const config = signedUrlConfig();
    expect(config.behaviors?.map((b) => [b.pathPattern, b.publicKeys.map((k) => k.id)])).toEqual([
      ['/private/*', ['K0TESTONLYRSA1', 'K0TESTONLYEC01']],
      ['/_derived/private/*', ['K0TESTONLYRSA1', 'K0TESTONLYEC01']],
    ]);
    expect(config).toMatchObject({ scheme: 'https', clockSkewSeconds: 0 });
    expect(imageRequestConfig().protectedPrefixes).toEqual(['private/']);
    const signedBehaviors = distribution.behaviors.filter((b) => b.functions['viewer-request'] === 'signed-url');
    expect(signedBehaviors.map((b) => b.pathPattern)).toEqual(['/private/*', '/_derived/private/*']);
    expect(signedBehaviors.every((b) => b.functions['origin-response'] === 'image-resize')).toBe(true);
    expect(distribution.behaviors.at(-1)?.pathPattern).toBe('*');
    expect(distribution.functions['signed-url']).toEqual({ memoryMb: 128, timeoutSeconds: 5 });
  });

  it('refuses a signed behavior on no prefix, and a missing key group', () => {
    const everything: DistributionSpec = { ...distribution, behaviors: [{ ...distribution.behaviors[0]!, pathPattern: '*' }] };
    expect(() => protectedPrefixes(everything)).toThrow(/key prefix/);
    expect(() => signedUrlConfig({ ...distribution, keyGroups: [] })).toThrow(/key group/);
    const five = distribution.behaviors.map((b) => (b.trustedKeyGroups ? { ...b, trustedKeyGroups: ['a', 'b', 'c', 'd', 'e'] } : b));
    expect(() => signedUrlConfig({ ...distribution, behaviors: five })).toThrow(/1 to 4 trustedKeyGroups/);
  });
});

describe('signUrl and signCookies', () => {
  const rsa = testKey('RSA-2048');
  const base = { keyPairId: rsa.id, privateKey: rsa.privateKey, expires: new Date(NOW.getTime() + 3600_000) };

  it('writes a canned policy by default, and a custom one for conditions', () => {
    const canned = signUrl({ ...base, url: 'https://cdn.example.com/private/a b.jpg?w=128&h=128' });
    expect(canned).toMatch(/^https:\/\/cdn\.example\.com\/private\/a%20b\.jpg\?w=128&h=128&Expires=1772326800&Key-Pair-Id=K0TESTONLYRSA1&Signature=/);
    expect(verifyUrl(canned).ok).toBe(true);
    const custom = signUrl({ ...base, url: 'https://cdn.example.com/private/a.jpg', notBefore: NOW, ip: '198.51.100.0/24', hash: 'SHA256' });
    expect(policyOf(custom).Statement[0]).toEqual({
      Resource: 'https://cdn.example.com/private/a.jpg',
      Condition: {
        DateLessThan: { 'AWS:EpochTime': 1772326800 },
        DateGreaterThan: { 'AWS:EpochTime': 1772323200 },
        IpAddress: { 'AWS:SourceIp': '198.51.100.0/24' },
      },
    });
    expect(verifyUrl(custom, { now: new Date(NOW.getTime() + 1000) })).toMatchObject({ ok: true, policy: 'custom', hash: 'SHA256' });
  });

  it('signs IPv6 ranges (which the SDK alone refuses) and a bare address as a single host', () => {
    const v6 = signUrl({ ...base, url: 'https://cdn.example.com/private/a.jpg', ip: '2001:db8::/32' });
    expect(policyOf(v6).Statement[0].Condition['IpAddress']).toEqual({ 'AWS:SourceIp': '2001:db8::/32' });
    expect(verifyUrl(v6, { clientIp: '2001:db8:1::5' }).ok).toBe(true);
    expect(verifyUrl(v6, { clientIp: '198.51.100.7' })).toMatchObject({ ok: false, reason: 'ip' });
    const host = signUrl({ ...base, url: 'https://cdn.example.com/private/a.jpg', ip: '198.51.100.7' });
    expect(policyOf(host).Statement[0].Condition['IpAddress']).toEqual({ 'AWS:SourceIp': '198.51.100.7/32' });
  });

  it('covers a folder with wildcard-resource', () => {
    expect(folderPattern('https://h/private/albums/a.jpg?w=1')).toBe('https://h/private/albums/*');
    const url = signUrl({ ...base, url: 'https://cdn.example.com/private/a.jpg', policy: 'wildcard-resource' });
    expect(policyOf(url).Statement[0].Resource).toBe('https://cdn.example.com/private/*');
    const elsewhere = url.replace('/private/a.jpg', '/private/deeper/b.jpg');
    expect(verifyUrl(elsewhere).ok).toBe(true);
  });

  it('signs cookies the verifier accepts, with browser attributes', () => {
    const signed = signCookies({ ...base, url: 'https://cdn.example.com/private/a.jpg', domain: 'cdn.example.com' });
    expect(Object.keys(signed.cookies).sort()).toEqual(['CloudFront-Key-Pair-Id', 'CloudFront-Policy', 'CloudFront-Signature']);
    expect(signed.setCookie[0]).toMatch(/; Path=\/private\/; Domain=cdn\.example\.com; Expires=Sun, 01 Mar 2026 01:00:00 GMT; Secure; HttpOnly; SameSite=Lax$/);
    expect(verifyUrl('https://cdn.example.com/private/z.jpg', { cookies: [signed.cookieHeader] })).toMatchObject({ ok: true, via: 'cookie' });
    // The second set covers the folder's canonical derived path, and only it.
    expect(signed.setCookie).toHaveLength(6);
    expect(signed.setCookie[3]).toMatch(/; Path=\/_derived\/private\/; /);
    const derived = 'https://cdn.example.com/_derived/private/z.jpg/128x128-cover-q75.webp';
    expect(verifyUrl(derived, { cookies: [signed.derivedCookieHeader!] })).toMatchObject({ ok: true, via: 'cookie' });
    expect(verifyUrl(derived, { cookies: [signed.cookieHeader] })).toMatchObject({ ok: false, reason: 'resource' });
    expect(verifyUrl('https://cdn.example.com/private/z.jpg', { cookies: [signed.derivedCookieHeader!] })).toMatchObject({ ok: false, reason: 'resource' });
    const canned = signCookies({ ...base, url: 'https://cdn.example.com/private/a.jpg', policy: 'canned', hash: 'SHA256' });
    expect(Object.keys(canned.cookies).sort()).toEqual(['CloudFront-Expires', 'CloudFront-Hash-Algorithm', 'CloudFront-Key-Pair-Id', 'CloudFront-Signature']);
    expect(verifyUrl('https://cdn.example.com/private/a.jpg', { cookies: [canned.cookieHeader] }).ok).toBe(true);
    expect(verifyUrl('https://cdn.example.com/private/b.jpg', { cookies: [canned.cookieHeader] })).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('reads durations, dates and epoch seconds', () => {
    expect(parseWhen('90s', NOW).toISOString()).toBe('2026-03-01T00:01:30.000Z');
    expect(parseWhen('1h', NOW).toISOString()).toBe('2026-03-01T01:00:00.000Z');
    expect(parseWhen('7d', NOW).toISOString()).toBe('2026-03-08T00:00:00.000Z');
    expect(parseWhen('-5m', NOW).toISOString()).toBe('2026-02-28T23:55:00.000Z');
    expect(parseWhen('2026-04-01T00:00:00Z', NOW).toISOString()).toBe('2026-04-01T00:00:00.000Z');
    expect(parseWhen('1772323200', NOW).toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(() => parseWhen('soon', NOW)).toThrow(/Expected a duration/);
  });
});

describe('npm run sign', () => {
  it('prints a URL, warning on stderr about the default test-only key', () => {
    const { code, out, err } = cli('http://127.0.0.1:3000/private/vault.jpg', '--expires', '1h');
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^http:\/\/127\.0\.0\.1:3000\/private\/vault\.jpg\?Expires=1772326800&Key-Pair-Id=K0TESTONLYRSA1&Signature=/);
    expect(err.join('\n')).toMatch(/warning: signing with the TEST-ONLY key K0TESTONLYRSA1/);
  });

  it('uses the test ECDSA key by its id, or a --key file with its --key-pair-id', () => {
    expect(cli('https://cdn.example.com/private/a.jpg', '--key-pair-id', 'K0TESTONLYEC01').out[0]).toContain('Key-Pair-Id=K0TESTONLYEC01');
    const byFile = cli('https://cdn.example.com/private/a.jpg', '--key', 'fixtures/keys/ecdsa-test.private.pem');
    expect(byFile.out[0]).toContain('Key-Pair-Id=K0TESTONLYEC01');
    const own = cli('https://cdn.example.com/private/a.jpg', '--key', 'fixtures/keys/rsa-test.private.pem', '--key-pair-id', 'KMYOWNKEY00001');
    expect(own.out[0]).toContain('Key-Pair-Id=KMYOWNKEY00001');
  });

  it('prints Set-Cookie lines with --cookies, and a wildcard policy with --policy wildcard-resource', () => {
    const cookies = cli('http://127.0.0.1:3000/private/vault.jpg', '--cookies');
    expect(cookies.out).toHaveLength(6);
    expect(cookies.out.every((l) => l.startsWith('Set-Cookie: CloudFront-'))).toBe(true);
    expect(cookies.err.join('\n')).toMatch(/curl .*Cookie: CloudFront-/);
    const wild = cli('http://127.0.0.1:3000/private/vault.jpg', '--policy', 'wildcard-resource', '--ip', '127.0.0.1/32');
    expect(policyOf(wild.out[0]!).Statement[0].Resource).toBe('http://127.0.0.1:3000/private/*');
  });

  it.each([
    [[], /Expected one URL/],
    [['ftp://h/a.jpg'], /http:\/\/ or https:\/\//],
    [['https://h/a.jpg', '--hash', 'MD5'], /SHA1 or SHA256/],
    [['https://h/a.jpg', '--policy', 'open'], /canned, custom or wildcard-resource/],
    [['https://h/a.jpg', '--policy', 'canned', '--ip', '1.2.3.4'], /canned policy/],
    [['https://h/a.jpg', '--ip', 'nowhere'], /IPv4 or IPv6/],
    [['https://h/a.jpg', '--key-pair-id', 'KSOMEONEELSE01'], /Expected --key/],
    [['https://h/a.jpg', '--key', 'fixtures/keys/nope.pem'], /Expected --key-pair-id/],
    [['https://h/a.jpg', '--expires', '1h', '--not-before', '2h'], /before the expiry/],
    [['https://h/a.jpg', '--bogus'], /Unknown option/],
  ])('refuses %j with a message and exit code 2', (args, message) => {
    const { code, out, err } = cli(...(args as string[]));
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err.join('\n')).toMatch(message);
  });
});
