/**
 * S3 failing under the real pipeline: a fault-injecting proxy (test/support/faulty-s3.ts) stands
 * between the embedded S3 and everything that talks to it (image-resize's SDK client and the edge's
 * S3 origin), and breaks requests by rule. No SDK mocks: the client's retries, timeouts and deadlines
 * (tunables.s3 in functions/adapters/s3/store.ts) are the deployed ones.
 *
 * What is asserted each time: the status the viewer sees, what the edge caches, the log line (the
 * internal detail there and only there), and what S3 holds afterwards (never a partial object).
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { derivedUri, parseImageUrl } from '../../functions/core/grammar.ts';
import type { LogLine } from '../../functions/core/log.ts';
import { distribution, tunables } from '../../infra/distribution.ts';
import type { S3OriginSpec } from '../../infra/distribution.ts';
import type { LocalStack } from '../../infra/local-stack.ts';
import { FAULTS } from '../support/faulty-s3.ts';
import type { FaultRule, FaultyS3 } from '../support/faulty-s3.ts';
import { startStackBehindFaultyS3 } from '../support/stack.ts';
import { get } from '../support/http.ts';
import { LEAK, hashOriginals, listKeys, objectBytes } from '../support/originals.ts';

const BUCKETS = distribution.origins.filter((o): o is S3OriginSpec => o.kind === 's3').map((o) => o.bucket);
const ORIGINAL = 'photos/cat.jpg';

let stack: LocalStack;
let faulty: FaultyS3;
const logs: LogLine[] = [];
let before: Map<string, string>;

beforeAll(async () => {
  ({ stack, faulty } = await startStackBehindFaultyS3({
    port: 0,
    log: (line) => logs.push(line),
    // CloudFront waits 30 s for an origin; 2 s here so the hung-origin case is quick to watch.
    originTimeouts: { readMs: 2_000 },
  }));
  before = await hashOriginals(stack.s3.client, BUCKETS);
});
afterAll(async () => {
  await stack?.close();
  await faulty?.close();
});
beforeEach(() => faulty.clear());

// Every test asks for a thumbnail no other test asked for: nothing is cached or stored yet.
const SIZES = distribution.images.sizes;
const QUALITIES = distribution.images.qualities;
let next = 0;
function freshThumbnail(format = 'webp'): { url: string; uri: string; key: string } {
  const n = next++;
  const size = SIZES[n % SIZES.length]!;
  const quality = QUALITIES[Math.floor(n / SIZES.length) % QUALITIES.length]!;
  const path = `/${size}/${ORIGINAL}`;
  const query = `fm=${format}&q=${quality}`;
  const parsed = parseImageUrl(path, query, undefined, distribution.images);
  if (parsed.kind !== 'derived') throw new Error('expected a derived image');
  const uri = derivedUri(parsed.key, parsed.variant);
  return { url: `${stack.edge.url}${path}?${query}`, uri, key: decodeURIComponent(uri.slice(1)) };
}

const resizeLines = (uri: string) => logs.filter((l) => l.fn === 'image-resize' && l.uri === uri);
const originalGets = () => faulty.seen.filter((r) => r.method === 'GET' && r.key === ORIGINAL && r.signed);

async function stored(key: string): Promise<boolean> {
  try {
    await stack.s3.client.send(new HeadObjectCommand({ Bucket: stack.bucket, Key: key }));
    return true;
  } catch {
    return false;
  }
}

function injectOnOriginal(fault: FaultRule['fault'], times?: number): void {
  faulty.inject({ method: 'GET', key: ORIGINAL, signed: true, fault, ...(times === undefined ? {} : { times }) });
}
function injectOnDerivedWrite(fault: FaultRule['fault'], times?: number): void {
  faulty.inject({ method: 'PUT', key: /^_derived\//, signed: true, fault, ...(times === undefined ? {} : { times }) });
}

describe('GetObject of the original fails', () => {
  it.each([
    ['500 InternalError, once', FAULTS.internalError],
    ['503 SlowDown, twice', FAULTS.slowDown],
    ['a connection reset, once', FAULTS.reset],
  ] as const)('%s: the SDK retries and the viewer gets the image', async (name, fault) => {
    const thumb = freshThumbnail();
    const gets = originalGets().length;
    injectOnOriginal(fault, name.includes('twice') ? 2 : 1);
    const response = await get(thumb.url);
    expect(response.status).toBe(200);
    expect((await sharp(response.body).metadata()).format).toBe('webp');
    expect(originalGets().length - gets).toBe(name.includes('twice') ? 3 : 2);
    expect(resizeLines(thumb.uri).at(-1)).toMatchObject({ outcome: 'resized', stored: 'stored' });
  });

  it.each([
    ['503 SlowDown', FAULTS.slowDown, 503, /busy; try again/, /SlowDown/],
    ['500 InternalError', FAULTS.internalError, 502, /The image store failed/, /InternalError/],
    ['connection resets', FAULTS.reset, 502, /The image store failed/, /ECONNRESET|socket hang up/],
  ] as const)('%s on every attempt: the viewer gets a clean 5xx, detail in the log only', async (_name, fault, status, says, detail) => {
    const thumb = freshThumbnail();
    const gets = originalGets().length;
    injectOnOriginal(fault);
    const response = await get(thumb.url);
    expect(response.status).toBe(status);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = response.body.toString();
    expect(body).toMatch(says);
    expect(body).not.toMatch(detail);
    expect(body).not.toMatch(LEAK);
    expect(originalGets().length - gets).toBe(tunables.s3.maxAttempts);
    const line = resizeLines(thumb.uri).at(-1);
    expect(line).toMatchObject({ outcome: 'error', status });
    expect(String(line?.['detail'])).toMatch(detail);
    expect(String(line?.['detail'])).toContain(`GetObject ${stack.bucket}/${ORIGINAL}`);
    // image-resize's own 5xx does not stick (distribution.ts errorCaching: a minimum TTL of 0 for 500,
    // 502 and 503, where CloudFront would keep it 10 s whatever no-store says): the viewer's retry
    // reaches S3 again, and once S3 recovers the image is made.
    const retried = await get(thumb.url);
    expect([retried.status, retried.headers.get('x-cache')]).toEqual([status, 'Miss from cloudfront']);
    expect(originalGets().length - gets).toBe(2 * tunables.s3.maxAttempts);
    faulty.clear();
    const again = await get(thumb.url);
    expect([again.status, again.headers.get('x-cache')]).toEqual([200, 'Miss from cloudfront']);
  });

  it('a body cut short is a 502, never a corrupt source cached as 422', async () => {
    const thumb = freshThumbnail();
    injectOnOriginal({ kind: 'cut', afterBytes: 2_000 }, 1);
    const response = await get(thumb.url);
    expect(response.status).toBe(502);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(String(resizeLines(thumb.uri).at(-1)?.['detail'])).toMatch(/TruncatedBody|aborted|ECONNRESET|premature/i);
    expect(await stored(thumb.key)).toBe(false);
  });

  it(`hangs: a clean 503 once the ${tunables.s3.getDeadlineMs} ms deadline passes, well inside the 30 s origin-response limit`, async () => {
    const thumb = freshThumbnail();
    injectOnOriginal(FAULTS.hang);
    const started = performance.now();
    const response = await get(thumb.url);
    const seconds = (performance.now() - started) / 1000;
    expect(response.status).toBe(503);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.body.toString()).toMatch(/did not answer in time; try again/);
    expect(seconds).toBeGreaterThan(tunables.s3.getDeadlineMs / 1000 - 0.5);
    expect(seconds).toBeLessThan(tunables.s3.getDeadlineMs / 1000 + 2);
    expect(String(resizeLines(thumb.uri).at(-1)?.['detail'])).toMatch(new RegExp(`no answer within ${tunables.s3.getDeadlineMs} ms`));
  });
});

describe('PutObject of the thumbnail fails after the image was made', () => {
  it.each([
    ['500 InternalError', FAULTS.internalError, /InternalError/],
    ['503 SlowDown', FAULTS.slowDown, /SlowDown/],
    ['a connection reset', FAULTS.reset, /ECONNRESET|socket hang up/],
    ['an upload cut mid-body', { kind: 'cut', afterBytes: 500 } as const, /ECONNRESET|socket hang up|EPIPE|IncompleteBody|aborted/],
    ['a hang', FAULTS.hang, new RegExp(`no answer within ${tunables.s3.putDeadlineMs} ms`)],
  ] as const)('%s: the viewer still gets the image, the failure is logged, nothing is left in S3', async (_name, fault, detail) => {
    const thumb = freshThumbnail();
    injectOnDerivedWrite(fault);
    const started = performance.now();
    const response = await get(thumb.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await sharp(response.body).metadata()).format).toBe('webp');
    // Bounded by the PutObject deadline even when S3 never answers.
    expect(performance.now() - started).toBeLessThan(tunables.s3.putDeadlineMs + 2_000);
    const line = resizeLines(thumb.uri).at(-1);
    expect(line).toMatchObject({ outcome: 'resized', status: 200, stored: 'failed' });
    expect(String(line?.['storeError'])).toMatch(detail);
    faulty.clear();
    // Nothing partial: no object at all under the derived key.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await stored(thumb.key)).toBe(false);
  });

  it('412 on the conditional write counts as stored by someone else', async () => {
    const thumb = freshThumbnail();
    injectOnDerivedWrite(FAULTS.preconditionFailed, 1);
    expect((await get(thumb.url)).status).toBe(200);
    expect(resizeLines(thumb.uri).at(-1)).toMatchObject({ outcome: 'resized', stored: 'exists' });
  });

  it('409 ConditionalRequestConflict is tried again, and the thumbnail is stored', async () => {
    const thumb = freshThumbnail();
    injectOnDerivedWrite(FAULTS.conditionalConflict, 1);
    expect((await get(thumb.url)).status).toBe(200);
    expect(resizeLines(thumb.uri).at(-1)).toMatchObject({ outcome: 'resized', stored: 'stored' });
    expect(await stored(thumb.key)).toBe(true);
  });

  it('an image over the 1 MB answer cap whose write fails is a 503 to retry, not a 502', async () => {
    const url = `${stack.edge.url}/landscape-12mp.jpg?w=1920&fm=png&q=95`;
    injectOnDerivedWrite(FAULTS.internalError);
    const response = await get(url);
    expect(response.status).toBe(503);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.body.toString()).toMatch(/too large to answer before it is stored/);
  });
});

describe("the edge's own S3 origin fails", () => {
  it('503 from S3 for the derived key: the origin group fails over to the HTTP image origin', async () => {
    const thumb = freshThumbnail();
    faulty.inject({ method: 'GET', key: thumb.key, signed: false, fault: FAULTS.slowDown });
    const response = await get(thumb.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-local-origin')).toBe('image-origin');
    expect(response.headers.get('x-local-failover')).toBe('images-s3 (503)');
  });

  it('S3 never answers: the read timeout counts as 504, and the group fails over', async () => {
    const thumb = freshThumbnail();
    faulty.inject({ method: 'GET', key: thumb.key, signed: false, fault: FAULTS.hang });
    const response = await get(thumb.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-local-origin')).toBe('image-origin');
    expect(response.headers.get('x-local-failover')).toMatch(/^images-s3 \(no answer within 2000 ms/);
  });
});

describe('after every fault', () => {
  it('every derived object in S3 decodes, and every original is unchanged', async () => {
    faulty.clear();
    const derived = await listKeys(stack.s3.client, stack.bucket, '_derived/');
    expect(derived.length).toBeGreaterThan(5);
    for (const key of derived) {
      const meta = await sharp(await objectBytes(stack.s3.client, stack.bucket, key)).metadata();
      expect(meta.width, key).toBeGreaterThan(0);
    }
    expect(await hashOriginals(stack.s3.client, BUCKETS)).toEqual(before);
    expect(faulty.writes().filter((w) => !w.key.startsWith('_derived/'))).toEqual([]);
  });
});
