/**
 * The local edge's S3 modes beyond the embedded default: `--s3-endpoint URL` (any S3-compatible
 * server; here a separate s3rver standing in for MinIO and the like) and the dev switch
 * x-local-s3-conflict, which makes the embedded S3 answer conditional writes with 409
 * ConditionalRequestConflict so image-resize's retry shows in the inspector.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLine } from '../../functions/core/log.ts';
import { distribution } from '../../infra/distribution.ts';
import { primaryS3Origin } from '../../infra/options.ts';
import type { RequestTrace } from '../../infra/local/edge.ts';
import { seedOriginals, startLocalS3 } from '../../infra/local/s3.ts';
import type { LocalS3 } from '../../infra/local/s3.ts';
import { startLocalStack } from '../../infra/local-stack.ts';
import type { LocalStack } from '../../infra/local-stack.ts';
import { ACCEPT_WEBP, get } from '../support/http.ts';

describe('the dev switch x-local-s3-conflict (embedded S3)', () => {
  let stack: LocalStack;
  const traces: RequestTrace[] = [];
  const logs: LogLine[] = [];
  beforeAll(async () => {
    stack = await startLocalStack({ port: 0, log: (line) => logs.push(line), onTrace: (trace) => traces.push(trace) });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('answers one conditional write with 409: image-resize retries, stores the thumbnail, and the inspector says so', async () => {
    const res = await get(`${stack.edge.url}/128x128/photos/cat.jpg?x-local-s3-conflict=1`, { accept: ACCEPT_WEBP });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/webp');
    const derived = '_derived/photos/cat.jpg/128x128-cover-q75.webp';
    const stored = await stack.s3.client.send(new HeadObjectCommand({ Bucket: stack.bucket, Key: derived }));
    expect(stored.ContentType).toBe('image/webp');
    const trace = traces.find((t) => t.uri.startsWith('/128x128/photos/cat.jpg'));
    expect(trace?.notes).toEqual([
      `embedded S3 answered 409 ConditionalRequestConflict to PutObject ${stack.bucket}/${derived} (dev switch x-local-s3-conflict); image-resize retries up to 3 attempts`,
    ]);
  });

  it('answers three: the store gives up after its three attempts; the viewer still gets the image, nothing is stored, the log says why', async () => {
    const res = await get(`${stack.edge.url}/256x256/photos/cat.jpg`, { accept: ACCEPT_WEBP, 'x-local-s3-conflict': '3' });
    expect(res.status).toBe(200);
    const derived = '_derived/photos/cat.jpg/256x256-cover-q75.webp';
    await expect(stack.s3.client.send(new HeadObjectCommand({ Bucket: stack.bucket, Key: derived }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
    const trace = traces.find((t) => t.uri.startsWith('/256x256/photos/cat.jpg'));
    expect(trace?.notes).toHaveLength(3);
    const line = logs.find((l) => l['outcome'] === 'resized' && String(l['uri']).includes('256x256'));
    expect(line).toMatchObject({ stored: 'failed' });
    expect(String(line?.['storeError'])).toContain('ConditionalRequestConflict');
  });

  it('refuses a value other than 1-3 or off before any function runs', async () => {
    const res = await get(`${stack.edge.url}/128x128/photos/cat.jpg?x-local-s3-conflict=9`);
    expect(res.status).toBe(400);
    expect(res.body.toString()).toContain('Expected 1, 2 or 3 (conditional writes to answer with 409) for x-local-s3-conflict but received "9"');
  });
});

describe('npm start -- --s3-endpoint URL (any S3-compatible server)', () => {
  let server: LocalS3;
  let stack: LocalStack;
  const saved = { id: process.env['AWS_ACCESS_KEY_ID'], secret: process.env['AWS_SECRET_ACCESS_KEY'] };
  beforeAll(async () => {
    const buckets = distribution.origins.flatMap((o) => (o.kind === 's3' ? [o.bucket] : []));
    server = await startLocalS3({ buckets });
    await seedOriginals(server.client, primaryS3Origin(distribution).bucket, 'fixtures/images');
    // The endpoint mode takes credentials from the usual chain, as it would for MinIO.
    process.env['AWS_ACCESS_KEY_ID'] = 'S3RVER';
    process.env['AWS_SECRET_ACCESS_KEY'] = 'S3RVER';
    stack = await startLocalStack({ port: 0, s3: 'aws', s3Endpoint: server.endpoint });
  });
  afterAll(async () => {
    await stack?.close();
    await server?.close();
    for (const [name, value] of [
      ['AWS_ACCESS_KEY_ID', saved.id],
      ['AWS_SECRET_ACCESS_KEY', saved.secret],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('reads originals from that server and stores the thumbnail there', async () => {
    expect(stack.seeded).toEqual([]);
    const res = await get(`${stack.edge.url}/64x64/photos/cat.jpg`, { accept: ACCEPT_WEBP });
    expect(res.status).toBe(200);
    const stored = await server.client.send(new HeadObjectCommand({ Bucket: stack.bucket, Key: '_derived/photos/cat.jpg/64x64-cover-q75.webp' }));
    expect(stored.ContentType).toBe('image/webp');
    const original = await get(`${stack.edge.url}/photos/cat.jpg`);
    expect(original.status).toBe(200);
  });
});
