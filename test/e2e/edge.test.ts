/**
 * The foundation, end to end: the local edge with the embedded S3, real sharp and real HTTP.
 */
import { readFile } from 'node:fs/promises';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLine } from '../../functions/core/log.ts';
import type { RequestTrace } from '../../infra/local/edge.ts';
import { startLocalStack } from '../../infra/local-stack.ts';
import type { LocalStack } from '../../infra/local-stack.ts';
import { ACCEPT_CHROMIUM, ACCEPT_WEBP, get, rawGet } from '../support/http.ts';
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

const resizes = (uri: string) => logs.filter((l) => l.fn === 'image-resize' && l.outcome === 'resized' && l.uri === uri).length;

async function s3Bytes(key: string): Promise<Buffer> {
  const out = await stack.s3.client.send(new GetObjectCommand({ Bucket: stack.bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

describe('a 128x128 thumbnail through the local edge', () => {
  const url = () => `${stack.edge.url}/128x128/photos/cat.jpg`;
  const derived = '_derived/photos/cat.jpg/128x128-cover-q75.webp';

  it('is made on the first miss, stored into S3, and the original is untouched', async () => {
    const original = await readFile('fixtures/images/photos/cat.jpg');
    const first = await get(url(), { Accept: ACCEPT_WEBP });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('image/webp');
    expect(first.headers.get('x-cache')).toBe('Miss from cloudfront');
    expect(first.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(first.headers.get('vary')).toBe('Accept');
    const pixels = await sharp(first.body).metadata();
    expect([pixels.format, pixels.width, pixels.height]).toEqual(['webp', 128, 128]);
    expect(resizes(`/${derived}`)).toBe(1);

    const head = await stack.s3.client.send(new HeadObjectCommand({ Bucket: stack.bucket, Key: derived }));
    expect(head.ContentType).toBe('image/webp');
    expect(head.CacheControl).toBe('public, max-age=31536000, immutable');
    expect(sha256(await s3Bytes(derived))).toBe(sha256(first.body));
    expect(sha256(await s3Bytes('photos/cat.jpg'))).toBe(sha256(original));
  });

  it('is a cache hit the second time', async () => {
    const second = await get(url(), { Accept: ACCEPT_WEBP });
    expect(second.status).toBe(200);
    expect(second.headers.get('x-cache')).toBe('Hit from cloudfront');
    expect(Number(second.headers.get('age'))).toBeGreaterThanOrEqual(0);
    expect((await sharp(second.body).metadata()).width).toBe(128);
  });

  it('answers every hit with its own request id and its body length, and CORS headers only to a request with an Origin', async () => {
    const plain = await get(url(), { Accept: ACCEPT_WEBP });
    const cors = await get(url(), { Accept: ACCEPT_WEBP, Origin: 'https://site.example' });
    const plainAgain = await get(url(), { Accept: ACCEPT_WEBP });
    const head = await get(url(), { Accept: ACCEPT_WEBP }, 'HEAD');
    for (const hit of [plain, cors, plainAgain, head]) {
      expect(hit.headers.get('x-cache')).toBe('Hit from cloudfront');
      expect(hit.headers.get('strict-transport-security')).toBe('max-age=63072000; includeSubDomains');
      expect(hit.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
      expect(hit.headers.get('content-length')).toBe(String(plain.body.byteLength));
      expect(hit.headers.get('age')).toMatch(/^\d+$/);
      expect(hit.headers.get('x-amz-cf-id')).toMatch(/^[A-Za-z0-9_-]{54}==$/);
    }
    expect(head.body.byteLength).toBe(0);
    expect(new Set([plain, cors, plainAgain, head].map((hit) => hit.headers.get('x-amz-cf-id'))).size).toBe(4);
    expect(cors.headers.get('access-control-allow-origin')).toBe('*');
    expect(cors.headers.get('access-control-expose-headers')).toBe('ETag, Content-Length, Content-Type');
    for (const hit of [plain, plainAgain, head]) expect(hit.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('comes from S3 without a resize once the edge cache is cleared', async () => {
    expect(stack.edge.cache.invalidate('/_derived/*')).toBeGreaterThan(0);
    traces.length = 0;
    const third = await get(url(), { Accept: ACCEPT_WEBP });
    expect(third.status).toBe(200);
    expect(third.headers.get('x-cache')).toBe('Miss from cloudfront');
    expect(third.headers.get('content-type')).toBe('image/webp');
    expect(third.headers.get('vary')).toBe('Accept');
    expect(resizes(`/${derived}`)).toBe(1);
    const originResponse = traces.at(-1)?.functions.find((f) => f.eventType === 'origin-response');
    expect(originResponse).toMatchObject({ fn: 'image-resize', outcome: 'continued' });
  });
});

describe('the public behavior runs image-request as a CloudFront Function', () => {
  it("shows the function's own event and result in the request inspector", async () => {
    const uri = '/64x64/photos/cat.jpg?fm=auto&q=85';
    const response = await get(`${stack.edge.url}${uri}`, { Accept: ACCEPT_WEBP });
    expect(response.status).toBe(200);
    const inspected = await get(`${stack.edge.url}/_local/api/traces?uri=${encodeURIComponent(uri)}`);
    const [trace] = JSON.parse(inspected.body.toString()) as RequestTrace[];
    const viewerRequest = trace!.functions.find((f) => f.eventType === 'viewer-request');
    expect(viewerRequest).toMatchObject({
      fn: 'image-request',
      runtime: 'cloudfront-function',
      outcome: 'continued',
      // CloudFront Functions' event: version, context, viewer; headers and the query string as
      // { value } objects under lowercase names.
      event: {
        version: '1.0',
        context: { eventType: 'viewer-request', requestId: trace!.requestId },
        viewer: { ip: expect.any(String) },
        request: {
          method: 'GET',
          uri: '/64x64/photos/cat.jpg',
          querystring: { fm: { value: 'auto' }, q: { value: '85' } },
          headers: { accept: { value: ACCEPT_WEBP } },
        },
      },
      result: { uri: '/_derived/photos/cat.jpg/64x64-cover-q85.webp', querystring: {} },
    });
  });

  it('answers with FunctionExecutionError (503) when the function throws, as CloudFront does', async () => {
    const { loadCloudFrontFunction } = await import('../../infra/local/cloudfront-sandbox.ts');
    const { startEdge } = await import('../../infra/local/edge.ts');
    const { distribution } = await import('../../infra/distribution.ts');
    // A function using what the runtime lacks (Map): it fails here exactly as it would at CloudFront.
    const broken = loadCloudFrontFunction('function handler(event) {\n  new Map();\n  return event.request;\n}');
    const edge = await startEdge({ spec: distribution, functions: {}, cloudFrontFunctions: { 'image-request': broken }, endpoints: {} });
    try {
      const failed = await get(`${edge.url}/64x64/photos/cat.jpg`);
      expect(failed.status).toBe(503);
      expect(failed.headers.get('x-cache')).toBe('FunctionExecutionError from cloudfront');
      expect(failed.body.toString()).toMatch(/CloudFront function/);
    } finally {
      await edge.close();
    }
  });
});

describe('the same image asked three ways', () => {
  it('shares one canonical cache entry between the path form, a preset and the query form', async () => {
    const first = await get(`${stack.edge.url}/64x64/photos/a+b.jpg`, { Accept: ACCEPT_CHROMIUM });
    expect(first.headers.get('x-cache')).toBe('Miss from cloudfront');
    expect(first.headers.get('content-type')).toBe('image/avif');
    const preset = await get(`${stack.edge.url}/avatar/photos/a%2Bb.jpg?q=75`, { Accept: ACCEPT_CHROMIUM });
    const query = await get(`${stack.edge.url}/photos/a+b.jpg?w=64&h=64&fit=cover`, { Accept: ACCEPT_CHROMIUM });
    expect(preset.headers.get('x-cache')).toBe('Hit from cloudfront');
    expect(query.headers.get('x-cache')).toBe('Hit from cloudfront');
    expect(sha256(query.body)).toBe(sha256(first.body));
  });

  it('finds keys with spaces and unicode', async () => {
    const response = await get(`${stack.edge.url}/photos/caf%C3%A9%20au%20lait.jpg?w=320&fm=jpg`);
    expect(response.status).toBe(200);
    const meta = await sharp(response.body).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 320, 240]);
  });
});

describe('image content', () => {
  it('turns an EXIF orientation 6 photo upright and strips its GPS and EXIF', async () => {
    const thumb = await get(`${stack.edge.url}/portrait-exif6.jpg?w=320&fm=jpg`);
    const meta = await sharp(thumb.body).metadata();
    expect([meta.width, meta.height]).toEqual([320, 427]);
    expect(meta.exif).toBeUndefined();
    expect(meta.orientation).toBeUndefined();
    // Displayed upright, the top-left quadrant of this fixture is red.
    const { data } = await sharp(thumb.body).extract({ left: 20, top: 20, width: 8, height: 8 }).raw().toBuffer({ resolveWithObject: true });
    expect(data[0]).toBeGreaterThan(200);
    expect(data[1]).toBeLessThan(60);
    expect(data[2]).toBeLessThan(60);
  });

  it('keeps alpha from a PNG in WebP', async () => {
    const response = await get(`${stack.edge.url}/256x256/logo-alpha.png?fit=contain`, { Accept: ACCEPT_WEBP });
    const meta = await sharp(response.body).metadata();
    expect([meta.format, meta.width, meta.height, meta.hasAlpha]).toEqual(['webp', 256, 256, true]);
  });

  it('resizes the 12 MP original within the time a miss allows', async () => {
    const response = await get(`${stack.edge.url}/1024x1024/landscape-12mp.jpg?fit=inside&fm=webp`);
    expect(response.status).toBe(200);
    const meta = await sharp(response.body).metadata();
    expect([meta.width, meta.height]).toEqual([1024, 768]);
  });
});

describe('errors', () => {
  it('answers a size outside the allowlist with a 400 from the viewer-request, never cached', async () => {
    const response = await get(`${stack.edge.url}/100x100/photos/cat.jpg`);
    expect(response.status).toBe(400);
    // The public behavior's viewer-request is image-request's CloudFront Function build.
    expect(response.headers.get('x-cache')).toBe('FunctionGeneratedResponse from cloudfront');
    expect(response.body.toString()).toMatch(/^400 Bad Request: Expected one of the allowed sizes .* but received "100x100"/);
  });

  it.each(['/128x128/photos/%2e%2e/%2e%2e/etc/passwd', '/128x128/photos/../secret.jpg', '/photos/..%2F..%2Fsecret.jpg?w=640'])(
    'refuses the traversal %s with a 400',
    async (path) => {
      const response = await rawGet(stack.edge.url, path);
      expect(response.status).toBe(400);
      expect(response.body.toString()).toContain('segments for the image key');
    },
  );

  it('answers a missing original with a 404 cached for seconds, not a year', async () => {
    const response = await get(`${stack.edge.url}/128x128/photos/missing.jpg`, { Accept: ACCEPT_WEBP });
    expect(response.status).toBe(404);
    expect(response.headers.get('cache-control')).toBe('public, max-age=10');
    expect(response.body.toString()).toContain('The original image does not exist');
    const again = await get(`${stack.edge.url}/128x128/photos/missing.jpg`, { Accept: ACCEPT_WEBP });
    expect(again.headers.get('x-cache')).toBe('Hit from cloudfront');
  });

  it('passes originals through and answers a missing one with S3s 404', async () => {
    const original = await get(`${stack.edge.url}/photos/cat.jpg`);
    expect(original.status).toBe(200);
    expect(sha256(original.body)).toBe(sha256(await readFile('fixtures/images/photos/cat.jpg')));
    const missing = await get(`${stack.edge.url}/photos/nope.jpg`);
    expect(missing.status).toBe(404);
  });

  it('refuses methods the behavior does not allow, as CloudFront does', async () => {
    const response = await get(`${stack.edge.url}/128x128/photos/cat.jpg`, {}, 'DELETE');
    expect(response.status).toBe(403);
    expect(response.body.toString()).toContain('The request could not be satisfied');
  });
});
