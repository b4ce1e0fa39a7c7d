/**
 * Replay detection for upload tokens in a stateless regional function: each token's nonce is
 * recorded once with a conditional write (PutObject with `If-None-Match: *`, an empty object under
 * `_derived/_upload-nonces/`). S3 answers 412 when the key exists (the token was used) and 409
 * ConditionalRequestConflict when another write of the same key is in flight (two uses at once):
 * both are a replay. Cost: one PUT-class request per grant; the objects expire with `_derived/`'s
 * lifecycle (tokens live minutes, so any later expiry is enough), and derived-cleanup ignores
 * `_derived/` events.
 */
import { PutObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { nonceKey } from '../../core/upload-token.ts';

export interface NonceStore {
  /** `first` when this nonce was never recorded (it is now), `replayed` otherwise. */
  claim(nonce: string): Promise<'first' | 'replayed'>;
}

export function s3NonceStore(client: S3Client, bucket: string): NonceStore {
  return {
    async claim(nonce) {
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: nonceKey(nonce),
            Body: new Uint8Array(0),
            ContentLength: 0,
            IfNoneMatch: '*',
            ContentType: 'application/octet-stream',
          }),
        );
        return 'first';
      } catch (error) {
        const status =
          error instanceof S3ServiceException
            ? error.$metadata.httpStatusCode
            : (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (status === 412 || status === 409) return 'replayed';
        throw error;
      }
    },
  };
}
