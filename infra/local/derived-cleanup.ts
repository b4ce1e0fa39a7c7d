/**
 * derived-cleanup on the local edge: the embedded S3's object events (every PUT, POST, COPY and
 * DELETE, as S3 event notifications) run the real handler, with the real S3 adapter and the edge's
 * cache standing in for a CloudFront invalidation. Events are handled one at a time, in order, after
 * the request that caused them was answered (S3 delivers notifications asynchronously too).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { s3DerivedStore } from '../../functions/adapters/s3/derived.ts';
import type { Log } from '../../functions/core/log.ts';
import { createHandler } from '../../functions/derived-cleanup/handler.ts';
import type { Invalidator } from '../../functions/adapters/cloudfront/invalidate.ts';
import type { EdgeCache } from './cache.ts';
import type { LocalS3 } from './s3.ts';

export interface LocalDerivedCleanup {
  /** Resolves when every event heard so far has been handled. */
  settled(): Promise<void>;
  stop(): void;
}

/** The local edge's cache as a CloudFront invalidation: the same path rules (`*` only at the end). */
function cacheInvalidator(cache: () => EdgeCache): Invalidator {
  let next = 0;
  return {
    async invalidate(paths) {
      for (const path of paths) cache().invalidate(path);
      return { id: `LOCAL${++next}` };
    },
  };
}

export function startLocalDerivedCleanup(options: {
  readonly s3: LocalS3;
  /** The client the functions use (through any test proxy in front of the embedded S3). */
  readonly client: S3Client;
  readonly buckets: readonly string[];
  readonly cache: () => EdgeCache;
  readonly log: Log;
}): LocalDerivedCleanup {
  const handler = createHandler(
    { buckets: options.buckets },
    { store: s3DerivedStore(options.client), invalidator: cacheInvalidator(options.cache), log: options.log },
  );
  let queue: Promise<void> = Promise.resolve();
  let invocation = 0;
  const stop =
    options.s3.onObjectEvent?.((event: S3Event) => {
      const awsRequestId = `local-cleanup-${++invocation}`;
      // Failures are logged by the handler; in AWS the event would be retried.
      queue = queue.then(() =>
        handler(event, { awsRequestId }).then(
          () => undefined,
          () => undefined,
        ),
      );
    }) ?? (() => {});
  return {
    settled: async () => {
      // Events raised while waiting are chained on; wait until the queue stops growing.
      let seen: Promise<void> | undefined;
      while (seen !== queue) {
        seen = queue;
        await seen;
      }
    },
    stop,
  };
}
