/**
 * upload-grant: a regional Lambda function behind its own function URL. A browser the site has
 * authorized (an upload token, functions/core/upload-token.ts) asks it for a presigned S3 POST; it
 * answers the form fields of a POST policy (functions/core/post-policy.ts) for the originals bucket's
 * upload endpoint (the accelerate endpoint when the stage enables Transfer Acceleration), whose
 * conditions hold the key under the token's prefix (never `_derived/`), one image Content-Type, a
 * size of 1 byte to images.limits.maxInputBytes, and an expiry of minutes.
 *
 *   POST /   Authorization: Bearer v1.<payload>.<mac>   {"contentType":"image/jpeg"}
 *   200 {"url","fields","prefix","contentType","maxBytes","expiresAt"}
 *
 * Refusals, each with {"error": reason} and nothing signed: 401 (no token, malformed, wrong MAC),
 * 403 (expired, too long-lived, other stage, prefix not granted, nonce already used), 400 (a body
 * that is not the JSON above), 405 (a method other than POST), 415 (a Content-Type the policy does
 * not read). The nonce is recorded only once everything else has passed, so a refused request does
 * not use up the token. A grant may be used for several POSTs until it expires, each under the prefix;
 * an upload over an existing key replaces that original (the bucket is versioned, the old version is
 * kept; derived-cleanup purges the old variants and invalidates their paths).
 */
import type { S3Budget } from '../adapters/s3/store.ts';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { NonceStore } from '../adapters/s3/nonces.ts';
import { EdgeError, quote } from '../core/errors.ts';
import { wrapHandler } from '../core/handler.ts';
import type { Log } from '../core/log.ts';
import { signUploadPolicy } from '../core/post-policy.ts';
import type { SigningCredentials } from '../core/post-policy.ts';
import { verifyUploadToken } from '../core/upload-token.ts';

export interface UploadGrantConfig {
  /** The stage tokens must name. */
  readonly stage: string;
  readonly bucket: string;
  readonly region: string;
  /** Where browsers POST (the bucket's accelerate or regional endpoint; the embedded S3 locally). */
  readonly endpoint: string;
  /** Prefixes a token's prefix must lie under. */
  readonly allowedPrefixes: readonly string[];
  /** Content-Types an upload may declare. */
  readonly contentTypes: readonly string[];
  /** The content-length-range maximum: the image policy's maxInputBytes. */
  readonly maxBytes: number;
  /** How long a grant's POST policy is valid. */
  readonly grantSeconds: number;
  /** The longest a token may live. */
  readonly maxTokenSeconds: number;
  /** Attempts and deadlines of its one S3 request (the nonce's conditional write). */
  readonly s3: S3Budget;
}

export interface UploadGrantDeps {
  /** The stage's token key (the regional function's UPLOAD_GRANT_KEY). */
  readonly tokenKey: string;
  /** The credentials that sign the POST policy (the function's role: temporary, with a session token). */
  readonly credentials: () => SigningCredentials | Promise<SigningCredentials>;
  readonly nonces: NonceStore;
  readonly now: () => number;
  readonly log: Log;
}

export type UploadGrantOutcome = 'granted' | 'refused' | 'error';

/** The 200 answer: where to POST, the signed form fields, and what the grant allows. */
export interface UploadGrant {
  readonly url: string;
  readonly fields: Record<string, string>;
  readonly prefix: string;
  readonly contentType: string;
  readonly maxBytes: number;
  /** ISO 8601: the POST policy's expiration. */
  readonly expiresAt: string;
}

/** A grant request's body is a few dozen bytes. */
const MAX_BODY_BYTES = 4096;

const NO_STORE = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

function answer(status: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return { statusCode: status, headers: NO_STORE, body: JSON.stringify(body) };
}

function bearer(headers: APIGatewayProxyEventV2['headers']): string | undefined {
  const value = headers?.['authorization'];
  if (value === undefined) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(value.trim());
  return match ? match[1] : '';
}

function requestedType(event: APIGatewayProxyEventV2): string {
  const raw = event.body === undefined ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES) throw new EdgeError('BadRequest', `Expected a request body of at most ${MAX_BODY_BYTES} bytes`);
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new EdgeError('BadRequest', `Expected a JSON body such as {"contentType":"image/jpeg"} but received ${quote(raw)}`);
  }
  const type = (body as { contentType?: unknown } | null)?.contentType;
  if (typeof type !== 'string') throw new EdgeError('BadRequest', 'Expected a string for contentType in the request body but received none');
  return type;
}

export function createHandler(config: UploadGrantConfig, deps: UploadGrantDeps) {
  return wrapHandler<UploadGrantOutcome, APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, unknown>({
    fn: 'upload-grant',
    log: deps.log,
    identify: (event) => ({ requestId: event.requestContext?.requestId ?? `local-${Date.now().toString(36)}`, uri: event.rawPath ?? '/' }),
    run: async (event) => {
      const method = event.requestContext?.http?.method ?? 'GET';
      if (method !== 'POST') throw new EdgeError('MethodNotAllowed', `Expected POST for an upload grant but received ${method}`);
      const now = deps.now();
      const claims = verifyUploadToken(
        bearer(event.headers),
        deps.tokenKey,
        { stage: config.stage, allowedPrefixes: config.allowedPrefixes, maxTokenSeconds: config.maxTokenSeconds },
        Math.floor(now / 1000),
      );
      const contentType = requestedType(event);
      if (!config.contentTypes.includes(contentType)) {
        throw new EdgeError('UnsupportedMediaType', `Expected one of ${config.contentTypes.join(', ')} for contentType but received ${quote(contentType)}`);
      }
      if ((await deps.nonces.claim(claims.nonce)) === 'replayed') {
        throw new EdgeError('Forbidden', `Expected an upload token used once but received one whose nonce ${quote(claims.nonce)} was used before`);
      }
      const expiresAt = now + config.grantSeconds * 1000;
      const { fields } = signUploadPolicy({
        bucket: config.bucket,
        region: config.region,
        prefix: claims.prefix,
        contentType,
        maxBytes: config.maxBytes,
        now,
        expiresAt,
        credentials: await deps.credentials(),
      });
      const body: UploadGrant = {
        url: config.endpoint,
        fields,
        prefix: claims.prefix,
        contentType,
        maxBytes: config.maxBytes,
        expiresAt: new Date(expiresAt).toISOString(),
      };
      return { result: answer(200, body), report: { outcome: 'granted', status: 200, prefix: claims.prefix } };
    },
    fail: {
      outcome: 'refused',
      answer: (error) => answer(error.status, { error: error.publicMessage }),
    },
  });
}
