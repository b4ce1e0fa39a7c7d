/**
 * The local edge against the rules table (infra/local/rules/table.ts), over real HTTP: each test
 * carries the id of the row it proves. Two recording origins on loopback answer what a path asks
 * for; recorder functions sit in the event slots and change what a test tells them to.
 */
import { request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { CloudFrontRequestEvent, CloudFrontResponseEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BehaviorSpec, CachePolicySpec, DistributionSpec } from '../../infra/distribution.ts';
import { TRANSIENT_ERROR_STATUSES, distribution, imageCachePolicy } from '../../infra/distribution.ts';
import { startEdge } from '../../infra/local/edge.ts';
import type { Edge, EdgeOptions } from '../../infra/local/edge.ts';
import { listen } from '../../infra/serve/listen.ts';
import { get, rawGet } from '../support/http.ts';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

interface Recorder {
  readonly url: string;
  readonly seen: Seen[];
  close(): Promise<void>;
}

const SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">${'<circle cx="50" cy="50" r="40"/>'.repeat(80)}</svg>`;
const NOT_FOUND = `<html><body><h1>404 Not Found</h1>${'<p>The object is not here.</p>'.repeat(60)}</body></html>`;

/** What an origin path asks for: `/svg/...`, `/jpeg/...`, `/404/...`, `/ttl-<s>/...`, `/flaky/...` (set by the test). */
const flaky = new Map<string, { status: number; cacheControl: string }>();

async function recordingOrigin(name: string): Promise<Recorder> {
  const seen: Seen[] = [];
  const server = (await import('node:http')).createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      const url = req.url ?? '/';
      const send = (status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}) => {
        const bytes = Buffer.from(body);
        res.writeHead(status, { 'Content-Type': type, 'Content-Length': String(bytes.byteLength), ETag: '"v1"', ...extra });
        res.end(req.method === 'HEAD' ? undefined : bytes);
      };
      const state = flaky.get(url);
      if (state) return send(state.status, 'text/plain', `${name} ${state.status} ${url}`, { 'Cache-Control': state.cacheControl });
      if (url.startsWith('/svg/')) return send(200, 'image/svg+xml', SVG, { 'Cache-Control': 'max-age=600' });
      if (url.startsWith('/jpeg/')) return send(200, 'image/jpeg', Buffer.alloc(5000, 7), { 'Cache-Control': 'max-age=600' });
      if (url.startsWith('/404/')) return send(404, 'text/html', NOT_FOUND);
      if (url.startsWith('/slow/')) return setTimeout(() => send(200, 'text/plain', `${name} slow ${url}`, { 'Cache-Control': 'max-age=600' }), 300);
      return send(200, 'text/plain', `${name} ${req.method} ${url}`, { 'Cache-Control': 'max-age=600' });
    });
  });
  const address = await listen(server, 0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${address.port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let main: Recorder;
let other: Recorder;
beforeAll(async () => {
  main = await recordingOrigin('main');
  other = await recordingOrigin('other');
});
afterAll(async () => {
  await main?.close();
  await other?.close();
});

// The image behaviors' cache policy: the canonical URI plus the normalized Accept-Encoding.
const CACHED: CachePolicySpec = imageCachePolicy;
const NO_CACHE: CachePolicySpec = { ...CACHED, defaultTtl: 0, minTtl: 0, maxTtl: 0, enableAcceptEncodingGzip: false, enableAcceptEncodingBrotli: false };

type Fn = (event: CloudFrontRequestEvent & CloudFrontResponseEvent) => unknown;
interface Calls {
  viewerRequest: CloudFrontRequestEvent[];
  originRequest: CloudFrontRequestEvent[];
  originResponse: CloudFrontResponseEvent[];
}

const edges: Edge[] = [];
afterEach(async () => {
  while (edges.length > 0) await edges.pop()!.close();
});

/** An edge with one behavior on the `main` origin (and `other` reachable by domain), recorders in three slots. */
async function edgeWith(
  options: { behavior?: Partial<BehaviorSpec>; originRequest?: Fn; viewerRequest?: Fn; edge?: Partial<EdgeOptions>; spec?: Partial<DistributionSpec> } = {},
) {
  const calls: Calls = { viewerRequest: [], originRequest: [], originResponse: [] };
  const spec: DistributionSpec = {
    ...distribution,
    origins: [
      { kind: 'custom', id: 'main', domainName: 'main.example.test', port: 80, protocol: 'http' },
      { kind: 'custom', id: 'other', domainName: 'other.example.test', port: 80, protocol: 'http' },
    ],
    originGroups: [],
    behaviors: [
      {
        pathPattern: '*',
        target: 'main',
        allowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
        cachePolicy: CACHED,
        originRequestPolicy: { headers: ['CloudFront-Viewer-Country'] },
        compress: true,
        functions: { 'viewer-request': 'image-request', 'origin-request': 'geo-route', 'origin-response': 'image-resize' },
        ...options.behavior,
      },
    ],
    ...options.spec,
  };
  const edge = await startEdge({
    spec,
    functions: {
      'image-request': (event: CloudFrontRequestEvent & CloudFrontResponseEvent) => {
        calls.viewerRequest.push(structuredClone(event));
        return options.viewerRequest ? options.viewerRequest(event) : event.Records[0]!.cf.request;
      },
      'geo-route': (event: CloudFrontRequestEvent & CloudFrontResponseEvent) => {
        calls.originRequest.push(structuredClone(event));
        return options.originRequest ? options.originRequest(event) : event.Records[0]!.cf.request;
      },
      'image-resize': (event: CloudFrontResponseEvent) => {
        calls.originResponse.push(structuredClone(event));
        return event.Records[0]!.cf.response;
      },
    },
    endpoints: { main: main.url, other: other.url },
    originTimeouts: { connectMs: 500, connectAttempts: 1, readMs: 2000 },
    ...options.edge,
  });
  edges.push(edge);
  return { edge, calls };
}

let unique = 0;
const fresh = (prefix: string) => `/${prefix}/${++unique}-${Date.now()}`;
const seenAt = (recorder: Recorder, url: string) => recorder.seen.filter((s) => s.url === url);

/** A raw request with a body (fetch refuses a GET with one). */
function sendWithBody(
  base: string,
  path: string,
  method: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, path, method, headers: { 'Content-Length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the request as it arrives', () => {
  it('[req.url-length] answers 413 to a URL over 8,192 bytes and serves one at the limit', async () => {
    const { edge } = await edgeWith();
    const path = fresh('long');
    const at = `${path}?q=${'a'.repeat(8192 - path.length - 3)}`;
    expect(Buffer.byteLength(at)).toBe(8192);
    expect((await rawGet(edge.url, at)).status).toBe(200);
    const over = await rawGet(edge.url, `${at}b`);
    expect(over.status).toBe(413);
    expect(seenAt(main, `${path}`).length + main.seen.filter((s) => s.url.startsWith(`${path}?`)).length).toBe(1);
  });

  it('[req.request-length] answers 413 to a request over 20,480 bytes, not Node\u2019s 431, and serves one under it', async () => {
    const { edge } = await edgeWith();
    const under = await rawGet(edge.url, fresh('headers'), { 'X-Pad': 'a'.repeat(19_000) });
    expect(under.status).toBe(200);
    const over = await rawGet(edge.url, fresh('headers'), { 'X-Pad': 'a'.repeat(20_500) });
    expect(over.status).toBe(413);
    expect(over.headers.get('x-cache')).toBe('Error from cloudfront');
  });

  it('[req.get-body] answers 403 to a GET with a body, and no function or origin sees it', async () => {
    const { edge, calls } = await edgeWith();
    const path = fresh('get-body');
    const response = await sendWithBody(edge.url, path, 'GET', 'payload');
    expect(response.status).toBe(403);
    expect(calls.viewerRequest).toHaveLength(0);
    expect(seenAt(main, path)).toHaveLength(0);
    expect((await sendWithBody(edge.url, fresh('post-body'), 'POST', 'payload')).status).toBe(200);
  });

  it('[req.methods] answers 403 to a method the behavior does not allow', async () => {
    const { edge } = await edgeWith({ behavior: { allowedMethods: ['GET', 'HEAD'] } });
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
      const response = await get(`${edge.url}${fresh('method')}`, {}, method);
      expect(response.status, method).toBe(403);
      expect(response.body.toString()).toMatch(/not configured to allow the HTTP request method/);
    }
  });
});

describe('what reaches the origin', () => {
  it('[fwd.origin-functions-see-forwarded] shows origin functions the forwarded set, which the origin then receives', async () => {
    const { edge, calls } = await edgeWith();
    const path = fresh('forwarded');
    await get(`${edge.url}${path}?w=128&utm=x`, {
      Accept: 'image/webp',
      'Accept-Language': 'de',
      Referer: 'https://site.example/',
      Cookie: 'session=abc',
      'User-Agent': 'Mozilla/5.0 (test)',
      'Accept-Encoding': 'gzip, deflate, br',
      'x-local-viewer-country': 'DE',
    });
    const viewer = calls.viewerRequest[0]!.Records[0]!.cf.request;
    expect(viewer.headers['referer']?.[0]?.value).toBe('https://site.example/');
    expect(viewer.querystring).toBe('w=128&utm=x');
    const origin = calls.originRequest[0]!.Records[0]!.cf.request;
    expect(Object.keys(origin.headers).sort()).toEqual(['accept-encoding', 'cloudfront-viewer-country', 'host', 'user-agent', 'via', 'x-forwarded-for']);
    expect(origin.headers['user-agent']?.[0]?.value).toBe('Amazon CloudFront');
    expect(origin.headers['accept-encoding']?.[0]?.value).toBe('br,gzip');
    expect(origin.headers['host']?.[0]?.value).toBe('main.example.test');
    expect(origin.headers['x-forwarded-for']?.[0]?.value).toBe('127.0.0.1');
    expect(origin.querystring).toBe('');
    const response = calls.originResponse[0]!.Records[0]!.cf.request;
    expect(Object.keys(response.headers).sort()).toEqual(Object.keys(origin.headers).sort());
    const received = seenAt(main, path)[0]!;
    expect(received.headers['user-agent']).toBe('Amazon CloudFront');
    expect(received.headers['cookie']).toBeUndefined();
    expect(received.headers['referer']).toBeUndefined();
    expect(received.headers['accept']).toBeUndefined();
    expect(received.headers['cloudfront-viewer-country']).toBe('DE');
    expect(received.headers['via']).toBe('1.1 local.cloudfront.net (CloudFront)');
  });

  it('[fwd.x-amz-cf-id] sends X-Amz-Cf-Id to the origin (the request id of every event), never to a function', async () => {
    const { edge, calls } = await edgeWith();
    const path = fresh('cf-id');
    const response = await get(`${edge.url}${path}`);
    const id = calls.originRequest[0]!.Records[0]!.cf.config.requestId;
    expect(seenAt(main, path)[0]!.headers['x-amz-cf-id']).toBe(id);
    expect(response.headers.get('x-amz-cf-id')).toBe(id);
    expect(calls.originRequest[0]!.Records[0]!.cf.request.headers['x-amz-cf-id']).toBeUndefined();
    expect(calls.originResponse[0]!.Records[0]!.cf.request.headers['x-amz-cf-id']).toBeUndefined();
  });
});

describe('the cache', () => {
  it('[cache.head-from-get] answers HEAD from the GET entry, without a body; a HEAD miss is stored for HEADs', async () => {
    const { edge } = await edgeWith();
    const path = fresh('head');
    const got = await get(`${edge.url}${path}`);
    const head = await get(`${edge.url}${path}`, {}, 'HEAD');
    expect(head.headers.get('x-cache')).toBe('Hit from cloudfront');
    expect(head.headers.get('content-length')).toBe(String(got.body.byteLength));
    expect(head.body.byteLength).toBe(0);
    expect(seenAt(main, path)).toHaveLength(1);
    const headFirst = fresh('head-first');
    expect((await get(`${edge.url}${headFirst}`, {}, 'HEAD')).headers.get('x-cache')).toBe('Miss from cloudfront');
    // The second HEAD is a hit: the origin sees one HEAD.
    const again = await get(`${edge.url}${headFirst}`, {}, 'HEAD');
    expect(again.headers.get('x-cache')).toBe('Hit from cloudfront');
    expect(again.body.byteLength).toBe(0);
    // A GET never gets the bodiless HEAD entry: it goes to the origin, and HEADs then use its entry.
    const body = await get(`${edge.url}${headFirst}`);
    expect(body.headers.get('x-cache')).toBe('Miss from cloudfront');
    expect(body.body.byteLength).toBeGreaterThan(0);
    expect(seenAt(main, headFirst).map((s) => s.method)).toEqual(['HEAD', 'GET']);
  });

  it('[cache.options-key] caches OPTIONS only when the behavior caches it, in an entry of its own', async () => {
    const plain = await edgeWith();
    const path = fresh('options');
    await get(`${plain.edge.url}${path}`, {}, 'OPTIONS');
    expect((await get(`${plain.edge.url}${path}`, {}, 'OPTIONS')).headers.get('x-cache')).toBe('Miss from cloudfront');
    const cached = await edgeWith({ behavior: { cachedMethods: ['GET', 'HEAD', 'OPTIONS'] } });
    const other = fresh('options');
    expect((await get(`${cached.edge.url}${other}`, {}, 'OPTIONS')).headers.get('x-cache')).toBe('Miss from cloudfront');
    expect((await get(`${cached.edge.url}${other}`, {}, 'OPTIONS')).headers.get('x-cache')).toBe('Hit from cloudfront');
    const getAfter = await get(`${cached.edge.url}${other}`);
    expect(getAfter.headers.get('x-cache')).toBe('Miss from cloudfront');
    expect(getAfter.body.toString()).toBe(`main GET ${other}`);
    expect(seenAt(main, other).map((s) => s.method)).toEqual(['OPTIONS', 'GET']);
  });

  it('[cache.stale-on-5xx] serves the expired object when the origin answers 5xx, unless stale-if-error has run out', async () => {
    let clock = Date.parse('2026-12-03T12:00:00Z');
    // CloudFront's default error caching (10 s for every status), not the distribution's 0 for its transient errors.
    const { edge } = await edgeWith({ edge: { now: () => clock }, spec: { errorCaching: [] } });
    const path = fresh('stale');
    flaky.set(path, { status: 200, cacheControl: 'max-age=60' });
    expect((await get(`${edge.url}${path}`)).body.toString()).toBe(`main 200 ${path}`);
    clock += 61_000;
    flaky.set(path, { status: 503, cacheControl: 'no-store' });
    const stale = await get(`${edge.url}${path}`);
    expect([stale.status, stale.body.toString(), stale.headers.get('x-cache')]).toEqual([200, `main 200 ${path}`, 'Hit from cloudfront']);
    // Kept for the error caching minimum TTL (10 s): no origin request meanwhile.
    clock += 5_000;
    expect((await get(`${edge.url}${path}`)).status).toBe(200);
    expect(seenAt(main, path)).toHaveLength(2);
    // A 4xx is not covered: it replaces the object.
    clock += 10_000;
    flaky.set(path, { status: 404, cacheControl: 'max-age=1' });
    expect((await get(`${edge.url}${path}`)).status).toBe(404);

    const limited = fresh('stale-limited');
    flaky.set(limited, { status: 200, cacheControl: 'max-age=60, stale-if-error=0' });
    await get(`${edge.url}${limited}`);
    clock += 61_000;
    flaky.set(limited, { status: 503, cacheControl: 'no-store' });
    expect((await get(`${edge.url}${limited}`)).status).toBe(503);
  });

  it('[cache.error-ttl-zero] does not keep the transient errors the distribution gives an error-caching minimum TTL of 0 (500, 502, 503)', async () => {
    expect(distribution.errorCaching).toEqual(TRANSIENT_ERROR_STATUSES.map((errorCode) => ({ errorCode, errorCachingMinTtl: 0 })));
    expect(TRANSIENT_ERROR_STATUSES).toEqual([500, 502, 503]);
    const { edge } = await edgeWith();
    for (const status of TRANSIENT_ERROR_STATUSES) {
      const path = fresh(`transient-${status}`);
      flaky.set(path, { status, cacheControl: 'no-store' });
      const first = await get(`${edge.url}${path}`);
      const second = await get(`${edge.url}${path}`);
      expect([first.status, second.status, second.headers.get('x-cache')]).toEqual([status, status, 'Miss from cloudfront']);
      // The viewer's retry reaches the origin; a cured error is served at once.
      flaky.set(path, { status: 200, cacheControl: 'max-age=60' });
      expect((await get(`${edge.url}${path}`)).status).toBe(200);
      expect(seenAt(main, path)).toHaveLength(3);
    }
    // Under CloudFront's default (10 s for every status) the same 503 sticks.
    const sticky = await edgeWith({ spec: { errorCaching: [] } });
    const path = fresh('sticky-503');
    flaky.set(path, { status: 503, cacheControl: 'no-store' });
    await get(`${sticky.edge.url}${path}`);
    expect((await get(`${sticky.edge.url}${path}`)).headers.get('x-cache')).toBe('Hit from cloudfront');
    expect(seenAt(main, path)).toHaveLength(1);
  });

  it('[cache.collapsing] collapses simultaneous misses into one origin request, but not under CachingDisabled', async () => {
    const cached = await edgeWith();
    const path = fresh('slow');
    const answers = await Promise.all(Array.from({ length: 5 }, () => get(`${cached.edge.url}${path}`)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(seenAt(main, path)).toHaveLength(1);
    expect(answers.filter((a) => a.headers.get('x-cache') === 'Miss from cloudfront')).toHaveLength(1);
    const disabled = await edgeWith({ behavior: { cachePolicy: NO_CACHE } });
    const other = fresh('slow');
    await Promise.all(Array.from({ length: 3 }, () => get(`${disabled.edge.url}${other}`)));
    expect(seenAt(main, other)).toHaveLength(3);
  });
});

describe('compression, end to end', () => {
  // rawGet, not fetch: fetch would decode the body and hide the coding.
  it('[gzip.served] sends an SVG and a text error page compressed, a JPEG as it is, keyed on the normalized coding', async () => {
    const { edge } = await edgeWith();
    const svg = fresh('svg');
    const br = await rawGet(edge.url, svg, { 'Accept-Encoding': 'gzip, deflate, br' });
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(br.headers.get('etag')).toBe('W/"v1"');
    expect(brotliDecompressSync(br.body).toString()).toBe(SVG);
    expect((await rawGet(edge.url, svg, { 'Accept-Encoding': 'br, gzip' })).headers.get('x-cache')).toBe('Hit from cloudfront');
    const gzip = await rawGet(edge.url, svg, { 'Accept-Encoding': 'gzip' });
    expect([gzip.headers.get('x-cache'), gzip.headers.get('content-encoding')]).toEqual(['Miss from cloudfront', 'gzip']);
    expect(gunzipSync(gzip.body).toString()).toBe(SVG);
    const identity = await rawGet(edge.url, svg, { 'Accept-Encoding': 'identity' });
    expect([identity.headers.get('content-encoding'), identity.body.toString()]).toEqual([null, SVG]);
    expect(seenAt(main, svg).map((s) => s.headers['accept-encoding'])).toEqual(['br,gzip', 'gzip', 'identity']);

    const notFound = await rawGet(edge.url, fresh('404'), { 'Accept-Encoding': 'gzip' });
    expect([notFound.status, notFound.headers.get('content-encoding')]).toEqual([404, 'gzip']);
    expect(gunzipSync(notFound.body).toString()).toBe(NOT_FOUND);
    const jpeg = await rawGet(edge.url, fresh('jpeg'), { 'Accept-Encoding': 'gzip, br' });
    expect([jpeg.headers.get('content-encoding'), jpeg.body.byteLength]).toEqual([null, 5000]);
    const off = await edgeWith({ behavior: { compress: false } });
    expect((await rawGet(off.edge.url, fresh('svg'), { 'Accept-Encoding': 'br' })).headers.get('content-encoding')).toBeNull();
  });
});

describe('what origin-request functions change', () => {
  it('[fn.origin-honoured] sends the request to the origin, path and custom headers the function set', async () => {
    const { edge } = await edgeWith({
      originRequest: (event) => {
        const request = event.Records[0]!.cf.request;
        request.origin = {
          custom: {
            domainName: 'other.example.test',
            port: 443,
            protocol: 'https',
            path: '/v2',
            sslProtocols: ['TLSv1.2'],
            readTimeout: 30,
            keepaliveTimeout: 5,
            customHeaders: { 'x-origin-token': [{ key: 'X-Origin-Token', value: 's3cr3t' }] },
          },
        };
        request.headers['host'] = [{ key: 'Host', value: 'other.example.test' }];
        return request;
      },
    });
    const path = fresh('honoured');
    const response = await get(`${edge.url}${path}`);
    expect(response.headers.get('x-local-origin')).toBe('other');
    const received = seenAt(other, `/v2${path}`)[0]!;
    expect(received.headers['x-origin-token']).toBe('s3cr3t');
    expect(received.headers['host']).toBe('other.example.test');
    expect(seenAt(main, path)).toHaveLength(0);
  });

  it('[fn.body-sent] sends the body an origin-request function replaced', async () => {
    const { edge } = await edgeWith({
      originRequest: (event) => {
        const request = event.Records[0]!.cf.request;
        request.body = { action: 'replace', data: Buffer.from('replaced body').toString('base64'), encoding: 'base64', inputTruncated: false };
        return request;
      },
    });
    const path = fresh('body');
    await sendWithBody(edge.url, path, 'POST', 'original body', { 'Content-Type': 'text/plain' });
    expect(seenAt(main, path)[0]!.body).toBe('replaced body');
  });
});

describe('what functions can and cannot change', () => {
  it('[fn.uri-no-rebehavior] keeps the behavior and origin of the viewer path when viewer-request rewrites the URI', async () => {
    const { edge, calls } = await edgeWith({
      viewerRequest: (event) => {
        const request = event.Records[0]!.cf.request;
        request.uri = request.uri.replace('/public/', '/private/');
        return request;
      },
      spec: {
        behaviors: [
          { pathPattern: '/private/*', target: 'other', allowedMethods: ['GET', 'HEAD'], cachePolicy: CACHED, functions: {} },
          {
            pathPattern: '*',
            target: 'main',
            allowedMethods: ['GET', 'HEAD'],
            cachePolicy: CACHED,
            functions: { 'viewer-request': 'image-request', 'origin-request': 'geo-route' },
          },
        ],
      },
    });
    const path = fresh('public');
    const response = await get(`${edge.url}${path}`);
    const rewritten = path.replace('/public/', '/private/');
    expect(response.headers.get('x-local-origin')).toBe('main');
    expect(seenAt(main, rewritten)).toHaveLength(1);
    expect(seenAt(other, rewritten)).toHaveLength(0);
    expect(calls.originRequest).toHaveLength(1);
  });

  it('[fn.viewer-response-skip] runs viewer-response below 400 only, origin-response for every status', async () => {
    const viewerResponses: string[] = [];
    const { edge, calls } = await edgeWith({
      behavior: { functions: { 'origin-response': 'image-resize', 'viewer-response': 'signed-url' } },
      edge: {
        functions: {
          'image-resize': (event: CloudFrontResponseEvent) => {
            calls.originResponse.push(structuredClone(event));
            return event.Records[0]!.cf.response;
          },
          'signed-url': (event: CloudFrontResponseEvent) => {
            viewerResponses.push(event.Records[0]!.cf.response.status);
            return event.Records[0]!.cf.response;
          },
        },
      },
    });
    await get(`${edge.url}${fresh('ok')}`);
    await get(`${edge.url}${fresh('404')}`);
    expect(viewerResponses).toEqual(['200']);
    expect(calls.originResponse.map((e) => e.Records[0]!.cf.response.status)).toEqual(['200', '404']);
  });

  it('[fn.viewer-response-event] gives viewer-response the status and its reason phrase, "OK" for a 200, as AWS\'s example event does', async () => {
    const seen: { status: string; statusDescription: string }[] = [];
    const { edge } = await edgeWith({
      behavior: { functions: { 'viewer-response': 'signed-url' } },
      edge: {
        functions: {
          'signed-url': (event: CloudFrontResponseEvent) => {
            const { status, statusDescription } = event.Records[0]!.cf.response;
            seen.push({ status, statusDescription });
            return event.Records[0]!.cf.response;
          },
        },
      },
    });
    await get(`${edge.url}${fresh('described')}`);
    expect(seen).toEqual([{ status: '200', statusDescription: 'OK' }]);
  });

  it('[fn.generated-not-cached] runs viewer-request for every request when it generates the response, and caches nothing', async () => {
    const { edge, calls } = await edgeWith({
      viewerRequest: () => ({ status: '200', headers: { 'cache-control': [{ value: 'max-age=3600' }] }, body: 'generated' }),
    });
    const path = fresh('generated');
    for (let i = 0; i < 2; i++) {
      const response = await get(`${edge.url}${path}`);
      expect([response.body.toString(), response.headers.get('x-cache')]).toEqual(['generated', 'LambdaGeneratedResponse from cloudfront']);
    }
    expect(calls.viewerRequest).toHaveLength(2);
    expect(edge.cache.size).toBe(0);
  });
});

describe('quotas', () => {
  it('[quota.timeout] stops a viewer function after 5 s under strict quotas, lets it run under current ones', async () => {
    const sleepy: Fn = async (event) => {
      await new Promise((resolve) => setTimeout(resolve, 5_300));
      return event.Records[0]!.cf.request;
    };
    const spec = { functions: { ...distribution.functions, 'image-request': { memoryMb: 128, timeoutSeconds: 30 } } };
    const strict = await edgeWith({ viewerRequest: sleepy, spec });
    const timedOut = await get(`${strict.edge.url}${fresh('sleepy')}`);
    expect([timedOut.status, timedOut.headers.get('x-cache')]).toEqual([503, 'LambdaLimitExceeded from cloudfront']);
    const current = await edgeWith({ viewerRequest: sleepy, spec, edge: { quotas: 'current' } });
    expect((await get(`${current.edge.url}${fresh('sleepy')}`)).status).toBe(200);
  }, 30_000);
});
