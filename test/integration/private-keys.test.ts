/**
 * No artifact for a deployment trusts a TEST-ONLY key. `npm run package` and the
 * SST deploy path refuse them unless the build is explicitly local; `npm run keys` makes a stage's own pair.
 */
import { execFile } from 'node:child_process';
import { createPublicKey, createSign, createVerify } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { viewerRequestEvent } from '../../infra/local/cloudfront-events.ts';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { buildStageArtifacts } from '../../infra/artifacts.ts';
import { packageFunctions } from '../../infra/build/package.ts';
import { distribution } from '../../infra/distribution.ts';
import { isTestOnlyKey, TEST_ECDSA_PUBLIC_KEY, TEST_RSA_PUBLIC_KEY, testOnlyKeyProblems } from '../../infra/keys.ts';
import { stageOverrides } from '../../infra/options.ts';
import { applyOverrides } from '../../infra/build/overrides.ts';
import { makeStageKeys } from '../../infra/tools/keys.ts';

const root = process.cwd();
const dirs: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'edge-images-keys-'));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('isTestOnlyKey', () => {
  it('knows the committed test keys by their material, whatever their name, id or PEM spelling', async () => {
    expect(isTestOnlyKey(TEST_RSA_PUBLIC_KEY)).toBe(true);
    expect(isTestOnlyKey(TEST_ECDSA_PUBLIC_KEY.pem)).toBe(true);
    expect(isTestOnlyKey({ pem: await readFile('fixtures/keys/rsa-test.public.pem', 'utf8') })).toBe(true);
    // Re-exported as PKCS#1 and with CRLF line ends: the same key.
    const pkcs1 = createPublicKey(TEST_RSA_PUBLIC_KEY.pem).export({ type: 'pkcs1', format: 'pem' }).toString().replaceAll('\n', '\r\n');
    expect(isTestOnlyKey(pkcs1)).toBe(true);
    // Derived from the committed private half.
    expect(
      isTestOnlyKey(
        createPublicKey(await readFile('fixtures/keys/ecdsa-test.private.pem', 'utf8'))
          .export({ type: 'spki', format: 'pem' })
          .toString(),
      ),
    ).toBe(true);
  });

  it('is false for a stage key and for text that is no key', () => {
    expect(isTestOnlyKey(makeStageKeys('prod').publicPem)).toBe(false);
    expect(isTestOnlyKey(makeStageKeys('prod', { ecdsa: true }).overrides.keyGroups[0]!.keys[0]!)).toBe(false);
    expect(isTestOnlyKey('not a key')).toBe(false);
  });

  it('finds a test key under any name in any key group a signed behavior trusts', () => {
    expect(testOnlyKeyProblems(distribution)).toHaveLength(4);
    const renamed = applyOverrides(distribution, {
      keyGroups: [{ name: 'private-images', keys: [{ ...TEST_RSA_PUBLIC_KEY, id: 'KPRODUCTION1', name: 'prod' }] }],
    });
    expect(testOnlyKeyProblems(renamed).join('\n')).toMatch(/TEST-ONLY key KPRODUCTION1/);
    expect(testOnlyKeyProblems(applyOverrides(distribution, makeStageKeys('prod').overrides))).toEqual([]);
  });
});

describe('builds for a deployment refuse TEST-ONLY keys', () => {
  it('npm run package refuses, saying how to make a pair and where its public half goes', async () => {
    const error = await packageFunctions({ root, outDir: await tempDir(), only: ['signed-url'] }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/Refusing to build signed-url for a deployment/);
    expect((error as Error).message).toMatch(/npm run keys -- --stage NAME/);
    expect((error as Error).message).toMatch(/keyGroups/);
    expect((error as Error).message).toMatch(/--local/);
  });

  it('npm run package (the CLI) exits non-zero without --local', async () => {
    const run = promisify(execFile);
    const out = await tempDir();
    const failed = await run(process.execPath, ['infra/build/run.mjs', 'infra/build/package-cli.ts', '--only', 'signed-url', '--out', out], {
      cwd: root,
    }).catch((e: { code: number; stderr: string }) => e);
    expect((failed as { code: number }).code).not.toBe(0);
    expect((failed as { stderr: string }).stderr).toMatch(/TEST-ONLY key K0TESTONLYRSA1/);
  }, 60_000);

  it('the SST deploy path refuses before it builds anything', () => {
    const overrides = stageOverrides(distribution, { stage: 'prod', overrides: {} });
    expect(() => buildStageArtifacts(root, 'prod', overrides)).toThrow(/Refusing to deploy stage prod[\s\S]*npm run keys/);
  });

  it('a build with the stage key bakes that key and no test key; --local accepts test keys', async () => {
    const keys = makeStageKeys('prod', { ecdsa: true });
    const out = await tempDir();
    await packageFunctions({ root, outDir: out, only: ['signed-url'], overrides: keys.overrides });
    const local = await tempDir();
    await packageFunctions({ root, outDir: local, only: ['signed-url'], local: true });
    // Run each zip's own bundle: a URL signed with a TEST-ONLY key is an Unknown Key for the
    // deployment build, and passes in the local one; the stage key passes in the deployment build.
    const handlerOf = async (dir: string) => {
      const files = unzipSync(await readFile(path.join(dir, 'signed-url.zip')));
      const unpacked = await tempDir();
      for (const [name, bytes] of Object.entries(files)) await writeFile(path.join(unpacked, name), bytes);
      const entry = Object.keys(files).find((name) => /\.c?js$/.test(name))!;
      return createRequire(import.meta.url)(path.join(unpacked, entry)).handler as (event: unknown) => Promise<{ status?: string; body?: string }>;
    };
    const event = (keyPairId: string, privateKey: string) => {
      const url = new URL(
        getSignedUrl({ url: 'https://cdn.example.com/private/vault.jpg', keyPairId, privateKey, dateLessThan: new Date(Date.now() + 3_600_000).toISOString() }),
      );
      return viewerRequestEvent({
        clientIp: '203.0.113.9',
        method: 'GET',
        uri: url.pathname,
        querystring: url.search.slice(1),
        headers: { host: [{ key: 'Host', value: url.host }] },
      });
    };
    const testRsa = await readFile('fixtures/keys/rsa-test.private.pem', 'utf8');
    const deployed = await handlerOf(out);
    const refused = await deployed(event(TEST_RSA_PUBLIC_KEY.id, testRsa));
    expect(refused.status).toBe('403');
    expect(refused.body).toContain('Unknown Key');
    expect(await deployed(event(keys.id, keys.privatePem))).not.toHaveProperty('status');
    expect(await (await handlerOf(local))(event(TEST_RSA_PUBLIC_KEY.id, testRsa))).not.toHaveProperty('status');
    // The key works: what the private half signs, the public half in the build verifies.
    const signature = createSign('sha256').update('policy').sign(keys.privatePem);
    expect(createVerify('sha256').update('policy').verify(keys.overrides.keyGroups[0]!.keys[0]!.pem, signature)).toBe(true);
  }, 120_000);
});
