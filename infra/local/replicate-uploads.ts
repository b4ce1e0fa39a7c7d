/**
 * S3 replication of browser uploads on the embedded S3: a stage replicates every new object of the
 * primary bucket to the geo replicas (infra/bucket.ts), so an original POSTed through an upload grant
 * reaches the replicas that geo-routed viewers read. The other local writers (seeding, the gallery's
 * own route) write every bucket themselves; browser POSTs write only the primary, so each one
 * (s3rver's `ObjectCreated:Post`) is copied here. Asynchronous, as S3's replication is.
 */
import { CopyObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { DERIVED_PREFIX } from '../../functions/core/keys.ts';
import type { LocalS3 } from './s3.ts';

/** `stop` stops listening; `settled` resolves once every copy started has finished (close the S3 after it). */
export function replicateUploads(s3: LocalS3, client: S3Client, primary: string, replicas: readonly string[]): { stop(): void; settled(): Promise<void> } {
  const pending = new Set<Promise<unknown>>();
  const settled = async () => {
    while (pending.size > 0) await Promise.allSettled([...pending]);
  };
  if (!s3.onObjectEvent || replicas.length === 0) return { stop: () => {}, settled };
  const stop = s3.onObjectEvent((event) => {
    for (const record of event.Records) {
      if (record.eventName !== 'ObjectCreated:Post' || record.s3.bucket.name !== primary) continue;
      const key = decodeURIComponent(record.s3.object.key.replaceAll('+', ' '));
      if (key.startsWith(DERIVED_PREFIX)) continue;
      const source = `${primary}/${key.split('/').map(encodeURIComponent).join('/')}`;
      for (const replica of replicas) {
        const copy = client.send(new CopyObjectCommand({ Bucket: replica, Key: key, CopySource: source })).catch((error: unknown) => {
          console.error(`replicating ${key} to ${replica} failed: ${(error as Error).message}`);
        });
        pending.add(copy);
        void copy.finally(() => pending.delete(copy));
      }
    }
  });
  return { stop, settled };
}
