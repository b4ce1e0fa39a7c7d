/**
 * Object storage as image-resize needs it, on the AWS SDK v3 S3 client (modular imports only).
 * A missing key is `undefined` whether S3 says 404 (caller may list) or 403 (OAC without ListBucket).
 */
import { GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { EdgeError } from '../../core/errors.ts';

export interface StoredObject {
  readonly body: Buffer;
  readonly contentType: string | undefined;
  readonly etag: string | undefined;
}

export interface PutOptions {
  readonly contentType: string;
  readonly cacheControl: string;
  readonly metadata?: Record<string, string>;
}

/** The result of a conditional write: `exists` when another writer stored the key first. */
export type PutOutcome = 'stored' | 'exists';

export interface ObjectStore {
  /** `maxBytes` is checked against Content-Length before the body is read. */
  get(bucket: string, key: string, maxBytes: number): Promise<StoredObject | undefined>;
  /** Writes only if the key is absent (`If-None-Match: *`). */
  putIfAbsent(bucket: string, key: string, body: Buffer, options: PutOptions): Promise<PutOutcome>;
}

export function s3Store(clientFor: (region: string | undefined) => S3Client, regionOf: (bucket: string) => string | undefined = () => undefined): ObjectStore {
  return {
    async get(bucket, key, maxBytes) {
      try {
        const out = await clientFor(regionOf(bucket)).send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        if (out.ContentLength !== undefined && out.ContentLength > maxBytes) {
          out.Body?.transformToWebStream().cancel().catch(() => {});
          throw new EdgeError('SourceTooLarge', 'The original image is too large to resize', {
            detail: `${bucket}/${key} is ${out.ContentLength} bytes, the limit is ${maxBytes}`,
          });
        }
        const bytes = await out.Body!.transformToByteArray();
        return {
          body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
          contentType: out.ContentType,
          etag: out.ETag,
        };
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw storeError('GetObject', bucket, key, error);
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
      // 409 ConditionalRequestConflict: a concurrent conditional write is in flight; try once more.
      for (let attempt = 1; ; attempt++) {
        try {
          await clientFor(regionOf(bucket)).send(command);
          return 'stored';
        } catch (error) {
          const status = statusOf(error);
          if (status === 412) return 'exists';
          if (status === 409 && attempt < 3) continue;
          throw storeError('PutObject', bucket, key, error);
        }
      }
    },
  };
}

/** The S3 client settings of this project: path-style off AWS, checksums only when required. */
export function s3ClientConfig(region: string | undefined, endpoint?: string): S3ClientConfig {
  return {
    region: region ?? 'us-east-1',
    ...(endpoint ? { endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
  };
}

function statusOf(error: unknown): number | undefined {
  if (error instanceof S3ServiceException) return error.$metadata.httpStatusCode;
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function isMissing(error: unknown): boolean {
  const status = statusOf(error);
  return status === 404 || status === 403 || (error as { name?: string } | undefined)?.name === 'NoSuchKey';
}

function storeError(operation: string, bucket: string, key: string, error: unknown): EdgeError {
  if (error instanceof EdgeError) return error;
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new EdgeError('OriginError', 'The image store failed', {
    detail: `${operation} ${bucket}/${key} failed (${statusOf(error) ?? 'no status'}): ${message}`,
    cause: error,
  });
}
