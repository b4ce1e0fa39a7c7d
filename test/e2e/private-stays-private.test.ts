/**
 * Private stays private, through the real local edge (real s3rver, real sharp, raw HTTP).
 *
 * In both S3 modes of the local edge, the embedded S3 and `--s3-endpoint` (the SDK reader used with a
 * real bucket, here pointed at an s3rver this test starts):
 *   - an unsigned or wrongly signed request never reads or makes a private image, whatever the method,
 *     behavior and spelling (the matrix below);
 *   - an image over the 1 MB cap is reachable with a signed URL and with signed cookies, and two viewers
 *     with different signatures collapsed onto one miss each get only their own credential back.
 * On the embedded S3 only: malformed request targets to every route are 4xx, never 500 (fuzz with
 * raw bytes); own Host names only, no cross-site writes, bounded bodies, no cache shared with dev
 * switches; OPTIONS on a public canonical derived URI never resizes.
 * (Key handling: test/integration/private-keys.test.ts; signatures: functions/signed-url/handler.test.ts
 * and test/e2e/external-signers.test.ts.)
 */
import net from 'node:net';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { build } from 'esbuild';
import fc from 'fast-check';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../functions/adapters/image/render.ts';
import type { LogLine } from '../../functions/core/log.ts';
import { distribution } from '../../infra/distribution.ts';
import { primaryS3Origin } from '../../infra/options.ts';
import { DEV_SWITCHES } from '../../infra/local/dev.ts';
import type { RequestTrace } from '../../infra/local/edge.ts';
import { seedOriginals, startLocalS3 } from '../../infra/local/s3.ts';
import type { LocalS3 } from '../../infra/local/s3.ts';
import { startLocalStack } from '../../infra/local-stack.ts';
import type { LocalStack } from '../../infra/local-stack.ts';
import { signCookies, signUrl, testKey } from '../../infra/tools/signer.ts';
import { rawSend } from '../support/raw-socket.ts';
import { putPrivateOverCap } from '../support/originals.ts';
import { bakedConfig } from '../../infra/build/bundle.ts';

/** One running local edge, its host and what it logged and traced. */
interface Edge {
  readonly stack: LocalStack;
  readonly host: string;
  readonly logs: LogLine[];
  readonly traces: RequestTrace[];
  /** Set by a test: every render waits for it (to hold a miss open while other viewers join it). */
  gate?: Promise<void>;
  close(): Promise<void>;
}

type Mode = 'embedded' | 's3-endpoint';

/**
 * The local edge in one S3 mode, renders in this process behind the edge's gate. `s3-endpoint`: an
 * s3rver started here holds the spec's buckets, and the edge reads it with the SDK as it reads a real
 * bucket (credentials from the usual chain, as for MinIO).
 */
async function startEdge(mode: Mode): Promise<Edge> {
  const logs: LogLine[] = [];
  const traces: RequestTrace[] = [];
  let server: LocalS3 | undefined;
  const saved = { id: process.env['AWS_ACCESS_KEY_ID'], secret: process.env['AWS_SECRET_ACCESS_KEY'] };
  if (mode === 's3-endpoint') {
    server = await startLocalS3({ buckets: distribution.origins.flatMap((o) => (o.kind === 's3' ? [o.bucket] : [])) });
    await seedOriginals(server.client, primaryS3Origin(distribution).bucket, 'fixtures/images');
    process.env['AWS_ACCESS_KEY_ID'] = 'S3RVER';
    process.env['AWS_SECRET_ACCESS_KEY'] = 'S3RVER';
  }
  const edge: Edge = {
    stack: undefined as unknown as LocalStack,
    host: '',
    logs,
    traces,
    async close() {
      await edge.stack?.close();
      await server?.close();
      for (const [name, value] of [
        ['AWS_ACCESS_KEY_ID', saved.id],
        ['AWS_SECRET_ACCESS_KEY', saved.secret],
      ] as const) {
        if (mode !== 's3-endpoint') continue;
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    },
  };
  const stack = await startLocalStack({
    port: 0,
    log: (line) => logs.push(line),
    onTrace: (trace) => traces.push(trace),
    render: async (...args) => {
      await edge.gate;
      return render(...args);
    },
    ...(mode === 's3-endpoint' ? { s3: 'aws' as const, s3Endpoint: server!.endpoint } : {}),
  });
  Object.assign(edge, { stack, host: new URL(stack.edge.url).host });
  await putPrivateOverCap(stack.s3.client, stack.bucket);
  return edge;
}

const key = testKey('RSA-2048');
const HOUR = () => new Date(Date.now() + 3_600_000);

/** One raw HTTP/1.1 request: the target and method exactly as given. */
async function rawTo(edge: Edge, method: string, target: string, headers: Record<string, string> = {}) {
  const lines = [`${method} ${target} HTTP/1.1`, `Host: ${headers['Host'] ?? edge.host}`, 'Connection: close'];
  for (const [name, value] of Object.entries(headers)) if (name !== 'Host') lines.push(`${name}: ${value}`);
  const { status, head, body } = await rawSend(edge.stack.edge.url, Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), 30_000);
  return { status, head, body };
}

/** JPEG, PNG, WebP, AVIF, GIF by their first bytes. */
function isImage(body: Buffer): boolean {
  if (body.length < 12) return false;
  const hex = body.subarray(0, 12).toString('hex');
  return (
    hex.startsWith('ffd8ff') ||
    hex.startsWith('89504e47') ||
    hex.startsWith('47494638') ||
    (hex.startsWith('52494646') && body.subarray(8, 12).toString() === 'WEBP') ||
    body.subarray(4, 8).toString() === 'ftyp'
  );
}

async function derivedKeysOf(edge: Edge, prefix: string): Promise<string[]> {
  const out = await edge.stack.s3.client.send(new ListObjectsV2Command({ Bucket: edge.stack.bucket, Prefix: `_derived/${prefix}` }));
  return (out.Contents ?? []).map((o) => o.Key!);
}

const CANONICAL = '/_derived/private/vault.jpg/128x128-cover-q75.webp';
const FULL_SIZE = '/_derived/private/vault.jpg/1920xauto-inside-q95.avif';
/** Every spelling of the protected keys: canonical, percent-encoded, case, dot segments, double slashes. */
const TARGETS = [
  '/private/vault.jpg',
  '/private/vault.jpg?w=128&h=128',
  CANONICAL,
  FULL_SIZE,
  '/%70rivate/vault.jpg?w=128&h=128',
  '/private%2Fvault.jpg?w=128&h=128',
  '/private%2Fvault.jpg',
  '/%5Fderived%2Fprivate%2Fvault.jpg/128x128-cover-q75.webp',
  '/Private/vault.jpg?w=128&h=128',
  '/PRIVATE/vault.jpg',
  '/photos/../private/vault.jpg?w=128&h=128',
  '/photos/%2e%2e/private/vault.jpg?w=128&h=128',
  '/./private/vault.jpg',
  '//private/vault.jpg?w=128&h=128',
  '/private//vault.jpg?w=128&h=128',
  '/_derived//private/vault.jpg/128x128-cover-q75.webp',
  '/%5Fderived/private/vault.jpg/128x128-cover-q75.webp',
  '/_derived/%70rivate/vault.jpg/128x128-cover-q75.webp',
  '/_derived/private/vault.jpg/128x128-cover-q75.webp/',
  '/_derived/photos/../private/vault.jpg/128x128-cover-q75.webp',
  '/128x128/private/vault.jpg',
  '/thumb/private/vault.jpg',
  '/private/vault.jpg/../vault.jpg',
];
const METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'DELETE', 'PATCH', 'TRACE', 'CONNECT', 'PROPFIND'];

/** Signing parameters made by AWS's own signer, for a custom policy covering every URL of this edge. */
function awsSigningQuery(host: string): string {
  const policy = JSON.stringify({
    Statement: [{ Resource: `http://${host}/*`, Condition: { DateLessThan: { 'AWS:EpochTime': Math.floor(HOUR().getTime() / 1000) } } }],
  });
  const url = getSignedUrl({ url: `http://${host}/x`, keyPairId: key.id, privateKey: key.privateKey, policy });
  return new URL(url).search.slice(1);
}

const withQuery = (target: string, query: string) => `${target}${target.includes('?') ? '&' : '?'}${query}`;
const locationOf = (head: string) => /\r\nLocation: ([^\r]*)/i.exec(head)?.[1];

describe.each<Mode>(['embedded', 's3-endpoint'])('private images on the local edge, S3 mode %s', (mode) => {
  let edge: Edge;
  const raw = (method: string, target: string, headers: Record<string, string> = {}) => rawTo(edge, method, target, headers);
  beforeAll(async () => {
    edge = await startEdge(mode);
  }, 60_000);
  afterAll(async () => {
    await edge?.close();
  });

  describe('the matrix: every method x every behavior x every spelling, unsigned or wrongly signed', () => {
    it('never answers image bytes of a private key and never stores one', async () => {
      const good = awsSigningQuery(edge.host);
      const wrong = [
        good.replace(/Signature=([^&])/, (_, c: string) => `Signature=${c === 'A' ? 'B' : 'A'}`),
        good.replace(`Key-Pair-Id=${key.id}`, 'Key-Pair-Id=KUNKNOWN000001'),
        good.replace(/&?Signature=[^&]*/, ''),
      ];
      const cookieWrong = `CloudFront-Policy=${new URLSearchParams(good).get('Policy')}; CloudFront-Signature=AAAA; CloudFront-Key-Pair-Id=${key.id}`;
      const failures: string[] = [];
      let count = 0;
      for (const method of METHODS) {
        for (const target of TARGETS) {
          const variants: [string, Record<string, string>][] = [
            [target, {}],
            [target, { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' }],
            [target, { Cookie: cookieWrong }],
            ...wrong.map((q): [string, Record<string, string>] => [withQuery(target, q), {}]),
          ];
          for (const [sent, headers] of variants) {
            const answer = await raw(method, sent, { Accept: 'image/avif,image/webp,*/*', ...headers });
            count++;
            if (isImage(answer.body) || (answer.status >= 200 && answer.status < 300 && method !== 'OPTIONS'))
              failures.push(`${method} ${sent} -> ${answer.status}`);
            // Whatever answers it, an OPTIONS never carries an object: at most a preflight grant.
            if (method === 'OPTIONS' && answer.body.byteLength > 2_000) failures.push(`${method} ${sent} -> ${answer.body.byteLength} bytes`);
            if (answer.status >= 500) failures.push(`${method} ${sent} -> ${answer.status} (a 5xx)`);
          }
        }
      }
      expect(failures).toEqual([]);
      expect(count).toBeGreaterThan(1000);
      expect(await derivedKeysOf(edge, 'private/')).toEqual([]);
      // No OPTIONS for a protected key reached an origin, on any behavior: signed paths answer it at
      // viewer-request, and image-request refuses a protected key for every method.
      // (`/PRIVATE/` and `/Private/` name other keys: S3 keys are case-sensitive.)
      const reached = edge.traces.filter((t) => t.method === 'OPTIONS' && t.origin !== undefined && decodeURIComponent(t.uri).includes('private/'));
      expect(reached.map((t) => t.uri)).toEqual([]);
    }, 600_000);

    it('with a valid signature (made by AWS’s signer) only GET and HEAD make and read the image', async () => {
      const good = awsSigningQuery(edge.host);
      for (const method of METHODS.filter((m) => m !== 'GET' && m !== 'HEAD')) {
        const answer = await raw(method, withQuery(CANONICAL, good));
        expect(isImage(answer.body)).toBe(false);
        // CONNECT: node's HTTP server closes the connection without an answer (status 0), as no route takes it.
        if (method !== 'CONNECT') expect(answer.status).toBeGreaterThanOrEqual(400);
        expect(answer.status).toBeLessThan(500);
      }
      expect(await derivedKeysOf(edge, 'private/')).toEqual([]);
      const got = await raw('GET', withQuery('/private/vault.jpg?w=128&h=128', good), { Accept: 'image/webp' });
      expect(got.status).toBe(200);
      expect(isImage(got.body)).toBe(true);
      expect(await derivedKeysOf(edge, 'private/')).toEqual(['_derived/private/vault.jpg/128x128-cover-q75.webp']);
    }, 120_000);
  });

  describe('a private image over the 1 MB cap', () => {
    const over = '/private/big.jpg?w=1920&fm=png&q=95';

    it('is reached with a signed URL: the 302 goes back to the URL the viewer signed', async () => {
      const signed = signUrl({ url: `http://${edge.host}${over}`, expires: HOUR(), keyPairId: key.id, privateKey: key.privateKey });
      const target = signed.slice(`http://${edge.host}`.length);
      const first = await raw('GET', target);
      expect(first.status).toBe(302);
      expect(locationOf(first.head)).toBe(target);
      expect(first.head).toMatch(/\r\nCache-Control: no-store\r\n/i);
      const second = await raw('GET', locationOf(first.head)!);
      expect(second.status).toBe(200);
      expect((await sharp(second.body).metadata()).format).toBe('png');
      expect(second.body.byteLength).toBeGreaterThan(1024 * 1024);
      // Unsigned, the same path is still refused.
      expect((await raw('GET', over)).status).toBe(403);
    }, 120_000);

    it('is reached with the cookies `npm run sign --cookies` makes, at its URL and at its canonical derived URI', async () => {
      const cookies = signCookies({ url: `http://${edge.host}/private/big.jpg`, expires: HOUR(), keyPairId: key.id, privateKey: key.privateKey });
      const overSmaller = '/private/big.jpg?w=1280&fm=png&q=95';
      const first = await raw('GET', overSmaller, { Cookie: cookies.cookieHeader });
      if (first.status === 302) {
        expect(locationOf(first.head)).toBe(overSmaller);
        const again = await raw('GET', locationOf(first.head)!, { Cookie: cookies.cookieHeader });
        expect(again.status).toBe(200);
        expect(isImage(again.body)).toBe(true);
      } else {
        expect(first.status).toBe(200);
      }
      const canonical = '/_derived/private/big.jpg/1920xauto-inside-q95.png';
      const derived = await raw('GET', canonical, { Cookie: cookies.derivedCookieHeader! });
      expect(derived.status).toBe(200);
      expect(isImage(derived.body)).toBe(true);
      expect((await raw('GET', canonical)).status).toBe(403);
    }, 120_000);

    it('two viewers with different signatures collapsed onto one miss each get back only their own credential', async () => {
      // Viewer A holds a wildcard policy for every private image; viewer B a canned URL for one variant.
      // Both spellings are one canonical URI, so one cache key and one miss.
      const wildcard = JSON.stringify({
        Statement: [{ Resource: `http://${edge.host}/private/*`, Condition: { DateLessThan: { 'AWS:EpochTime': Math.floor(HOUR().getTime() / 1000) } } }],
      });
      const urlA = getSignedUrl({
        url: `http://${edge.host}/private/big.jpg?w=960&fm=png&q=95`,
        keyPairId: key.id,
        privateKey: key.privateKey,
        policy: wildcard,
      });
      const urlB = signUrl({ url: `http://${edge.host}/private/big.jpg?fm=png&q=95&w=960`, expires: HOUR(), keyPairId: key.id, privateKey: key.privateKey });
      const [a, b] = [urlA, urlB].map((u) => u.slice(`http://${edge.host}`.length)) as [string, string];
      const canonical = '/_derived/private/big.jpg/960xauto-inside-q95.png';
      // The miss stays open (its render waits) until both viewers have passed signed-url for it.
      let open!: () => void;
      edge.gate = new Promise<void>((resolve) => (open = resolve));
      const arrived = () => edge.logs.filter((l) => l['fn'] === 'signed-url' && l['to'] === canonical).length;
      const watcher = setInterval(() => arrived() >= 2 && open(), 5);
      let answers: Awaited<ReturnType<typeof raw>>[];
      try {
        answers = await Promise.all([raw('GET', a), raw('GET', b)]);
      } finally {
        clearInterval(watcher);
        open();
        edge.gate = undefined;
      }
      const [toA, toB] = answers as [Awaited<ReturnType<typeof raw>>, Awaited<ReturnType<typeof raw>>];
      // One miss: one resize, its one answer shared by both viewers (collapsed), neither served from S3.
      const resizes = edge.logs.filter((l) => l['fn'] === 'image-resize' && l['uri'] === canonical && String(l['outcome']).startsWith('resized'));
      expect(resizes.map((l) => l['outcome'])).toEqual(['resized-redirect']);
      expect([toA.status, toB.status]).toEqual([302, 302]);
      expect(locationOf(toA.head)).toBe(a);
      expect(locationOf(toB.head)).toBe(b);
      const credentialsOf = (url: string) => ['Signature', 'Policy', 'Expires'].flatMap((p) => new URL(url, 'http://x').searchParams.getAll(p));
      const whole = (answer: typeof toA) => `${answer.head}\r\n\r\n${answer.body.toString('latin1')}`;
      for (const secret of credentialsOf(a)) expect(whole(toB)).not.toContain(secret);
      for (const secret of credentialsOf(b)) expect(whole(toA)).not.toContain(secret);
      // Each follows its own Location to the stored image; B's credential still opens nothing else.
      for (const target of [a, b]) {
        const image = await raw('GET', target);
        expect(image.status).toBe(200);
        expect((await sharp(image.body).metadata()).format).toBe('png');
      }
      const query = new URL(b, 'http://x').search.slice(1);
      expect((await raw('GET', withQuery('/private/vault.jpg', query))).status).toBe(403);
    }, 120_000);
  });
});

let stack: LocalStack;
let host: string;
let shared: Edge;
let logs: LogLine[];
let traces: RequestTrace[];
const raw = (method: string, target: string, headers: Record<string, string> = {}) => rawTo(shared, method, target, headers);

beforeAll(async () => {
  shared = await startEdge('embedded');
  stack = shared.stack;
  host = shared.host;
  logs = shared.logs;
  traces = shared.traces;
}, 60_000);
afterAll(async () => {
  await shared?.close();
});

describe('OPTIONS on a public canonical derived URI', () => {
  it('never resizes nor stores, however often it comes', async () => {
    const uri = '/_derived/photos/cat.jpg/1024x1024-cover-q95.avif';
    const before = logs.filter((l) => l['fn'] === 'image-resize' && l['outcome'] === 'resized').length;
    for (let i = 0; i < 3; i++) {
      const answer = await raw('OPTIONS', uri, { Origin: 'https://app.example', 'Access-Control-Request-Method': 'GET' });
      expect(isImage(answer.body)).toBe(false);
      expect(answer.status).toBeLessThan(500);
    }
    expect(logs.filter((l) => l['fn'] === 'image-resize' && l['outcome'] === 'resized').length).toBe(before);
    expect(logs.filter((l) => l['fn'] === 'image-resize' && l['outcome'] === 'passed-method' && l['uri'] === uri)).toHaveLength(3);
    const stored = await stack.s3.client.send(new ListObjectsV2Command({ Bucket: stack.bucket, Prefix: uri.slice(1) }));
    expect(stored.Contents ?? []).toEqual([]);
  });
});

describe('every malformed request target to every route is a 4xx, never a 500', () => {
  const fixed = [
    '//',
    '///',
    '//x',
    '/_local//api/state',
    '//_local/api/state',
    '/_local/api/originals?key=%ZZ',
    '/_local/api/traces?uri=%E0%A4%A',
    '/%',
    '/%zz',
    '/%00',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/a/../../b',
    '*',
    'http://evil.example/',
    'http://[::1/',
    '/?',
    '/?%',
    '/_derived/%ff/x',
    `/${'a'.repeat(9000)}`,
  ];
  const routes = [
    '/',
    '/_local/gallery.js',
    '/_local/api/state',
    '/_local/api/traces',
    '/_local/api/originals',
    '/_local/api/cache',
    '/private/vault.jpg',
    '/_derived/private/vault.jpg/128x128-cover-q75.webp',
    '/photos/cat.jpg',
    '/_derived/photos/cat.jpg/128x128-cover-q75.webp',
  ];

  it('fixed targets and methods', async () => {
    const failures: string[] = [];
    for (const method of ['GET', 'HEAD', 'POST', 'DELETE', 'OPTIONS', 'PUT', 'get', 'BREW']) {
      for (const target of fixed) {
        const answer = await raw(method, target);
        if (answer.status >= 500 || answer.status === 0) failures.push(`${method} ${target.slice(0, 40)} -> ${answer.status}`);
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);

  it('random bytes after every route', async () => {
    const suffix = fc.string({ unit: fc.constantFrom(...'/%.?&=#;:@ aZ09~_-+\\\'"<>[]{}|^`'.split('')), maxLength: 24 });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), suffix, fc.constantFrom('GET', 'HEAD', 'POST', 'OPTIONS', 'DELETE'), async (route, tail, method) => {
        const target = `${route}${tail}`.replaceAll(' ', '%20').replaceAll('#', '%23');
        const answer = await raw(method, target);
        expect(answer.status, `${method} ${target}`).toBeGreaterThan(0);
        expect(answer.status, `${method} ${target}`).toBeLessThan(500);
      }),
      { numRuns: 300, seed: 13 },
    );
  }, 300_000);
});

describe('the local edge is a dev server, not an open door', () => {
  it('answers only its own Host names (a foreign Host is the shape of DNS rebinding)', async () => {
    for (const foreign of ['evil.example', 'evil.example:80', `attacker.example:${new URL(stack.edge.url).port}`, '127.0.0.1']) {
      const answer = await raw('GET', '/_local/api/state', { Host: foreign });
      expect(answer.status).toBe(421);
      expect(answer.head).not.toMatch(/Set-Cookie/i);
      expect(answer.body.toString()).not.toMatch(/Signature=/);
    }
    for (const own of [`localhost:${new URL(stack.edge.url).port}`, host]) {
      expect((await raw('GET', '/_local/api/state', { Host: own })).status).toBe(200);
    }
  });

  it('refuses cross-site writes to the gallery upload, and writes nothing', async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#00f' } })
      .png()
      .toBuffer();
    const upload = (key: string, headers: Record<string, string>) =>
      fetch(`${stack.edge.url}/_local/api/originals?key=${key}`, { method: 'POST', body: png, headers: { 'content-type': 'text/plain', ...headers } });
    expect((await upload('photos/evil-1.png', { origin: 'https://evil.example' })).status).toBe(403);
    expect((await upload('photos/evil-2.png', { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await fetch(`${stack.edge.url}/_local/api/cache`, { method: 'DELETE', headers: { origin: 'https://evil.example' } })).status).toBe(403);
    const listed = await stack.s3.client.send(new ListObjectsV2Command({ Bucket: stack.bucket, Prefix: 'photos/evil-' }));
    expect(listed.Contents ?? []).toEqual([]);
    expect((await upload('photos/own.png', { origin: stack.edge.url, 'sec-fetch-site': 'same-origin' })).status).toBe(201);
  });

  it('reads at most 1 MiB of a request body: a large chunked OPTIONS gets a 413 and the connection closes', async () => {
    const { port } = new URL(stack.edge.url);
    const result = await new Promise<{ status: number; sent: number }>((resolve) => {
      const socket = net.connect(Number(port), '127.0.0.1');
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let sent = 0;
      let head = '';
      socket.on('data', (d: Buffer) => (head += d.toString('latin1')));
      const finish = () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), sent });
      socket.on('close', finish);
      socket.on('error', () => {});
      socket.write(`OPTIONS /photos/cat.jpg HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n`);
      const pump = () => {
        // At most 256 MiB: far more than the edge may hold; it must stop reading long before.
        while (sent < 256 * 1024 * 1024 && !socket.destroyed) {
          sent += chunk.length;
          if (!socket.write(`${chunk.length.toString(16)}\r\n${chunk.toString('latin1')}\r\n`, 'latin1')) return void socket.once('drain', pump);
        }
      };
      pump();
    });
    expect(result.status).toBe(413);
    expect(result.sent).toBeLessThan(256 * 1024 * 1024);
  }, 120_000);

  it('never shares a cache entry between requests with and without a dev switch', async () => {
    const xCache = async (uri: string, headers: Record<string, string> = {}) => /\r\nX-Cache: ([^\r]*)/i.exec((await raw('GET', uri, headers)).head)?.[1];
    const first = '/_derived/photos/cat.jpg/64x64-cover-q85.webp';
    expect(await xCache(first, { 'x-local-viewer-country': 'DE' })).toBe('Miss from cloudfront');
    expect(await xCache(first)).toBe('Miss from cloudfront');
    expect(await xCache(first)).toBe('Hit from cloudfront');
    expect(await xCache(`${first}?x-local-viewer-ip=203.0.113.7`)).toBe('Hit from cloudfront'); // the switched entry
    const second = '/_derived/photos/cat.jpg/64x64-cover-q50.webp';
    expect(await xCache(second)).toBe('Miss from cloudfront');
    expect(await xCache(second, { 'x-local-fail-primary': '500' })).toBe('Miss from cloudfront');
  });
});

describe('the viewer-IP dev switch', () => {
  it('lets IpAddress policies be tried locally, and no function ever sees it', async () => {
    const signed = signUrl({
      url: `http://${host}/private/vault.jpg?w=64&h=64`,
      expires: HOUR(),
      keyPairId: key.id,
      privateKey: key.privateKey,
      ip: '203.0.113.0/24',
    });
    const target = signed.slice(`http://${host}`.length);
    expect((await raw('GET', target)).status).toBe(403);
    traces.length = 0;
    expect((await raw('GET', target, { 'X-Local-Viewer-IP': '203.0.113.7' })).status).toBe(200);
    expect((await raw('GET', withQuery(target, 'x-local-viewer-ip=2001:db8::7'))).status).toBe(403);
    expect((await raw('GET', target, { 'x-local-viewer-ip': 'not-an-ip' })).status).toBe(400);
    const seen = JSON.stringify(traces.flatMap((t) => t.functions.map((f) => f.event)));
    expect(seen).toContain('"clientIp":"203.0.113.7"');
    expect(seen.toLowerCase()).not.toContain('x-local-viewer-ip');
  });

  it('is absent from every deployed bundle, as every dev switch', async () => {
    for (const fn of ['image-request', 'image-resize', 'geo-route', 'signed-url', 'derived-cleanup']) {
      const out = await build({
        entryPoints: [`functions/${fn}/index.ts`],
        bundle: true,
        write: false,
        platform: 'node',
        format: 'cjs',
        external: ['sharp', '@aws-sdk/*'],
        logLevel: 'silent',
        plugins: [bakedConfig()],
      });
      const text = out.outputFiles[0]!.text.toLowerCase();
      for (const name of DEV_SWITCHES) expect(text, `${fn} mentions ${name}`).not.toContain(name);
    }
  });
});
