/**
 * One core, two runtimes, the same answers: the Lambda@Edge handler of image-request (in Node) and
 * its CloudFront Function build (in the cloudfront-js-2.0 sandbox) get the same generated URL, query
 * and Accept, and must agree: the same canonical URI and the same fate of the query string, or the
 * same status, message and Cache-Control for a refusal. Then the bad-input corpus, the same way.
 *
 * The default run is 5,000 generated cases (a few seconds); EDGE_IMAGES_DIFFERENTIAL_RUNS=100000
 * runs the full 100,000 (see docs/testing-and-performance.md for the recorded run).
 */
import type { CloudFrontRequest, CloudFrontResultResponse } from 'aws-lambda';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { functionViewerRequestEvent, viewerRequestEvent as lambdaEvent } from '../../infra/local/cloudfront-events.ts';
import { silentLog } from '../../functions/core/log.ts';
import { createHandler } from '../../functions/image-request/handler.ts';
import { buildCloudFrontFunction } from '../../infra/build/cloudfront-function.ts';
import { imageRequestConfig } from '../../infra/config.ts';
import { loadCloudFrontFunction } from '../../infra/local/cloudfront-sandbox.ts';
import type { CloudFrontFunctionInstance, CfOutcome, CfRequest } from '../../infra/local/cloudfront-sandbox.ts';
import { CORPUS } from '../support/corpus.ts';

const RUNS = Number(process.env['EDGE_IMAGES_DIFFERENTIAL_RUNS'] ?? 5_000);

interface Case {
  readonly method: string;
  readonly uri: string;
  readonly querystring: string;
  readonly accept: string | undefined;
}

/** What a viewer gets, in terms both runtimes can be compared on. */
type Answer =
  /** `query`: what goes on of the viewer's query string (an empty one and none are the same). */
  | { readonly kind: 'request'; readonly uri: string; readonly query: 'none' | 'as sent' | 'changed' }
  | { readonly kind: 'response'; readonly status: number; readonly body: string; readonly cacheControl: string | undefined }
  | { readonly kind: 'failure'; readonly reason: string };

const lambda = createHandler(imageRequestConfig(), { log: silentLog });
let cloudFront: CloudFrontFunctionInstance;

beforeAll(async () => {
  const { code } = await buildCloudFrontFunction({ root: '.', config: imageRequestConfig() });
  cloudFront = loadCloudFrontFunction(code);
});

function headers(c: Case): [string, string][] {
  return c.accept === undefined
    ? [['Host', 'cdn.example.com']]
    : [
        ['Host', 'cdn.example.com'],
        ['Accept', c.accept],
      ];
}

async function viaLambda(c: Case): Promise<Answer> {
  const event = lambdaEvent({
    clientIp: '192.0.2.1',
    method: c.method,
    uri: c.uri,
    querystring: c.querystring,
    headers: Object.fromEntries(headers(c).map(([k, v]) => [k.toLowerCase(), [{ key: k, value: v }]])),
  });
  const result = await lambda(event);
  if (result && 'status' in result) {
    const response = result as CloudFrontResultResponse;
    return { kind: 'response', status: Number(response.status), body: response.body ?? '', cacheControl: response.headers?.['cache-control']?.[0]?.value };
  }
  const request = result as CloudFrontRequest;
  const sentPairs = c.querystring.split('&').filter((piece) => piece !== '').length;
  const query =
    request.querystring === '' || (request.querystring === c.querystring && sentPairs === 0)
      ? 'none'
      : request.querystring === c.querystring
        ? 'as sent'
        : 'changed';
  return { kind: 'request', uri: request.uri, query };
}

async function viaCloudFront(c: Case): Promise<Answer> {
  const event = functionViewerRequestEvent(
    lambdaEvent({
      clientIp: '192.0.2.1',
      method: c.method,
      uri: c.uri,
      querystring: c.querystring,
      headers: Object.fromEntries(headers(c).map(([k, v]) => [k.toLowerCase(), [{ key: k, value: v }]])),
      requestId: 'diff',
    }),
  );
  const sent = JSON.stringify(event.request.querystring);
  const outcome: CfOutcome = await cloudFront.run(event);
  if (!outcome.ok) return { kind: 'failure', reason: `${outcome.error}: ${outcome.reason}` };
  if (outcome.kind === 'response') {
    const body = outcome.response.body;
    return {
      kind: 'response',
      status: outcome.response.statusCode,
      body: typeof body === 'string' ? body : (body?.data ?? ''),
      cacheControl: outcome.response.headers?.['cache-control']?.value,
    };
  }
  const request: CfRequest = outcome.request;
  const query = JSON.stringify(request.querystring);
  return { kind: 'request', uri: request.uri, query: query === '{}' ? 'none' : query === sent ? 'as sent' : 'changed' };
}

// --- generators: the grammar's own vocabulary, its near misses, and noise -----------------------

const segment = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('photos', 'cat.jpg', 'a.png', 'anim.gif', 'pic.webp', 'x.avif', 'b.svg', 'noext', 'private', 'deep') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '..',
      '.',
      '',
      '%2e%2e',
      '%2E',
      '%2F',
      '%5C',
      '\\',
      '%00',
      '%7f',
      '%c2%85',
      '%C3%A9',
      '%ff',
      '%',
      '%zz',
      '%252e',
      'a+b.jpg',
      'a%20b.jpg',
      '%E2%80%A8',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('a', 'Z', '.', '-', '_', '~', '%', '2', 'F', 'e', '+', ' ', 'é', '!'), maxLength: 8 }) },
);
const sizeSegment = fc.oneof(
  fc.constantFrom('64x64', '128x128', '256x256', '1200x630', '96x96', '1024x1024'),
  fc.constantFrom('129x128', '0x0', '128X128', '128x', 'x128', '99999x99999', '100000x1', '128x128x1', '0128x128'),
);
const preset = fc.constantFrom('thumb', 'avatar', 'card', 'og', 'icon', 'credited', 'THUMB', 'constructor', '__proto__', 'toString');
const variantName = fc
  .tuple(
    fc.constantFrom('64x64', '128x128', '640xauto', '192x192', '960xauto', '129x128', '1200x630'),
    fc.constantFrom('cover', 'contain', 'inside', 'fill', 'outside', 'zzz'),
    fc.constantFrom('', '-entropy', '-attention', '-centre', '-left'),
    fc.constantFrom('q75', 'q85', 'q40', 'q76', 'q0'),
    fc.constantFrom('', '-enlarge', '-copyright', '-enlarge-copyright'),
    fc.constantFrom('webp', 'avif', 'jpg', 'png', 'gif', 'jpeg', 'bmp'),
  )
  .map(([size, fit, pos, q, flags, ext]) => `${size}-${fit}${pos}-${q}${flags}.${ext}`);
const key = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/'));

const uri = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(sizeSegment, key).map(([s, k]) => `/${s}/${k}`) },
  { weight: 2, arbitrary: fc.tuple(preset, key).map(([p, k]) => `/${p}/${k}`) },
  { weight: 3, arbitrary: key.map((k) => `/${k}`) },
  { weight: 2, arbitrary: fc.tuple(key, variantName).map(([k, v]) => `/_derived/${k}/${v}`) },
  { weight: 1, arbitrary: fc.constantFrom('/', '//', '/_derived', '/_derived/', '/private/vault.jpg', '/%70rivate/vault.jpg', 'photos/cat.jpg', '/?') },
);

const paramValue: Record<string, fc.Arbitrary<string>> = {
  w: fc.constantFrom('64', '128', '160', '320', '640', '129', '0', '-1', '1e3', '12.5', '99999', '100000', ''),
  h: fc.constantFrom('64', '128', '630', '129', '0', 'auto', ''),
  fit: fc.constantFrom('cover', 'contain', 'inside', 'outside', 'fill', 'COVER', 'none', ''),
  pos: fc.constantFrom('centre', 'center', 'entropy', 'attention', 'left', 'constructor', ''),
  fm: fc.constantFrom('auto', 'webp', 'avif', 'jpg', 'jpeg', 'png', 'gif', 'bmp', 'toString', ''),
  q: fc.constantFrom('40', '50', '60', '75', '85', '95', '76', '0', '100', ''),
  dpr: fc.constantFrom('1', '1.5', '2', '3', '3.01', '0.5', '4', '1.', '2.55', '1.005', ''),
};
const pair = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(...Object.keys(paramValue)).chain((name) => (paramValue[name] as fc.Arbitrary<string>).map((value) => `${name}=${value}`)),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('v=2', 'utm_source=x', 'W=128', 'w', '=128', 'w%3D128', '%77=128', 'w=%31%32%38', 'w=128+', 'h=%2B1', 'fm=web%70', '&', 'q=%ff'),
  },
);
const querystring = fc.oneof(
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 5, arbitrary: fc.array(pair, { minLength: 1, maxLength: 5 }).map((pairs) => pairs.join('&')) },
);
const accept = fc.option(
  fc.oneof(
    fc.constantFrom(
      'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8',
      'image/webp,*/*',
      'image/png,image/*;q=0.8,*/*;q=0.5',
      '*/*',
      'IMAGE/AVIF',
      'image/avif;q=0',
      'image/avif;q=0.0, image/webp;q=1',
      'image/webp;q=abc',
      '',
    ),
    fc
      .array(fc.constantFrom('image/avif', 'image/webp', 'image/jpeg', 'image/*', 'text/html', ' image/webp ', 'image/avif;q=0', 'image/webp; q=0.5'), {
        maxLength: 4,
      })
      .map((a) => a.join(',')),
  ),
  { nil: undefined },
);
const method = fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'OPTIONS');

const cases: fc.Arbitrary<Case> = fc.record({ method, uri, querystring, accept });

describe('image-request: the Lambda@Edge handler and the CloudFront Function give the same answers', () => {
  it(`on ${RUNS} generated URL / query / Accept cases`, async () => {
    let refused = 0;
    let rewritten = 0;
    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        const [a, b] = [await viaLambda(c), await viaCloudFront(c)];
        expect(b).toEqual(a);
        if (a.kind === 'response') refused++;
        else rewritten++;
      }),
      { numRuns: RUNS },
    );
    // Both kinds of answer are exercised in quantity, not only one of them.
    expect(refused).toBeGreaterThan(RUNS / 10);
    expect(rewritten).toBeGreaterThan(RUNS / 10);
  }, 600_000);

  it('on every entry of the bad-input corpus', async () => {
    const entries = CORPUS.filter((entry) => entry.raw === undefined);
    expect(entries.length).toBeGreaterThan(50);
    for (const entry of entries) {
      const at = entry.path.indexOf('?');
      const headerAccept = Object.entries(entry.headers ?? {}).find(([k]) => k.toLowerCase() === 'accept')?.[1];
      const c: Case = {
        method: entry.method ?? 'GET',
        uri: at === -1 ? entry.path : entry.path.slice(0, at),
        querystring: at === -1 ? '' : entry.path.slice(at + 1),
        accept: headerAccept,
      };
      expect({ entry: entry.name, answer: await viaCloudFront(c) }).toEqual({ entry: entry.name, answer: await viaLambda(c) });
    }
  });
});
