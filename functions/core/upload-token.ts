/**
 * Upload tokens: what a site's backend hands its own signed-in user so that the upload-grant function
 * will sign one S3 POST policy for them. A token names the stage, the key prefix the user may write
 * under, an expiry (Unix seconds) and a nonce, and is signed with HMAC-SHA256 under a key the stage
 * and the site share:
 *
 *   v1.<base64url(JSON {"stage","prefix","exp","nonce"})>.<base64url(HMAC-SHA256(key, "v1." + payload))>
 *
 * The MAC covers the encoded payload exactly as sent, so nothing is parsed before it is checked.
 * Refusals: 401 when the token is missing, malformed or its MAC is wrong (the caller is not known),
 * 403 when it is genuine but expired, too long-lived, for another stage or a prefix the stage does
 * not grant. Replay (a nonce used twice) is the handler's concern: it needs storage.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { EdgeError, quote } from './errors.ts';
import { DERIVED_PREFIX, validateKey } from './keys.ts';

const UPLOAD_TOKEN_VERSION = 'v1';

export interface UploadClaims {
  /** The SST stage the token is for: a token for `staging` is refused by `production`. */
  readonly stage: string;
  /** The key prefix uploads may use, ending in `/` (e.g. `uploads/user-42/`). */
  readonly prefix: string;
  /** Unix seconds after which the token is refused. */
  readonly exp: number;
  /** 16 to 64 base64url characters, unique per token: it is recorded once, a second use is a replay. */
  readonly nonce: string;
}

export interface TokenRules {
  readonly stage: string;
  /** Prefixes a token's prefix must lie under (each ends in `/`). */
  readonly allowedPrefixes: readonly string[];
  /** The longest a token may live from now: a longer one is refused even when genuine. */
  readonly maxTokenSeconds: number;
}

const NONCE = /^[A-Za-z0-9_-]{16,64}$/;
/** A token is a few hundred bytes; a much longer Authorization header is not one. */
const MAX_TOKEN_LENGTH = 2048;

const base64url = (bytes: Buffer): string => bytes.toString('base64url');

function mac(key: string, signed: string): Buffer {
  return createHmac('sha256', key).update(signed, 'utf8').digest();
}

/** A site's backend mints a token (infra/tools/upload-token.ts is the CLI; docs/uploads.md has a standalone example). */
export function mintUploadToken(claims: UploadClaims, key: string): string {
  const payload = base64url(Buffer.from(JSON.stringify({ stage: claims.stage, prefix: claims.prefix, exp: claims.exp, nonce: claims.nonce }), 'utf8'));
  const signed = `${UPLOAD_TOKEN_VERSION}.${payload}`;
  return `${signed}.${base64url(mac(key, signed))}`;
}

const unauthorized = (reason: string) => new EdgeError('Forbidden', reason, { status: 401 });
const forbidden = (reason: string) => new EdgeError('Forbidden', reason);

/** The claims of a genuine, current token for this stage; an EdgeError (401 or 403) with the reason otherwise. */
export function verifyUploadToken(token: string | undefined, key: string, rules: TokenRules, nowSeconds: number): UploadClaims {
  if (token === undefined || token === '') throw unauthorized('Expected an upload token (Authorization: Bearer v1....) but received none');
  if (token.length > MAX_TOKEN_LENGTH) throw unauthorized(`Expected an upload token of at most ${MAX_TOKEN_LENGTH} characters but received ${token.length}`);
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== UPLOAD_TOKEN_VERSION) {
    throw unauthorized(`Expected an upload token of the form ${UPLOAD_TOKEN_VERSION}.<payload>.<mac> but received ${parts.length} parts`);
  }
  const [version, payload, given] = parts as [string, string, string];
  const expected = mac(key, `${version}.${payload}`);
  const received = Buffer.from(given, 'base64url');
  if (received.byteLength !== expected.byteLength || !timingSafeEqual(received, expected)) {
    throw unauthorized("Expected an upload token signed with this stage's key but received a wrong signature");
  }
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    throw unauthorized('Expected a JSON payload in the upload token but received something else');
  }
  const { stage, prefix, exp, nonce } = claims;
  if (typeof stage !== 'string' || typeof prefix !== 'string' || typeof exp !== 'number' || typeof nonce !== 'string') {
    throw unauthorized('Expected stage, prefix, exp and nonce in the upload token but received other fields');
  }
  if (stage !== rules.stage) throw forbidden(`Expected an upload token for stage ${quote(rules.stage)} but received one for ${quote(stage)}`);
  if (!Number.isInteger(exp) || exp <= nowSeconds)
    throw forbidden(`Expected an upload token that has not expired but received one that expired at ${isoSeconds(exp)}`);
  if (exp - nowSeconds > rules.maxTokenSeconds) {
    throw forbidden(`Expected an upload token that expires within ${rules.maxTokenSeconds} s but received one valid for ${exp - nowSeconds} s`);
  }
  if (!NONCE.test(nonce)) throw forbidden(`Expected a nonce of 16 to 64 base64url characters in the upload token but received ${quote(nonce)}`);
  checkGrantedPrefix(prefix, rules.allowedPrefixes);
  return { stage, prefix, exp, nonce };
}

/** A prefix a token may name: a key-shaped path ending in `/`, outside `_derived/`, under an allowed prefix. */
function checkGrantedPrefix(prefix: string, allowedPrefixes: readonly string[]): void {
  if (!prefix.endsWith('/')) throw forbidden(`Expected an upload prefix ending in "/" but received ${quote(prefix)}`);
  try {
    validateKey(prefix.slice(0, -1));
  } catch (error) {
    throw forbidden(`Expected an upload prefix that is a valid key path but received ${quote(prefix)}: ${(error as EdgeError).publicMessage}`);
  }
  if (prefix.startsWith(DERIVED_PREFIX)) throw forbidden(`Expected an upload prefix outside ${DERIVED_PREFIX} but received ${quote(prefix)}`);
  if (!allowedPrefixes.some((allowed) => prefix.startsWith(allowed))) {
    throw forbidden(`Expected an upload prefix under ${allowedPrefixes.map(quote).join(' or ')} but received ${quote(prefix)}`);
  }
}

function isoSeconds(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString();
}

/** Where a used nonce is recorded: under `_derived/` (never an original; derived-cleanup ignores it; the lifecycle expires it). */
export function nonceKey(nonce: string): string {
  return `${DERIVED_PREFIX}_upload-nonces/${nonce}`;
}
