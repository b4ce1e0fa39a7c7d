import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { DERIVED_PREFIX } from '../../functions/core/keys.ts';
import { sha256 } from './hash.ts';

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
