/**
 * Object storage as image-resize needs it, on the AWS SDK v3 S3 client (modular imports only).
 * A missing key is `undefined` whether S3 says 404 (caller may list) or 403 (OAC without ListBucket).
 *
 * Failure is bounded in time (see S3Budget) and classified for the viewer: S3 throttling (503
 * SlowDown) and running out of time are a 503 "try again"; any other S3 failure is a 502. Neither is
 * cached (`no-store`), and the S3 detail goes to the log only.
 */

import type { GetObjectCommandOutput, S3ClientConfig } from '@aws-sdk/client-s3';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';

import { EdgeError } from '../../core/errors.ts';

export interface StoredObject {
  readonly body: Buffer;
  readonly contentType: string | undefined;
  readonly etag: string | undefined;
  /** As an HTTP date (S3's Last-Modified), when S3 gave one. */
  readonly lastModified?: string;
}

export interface PutOptions {
  readonly contentType: string;
  readonly cacheControl: string;
  readonly metadata?: Record<string, string>;
}

/**
 * An object whose headers have arrived and whose body has not been read: the caller reads it, or
 * discards it (the connection's remaining bytes are dropped) when it turns out not to need it.
 */
export interface OpenedObject {
  readonly etag: string | undefined;
  readonly contentType: string | undefined;
  /** User metadata (`x-amz-meta-*`), names in lower case. */
  readonly metadata: Readonly<Record<string, string>>;
  read(): Promise<StoredObject>;
  discard(): void;
}

/** The result of a conditional write: `exists` when another writer stored the key first. */
export type PutOutcome = 'stored' | 'exists';

export interface ObjectStore {
  /** `maxBytes` is checked against Content-Length before the body is read. */
  get(bucket: string, key: string, maxBytes: number): Promise<StoredObject | undefined>;
  /** Writes only if the key is absent (`If-None-Match: *`). */
  putIfAbsent(bucket: string, key: string, body: Buffer, options: PutOptions): Promise<PutOutcome>;
  /**
   * GetObject up to its headers (metadata and ETag), the body left unread. Optional: image-resize
   * uses a mezzanine only with a store that has it (it fetches the mezzanine and the original at
   * once, and reads the original's body only when the mezzanine cannot serve).
   */
  open?(bucket: string, key: string, maxBytes: number): Promise<OpenedObject | undefined>;
  /** The ETag of a key without its body; `undefined` when missing. Optional: test doubles may omit it. */
  head?(bucket: string, key: string): Promise<{ readonly etag: string | undefined } | undefined>;
}

/**
 * How long S3 may take: every attempt, and every operation with its retries (`tunables.s3` in
 * infra/distribution.ts, which explains the figures; it reaches functions through their baked config).
 */
export interface S3Budget {
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly socketTimeoutMs: number;
  readonly maxAttempts: number;
  readonly getDeadlineMs: number;
  readonly putDeadlineMs: number;
}

/** The project's ObjectStore over S3. `budget`: the deadlines of each operation (absent: none, for tooling and tests). */
export function s3Store(
  clientFor: (region: string | undefined) => S3Client,
  regionOf: (bucket: string) => string | undefined = () => undefined,
  budget?: S3Budget,
): ObjectStore {
  return {
    async get(bucket, key, maxBytes) {
      try {
        return await withDeadline(budget?.getDeadlineMs, `GetObject ${bucket}/${key}`, async (abortSignal) => {
          const out = await clientFor(regionOf(bucket)).send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal });
          if (out.ContentLength !== undefined && out.ContentLength > maxBytes) {
            out.Body?.transformToWebStream()
              .cancel()
              .catch(() => {});
            throw new EdgeError('SourceTooLarge', 'The original image is too large to resize', {
              detail: `${bucket}/${key} is ${out.ContentLength} bytes, the limit is ${maxBytes}`,
              scope: 'source',
            });
          }
          const bytes = await out.Body!.transformToByteArray();
          // A connection cut mid-body must never pass for a (corrupt) image: that would be cached as a 422.
          if (out.ContentLength !== undefined && bytes.byteLength !== out.ContentLength) {
            throw new TruncatedBody(`${bytes.byteLength} of ${out.ContentLength} bytes arrived`);
          }
          return {
            body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
            contentType: out.ContentType,
            etag: out.ETag,
            ...(out.LastModified ? { lastModified: out.LastModified.toUTCString() } : {}),
          };
        });
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw storeError('GetObject', bucket, key, error);
      }
    },

    async head(bucket, key) {
      try {
        return await withDeadline(budget?.getDeadlineMs, `HeadObject ${bucket}/${key}`, async (abortSignal) => {
          const out = await clientFor(regionOf(bucket)).send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal });
          return { etag: out.ETag };
        });
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw storeError('HeadObject', bucket, key, error);
      }
    },

    async putIfAbsent(bucket, key, body, options) {
      const command = new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: options.contentType,
        CacheControl: options.cacheControl,
        Metadata: options.metadata,
        IfNoneMatch: '*',
      });
      try {
        return await withDeadline(budget?.putDeadlineMs, `PutObject ${bucket}/${key}`, async (abortSignal) => {
          // 409 ConditionalRequestConflict: a concurrent conditional write is in flight; try once more.
          for (let attempt = 1; ; attempt++) {
            try {
              await clientFor(regionOf(bucket)).send(command, { abortSignal });
              return 'stored' as const;
            } catch (error) {
              const status = statusOf(error);
              if (status === 412) return 'exists' as const;
              if (status === 409 && attempt < 3) continue;
              throw error;
            }
          }
        });
      } catch (error) {
        throw storeError('PutObject', bucket, key, error);
      }
    },

    async open(bucket, key, maxBytes) {
      // One deadline for the whole GetObject, the body read included (it starts when the caller reads).
      const controller = new AbortController();
      const deadline = budget?.getDeadlineMs;
      const timer =
        deadline === undefined
          ? undefined
          : setTimeout(() => controller.abort(new DeadlineExceeded(`GetObject ${bucket}/${key}: no answer within ${deadline} ms`)), deadline);
      const failed = (error: unknown): never => {
        clearTimeout(timer);
        throw storeError('GetObject', bucket, key, controller.signal.aborted ? controller.signal.reason : error);
      };
      let out: GetObjectCommandOutput;
      try {
        out = await withSignal(
          controller.signal,
          clientFor(regionOf(bucket)).send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: controller.signal }),
        );
      } catch (error) {
        if (isMissing(error)) {
          clearTimeout(timer);
          return undefined;
        }
        return failed(error);
      }
      if (out.ContentLength !== undefined && out.ContentLength > maxBytes) {
        out.Body?.transformToWebStream()
          .cancel()
          .catch(() => {});
        clearTimeout(timer);
        throw new EdgeError('SourceTooLarge', 'The original image is too large to resize', {
          detail: `${bucket}/${key} is ${out.ContentLength} bytes, the limit is ${maxBytes}`,
          scope: 'source',
        });
      }
      let settled = false;
      return {
        etag: out.ETag,
        contentType: out.ContentType,
        metadata: out.Metadata ?? {},
        async read() {
          if (settled) throw new Error(`Expected one read of ${bucket}/${key} but received a second`);
          settled = true;
          try {
            const bytes = await withSignal(controller.signal, out.Body!.transformToByteArray());
            // A connection cut mid-body must never pass for a (corrupt) image: that would be cached as a 422.
            if (out.ContentLength !== undefined && bytes.byteLength !== out.ContentLength) {
              throw new TruncatedBody(`${bytes.byteLength} of ${out.ContentLength} bytes arrived`);
            }
            clearTimeout(timer);
            return { body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), contentType: out.ContentType, etag: out.ETag };
          } catch (error) {
            return failed(error);
          }
        },
        discard() {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          out.Body?.transformToWebStream()
            .cancel()
            .catch(() => {});
        },
      };
    },
  };
}

/**
 * The S3 client settings of this project: path-style off AWS, checksums only when required, and a
 * time budget (the functions and the image origin: `tunables.s3`). `tooling` (seeding, the gallery,
 * tests) keeps the SDK's defaults: no timeouts, so uploading a 40 MP test image never trips one.
 */
export function s3ClientConfig(region: string | undefined, endpoint: string | undefined, budget: S3Budget | 'tooling'): S3ClientConfig {
  return {
    region: region ?? 'us-east-1',
    ...(endpoint ? { endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    retryMode: 'standard',
    ...(budget === 'tooling'
      ? {}
      : {
          maxAttempts: budget.maxAttempts,
          requestHandler: {
            connectionTimeout: budget.connectionTimeoutMs,
            requestTimeout: budget.requestTimeoutMs,
            throwOnRequestTimeout: true,
            socketTimeout: budget.socketTimeoutMs,
          },
        }),
  };
}

class TruncatedBody extends Error {
  override readonly name = 'TruncatedBody';
}

class DeadlineExceeded extends Error {
  override readonly name = 'DeadlineExceeded';
}

/** Runs `work` with an abort signal, and gives up (aborting it) after `ms`, retries and backoff included; no `ms`: no deadline. */
async function withDeadline<T>(ms: number | undefined, what: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  if (ms === undefined) return work(controller.signal);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new DeadlineExceeded(`${what}: no answer within ${ms} ms`);
      controller.abort(error);
      reject(error);
    }, ms);
  });
  const working = work(controller.signal);
  // The loser of the race must not become an unhandled rejection.
  working.catch(() => {});
  try {
    return await Promise.race([working, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** `work`, or the signal's reason as soon as it aborts (whichever comes first). */
function withSignal<T>(signal: AbortSignal, work: Promise<T>): Promise<T> {
  work.catch(() => {});
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function statusOf(error: unknown): number | undefined {
  if (error instanceof S3ServiceException) return error.$metadata.httpStatusCode;
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function isMissing(error: unknown): boolean {
  const status = statusOf(error);
  return status === 404 || status === 403 || (error as { name?: string } | undefined)?.name === 'NoSuchKey';
}

const THROTTLED = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException']);
const TIMED_OUT = new Set(['DeadlineExceeded', 'TimeoutError', 'AbortError', 'RequestTimeout']);

/** S3's failure as the viewer may see it: 503 when trying again soon should help, else 502. */
function storeError(operation: string, bucket: string, key: string, error: unknown): EdgeError {
  if (error instanceof EdgeError) return error;
  const name = (error as { name?: string } | undefined)?.name ?? '';
  const code = (error as { code?: string } | undefined)?.code;
  const status = statusOf(error);
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const detail = `${operation} ${bucket}/${key} failed (${status ?? code ?? 'no status'}): ${message}`;
  if (THROTTLED.has(name) || status === 503 || status === 429) {
    return new EdgeError('Unavailable', 'The image store is busy; try again', { detail, cause: error, scope: 'transient' });
  }
  // The SDK names connection resets `TimeoutError` too; its code tells them apart.
  const connectionFailed = code !== undefined && code !== 'ETIMEDOUT';
  if ((TIMED_OUT.has(name) && !connectionFailed) || code === 'ETIMEDOUT') {
    return new EdgeError('Unavailable', 'The image store did not answer in time; try again', { detail, cause: error, scope: 'transient' });
  }
  return new EdgeError('OriginError', 'The image store failed', { detail, cause: error, scope: 'transient' });
}

/** One S3 client per region, made on first use, with this project's settings. */
export function regionalClients(budget: S3Budget): (region: string | undefined) => S3Client {
  const clients = new Map<string, S3Client>();
  return (region = 'us-east-1') => {
    let client = clients.get(region);
    if (!client) {
      client = new S3Client(s3ClientConfig(region, undefined, budget));
      clients.set(region, client);
    }
    return client;
  };
}
