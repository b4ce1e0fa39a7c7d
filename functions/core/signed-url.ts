/**
 * Verification of CloudFront signed URLs and signed cookies, in CloudFront's own format, so the same
 * URLs work with CloudFront's trusted key groups and with the signed-url function.
 *
 *   query:   Expires | Policy, Signature, Key-Pair-Id, [Hash-Algorithm]            (URL)
 *   cookies: CloudFront-Expires | CloudFront-Policy, CloudFront-Signature,
 *            CloudFront-Key-Pair-Id, [CloudFront-Hash-Algorithm]                     (cookies)
 *
 * The signature (RSA-2048 or ECDSA P-256, SHA1 unless Hash-Algorithm=SHA256) covers the policy:
 * the canned policy built from the viewer URL and Expires, or the custom policy sent base64-encoded.
 * The viewer URL is `<scheme>://<Host header><uri>[?<query without the signing parameters>]`.
 *
 * Decisions, each deliberate:
 * - The query string wins: if any signing parameter is in it, the URL alone must carry a complete
 *   set and cookies are not read; a set split between query and cookies is refused ("mixed").
 * - A signing parameter or cookie given twice (even with the same value) is refused.
 * - Values are taken as sent, never percent-decoded (CloudFront's signers never encode them).
 * - Keys are parsed once, when the key ring is made; nothing about a key is parsed per request.
 * - The signature is checked before any condition, so a reason such as "expired" is only given for
 *   a policy that really was signed. Time conditions allow `clockSkewSeconds` either way: 0 by
 *   default, as CloudFront (which documents none); a deployment may choose more in distribution.ts.
 * - A custom policy has no size limit of its own, as in CloudFront: only the URL (8,192 bytes) or the
 *   request (20,480 bytes) that carries it is bounded.
 */
import { createPublicKey, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { EdgeError, quote } from './errors.ts';
import { cannedPolicy, cidrContains, decodeCloudFrontBase64, matchResource, parseIp, parsePolicy } from './signed-url-policy.ts';

type KeyAlgorithm = 'RSA-2048' | 'ECDSA-P256';

/** A public key as CloudFront stores it: its id (the Key-Pair-Id) and its PEM (SubjectPublicKeyInfo). */
export interface PublicKeyInput {
  readonly id: string;
  readonly pem: string;
}

interface TrustedKey {
  readonly id: string;
  readonly key: KeyObject;
  readonly algorithm: KeyAlgorithm;
}

export type KeyRing = ReadonlyMap<string, TrustedKey>;

/** Parses every public key once (at init). Throws a plain Error on a bad configuration: a build-time bug. */
export function createKeyRing(keys: readonly PublicKeyInput[]): KeyRing {
  const ring = new Map<string, TrustedKey>();
  for (const { id, pem } of keys) {
    if (!/^[A-Za-z0-9]{1,64}$/.test(id)) throw new Error(`Expected an alphanumeric Key-Pair-Id but received ${quote(id)}`);
    if (ring.has(id)) throw new Error(`Expected each Key-Pair-Id once but received ${quote(id)} twice`);
    const key = createPublicKey(pem);
    const details = key.asymmetricKeyDetails;
    let algorithm: KeyAlgorithm;
    if (key.asymmetricKeyType === 'rsa' && details?.modulusLength === 2048) algorithm = 'RSA-2048';
    else if (key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1') algorithm = 'ECDSA-P256';
    else {
      const got = `${key.asymmetricKeyType ?? 'unknown'} ${details?.modulusLength ?? details?.namedCurve ?? ''}`.trim();
      throw new Error(`Expected an RSA-2048 or ECDSA P-256 public key for ${id} but received ${got}`);
    }
    ring.set(id, { id, key, algorithm });
  }
  return ring;
}

type DenyReason =
  | 'missing'
  | 'mixed'
  | 'duplicate'
  | 'malformed'
  | 'unsupported-hash'
  | 'unknown-key'
  | 'oversized-policy'
  | 'bad-signature'
  | 'malformed-policy'
  | 'expired'
  | 'not-yet-valid'
  | 'ip'
  | 'resource';

type HashAlgorithm = 'SHA1' | 'SHA256';

/** What the verifier needs of a viewer request. */
export interface SignedRequest {
  readonly scheme: 'http' | 'https';
  readonly host: string | undefined;
  /** As CloudFront passes it: percent-encoded, no query. */
  readonly uri: string;
  /** Without the leading `?`. */
  readonly querystring: string;
  readonly clientIp: string;
  /** Every Cookie header value. */
  readonly cookies: readonly string[];
}

export interface VerifyOptions {
  readonly keys: KeyRing;
  /** Seconds since the epoch (fractional). */
  readonly now: number;
  /** Seconds of tolerance either way on time conditions; CloudFront applies none (0). */
  readonly clockSkewSeconds: number;
}

/**
 * CloudFront bounds a policy only by what a request may carry: a URL of at most 8,192 bytes, and a
 * request of at most 20,480 bytes with its headers (cookies), body aside. Source: "Quotas", general
 * quotas, https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html
 */
export const MAX_URL_BYTES = 8_192;
export const MAX_REQUEST_BYTES = 20_480;

type Via = 'query' | 'cookie';

export type Verdict =
  | {
      readonly ok: true;
      readonly via: Via;
      readonly keyPairId: string;
      readonly policy: 'canned' | 'custom';
      readonly hash: HashAlgorithm;
      /** The query string without the signing parameters: what goes on. */
      readonly querystring: string;
    }
  | {
      readonly ok: false;
      readonly via: Via | undefined;
      readonly keyPairId: string | undefined;
      readonly reason: DenyReason;
      /** code Forbidden, a viewer-safe public message, the reason and particulars in detail. */
      readonly error: EdgeError;
    };

const QUERY_NAMES = { expires: 'Expires', policy: 'Policy', signature: 'Signature', keyPairId: 'Key-Pair-Id', hash: 'Hash-Algorithm' } as const;
const COOKIE_NAMES = {
  expires: 'CloudFront-Expires',
  policy: 'CloudFront-Policy',
  signature: 'CloudFront-Signature',
  keyPairId: 'CloudFront-Key-Pair-Id',
  hash: 'CloudFront-Hash-Algorithm',
} as const;

type Field = keyof typeof QUERY_NAMES;
type Names = Readonly<Record<Field, string>>;

const QUERY_FIELDS = new Map<string, Field>(Object.entries(QUERY_NAMES).map(([field, name]) => [name, field as Field]));
const COOKIE_FIELDS = new Map<string, Field>(Object.entries(COOKIE_NAMES).map(([field, name]) => [name, field as Field]));

/** The signing parameters found in one place, and what else was there. */
interface Found {
  readonly values: Partial<Record<Field, string>>;
  count: number;
  duplicate: string | undefined;
}

/** Splits the signing parameters out of a query string, keeping every other part as sent, in order. */
export function splitSigningParams(querystring: string): { found: Found; rest: string } {
  const found: Found = { values: {}, count: 0, duplicate: undefined };
  if (querystring === '') return { found, rest: '' };
  const kept: string[] = [];
  for (const part of querystring.split('&')) {
    const eq = part.indexOf('=');
    const field = QUERY_FIELDS.get(eq === -1 ? part : part.slice(0, eq));
    if (field === undefined) kept.push(part);
    else record(found, field, eq === -1 ? '' : part.slice(eq + 1), QUERY_NAMES[field]);
  }
  return { found, rest: kept.join('&') };
}

/** The CloudFront-* signing cookies among Cookie header values. */
export function readSigningCookies(cookieHeaders: readonly string[]): Found {
  const found: Found = { values: {}, count: 0, duplicate: undefined };
  for (const header of cookieHeaders) {
    if (!header.includes('CloudFront-')) continue;
    for (const pair of header.split(';')) {
      const eq = pair.indexOf('=');
      if (eq === -1) continue;
      const field = COOKIE_FIELDS.get(pair.slice(0, eq).trim());
      if (field !== undefined) record(found, field, pair.slice(eq + 1).trim(), COOKIE_NAMES[field]);
    }
  }
  return found;
}

/** A Cookie header value without the CloudFront-* signing cookies ('' when nothing else is left). */
export function withoutSigningCookies(header: string): string {
  if (!header.includes('CloudFront-')) return header;
  return header
    .split(';')
    .filter((pair) => {
      const eq = pair.indexOf('=');
      return !COOKIE_FIELDS.has((eq === -1 ? pair : pair.slice(0, eq)).trim());
    })
    .map((pair) => pair.trim())
    .join('; ');
}

function record(found: Found, field: Field, value: string, name: string): void {
  if (found.values[field] !== undefined) found.duplicate ??= name;
  else found.count++;
  (found.values as Record<Field, string>)[field] = value;
}

/** Verifies a viewer request's signed URL, or, when its query has no signing parameter, its signed cookies. */
export function verifySignedRequest(request: SignedRequest, options: VerifyOptions): Verdict {
  const { found: query, rest } = splitSigningParams(request.querystring);
  let via: Via;
  let found: Found;
  let names: Names;
  if (query.count > 0 || query.duplicate !== undefined) {
    via = 'query';
    found = query;
    names = QUERY_NAMES;
    const incomplete =
      found.values.keyPairId === undefined || found.values.signature === undefined || (found.values.expires ?? found.values.policy) === undefined;
    if (incomplete && readSigningCookies(request.cookies).count > 0) {
      return deny(
        via,
        found.values.keyPairId,
        'mixed',
        'Expected every signing parameter in the query string or every one in cookies but received a mix of both',
      );
    }
  } else {
    via = 'cookie';
    found = readSigningCookies(request.cookies);
    names = COOKIE_NAMES;
    if (found.count === 0) return deny(undefined, undefined, 'missing', 'Missing Key-Pair-Id query parameter or cookie value.');
  }
  const where = via === 'query' ? 'query parameter' : 'cookie value';
  const { expires, policy, signature, keyPairId, hash } = found.values;
  if (found.duplicate !== undefined) return deny(via, keyPairId, 'duplicate', `Expected a single ${found.duplicate} ${where} but received several`);
  if (keyPairId === undefined) return deny(via, keyPairId, 'missing', `Missing ${names.keyPairId} ${where}`);
  if (signature === undefined) return deny(via, keyPairId, 'missing', `Missing ${names.signature} ${where}`);
  if (expires === undefined && policy === undefined) return deny(via, keyPairId, 'missing', `Missing ${names.expires} or ${names.policy} ${where}`);
  if (expires !== undefined && policy !== undefined) {
    return deny(via, keyPairId, 'malformed', `Expected either ${names.expires} or ${names.policy} but received both`);
  }
  if (hash !== undefined && hash !== 'SHA1' && hash !== 'SHA256') {
    return deny(via, keyPairId, 'unsupported-hash', `Expected SHA1 or SHA256 for ${names.hash} but received ${quote(hash)}`);
  }
  const algorithm: HashAlgorithm = hash ?? 'SHA1';

  const trusted = options.keys.get(keyPairId);
  if (trusted === undefined) return deny(via, keyPairId, 'unknown-key', 'Unknown Key', `Key-Pair-Id ${quote(keyPairId)} is not trusted`);

  const signatureBytes = decodeCloudFrontBase64(signature);
  if (signatureBytes === undefined || !plausibleLength(trusted, signatureBytes.length)) {
    return deny(via, keyPairId, 'malformed', `Expected a CloudFront base64 signature for ${names.signature} but received ${quote(signature)}`);
  }

  if (request.host === undefined || request.host === '') return deny(via, keyPairId, 'malformed', 'Expected a Host header but received none');
  const url = `${request.scheme}://${request.host}${request.uri}${rest === '' ? '' : `?${rest}`}`;

  let signed: Buffer;
  if (expires !== undefined) {
    if (!/^[1-9][0-9]{0,15}$/.test(expires)) {
      return deny(via, keyPairId, 'malformed', `Expected whole epoch seconds for ${names.expires} but received ${quote(expires)}`);
    }
    signed = Buffer.from(cannedPolicy(url, expires), 'utf8');
  } else {
    const encoded = policy!;
    // No size of its own: only what fits in a URL (query) or a request (cookie) CloudFront accepts.
    const limit = via === 'query' ? MAX_URL_BYTES : MAX_REQUEST_BYTES;
    if (encoded.length > limit) {
      return deny(
        via,
        keyPairId,
        'oversized-policy',
        `Expected a ${names.policy} that fits in a ${via === 'query' ? 'URL' : 'request'} of at most ${limit} bytes but received ${encoded.length} characters`,
      );
    }
    const bytes = decodeCloudFrontBase64(encoded);
    if (bytes === undefined) return deny(via, keyPairId, 'malformed', `Expected CloudFront base64 for ${names.policy} but received ${quote(encoded)}`);
    signed = bytes;
  }

  if (!verify(algorithm === 'SHA256' ? 'sha256' : 'sha1', signed, trusted.key, signatureBytes)) {
    return deny(via, keyPairId, 'bad-signature', 'Access denied: the signature does not match the policy and key', `${trusted.algorithm} ${algorithm}`);
  }

  const now = options.now;
  const skew = options.clockSkewSeconds;
  if (expires !== undefined) {
    if (now >= Number(expires) + skew) return deny(via, keyPairId, 'expired', `Access denied: the signed URL expired at ${isoTime(Number(expires))}`);
    return { ok: true, via, keyPairId, policy: 'canned', hash: algorithm, querystring: rest };
  }

  const parsed = parsePolicy(signed.toString('utf8'));
  if (!parsed.ok) return deny(via, keyPairId, 'malformed-policy', parsed.message);
  const statement = parsed.value;
  if (now >= statement.dateLessThan + skew)
    return deny(via, keyPairId, 'expired', `Access denied: the signed URL expired at ${isoTime(statement.dateLessThan)}`);
  if (statement.dateGreaterThan !== undefined && now <= statement.dateGreaterThan - skew) {
    return deny(via, keyPairId, 'not-yet-valid', `Access denied: the signed URL is not valid until after ${isoTime(statement.dateGreaterThan)}`);
  }
  if (statement.sourceIp !== undefined) {
    const viewer = parseIp(request.clientIp);
    if (viewer === undefined || !cidrContains(statement.sourceIp, viewer)) {
      return deny(via, keyPairId, 'ip', "Access denied: the viewer's IP address is outside the policy's IpAddress range", `clientIp ${request.clientIp}`);
    }
  }
  if (statement.resource !== undefined && !matchResource(statement.resource, url)) {
    return deny(via, keyPairId, 'resource', "Access denied: the policy's Resource does not cover this URL", `resource ${statement.resource} url ${url}`);
  }
  return { ok: true, via, keyPairId, policy: 'custom', hash: algorithm, querystring: rest };
}

/** RSA-2048 signatures are exactly 256 bytes; a DER ECDSA P-256 signature is 8 to 72. */
function plausibleLength(key: TrustedKey, length: number): boolean {
  return key.algorithm === 'RSA-2048' ? length === 256 : length >= 8 && length <= 72;
}

function isoTime(seconds: number): string {
  const ms = seconds * 1000;
  return Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : `${seconds} (epoch seconds)`;
}

function deny(via: Via | undefined, keyPairId: string | undefined, reason: DenyReason, message: string, particulars?: string): Verdict {
  const detail = particulars === undefined ? reason : `${reason}: ${particulars}`;
  return { ok: false, via, keyPairId, reason, error: new EdgeError('Forbidden', message, { detail }) };
}
