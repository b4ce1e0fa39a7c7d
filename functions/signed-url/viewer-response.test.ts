import { readFileSync } from 'node:fs';
import path from 'node:path';
import { getSignedUrl } from '@aws-sdk/cloudfront-signer';
import type { CloudFrontRequest, CloudFrontResponse, CloudFrontResponseResult } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { images } from '../../infra/distribution.ts';
import { viewerRequestEvent, viewerResponseEvent } from '../../infra/local/cloudfront-events.ts';
import { validateResult } from '../../infra/local/cloudfront-validate.ts';
import type { LogLine } from '../core/log.ts';
import { createHandler } from './handler.ts';
import type { SignedUrlConfig } from './handler.ts';

const pem = (file: string) => readFileSync(path.join(process.cwd(), 'fixtures/keys', file), 'utf8');
const RSA = { id: 'K0TESTONLYRSA1', privateKey: pem('rsa-test.private.pem'), publicKey: pem('rsa-test.public.pem') };
const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const HOST = 'cdn.example.com';
const BASE = `https://${HOST}`;
const config: SignedUrlConfig = { policy: images, publicKeys: [{ id: RSA.id, pem: RSA.publicKey }], scheme: 'https', clockSkewSeconds: 0 };

function handlerWith(logs: LogLine[]) {
  return createHandler(config, { log: (line) => logs.push(line), now: () => NOW });
}

/** The request as signed-url's viewer-request leaves it for `url` (a signed URL of this host). */
async function verified(url: string, logs: LogLine[] = []): Promise<CloudFrontRequest> {
  const { pathname, search } = new URL(url);
  const event = viewerRequestEvent({
    clientIp: '203.0.113.9',
    method: 'GET',
    uri: pathname,
    querystring: search.slice(1),
    headers: { host: [{ key: 'Host', value: HOST }], accept: [{ key: 'Accept', value: 'image/webp' }] },
  });
  const result = await handlerWith(logs)(event);
  expect(result).not.toHaveProperty('status');
  return result as CloudFrontRequest;
}

/** Runs the viewer-response step on `response` for this (already verified) request, validated as CloudFront would. */
async function respond(request: CloudFrontRequest, response: CloudFrontResponse, logs: LogLine[] = []) {
  const event = viewerResponseEvent({ ...request, response });
  const sent = structuredClone(event);
  const result = await handlerWith(logs)(event);
  expect(validateResult('viewer-response', sent, result)).toMatchObject({ ok: true });
  return result as CloudFrontResponse & CloudFrontResponseResult;
}

/** image-resize's over-cap marker: credential-free, uncached, to the canonical URI. */
function marker(uri: string): CloudFrontResponse {
  return {
    status: '302',
    statusDescription: 'Found',
    headers: { location: [{ key: 'Location', value: uri }], 'cache-control': [{ key: 'Cache-Control', value: 'no-store' }] },
  };
}

const sign = (url: string, policy?: string) =>
  policy === undefined
    ? getSignedUrl({ url, keyPairId: RSA.id, privateKey: RSA.privateKey, dateLessThan: new Date(NOW + 3_600_000).toISOString() })
    : getSignedUrl({ url, keyPairId: RSA.id, privateKey: RSA.privateKey, policy });

describe('signed-url on viewer-response: the over-cap marker goes to each viewer’s own signed URL', () => {
  it('replaces the marker’s Location with the URL this viewer signed, and nothing else', async () => {
    const a = sign(`${BASE}/private/big.jpg?w=1920&fm=png&q=95`);
    const wildcard = JSON.stringify({ Statement: [{ Resource: `${BASE}/private/*`, Condition: { DateLessThan: { 'AWS:EpochTime': NOW / 1000 + 3600 } } }] });
    const b = sign(`${BASE}/private/big.jpg?fm=png&q=95&w=1920`, wildcard);
    const requestA = await verified(a);
    const requestB = await verified(b);
    // Both became the one canonical URI: one cache key, one miss, one marker for both.
    expect(requestA.uri).toBe(requestB.uri);
    const logs: LogLine[] = [];
    const toA = await respond(requestA, marker(requestA.uri), logs);
    const toB = await respond(requestB, marker(requestB.uri));
    expect(toA.headers['location']).toEqual([{ key: 'Location', value: a.slice(BASE.length) }]);
    expect(toB.headers['location']).toEqual([{ key: 'Location', value: b.slice(BASE.length) }]);
    expect(toA.headers['cache-control']).toEqual([{ key: 'Cache-Control', value: 'no-store' }]);
    expect(toA.status).toBe('302');
    const signatureOfB = new URL(b).searchParams.get('Signature')!;
    expect(JSON.stringify(toA)).not.toContain(signatureOfB);
    expect(logs).toEqual([expect.objectContaining({ fn: 'signed-url', outcome: 'redirect-signed', status: 302, uri: requestA.uri })]);
    // The log line never carries the signature.
    expect(JSON.stringify(logs)).not.toContain(new URL(a).searchParams.get('Signature')!);
  });

  it('leaves every other answer as it is: a 200, a 304, a redirect elsewhere', async () => {
    const request = await verified(sign(`${BASE}/private/big.jpg?w=1920&fm=png&q=95`));
    const ok: CloudFrontResponse = { status: '200', statusDescription: 'OK', headers: { 'content-type': [{ key: 'Content-Type', value: 'image/png' }] } };
    expect(await respond(request, structuredClone(ok))).toEqual(ok);
    const elsewhere = marker('/_derived/private/other.jpg/1920xauto-inside-q95.png');
    expect(await respond(request, structuredClone(elsewhere))).toEqual(elsewhere);
    const moved = { ...marker(request.uri), status: '301' };
    expect(await respond(request, structuredClone(moved))).toEqual(moved);
  });

  it('without this viewer’s recorded URL, the marker goes out credential-free (fails closed), and says so', async () => {
    const request = await verified(sign(`${BASE}/private/big.jpg?w=1920&fm=png&q=95`));
    const logs: LogLine[] = [];
    for (const value of [undefined, '//evil.example/x', 'https://evil.example/x', '/private/big.jpg?a=\u0001', '/private\\big.jpg']) {
      const headers = { ...request.headers };
      if (value === undefined) delete headers['x-private-viewer-url'];
      else headers['x-private-viewer-url'] = [{ key: 'x-private-viewer-url', value }];
      const answered = await respond({ ...request, headers }, marker(request.uri), logs);
      expect(answered.headers['location']).toEqual([{ key: 'Location', value: request.uri }]);
    }
    expect(logs.map((l) => l['outcome'])).toEqual(Array(5).fill('redirect-unsigned'));
  });
});
