/**
 * Signing CloudFront URLs and cookies, on @aws-sdk/cloudfront-signer: what an application server
 * does to hand out private images, and what `npm run sign` prints. The output is CloudFront's own
 * format, valid with CloudFront's trusted key groups and with the signed-url function alike.
 *
 * Custom policies are written here (the SDK accepts only IPv4 for `ipAddress`; the signed-url
 * function also takes IPv6 ranges, which CloudFront itself does not) and signed by the SDK.
 */
import { DERIVED_PREFIX } from '../../functions/core/keys.ts';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { getSignedCookies, getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { parseCidr } from '../../functions/core/signed-url-policy.ts';

export type PolicyKind = 'canned' | 'custom' | 'wildcard-resource';

export interface SignOptions {
  /** The viewer URL: `https://cdn.example.com/private/a.jpg?w=128&h=128`. */
  readonly url: string;
  readonly expires: Date;
  readonly notBefore?: Date;
  /** An IPv4 or IPv6 address or CIDR. */
  readonly ip?: string;
  /**
   * canned: exactly this URL until `expires` (the default, unless notBefore or ip ask for more);
   * custom: exactly this URL, with the conditions; wildcard-resource: everything under the URL's
   * folder (`https://host/private/*`); `resource` gives any other pattern.
   */
  readonly policy?: PolicyKind;
  readonly resource?: string;
  readonly keyPairId: string;
  /** PEM (PKCS#1 or PKCS#8), RSA-2048 or ECDSA P-256. */
  readonly privateKey: string;
  readonly hash?: 'SHA1' | 'SHA256';
}

/** Whole epoch seconds, as policies hold them. */
function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/** The custom policy JSON for these options, or undefined when a canned policy says it all. */
function customPolicy(options: SignOptions, baseUrl: string): string | undefined {
  const kind = options.policy ?? (options.notBefore || options.ip || options.resource ? 'custom' : 'canned');
  if (kind === 'canned') {
    if (options.notBefore || options.ip || options.resource) {
      throw new Error('Expected no --not-before, --ip or --resource with a canned policy but received one');
    }
    return undefined;
  }
  const resource = options.resource ?? (kind === 'wildcard-resource' ? folderPattern(baseUrl) : baseUrl);
  const condition: Record<string, unknown> = { DateLessThan: { 'AWS:EpochTime': epochSeconds(options.expires) } };
  if (options.notBefore) condition['DateGreaterThan'] = { 'AWS:EpochTime': epochSeconds(options.notBefore) };
  if (options.ip) {
    const cidr = parseCidr(options.ip);
    if (!cidr) throw new Error(`Expected an IPv4 or IPv6 address or CIDR for the IP range but received ${JSON.stringify(options.ip)}`);
    const address = options.ip.split('/')[0]!;
    condition['IpAddress'] = { 'AWS:SourceIp': `${address}/${cidr.prefix}` };
  }
  return JSON.stringify({ Statement: [{ Resource: resource, Condition: condition }] });
}

/** `https://host/private/a.jpg?x` -> `https://host/private/*`. */
export function folderPattern(url: string): string {
  const query = url.indexOf('?');
  const bare = query === -1 ? url : url.slice(0, query);
  return `${bare.slice(0, bare.lastIndexOf('/') + 1)}*`;
}

/**
 * The URL exactly as the SDK will send it (it percent-encodes path segments and query parts one
 * canonical way): the Resource of an exact custom policy must be this spelling.
 */
function sdkBaseUrl(options: SignOptions): string {
  const canned = getSignedUrl({
    url: options.url,
    keyPairId: options.keyPairId,
    privateKey: options.privateKey,
    dateLessThan: options.expires,
  });
  return canned.slice(0, canned.lastIndexOf('Expires=') - 1);
}

export function signUrl(options: SignOptions): string {
  checkWindow(options);
  const credentials = { keyPairId: options.keyPairId, privateKey: options.privateKey, algorithm: options.hash ?? 'SHA1' } as const;
  const policy = customPolicy(options, sdkBaseUrl(options));
  if (policy === undefined) return getSignedUrl({ ...credentials, url: options.url, dateLessThan: new Date(epochSeconds(options.expires) * 1000) });
  return getSignedUrl({ ...credentials, url: options.url, policy });
}

export interface SignedCookies {
  /** Cookie name -> value. */
  readonly cookies: Readonly<Record<string, string>>;
  /** `Set-Cookie` header values, one per cookie. */
  readonly setCookie: readonly string[];
  /** The value of a `Cookie` request header carrying them, for curl and tests. */
  readonly cookieHeader: string;
  /**
   * For a folder (wildcard-resource, no explicit --path or --resource): the same for the folder's
   * canonical derived path (`/_derived/private/...`, where an image too large to answer inline is
   * served from), with its own Resource and Path; its Set-Cookie lines are in `setCookie` too.
   */
  readonly derivedCookieHeader?: string;
}

/**
 * Signed cookies; a wildcard-resource policy unless told otherwise (a cookie usually covers a folder).
 * For a folder, two sets: one for the folder (`/private/a/*`, Path=/private/a/) and one for its derived
 * images (`/_derived/private/a/*`, Path=/_derived/private/a/), since one policy has one Resource and a
 * Resource broad enough for both (`/*private/a/*`) would also match other folders' nested paths.
 */
export function signCookies(options: SignOptions & { readonly domain?: string; readonly cookiePath?: string }): SignedCookies {
  const folder = (options.policy ?? 'wildcard-resource') === 'wildcard-resource' && options.resource === undefined && options.cookiePath === undefined;
  if (!folder) return signCookieSet(options);
  const pattern = folderPattern(sdkBaseUrl(options));
  const url = new URL(pattern.slice(0, -1));
  const main = signCookieSet({ ...options, cookiePath: url.pathname });
  if (url.pathname.startsWith(`/${DERIVED_PREFIX}`)) return main;
  const derivedFolder = `${url.origin}/${DERIVED_PREFIX}${url.pathname.slice(1)}`;
  const derived = signCookieSet({ ...options, resource: `${derivedFolder}*`, policy: 'custom', cookiePath: new URL(derivedFolder).pathname });
  return { ...main, setCookie: [...main.setCookie, ...derived.setCookie], derivedCookieHeader: derived.cookieHeader };
}

function signCookieSet(options: SignOptions & { readonly domain?: string; readonly cookiePath?: string }): SignedCookies {
  checkWindow(options);
  const withPolicy: SignOptions = { ...options, policy: options.policy ?? 'wildcard-resource' };
  const credentials = { keyPairId: options.keyPairId, privateKey: options.privateKey, algorithm: options.hash ?? 'SHA1' } as const;
  const base = sdkBaseUrl(withPolicy);
  const policy = customPolicy(withPolicy, base);
  const signed =
    policy === undefined
      ? getSignedCookies({ ...credentials, url: base, dateLessThan: new Date(epochSeconds(options.expires) * 1000) })
      : getSignedCookies({ ...credentials, policy });
  const cookies: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed)) if (value !== undefined) cookies[name] = String(value);
  const secure = new URL(options.url).protocol === 'https:';
  const attributes = [
    `Path=${options.cookiePath ?? '/'}`,
    ...(options.domain ? [`Domain=${options.domain}`] : []),
    `Expires=${options.expires.toUTCString()}`,
    ...(secure ? ['Secure'] : []),
    'HttpOnly',
    'SameSite=Lax',
  ].join('; ');
  return {
    cookies,
    setCookie: Object.entries(cookies).map(([name, value]) => `${name}=${value}; ${attributes}`),
    cookieHeader: Object.entries(cookies)
      .map(([name, value]) => `${name}=${value}`)
      .join('; '),
  };
}

function checkWindow(options: SignOptions): void {
  if (Number.isNaN(options.expires.getTime())) throw new Error('Expected a valid date for the expiry but received an invalid one');
  if (options.notBefore && !(options.notBefore < options.expires)) {
    throw new Error('Expected the start (--not-before) to be before the expiry (--expires)');
  }
}

/**
 * When: `90s`, `15m`, `1h`, `7d` from `now`; `+0s` style offsets may be negative (`-5m`, for tests of
 * expiry); an ISO 8601 date; or whole epoch seconds.
 */
export function parseWhen(text: string, now: Date = new Date()): Date {
  const relative = /^([+-]?)([0-9]+)(s|m|h|d)$/.exec(text.trim());
  if (relative) {
    const unit = { s: 1, m: 60, h: 3600, d: 86_400 }[relative[3] as 's' | 'm' | 'h' | 'd'];
    const sign = relative[1] === '-' ? -1 : 1;
    return new Date(now.getTime() + sign * Number(relative[2]) * unit * 1000);
  }
  if (/^[0-9]{9,12}$/.test(text)) return new Date(Number(text) * 1000);
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) {
    throw new Error(`Expected a duration such as 1h, 30m, 7d, an ISO date or epoch seconds but received ${JSON.stringify(text)}`);
  }
  return date;
}

// ------------------------------------------------------------------------------------------------
// The TEST-ONLY keys in fixtures/keys
// ------------------------------------------------------------------------------------------------

export interface TestKey {
  readonly id: string;
  readonly type: 'RSA-2048' | 'ECDSA-P256';
  readonly privateKeyFile: string;
  readonly privateKey: string;
}

/** The test-only keys of fixtures/keys (keys.json), relative to the project root `root`. */
export function testKeys(root: string = process.cwd()): TestKey[] {
  const dir = path.join(root, 'fixtures/keys');
  const manifest = JSON.parse(readFileSync(path.join(dir, 'keys.json'), 'utf8')) as {
    keys: { id: string; type: TestKey['type']; privateKey: string }[];
  };
  return manifest.keys.map((k) => ({
    id: k.id,
    type: k.type,
    privateKeyFile: path.join(dir, k.privateKey),
    privateKey: readFileSync(path.join(dir, k.privateKey), 'utf8'),
  }));
}

export function testKey(type: TestKey['type'], root?: string): TestKey {
  const key = testKeys(root).find((k) => k.type === type);
  if (!key) throw new Error(`Expected a ${type} test key in fixtures/keys/keys.json but received none`);
  return key;
}
