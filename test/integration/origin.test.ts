/**
 * The HTTP image origin (infra/origin): originals and derived images from a directory or from S3,
 * resized with the same grammar and renderer as image-resize, health and graceful shutdown, and the
 * `npm run origin` entry point under SIGTERM.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { build } from 'esbuild';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../functions/adapters/image/render.ts';
import { s3Store } from '../../functions/adapters/s3/store.ts';
import type { LogLine } from '../../functions/core/log.ts';
import { distribution } from '../../infra/distribution.ts';
import { seedOriginals, startLocalS3 } from '../../infra/local/s3.ts';
import { startImageOrigin } from '../../infra/origin/server.ts';
import type { ImageOrigin } from '../../infra/origin/server.ts';
import { bucketStore, directoryStore } from '../../infra/origin/store.ts';
import { get, rawGet } from '../support/http.ts';
import { sha256 } from '../support/hash.ts';

const IMAGES = path.resolve('fixtures/images');

async function listFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(directory, path.join(e.parentPath, e.name)))
    .sort();
}

async function until(condition: () => boolean, ms = 5_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > ms) throw new Error('Expected a condition to become true but it did not');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('the HTTP image origin on a directory', () => {
  let origin: ImageOrigin;
  let derived: string;
  const logs: LogLine[] = [];
  let fixturesBefore: string[];

  beforeAll(async () => {
    fixturesBefore = await listFiles(IMAGES);
    derived = await mkdtemp(path.join(tmpdir(), 'edge-images-origin-test-'));
    origin = await startImageOrigin({
      store: directoryStore({ originals: IMAGES, derived }),
      policy: distribution.images,
      render,
      log: (line) => logs.push(line),
    });
  });
  afterAll(async () => {
    await origin?.close();
    await rm(derived, { recursive: true, force: true });
  });

  it('answers /healthz with 200', async () => {
    const health = await get(`${origin.url}/healthz`);
    expect([health.status, health.body.toString(), health.headers.get('cache-control')]).toEqual([200, 'ok\n', 'no-store']);
  });

  it('serves an original byte for byte, with a validator, HEAD and 304', async () => {
    const original = await get(`${origin.url}/photos/cat.jpg`);
    expect(original.status).toBe(200);
    expect(original.headers.get('content-type')).toBe('image/jpeg');
    expect(sha256(original.body)).toBe(sha256(await readFile(path.join(IMAGES, 'photos/cat.jpg'))));
    const etag = original.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    const head = await get(`${origin.url}/photos/cat.jpg`, {}, 'HEAD');
    expect([head.status, head.headers.get('content-length'), head.body.length]).toEqual([200, String(original.body.length), 0]);
    const again = await get(`${origin.url}/photos/cat.jpg`, { 'If-None-Match': etag });
    expect([again.status, again.body.length]).toEqual([304, 0]);
  });

  it('finds keys with spaces, unicode and a plus sign', async () => {
    expect((await get(`${origin.url}/photos/caf%C3%A9%20au%20lait.jpg`)).status).toBe(200);
    expect((await get(`${origin.url}/photos/a%2Bb.jpg`)).status).toBe(200);
  });

  it('resizes a derived URI from its original, stores it, then serves the stored copy', async () => {
    const uri = '/_derived/photos/cat.jpg/128x128-cover-q75.webp';
    const first = await get(`${origin.url}${uri}`);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('image/webp');
    expect(first.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(first.headers.get('vary')).toBe('Accept');
    const meta = await sharp(first.body).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 128, 128]);
    expect(await listFiles(derived)).toContain(path.join('_derived', 'photos', 'cat.jpg', '128x128-cover-q75.webp'));
    expect(logs.find((l) => l.uri === uri)).toMatchObject({ fn: 'image-origin', outcome: 'resized', status: 200, detail: 'stored' });

    const second = await get(`${origin.url}${uri}`);
    expect(sha256(second.body)).toBe(sha256(first.body));
    expect(logs.filter((l) => l.uri === uri).map((l) => l.outcome)).toEqual(['resized', 'stored']);
  });

  it('makes the same pixels as image-resize would (same renderer, same variant)', async () => {
    const response = await get(`${origin.url}/_derived/photos/caf%C3%A9%20au%20lait.jpg/320xauto-inside-q75.jpg`);
    expect(response.status).toBe(200);
    const meta = await sharp(response.body).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 320, 240]);
    const direct = await render(
      await readFile(path.join(IMAGES, 'photos/café au lait.jpg')),
      { width: 320, height: undefined, fit: 'inside', quality: 75, format: 'jpg' },
      distribution.images.limits,
    );
    expect(sha256(response.body)).toBe(sha256(direct.data));
  });

  it('answers one resize to concurrent misses for the same key', async () => {
    const uri = '/_derived/street-1080p.jpg/256x256-cover-q75.avif';
    const answers = await Promise.all([1, 2, 3].map(() => get(`${origin.url}${uri}`)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(new Set(answers.map((a) => sha256(a.body))).size).toBe(1);
  });

  it.each([
    ['/_derived/photos/cat.jpg/128x128-cover-q75.WEBP'],
    ['/_derived/photos/cat.jpg/100x100-cover-q75.webp'],
    ['/_derived/photos/cat.jpg/128x128-q75.webp'],
    ['/_derived/photos/cat.jpg/640x480-inside-q75.jpg'],
    ['/_derived/photos/caf%c3%a9%20au%20lait.jpg/320xauto-inside-q75.jpg'],
    ['/_derived/photos/cat.jpg'],
  ])('answers the non-canonical derived URI %s with 400', async (uri) => {
    const response = await rawGet(origin.url, uri);
    expect(response.status).toBe(400);
    expect(response.body.toString()).toMatch(/^400 Bad Request: Expected /);
  });

  it.each([['/photos/%2e%2e/%2e%2e/etc/passwd'], ['/photos/../../package.json'], ['/_derived/photos/%2e%2e/x.jpg/128x128-cover-q75.webp']])(
    'refuses the traversal %s with 400',
    async (uri) => {
      expect((await rawGet(origin.url, uri)).status).toBe(400);
    },
  );

  it('answers 404 for a missing original, direct or derived, cached for seconds', async () => {
    const derivedMissing = await get(`${origin.url}/_derived/photos/missing.jpg/128x128-cover-q75.webp`);
    expect([derivedMissing.status, derivedMissing.headers.get('cache-control')]).toEqual([404, 'public, max-age=10']);
    expect(derivedMissing.body.toString()).toBe('404 Not Found: The original image does not exist\n');
    expect((await get(`${origin.url}/photos/missing.jpg`)).status).toBe(404);
  });

  it('answers GET and HEAD only', async () => {
    const response = await get(`${origin.url}/photos/cat.jpg`, {}, 'POST');
    expect([response.status, response.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
  });

  it('never writes into the originals directory', async () => {
    expect(await listFiles(IMAGES)).toEqual(fixturesBefore);
  });
});

describe('the HTTP image origin on S3', () => {
  it('reads originals from the bucket and stores derived images back with a conditional write', async () => {
    const s3 = await startLocalS3({ buckets: ['origin-test'] });
    const origin = await startImageOrigin({
      store: bucketStore(
        s3Store(() => s3.client),
        'origin-test',
      ),
      policy: distribution.images,
      render,
      log: () => {},
    });
    try {
      await seedOriginals(s3.client, 'origin-test', IMAGES);
      const response = await get(`${origin.url}/_derived/photos/a%2Bb.jpg/64x64-cover-q85.png`);
      expect(response.status).toBe(200);
      expect((await sharp(response.body).metadata()).format).toBe('png');
      const head = await s3.client.send(new HeadObjectCommand({ Bucket: 'origin-test', Key: '_derived/photos/a+b.jpg/64x64-cover-q85.png' }));
      expect([head.ContentType, head.CacheControl]).toEqual(['image/png', 'public, max-age=31536000, immutable']);
      expect((await get(`${origin.url}/_derived/nope.jpg/64x64-cover-q85.png`)).status).toBe(404);
    } finally {
      await origin.close();
      await s3.close();
    }
  });

  it('with storeDerived off, resizes without writing', async () => {
    const derived = await mkdtemp(path.join(tmpdir(), 'edge-images-origin-ro-'));
    const origin = await startImageOrigin({
      store: directoryStore({ originals: IMAGES, derived }),
      policy: distribution.images,
      render,
      storeDerived: false,
      log: () => {},
    });
    try {
      expect((await get(`${origin.url}/_derived/photos/cat.jpg/64x64-cover-q75.jpg`)).status).toBe(200);
      expect(await listFiles(derived)).toEqual([]);
    } finally {
      await origin.close();
      await rm(derived, { recursive: true, force: true });
    }
  });
});

describe('graceful shutdown', () => {
  async function gatedOrigin(drainTimeoutMs?: number, storeDerived = true) {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const derived = await mkdtemp(path.join(tmpdir(), 'edge-images-origin-drain-'));
    const origin = await startImageOrigin({
      store: directoryStore({ originals: IMAGES, derived }),
      policy: distribution.images,
      render: async (...args) => {
        await gate;
        return render(...args);
      },
      log: () => {},
      storeDerived,
      ...(drainTimeoutMs === undefined ? {} : { drainTimeoutMs }),
    });
    return { origin, release, cleanup: () => rm(derived, { recursive: true, force: true }) };
  }

  it('stops accepting at once, finishes the request in flight, then closes', async () => {
    const { origin, release, cleanup } = await gatedOrigin();
    try {
      const pending = get(`${origin.url}/_derived/photos/cat.jpg/64x64-cover-q75.jpg`);
      await until(() => origin.inFlight() === 1);
      let closed = false;
      const closing = origin.close().then(() => (closed = true));
      await expect(get(`${origin.url}/healthz`)).rejects.toThrow();
      expect(closed).toBe(false);
      release();
      const response = await pending;
      expect(response.status).toBe(200);
      expect(response.headers.get('connection')).toBe('close');
      expect((await sharp(response.body).metadata()).width).toBe(64);
      await closing;
      expect(origin.inFlight()).toBe(0);
    } finally {
      release();
      await cleanup();
    }
  });

  it('cuts requests that outlive the drain timeout', async () => {
    // Not storing: the cut request's render still finishes after the test, and must write nothing.
    const { origin, release, cleanup } = await gatedOrigin(100, false);
    try {
      const pending = get(`${origin.url}/_derived/photos/cat.jpg/96x96-cover-q75.jpg`);
      await until(() => origin.inFlight() === 1);
      const started = Date.now();
      await origin.close();
      expect(Date.now() - started).toBeLessThan(2_000);
      await expect(pending).rejects.toThrow();
    } finally {
      release();
      await cleanup();
    }
  });
});

describe('npm run origin (infra/origin/main.ts) as a process', () => {
  let entry: string;
  let derived: string;
  let buildDir: string;

  beforeAll(async () => {
    // Bundled here (not through run.mjs, whose .build/run/main.mjs other entry points share).
    buildDir = path.resolve('.build', `test-origin-${process.pid}`);
    entry = path.join(buildDir, 'main.mjs');
    await build({
      entryPoints: ['infra/origin/main.ts'],
      outfile: entry,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'warning',
    });
    derived = await mkdtemp(path.join(tmpdir(), 'edge-images-origin-proc-'));
  });
  afterAll(async () => {
    await rm(buildDir, { recursive: true, force: true });
    await rm(derived, { recursive: true, force: true });
  });

  it('serves, drains its in-flight request on SIGTERM and exits 0', async () => {
    const child = spawn(process.execPath, [entry, '--dir', IMAGES, '--derived-dir', derived, '--port', '0', '--host', '127.0.0.1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await until(() => /listening\s+http:\/\/127\.0\.0\.1:\d+/.test(stdout), 20_000);
      const url = /listening\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)![1]!;
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const call = (uri: string) =>
        new Promise<{ status: number; connection: string | undefined; body: Buffer }>((resolve, reject) => {
          const req = request(`${url}${uri}`, { agent }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: Buffer.concat(chunks) }));
          });
          req.on('error', reject);
          req.end();
        });
      expect((await call('/healthz')).status).toBe(200);
      // A slow miss (12 MP to a 1920 px AVIF, about a second) on the same connection, then SIGTERM while it runs.
      const slow = call('/_derived/landscape-12mp.jpg/1920xauto-inside-q95.avif');
      await new Promise((resolve) => setTimeout(resolve, 100));
      child.kill('SIGTERM');
      const response = await slow;
      expect(response.status).toBe(200);
      expect((await sharp(response.body).metadata()).format).toBe('heif');
      expect(await exited).toBe(0);
      expect(stdout).toMatch(/SIGTERM: draining 1 in-flight request\(s\)/);
      expect(stdout).toMatch(/stopped/);
      agent.destroy();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('with no source, serves the fixtures and keeps its derived images out of the checkout', async () => {
    const child = spawn(process.execPath, [entry, '--port', '0', '--host', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await until(() => /listening\s+http:\/\/127\.0\.0\.1:\d+/.test(stdout), 20_000);
      const url = /listening\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)![1]!;
      expect(stdout).toContain(`directory ${path.resolve('fixtures/images')} (derived images in ${path.resolve('.build/origin-derived')})`);
      const original = await fetch(`${url}/photos/cat.jpg`);
      expect(original.status).toBe(200);
      expect(Buffer.from(await original.arrayBuffer())).toEqual(await readFile('fixtures/images/photos/cat.jpg'));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('refuses two sources', async () => {
    const child = spawn(process.execPath, [entry, '--dir', IMAGES, '--bucket', 'b'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/Expected one of --dir or --bucket but received both/);
  });
});
