/**
 * The local edge's real-bucket mode (`npm start -- --s3 aws`, what `sst dev` runs) reads S3 origins
 * through the SDK. No AWS account is here, so the same reader runs against s3rver: it must answer as
 * S3 answers CloudFront (status, headers, body), for hits, HEAD and misses alike.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
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
