/**
 * derived-cleanup: when an original is replaced or deleted, its variants leave S3 and the edge cache.
 * End to end on the local edge (the embedded S3's object events run the real handler, the edge cache
 * stands in for a CloudFront invalidation), then the handler directly for its failure paths.
 */
import { readFile } from 'node:fs/promises';
import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3DerivedStore } from '../../functions/adapters/s3/derived.ts';
import type { LogLine } from '../../functions/core/log.ts';
import { createHandler, decodeEventKey, invalidationPaths } from '../../functions/derived-cleanup/handler.ts';
import type { Invalidator } from '../../functions/adapters/cloudfront/invalidate.ts';
import { S3Client } from '@aws-sdk/client-s3';
import { s3ClientConfig } from '../../functions/adapters/s3/store.ts';
import { encodeEventKey } from '../../infra/local/s3.ts';
import { tunables } from '../../infra/distribution.ts';
import type { LocalStack } from '../../infra/local-stack.ts';
import { FAULTS } from '../support/faulty-s3.ts';
import type { FaultyS3 } from '../support/faulty-s3.ts';
import { startStackBehindFaultyS3 } from '../support/stack.ts';
import { get } from '../support/http.ts';
import { listKeys } from '../support/originals.ts';
import { s3Event } from '../support/s3-event.ts';

let stack: LocalStack;
let faulty: FaultyS3;
const logs: LogLine[] = [];
let landscape: Buffer;
let portrait: Buffer;

beforeAll(async () => {
  ({ stack, faulty } = await startStackBehindFaultyS3({ port: 0, log: (line) => logs.push(line) }));
  landscape = await readFile('fixtures/images/street-1080p.jpg');
  portrait = await readFile('fixtures/images/portrait-exif6.jpg');
});
afterAll(async () => {
  await stack?.close();
  await faulty?.close();
});

const put = (key: string, body: Buffer) =>
  stack.s3.client.send(new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: body, ContentType: 'image/jpeg' }));
const cleanupLines = () => logs.filter((l) => l.fn === 'derived-cleanup');
async function exists(key: string): Promise<boolean> {
  try {
    await stack.s3.client.send(new HeadObjectCommand({ Bucket: stack.bucket, Key: key }));
    return true;
  } catch {
    return false;
  }
}
async function size(url: string): Promise<[number, number, string | null]> {
  const response = await get(url);
  const meta = await sharp(response.body).metadata();
  return [meta.width ?? 0, meta.height ?? 0, response.headers.get('x-cache')];
}

describe('on the local edge', () => {
  const key = 'cleanup/my photo.jpg';
  const deeper = 'cleanup/my photo.jpg/inside.jpg';
  const base = () => `${stack.edge.url}/cleanup/my%20photo.jpg`;

  it('a replaced original loses its stale variants, in S3 and in the edge cache, and nothing else', async () => {
    await put(key, landscape);
    await put(deeper, landscape);
    await stack.derivedCleanup!.settled();
    // Variants, cached at the edge: the landscape original is 1920x1080.
    for (const query of ['w=320&fm=jpg', 'w=640&fm=webp', 'w=160&fm=png']) expect((await size(`${base()}?${query}`))[0]).toBeGreaterThan(0);
    expect(await size(`${base()}?w=320&fm=jpg`)).toEqual([320, 180, 'Hit from cloudfront']);
    expect((await get(`${stack.edge.url}/cleanup/my%20photo.jpg/inside.jpg?w=320&fm=jpg`)).status).toBe(200);
    expect((await get(base())).headers.get('x-cache')).toBe('Miss from cloudfront');
    expect((await get(base())).headers.get('x-cache')).toBe('Hit from cloudfront');
    expect(await listKeys(stack.s3.client, stack.bucket, `_derived/${key}/`)).toHaveLength(4);

    // Replace the original with a portrait (EXIF 6: displayed 3:4).
    await put(key, portrait);
    await stack.derivedCleanup!.settled();
    const line = cleanupLines().at(-1)!;
    expect(line).toMatchObject({ outcome: 'cleaned', deleted: 3, kept: 0, invalidated: invalidationPaths(key) });
    expect(line.uri).toBe(`s3://${stack.bucket}/${encodeEventKey(key)}`);
    // The deeper original's variants are not this original's.
    expect(await listKeys(stack.s3.client, stack.bucket, `_derived/${key}/`)).toEqual([`_derived/${deeper}/320xauto-inside-q75.jpg`]);
    expect(await size(`${base()}?w=320&fm=jpg`)).toEqual([320, 427, 'Miss from cloudfront']);
    const original = await get(base());
    expect(original.headers.get('x-cache')).toBe('Miss from cloudfront');
    expect(original.body.equals(portrait)).toBe(true);
  });

  it('uploading the same bytes again keeps every variant made from them (their original-etag matches)', async () => {
    const before = await listKeys(stack.s3.client, stack.bucket, `_derived/${key}/`);
    await put(key, portrait);
    await stack.derivedCleanup!.settled();
    expect(cleanupLines().at(-1)).toMatchObject({ outcome: 'cleaned', deleted: 0, kept: 1 });
    expect(await listKeys(stack.s3.client, stack.bucket, `_derived/${key}/`)).toEqual(before);
  });

  it('a deleted original loses every variant, and its thumbnails become 404', async () => {
    await stack.s3.client.send(new DeleteObjectCommand({ Bucket: stack.bucket, Key: key }));
    await stack.derivedCleanup!.settled();
    expect(cleanupLines().at(-1)).toMatchObject({ outcome: 'cleaned', deleted: 1 });
    expect(await exists(`_derived/${key}/320xauto-inside-q75.jpg`)).toBe(false);
    expect(await exists(`_derived/${deeper}/320xauto-inside-q75.jpg`)).toBe(true);
    expect((await get(`${base()}?w=320&fm=jpg`)).status).toBe(404);
    expect((await get(base())).status).toBe(404);
  });

  it("ignores image-resize's own writes under _derived/", () => {
    expect(cleanupLines().some((l) => l.outcome === 'ignored-derived')).toBe(true);
    // Deleting variants raises no further work either: every line is one invocation.
    expect(cleanupLines().every((l) => l.records === 1)).toBe(true);
  });
});

describe('the handler directly', () => {
  const event = (bucket: string, key: string, eventName = 'ObjectCreated:Put', eTag = 'abc'): S3Event => s3Event(bucket, key, eventName, eTag);

  it('decodes S3 event keys (+ is a space, %2B a plus)', () => {
    expect(decodeEventKey('photos/my+photo%2B1.jpg')).toBe('photos/my photo+1.jpg');
    expect(decodeEventKey(encodeEventKey('a b/c+d/é.jpg'))).toBe('a b/c+d/é.jpg');
  });

  it('ignores buckets it does not follow and keys no URL can name', async () => {
    const lines: LogLine[] = [];
    const invalidated: string[][] = [];
    const invalidator: Invalidator = {
      invalidate: async (paths) => {
        invalidated.push([...paths]);
        return { id: 'I1' };
      },
    };
    const client = new S3Client(s3ClientConfig('us-east-1', faulty.endpoint, tunables.s3));
    const handler = createHandler({ buckets: [stack.bucket] }, { store: s3DerivedStore(client), invalidator, log: (l) => lines.push(l) });
    expect((await handler(event('someone-else', 'photos/cat.jpg')))[0]?.outcome).toBe('ignored-bucket');
    expect((await handler(event(stack.bucket, 'photos/../cat.jpg')))[0]?.outcome).toBe('ignored-key');
    expect((await handler(event(stack.bucket, 'photos/cat.jpg', 'ObjectRestore:Completed')))[0]?.outcome).toBe('ignored-event');
    expect(invalidated).toEqual([]);
    expect(lines).toHaveLength(3);
    client.destroy();
  });

  it('fails loudly (for Lambda to retry) when S3 fails, and succeeds on the retry', async () => {
    const key = 'cleanup/retry.jpg';
    await put(key, landscape);
    expect((await get(`${stack.edge.url}/cleanup/retry.jpg?w=320&fm=jpg`)).status).toBe(200);
    await put(key, portrait);
    // The local wiring has already cleaned it; make a stale variant again to clean by hand.
    await stack.derivedCleanup!.settled();
    expect((await get(`${stack.edge.url}/cleanup/retry.jpg?w=480&fm=jpg`)).status).toBe(200);
    const lines: LogLine[] = [];
    const invalidated: string[][] = [];
    const invalidator: Invalidator = {
      invalidate: async (paths) => {
        invalidated.push([...paths]);
        return { id: 'I2' };
      },
    };
    const client = new S3Client(s3ClientConfig('us-east-1', faulty.endpoint, tunables.s3));
    const handler = createHandler({ buckets: [stack.bucket] }, { store: s3DerivedStore(client), invalidator, log: (l) => lines.push(l) });
    // ListObjectsV2 (a bucket-level GET) answers 500 on every attempt.
    faulty.inject({ method: 'GET', key: '', signed: true, fault: FAULTS.internalError });
    try {
      await expect(handler(event(stack.bucket, key, 'ObjectCreated:Put', 'a-new-etag'))).rejects.toThrow();
    } finally {
      faulty.clear();
    }
    expect(lines.at(-1)).toMatchObject({ fn: 'derived-cleanup', outcome: 'error', records: 1 });
    expect(String(lines.at(-1)?.['detail'])).toContain('InternalError');
    expect(invalidated).toEqual([]);
    const [outcome] = await handler(event(stack.bucket, key, 'ObjectCreated:Put', 'a-new-etag'));
    expect(outcome).toMatchObject({ outcome: 'cleaned', deleted: [`_derived/${key}/480xauto-inside-q75.jpg`] });
    expect(invalidated).toEqual([invalidationPaths(key)]);
    client.destroy();
  });

  it('fails loudly when the invalidation fails, after the variants are gone', async () => {
    const key = 'cleanup/no-invalidation.jpg';
    await put(key, landscape);
    await stack.derivedCleanup!.settled();
    expect((await get(`${stack.edge.url}/cleanup/no-invalidation.jpg?w=320&fm=jpg`)).status).toBe(200);
    const lines: LogLine[] = [];
    const client = new S3Client(s3ClientConfig('us-east-1', faulty.endpoint, tunables.s3));
    const invalidator: Invalidator = { invalidate: async () => Promise.reject(new Error('Throttling: Rate exceeded')) };
    const handler = createHandler({ buckets: [stack.bucket] }, { store: s3DerivedStore(client), invalidator, log: (l) => lines.push(l) });
    await expect(handler(event(stack.bucket, key, 'ObjectRemoved:Delete'))).rejects.toThrow('Rate exceeded');
    expect(lines.at(-1)).toMatchObject({ outcome: 'error' });
    expect(String(lines.at(-1)?.['detail'])).toContain('Rate exceeded');
    expect(await listKeys(stack.s3.client, stack.bucket, `_derived/${key}/`)).toEqual([]);
    client.destroy();
  });

  it('never deletes anything outside _derived/', () => {
    const deletes = faulty.seen.filter((r) => r.method === 'DELETE' || (r.method === 'POST' && r.query.includes('delete')));
    expect(deletes.length).toBeGreaterThan(0);
    // DeleteObjects names its keys in the body; the adapter refuses any key outside _derived/ first.
    expect(deletes.every((r) => r.key === '' || r.key.startsWith('_derived/'))).toBe(true);
  });
});
