/**
 * Geo-routing end to end on the local edge: a simulated viewer country reaches the origin the geo
 * table names (X-Local-Origin says which), image-resize reads and writes the bucket the request was
 * routed to, and the dev-only switches exist in no deployed bundle.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { CloudFrontRequest, CloudFrontRequestEvent, CloudFrontResponseEvent } from 'aws-lambda';
import { build } from 'esbuild';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ObjectStore } from '../../functions/adapters/s3/store.ts';
import type { LogLine } from '../../functions/core/log.ts';
import { createHandler as geoRoute } from '../../functions/geo-route/handler.ts';
import { createHandler as imageRequest } from '../../functions/image-request/handler.ts';
import { createHandler as imageResize } from '../../functions/image-resize/handler.ts';
import { geoRouteConfig, imageRequestConfig, imageResizeConfig } from '../../infra/config.ts';
import { DEV_FAIL_PRIMARY, DEV_SWITCHES, DEV_VIEWER_COUNTRY } from '../../infra/local/dev.ts';
import type { RequestTrace } from '../../infra/local/edge.ts';
import { startLocalStack } from '../../infra/local-stack.ts';
import type { LocalStack } from '../../infra/local-stack.ts';
import { ACCEPT_WEBP, get } from '../support/http.ts';
import { bakedConfig } from '../../infra/build/bundle.ts';
import { sha256 } from '../support/hash.ts';

let stack: LocalStack;
const logs: LogLine[] = [];
const traces: RequestTrace[] = [];

beforeAll(async () => {
  stack = await startLocalStack({ log: (line) => logs.push(line), onTrace: (trace) => traces.push(trace) });
});
afterAll(async () => {
  await stack?.close();
});

async function exists(bucket: string, key: string): Promise<boolean> {
  try {
    await stack.s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch {
    return false;
  }
}

describe('a simulated viewer country on the local edge', () => {
  beforeEach(() => {
    stack.edge.cache.invalidate('/*');
  });

  it.each([
    ['CN', 'image-origin-hk'],
    ['DE', 'images-s3-eu'],
    ['KR', 'images-s3-ap'],
    ['FR', 'images-s3-eu'],
    ['JP', 'images-s3-ap'],
    ['US', 'images-s3'],
    ['BR', 'images-s3'],
  ])('sends %s to %s, which answers the thumbnail', async (country, origin) => {
    const response = await get(`${stack.edge.url}/128x128/photos/cat.jpg`, { Accept: ACCEPT_WEBP, 'X-Local-Viewer-Country': country });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-local-origin')).toBe(origin);
    expect(response.headers.get('x-local-failover')).toBeNull();
    const meta = await sharp(response.body).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 128, 128]);
    expect(traces.at(-1)?.functions.map((f) => [f.fn, f.outcome])).toEqual([
      ['image-request', 'continued'],
      ['geo-route', 'continued'],
      ['image-resize', expect.stringMatching(/^(continued|generated)$/)],
    ]);
  });

  it('sends a viewer without a country to the primary', async () => {
    const response = await get(`${stack.edge.url}/128x128/photos/cat.jpg`, { Accept: ACCEPT_WEBP });
    expect([response.status, response.headers.get('x-local-origin')]).toEqual([200, 'images-s3']);
  });

  it('resizes into the bucket the request was routed to, never the primary', async () => {
    const key = '_derived/photos/a+b.jpg/512x512-cover-q75.webp';
    const response = await get(`${stack.edge.url}/512x512/photos/a%2Bb.jpg`, { Accept: ACCEPT_WEBP, 'x-local-viewer-country': 'DE' });
    expect([response.status, response.headers.get('x-local-origin')]).toEqual([200, 'images-s3-eu']);
    expect(logs.filter((l) => l.fn === 'image-resize' && l.uri === `/${key.replace('+', '%2B')}`).map((l) => l.outcome)).toEqual(['resized']);
    expect(await exists('edge-images-originals-eu', key)).toBe(true);
    expect(await exists('edge-images-originals', key)).toBe(false);
    expect(await exists('edge-images-originals-ap', key)).toBe(false);
  });

  it('serves originals from the replicas', async () => {
    const original = readFileSync('fixtures/images/photos/cat.jpg');
    for (const [country, origin] of [
      ['DE', 'images-s3-eu'],
      ['KR', 'images-s3-ap'],
      ['CN', 'image-origin-hk'],
    ]) {
      stack.edge.cache.invalidate('/*');
      const response = await get(`${stack.edge.url}/photos/cat.jpg`, { 'x-local-viewer-country': country! });
      expect([response.status, response.headers.get('x-local-origin')]).toEqual([200, origin]);
      expect(sha256(response.body)).toBe(sha256(original));
    }
  });

  it('takes the query flag too, and the viewer-request never sees it (it would be a 400 there)', async () => {
    const response = await get(`${stack.edge.url}/photos/cat.jpg?w=320&fm=jpg&x-local-viewer-country=KR`);
    expect([response.status, response.headers.get('x-local-origin')]).toEqual([200, 'images-s3-ap']);
    expect((await sharp(response.body).metadata()).width).toBe(320);
  });

  it('takes a country for every request from edge.simulate', async () => {
    stack.edge.simulate.viewerCountry = 'CN';
    try {
      const response = await get(`${stack.edge.url}/64x64/photos/cat.jpg`, { Accept: ACCEPT_WEBP });
      expect(response.headers.get('x-local-origin')).toBe('image-origin-hk');
      const overridden = await get(`${stack.edge.url}/96x96/photos/cat.jpg`, { Accept: ACCEPT_WEBP, 'x-local-viewer-country': 'off' });
      expect(overridden.headers.get('x-local-origin')).toBe('images-s3');
    } finally {
      stack.edge.simulate.viewerCountry = undefined;
    }
  });

  it('caches per URI, not per country, as CloudFront does: replicas must hold the same originals', async () => {
    const first = await get(`${stack.edge.url}/256x256/photos/cat.jpg`, { Accept: ACCEPT_WEBP, 'x-local-viewer-country': 'KR' });
    expect([first.headers.get('x-cache'), first.headers.get('x-local-origin')]).toEqual(['Miss from cloudfront', 'images-s3-ap']);
    const second = await get(`${stack.edge.url}/256x256/photos/cat.jpg`, { Accept: ACCEPT_WEBP, 'x-local-viewer-country': 'DE' });
    expect(second.headers.get('x-cache')).toBe('Hit from cloudfront');
    expect(sha256(second.body)).toBe(sha256(first.body));
  });
});

describe('the dev-only switches in deployed code', () => {
  const entries = readdirSync('functions', { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(`functions/${d.name}/index.ts`))
    .map((d) => d.name);

  it('exist under the names the docs give', () => {
    expect(DEV_SWITCHES).toEqual(['x-local-viewer-country', 'x-local-fail-primary', 'x-local-s3-conflict', 'x-local-viewer-ip']);
    expect(entries).toEqual(expect.arrayContaining(['image-request', 'image-resize', 'geo-route']));
  });

  it.each(entries)('are absent from the bundle of functions/%s/index.ts', async (name) => {
    const result = await build({
      entryPoints: [`functions/${name}/index.ts`],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      external: ['sharp'],
      logLevel: 'silent',
      plugins: [bakedConfig()],
    });
    const text = result.outputFiles
      .map((f) => f.text)
      .join('\n')
      .toLowerCase();
    expect(text.length).toBeGreaterThan(1000);
    for (const name of [...DEV_SWITCHES, 'x-local-']) expect(text).not.toContain(name);
  });

  const silent = () => {};
  const header = (name: string, value: string) => ({ [name]: [{ key: name, value }] });
  const devHeaders = { ...header(DEV_VIEWER_COUNTRY, 'DE'), ...header(DEV_FAIL_PRIMARY, 'down') };
  const strip = (request: CloudFrontRequest) => {
    const headers = { ...request.headers };
    for (const name of DEV_SWITCHES) delete headers[name];
    return { ...request, headers };
  };

  it('have no effect on image-request', async () => {
    const handler = imageRequest(imageRequestConfig(), { log: silent });
    const event = (extra: object): CloudFrontRequestEvent =>
      JSON.parse(
        JSON.stringify({
          Records: [
            {
              cf: {
                config: { eventType: 'viewer-request', requestId: 'r' },
                request: {
                  clientIp: '203.0.113.1',
                  method: 'GET',
                  uri: '/128x128/photos/cat.jpg',
                  querystring: '',
                  headers: { ...header('accept', ACCEPT_WEBP), ...extra },
                },
              },
            },
          ],
        }),
      );
    const plain = (await handler(event({}))) as CloudFrontRequest;
    const withSwitches = (await handler(event(devHeaders))) as CloudFrontRequest;
    expect(strip(withSwitches)).toEqual(plain);
    expect(plain.uri).toBe('/_derived/photos/cat.jpg/128x128-cover-q75.webp');
  });

  it('have no effect on geo-route', async () => {
    const handler = geoRoute(geoRouteConfig(), { log: silent });
    const fixture = (): CloudFrontRequestEvent => JSON.parse(readFileSync('fixtures/events/origin-request-s3.json', 'utf8'));
    const withSwitches = fixture();
    Object.assign(withSwitches.Records[0]!.cf.request.headers, devHeaders);
    const routed = (await handler(withSwitches)) as CloudFrontRequest;
    expect(strip(routed)).toEqual((await handler(fixture())) as CloudFrontRequest);
    expect(routed.origin?.s3?.domainName).toBe('edge-images-originals.s3.us-east-1.amazonaws.com');
  });

  it('have no effect on image-resize', async () => {
    const calls: string[] = [];
    const store: ObjectStore = {
      get: async (bucket, key) => {
        calls.push(`get ${bucket}/${key}`);
        return undefined;
      },
      putIfAbsent: async () => 'stored',
    };
    const handler = imageResize(imageResizeConfig(), {
      store,
      render: async () => {
        throw new Error('not reached: the original is missing');
      },
      log: silent,
    });
    const fixture = (): CloudFrontResponseEvent => JSON.parse(readFileSync('fixtures/events/origin-response-404-derived.json', 'utf8'));
    const withSwitches = fixture();
    Object.assign(withSwitches.Records[0]!.cf.request.headers, devHeaders);
    const a = await handler(withSwitches);
    const b = await handler(fixture());
    expect(a).toEqual(b);
    // Both misses read the same keys (the original and its source record), in the same order.
    expect(calls.slice(0, calls.length / 2)).toEqual(calls.slice(calls.length / 2));
    expect(calls).toContain('get edge-images-originals/photos/cat.jpg');
  });
});
