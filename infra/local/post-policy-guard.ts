/**
 * The embedded S3's browser uploads, checked as S3 checks them. s3rver 3.7.1 stores any
 * `POST /<bucket>` form: it ignores the policy, the signature and every condition (its postObject
 * lists `policy` as "unimplemented"), so a stranger could write anything anywhere. This middleware
 * runs before s3rver's router and evaluates the form as S3 does:
 *
 * - no policy or signature: 403 AccessDenied (an anonymous write to a private bucket);
 * - unknown access key: 403 InvalidAccessKeyId; wrong signature: 403 SignatureDoesNotMatch;
 * - expired policy: 403 AccessDenied "Invalid according to Policy: Policy expired.";
 * - a condition that fails: 403 AccessDenied "Invalid according to Policy: Policy Condition failed: <condition>";
 * - a field no condition covers: 403 AccessDenied "Invalid according to Policy: Extra input fields: <names>";
 * - a file over (under) content-length-range: 400 EntityTooLarge (EntityTooSmall), with ProposedSize
 *   and MaxSizeAllowed (MinSizeAllowed).
 *
 * Codes and statuses: S3's error list (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html);
 * the policy rules: https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html.
 * The "Invalid according to Policy: ..." messages are what S3 answers; AWS's pages do not print
 * them, so they are S3's observed wording. Only a form that passes reaches s3rver, which stores it.
 *
 * The body is read whole before anything is decided (s3rver would otherwise store what it streams),
 * up to `maxBodyBytes`; a longer one is refused with 400 EntityTooLarge and nothing is stored.
 * Acceleration has no local meaning: the grant names the embedded endpoint.
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type S3rver from 's3rver';
import { postPolicySignature } from '../../functions/core/post-policy.ts';
import type { PostPolicy } from '../../functions/core/post-policy.ts';

type Middleware = S3rver['middleware'][number];

/** S3's refusal of a POST, as its XML error: code, status, message (and the extra elements it adds). */
export interface PostRefusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly extra?: Readonly<Record<string, string>>;
}

/** How much of an over-long body is read (and dropped) before the connection is cut. */
const DRAIN_FACTOR = 8;

/** Fields S3 never asks a condition for. */
const EXEMPT = new Set(['x-amz-signature', 'file', 'policy']);

const TOO_LARGE = (proposed: number, max: number): PostRefusal => ({
  status: 400,
  code: 'EntityTooLarge',
  message: 'Your proposed upload exceeds the maximum allowed size',
  extra: { ProposedSize: String(proposed), MaxSizeAllowed: String(max) },
});

/**
 * S3's evaluation of a POST form: signature, expiry, one condition per field, the conditions, the
 * size. `fields` are the fields before `file` (names as sent); `secretOf` answers the secret of an
 * access key id (undefined: unknown key). Null when the upload may be stored.
 */
function evaluatePost(
  bucket: string,
  fields: ReadonlyMap<string, string>,
  fileBytes: number | undefined,
  nowMs: number,
  secretOf: (accessKeyId: string) => string | undefined,
): PostRefusal | null {
  const lower = new Map<string, string>();
  for (const [name, value] of fields) lower.set(name.toLowerCase(), value);
  const denied = (message: string): PostRefusal => ({ status: 403, code: 'AccessDenied', message });
  const encoded = lower.get('policy');
  const signature = lower.get('x-amz-signature');
  const credential = lower.get('x-amz-credential');
  if (encoded === undefined || signature === undefined || credential === undefined) return denied('Access Denied');
  const [accessKeyId = '', day = '', region = ''] = credential.split('/');
  const secret = secretOf(accessKeyId);
  if (secret === undefined) {
    return { status: 403, code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.' };
  }
  if (postPolicySignature(encoded, secret, day, region) !== signature) {
    return {
      status: 403,
      code: 'SignatureDoesNotMatch',
      message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    };
  }
  let policy: PostPolicy;
  try {
    policy = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as PostPolicy;
    if (typeof policy.expiration !== 'string' || !Array.isArray(policy.conditions)) throw new Error('shape');
  } catch {
    return { status: 400, code: 'InvalidPolicyDocument', message: 'Invalid Policy: Invalid JSON.' };
  }
  if (!(Date.parse(policy.expiration) > nowMs)) return denied('Invalid according to Policy: Policy expired.');
  const covered = new Set<string>();
  let range: readonly [number, number] | undefined;
  const fieldValue = (name: string) => (name === 'bucket' ? bucket : lower.get(name));
  for (const condition of policy.conditions as readonly unknown[]) {
    const failed = denied(`Invalid according to Policy: Policy Condition failed: ${JSON.stringify(condition)}`);
    if (Array.isArray(condition)) {
      const [op, field, value] = condition as [unknown, unknown, unknown];
      if (op === 'content-length-range') {
        range = [Number(field), Number(value)];
        continue;
      }
      const name = String(field).replace(/^\$/, '').toLowerCase();
      covered.add(name);
      const actual = fieldValue(name);
      if (op === 'eq' && actual !== value) return failed;
      if (op === 'starts-with' && (actual === undefined || !actual.startsWith(String(value)))) return failed;
      if (op !== 'eq' && op !== 'starts-with') {
        return { status: 400, code: 'InvalidPolicyDocument', message: `Invalid Policy: Invalid Condition: ${JSON.stringify(condition)}` };
      }
    } else if (condition !== null && typeof condition === 'object') {
      for (const [field, value] of Object.entries(condition as Record<string, unknown>)) {
        const name = field.toLowerCase();
        covered.add(name);
        if (fieldValue(name) !== value) return failed;
      }
    }
  }
  const extra = [...lower.keys()].filter((name) => !EXEMPT.has(name) && !name.startsWith('x-ignore-') && !covered.has(name));
  if (extra.length > 0) return denied(`Invalid according to Policy: Extra input fields: ${extra.join(', ')}`);
  if (fileBytes === undefined) return { status: 400, code: 'InvalidArgument', message: 'POST requires exactly one file upload per request.' };
  if (range && fileBytes > range[1]) return TOO_LARGE(fileBytes, range[1]);
  if (range && fileBytes < range[0]) {
    return {
      status: 400,
      code: 'EntityTooSmall',
      message: 'Your proposed upload is smaller than the minimum allowed size',
      extra: { ProposedSize: String(fileBytes), MinSizeAllowed: String(range[0]) },
    };
  }
  return null;
}

/** The fields before `file` and the file's size, from a multipart/form-data body (undici's parser). */
async function readForm(body: Buffer, contentType: string): Promise<{ fields: Map<string, string>; fileBytes: number | undefined } | undefined> {
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
  } catch {
    return undefined;
  }
  const fields = new Map<string, string>();
  let fileBytes: number | undefined;
  for (const [name, value] of form.entries()) {
    if (name === 'file') {
      fileBytes = typeof value === 'string' ? Buffer.byteLength(value) : value.size;
      break;
    }
    if (typeof value === 'string') fields.set(name, value);
  }
  return { fields, fileBytes };
}

function refuse(ctx: Parameters<Middleware>[0], refusal: PostRefusal): void {
  ctx.status = refusal.status;
  ctx.type = 'application/xml';
  if (ctx.get('origin')) ctx.set('Access-Control-Allow-Origin', '*');
  const extra = Object.entries(refusal.extra ?? {})
    .map(([name, value]) => `<${name}>${value}</${name}>`)
    .join('');
  const escaped = refusal.message.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${refusal.code}</Code><Message>${escaped}</Message>${extra}</Error>`;
}

/**
 * The middleware. `secrets` maps access key ids to secrets (s3rver's one account: S3RVER/S3RVER);
 * `onRefusal` hears each refusal (tests count them).
 */
export function postPolicyGuard(options: {
  readonly secrets: Readonly<Record<string, string>>;
  readonly maxBodyBytes: number;
  readonly onRefusal?: (bucket: string, refusal: PostRefusal) => void;
}): Middleware {
  return async (ctx, next) => {
    // Every form POST, whatever the path's spelling (`/bucket`, `/bucket/`, `//bucket`: s3rver's router
    // takes them all as the browser upload); the SDK's own POSTs (DeleteObjects, multipart uploads)
    // never send multipart/form-data.
    if (ctx.method !== 'POST' || !ctx.is('multipart/form-data')) return next();
    let bucket: string;
    try {
      bucket = decodeURIComponent(ctx.path.split('/').find((segment) => segment !== '') ?? '');
    } catch {
      bucket = '';
    }
    const request = ctx.req as IncomingMessage;
    const chunks: Buffer[] = [];
    let received = 0;
    // Past the limit the rest is read and dropped (the client gets S3's answer, not a reset), up to
    // DRAIN_FACTOR times the limit; beyond that the connection is cut.
    for await (const chunk of request) {
      received += (chunk as Buffer).byteLength;
      if (received <= options.maxBodyBytes) chunks.push(chunk as Buffer);
      else if (received > options.maxBodyBytes * DRAIN_FACTOR) break;
    }
    if (received > options.maxBodyBytes) {
      const refusal = TOO_LARGE(received, options.maxBodyBytes);
      options.onRefusal?.(bucket, refusal);
      if (!request.complete) ctx.set('Connection', 'close');
      return refuse(ctx, refusal);
    }
    const body = Buffer.concat(chunks, received);
    const form = await readForm(body, ctx.get('content-type'));
    const refusal = form
      ? evaluatePost(bucket, form.fields, form.fileBytes, Date.now(), (id) => options.secrets[id])
      : { status: 400, code: 'MalformedPOSTRequest', message: 'The body of your POST request is not well-formed multipart/form-data.' };
    if (refusal) {
      options.onRefusal?.(bucket, refusal);
      return refuse(ctx, refusal);
    }
    // koa reads ctx.headers from ctx.req: the replacement carries the original headers.
    ctx.req = Object.assign(Readable.from([body]), { headers: request.headers });
    return next();
  };
}
