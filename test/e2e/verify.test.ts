/**
 * `npm run verify` against the local edge (what `npm start` runs), started here on free ports: with
 * the TEST-ONLY keys and the embedded S3 every row passes; against a local edge broken on purpose
 * (a dev switch that drops Vary) it fails and names the row; bad input changes nothing.
 */
import { execFile, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack } from '../../infra/local-stack.ts';
import type { LocalStack } from '../../infra/local-stack.ts';
import { testKey } from '../../infra/tools/signer.ts';
import { runVerify } from '../../infra/tools/verify.ts';
import { ROWS } from '../../infra/tools/verify-rows.ts';

/** A whole run resizes a dozen images and waits for derived-cleanup: bounded generously for a busy machine. */
const HEAVY = 180_000;

let stack: LocalStack;
const savedEnv = { ...process.env };

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, log: () => {} });
  // The embedded S3's only credentials, through the SDK's default chain as an operator's would come.
  process.env['AWS_ACCESS_KEY_ID'] = 'S3RVER';
  process.env['AWS_SECRET_ACCESS_KEY'] = 'S3RVER';
});
afterAll(async () => {
  process.env = savedEnv;
  await stack?.close();
});

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) }, out, err };
}

async function bucketKeys(): Promise<string[]> {
  return Object.keys(await bucketObjects());
}

/** Key -> ETag of every object in the bucket. */
async function bucketObjects(): Promise<Record<string, string>> {
  const listed = await stack.s3.client.send(new ListObjectsV2Command({ Bucket: stack.bucket }));
  return Object.fromEntries((listed.Contents ?? []).map((o) => [o.Key!, o.ETag!] as const).sort(([a], [b]) => a.localeCompare(b)));
}

function fullArgs(): string[] {
  const key = testKey('RSA-2048');
  return [
    '--url',
    stack.edge.url,
    '--sign-key',
    key.privateKeyFile,
    '--key-pair-id',
    key.id,
    '--bucket',
    stack.bucket,
    '--s3-endpoint',
    stack.s3.endpoint,
    '--cleanup-timeout',
    '60',
  ];
}

describe('npm run verify against the local edge', () => {
  it(
    'passes every row with the test keys and the embedded S3, and leaves the bucket as it was',
    async () => {
      const before = await bucketObjects();
      const { io, out, err } = capture();
      const { code, report } = await runVerify([...fullArgs(), '--json'], io);
      const rows = report?.rows ?? [];
      expect(
        rows.filter((r) => r.outcome !== 'pass').map((r) => `${r.id}: ${r.detail}`),
        err.join('\n'),
      ).toEqual([]);
      expect(code).toBe(0);
      expect(rows.map((r) => r.id)).toEqual(ROWS.map((r) => r.id));
      expect(JSON.parse(out.join('\n')).passed).toBe(ROWS.length);
      // Every object outside verify's prefixes as it was (same keys, same ETags), nothing of verify's left.
      expect(await bucketObjects()).toEqual(before);
    },
    HEAVY,
  );
});

describe('npm run verify against a local edge broken on purpose', () => {
  it(
    'fails, naming the rows, when image-resize drops Vary (the --drop-vary dev switch)',
    async () => {
      stack.edge.simulate.dropVary = true;
      try {
        const { io, out } = capture();
        const { code, report } = await runVerify(fullArgs(), io);
        expect(code).toBe(1);
        expect(report?.failedRows).toEqual(['thumbnail-miss-hit', 'negotiate-avif', 'negotiate-webp', 'negotiate-neither']);
        const table = out.join('\n');
        expect(table).toMatch(/^FAIL {2}thumbnail-miss-hit +.*Expected Vary: Accept/m);
        expect(table).toMatch(/^failed: thumbnail-miss-hit, negotiate-avif, negotiate-webp, negotiate-neither$/m);
        expect((await bucketKeys()).filter((k) => k.includes('verify-'))).toEqual([]);
      } finally {
        stack.edge.simulate.dropVary = false;
      }
    },
    HEAVY,
  );
});

describe('npm run verify on bad input: a clear error, exit 2, nothing changed', () => {
  it.each([
    [['--url', 'ftp://127.0.0.1/'], /for --url but received "ftp:\/\/127\.0\.0\.1\/"/],
    [['--url', 'http://127.0.0.1:1/photos/cat.jpg'], /scheme and host only/],
    [['--url', 'not a url'], /for --url/],
    [[], /Expected --url/],
    [['--url', 'http://127.0.0.1:9', '--sign-key', 'fixtures/keys/none.pem'], /--sign-key FILE and --key-pair-id ID together/],
    [['--url', 'http://127.0.0.1:9', '--sign-key', 'package.json', '--key-pair-id', 'K1'], /Expected a PEM private key/],
    [['--url', 'http://127.0.0.1:9', '--s3-endpoint', 'http://127.0.0.1:9'], /Expected --bucket NAME with --s3-endpoint/],
  ])('%j', async (argv, message) => {
    const { io, err, out } = capture();
    expect((await runVerify(argv, io)).code).toBe(2);
    expect(err.join('\n')).toMatch(message);
    expect(out).toEqual([]);
  });

  it('refuses a URL that does not answer, and one that is not this pack, before touching the bucket', async () => {
    const before = await bucketKeys();
    const other = createServer((_req, res) => res.end('<html>a website</html>'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const port = (other.address() as AddressInfo).port;
    try {
      const bucketArgs = ['--bucket', stack.bucket, '--s3-endpoint', stack.s3.endpoint];
      const notPack = capture();
      expect((await runVerify(['--url', `http://127.0.0.1:${port}`, ...bucketArgs], notPack.io)).code).toBe(2);
      expect(notPack.err.join('\n')).toMatch(/does not answer as an edge-images distribution, nothing was changed\. Expected a 400 naming the allowed sizes/);
      await new Promise<void>((resolve) => other.close(() => resolve()));
      const gone = capture();
      expect((await runVerify(['--url', `http://127.0.0.1:${port}`, ...bucketArgs], gone.io)).code).toBe(2);
      expect(gone.err.join('\n')).toMatch(/cannot be reached.*nothing was changed/);
    } finally {
      other.close();
    }
    expect(await bucketKeys()).toEqual(before);
  });

  it('refuses a bucket the credentials cannot reach, before uploading anything', async () => {
    const before = await bucketKeys();
    const { io, err, out } = capture();
    const args = ['--url', stack.edge.url, '--bucket', 'no-such-bucket-here', '--s3-endpoint', stack.s3.endpoint];
    expect((await runVerify(args, io)).code).toBe(2);
    expect(err.join('\n')).toMatch(/Expected a bucket these credentials can reach for --bucket but received "no-such-bucket-here"/);
    expect(out).toEqual([]);
    expect(await bucketKeys()).toEqual(before);
  });

  it(
    'runs as `npm run verify` without keys or bucket: the signed and bucket rows say they were skipped, and why',
    async () => {
      const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          ['infra/build/run.mjs', 'infra/tools/verify.ts', '--url', stack.edge.url, '--image', 'photos/cat.jpg', '--private-image', 'private/vault.jpg'],
          { env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' } },
          (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
        );
      });
      expect(run.code, run.stderr).toBe(0);
      const lines = run.stdout.split('\n');
      const outcome = (id: string) => lines.find((l) => new RegExp(`^(PASS|FAIL|SKIP) {2}${id} `).test(l)) ?? `${id}: no line`;
      for (const id of ['private-signed-url', 'private-signed-cookies', 'over-cap-private']) {
        expect(outcome(id)).toMatch(/^SKIP .*skipped: (no signing key given \(give --sign-key FILE --key-pair-id ID\)|needs --bucket NAME)/);
      }
      for (const id of ['over-cap-public', 'cleanup-on-replace']) expect(outcome(id)).toMatch(/^SKIP .*needs --bucket NAME/);
      for (const id of [
        'size-400',
        'thumbnail-miss-hit',
        'negotiate-avif',
        'original-untouched',
        'missing-404',
        'private-unsigned-403',
        'private-preflight-403',
      ]) {
        expect(outcome(id)).toMatch(/^PASS /);
      }
      expect(outcome('compressed-svg')).toMatch(/^SKIP .*no SVG original/);
      expect(run.stdout).toMatch(/^\d+ passed, 0 failed, 6 skipped$/m);
    },
    HEAVY,
  );

  it(
    'removes its test originals when interrupted (SIGTERM) after uploading them',
    async () => {
      const child = spawn(process.execPath, ['infra/build/run.mjs', 'infra/tools/verify.ts', ...fullArgs()], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await new Promise<void>((resolve) => {
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          // Interrupted in the middle of the rows, with the originals in the bucket.
          if (/verify: \w+ size-400/.test(stderr)) resolve();
        });
        void exited.then(() => resolve());
      });
      const uploaded = (await bucketKeys()).filter((k) => k.includes('verify-'));
      child.kill('SIGTERM');
      expect(await exited, stderr).toBe(130);
      expect(uploaded.length).toBeGreaterThan(0);
      expect(stderr).toMatch(/verify: interrupted; removed \d+ objects under verify's prefixes/);
      expect((await bucketKeys()).filter((k) => k.includes('verify-'))).toEqual([]);
    },
    HEAVY,
  );
});
