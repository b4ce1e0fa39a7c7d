/**
 * The local edge's real-bucket mode (`npm start -- --s3 aws`, what `sst dev` runs) reads S3 origins
 * through the SDK. No AWS account is here, so the same reader runs against s3rver: it must answer as
 * S3 answers CloudFront (status, headers, body), for hits, HEAD and misses alike, and map every
 * method as S3 does for CloudFront's read-only principal. The embedded S3 maps them alike for the
 * unsigned requests the local edge sends it.
 */
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsS3Fetch } from '../../infra/local/aws-s3.ts';
import { startLocalS3 } from '../../infra/local/s3.ts';
import type { LocalS3 } from '../../infra/local/s3.ts';
import type { S3OriginSpec } from '../../infra/distribution.ts';

const origin: S3OriginSpec = { kind: 's3', id: 'images-s3', bucket: 'edge-images-originals', region: 'us-east-1' };
let s3: LocalS3;

beforeAll(async () => {
  s3 = await startLocalS3({ buckets: [origin.bucket] });
  await s3.client.send(
    new PutObjectCommand({
      Bucket: origin.bucket,
      Key: '_derived/photos/caf\u00e9.jpg/128x128-cover-q75.webp',
      Body: Buffer.from('not really a webp'),
      ContentType: 'image/webp',
      CacheControl: 'public, max-age=31536000, immutable',
    }),
  );
});
afterAll(() => s3?.close());

const PRIVATE = 'private/p.png';
beforeAll(async () => {
  await s3.client.send(new PutObjectCommand({ Bucket: origin.bucket, Key: PRIVATE, Body: Buffer.alloc(50_000, 7), ContentType: 'image/png' }));
});

/** The private original is still there, byte for byte. */
async function untouched(): Promise<void> {
  const head = await s3.client.send(new HeadObjectCommand({ Bucket: origin.bucket, Key: PRIVATE }));
  expect(head.ContentLength).toBe(50_000);
}

describe('the SDK reader of the real-bucket mode', () => {
  const fetch = () => awsS3Fetch(() => s3.client);

  it('answers a stored object as S3 does, decoding the URI once', async () => {
    const answer = await fetch()(origin, '/_derived/photos/caf%C3%A9.jpg/128x128-cover-q75.webp', 'GET');
    expect(answer.status).toBe(200);
    expect(answer.body.toString()).toBe('not really a webp');
    expect(answer.headers['content-type']?.[0]?.value).toBe('image/webp');
    expect(answer.headers['cache-control']?.[0]?.value).toBe('public, max-age=31536000, immutable');
    expect(answer.headers['content-length']?.[0]?.value).toBe('17');
    expect(answer.headers['etag']?.[0]?.value).toMatch(/^"[0-9a-f]{32}"$/);
  });

  it('answers HEAD without a body', async () => {
    const answer = await fetch()(origin, '/_derived/photos/caf%C3%A9.jpg/128x128-cover-q75.webp', 'HEAD');
    expect([answer.status, answer.body.byteLength]).toEqual([200, 0]);
  });

  it('answers a missing key with S3s status, so image-resize sees its 403/404', async () => {
    const answer = await fetch()(origin, '/_derived/photos/cat.jpg/128x128-cover-q75.webp', 'GET');
    expect(answer.status).toBe(404);
    expect(answer.body.toString()).toContain('<Code>NoSuchKey</Code>');
  });
});

describe('methods, mapped as S3 maps them for CloudFront (GetObject only)', () => {
  it('SDK reader: OPTIONS is a CORS preflight (no Origin reaches S3: 400), never a GetObject, whatever the spelling', async () => {
    const read = awsS3Fetch(() => s3.client);
    for (const uri of ['/private/p.png', '/private%2Fp.png', '/%70rivate/p.png']) {
      const answer = await read(origin, uri, 'OPTIONS');
      expect(answer.status).toBe(400);
      expect(answer.body.toString()).toContain('<Code>BadRequest</Code>');
      expect(answer.body.byteLength).toBeLessThan(500);
    }
    // The same key is there for GET, so the refusal above is the method's.
    expect((await read(origin, '/private%2Fp.png', 'GET')).body.byteLength).toBe(50_000);
  });

  it('SDK reader: any other method is AccessDenied and writes nothing', async () => {
    const read = awsS3Fetch(() => s3.client);
    for (const method of ['PUT', 'POST', 'DELETE', 'PATCH', 'TRACE', 'PROPFIND', 'get']) {
      const answer = await read(origin, '/private/p.png', method);
      expect([method, answer.status]).toEqual([method, 403]);
      expect(answer.body.toString()).toContain('<Code>AccessDenied</Code>');
    }
    await untouched();
  });

  it('embedded S3, unsigned as the local edge asks it: OPTIONS is a preflight and writes are denied', async () => {
    const unsigned = (method: string, path: string, headers: Record<string, string> = {}) =>
      fetch(`${s3.endpoint}/${origin.bucket}/${path}`, { method, headers, ...(method === 'PUT' || method === 'POST' ? { body: 'x' } : {}) });
    const bare = await unsigned('OPTIONS', PRIVATE);
    // s3rver sends S3's BadRequest for it with status 403, the SDK reader with 400: a refusal either way.
    expect([400, 403]).toContain(bare.status);
    expect(await bare.text()).toContain('<Code>BadRequest</Code><Message>Insufficient information. Origin request header needed.</Message>');
    const preflight = await unsigned('OPTIONS', 'private%2Fp.png', { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' });
    expect(preflight.status).toBe(403);
    expect((await preflight.arrayBuffer()).byteLength).toBeLessThan(1_000);
    for (const method of ['PUT', 'POST', 'DELETE', 'PATCH']) {
      const answer = await unsigned(method, PRIVATE);
      expect([method, answer.status]).toEqual([method, 403]);
      expect(await answer.text()).toContain('<Code>AccessDenied</Code>');
    }
    await untouched();
    // Signed writes (image-resize's store, the tooling client) go on as before.
    await s3.client.send(new PutObjectCommand({ Bucket: origin.bucket, Key: '_derived/private/p.png/64x64-cover-q75.webp', Body: Buffer.from('x') }));
  });
});
