/**
 * Property-based fuzzing (fast-check) of what viewers control: the URL grammar through image-request,
 * the signed-URL verifier through signed-url, and the geo headers through geo-route.
 *
 * A fixed seed and a few hundred runs per property in CI; longer on demand:
 *   FUZZ_RUNS=100000 npx vitest run test/integration/fuzz.test.ts            (same seed, more runs)
 *   FUZZ_SEED=123 FUZZ_RUNS=20000 npx vitest run test/integration/fuzz.test.ts
 * A failure prints the seed and the shrunk counterexample; rerun with both to reproduce.
 */
import type { CloudFrontRequest, CloudFrontRequestEvent, CloudFrontResultResponse } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { originRequestEvent, viewerRequestEvent } from '../../infra/local/cloudfront-events.ts';
import { validateResult } from '../../infra/local/cloudfront-validate.ts';
import { isEdgeError } from '../../functions/core/errors.ts';
import { derivedUri, parseDerivedUri, parseImageUrl } from '../../functions/core/grammar.ts';
import { decodeKey } from '../../functions/core/keys.ts';
import type { LogLine } from '../../functions/core/log.ts';
import { decodeCloudFrontBase64 } from '../../functions/core/signed-url-policy.ts';
import { createKeyRing, splitSigningParams, verifySignedRequest } from '../../functions/core/signed-url.ts';
import { createHandler as geoRoute } from '../../functions/geo-route/handler.ts';
import { createHandler as imageRequest } from '../../functions/image-request/handler.ts';
import { createHandler as signedUrl } from '../../functions/signed-url/handler.ts';
import { geoRouteConfig, imageRequestConfig, signedUrlConfig } from '../../infra/config.ts';
import { distribution, s3DomainName } from '../../infra/distribution.ts';
import type { S3OriginSpec } from '../../infra/distribution.ts';
import { signUrl, testKey } from '../../infra/tools/signer.ts';
import { LEAK } from '../support/originals.ts';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 300);
const SEED = Number(process.env['FUZZ_SEED'] ?? 20_260_101);
const settings = { numRuns: RUNS, seed: SEED, endOnFailure: false } as const;
// Long runs on demand need more than the e2e project's 60 s.
const TIMEOUT = Math.max(60_000, RUNS * 10);
const policy = distribution.images;

// --- The URL grammar -------------------------------------------------------------------------------

const TRICKY_SEGMENTS = [
  '..',
  '.',
  '',
  '%2e%2e',
  '%2E%2e',
  '.%2e',
  '%2e',
  '%2f',
  '%2F',
  '..%2f',
  '%5c',
  '\\',
  '%00',
  '%0a',
  '%0d%0a',
  '%7f',
  '%c2%85',
  '%c0%af',
  '%c0%ae',
  '%ff',
  '%ED%A0%80',
  '%EF%BF%BD',
  '%252e%252e',
  '%25',
  '%',
  '%2',
  '_derived',
  '%5Fderived',
  'private',
  '%70rivate',
  'PRIVATE',
  '128x128',
  '64x64',
  '1200x630',
  '99999x99999',
  '0x0',
  '-1x1',
  'thumb',
  'avatar',
  'og',
  'icon',
  'credited',
  'card',
  'photos',
  'cat.jpg',
  'a+b.jpg',
  'a%2Bb.jpg',
  'caf%C3%A9%20au%20lait.jpg',
  '%E2%80%A5',
  '%EF%BC%8E',
  '128x128-cover-q75.webp',
  '640xauto-inside-q75.jpg',
  '128x128-cover-attention-q75.avif',
  '192x192-contain-q75-enlarge.png',
];
const segment = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...TRICKY_SEGMENTS) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 12 }).map(encodeURIComponent) },
  {
    weight: 1,
    arbitrary: fc.string({ unit: 'binary', maxLength: 6 }).map((s) => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')),
  },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z0-9._~!$&'()*+,;=:@-]{1,10}$/) },
);
const randomPath = fc.array(segment, { minLength: 1, maxLength: 6 }).map((segments) => `/${segments.join('/')}`);
// Mostly well-formed URLs too, so that the derived and original branches are reached often.
const plausiblePath = fc
  .tuple(
    fc.constantFrom('', '128x128/', '64x64/', '1200x630/', '100x100/', 'thumb/', 'card/', 'og/', 'icon/', 'credited/', 'avatar/'),
    fc.constantFrom('photos/cat.jpg', 'photos/a+b.jpg', 'photos/a%2Bb.jpg', 'caf%C3%A9%20au%20lait.jpg', 'x/y/z.png', 'logo.svg', 'anim.gif'),
  )
  .map(([prefix, key]) => `/${prefix}${key}`);
const path = fc.oneof(randomPath, plausiblePath);

const VALUES: Record<string, readonly string[]> = {
  w: ['64', '128', '160', '320', '640', '1920', '100', '0', '-320', '320.5', '1e3', '0x140', '99999', ''],
  h: ['64', '128', '240', '630', '100', '-1', ''],
  fit: ['cover', 'contain', 'inside', 'outside', 'fill', 'stretch', 'COVER', ''],
  pos: ['centre', 'center', 'entropy', 'attention', 'left', ''],
  fm: ['auto', 'avif', 'webp', 'jpg', 'jpeg', 'png', 'gif', 'bmp', 'AVIF', ''],
  q: ['40', '50', '60', '75', '85', '95', '100', '0', '75.0', ''],
  dpr: ['1', '1.5', '2', '2.5', '3', '3.01', '0', '-1', 'NaN', ''],
};
const param = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .constantFrom(...Object.keys(VALUES))
      .chain((name) => fc.tuple(fc.constant(name), fc.oneof(fc.constantFrom(...VALUES[name]!), fc.string({ maxLength: 6 })))),
  },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('W', 'x', 'v', 'w[]', '%77', 'Expires', 'Signature', ''), fc.string({ maxLength: 6 })) },
);
const querystring = fc
  .array(param, { maxLength: 5 })
  .map((pairs) =>
    pairs
      .map(([name, value]) => (name === '%77' ? `${name}=${encodeURIComponent(value)}` : `${encodeURIComponent(name)}=${encodeURIComponent(value)}`))
      .join('&'),
  );
const accept = fc.option(fc.oneof(fc.constantFrom('image/avif,image/webp,*/*', 'image/webp', '*/*', 'image/*', ''), fc.string({ maxLength: 40 })), {
  nil: undefined,
});

function viewerEvent(uri: string, query: string, acceptHeader: string | undefined, method = 'GET'): CloudFrontRequestEvent {
  return viewerRequestEvent({
    clientIp: '203.0.113.9',
    method,
    uri,
    querystring: query,
    headers: { host: [{ key: 'Host', value: '127.0.0.1:3000' }], ...(acceptHeader === undefined ? {} : { accept: [{ key: 'Accept', value: acceptHeader }] }) },
  });
}

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe('fuzz: the URL grammar through image-request', () => {
  const logs: LogLine[] = [];
  const handler = imageRequest(imageRequestConfig(), { log: (l) => logs.push(l) });

  it(
    'answers every URL with a valid result: a safe 400/403, or one canonical, allowed URI that is a fixed point',
    async () => {
      const seen = { refused: 0, original: 0, derived: 0, preflight: 0 };
      await fc.assert(
        fc.asyncProperty(path, querystring, accept, fc.constantFrom('GET', 'HEAD', 'OPTIONS'), async (uri, query, acceptHeader, method) => {
          const event = viewerEvent(uri, query, acceptHeader, method);
          const sent = structuredClone(event);
          const before = logs.length;
          const result = await handler(event);
          expect(validateResult('viewer-request', sent, result)).toMatchObject({ ok: true });
          expect(logs.length - before).toBe(1);
          if ('status' in (result as object)) {
            const response = result as CloudFrontResultResponse;
            expect(['400', '403']).toContain(response.status);
            const body = response.body ?? '';
            expect(body).not.toMatch(LEAK);
            expect(body.slice(0, -1)).not.toMatch(CONTROL);
            expect(body.length).toBeLessThan(1000);
            seen.refused++;
            return;
          }
          const request = result as CloudFrontRequest;
          expect(request.uri.startsWith('/')).toBe(true);
          if (method === 'OPTIONS') {
            decodeKey(request.uri.slice(1));
            seen.preflight++;
            return;
          }
          seen[request.uri.startsWith('/_derived/') ? 'derived' : 'original']++;
          // The key is one S3 would store and no viewer can use to climb out of it.
          const key = decodeKey(request.uri.slice(1));
          expect(key.startsWith('private/')).toBe(false);
          if (request.uri.startsWith('/_derived/')) {
            const parsed = parseDerivedUri(request.uri, policy);
            expect(derivedUri(parsed.key, parsed.variant)).toBe(request.uri);
            expect(request.querystring).toBe('');
            const { width, height, quality, format } = parsed.variant;
            if (height === undefined) expect(policy.widths).toContain(width);
            else expect(policy.sizes).toContain(`${width}x${height}`);
            expect(policy.qualities).toContain(quality);
            expect(policy.formats).toContain(format);
          }
          // Canonical means a fixed point: asking for the canonical URI gives the canonical URI.
          const again = (await handler(
            viewerEvent(request.uri, request.uri.startsWith('/_derived/') ? '' : request.querystring, acceptHeader),
          )) as CloudFrontRequest;
          expect(again.uri).toBe(request.uri);
        }),
        settings,
      );
      // The generators reach every branch, not only the refusals.
      for (const outcome of Object.values(seen)) expect(outcome, JSON.stringify(seen)).toBeGreaterThan(RUNS * 0.02);
    },
    TIMEOUT,
  );

  it(
    'throws nothing but EdgeErrors from the grammar, on any string at all',
    () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary', maxLength: 80 }), fc.string({ maxLength: 40 }), (uri, query) => {
          for (const attempt of [() => parseImageUrl(uri, query, undefined, policy), () => parseDerivedUri(uri, policy)]) {
            try {
              attempt();
            } catch (error) {
              expect(isEdgeError(error)).toBe(true);
            }
          }
        }),
        settings,
      );
    },
    TIMEOUT,
  );
});

// --- The signed-URL verifier ----------------------------------------------------------------------

const HOST = '127.0.0.1:3000';
const config = { ...signedUrlConfig(), scheme: 'http' as const };
const keys = createKeyRing(config.behaviors![0]!.publicKeys);
const NOW = Date.now();
const signed = (['RSA-2048', 'ECDSA-P256'] as const).flatMap((type) => {
  const key = testKey(type);
  const expires = new Date(NOW + 3_600_000);
  return [
    signUrl({ url: `http://${HOST}/private/vault.jpg?w=320`, expires, keyPairId: key.id, privateKey: key.privateKey }),
    signUrl({ url: `http://${HOST}/private/vault.jpg`, expires, keyPairId: key.id, privateKey: key.privateKey, policy: 'custom', hash: 'SHA256' }),
    signUrl({ url: `http://${HOST}/private/a%20b/vault.jpg?w=128&h=128`, expires, keyPairId: key.id, privateKey: key.privateKey, policy: 'wildcard-resource' }),
  ].map((url) => new URL(url));
});

const PRINTABLE = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
type Mutation = (text: string) => string;
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), PRINTABLE).map(
    ([at, c]): Mutation =>
      (t) => {
        const i = at % t.length;
        return t.slice(0, i) + c + t.slice(i + 1);
      },
  ),
  fc.nat().map(
    (at): Mutation =>
      (t) => {
        const i = at % t.length;
        return t.slice(0, i) + t.slice(i + 1);
      },
  ),
  fc.tuple(fc.nat(), PRINTABLE).map(
    ([at, c]): Mutation =>
      (t) => {
        const i = at % (t.length + 1);
        return t.slice(0, i) + c + t.slice(i);
      },
  ),
  fc.nat().map(
    (at): Mutation =>
      (t) => {
        const parts = t.split('&');
        parts.splice(at % parts.length, 1);
        return parts.join('&');
      },
  ),
  fc.nat().map(
    (at): Mutation =>
      (t) => {
        const parts = t.split('&');
        parts.push(parts[at % parts.length]!);
        return parts.join('&');
      },
  ),
  fc.tuple(fc.nat(), fc.nat()).map(
    ([a, b]): Mutation =>
      (t) => {
        const parts = t.split('&');
        const i = a % parts.length;
        const j = b % parts.length;
        [parts[i], parts[j]] = [parts[j]!, parts[i]!];
        return parts.join('&');
      },
  ),
  fc.string({ maxLength: 8 }).map(
    (junk): Mutation =>
      (t) =>
        `${t}&${junk}`,
  ),
);

/** Same request as far as the signature can tell: same path, same other parameters, same signed values. */
function equivalent(aUri: string, aQuery: string, bUri: string, bQuery: string): boolean {
  if (aUri !== bUri) return false;
  const a = splitSigningParams(aQuery);
  const b = splitSigningParams(bQuery);
  if (a.rest !== b.rest || a.found.duplicate !== undefined || b.found.duplicate !== undefined) return false;
  const bytes = (text: string | undefined) => (text === undefined ? undefined : decodeCloudFrontBase64(text)?.toString('hex'));
  return (
    a.found.values.expires === b.found.values.expires &&
    a.found.values.keyPairId === b.found.values.keyPairId &&
    a.found.values.hash === b.found.values.hash &&
    bytes(a.found.values.signature) === bytes(b.found.values.signature) &&
    bytes(a.found.values.policy) === bytes(b.found.values.policy)
  );
}

describe('fuzz: the signed-URL verifier', () => {
  const options = { keys, now: NOW / 1000, clockSkewSeconds: config.clockSkewSeconds };
  const request = (uri: string, query: string, cookies: string[] = []) => ({
    scheme: 'http' as const,
    host: HOST,
    uri,
    querystring: query,
    clientIp: '203.0.113.9',
    cookies,
  });

  it('accepts the signed URLs as they were signed', () => {
    for (const url of signed) expect(verifySignedRequest(request(url.pathname, url.search.slice(1)), options)).toMatchObject({ ok: true });
  });

  it(
    'accepts a mutated signed URL only when the mutation changed nothing the signature covers',
    () => {
      fc.assert(
        fc.property(fc.constantFrom(...signed), fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.boolean(), (url, mutations, inPath) => {
          let uri = url.pathname;
          let query = url.search.slice(1);
          for (const mutate of mutations) {
            if (inPath) uri = mutate(uri);
            else query = mutate(query);
          }
          const verdict = verifySignedRequest(request(uri, query), options);
          if (verdict.ok) {
            expect(equivalent(url.pathname, url.search.slice(1), uri, query) || isWildcardCovered(url, uri, query)).toBe(true);
          } else {
            expect(verdict.error.status).toBe(403);
            expect(verdict.error.publicMessage).not.toMatch(CONTROL);
          }
        }),
        settings,
      );
    },
    TIMEOUT,
  );

  it(
    'refuses any query string and cookies that were never signed, without throwing, in the handler too',
    async () => {
      const logs: LogLine[] = [];
      const handler = signedUrl(config, { log: (l) => logs.push(l), now: () => NOW });
      const pair = fc.tuple(
        fc.constantFrom('Expires', 'Policy', 'Signature', 'Key-Pair-Id', 'Hash-Algorithm', 'w', 'x'),
        fc.oneof(
          fc.string({ maxLength: 20 }),
          fc.constantFrom(config.behaviors![0]!.publicKeys[0]!.id, 'SHA256', 'SHA1', '4102444800', `${'A'.repeat(342)}__`),
        ),
      );
      const cookie = fc.array(
        fc.tuple(
          fc.constantFrom('CloudFront-Expires', 'CloudFront-Policy', 'CloudFront-Signature', 'CloudFront-Key-Pair-Id', 'session'),
          fc.stringMatching(/^[A-Za-z0-9_~-]{0,30}$/),
        ),
        { maxLength: 5 },
      );
      await fc.assert(
        fc.asyncProperty(fc.array(pair, { maxLength: 6 }), cookie, async (pairs, cookies) => {
          const query = pairs.map(([n, v]) => `${n}=${v}`).join('&');
          const cookieHeader = cookies.map(([n, v]) => `${n}=${v}`).join('; ');
          expect(verifySignedRequest(request('/private/vault.jpg', query, cookieHeader ? [cookieHeader] : []), options).ok).toBe(false);
          const event = viewerRequestEvent({
            clientIp: '203.0.113.9',
            uri: '/private/vault.jpg',
            querystring: query,
            headers: { host: [{ key: 'Host', value: HOST }], ...(cookieHeader ? { cookie: [{ key: 'Cookie', value: cookieHeader }] } : {}) },
          });
          const sent = structuredClone(event);
          const result = (await handler(event)) as CloudFrontResultResponse;
          expect(validateResult('viewer-request', sent, result)).toMatchObject({ ok: true });
          expect(result.status).toBe('403');
          expect(result.body ?? '').not.toMatch(LEAK);
        }),
        settings,
      );
    },
    TIMEOUT,
  );
});

/** A wildcard-resource signature covers other paths under its folder (and any query): that is its point. */
function isWildcardCovered(url: URL, uri: string, query: string): boolean {
  const original = splitSigningParams(url.search.slice(1)).found.values;
  const mutated = splitSigningParams(query).found.values;
  if (original.policy === undefined || decodeCloudFrontBase64(original.policy) === undefined) return false;
  const resource = JSON.parse(decodeCloudFrontBase64(original.policy)!.toString('utf8')).Statement[0].Resource as string;
  if (!resource.endsWith('*')) return false;
  const sameSignature = decodeCloudFrontBase64(original.signature ?? '')?.equals(decodeCloudFrontBase64(mutated.signature ?? '') ?? Buffer.alloc(0)) ?? false;
  return sameSignature && `http://${HOST}${uri}`.startsWith(resource.slice(0, -1));
}

// --- geo-route ---------------------------------------------------------------------------------------

describe('fuzz: geo-route on any country header', () => {
  it(
    'never throws and always names one of the distribution origins',
    async () => {
      const handler = geoRoute(geoRouteConfig(), { log: () => {} });
      const primary = distribution.origins.find((o): o is S3OriginSpec => o.kind === 's3')!;
      const domains = new Set(distribution.origins.map((o) => (o.kind === 's3' ? s3DomainName(o) : o.domainName)));
      // What an HTTP header value can hold (CloudFront never passes control characters on).
      const value = fc.oneof(
        fc.constantFrom('DE', 'de', 'US', 'KR', 'CN', 'XX', 'EU', '', '<script>', 'DE, FR', 'US-CA'),
        fc.string({ unit: PRINTABLE, maxLength: 12 }),
      );
      await fc.assert(
        fc.asyncProperty(fc.option(value, { nil: undefined }), fc.option(value, { nil: undefined }), async (country, region) => {
          const headers: CloudFrontRequest['headers'] = {};
          if (country !== undefined) headers['cloudfront-viewer-country'] = [{ key: 'CloudFront-Viewer-Country', value: country }];
          if (region !== undefined) headers['cloudfront-viewer-country-region'] = [{ key: 'CloudFront-Viewer-Country-Region', value: region }];
          const event = originRequestEvent({
            clientIp: '203.0.113.9',
            uri: '/_derived/photos/cat.jpg/128x128-cover-q75.webp',
            headers,
            origin: { s3: { domainName: s3DomainName(primary), region: primary.region, path: '', authMethod: 'origin-access-identity', customHeaders: {} } },
          });
          const sent = structuredClone(event);
          const result = (await handler(event)) as CloudFrontRequest;
          expect(validateResult('origin-request', sent, result)).toMatchObject({ ok: true });
          expect(domains.has(result.origin?.s3?.domainName ?? result.origin?.custom?.domainName ?? '')).toBe(true);
        }),
        settings,
      );
    },
    TIMEOUT,
  );
});
