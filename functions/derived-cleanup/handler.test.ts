/**
 * derived-cleanup against a real s3rver: which variants of an original go, which stay, and what is
 * invalidated. CloudFront invalidations are recorded (there is no CloudFront here); the end-to-end
 * run through the local edge is test/e2e/derived-cleanup.test.ts.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalS3 } from '../../infra/local/s3.ts';
import type { LocalS3 } from '../../infra/local/s3.ts';
import { s3Event } from '../../test/support/s3-event.ts';
import { listKeys } from '../../test/support/originals.ts';
import { s3DerivedStore } from '../adapters/s3/derived.ts';
import type { LogLine } from '../core/log.ts';
import { createHandler, decodeEventKey, invalidationPaths } from './handler.ts';

const BUCKET = 'cleanup-unit';
let s3: LocalS3;

beforeAll(async () => {
  s3 = await startLocalS3({ buckets: [BUCKET] });
});
afterAll(() => s3?.close());

const put = (key: string, metadata: Record<string, string> = {}) =>
  s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Buffer.from(key), Metadata: metadata }));

function handler() {
  const lines: LogLine[] = [];
  const invalidated: string[][] = [];
  const run = createHandler(
    { buckets: [BUCKET] },
    {
      store: s3DerivedStore(s3.client),
      invalidator: {
        invalidate: async (paths) => {
          invalidated.push([...paths]);
          return { id: `I${invalidated.length}` };
        },
      },
      log: (line) => lines.push(line),
    },
  );
  return { run, lines, invalidated };
}

describe('derived-cleanup', () => {
  it('on a new original, deletes the variants made from the old one and keeps those made from the new', async () => {
    await put('_derived/a/cat.jpg/128x128-cover-q75.webp', { 'original-etag': 'old' });
    await put('_derived/a/cat.jpg/256x256-cover-q75.webp', { 'original-etag': 'new' });
    await put('_derived/a/cat.jpg/deeper.jpg/64x64-cover-q75.webp', { 'original-etag': 'old' });
    const { run, lines, invalidated } = handler();
    const [outcome] = await run(s3Event(BUCKET, 'a/cat.jpg', 'ObjectCreated:Put', 'new'), { awsRequestId: 'req-1' });
    expect(outcome).toMatchObject({
      outcome: 'cleaned',
      deleted: ['_derived/a/cat.jpg/128x128-cover-q75.webp'],
      kept: ['_derived/a/cat.jpg/256x256-cover-q75.webp'],
    });
    expect(await listKeys(s3.client, BUCKET, '_derived/a/')).toEqual([
      '_derived/a/cat.jpg/256x256-cover-q75.webp',
      '_derived/a/cat.jpg/deeper.jpg/64x64-cover-q75.webp',
    ]);
    expect(invalidated).toEqual([invalidationPaths('a/cat.jpg')]);
    expect(lines).toEqual([expect.objectContaining({ fn: 'derived-cleanup', level: 'info', requestId: 'req-1', outcome: 'cleaned', deleted: 1, kept: 1 })]);
  });

  it('on a removed original, deletes every variant', async () => {
    await put('_derived/b c.jpg/128x128-cover-q75.webp', { 'original-etag': 'x' });
    const { run, invalidated } = handler();
    const [outcome] = await run(s3Event(BUCKET, 'b c.jpg', 'ObjectRemoved:Delete'));
    expect(outcome?.deleted).toEqual(['_derived/b c.jpg/128x128-cover-q75.webp']);
    expect(invalidated).toEqual([['/b%20c.jpg', '/_derived/b%20c.jpg/*']]);
  });

  it('ignores its own writes, other buckets, other events and keys no URL serves, touching nothing', async () => {
    const { run, invalidated } = handler();
    const outcomes = [
      ...(await run(s3Event(BUCKET, '_derived/a/cat.jpg/128x128-cover-q75.webp'))),
      ...(await run(s3Event('someone-else', 'a/cat.jpg'))),
      ...(await run(s3Event(BUCKET, 'a/cat.jpg', 'ObjectTagging:Put'))),
      ...(await run(s3Event(BUCKET, 'a/../cat.jpg'))),
    ];
    expect(outcomes.map((o) => o.outcome)).toEqual(['ignored-derived', 'ignored-bucket', 'ignored-event', 'ignored-key']);
    expect(invalidated).toEqual([]);
  });

  it('decodes S3 event keys (URL-encoded, + for space)', () => {
    expect(decodeEventKey('photos/caf%C3%A9+au+lait.jpg')).toBe('photos/café au lait.jpg');
  });
});
