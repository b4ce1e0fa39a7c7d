/**
 * Private images end to end: the local edge (default distribution, test-only keys) protecting
 * /private/* and /_derived/private/* with the signed-url function, URLs signed by the CLI.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLine } from '../../functions/core/log.ts';
import type { RequestTrace } from '../../infra/local/edge.ts';
import { startLocalStack } from '../../infra/local-stack.ts';
import type { LocalStack } from '../../infra/local-stack.ts';
import { runSign } from '../../infra/tools/sign.ts';
import { ACCEPT_WEBP, get, rawGet } from '../support/http.ts';

let stack: LocalStack;
const logs: LogLine[] = [];
const traces: RequestTrace[] = [];

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, log: (line) => logs.push(line), onTrace: (trace) => traces.push(trace) });
});
afterAll(async () => {
  await stack?.close();
});

/** The CLI in this process (the same function `npm run sign` runs): stdout lines, stderr lines. */
function sign(...args: string[]): { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const code = runSign(args, { stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
  expect(code, err.join('\n')).toBe(0);
  return { out, err };
}

const signedUrl = (...args: string[]) => sign(...args).out[0]!;
const pathOf = (url: string) => url.slice(stack.edge.url.length);
const xmlMessage = (body: Buffer) => /<Message>([^<]*)<\/Message>/.exec(body.toString())?.[1];

function expectAccessDenied(response: { status: number; headers: Headers; body: Buffer }): string {
  expect(response.status).toBe(403);
  expect(response.headers.get('content-type')).toBe('text/xml');
  expect(response.headers.get('x-cache')).toBe('LambdaGeneratedResponse from cloudfront');
  expect(response.body.toString()).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?><Error><Code>AccessDenied<\/Code><Message>.+<\/Message><\/Error>$/);
  return xmlMessage(response.body) ?? '';
}

describe('a URL signed by `npm run sign`', () => {
  it('returns the private original, and warns that the default key is test-only', async () => {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['infra/build/run.mjs', 'infra/tools/sign.ts', `${stack.edge.url}/private/vault.jpg`, '--expires', '1h'],
      {
        cwd: process.cwd(),
      },
    );
    expect(stderr).toMatch(/TEST-ONLY key K0TESTONLYRSA1/);
    const url = stdout.trim();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/private\/vault\.jpg\?Expires=\d+&Key-Pair-Id=K0TESTONLYRSA1&Signature=[A-Za-z0-9~_-]+$/);
    const response = await get(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect(response.body.equals(await readFile('fixtures/images/private/vault.jpg'))).toBe(true);
    expect(response.headers.get('x-cache')).toBe('Miss from cloudfront');
    expect(traces.at(-1)?.behavior).toBe('/private/*');
    expect((await get(url)).headers.get('x-cache')).toBe('Hit from cloudfront');
  });

  it('is refused without a signature, before the cache (even once it holds the image)', async () => {
    const message = expectAccessDenied(await get(`${stack.edge.url}/private/vault.jpg`));
    expect(message).toBe('Missing Key-Pair-Id query parameter or cookie value.');
    expect(logs.at(-1)).toMatchObject({ fn: 'signed-url', outcome: 'denied', reason: 'missing' });
  });

  it('makes a private thumbnail, stored under _derived/private/, with an ECDSA SHA256 signature', async () => {
    const url = signedUrl(`${stack.edge.url}/private/vault.jpg?w=128&h=128`, '--key-pair-id', 'K0TESTONLYEC01', '--hash', 'SHA256');
    expect(url).toContain('&Hash-Algorithm=SHA256');
    const response = await get(url, { Accept: ACCEPT_WEBP });
    expect(response.status).toBe(200);
    const meta = await sharp(response.body).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 128, 128]);
    const head = await stack.s3.client.send(new HeadObjectCommand({ Bucket: stack.bucket, Key: '_derived/private/vault.jpg/128x128-cover-q75.webp' }));
    expect(head.ContentType).toBe('image/webp');
  });

  it('accepts a custom policy with an IP range and a wildcard resource', async () => {
    const url = signedUrl(`${stack.edge.url}/private/vault.jpg?w=640`, '--ip', '127.0.0.0/8', '--policy', 'wildcard-resource');
    expect(url).toContain('Policy=');
    expect((await get(url)).status).toBe(200);
    const elsewhere = signedUrl(`${stack.edge.url}/private/vault.jpg?w=640`, '--ip', '10.0.0.0/8');
    expect(expectAccessDenied(await get(elsewhere))).toMatch(/IP address is outside/);
  });

  it('answers 403 with the reason once any byte of the URL is changed', async () => {
    const url = signedUrl(`${stack.edge.url}/private/vault.jpg?w=320`);
    const path = pathOf(url);
    const at = (name: string, offset = 2) => path.indexOf(name) + name.length + offset;
    const positions: [number, RegExp][] = [
      [path.indexOf('vault'), /signature does not match/],
      [path.indexOf('w=320') + 3, /signature does not match/],
      [at('Expires='), /signature does not match/],
      [at('Key-Pair-Id='), /^Unknown Key$/],
      [at('Signature=', 0), /signature does not match|base64 signature/],
      [at('Signature=', 100), /signature does not match|base64 signature/],
      [path.length - 3, /signature does not match|base64 signature/],
      [path.indexOf('Signature'), /^Missing Signature query parameter$/],
    ];
    for (const [index, reason] of positions) {
      const original = path[index]!;
      const replacement = original === 'A' ? 'B' : /[0-9]/.test(original) ? String((Number(original) + 1) % 10) : 'A';
      const changed = `${path.slice(0, index)}${replacement}${path.slice(index + 1)}`;
      const response = await rawGet(stack.edge.url, changed);
      expect(expectAccessDenied(response), `byte ${index} (${original} -> ${replacement})`).toMatch(reason);
    }
    expect((await rawGet(stack.edge.url, path)).status).toBe(200);
  });

  it('returns 403 "expired" for the same URL from its expiry second on (no clock skew, as CloudFront)', async () => {
    // Signed so that it expires within the next 2 seconds.
    const url = signedUrl(`${stack.edge.url}/private/vault.jpg`, '--expires=2s');
    const expires = Number(/Expires=(\d+)/.exec(url)![1]);
    expect((await get(url)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expires * 1000 - Date.now() + 50)));
    expect(expectAccessDenied(await get(url))).toMatch(/^Access denied: the signed URL expired at /);
    expect(logs.at(-1)).toMatchObject({ reason: 'expired', via: 'query', keyPairId: 'K0TESTONLYRSA1' });
  });
});

describe('signed cookies in a browser-like client', () => {
  /** A minimal cookie jar: what a browser stores from Set-Cookie and sends back by path. */
  function jar(setCookieLines: readonly string[]) {
    const cookies = setCookieLines.map((line) => {
      const [pair = '', ...attributes] = line.replace(/^Set-Cookie: /, '').split('; ');
      const path = attributes.find((a) => a.startsWith('Path='))?.slice(5) ?? '/';
      return { pair, path, attributes };
    });
    return {
      cookies,
      header: (urlPath: string) =>
        cookies
          .filter((c) => urlPath.startsWith(c.path))
          .map((c) => c.pair)
          .join('; '),
    };
  }

  it('serves everything under /private/ to a holder of the cookies, and nothing to others', async () => {
    const { out } = sign(`${stack.edge.url}/private/vault.jpg`, '--cookies', '--path', '/private/');
    expect(out.map((l) => l.split('=')[0]).sort()).toEqual([
      'Set-Cookie: CloudFront-Key-Pair-Id',
      'Set-Cookie: CloudFront-Policy',
      'Set-Cookie: CloudFront-Signature',
    ]);
    const browser = jar(out);
    expect(browser.cookies[0]!.attributes).toEqual(expect.arrayContaining(['Path=/private/', 'HttpOnly', 'SameSite=Lax']));
    expect(browser.cookies[0]!.attributes).not.toContain('Secure');
    for (const path of ['/private/vault.jpg', '/private/vault.jpg?w=256&h=256', '/private/vault.jpg?w=160&fm=png']) {
      const response = await get(`${stack.edge.url}${path}`, { Cookie: `theme=dark; ${browser.header(path)}`, Accept: ACCEPT_WEBP });
      expect(response.status, path).toBe(200);
    }
    expect(logs.filter((l) => l.fn === 'signed-url' && l['via'] === 'cookie').length).toBeGreaterThanOrEqual(3);
    expect(expectAccessDenied(await get(`${stack.edge.url}/private/vault.jpg?w=256&h=256`, { Cookie: 'theme=dark' }))).toMatch(/^Missing Key-Pair-Id/);
  });

  it('refuses cookies whose signature was altered', async () => {
    const { out } = sign(`${stack.edge.url}/private/vault.jpg`, '--cookies');
    const header = jar(out)
      .header('/private/vault.jpg')
      .replace(/(CloudFront-Signature=)(.)/, (_, name: string, c: string) => `${name}${c === 'A' ? 'B' : 'A'}`);
    expectAccessDenied(await get(`${stack.edge.url}/private/vault.jpg`, { Cookie: header }));
  });
});

describe('the public behavior is no way around the signature', () => {
  it.each(['/128x128/private/vault.jpg', '/thumb/private/vault.jpg', '/private%2Fvault.jpg'])('refuses %s with a 403 from image-request', async (path) => {
    const response = await rawGet(stack.edge.url, path, { Accept: ACCEPT_WEBP });
    expect(response.status).toBe(403);
    expect(response.headers.get('x-cache')).toBe('LambdaGeneratedResponse from cloudfront');
    expect(response.body.toString()).toMatch(/signed URL for the private image "private\/vault\.jpg"/);
    expect(traces.at(-1)?.behavior).toBe('*');
  });

  it.each(['/%70rivate/vault.jpg', '/%70rivate/vault.jpg?w=128&h=128', '//private/vault.jpg', '/photos/../private/vault.jpg'])(
    'takes the signed behavior for %s, as CloudFront matches the normalized path',
    async (path) => {
      const response = await rawGet(stack.edge.url, path, { Accept: ACCEPT_WEBP });
      expect(expectAccessDenied(response)).toBe('Missing Key-Pair-Id query parameter or cookie value.');
      expect(traces.at(-1)?.behavior).toBe('/private/*');
    },
  );

  it('guards the canonical derived URI of a private thumbnail with a signature, even when cached', async () => {
    const derived = '/_derived/private/vault.jpg/128x128-cover-q75.webp';
    const response = await get(`${stack.edge.url}${derived}`);
    expect(expectAccessDenied(response)).toBe('Missing Key-Pair-Id query parameter or cookie value.');
    expect(traces.at(-1)?.behavior).toBe('/_derived/private/*');
    const signed = await get(signedUrl(`${stack.edge.url}${derived}`));
    expect(signed.status).toBe(200);
    expect(signed.headers.get('content-type')).toBe('image/webp');
  });

  it('still serves public images, and answers a preflight on a signed path itself: 403 without CORS settings, never sent on', async () => {
    expect((await get(`${stack.edge.url}/photos/cat.jpg?w=160`)).status).toBe(200);
    const preflight = await get(`${stack.edge.url}/private/vault.jpg`, { Origin: 'http://example.com', 'Access-Control-Request-Method': 'GET' }, 'OPTIONS');
    expectAccessDenied(preflight);
    expect(traces.at(-1)?.functions.find((f) => f.fn === 'signed-url')).toMatchObject({ outcome: 'generated' });
    expect(traces.at(-1)?.origin).toBeUndefined();
  });
});
