/**
 * The origin group on the local edge, as CloudFront runs it: failover on the listed status codes
 * only, on a refused connection only if 503 is listed, on a timeout only if 504 is; GET and HEAD
 * (and OPTIONS when cached) only; origin-request runs again for the secondary. Then the dev switch
 * that makes the primary fail, and a thumbnail served by the HTTP image origin when S3 is down.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { CloudFrontRequestEvent, CloudFrontResponseEvent } from 'aws-lambda';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../functions/adapters/image/render.ts';
import { s3ClientConfig, s3Store } from '../../functions/adapters/s3/store.ts';
import type { LogLine } from '../../functions/core/log.ts';
import { createHandler as geoRoute } from '../../functions/geo-route/handler.ts';
import { createHandler as imageRequest } from '../../functions/image-request/handler.ts';
import { createHandler as imageResize } from '../../functions/image-resize/handler.ts';
import { geoRouteConfig, imageRequestConfig, imageResizeConfig } from '../../infra/config.ts';
import { distribution, tunables } from '../../infra/distribution.ts';
import type { BehaviorSpec, CachePolicySpec, DistributionSpec, OriginGroupSpec } from '../../infra/distribution.ts';
import { startEdge } from '../../infra/local/edge.ts';
import type { Edge, EdgeOptions, RequestTrace } from '../../infra/local/edge.ts';
import { startLocalStack } from '../../infra/local-stack.ts';
import type { LocalStack } from '../../infra/local-stack.ts';
import { startImageOrigin } from '../../infra/origin/server.ts';
import { directoryStore } from '../../infra/origin/store.ts';
import { cloudFrontFunctionsFor } from '../support/cloudfront-functions.ts';
import { ACCEPT_WEBP, get } from '../support/http.ts';

/** CloudFront's CachingDisabled: every TTL 0, nothing in the key. */
const NO_CACHE: CachePolicySpec = {
  defaultTtl: 0,
  minTtl: 0,
  maxTtl: 0,
  headers: [],
  cookies: { behavior: 'none' },
  queryStrings: { behavior: 'none' },
  enableAcceptEncodingGzip: false,
  enableAcceptEncodingBrotli: false,
};

// ---------------------------------------------------------------------------------------------
// Two real origins on loopback and recording functions

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly host: string | undefined;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
  const seen: Seen[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method ?? '', url: req.url ?? '', host: req.headers.host, headers: req.headers, body });
      handler(req, res, body);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port with nothing listening: connections to it are refused. */
async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

let primary: Awaited<ReturnType<typeof listen>>;
let secondary: Awaited<ReturnType<typeof listen>>;
let refused: string;

beforeAll(async () => {
  // The primary answers /status/<code>/..., never answers /hang/..., and 200 otherwise.
  primary = await listen((req, res, body) => {
    const status = /^\/status\/(\d{3})\//.exec(req.url ?? '')?.[1];
    if (req.url?.startsWith('/hang/')) return;
    res.writeHead(status ? Number(status) : 200, { 'Content-Type': 'text/plain' });
    res.end(`primary ${req.method} ${req.url}${body ? ` ${body}` : ''}`);
  });
  secondary = await listen((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(`secondary ${req.method} ${req.url}`);
  });
  refused = await closedPort();
});
afterAll(async () => {
  await primary?.close();
  await secondary?.close();
});

type Calls = { viewerRequest: CloudFrontRequestEvent[]; originRequest: CloudFrontRequestEvent[]; originResponse: CloudFrontResponseEvent[] };

const edges: Edge[] = [];
afterEach(async () => {
  while (edges.length > 0) await edges.pop()!.close();
});

/**
 * An edge whose one behavior targets a group of the two loopback origins. The function slots hold
 * recorders (registered under the real names; they change nothing).
 */
async function groupEdge(
  options: { codes?: OriginGroupSpec['failoverStatusCodes']; behavior?: Partial<BehaviorSpec>; primaryAt?: string; edge?: Partial<EdgeOptions> } = {},
) {
  const calls: Calls = { viewerRequest: [], originRequest: [], originResponse: [] };
  const traces: RequestTrace[] = [];
  const spec: DistributionSpec = {
    ...distribution,
    origins: [
      { kind: 'custom', id: 'primary', domainName: 'primary.example.test', port: 80, protocol: 'http' },
      { kind: 'custom', id: 'secondary', domainName: 'secondary.example.test', port: 80, protocol: 'http' },
    ],
    originGroups: [{ id: 'group', primary: 'primary', secondary: 'secondary', failoverStatusCodes: options.codes ?? [500, 502, 503, 504] }],
    behaviors: [
      {
        pathPattern: '*',
        target: 'group',
        allowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
        cachePolicy: { ...NO_CACHE, queryStrings: { behavior: 'all' } },
        originRequestPolicy: { headers: ['CloudFront-Viewer-Country', 'CloudFront-Viewer-Country-Region'] },
        functions: { 'viewer-request': 'image-request', 'origin-request': 'geo-route', 'origin-response': 'image-resize' },
        ...options.behavior,
      },
    ],
  };
  const edge = await startEdge({
    spec,
    functions: {
      'image-request': (event: CloudFrontRequestEvent) => {
        calls.viewerRequest.push(structuredClone(event));
        return event.Records[0]!.cf.request;
      },
      'geo-route': (event: CloudFrontRequestEvent) => {
        calls.originRequest.push(structuredClone(event));
        return event.Records[0]!.cf.request;
      },
      'image-resize': (event: CloudFrontResponseEvent) => {
        calls.originResponse.push(structuredClone(event));
        return event.Records[0]!.cf.response;
      },
    },
    endpoints: { primary: options.primaryAt ?? primary.url, secondary: secondary.url },
    originTimeouts: { connectMs: 500, connectAttempts: 2, readMs: 300 },
    onTrace: (trace) => traces.push(trace),
    ...options.edge,
  });
  edges.push(edge);
  return { edge, calls, traces };
}

let unique = 0;
const path_ = (prefix: string) => `${prefix}/${++unique}.jpg`;
const secondaryHits = (url: string) => secondary.seen.filter((s) => s.url === url).length;
const primaryHits = (url: string) => primary.seen.filter((s) => s.url === url).length;
const originDomains = (calls: Calls) => calls.originRequest.map((e) => e.Records[0]!.cf.request.origin?.custom?.domainName);

// ---------------------------------------------------------------------------------------------

describe('failover on status codes (the default group: 500, 502, 503, 504)', () => {
  it.each([500, 502, 503, 504])('fails over on %i, running origin-request again for the secondary', async (code) => {
    const { edge, calls, traces } = await groupEdge();
    const uri = path_(`/status/${code}`);
    const response = await get(`${edge.url}${uri}`);
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe(`secondary GET ${uri}`);
    expect(response.headers.get('x-local-origin')).toBe('secondary');
    expect(response.headers.get('x-local-failover')).toBe(`primary (${code})`);
    expect([primaryHits(uri), secondaryHits(uri)]).toEqual([1, 1]);
    // origin-request ran twice, each time with the origin it was about to reach and that origin's Host.
    expect(originDomains(calls)).toEqual(['primary.example.test', 'secondary.example.test']);
    expect(calls.originRequest.map((e) => e.Records[0]!.cf.request.headers['host']?.[0]?.value)).toEqual(['primary.example.test', 'secondary.example.test']);
    expect(secondary.seen.find((s) => s.url === uri)?.host).toBe('secondary.example.test');
    // By default origin-response runs once, on the response that is served.
    expect(calls.originResponse.map((e) => e.Records[0]!.cf.response.status)).toEqual(['200']);
    expect(traces.at(-1)).toMatchObject({ origin: 'secondary', failover: { from: 'primary', reason: String(code) }, status: 200 });
  });

  it.each([400, 403, 404, 416, 429])('does not fail over on %i: the primary answers', async (code) => {
    const { edge, calls } = await groupEdge();
    const uri = path_(`/status/${code}`);
    const response = await get(`${edge.url}${uri}`);
    expect(response.status).toBe(code);
    expect(response.headers.get('x-local-origin')).toBe('primary');
    expect(response.headers.get('x-local-failover')).toBeNull();
    expect(secondaryHits(uri)).toBe(0);
    expect(calls.originResponse.map((e) => e.Records[0]!.cf.response.status)).toEqual([String(code)]);
  });

  it.each([400, 403, 404, 416, 429])('fails over on %i when the group lists it', async (code) => {
    const { edge } = await groupEdge({ codes: [400, 403, 404, 416, 429] });
    const uri = path_(`/status/${code}`);
    const response = await get(`${edge.url}${uri}`);
    expect([response.status, response.headers.get('x-local-failover')]).toEqual([200, `primary (${code})`]);
  });

  it('passes a 5xx through when the group does not list it', async () => {
    const { edge } = await groupEdge({ codes: [503] });
    const uri = path_('/status/500');
    expect((await get(`${edge.url}${uri}`)).status).toBe(500);
    expect(secondaryHits(uri)).toBe(0);
  });
});

describe('failover on connection failure and timeout', () => {
  it('fails over when the primary refuses connections and 503 is listed', async () => {
    const { edge, calls } = await groupEdge({ primaryAt: refused });
    const uri = path_('/refused');
    const response = await get(`${edge.url}${uri}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-local-origin')).toBe('secondary');
    expect(response.headers.get('x-local-failover')).toMatch(/^primary \(connection failed \(ECONNREFUSED\), after 2 attempt\(s\)\)$/);
    expect(originDomains(calls)).toEqual(['primary.example.test', 'secondary.example.test']);
  });

  it('answers 502 for a refused connection when 503 is not listed, without origin-response', async () => {
    const { edge, calls } = await groupEdge({ primaryAt: refused, codes: [500, 502, 504] });
    const uri = path_('/refused');
    const response = await get(`${edge.url}${uri}`);
    expect(response.status).toBe(502);
    expect(response.headers.get('x-cache')).toBe('Error from cloudfront');
    expect(response.body.toString()).toContain('<H1>502 ERROR</H1>');
    expect(response.body.toString()).toContain('CloudFront wasn&#39;t able to connect to the origin.');
    expect(secondaryHits(uri)).toBe(0);
    expect(calls.originResponse).toHaveLength(0);
  });

  it('fails over when the primary does not answer within the read timeout and 504 is listed', async () => {
    const { edge } = await groupEdge();
    const uri = path_('/hang');
    const started = performance.now();
    const response = await get(`${edge.url}${uri}`);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-local-failover')).toBe('primary (no answer within 300 ms)');
    expect([primaryHits(uri), secondaryHits(uri)]).toEqual([1, 1]);
  });

  it('answers 504 for a timeout when 504 is not listed', async () => {
    const { edge } = await groupEdge({ codes: [500, 502, 503] });
    const uri = path_('/hang');
    const response = await get(`${edge.url}${uri}`);
    expect(response.status).toBe(504);
    expect(response.body.toString()).toContain('Gateway Timeout');
    expect(secondaryHits(uri)).toBe(0);
  });
});

describe('which methods fail over', () => {
  it.each(['POST', 'PUT', 'PATCH', 'DELETE'])('never fails over a %s, and forwards its body', async (method) => {
    const { edge, calls } = await groupEdge();
    const uri = path_('/status/503');
    const response = await fetch(`${edge.url}${uri}`, { method, body: 'payload=1', headers: { 'Content-Type': 'text/plain' } });
    expect(response.status).toBe(503);
    expect(await response.text()).toBe(`primary ${method} ${uri} payload=1`);
    expect(response.headers.get('x-local-failover')).toBeNull();
    expect(secondaryHits(uri)).toBe(0);
    expect(calls.originRequest).toHaveLength(1);
  });

  it('never fails over a POST on a refused connection either', async () => {
    const { edge } = await groupEdge({ primaryAt: refused });
    const uri = path_('/refused');
    const response = await fetch(`${edge.url}${uri}`, { method: 'POST', body: 'x' });
    expect(response.status).toBe(502);
    expect(secondaryHits(uri)).toBe(0);
  });

  it('fails over a HEAD', async () => {
    const { edge } = await groupEdge();
    const uri = path_('/status/502');
    const response = await get(`${edge.url}${uri}`, {}, 'HEAD');
    expect([response.status, response.headers.get('x-local-origin')]).toEqual([200, 'secondary']);
  });

  it('fails over an OPTIONS only when OPTIONS is a cached method', async () => {
    const notCached = await groupEdge();
    const uri = path_('/status/503');
    expect((await get(`${notCached.edge.url}${uri}`, {}, 'OPTIONS')).status).toBe(503);
    expect(secondaryHits(uri)).toBe(0);
    const cached = await groupEdge({ behavior: { cachedMethods: ['GET', 'HEAD', 'OPTIONS'] } });
    const response = await get(`${cached.edge.url}${uri}`, {}, 'OPTIONS');
    expect([response.status, response.headers.get('x-local-origin')]).toEqual([200, 'secondary']);
  });
});

describe('originResponseOnFailedPrimary (CloudFront leaves it undocumented)', () => {
  it('skip (the default): origin-response runs once, on the served response', async () => {
    const { edge, calls } = await groupEdge();
    await get(`${edge.url}${path_('/status/500')}`);
    expect(calls.originResponse.map((e) => [e.Records[0]!.cf.response.status, e.Records[0]!.cf.request.origin?.custom?.domainName])).toEqual([
      ['200', 'secondary.example.test'],
    ]);
  });

  it('run: origin-response also sees the failed response, whose result is discarded', async () => {
    const { edge, calls, traces } = await groupEdge({ edge: { originResponseOnFailedPrimary: 'run' } });
    const response = await get(`${edge.url}${path_('/status/500')}`);
    expect(response.status).toBe(200);
    expect(calls.originResponse.map((e) => [e.Records[0]!.cf.response.status, e.Records[0]!.cf.request.origin?.custom?.domainName])).toEqual([
      ['500', 'primary.example.test'],
      ['200', 'secondary.example.test'],
    ]);
    expect(traces.at(-1)?.functions.map((f) => f.eventType)).toEqual([
      'viewer-request',
      'origin-request',
      'origin-response',
      'origin-request',
      'origin-response',
    ]);
  });
});

describe('the dev switch x-local-fail-primary', () => {
  it('down: the primary refuses, the secondary answers, the primary is never contacted', async () => {
    const { edge, calls } = await groupEdge();
    const uri = path_('/ok');
    const response = await get(`${edge.url}${uri}`, { 'X-Local-Fail-Primary': 'down' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-local-failover')).toBe('primary (primary refused the connection (x-local-fail-primary: down))');
    expect(primaryHits(uri)).toBe(0);
    expect(originDomains(calls)).toEqual(['primary.example.test', 'secondary.example.test']);
  });

  it('a status: the primary answers it; failover only if the group lists it', async () => {
    const { edge } = await groupEdge();
    const five = await get(`${edge.url}${path_('/ok')}`, { 'x-local-fail-primary': '500' });
    expect([five.status, five.headers.get('x-local-failover')]).toEqual([200, 'primary (500)']);
    const notFound = await get(`${edge.url}${path_('/ok')}`, { 'x-local-fail-primary': '404' });
    expect([notFound.status, notFound.headers.get('x-local-origin')]).toEqual([404, 'primary']);
    expect(notFound.body.toString()).toBe('404 Not Found from primary (x-local-fail-primary: 404)\n');
  });

  it('slow: the primary times out after the read timeout, then the secondary answers', async () => {
    const { edge } = await groupEdge();
    const started = performance.now();
    const response = await get(`${edge.url}${path_('/ok')}`, { 'x-local-fail-primary': 'slow' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect([response.status, response.headers.get('x-local-failover')]).toEqual([
      200,
      'primary (primary did not answer within 300 ms (x-local-fail-primary: slow))',
    ]);
  });

  it('follows CloudFront rules: down without 503 listed is a 502', async () => {
    const { edge } = await groupEdge({ codes: [500] });
    expect((await get(`${edge.url}${path_('/ok')}`, { 'x-local-fail-primary': 'down' })).status).toBe(502);
  });

  it('works as a query flag too, removed before any function or origin sees it', async () => {
    const { edge, calls } = await groupEdge();
    const response = await get(`${edge.url}/ok/flag.jpg?v=2&x-local-fail-primary=503&w=1`);
    expect([response.status, response.headers.get('x-local-failover')]).toEqual([200, 'primary (503)']);
    expect(calls.viewerRequest[0]!.Records[0]!.cf.request.querystring).toBe('v=2&w=1');
    expect(secondary.seen.at(-1)?.url).toBe('/ok/flag.jpg?v=2&w=1');
  });

  it('can be set for every request (edge.simulate) and cleared per request with off', async () => {
    const { edge } = await groupEdge({ edge: { simulate: { failPrimary: 'down' } } });
    expect((await get(`${edge.url}${path_('/ok')}`)).headers.get('x-local-origin')).toBe('secondary');
    expect((await get(`${edge.url}${path_('/ok')}`, { 'x-local-fail-primary': 'off' })).headers.get('x-local-origin')).toBe('primary');
    edge.simulate.failPrimary = undefined;
    expect((await get(`${edge.url}${path_('/ok')}`)).headers.get('x-local-origin')).toBe('primary');
  });

  it('answers a value it does not know with a 400 from the local edge, before any function', async () => {
    const { edge, calls } = await groupEdge();
    const response = await get(`${edge.url}${path_('/ok')}`, { 'x-local-fail-primary': 'sometimes' });
    expect(response.status).toBe(400);
    expect(response.body.toString()).toBe(
      '400 local edge: Expected down, slow or an HTTP status from 400 to 599 for x-local-fail-primary but received "sometimes"\n',
    );
    expect(calls.viewerRequest).toHaveLength(0);
  });
});

describe('what functions and origins see of the dev switches', () => {
  it('viewer functions never see them; origin events get CloudFront-Viewer-Country, and origins too', async () => {
    const { edge, calls } = await groupEdge();
    const uri = path_('/ok');
    await get(`${edge.url}${uri}?x-local-viewer-country=us-ca`, { 'X-Local-Viewer-Country': 'DE', 'X-Local-Fail-Primary': 'off' });
    const viewer = calls.viewerRequest[0]!.Records[0]!.cf.request;
    expect(Object.keys(viewer.headers).filter((h) => h.startsWith('x-local-') || h.startsWith('cloudfront-viewer-'))).toEqual([]);
    expect(viewer.querystring).toBe('');
    const origin = calls.originRequest[0]!.Records[0]!.cf.request;
    // The query flag came after the header, so it wins: US with the region CA.
    expect(origin.headers['cloudfront-viewer-country']).toEqual([{ key: 'CloudFront-Viewer-Country', value: 'US' }]);
    expect(origin.headers['cloudfront-viewer-country-region']).toEqual([{ key: 'CloudFront-Viewer-Country-Region', value: 'CA' }]);
    expect(Object.keys(origin.headers).filter((h) => h.startsWith('x-local-'))).toEqual([]);
    const atOrigin = primary.seen.find((s) => s.url === uri)!;
    expect(atOrigin.headers['cloudfront-viewer-country']).toBe('US');
    expect(Object.keys(atOrigin.headers).filter((h) => h.startsWith('x-local-'))).toEqual([]);
  });

  it('viewer-response never sees the location headers either', async () => {
    const seen: CloudFrontResponseEvent[] = [];
    // A recorder on viewer-response (registered under the signed-url name; it changes nothing).
    const recorded = await startEdge({
      spec: {
        ...distribution,
        origins: [{ kind: 'custom', id: 'primary', domainName: 'primary.example.test', port: 80, protocol: 'http' }],
        originGroups: [],
        behaviors: [
          {
            pathPattern: '*',
            target: 'primary',
            allowedMethods: ['GET', 'HEAD'],
            cachePolicy: NO_CACHE,
            originRequestPolicy: { headers: ['CloudFront-Viewer-Country'] },
            functions: { 'viewer-response': 'signed-url' },
          },
        ],
      },
      functions: {
        'signed-url': (event: CloudFrontResponseEvent) => {
          seen.push(structuredClone(event));
          return event.Records[0]!.cf.response;
        },
      },
      endpoints: { primary: primary.url },
    });
    edges.push(recorded);
    const uri = path_('/ok');
    expect((await get(`${recorded.url}${uri}`, { 'x-local-viewer-country': 'DE' })).status).toBe(200);
    expect(primary.seen.find((s) => s.url === uri)?.headers['cloudfront-viewer-country']).toBe('DE');
    expect(seen).toHaveLength(1);
    expect(Object.keys(seen[0]!.Records[0]!.cf.request.headers).filter((h) => h.startsWith('cloudfront-viewer-') || h.startsWith('x-local-'))).toEqual([]);
  });

  it('a viewer cannot forge CloudFront-Viewer-Country for origin events', async () => {
    const { edge, calls } = await groupEdge();
    await get(`${edge.url}${path_('/ok')}`, { 'CloudFront-Viewer-Country': 'KR' });
    // As AWS documents: viewer-facing functions see the viewer's value, origin-facing ones CloudFront's.
    expect(calls.viewerRequest[0]!.Records[0]!.cf.request.headers['cloudfront-viewer-country']?.[0]?.value).toBe('KR');
    expect(calls.originRequest[0]!.Records[0]!.cf.request.headers['cloudfront-viewer-country']).toBeUndefined();
  });

  it('adds no location header when the origin request policy does not forward it', async () => {
    const { edge, calls } = await groupEdge({ behavior: { originRequestPolicy: { headers: [] } } });
    await get(`${edge.url}${path_('/ok')}`, { 'x-local-viewer-country': 'DE' });
    expect(calls.originRequest[0]!.Records[0]!.cf.request.headers['cloudfront-viewer-country']).toBeUndefined();
  });

  it('answers a malformed country with a 400 from the local edge', async () => {
    const { edge } = await groupEdge();
    const response = await get(`${edge.url}${path_('/ok')}`, { 'x-local-viewer-country': 'Germany' });
    expect(response.status).toBe(400);
    expect(response.body.toString()).toMatch(
      /Expected a country code such as DE, or a subdivision such as US-CA, for x-local-viewer-country but received "Germany"/,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The real pipeline: image-request, geo-route, image-resize, and the HTTP image origin

describe('a thumbnail when the primary is down', () => {
  let stack: LocalStack;
  const logs: LogLine[] = [];
  beforeAll(async () => {
    stack = await startLocalStack({ log: (line) => logs.push(line), originTimeouts: { connectMs: 500, connectAttempts: 1, readMs: 500 } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('is made by the secondary HTTP image origin, 200, when x-local-fail-primary says down', async () => {
    const response = await get(`${stack.edge.url}/128x128/photos/cat.jpg`, { Accept: ACCEPT_WEBP, 'x-local-fail-primary': 'down' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-local-origin')).toBe('image-origin');
    expect(response.headers.get('x-local-failover')).toMatch(/^images-s3 \(/);
    expect(response.headers.get('content-type')).toBe('image/webp');
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const meta = await sharp(response.body).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 128, 128]);
    // geo-route saw the secondary and left it alone; image-resize passed the custom origin's answer through.
    expect(logs.filter((l) => l.fn === 'geo-route').map((l) => l.outcome)).toEqual(['default', 'not-routed']);
    expect(logs.some((l) => l.fn === 'image-resize' && l.outcome === 'resized')).toBe(false);
    expect(logs.find((l) => l.fn === 'image-origin')).toMatchObject({ outcome: 'resized', status: 200 });
  });

  it('fails over from the geo-routed bucket too (DE -> images-s3-eu, down -> image-origin)', async () => {
    const response = await get(`${stack.edge.url}/256x256/photos/cat.jpg`, {
      Accept: ACCEPT_WEBP,
      'x-local-fail-primary': 'down',
      'x-local-viewer-country': 'DE',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-local-origin')).toBe('image-origin');
    expect(response.headers.get('x-local-failover')).toMatch(/^images-s3-eu \(/);
  });

  it('serves 500, slow and a watched recovery', async () => {
    const five = await get(`${stack.edge.url}/64x64/photos/cat.jpg`, { Accept: ACCEPT_WEBP, 'x-local-fail-primary': '500' });
    expect([five.status, five.headers.get('x-local-origin'), five.headers.get('x-local-failover')]).toEqual([200, 'image-origin', 'images-s3 (500)']);
    const slow = await get(`${stack.edge.url}/96x96/photos/cat.jpg`, { Accept: ACCEPT_WEBP, 'x-local-fail-primary': 'slow' });
    expect([slow.status, slow.headers.get('x-local-origin')]).toEqual([200, 'image-origin']);
    const healthy = await get(`${stack.edge.url}/192x192/photos/cat.jpg`, { Accept: ACCEPT_WEBP });
    expect([healthy.status, healthy.headers.get('x-local-origin'), healthy.headers.get('x-local-failover')]).toEqual([200, 'images-s3', null]);
  });

  it('answers a missing original with 404 from the secondary too', async () => {
    const response = await get(`${stack.edge.url}/128x128/photos/missing.jpg`, { Accept: ACCEPT_WEBP, 'x-local-fail-primary': 'down' });
    expect([response.status, response.headers.get('x-local-origin')]).toEqual([404, 'image-origin']);
  });
});

describe('a thumbnail when S3 really is down (connection refused)', () => {
  it('is served by the HTTP image origin with 200, through the real functions', async () => {
    const derived = await mkdtemp(path.join(tmpdir(), 'edge-images-failover-'));
    const origin = await startImageOrigin({
      store: directoryStore({ originals: 'fixtures/images', derived }),
      policy: distribution.images,
      render,
      log: () => {},
    });
    const deadS3 = await closedPort();
    const client = new S3Client(s3ClientConfig('us-east-1', deadS3, tunables.s3));
    const logs: LogLine[] = [];
    const log = (line: LogLine) => logs.push(line);
    const edge = await startEdge({
      spec: distribution,
      // The public behavior's viewer-request runs image-request's CloudFront Function build.
      cloudFrontFunctions: await cloudFrontFunctionsFor(distribution),
      functions: {
        'image-request': imageRequest(imageRequestConfig(), { log }),
        'geo-route': geoRoute(geoRouteConfig(), { log }),
        'image-resize': imageResize(imageResizeConfig(), { store: s3Store(() => client), render, log }),
      },
      endpoints: Object.fromEntries(distribution.origins.map((o) => [o.id, o.kind === 's3' ? deadS3 : origin.url])),
      originTimeouts: { connectMs: 500, connectAttempts: 3, readMs: 2_000 },
    });
    try {
      for (const country of ['US', 'KR']) {
        const response = await get(`${edge.url}/128x128/photos/cat.jpg?fm=jpg`, { 'x-local-viewer-country': country });
        expect(response.status).toBe(200);
        expect(response.headers.get('x-local-origin')).toBe('image-origin');
        expect((await sharp(response.body).metadata()).width).toBe(128);
        edge.cache.invalidate('/*');
      }
      expect(logs.filter((l) => l.fn === 'geo-route').map((l) => [l.outcome, l['to'] ?? '-'])).toEqual([
        ['default', 'images-s3'],
        ['not-routed', '-'],
        ['routed', 'images-s3-ap'],
        ['not-routed', '-'],
      ]);
    } finally {
      await edge.close();
      await origin.close();
      client.destroy();
      await rm(derived, { recursive: true, force: true });
    }
  });
});
