/**
 * The S3 requests and the serial depth of each kind of miss, counted by the S3 latency model
 * (infra/local/s3-latency.ts) in front of a real s3rver, with image-resize as deployed (its baked
 * configuration, the real engine and mezzanine). The floor is GetObject -> sharp -> PutObject:
 * 2 requests, depth 2. The latency (40 ms to first byte) makes requests sent together overlap, so
 * depth counts round trips whatever the machine's load.
 */
import { readFile } from 'node:fs/promises';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { CloudFrontResponseEvent, CloudFrontResultResponse } from 'aws-lambda';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderMakingMezzanine } from '../../functions/adapters/image/mezzanine.ts';
import { render } from '../../functions/adapters/image/render.ts';
import { s3ClientConfig, s3Store } from '../../functions/adapters/s3/store.ts';
import { createHandler } from '../../functions/image-resize/handler.ts';
import { imageResizeConfig } from '../../infra/config.ts';
import { tunables } from '../../infra/distribution.ts';
import { startS3LatencyProxy, serialDepth } from '../../infra/local/s3-latency.ts';
import type { S3LatencyProxy } from '../../infra/local/s3-latency.ts';
import { startLocalS3 } from '../../infra/local/s3.ts';
import type { LocalS3 } from '../../infra/local/s3.ts';
import * as src from '../support/image-engine-sources.ts';

const BUCKET = 'edge-images-originals';
let s3: LocalS3;
let proxy: S3LatencyProxy;
let client: S3Client;
const config = imageResizeConfig();

beforeAll(async () => {
  s3 = await startLocalS3({ buckets: [BUCKET] });
  proxy = await startS3LatencyProxy(s3.endpoint, { firstByteMs: 40 });
  client = new S3Client(s3ClientConfig('us-east-1', proxy.endpoint, tunables.s3));
  const put = (Key: string, Body: Buffer) => s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body }));
  await put('miss/scene.jpg', await src.encode(src.scene(640, 480), 'jpeg'));
  // A PNG with a long edge of 3,600 px gets a mezzanine (minSourceEdge 3,200).
  await put(
    'miss/large.png',
    await sharp({ create: { width: 3600, height: 2400, channels: 3, background: '#3a6ea5' } })
      .png()
      .toBuffer(),
  );
  await put('miss/bomb.png', src.pngBombHeader());
  await put('miss/raced.jpg', await src.encode(src.scene(320, 240), 'jpeg'));
  await put('miss/conflict.jpg', await src.encode(src.scene(320, 240), 'jpeg'));
});
afterAll(async () => {
  client?.destroy();
  await proxy?.close();
  await s3?.close();
});

const handler = () =>
  createHandler(config, {
    store: s3Store(
      () => client,
      () => undefined,
      tunables.s3,
    ),
    render,
    renderMakingMezzanine,
    log: () => {},
  });

/** One miss: its answer, and what reached S3 as `METHOD key` with the status S3 answered. */
async function miss(uri: string) {
  const input = JSON.parse(await readFile('fixtures/events/origin-response-404-derived.json', 'utf8')) as CloudFrontResponseEvent;
  input.Records[0]!.cf.request.uri = uri;
  const window = proxy.window();
  const result = (await handler()(input)) as CloudFrontResultResponse;
  const requests = window.requests();
  return {
    status: result.status,
    requests,
    seen: requests.map((r) => `${r.method} ${r.path.slice(BUCKET.length + 1)} ${r.status}`).sort(),
    depth: window.depth(),
  };
}

describe('S3 requests and serial depth per kind of miss', () => {
  it('plain: GET original || GET source record, PUT variant: 3 requests, depth 2 (the floor)', async () => {
    const m = await miss('/_derived/miss/scene.jpg/128x128-cover-q75.webp');
    expect(m.status).toBe('200');
    expect(m.seen).toEqual(['GET _derived/miss/scene.jpg/_source 404', 'GET miss/scene.jpg 200', 'PUT _derived/miss/scene.jpg/128x128-cover-q75.webp 200']);
    expect(m.depth).toBe(2);
  });

  it('mezzanine-making: the mezzanine is written beside the variant: 4 requests, depth 2', async () => {
    const m = await miss('/_derived/miss/large.png/1920xauto-inside-q75.webp');
    expect(m.status).toBe('200');
    expect(m.seen).toEqual([
      'GET _derived/miss/large.png/_source 404',
      'GET miss/large.png 200',
      'PUT _derived/miss/large.png/1920xauto-inside-q75.webp 200',
      'PUT _derived/miss/large.png/_source 200',
    ]);
    expect(m.depth).toBe(2);
  });

  it("mezzanine-served: the original's GET stops at its headers: 3 requests, depth 2", async () => {
    const m = await miss('/_derived/miss/large.png/256x256-cover-q75.webp');
    expect(m.status).toBe('200');
    expect(m.seen).toEqual(['GET _derived/miss/large.png/_source 200', 'GET miss/large.png 200', 'PUT _derived/miss/large.png/256x256-cover-q75.webp 200']);
    expect(m.depth).toBe(2);
  });

  it('refused from the header: the refusal is recorded in the source record: 3 requests, depth 2', async () => {
    const m = await miss('/_derived/miss/bomb.png/128x128-cover-q75.webp');
    expect(m.status).toBe('413');
    expect(m.seen).toEqual(['GET _derived/miss/bomb.png/_source 404', 'GET miss/bomb.png 200', 'PUT _derived/miss/bomb.png/_source 200']);
    expect(m.depth).toBe(2);
  });

  it('remembered refusal: both GETs at once, no write: 2 requests, depth 1', async () => {
    const m = await miss('/_derived/miss/bomb.png/640xauto-inside-q75.jpg');
    expect(m.status).toBe('413');
    expect(m.seen).toEqual(['GET _derived/miss/bomb.png/_source 200', 'GET miss/bomb.png 200']);
    expect(m.depth).toBe(1);
  });

  it('lost conditional write (412): the stored variant is read back: 4 requests, depth 3', async () => {
    const target = '_derived/miss/raced.jpg/128x128-cover-q75.webp';
    const theirs = await sharp({ create: { width: 128, height: 128, channels: 3, background: '#000' } })
      .webp()
      .toBuffer();
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: target, Body: theirs, ContentType: 'image/webp' }));
    const m = await miss(`/${target}`);
    expect(m.status).toBe('200');
    expect(m.seen).toEqual([`GET ${target} 200`, 'GET _derived/miss/raced.jpg/_source 404', 'GET miss/raced.jpg 200', `PUT ${target} 412`]);
    expect(m.depth).toBe(3);
  });

  it('conditional conflict (409): the write is sent once more: 4 requests, depth 3', async () => {
    s3.armConflicts!(1);
    const m = await miss('/_derived/miss/conflict.jpg/128x128-cover-q75.webp');
    expect(m.status).toBe('200');
    expect(m.seen).toEqual([
      'GET _derived/miss/conflict.jpg/_source 404',
      'GET miss/conflict.jpg 200',
      'PUT _derived/miss/conflict.jpg/128x128-cover-q75.webp 200',
      'PUT _derived/miss/conflict.jpg/128x128-cover-q75.webp 409',
    ]);
    expect(m.depth).toBe(3);
  });
});

describe('a remembered refusal stops the original download at its headers', () => {
  it('reads a few kilobytes of a large refused original, not its body', async () => {
    const key = 'miss/refused-large.png';
    const noisy = Buffer.alloc(1200 * 900 * 3);
    for (let i = 0; i < noisy.length; i++) noisy[i] = (i * 2654435761) >>> 24;
    const body = await sharp(noisy, { raw: { width: 1200, height: 900, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    const strict = { ...config, policy: { ...config.policy, limits: { ...config.policy.limits, maxInputPixels: 500_000 } } };
    const fn = createHandler(strict, {
      store: s3Store(
        () => client,
        () => undefined,
        tunables.s3,
      ),
      render,
      log: () => {},
    });
    const input = JSON.parse(await readFile('fixtures/events/origin-response-404-derived.json', 'utf8')) as CloudFrontResponseEvent;
    input.Records[0]!.cf.request.uri = `/_derived/${key}/128x128-cover-q75.webp`;
    expect(((await fn(structuredClone(input))) as CloudFrontResultResponse).status).toBe('413');
    // Slow the model's bandwidth so the original's body would take a second to arrive in full.
    proxy.settings = { firstByteMs: 40, bytesPerSecond: body.byteLength };
    try {
      const window = proxy.window();
      expect(((await fn(structuredClone(input))) as CloudFrontResultResponse).status).toBe('413');
      const original = window.requests().find((r) => r.path === `${BUCKET}/${key}`)!;
      expect(original.bytesOut).toBeLessThan(body.byteLength / 4);
      expect(serialDepth(window.requests())).toBe(1);
    } finally {
      proxy.settings = { firstByteMs: 40 };
    }
  });
});
