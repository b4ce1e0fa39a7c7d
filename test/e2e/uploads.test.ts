/**
 * Browser uploads through short-lived grants, end to end on the local edge: a site's backend mints a
 * token, upload-grant answers a presigned POST, the original is POSTed to the embedded S3 (whose
 * policy guard checks it as S3 does), and its first thumbnail is a miss, the second a hit. Then every
 * refusal, each writing nothing: a file over the size, a wrong Content-Type, a key outside the
 * prefix, an expired grant, a token for another stage, a wrong, expired or replayed token.
 */
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import S3rver from 's3rver';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3NonceStore } from '../../functions/adapters/s3/nonces.ts';
import { s3ClientConfig } from '../../functions/adapters/s3/store.ts';
import { silentLog } from '../../functions/core/log.ts';
import type { LogLine } from '../../functions/core/log.ts';
import { mintUploadToken } from '../../functions/core/upload-token.ts';
import { createHandler } from '../../functions/upload-grant/handler.ts';
import { applyOverrides } from '../../infra/build/overrides.ts';
import { distribution } from '../../infra/distribution.ts';
import { startLocalStack } from '../../infra/local-stack.ts';
import type { LocalStack } from '../../infra/local-stack.ts';
import { ACCEPT_WEBP, get } from '../support/http.ts';
import type { UploadGrant as Grant } from '../../functions/upload-grant/handler.ts';

/** A small size limit, so a file "over the size" is a fixture and not 64 MiB of memory. */
const MAX_BYTES = 300_000;
const spec = applyOverrides(distribution, { images: { ...distribution.images, limits: { ...distribution.images.limits, maxInputBytes: MAX_BYTES } } });

let stack: LocalStack;
const logs: LogLine[] = [];
let street: Buffer;
let large: Buffer;

beforeAll(async () => {
  stack = await startLocalStack({ spec, port: 0, log: (line) => logs.push(line) });
  street = await readFile('fixtures/images/street-1080p.jpg');
  large = await readFile('fixtures/images/landscape-12mp.jpg');
  expect(street.byteLength).toBeLessThan(MAX_BYTES);
  expect(large.byteLength).toBeGreaterThan(MAX_BYTES);
});
afterAll(async () => {
  await stack?.close();
});

const uploads = () => stack.uploads!;

async function askGrant(token: string | undefined, contentType = 'image/jpeg'): Promise<{ status: number; body: Grant & { error?: string } }> {
  const response = await fetch(uploads().url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ contentType }),
  });
  return { status: response.status, body: (await response.json()) as Grant & { error?: string } };
}

/** The browser's POST: the grant's fields (some replaced), then the file last. */
async function post(grant: Grant, key: string, file: Buffer, replace: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const form = new FormData();
  for (const [name, value] of Object.entries({ ...grant.fields, key, ...replace })) form.append(name, value);
  form.append('file', new Blob([new Uint8Array(file)], { type: 'image/jpeg' }), 'photo.jpg');
  const response = await fetch(grant.url, { method: 'POST', body: form });
  return { status: response.status, text: await response.text() };
}

async function keysIn(bucket = stack.bucket): Promise<string[]> {
  const listed = await stack.s3.client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (listed.Contents ?? []).map((o) => o.Key!).sort();
}

const originalsOf = (keys: readonly string[]) => keys.filter((k) => !k.startsWith('_derived/'));

describe('a site mints a token, the browser gets a grant and uploads; the first thumbnail is a miss, the second a hit', () => {
  it('uploads uploads/u1/street.jpg and serves its 128x128 thumbnail', async () => {
    const started = performance.now();
    const token = uploads().mint('uploads/u1/');
    const granted = await askGrant(token);
    expect(granted.status).toBe(200);
    const grant = granted.body;
    expect(grant.prefix).toBe('uploads/u1/');
    expect(grant.maxBytes).toBe(MAX_BYTES);
    expect(grant.url).toBe(`${stack.s3.endpoint}/${stack.bucket}`);
    const policy = JSON.parse(Buffer.from(grant.fields['policy']!, 'base64').toString('utf8')) as { expiration: string; conditions: unknown[] };
    expect(policy.conditions).toEqual(
      expect.arrayContaining([
        ['starts-with', '$key', 'uploads/u1/'],
        ['eq', '$Content-Type', 'image/jpeg'],
        ['content-length-range', 1, MAX_BYTES],
      ]),
    );
    const minutes = (Date.parse(policy.expiration) - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(1);
    expect(minutes).toBeLessThanOrEqual(5);

    const events: string[] = [];
    const stop = stack.s3.onObjectEvent!((event) => events.push(...event.Records.map((r) => `${r.eventName} ${decodeURIComponent(r.s3.object.key)}`)));
    const stored = await post(grant, 'uploads/u1/street.jpg', street);
    expect(stored.status).toBe(204);
    const uploadMs = performance.now() - started;
    stop();
    // One object event per upload: the original (the nonce was written by the grant, before).
    expect(events).toEqual(['ObjectCreated:Post uploads/u1/street.jpg']);

    const first = await get(`${stack.edge.url}/128x128/uploads/u1/street.jpg`, { accept: ACCEPT_WEBP });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache')).toBe('Miss from cloudfront');
    const second = await get(`${stack.edge.url}/128x128/uploads/u1/street.jpg`, { accept: ACCEPT_WEBP });
    expect(second.status).toBe(200);
    expect(second.headers.get('x-cache')).toBe('Hit from cloudfront');
    expect(second.body.equals(first.body)).toBe(true);
    // The grant's one S3 request (the nonce's conditional write) and its log line.
    expect((await keysIn()).filter((k) => k.startsWith('_derived/_upload-nonces/'))).toHaveLength(1);
    expect(logs.filter((l) => l.fn === 'upload-grant').map((l) => l.outcome)).toEqual(['granted']);
    console.log(`upload (token, grant, POST of ${street.byteLength} bytes): ${uploadMs.toFixed(1)} ms on the local edge`);
  });
});

describe('every refusal is clear and writes nothing outside the granted key', () => {
  let before: string[];
  let grant: Grant;
  beforeAll(async () => {
    grant = (await askGrant(uploads().mint('uploads/u2/'))).body;
    before = originalsOf(await keysIn());
  });

  it('a file over the size: 400 EntityTooLarge from S3, with the limit', async () => {
    // One byte over: a JPEG with trailing bytes.
    const over = Buffer.concat([street, Buffer.alloc(MAX_BYTES + 1 - street.byteLength)]);
    const refused = await post(grant, 'uploads/u2/over.jpg', over);
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('<Code>EntityTooLarge</Code>');
    expect(refused.text).toContain(`<MaxSizeAllowed>${MAX_BYTES}</MaxSizeAllowed>`);
    expect(refused.text).toContain(`<ProposedSize>${MAX_BYTES + 1}</ProposedSize>`);
    // Far over (past what the embedded S3 reads before deciding): the same refusal, not a reset.
    const far = await post(grant, 'uploads/u2/large.jpg', large);
    expect(far.status).toBe(400);
    expect(far.text).toContain('<Code>EntityTooLarge</Code>');
  });

  it('an empty file: 400 EntityTooSmall', async () => {
    const refused = await post(grant, 'uploads/u2/empty.jpg', Buffer.alloc(0));
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('<Code>EntityTooSmall</Code>');
  });

  it('a wrong Content-Type: the grant refuses a type the policy does not read (415), S3 refuses a changed one (403)', async () => {
    for (const type of ['text/html', 'image/svg+xml', 'application/octet-stream']) {
      const refused = await askGrant(uploads().mint('uploads/u2/'), type);
      expect(refused.status).toBe(415);
      expect(refused.body.error).toContain(`but received "${type}"`);
    }
    const changed = await post(grant, 'uploads/u2/page.jpg', street, { 'Content-Type': 'text/html' });
    expect(changed.status).toBe(403);
    expect(changed.text).toContain('<Code>AccessDenied</Code>');
    expect(changed.text).toContain('Policy Condition failed: [&quot;eq&quot;,&quot;$Content-Type&quot;,&quot;image/jpeg&quot;]'.replaceAll('&quot;', '"'));
  });

  it('a key outside the prefix (another user, an original, _derived/): 403 Policy Condition failed', async () => {
    for (const key of ['uploads/u1/street.jpg', 'photos/cat.jpg', '_derived/photos/cat.jpg/128x128-cover-q75.webp', 'uploads/u2']) {
      const refused = await post(grant, key, street);
      expect(refused.status, key).toBe(403);
      expect(refused.text).toContain('Invalid according to Policy: Policy Condition failed: ["starts-with","$key","uploads/u2/"]');
    }
    // A token cannot name such a prefix either.
    for (const prefix of ['_derived/', 'photos/', '_derived/uploads/', 'uploads/../photos/']) {
      const refused = await askGrant(uploads().mint(prefix));
      expect(refused.status, prefix).toBe(403);
      expect(refused.body.error).toMatch(/upload prefix/);
    }
  });

  it('an extra field, a forged policy, no policy: 403 from S3', async () => {
    const extra = await post(grant, 'uploads/u2/x.jpg', street, { 'x-amz-meta-owner': 'someone' });
    expect(extra.status).toBe(403);
    expect(extra.text).toContain('Extra input fields: x-amz-meta-owner');
    const policy = JSON.parse(Buffer.from(grant.fields['policy']!, 'base64').toString('utf8')) as { conditions: unknown[] };
    const widened = JSON.stringify({
      ...policy,
      conditions: policy.conditions.map((c) => (JSON.stringify(c).includes('$key') ? ['starts-with', '$key', ''] : c)),
    });
    const forged = await post(grant, 'photos/forged.jpg', street, { policy: Buffer.from(widened).toString('base64') });
    expect(forged.status).toBe(403);
    expect(forged.text).toContain('<Code>SignatureDoesNotMatch</Code>');
    const form = new FormData();
    form.append('key', 'photos/anonymous.jpg');
    form.append('file', new Blob([new Uint8Array(street)]), 'a.jpg');
    // Every spelling of the bucket's path reaches the same check.
    const { host } = new URL(grant.url);
    for (const url of [grant.url, `${grant.url}/`, `http://${host}//${stack.bucket}`]) {
      const anonymous = await fetch(url, { method: 'POST', body: form });
      expect(anonymous.status, url).toBe(403);
      expect(await anonymous.text()).toContain('<Code>AccessDenied</Code>');
    }
  });

  it('an expired grant: 403 Policy expired', async () => {
    // The same handler, key and S3 as the stack's, run ten minutes ago: its policy has expired.
    const config = uploads().config;
    const client = new S3Client(s3ClientConfig('us-east-1', stack.s3.endpoint, 'tooling'));
    const past = createHandler(config, {
      tokenKey: uploads().tokenKey,
      credentials: () => ({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }),
      nonces: s3NonceStore(client, config.bucket),
      now: () => Date.now() - 10 * 60_000,
      log: silentLog,
    });
    const exp = Math.floor((Date.now() - 10 * 60_000) / 1000) + 300;
    const token = mintUploadToken({ stage: config.stage, prefix: 'uploads/u2/', exp, nonce: randomBytes(18).toString('base64url') }, uploads().tokenKey);
    const event = {
      rawPath: '/',
      headers: { authorization: `Bearer ${token}` },
      requestContext: { requestId: 'expired', http: { method: 'POST' } },
      body: JSON.stringify({ contentType: 'image/jpeg' }),
      isBase64Encoded: false,
    } as unknown as APIGatewayProxyEventV2;
    const answer = await past(event, undefined);
    expect(answer.statusCode).toBe(200);
    const stale = JSON.parse(answer.body!) as Grant;
    expect(Date.parse(stale.expiresAt)).toBeLessThan(Date.now());
    const refused = await post(stale, 'uploads/u2/late.jpg', street);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('Invalid according to Policy: Policy expired.');
    client.destroy();
  });

  it('tokens: none or a wrong MAC is 401; expired, too long-lived, another stage or replayed is 403; nothing is signed', async () => {
    const stage = uploads().config.stage;
    const nonce = () => randomBytes(18).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, string | undefined, number, RegExp][] = [
      ['no token', undefined, 401, /Expected an upload token/],
      ['garbage', 'not-a-token', 401, /of the form v1/],
      ['wrong key', mintUploadToken({ stage, prefix: 'uploads/u2/', exp: now + 60, nonce: nonce() }, 'another key'), 401, /wrong signature/],
      ['expired', mintUploadToken({ stage, prefix: 'uploads/u2/', exp: now - 1, nonce: nonce() }, uploads().tokenKey), 403, /has not expired/],
      ['long-lived', mintUploadToken({ stage, prefix: 'uploads/u2/', exp: now + 86_400, nonce: nonce() }, uploads().tokenKey), 403, /expires within 600 s/],
      [
        'other stage',
        mintUploadToken({ stage: 'production', prefix: 'uploads/u2/', exp: now + 60, nonce: nonce() }, uploads().tokenKey),
        403,
        /for stage "local" but received one for "production"/,
      ],
    ];
    for (const [name, token, status, reason] of cases) {
      const refused = await askGrant(token);
      expect(refused.status, name).toBe(status);
      expect(refused.body.error, name).toMatch(reason);
      expect(refused.body.fields, name).toBeUndefined();
    }
    const once = uploads().mint('uploads/u2/');
    expect((await askGrant(once)).status).toBe(200);
    const replayed = await askGrant(once);
    expect(replayed.status).toBe(403);
    expect(replayed.body.error).toMatch(/used before/);
  });

  it('after every refusal, no original was written', async () => {
    expect(originalsOf(await keysIn())).toEqual(before);
    for (const replica of spec.origins.filter((o) => o.kind === 's3').slice(1)) {
      expect(originalsOf(await keysIn(replica.kind === 's3' ? replica.bucket : ''))).not.toContain('uploads/u2/large.jpg');
    }
  });

  it('an upload over an existing key under the prefix replaces it, and derived-cleanup purges the old variants', async () => {
    const token = uploads().mint('uploads/u3/');
    const own = (await askGrant(token)).body;
    expect((await post(own, 'uploads/u3/a.jpg', street)).status).toBe(204);
    const thumb = await get(`${stack.edge.url}/128x128/uploads/u3/a.jpg`, { accept: ACCEPT_WEBP });
    expect(thumb.status).toBe(200);
    const portrait = await readFile('fixtures/images/portrait-exif6.jpg');
    expect((await post(own, 'uploads/u3/a.jpg', portrait)).status).toBe(204);
    await stack.derivedCleanup!.settled();
    const again = await get(`${stack.edge.url}/128x128/uploads/u3/a.jpg`, { accept: ACCEPT_WEBP });
    expect(again.headers.get('x-cache')).toBe('Miss from cloudfront');
    expect(again.body.equals(thumb.body)).toBe(false);
  });
});

describe('the embedded S3 needs the guard: bare s3rver stores a POST against any policy', () => {
  it('stores a forged, unsigned POST outside any prefix', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'edge-images-bare-s3rver-'));
    const bare = new S3rver({ port: 0, address: '127.0.0.1', directory, silent: true, configureBuckets: [{ name: 'bare' }] });
    const { port } = await bare.run();
    try {
      const form = new FormData();
      form.append('key', '_derived/anything.jpg');
      form.append('policy', 'not even base64');
      form.append('file', new Blob([new Uint8Array(street)]), 'a.jpg');
      const answer = await fetch(`http://127.0.0.1:${port}/bare`, { method: 'POST', body: form });
      expect(answer.status).toBe(204);
    } finally {
      await bare.close();
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe("npm run upload: the same grant flow, or the operator's credentials with multipart", () => {
  it('through a grant: streams the file with progress, and explains each refusal', async () => {
    const { postWithGrant, requestGrant } = await import('../../infra/tools/uploader.ts');
    const seen: number[] = [];
    const grant = await requestGrant(uploads().url, uploads().mint('uploads/cli/'), 'image/jpeg');
    await postWithGrant(grant, 'uploads/cli/street.jpg', 'fixtures/images/street-1080p.jpg', (sent, total) => {
      expect(total).toBe(street.byteLength);
      seen.push(sent);
    });
    expect(seen.at(-1)).toBe(street.byteLength);
    expect(await keysIn()).toContain('uploads/cli/street.jpg');
    await expect(postWithGrant(grant, 'uploads/cli/large.jpg', 'fixtures/images/landscape-12mp.jpg')).rejects.toThrow(
      `the file is ${large.byteLength} bytes, over the grant's limit`,
    );
    await expect(postWithGrant(grant, 'photos/cli.jpg', 'fixtures/images/street-1080p.jpg')).rejects.toThrow(
      'the key photos/cli.jpg is outside the granted prefix uploads/cli/',
    );
    await expect(requestGrant(uploads().url, 'v1.forged.token', 'image/jpeg')).rejects.toThrow(/upload-grant refused \(HTTP 401\)/);
    expect(await keysIn()).not.toContain('uploads/cli/large.jpg');
  });

  it('with credentials: a multipart upload of parts of 5 MiB, and an existing original is refused', async () => {
    const { uploadWithCredentials } = await import('../../infra/tools/uploader.ts');
    const dir = await mkdtemp(path.join(tmpdir(), 'edge-images-upload-'));
    try {
      // 11 MiB: three parts (5, 5, 1).
      const big = path.join(dir, 'big.jpg');
      const { writeFile } = await import('node:fs/promises');
      await writeFile(big, Buffer.concat([large, Buffer.alloc(11 * 1024 * 1024 - large.byteLength, 1)]));
      const seen: number[] = [];
      const how = await uploadWithCredentials({
        client: stack.s3.client,
        bucket: stack.bucket,
        key: 'uploads/ops/big.jpg',
        file: big,
        partBytes: 5 * 1024 * 1024,
        onProgress: (sent) => seen.push(sent),
      });
      expect(how).toBe('multipart');
      expect(seen).toHaveLength(3);
      expect(Math.max(...seen)).toBe(11 * 1024 * 1024);
      const small = await uploadWithCredentials({
        client: stack.s3.client,
        bucket: stack.bucket,
        key: 'uploads/ops/small.jpg',
        file: 'fixtures/images/street-1080p.jpg',
      });
      expect(small).toBe('put');
      await expect(
        uploadWithCredentials({ client: stack.s3.client, bucket: stack.bucket, key: 'uploads/ops/small.jpg', file: 'fixtures/images/portrait-exif6.jpg' }),
      ).rejects.toThrow('An original named uploads/ops/small.jpg exists already');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
