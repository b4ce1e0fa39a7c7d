/**
 * One miss pipeline for both origins of the group: image-resize (origin-response, the engine in
 * process) and the HTTP image origin (over HTTP, rendering through the render pool's child
 * processes) make the same variants from the same originals, each into its own bucket, and store
 * byte-identical objects with the same Content-Type, Cache-Control and metadata, so either origin
 * may serve a canonical URI. Real s3rver, real sharp, a real render pool, real HTTP.
 */
import { readFile } from 'node:fs/promises';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { CloudFrontResponseEvent, CloudFrontResultResponse } from 'aws-lambda';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderMakingMezzanine } from '../../functions/adapters/image/mezzanine.ts';
import { render } from '../../functions/adapters/image/render.ts';
import { s3Store } from '../../functions/adapters/s3/store.ts';
import { createHandler } from '../../functions/image-resize/handler.ts';
import { imageResizeConfig } from '../../infra/config.ts';
import { distribution } from '../../infra/distribution.ts';
import { startLocalS3 } from '../../infra/local/s3.ts';
import type { LocalS3 } from '../../infra/local/s3.ts';
import { startImageOrigin } from '../../infra/origin/server.ts';
import type { ImageOrigin } from '../../infra/origin/server.ts';
import { bucketStore } from '../../infra/origin/store.ts';
import { renderBudgetMs, startRenderPool } from '../../infra/render/pool.ts';
import type { RenderPool } from '../../infra/render/pool.ts';
import * as src from '../support/image-engine-sources.ts';
import { get } from '../support/http.ts';

const RESIZE_BUCKET = 'edge-images-originals';
const ORIGIN_BUCKET = 'image-origin-bucket';
let s3: LocalS3;
let pool: RenderPool;
let origin: ImageOrigin;

const originals: Record<string, () => Promise<Buffer>> = {
  'same/scene.jpg': () => src.encode(src.scene(640, 480), 'jpeg'),
  // Transparent pixels: a JPEG variant flattens them onto the policy's background.
  'same/logo.png': () => src.fromRaw(src.withAlpha(200, 150)).png().toBuffer(),
  'same/drawing.svg': async () => src.quadrantsSvg(),
  'same/anim.gif': () => src.animation('gif'),
  // Large enough for a mezzanine (a PNG from 3,200 px): image-resize makes it on the 1920 variant.
  'same/large.png': () =>
    sharp({ create: { width: 3600, height: 2400, channels: 3, background: '#3a6ea5' } })
      .png()
      .toBuffer(),
};

const variants = [
  '/_derived/same/scene.jpg/128x128-cover-q75.webp',
  '/_derived/same/scene.jpg/320xauto-inside-q85.avif',
  '/_derived/same/logo.png/256x256-contain-q75.jpg',
  '/_derived/same/drawing.svg/256x256-cover-q75.png',
  '/_derived/same/anim.gif/64x64-cover-q75.gif',
  '/_derived/same/large.png/1920xauto-inside-q75.webp',
];

beforeAll(async () => {
  s3 = await startLocalS3({ buckets: [RESIZE_BUCKET, ORIGIN_BUCKET] });
  for (const [key, make] of Object.entries(originals)) {
    const body = await make();
    for (const Bucket of [RESIZE_BUCKET, ORIGIN_BUCKET]) await s3.client.send(new PutObjectCommand({ Bucket, Key: key, Body: body }));
  }
  pool = await startRenderPool({ budgetMs: renderBudgetMs(distribution.images) });
  origin = await startImageOrigin({
    store: bucketStore(
      s3Store(() => s3.client),
      ORIGIN_BUCKET,
    ),
    policy: distribution.images,
    render: pool.render,
    renderMakingMezzanine: pool.renderMakingMezzanine,
    log: () => {},
  });
}, 60_000);
afterAll(async () => {
  await origin?.close();
  await pool?.close();
  await s3?.close();
});

async function stored(bucket: string, key: string) {
  const out = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return {
    body: Buffer.from(await out.Body!.transformToByteArray()),
    contentType: out.ContentType,
    cacheControl: out.CacheControl,
    metadata: out.Metadata,
  };
}

describe('image-resize and the HTTP image origin store the same bytes', () => {
  it.each(variants)('%s', async (uri) => {
    const resize = createHandler(imageResizeConfig(), { store: s3Store(() => s3.client), render, renderMakingMezzanine, log: () => {} });
    const input = JSON.parse(await readFile('fixtures/events/origin-response-404-derived.json', 'utf8')) as CloudFrontResponseEvent;
    input.Records[0]!.cf.request.uri = uri;
    const fromResize = (await resize(input)) as CloudFrontResultResponse;
    expect(['200', '302']).toContain(fromResize.status);
    const fromOrigin = await get(`${origin.url}${uri}`);
    expect(fromOrigin.status).toBe(200);

    const key = uri.slice(1);
    const [a, b] = await Promise.all([stored(RESIZE_BUCKET, key), stored(ORIGIN_BUCKET, key)]);
    expect(a.body.byteLength).toBeGreaterThan(0);
    expect(b.body.equals(a.body)).toBe(true);
    expect([b.contentType, b.cacheControl]).toEqual([a.contentType, a.cacheControl]);
    // Both bind the variant to the same original (the copies are byte-identical, so their ETags are too).
    expect(b.metadata?.['original-etag']).toBe(a.metadata?.['original-etag']);
    // What the origin answered is what it stored.
    expect(fromOrigin.body.equals(b.body)).toBe(true);
  });
});
