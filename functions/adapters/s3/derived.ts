/**
 * What derived-cleanup needs of S3: list the variants of one original, read the ETag each was made
 * from, delete them. Needs s3:ListBucket (prefix `_derived/*`), s3:GetObject (HeadObject) and
 * s3:DeleteObject on `_derived/*` only: never on originals.
 */
import { DeleteObjectsCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { DERIVED_PREFIX } from '../../core/keys.ts';

/** What derived-cleanup needs of S3. */
export interface DerivedStore {
  /** Keys directly under `prefix` (a delimiter of `/`: nothing in deeper "folders"). */
  list(bucket: string, prefix: string): Promise<string[]>;
  /** The `original-etag` metadata of a derived object; `undefined` when absent, `null` when the object is gone. */
  originalEtag(bucket: string, key: string): Promise<string | undefined | null>;
  delete(bucket: string, keys: readonly string[]): Promise<void>;
}

export function s3DerivedStore(client: S3Client): DerivedStore {
  return {
    async list(bucket, prefix) {
      assertDerived(prefix);
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }));
        for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys;
    },

    async originalEtag(bucket, key) {
      assertDerived(key);
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return head.Metadata?.['original-etag'];
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (status === 404 || status === 403) return null;
        throw error;
      }
    },

    async delete(bucket, keys) {
      for (const key of keys) assertDerived(key);
      // DeleteObjects takes up to 1,000 keys a call.
      for (let i = 0; i < keys.length; i += 1000) {
        const batch = keys.slice(i, i + 1000);
        const out = await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
        const failed = out.Errors ?? [];
        if (failed.length > 0) {
          throw new Error(
            `DeleteObjects ${bucket}: ${failed.length} of ${batch.length} failed, first ${failed[0]?.Key}: ${failed[0]?.Code} ${failed[0]?.Message}`,
          );
        }
      }
    },
  };
}

/** The belt to the IAM policy's braces: this adapter never names a key outside `_derived/`. */
function assertDerived(key: string): void {
  if (!key.startsWith(DERIVED_PREFIX)) throw new Error(`Expected a key under ${DERIVED_PREFIX} but received ${JSON.stringify(key)}`);
}
