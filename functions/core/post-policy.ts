/**
 * S3 browser uploads by HTTP POST: the POST policy an upload grant signs (S3's evaluation of a form
 * against it, for the local edge's embedded S3, is infra/local/post-policy-guard.ts).
 *
 * The policy is a base64 JSON document of an expiration and conditions; the signature is AWS
 * Signature Version 4 with the base64 policy as the string to sign:
 *   signingKey = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, yyyymmdd), region), "s3"), "aws4_request")
 *   x-amz-signature = hex(HMAC-SHA256(signingKey, base64(policy)))
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html and
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-post-example.html). Built here with
 * node:crypto: @aws-sdk/s3-presigned-post is not a dependency of this project, and the signature is
 * four HMACs.
 *
 * Conditions the grant writes: the bucket; `starts-with $key <prefix>`; `eq $Content-Type <type>`;
 * `content-length-range 1 <maxInputBytes>`; the x-amz-algorithm, -credential and -date fields (and
 * x-amz-security-token with temporary credentials). AWS: every form field except x-amz-signature,
 * file, policy and fields starting with x-ignore- must match a condition, field names are
 * case-insensitive, and `file` is the last field (those after it are ignored).
 */
import { createHmac } from 'node:crypto';

type PolicyCondition =
  | { readonly [field: string]: string }
  | readonly ['eq' | 'starts-with', `$${string}`, string]
  | readonly ['content-length-range', number, number];

export interface PostPolicy {
  readonly expiration: string;
  readonly conditions: readonly PolicyCondition[];
}

export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

export interface UploadPolicyInput {
  readonly bucket: string;
  readonly region: string;
  readonly prefix: string;
  readonly contentType: string;
  readonly maxBytes: number;
  /** Milliseconds since the epoch: when the grant is made, and when its policy expires. */
  readonly now: number;
  readonly expiresAt: number;
  readonly credentials: SigningCredentials;
}

/** The form fields a browser sends before `file`: `key` must be completed with a name under the prefix. */
export type PostFields = Readonly<Record<string, string>>;

const ALGORITHM = 'AWS4-HMAC-SHA256';

/** `20261207T123456Z` and `20261207` of a time. */
function amzDates(ms: number): { amzDate: string; day: string } {
  const amzDate = new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return { amzDate, day: amzDate.slice(0, 8) };
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** SigV4's signature of a base64 POST policy. */
export function postPolicySignature(policyBase64: string, secretAccessKey: string, day: string, region: string): string {
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, day), region), 's3'), 'aws4_request');
  return createHmac('sha256', signingKey).update(policyBase64, 'utf8').digest('hex');
}

/** The signed policy and the fields the browser sends with its file. */
export function signUploadPolicy(input: UploadPolicyInput): { readonly policy: PostPolicy; readonly fields: PostFields } {
  const { amzDate, day } = amzDates(input.now);
  const credential = `${input.credentials.accessKeyId}/${day}/${input.region}/s3/aws4_request`;
  const token = input.credentials.sessionToken;
  const policy: PostPolicy = {
    expiration: new Date(input.expiresAt).toISOString(),
    conditions: [
      { bucket: input.bucket },
      ['starts-with', '$key', input.prefix],
      ['eq', '$Content-Type', input.contentType],
      ['content-length-range', 1, input.maxBytes],
      { 'x-amz-algorithm': ALGORITHM },
      { 'x-amz-credential': credential },
      { 'x-amz-date': amzDate },
      ...(token ? [{ 'x-amz-security-token': token }] : []),
    ],
  };
  const encoded = Buffer.from(JSON.stringify(policy), 'utf8').toString('base64');
  return {
    policy,
    fields: {
      key: input.prefix,
      'Content-Type': input.contentType,
      'x-amz-algorithm': ALGORITHM,
      'x-amz-credential': credential,
      'x-amz-date': amzDate,
      ...(token ? { 'x-amz-security-token': token } : {}),
      policy: encoded,
      'x-amz-signature': postPolicySignature(encoded, input.credentials.secretAccessKey, day, input.region),
    },
  };
}
