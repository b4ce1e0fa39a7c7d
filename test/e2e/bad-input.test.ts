/**
 * The bad-input corpus (corpus.ts) through the local edge and through each handler directly.
 * Every input gets its documented status, never a stack trace or an internal name, never a write to
 * S3 (a fault-free recording proxy stands in front of the embedded S3 and sees every request), and
 * the edge keeps serving. At the end, every original in every bucket (and on the image origin's
 * disk) is byte for byte what it was before the corpus ran.
 */
import { readFile, readdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { CloudFrontRequestEvent, CloudFrontResultResponse } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originResponseEvent, viewerRequestEvent } from '../../infra/local/cloudfront-events.ts';
import { validateResult } from '../../infra/local/cloudfront-validate.ts';
import { render } from '../../functions/adapters/image/render.ts';
import { s3Store } from '../../functions/adapters/s3/store.ts';
import type { LogLine } from '../../functions/core/log.ts';
import { createHandler as imageRequest } from '../../functions/image-request/handler.ts';
import { createHandler as imageResize } from '../../functions/image-resize/handler.ts';
import { createHandler as signedUrl } from '../../functions/signed-url/handler.ts';
import { imageRequestConfig, imageResizeConfig, signedUrlConfig } from '../../infra/config.ts';
import { distribution, s3DomainName, viewerRuntimeOf } from '../../infra/distribution.ts';
import type { S3OriginSpec } from '../../infra/distribution.ts';
import { matchBehavior } from '../../infra/local/behaviors.ts';
import type { LocalStack } from '../../infra/local-stack.ts';
import type { FaultyS3 } from '../support/faulty-s3.ts';
import { startStackBehindFaultyS3 } from '../support/stack.ts';
import { ACCEPT_WEBP, rawGet } from '../support/http.ts';
import { LEAK, hashOriginals } from '../support/originals.ts';
import { rawSend } from '../support/raw-socket.ts';
import { CORPUS, CRAFTED_ORIGINALS, craftedInputs } from '../support/corpus.ts';
import type { BadInput } from '../support/corpus.ts';
import { sha256 } from '../support/hash.ts';

const BUCKETS = distribution.origins.filter((o): o is S3OriginSpec => o.kind === 's3').map((o) => o.bucket);
const TRUNCATED = 'crafted/truncated.jpg';
const ALL: readonly BadInput[] = [...CORPUS, ...craftedInputs(TRUNCATED)];

let stack: LocalStack;
let faulty: FaultyS3;
const logs: LogLine[] = [];
let before: Map<string, string>;
let fixturesBefore: Map<string, string>;

async function hashDirectory(root: string): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    hashes.set(path.relative(root, file), sha256(await readFile(file)));
  }
  return hashes;
}

beforeAll(async () => {
  ({ stack, faulty } = await startStackBehindFaultyS3({
    port: 0,
    log: (line) => logs.push(line),
  }));
  const crafted: [string, Buffer][] = Object.entries(CRAFTED_ORIGINALS).map(([key, { make }]) => [key, make()]);
  const cat = await readFile('fixtures/images/photos/cat.jpg');
  crafted.push([TRUNCATED, cat.subarray(0, Math.floor(cat.byteLength / 2))]);
  for (const [key, body] of crafted) {
    await stack.s3.client.send(
      new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: body, ContentType: key.endsWith('.png') ? 'image/png' : 'image/jpeg' }),
    );
  }
  await stack.derivedCleanup?.settled();
  before = await hashOriginals(stack.s3.client, BUCKETS);
  fixturesBefore = await hashDirectory('fixtures/images');
  // A known-good thumbnail, cached: the edge must keep serving it after every bad input.
  expect((await rawGet(stack.edge.url, '/64x64/photos/cat.jpg', { Accept: ACCEPT_WEBP })).status).toBe(200);
});

afterAll(async () => {
  await stack?.close();
  await faulty?.close();
});

async function send(input: BadInput) {
  if (input.raw) return rawSend(stack.edge.url, input.raw);
  return rawGet(stack.edge.url, input.path, { ...input.headers }, input.method ?? 'GET');
}

describe('the corpus through the local edge', () => {
  it.each(ALL.map((input) => [input.name, input] as const))('%s', async (_name, input) => {
    const seenBefore = faulty.seen.length;
    const originBefore = logs.filter((l) => l.fn === 'image-origin').length;
    const response = await send(input);
    expect(response.status, `${input.method ?? 'GET'} ${input.path.slice(0, 120)}`).toBe(input.status);
    const body = response.body.toString('utf8');
    expect(body).not.toMatch(LEAK);
    if (input.says) expect(body).toMatch(input.says);
    if (input.by !== 'origin') {
      // Refused before the cache: nothing reached S3 or the HTTP image origin.
      expect(faulty.seen.length).toBe(seenBefore);
      expect(logs.filter((l) => l.fn === 'image-origin').length).toBe(originBefore);
    }
    if (input.by === 'viewer-request' && 'headers' in response && response.headers instanceof Headers) {
      // Generated by the behavior's viewer-request function, in the runtime distribution.ts gives it.
      const runtime = viewerRuntimeOf(matchBehavior(distribution, input.path.split('?')[0] ?? input.path));
      expect(response.headers.get('x-cache')).toBe(
        runtime === 'cloudfront-function' ? 'FunctionGeneratedResponse from cloudfront' : 'LambdaGeneratedResponse from cloudfront',
      );
    }
    // The edge keeps serving.
    const healthy = await rawGet(stack.edge.url, '/64x64/photos/cat.jpg', { Accept: ACCEPT_WEBP });
    expect([healthy.status, healthy.headers.get('x-cache')]).toEqual([200, 'Hit from cloudfront']);
  });

  it('never lets a viewer choose the origin with a forged CloudFront-Viewer-Country', async () => {
    const forged = await rawGet(stack.edge.url, '/192x192/photos/cat.jpg', { Accept: ACCEPT_WEBP, 'CloudFront-Viewer-Country': 'DE' });
    expect([forged.status, forged.headers.get('x-local-origin')]).toEqual([200, 'images-s3']);
    const geo = logs.filter((l) => l.fn === 'geo-route' && l.uri === '/_derived/photos/cat.jpg/192x192-cover-q75.webp');
    expect(geo.map((l) => [l.outcome, l['country']])).toEqual([['default', '-']]);
  });

  it('renders an SVG original without fetching anything it references', async () => {
    let fetched = 0;
    const bait = createServer((_req, res) => {
      fetched++;
      res.end();
    });
    await new Promise<void>((resolve) => bait.listen(0, '127.0.0.1', resolve));
    const { port } = bait.address() as AddressInfo;
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="200" height="200">
      <image href="http://127.0.0.1:${port}/ssrf.png" width="100" height="100"/>
      <image xlink:href="file:///etc/passwd" width="100" height="100"/>
      <rect width="50" height="50" fill="red"/></svg>`;
    await stack.s3.client.send(new PutObjectCommand({ Bucket: stack.bucket, Key: 'crafted/ssrf.svg', Body: svg, ContentType: 'image/svg+xml' }));
    try {
      const response = await rawGet(stack.edge.url, '/128x128/crafted/ssrf.svg?fm=png');
      expect(response.status).toBe(200);
      expect(fetched).toBe(0);
    } finally {
      bait.close();
    }
    before.set(`${stack.bucket}/crafted/ssrf.svg`, sha256(svg));
  });
});

describe('the corpus through each handler directly', () => {
  const log: LogLine[] = [];
  const functions = {
    'image-request': imageRequest(imageRequestConfig(), { log: (l) => log.push(l) }),
    'signed-url': signedUrl({ ...signedUrlConfig(), scheme: 'http' }, { log: (l) => log.push(l) }),
  };

  const viaHandlers = ALL.filter((input) => !input.raw && input.by !== 'node');
  it.each(viaHandlers.map((input) => [input.name, input] as const))('%s', async (_name, input) => {
    const queryAt = input.path.indexOf('?');
    const uri = queryAt === -1 ? input.path : input.path.slice(0, queryAt);
    const behavior = matchBehavior(distribution, uri);
    const fn = behavior.functions['viewer-request'] as keyof typeof functions;
    const headers: CloudFrontRequestEvent['Records'][number]['cf']['request']['headers'] = { host: [{ key: 'Host', value: '127.0.0.1:3000' }] };
    for (const [name, value] of Object.entries(input.headers ?? {})) {
      // CloudFront never shows a viewer function its own CloudFront-Viewer-* (or X-Amz-Cf-*) headers.
      if (/^(cloudfront-viewer-|x-amz-cf-)/i.test(name)) continue;
      headers[name.toLowerCase()] = [{ key: name, value }];
    }
    const event = viewerRequestEvent({
      clientIp: '203.0.113.9',
      method: input.method ?? 'GET',
      uri,
      querystring: queryAt === -1 ? '' : input.path.slice(queryAt + 1),
      headers,
    });
    const sent = structuredClone(event);
    const lines = log.length;
    const result = await functions[fn](event);
    const validated = validateResult('viewer-request', sent, result);
    expect(validated).toMatchObject({ ok: true });
    expect(log.length - lines).toBe(1);
    expect(log.at(-1)).toMatchObject({ fn, requestId: sent.Records[0]!.cf.config.requestId });
    if (input.by === 'viewer-request') {
      const response = result as CloudFrontResultResponse;
      expect(response.status).toBe(String(input.status));
      expect(response.body ?? '').not.toMatch(LEAK);
      if (input.says) expect(response.body).toMatch(input.says);
    } else if (input.by === 'origin') {
      expect(result).not.toHaveProperty('status');
    }
  });

  it('image-resize answers every corpus URI that reaches it as a 404 from S3, never with a 5xx or a throw', async () => {
    const lines: LogLine[] = [];
    const store = s3Store(() => stack.s3.client);
    const resize = imageResize(imageResizeConfig(), { store, render, log: (l) => lines.push(l) });
    const primary = distribution.origins.find((o): o is S3OriginSpec => o.kind === 's3')!;
    const uris = new Set<string>();
    for (const input of viaHandlers) {
      const raw = input.path.split('?', 1)[0]!;
      if (raw.startsWith('/')) uris.add(raw);
      // And what the viewer-request made of it, when it went on.
      const event = viewerRequestEvent({
        clientIp: '203.0.113.9',
        uri: raw,
        querystring: input.path.includes('?') ? input.path.slice(input.path.indexOf('?') + 1) : '',
      });
      const result = await functions['image-request'](event);
      if (!('status' in (result as object))) uris.add((result as { uri: string }).uri);
    }
    const statuses = new Set<string>();
    for (const uri of uris) {
      const event = originResponseEvent({
        clientIp: '203.0.113.9',
        uri,
        origin: { s3: { domainName: s3DomainName(primary), region: primary.region, path: '', authMethod: 'origin-access-identity', customHeaders: {} } },
        response: { status: '404', statusDescription: 'Not Found', headers: { 'content-type': [{ key: 'Content-Type', value: 'application/xml' }] } },
      });
      const sent = structuredClone(event);
      const result = await resize(event);
      const validated = validateResult('origin-response', sent, result);
      expect(validated, uri).toMatchObject({ ok: true });
      const status = (result as CloudFrontResultResponse).status ?? '';
      statuses.add(status);
      expect(Number(status), uri).toBeLessThan(500);
      if (validated.ok && validated.kind === 'response') expect(validated.body?.toString('utf8') ?? '').not.toMatch(LEAK);
    }
    expect(lines.length).toBe(uris.size);
    expect([...statuses].sort()).toEqual(expect.arrayContaining(['200', '400', '404']));
  });
});

describe('originals are sacred', () => {
  it('no request of the corpus wrote to S3 outside _derived/', () => {
    const writes = faulty.writes();
    expect(writes.filter((w) => !w.key.startsWith('_derived/'))).toEqual([]);
    // The only writes are the conditional PUTs of thumbnails.
    expect(writes.every((w) => w.method === 'PUT')).toBe(true);
  });

  it('left every original in every bucket, and on the image origin disk, byte for byte as it was', async () => {
    expect(await hashOriginals(stack.s3.client, BUCKETS)).toEqual(before);
    expect(await hashDirectory('fixtures/images')).toEqual(fixturesBefore);
  });
});
