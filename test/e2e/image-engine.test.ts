/**
 * The image engine through the local edge (real handlers, embedded S3, real HTTP): the 1 MB cap ends
 * in a 200 after exactly one redirect and S3 serves the stored object on the next miss; animated
 * sources negotiated from real Accept headers; a cover position in the canonical URI; hostile
 * sources answered with short-lived 4xx.
 */
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLine } from '../../functions/core/log.ts';
import type { RequestTrace } from '../../infra/local/edge.ts';
import { startLocalStack } from '../../infra/local-stack.ts';
import type { LocalStack } from '../../infra/local-stack.ts';
import * as src from '../support/image-engine-sources.ts';
import { ACCEPT_CHROMIUM, get } from '../support/http.ts';
import { sha256 } from '../support/hash.ts';

let stack: LocalStack;
const logs: LogLine[] = [];
const traces: RequestTrace[] = [];
const CURL = '*/*';

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, log: (line) => logs.push(line), onTrace: (trace) => traces.push(trace) });
  const extra: Record<string, Buffer> = {
    'engine/anim.gif': await src.animation('gif'),
    'engine/page.jpg': src.HTML_AS_JPEG,
  };
  for (const [key, body] of Object.entries(extra)) await stack.s3.client.send(new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: body }));
});
afterAll(async () => {
  await stack?.close();
});

const resizeLogs = (uri: string) => logs.filter((l) => l.fn === 'image-resize' && l.uri === uri && String(l.outcome).startsWith('resized'));

describe('a result over the 1 MB cap', () => {
  const canonical = '/_derived/landscape-12mp.jpg/1920xauto-inside-q95.png';
  const viewerUrl = () => `${stack.edge.url}/landscape-12mp.jpg?w=1920&fm=png&q=95`;

  it('ends in a 200 image after exactly one redirect', async () => {
    const first = await get(viewerUrl());
    expect(first.status).toBe(302);
    expect(first.headers.get('location')).toBe(canonical);
    expect(first.headers.get('cache-control')).toBe('no-store');
    const second = await get(new URL(first.headers.get('location')!, stack.edge.url).href);
    expect(second.status).toBe(200);
    expect(second.headers.get('content-type')).toBe('image/png');
    expect(second.headers.get('x-cache')).toBe('Miss from cloudfront');
    expect(second.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const meta = await sharp(second.body).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 1920, 1440]);
    expect(second.body.byteLength).toBeGreaterThan(750 * 1024);
    // One resize, answered by the redirect; the 200 came from S3.
    expect(resizeLogs(canonical).map((l) => l.outcome)).toEqual(['resized-redirect']);
    const stored = await stack.s3.client.send(new GetObjectCommand({ Bucket: stack.bucket, Key: canonical.slice(1) }));
    expect(sha256(await stored.Body!.transformToByteArray())).toBe(sha256(second.body));
    // A browser following redirects sees the same: the viewer URL now hits the cached canonical.
    const followed = await fetch(viewerUrl(), { redirect: 'follow' });
    expect([followed.status, followed.redirected, followed.headers.get('x-cache')]).toEqual([200, false, 'Hit from cloudfront']);
  });

  it('is served by S3, unchanged and without a resize, on the next miss', async () => {
    expect(stack.edge.cache.invalidate('/_derived/*')).toBeGreaterThan(0);
    traces.length = 0;
    const again = await get(viewerUrl());
    expect([again.status, again.headers.get('x-cache')]).toEqual([200, 'Miss from cloudfront']);
    const head = await stack.s3.client.send(new HeadObjectCommand({ Bucket: stack.bucket, Key: canonical.slice(1) }));
    expect(again.headers.get('etag')).toBe(head.ETag);
    expect(again.headers.get('content-length')).toBe(String(head.ContentLength));
    expect(again.headers.get('last-modified')).toBe(head.LastModified!.toUTCString());
    expect(again.headers.get('vary')).toBe('Accept');
    expect(resizeLogs(canonical)).toHaveLength(1);
    expect(traces.at(-1)?.functions.find((f) => f.eventType === 'origin-response')).toMatchObject({ fn: 'image-resize', outcome: 'continued' });
  });
});

describe('animated sources', () => {
  it('negotiate an animated WebP for Chromium and stay an animated GIF for a viewer without WebP', async () => {
    for (const [accept, format] of [
      [ACCEPT_CHROMIUM, 'webp'],
      [CURL, 'gif'],
    ] as const) {
      const response = await get(`${stack.edge.url}/engine/anim.gif?w=160`, { Accept: accept });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(`image/${format}`);
      expect(response.headers.get('vary')).toBe('Accept');
      const meta = await sharp(response.body).metadata();
      // The 120x90 source is not enlarged to 160; every frame and delay survives.
      expect([meta.format, meta.width, meta.pages, meta.delay]).toEqual([format, 120, 3, src.FRAME_DELAYS]);
    }
  });
});

describe('position and hostile sources', () => {
  it('puts a non-centre cover position in the canonical URI', async () => {
    const response = await get(`${stack.edge.url}/128x128/photos/cat.jpg?pos=attention&fm=webp`);
    expect(response.status).toBe(200);
    // The rewrite's target is the one cache entry both spellings share (the public behavior's
    // CloudFront Function logs refusals only, so the cache says where the rewrite went).
    const canonical = await get(`${stack.edge.url}/_derived/photos/cat.jpg/128x128-cover-attention-q75.webp`);
    expect([canonical.status, canonical.headers.get('x-cache')]).toEqual([200, 'Hit from cloudfront']);
    const meta = await sharp(response.body).metadata();
    expect([meta.width, meta.height]).toEqual([128, 128]);
  });

  it('answers HTML saved as .jpg with a 415 kept for an hour (deterministic)', async () => {
    const response = await get(`${stack.edge.url}/128x128/engine/page.jpg`, { Accept: ACCEPT_CHROMIUM });
    expect(response.status).toBe(415);
    expect(response.headers.get('cache-control')).toBe('public, max-age=3600');
    expect(response.body.toString()).toContain('The original image format is not supported');
  });
});
