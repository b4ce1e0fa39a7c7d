/**
 * derived-cleanup: a regional Lambda function (not Lambda@Edge) on the bucket's object events. When
 * an original is replaced or deleted, its derived images under `_derived/<key>/` are removed and the
 * CloudFront paths of the original and its variants are invalidated, so viewers never get a
 * thumbnail of a picture that is gone or has changed.
 *
 * - ObjectCreated (an upload, possibly replacing an original): every variant whose `original-etag`
 *   metadata (written by image-resize) differs from the new original's ETag is deleted; a variant
 *   already made from the new original is kept. ObjectRemoved / LifecycleExpiration: every variant
 *   is deleted.
 * - Only the direct children of `_derived/<key>/` are variants: `_derived/a/` also holds the variants
 *   of `a/b.jpg` (under `_derived/a/b.jpg/`), which are not touched.
 * - Events for keys under `_derived/` (image-resize's own writes, and our deletes) are ignored, and so
 *   are events from buckets the config does not list.
 * - Invalidation: `/<key>` (the cached original) and `/_derived/<key>/*` (one wildcard path for every
 *   variant), as the canonical URIs image-request rewrites to (every key percent-encoded one way).
 * - A failure (S3 or CloudFront) is logged and rethrown, so Lambda retries the event (S3 invokes
 *   asynchronously: two retries). Every step is idempotent.
 * - Known window: a resize that read the old original before the upload and writes after this
 *   function listed the prefix leaves one stale variant; it carries the old ETag, so the next event
 *   for that key (or a re-run) removes it.
 *
 * One JSON log line per invocation.
 */
import type { S3Event, S3EventRecord } from 'aws-lambda';
import type { Invalidator } from '../adapters/cloudfront/invalidate.ts';
import type { DerivedStore } from '../adapters/s3/derived.ts';
import { DERIVED_PREFIX, encodeKey, validateKey } from '../core/keys.ts';
import { wrapHandler } from '../core/handler.ts';
import type { Log } from '../core/log.ts';

export interface DerivedCleanupConfig {
  /** Buckets whose originals this function follows. */
  readonly buckets: readonly string[];
}

export interface DerivedCleanupDeps {
  readonly store: DerivedStore;
  readonly invalidator: Invalidator;
  readonly log: Log;
}

/** The Lambda context fields the function reads. */
export interface LambdaContext {
  readonly awsRequestId?: string;
}

/** The outcomes of derived-cleanup's log line: one record's outcome, `batch-<n>` for several, or a failure. */
export type DerivedCleanupOutcome = RecordOutcome['outcome'] | `batch-${number}` | 'error';

export interface RecordOutcome {
  readonly bucket: string;
  readonly key: string;
  readonly outcome: 'cleaned' | 'ignored-derived' | 'ignored-bucket' | 'ignored-key' | 'ignored-event';
  readonly deleted: readonly string[];
  readonly kept: readonly string[];
  readonly invalidated: readonly string[];
}

/** The key in an S3 event notification is URL-encoded with `+` for spaces. */
export function decodeEventKey(key: string): string {
  return decodeURIComponent(key.replaceAll('+', ' '));
}

/** The CloudFront paths that may hold a cached copy of `key` or of one of its variants. */
export function invalidationPaths(key: string): string[] {
  return [`/${encodeKey(key)}`, `/${encodeKey(`${DERIVED_PREFIX}${key}`)}/*`];
}

export function createHandler(config: DerivedCleanupConfig, deps: DerivedCleanupDeps) {
  const buckets = new Set(config.buckets);

  async function cleanRecord(record: S3EventRecord, requestId: string): Promise<RecordOutcome> {
    const bucket = record.s3.bucket.name;
    const key = decodeEventKey(record.s3.object.key);
    const none = { bucket, key, deleted: [], kept: [], invalidated: [] };
    const created = record.eventName.startsWith('ObjectCreated:');
    const removed = record.eventName.startsWith('ObjectRemoved:') || record.eventName.startsWith('LifecycleExpiration:');
    if (!created && !removed) return { ...none, outcome: 'ignored-event' };
    if (!buckets.has(bucket)) return { ...none, outcome: 'ignored-bucket' };
    if (key.startsWith(DERIVED_PREFIX)) return { ...none, outcome: 'ignored-derived' };
    try {
      validateKey(key);
    } catch {
      // image-request refuses such a key, so no variant of it can exist and no URL serves it.
      return { ...none, outcome: 'ignored-key' };
    }
    const prefix = `${DERIVED_PREFIX}${key}/`;
    const variants = await deps.store.list(bucket, prefix);
    const currentEtag = created ? record.s3.object.eTag?.replaceAll('"', '') : undefined;
    const deleted: string[] = [];
    const kept: string[] = [];
    for (const variant of variants) {
      if (currentEtag !== undefined && currentEtag !== '') {
        const madeFrom = await deps.store.originalEtag(bucket, variant);
        if (madeFrom === null) continue;
        if (madeFrom === currentEtag) {
          kept.push(variant);
          continue;
        }
      }
      deleted.push(variant);
    }
    if (deleted.length > 0) await deps.store.delete(bucket, deleted);
    // Always both paths: a variant answered while its write failed is cached with no S3 object behind it.
    const paths = invalidationPaths(key);
    await deps.invalidator.invalidate(paths, `${requestId}-${record.s3.object.sequencer}`);
    return { bucket, key, outcome: 'cleaned', deleted, kept, invalidated: paths };
  }

  return wrapHandler<DerivedCleanupOutcome, S3Event, RecordOutcome[], LambdaContext>({
    fn: 'derived-cleanup',
    log: deps.log,
    identify: (event, context) => {
      const first = event.Records?.[0];
      return {
        requestId: context?.awsRequestId ?? `local-${Date.now().toString(36)}`,
        uri: first ? `s3://${first.s3.bucket.name}/${first.s3.object.key}` : '-',
      };
    },
    run: async (event, _context, { requestId }) => {
      const records = event.Records ?? [];
      const outcomes: RecordOutcome[] = [];
      for (const record of records) outcomes.push(await cleanRecord(record, requestId));
      return {
        result: outcomes,
        report: {
          outcome: outcomes.length === 1 ? outcomes[0]!.outcome : `batch-${outcomes.length}`,
          records: records.length,
          deleted: outcomes.reduce((n, o) => n + o.deleted.length, 0),
          kept: outcomes.reduce((n, o) => n + o.kept.length, 0),
          invalidated: outcomes.flatMap((o) => o.invalidated),
        },
      };
    },
    // A failure is rethrown, so Lambda retries the event (every step is idempotent).
    fail: {
      outcome: 'error',
      fields: (event) => ({ records: event.Records?.length ?? 0 }),
      answer: (_error, _event, thrown) => {
        throw thrown;
      },
    },
  });
}
