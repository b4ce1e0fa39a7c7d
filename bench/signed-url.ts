/**
 * The signed-url function's cost: verifications per second of the whole check (parse the signing
 * parameters, rebuild or decode the policy, verify, conditions) against bare `crypto.verify` on
 * pre-decoded bytes in the same run, for canned/custom x RSA/ECDSA x SHA1/SHA256 (target: within
 * 1.5x); and the size of the function's bundle (a viewer function's zip must stay under 1 MB).
 *
 *   node infra/build/run.mjs bench/signed-url.ts        (standalone; `npm run bench` calls benchSignedUrl)
 */
import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { build } from 'esbuild';
import { createKeyRing, verifySignedRequest } from '../functions/core/signed-url.ts';
import type { SignedRequest, VerifyOptions } from '../functions/core/signed-url.ts';
import { cannedPolicy, decodeCloudFrontBase64 } from '../functions/core/signed-url-policy.ts';
import { bakedConfig } from '../infra/build/bundle.ts';

const TARGET_RATIO = 1.5;
const DEFAULT_ROUNDS = 5;
const DEFAULT_ROUND_MS = 120;

interface Case {
  readonly name: string;
  readonly request: SignedRequest;
  /** What bare crypto.verify gets: the signed bytes and the signature, already decoded. */
  readonly data: Buffer;
  readonly signature: Buffer;
  readonly hash: 'sha1' | 'sha256';
  readonly keyId: string;
}

function cases(): { list: Case[]; options: VerifyOptions } {
  const dir = path.resolve('fixtures/keys');
  const keys = [
    {
      label: 'RSA',
      id: 'K0TESTONLYRSA1',
      privateKey: readFileSync(path.join(dir, 'rsa-test.private.pem'), 'utf8'),
      publicKey: readFileSync(path.join(dir, 'rsa-test.public.pem'), 'utf8'),
    },
    {
      label: 'ECDSA',
      id: 'K0TESTONLYEC01',
      privateKey: readFileSync(path.join(dir, 'ecdsa-test.private.pem'), 'utf8'),
      publicKey: readFileSync(path.join(dir, 'ecdsa-test.public.pem'), 'utf8'),
    },
  ];
  const now = Date.now();
  const expires = new Date(now + 3600_000);
  const host = 'cdn.example.com';
  const url = `https://${host}/private/albums/vault.jpg?w=256&h=256`;
  const list: Case[] = [];
  for (const policyKind of ['canned', 'custom'] as const) {
    for (const key of keys) {
      for (const algorithm of ['SHA1', 'SHA256'] as const) {
        const credentials = { keyPairId: key.id, privateKey: key.privateKey, algorithm };
        const policy = JSON.stringify({
          Statement: [
            {
              Resource: `https://${host}/private/*`,
              Condition: { DateLessThan: { 'AWS:EpochTime': Math.floor(expires.getTime() / 1000) }, IpAddress: { 'AWS:SourceIp': '198.51.100.0/24' } },
            },
          ],
        });
        const signed = policyKind === 'canned' ? getSignedUrl({ ...credentials, url, dateLessThan: expires }) : getSignedUrl({ ...credentials, url, policy });
        const query = signed.slice(signed.indexOf('?') + 1);
        const param = (name: string) => new RegExp(`(?:^|&)${name}=([^&]*)`).exec(query)?.[1] ?? '';
        const data = policyKind === 'canned' ? Buffer.from(cannedPolicy(url, param('Expires'))) : decodeCloudFrontBase64(param('Policy'))!;
        list.push({
          name: `${policyKind} ${key.label} ${algorithm}`,
          request: { scheme: 'https', host, uri: '/private/albums/vault.jpg', querystring: query, clientIp: '198.51.100.7', cookies: [] },
          data,
          signature: decodeCloudFrontBase64(param('Signature'))!,
          hash: algorithm === 'SHA256' ? 'sha256' : 'sha1',
          keyId: key.id,
        });
      }
    }
  }
  const options: VerifyOptions = {
    keys: createKeyRing(keys.map((k) => ({ id: k.id, pem: k.publicKey }))),
    now: now / 1000,
    clockSkewSeconds: 0,
  };
  return { list, options };
}

/** Operations per second of `fn` over about `ms` milliseconds. */
function opsPerSecond(fn: () => boolean, ms: number): number {
  let n = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 20; i++) if (!fn()) throw new Error('verification failed during the benchmark');
    n += 20;
    elapsed = performance.now() - started;
  }
  return (n * 1000) / elapsed;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export interface SignedUrlResult {
  readonly target_ratio: number;
  readonly worst_ratio: number;
  readonly within_target: boolean;
  readonly cases: readonly { case: string; verifications_per_s: number; bare_crypto_verify_per_s: number; ratio: number }[];
  readonly rsa_pem_parses_per_s: number;
  readonly bundle: { entry: string; bytes: number; gzip_bytes: number; viewer_zip_limit_bytes: number };
}

export async function benchSignedUrl(settings: { rounds?: number; roundMs?: number } = {}): Promise<SignedUrlResult> {
  const ROUNDS = settings.rounds ?? DEFAULT_ROUNDS;
  const ROUND_MS = settings.roundMs ?? DEFAULT_ROUND_MS;
  const { list, options } = cases();
  const rows: SignedUrlResult['cases'][number][] = [];
  for (const c of list) {
    const publicKey = options.keys.get(c.keyId)!.key;
    const bare = () => verify(c.hash, c.data, publicKey, c.signature);
    const full = () => verifySignedRequest(c.request, options).ok;
    full();
    bare();
    // Interleaved rounds, so both sides see the same machine noise; medians of each.
    const bareRuns: number[] = [];
    const fullRuns: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      bareRuns.push(opsPerSecond(bare, ROUND_MS));
      fullRuns.push(opsPerSecond(full, ROUND_MS));
    }
    const bareOps = median(bareRuns);
    const fullOps = median(fullRuns);
    rows.push({
      case: c.name,
      verifications_per_s: Math.round(fullOps),
      bare_crypto_verify_per_s: Math.round(bareOps),
      ratio: Math.round((bareOps / fullOps) * 1000) / 1000,
    });
  }
  // For scale: parsing the PEM on every request, which the function never does (keys parse at init).
  const pem = readFileSync(path.resolve('fixtures/keys/rsa-test.public.pem'), 'utf8');
  const parsePerRequest = Math.round(opsPerSecond(() => createPublicKey(pem) !== undefined, ROUND_MS * 2));

  const bundled = await build({
    entryPoints: ['functions/signed-url/index.ts'],
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    plugins: [bakedConfig()],
  });
  const bytes = bundled.outputFiles[0]!.contents;
  const worst = Math.max(...rows.map((r) => r.ratio));
  return {
    target_ratio: TARGET_RATIO,
    worst_ratio: worst,
    within_target: worst <= TARGET_RATIO,
    cases: rows,
    rsa_pem_parses_per_s: parsePerRequest,
    bundle: {
      entry: 'functions/signed-url/index.ts',
      bytes: bytes.byteLength,
      gzip_bytes: gzipSync(bytes, { level: 9 }).byteLength,
      viewer_zip_limit_bytes: 1024 * 1024,
    },
  };
}

if (/[\\/]signed-url\.(?:mjs|ts)$/.test(process.argv[1] ?? '')) {
  const started = Date.now();
  const result = await benchSignedUrl();
  console.table(result['cases']);
  const { cases: _rows, ...rest } = result;
  console.log(JSON.stringify(rest, null, 2));
  console.log(`took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
