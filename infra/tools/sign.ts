/**
 * `npm run sign -- <url> [options]`: prints a CloudFront signed URL, or Set-Cookie lines with --cookies.
 *
 *   npm run sign -- http://127.0.0.1:3000/private/vault.jpg --expires 1h
 *   npm run sign -- 'http://127.0.0.1:3000/private/vault.jpg?w=128&h=128' --ip 127.0.0.1/32 --hash SHA256
 *   npm run sign -- http://127.0.0.1:3000/private/vault.jpg --cookies
 *
 * Without --key it signs with the TEST-ONLY RSA key of fixtures/keys (and says so on stderr), which
 * the local edge trusts by default.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseWhen, signCookies, signUrl, testKeys } from './signer.ts';
import type { PolicyKind, SignOptions } from './signer.ts';

const USAGE = `Usage: npm run sign -- <url> [--expires 1h] [--not-before WHEN] [--ip CIDR]
                      [--policy canned|custom|wildcard-resource] [--resource PATTERN]
                      [--hash SHA1|SHA256] [--key private.pem --key-pair-id ID]
                      [--cookies [--domain D] [--path P]]
  <url>            the viewer URL, e.g. http://127.0.0.1:3000/private/vault.jpg?w=128&h=128
  --expires        when it stops working: 90s, 15m, 1h (default), 7d, an ISO date or epoch seconds
                   (a past offset needs the = form: --expires=-5m)
  --not-before     when it starts working (custom policy: DateGreaterThan)
  --ip             viewer IP range, IPv4 or IPv6 CIDR (custom policy; CloudFront itself takes IPv4 only)
  --policy         canned (default for URLs): this URL exactly; custom: this URL with conditions;
                   wildcard-resource (default for --cookies): everything under the URL's folder
  --resource       any Resource pattern with * and ? (custom policy)
  --hash           SHA1 (CloudFront's default) or SHA256 (adds Hash-Algorithm=SHA256)
  --key            a PEM private key (RSA-2048 or ECDSA P-256); --key-pair-id its CloudFront public key id
                   (default: the TEST-ONLY RSA key in fixtures/keys; --key-pair-id K0TESTONLYEC01
                   picks the test ECDSA key)
  --cookies        print Set-Cookie lines instead of a URL (--domain, --path: cookie attributes)`;

export interface Io {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  readonly now?: Date;
  readonly root?: string;
}

/** The whole CLI as a function: returns the exit code. */
export function runSign(argv: readonly string[], io: Io): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        expires: { type: 'string', default: '1h' },
        'not-before': { type: 'string' },
        ip: { type: 'string' },
        policy: { type: 'string' },
        resource: { type: 'string' },
        hash: { type: 'string', default: 'SHA1' },
        key: { type: 'string' },
        'key-pair-id': { type: 'string' },
        cookies: { type: 'boolean', default: false },
        domain: { type: 'string' },
        path: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    io.stderr(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(USAGE);
    return 0;
  }
  try {
    const [url, ...extra] = positionals;
    if (url === undefined || extra.length > 0) throw new Error(`Expected one URL but received ${positionals.length}`);
    if (!/^https?:\/\/[^/]+\//.test(url)) throw new Error(`Expected an http:// or https:// URL with a path but received ${JSON.stringify(url)}`);
    if (values.hash !== 'SHA1' && values.hash !== 'SHA256') throw new Error(`Expected SHA1 or SHA256 for --hash but received ${JSON.stringify(values.hash)}`);
    const policy = values.policy as PolicyKind | undefined;
    if (policy !== undefined && !['canned', 'custom', 'wildcard-resource'].includes(policy)) {
      throw new Error(`Expected canned, custom or wildcard-resource for --policy but received ${JSON.stringify(policy)}`);
    }
    const now = io.now ?? new Date();
    const { keyPairId, privateKey } = chooseKey(values.key, values['key-pair-id'], io);
    const options: SignOptions = {
      url,
      expires: parseWhen(values.expires, now),
      ...(values['not-before'] ? { notBefore: parseWhen(values['not-before'], now) } : {}),
      ...(values.ip ? { ip: values.ip } : {}),
      ...(policy ? { policy } : {}),
      ...(values.resource ? { resource: values.resource } : {}),
      keyPairId,
      privateKey,
      hash: values.hash,
    };
    if (values.cookies) {
      const signed = signCookies({ ...options, ...(values.domain ? { domain: values.domain } : {}), ...(values.path ? { cookiePath: values.path } : {}) });
      for (const line of signed.setCookie) io.stdout(`Set-Cookie: ${line}`);
      io.stderr(`try: curl -sD - -o /dev/null -H 'Cookie: ${signed.cookieHeader}' '${url}'`);
    } else {
      io.stdout(signUrl(options));
    }
    return 0;
  } catch (error) {
    io.stderr(`sign: ${(error as Error).message}`);
    return 2;
  }
}

function chooseKey(keyFile: string | undefined, keyPairId: string | undefined, io: Io): { keyPairId: string; privateKey: string } {
  const tests = testKeys(io.root);
  if (keyFile !== undefined) {
    const resolved = path.resolve(io.root ?? process.cwd(), keyFile);
    const test = tests.find((k) => k.privateKeyFile === resolved);
    const id = keyPairId ?? test?.id;
    if (id === undefined) throw new Error(`Expected --key-pair-id with --key ${keyFile} (the id of its CloudFront public key)`);
    if (test) warn(io, test.id);
    return { keyPairId: id, privateKey: readFileSync(resolved, 'utf8') };
  }
  const test = keyPairId === undefined ? tests.find((k) => k.type === 'RSA-2048') : tests.find((k) => k.id === keyPairId);
  if (test === undefined) throw new Error(`Expected --key with --key-pair-id ${keyPairId} (only the test keys are known without one)`);
  warn(io, test.id);
  return { keyPairId: test.id, privateKey: test.privateKey };
}

function warn(io: Io, id: string): void {
  io.stderr(`warning: signing with the TEST-ONLY key ${id} from fixtures/keys: anyone can sign with it; never use it for real content`);
}

// Entry point when run as `node infra/build/run.mjs infra/tools/sign.ts ...` (bundled to sign.mjs).
if (/[\\/]sign\.(?:mjs|ts)$/.test(process.argv[1] ?? '')) {
  process.exitCode = runSign(process.argv.slice(2), { stdout: (line) => console.log(line), stderr: (line) => console.error(line) });
}
