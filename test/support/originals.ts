import { readFile } from 'node:fs/promises';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { DERIVED_PREFIX } from '../../functions/core/keys.ts';
import { sha256 } from './hash.ts';

/**
 * A private original whose thumbnails in PNG are over the 1 MB generated-response cap (a 12 MP
 * photograph at `private/big.jpg`): what the over-cap redirect for a signed viewer is tried on.
 */
const PRIVATE_OVER_CAP = 'private/big.jpg';

export async function putPrivateOverCap(client: S3Client, bucket: string): Promise<void> {
  await client.send(
    new PutObjectCommand({ Bucket: bucket, Key: PRIVATE_OVER_CAP, Body: await readFile('fixtures/images/landscape-12mp.jpg'), ContentType: 'image/jpeg' }),
  );
}

/** Every key in a bucket, derived ones included. */
export async function listKeys(client: S3Client, bucket: string, prefix?: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token, ...(prefix ? { Prefix: prefix } : {}) }));
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

export async function objectBytes(client: S3Client, bucket: string, key: string): Promise<Buffer> {
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

/**
 * `bucket/key` -> SHA-256 of every original (every object outside `_derived/`) in every bucket:
 * taken before and after a run, the two maps must be equal, or an original was changed, deleted,
 * overwritten or added.
 */
export async function hashOriginals(client: S3Client, buckets: readonly string[]): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  for (const bucket of buckets) {
    for (const key of await listKeys(client, bucket)) {
      if (key.startsWith(DERIVED_PREFIX)) continue;
      hashes.set(`${bucket}/${key}`, sha256(await objectBytes(client, bucket, key)));
    }
  }
  return hashes;
}

/** A viewer-visible body must never carry a stack trace, a file path or an internal error name. */
export const LEAK =
  /\n\s+at |node_modules|\.ts:\d+|\/work\/|\/tmp\/|\b(TypeError|RangeError|SyntaxError|ReferenceError|URIError|EdgeError|S3ServiceException)\b|S3RVER|s3rver/;
