/**
 * Where the HTTP image origin reads originals and keeps derived images: a directory on its own disk
 * (the point of a failover origin: it does not need S3) or an S3 bucket (the same ObjectStore that
 * image-resize uses). Keys are S3 keys; derived ones start with `_derived/`.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ObjectStore, PutOptions, PutOutcome } from '../../functions/adapters/s3/store.ts';
import { EdgeError } from '../../functions/core/errors.ts';
import { DERIVED_PREFIX, validateKey } from '../../functions/core/keys.ts';
import { contentTypeOfKey } from '../../functions/core/media-types.ts';
import { s3Etag } from '../../functions/adapters/s3/etag.ts';

export interface OriginObject {
  readonly body: Buffer;
  readonly contentType: string;
  readonly etag: string;
  readonly lastModified?: Date;
}

export interface OriginStore {
  /** Human-readable, for logs and the startup line. */
  readonly description: string;
  /** `undefined` when the key does not exist. `maxBytes` is checked before the body is read. */
  get(key: string, maxBytes: number): Promise<OriginObject | undefined>;
  /** Writes a derived image only if absent; never called for an original. */
  putIfAbsent(key: string, body: Buffer, options: PutOptions): Promise<PutOutcome>;
}

/**
 * Originals under `originals/<key>`; derived images under `derived/<key>` (the key keeps its
 * `_derived/` prefix), by default inside the originals directory, as the S3 layout has them.
 * Writes are atomic and conditional: a temporary file is linked into place, which fails if it exists.
 */
export function directoryStore(options: { originals: string; derived?: string }): OriginStore {
  const originals = path.resolve(options.originals);
  const derived = path.resolve(options.derived ?? options.originals);
  const fileOf = (key: string) => {
    validateKey(key);
    const root = key.startsWith(DERIVED_PREFIX) ? derived : originals;
    const file = path.resolve(root, ...key.split('/'));
    // validateKey refuses `.` and `..` segments; this is the belt to those braces.
    if (!file.startsWith(root + path.sep)) throw new EdgeError('BadRequest', 'Expected an image key inside the store', { detail: key });
    return file;
  };
  return {
    description: options.derived ? `directory ${originals} (derived images in ${derived})` : `directory ${originals}`,
    async get(key, maxBytes) {
      const file = fileOf(key);
      let info;
      try {
        info = await stat(file);
      } catch (error) {
        if (isMissingFile(error)) return undefined;
        throw error;
      }
      if (!info.isFile()) return undefined;
      if (info.size > maxBytes) {
        throw new EdgeError('SourceTooLarge', 'The original image is too large to resize', {
          detail: `${file} is ${info.size} bytes, the limit is ${maxBytes}`,
        });
      }
      const body = await readFile(file);
      return { body, contentType: contentTypeOfKey(key), etag: s3Etag(body), lastModified: info.mtime };
    },
    async putIfAbsent(key, body) {
      if (!key.startsWith(DERIVED_PREFIX)) throw new EdgeError('InternalError', 'Internal error', { detail: `refused to write the original ${key}` });
      const file = fileOf(key);
      await mkdir(path.dirname(file), { recursive: true });
      const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
      await writeFile(temporary, body);
      try {
        await link(temporary, file);
        return 'stored';
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
        throw error;
      } finally {
        await unlink(temporary).catch(() => {});
      }
    },
  };
}

/** A bucket through the project's ObjectStore (S3 or anything that speaks its API). */
export function bucketStore(store: ObjectStore, bucket: string): OriginStore {
  return {
    description: `bucket ${bucket}`,
    async get(key, maxBytes) {
      const object = await store.get(bucket, key, maxBytes);
      if (!object) return undefined;
      return { body: object.body, contentType: object.contentType ?? contentTypeOfKey(key), etag: object.etag ?? s3Etag(object.body) };
    },
    async putIfAbsent(key, body, options) {
      if (!key.startsWith(DERIVED_PREFIX)) throw new EdgeError('InternalError', 'Internal error', { detail: `refused to write the original ${key}` });
      return store.putIfAbsent(bucket, key, body, options);
    },
  };
}

function isMissingFile(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
