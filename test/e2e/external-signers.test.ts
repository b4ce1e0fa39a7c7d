/**
 * Signatures this project did not make, verified through the real local edge: AWS's JavaScript signer
 * (@aws-sdk/cloudfront-signer), openssl following AWS's documented steps ("Create a signature for a
 * signed URL that uses a canned/custom policy": policy JSON without whitespace -> RSA-SHA1 (or
 * ECDSA/SHA256) -> base64 -> `+=/` to `-_~`), and Python botocore's CloudFrontSigner when installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { getSignedCookies, getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLocalStack } from '../../infra/local-stack.ts';
import type { LocalStack } from '../../infra/local-stack.ts';
import { get } from '../support/http.ts';

let stack: LocalStack;
let base: string;
const RSA = { id: 'K0TESTONLYRSA1', file: 'fixtures/keys/rsa-test.private.pem' };
const EC = { id: 'K0TESTONLYEC01', file: 'fixtures/keys/ecdsa-test.private.pem' };
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;
const ACCEPT = { Accept: 'image/webp' };

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, log: () => {} });
  base = stack.edge.url;
}, 60_000);
afterAll(async () => {
  await stack?.close();
});

/** AWS's documented openssl pipeline; `dgst` picks the hash (sha1 by default, sha256 with Hash-Algorithm). */
function opensslSign(policy: string, keyFile: string, dgst: 'sha1' | 'sha256' = 'sha1'): string {
  const der = execFileSync('openssl', ['dgst', `-${dgst}`, '-sign', keyFile], { input: policy });
  return der.toString('base64').replace(/[+=/]/g, (c) => (c === '+' ? '-' : c === '=' ? '_' : '~'));
}
const openssl64 = (text: string) =>
  Buffer.from(text)
    .toString('base64')
    .replace(/[+=/]/g, (c) => (c === '+' ? '-' : c === '=' ? '_' : '~'));

describe('@aws-sdk/cloudfront-signer', () => {
  const privateKey = () => execFileSync('cat', [RSA.file]).toString();

  it('canned URLs for a private original and for its canonical derived URI', async () => {
    for (const path of ['/private/vault.jpg?w=128&h=128', '/_derived/private/vault.jpg/64x64-cover-q75.webp']) {
      const url = getSignedUrl({ url: `${base}${path}`, keyPairId: RSA.id, privateKey: privateKey(), dateLessThan: new Date(inAnHour() * 1000).toISOString() });
      expect((await get(url, ACCEPT)).status, path).toBe(200);
    }
  });

  it('a custom policy with `*` in the middle of the Resource, matched against the whole URL', async () => {
    const policy = JSON.stringify({ Statement: [{ Resource: `${base}/*vault*`, Condition: { DateLessThan: { 'AWS:EpochTime': inAnHour() } } }] });
    const ok = getSignedUrl({ url: `${base}/_derived/private/vault.jpg/96x96-cover-q75.webp`, keyPairId: RSA.id, privateKey: privateKey(), policy });
    expect((await get(ok, ACCEPT)).status).toBe(200);
    const other = getSignedUrl({ url: `${base}/private/other.jpg`, keyPairId: RSA.id, privateKey: privateKey(), policy });
    expect((await get(other)).status).toBe(403);
  });

  it('a custom policy well above 2,048 bytes (CloudFront bounds only the URL)', async () => {
    const resource = `${base}/private/${'*'.repeat(2500)}`;
    const policy = JSON.stringify({ Statement: [{ Resource: resource, Condition: { DateLessThan: { 'AWS:EpochTime': inAnHour() } } }] });
    const url = getSignedUrl({ url: `${base}/private/vault.jpg?w=64&h=64`, keyPairId: RSA.id, privateKey: privateKey(), policy });
    expect((await get(url, ACCEPT)).status).toBe(200);
  });

  it('signed cookies, canned and custom; an expired one refused with no skew', async () => {
    const custom = getSignedCookies({
      keyPairId: RSA.id,
      privateKey: privateKey(),
      policy: JSON.stringify({ Statement: [{ Resource: `${base}/private/*`, Condition: { DateLessThan: { 'AWS:EpochTime': inAnHour() } } }] }),
    });
    const cookie = Object.entries(custom)
      .map(([k, v]) => `${k}=${v}`)
      .join('; ');
    expect((await get(`${base}/private/vault.jpg?w=160`, { ...ACCEPT, Cookie: cookie })).status).toBe(200);
    const expired = getSignedCookies({
      url: `${base}/private/vault.jpg`,
      keyPairId: RSA.id,
      privateKey: privateKey(),
      dateLessThan: new Date((Math.floor(Date.now() / 1000) - 1) * 1000).toISOString(),
    });
    const response = await get(`${base}/private/vault.jpg`, {
      Cookie: Object.entries(expired)
        .map(([k, v]) => `${k}=${v}`)
        .join('; '),
    });
    expect(response.status).toBe(403);
    expect(response.body.toString()).toMatch(/expired/);
  });
});

describe('openssl, following AWS’s signing steps', () => {
  it('canned policy, RSA-SHA1', async () => {
    const url = `${base}/private/vault.jpg?w=128&h=128`;
    const expires = inAnHour();
    const policy = `{"Statement":[{"Resource":"${url}","Condition":{"DateLessThan":{"AWS:EpochTime":${expires}}}}]}`;
    const signed = `${url}&Expires=${expires}&Signature=${opensslSign(policy, RSA.file)}&Key-Pair-Id=${RSA.id}`;
    expect((await get(signed, ACCEPT)).status).toBe(200);
    // The same signature for another URL: refused.
    expect((await get(signed.replace('w=128&h=128', 'w=256&h=256'))).status).toBe(403);
  });

  it('custom policy with wildcards, ECDSA P-256 with SHA256 (Hash-Algorithm=SHA256)', async () => {
    const policy = JSON.stringify({
      Statement: [{ Resource: `${base}/_derived/private/vault.jpg/*.webp`, Condition: { DateLessThan: { 'AWS:EpochTime': inAnHour() } } }],
    });
    const path = '/_derived/private/vault.jpg/160xauto-inside-q75.webp';
    const query = `Policy=${openssl64(policy)}&Signature=${opensslSign(policy, EC.file, 'sha256')}&Key-Pair-Id=${EC.id}&Hash-Algorithm=SHA256`;
    expect((await get(`${base}${path}?${query}`, ACCEPT)).status).toBe(200);
    expect((await get(`${base}/_derived/private/vault.jpg/160xauto-inside-q75.avif?${query}`)).status).toBe(403);
  });

  it('custom policy with an IPv4 IpAddress condition, tried with the viewer-IP dev switch', async () => {
    const url = `${base}/private/vault.jpg`;
    const policy = JSON.stringify({
      Statement: [{ Resource: url, Condition: { IpAddress: { 'AWS:SourceIp': '198.51.100.0/24' }, DateLessThan: { 'AWS:EpochTime': inAnHour() } } }],
    });
    const signed = `${url}?Policy=${openssl64(policy)}&Signature=${opensslSign(policy, RSA.file)}&Key-Pair-Id=${RSA.id}`;
    expect((await get(signed)).status).toBe(403);
    expect((await get(signed, { 'x-local-viewer-ip': '198.51.100.20' })).status).toBe(200);
  });
});

const botocore = spawnSync('python3', ['-c', 'import botocore.signers, cryptography'], { encoding: 'utf8' }).status === 0;

describe('Python botocore CloudFrontSigner (Debian python3-botocore)', () => {
  beforeEach((ctx) => ctx.skip(!botocore, 'python3 with botocore and cryptography is not installed (apt-get install -y python3-botocore)'));

  /** A fresh connection per request: python's start leaves pooled keep-alive sockets to time out. */
  const fresh = (url: string, headers: Record<string, string> = {}) =>
    new Promise<number>((resolve, reject) => {
      const req = httpRequest(url, { headers, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });

  function botocoreUrl(url: string, policy?: string): string {
    const script = `
import sys, datetime
from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
key = serialization.load_pem_private_key(open(sys.argv[1], 'rb').read(), password=None)
signer = CloudFrontSigner(sys.argv[2], lambda m: key.sign(m, padding.PKCS1v15(), hashes.SHA1()))
if len(sys.argv) > 4:
    print(signer.generate_presigned_url(sys.argv[3], policy=sys.argv[4]))
else:
    print(signer.generate_presigned_url(sys.argv[3], date_less_than=datetime.datetime.fromtimestamp(${inAnHour()}, datetime.timezone.utc)))
`;
    return execFileSync('python3', ['-c', script, RSA.file, RSA.id, url, ...(policy ? [policy] : [])], { encoding: 'utf8' }).trim();
  }

  it('canned and custom (wildcard) URLs', async () => {
    // Signed first, fetched together: a python start takes seconds here, longer than a keep-alive.
    const policy = JSON.stringify({ Statement: [{ Resource: `${base}/private/vault.jpg?*`, Condition: { DateLessThan: { 'AWS:EpochTime': inAnHour() } } }] });
    const canned = botocoreUrl(`${base}/private/vault.jpg?w=64&h=64`);
    const custom = botocoreUrl(`${base}/private/vault.jpg?w=320`, policy);
    const uncovered = botocoreUrl(`${base}/private/vault.jpg`, policy);
    expect(await fresh(canned, ACCEPT)).toBe(200);
    expect(await fresh(custom, ACCEPT)).toBe(200);
    expect(await fresh(uncovered)).toBe(403);
  }, 120_000);
});
