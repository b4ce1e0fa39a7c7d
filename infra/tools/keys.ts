/**
 * `npm run keys -- --stage NAME [--ecdsa] [--out DIR] [--id KEY_PAIR_ID]`: a key pair for one stage.
 *
 *   RSA-2048 (default) or ECDSA P-256 (--ecdsa), the two kinds CloudFront accepts for signed URLs.
 *   Writes, into DIR (default .keys/NAME/, ignored by git; never commit the private half):
 *     private.pem             PKCS#8, mode 0600: what your signer (your application) keeps
 *     public.pem              SubjectPublicKeyInfo: what CloudFront and the signed-url function trust
 *     keys.overrides.json     build overrides with the key group (`keyGroups`), for
 *                             `npm run package -- --config FILE` or EDGE_IMAGES_CONFIG=FILE sst deploy
 *   and prints the CloudFront steps (public key, key group).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { KeyGroupSpec } from '../distribution.ts';

export interface StageKeys {
  readonly id: string;
  readonly algorithm: 'RSA-2048' | 'ECDSA-P256';
  readonly privatePem: string;
  readonly publicPem: string;
  /** Build overrides: the `private-images` key group the signed behaviors trust, with this key only. */
  readonly overrides: { readonly keyGroups: readonly KeyGroupSpec[] };
}

const STAGE = /^[A-Za-z0-9][A-Za-z0-9-]{0,39}$/;

/** A new key pair for a stage, with the overrides that make a build trust its public half. */
export function makeStageKeys(stage: string, options: { ecdsa?: boolean; id?: string } = {}): StageKeys {
  if (!STAGE.test(stage)) throw new Error(`Expected a stage name of letters, digits and dashes for --stage but received ${JSON.stringify(stage)}`);
  // Until CloudFront gives the public key its own ID: an alphanumeric placeholder (replace it by the
  // CloudFront ID if CloudFront itself also verifies, with trusted key groups on the behavior).
  const id =
    options.id ??
    `K${stage
      .replace(/[^A-Za-z0-9]/g, '')
      .toUpperCase()
      .slice(0, 8)}${randomBytes(4).toString('hex').toUpperCase()}`;
  if (!/^[A-Za-z0-9]{1,64}$/.test(id)) throw new Error(`Expected an alphanumeric Key-Pair-Id for --id but received ${JSON.stringify(id)}`);
  const pair = options.ecdsa ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privatePem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const algorithm = options.ecdsa ? 'ECDSA-P256' : 'RSA-2048';
  return {
    id,
    algorithm,
    privatePem,
    publicPem,
    overrides: {
      keyGroups: [{ name: 'private-images', keys: [{ id, name: `edge-images-${stage}`, comment: `${algorithm} key of stage ${stage}`, pem: publicPem }] }],
    },
  };
}

function cloudFrontSteps(stage: string, keys: StageKeys, dir: string): string {
  const rel = path.relative(process.cwd(), dir) || '.';
  return `Key pair for stage ${stage} (${keys.algorithm}, Key-Pair-Id ${keys.id}) in ${rel}/
  private.pem  stays with your signer: never commit it, never upload it (store it in a secret manager)
  public.pem   goes to CloudFront and into the build

CloudFront (console: CloudFront > Key management > Public keys, then Key groups; or the CLI):
  1. aws cloudfront create-public-key --public-key-config \\
       'CallerReference=edge-images-${stage}-${Date.now()},Name=edge-images-${stage},EncodedKey='"$(cat ${rel}/public.pem)"
     It answers the public key's ID: that ID is the Key-Pair-Id signers send. Put it as "id" in
     ${rel}/keys.overrides.json (or run again with --id THAT_ID).
  2. aws cloudfront create-key-group --key-group-config 'Name=edge-images-${stage},Items=THAT_ID'
     Only if CloudFront itself should also check signatures (trusted key groups on the behaviors);
     the signed-url function checks them either way, with the keys baked into its bundle.
Build for the stage with the public half:
  npm run package -- --config ${rel}/keys.overrides.json
  EDGE_IMAGES_CONFIG=${rel}/keys.overrides.json npx sst deploy --stage ${stage}
  (merge the keyGroups entry into your own overrides file if you have one; in CI, keep the JSON in
  an SST secret or your CI's secret store and write it to a file before the build)
Sign with the private half:
  npm run sign -- https://YOUR-CDN/private/vault.jpg --key ${rel}/private.pem --key-pair-id ${keys.id}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stage: { type: 'string' },
      ecdsa: { type: 'boolean', default: false },
      out: { type: 'string' },
      id: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || values.stage === undefined) {
    console.log('Usage: npm run keys -- --stage NAME [--ecdsa] [--out DIR (default .keys/NAME)] [--id KEY_PAIR_ID]');
    process.exit(values.help ? 0 : 2);
  }
  const keys = makeStageKeys(values.stage, { ecdsa: values.ecdsa, ...(values.id ? { id: values.id } : {}) });
  const dir = path.resolve(values.out ?? path.join('.keys', values.stage));
  if (existsSync(path.join(dir, 'private.pem'))) {
    throw new Error(`Expected no key pair in ${dir} but received one: a key is never overwritten (choose --out)`);
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(path.join(dir, 'private.pem'), keys.privatePem, { mode: 0o600, flag: 'wx' });
  await writeFile(path.join(dir, 'public.pem'), keys.publicPem, { flag: 'wx' });
  await writeFile(path.join(dir, 'keys.overrides.json'), `${JSON.stringify(keys.overrides, null, 2)}\n`, { flag: 'wx' });
  console.log(cloudFrontSteps(values.stage, keys, dir));
}

// Entry point when run as `node infra/build/run.mjs infra/tools/keys.ts ...`.
if (/[\\/]tools[\\/]keys\.(?:mjs|ts)$/.test(process.argv[1] ?? '')) {
  main().catch((error: unknown) => {
    console.error((error as Error).message);
    process.exit(1);
  });
}
