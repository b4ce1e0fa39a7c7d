import { createHash } from 'node:crypto';

/** The ETag S3 gives a single-part object stored without KMS: the quoted MD5 of its bytes. */
export function s3Etag(body: Uint8Array): string {
  return `"${createHash('md5').update(body).digest('hex')}"`;
}
