/**
 * Where the HTTP image origin reads originals and keeps derived images: a directory on its own disk
 * (the point of a failover origin: it does not need S3) or an S3 bucket (the same ObjectStore that
 * image-resize uses). Keys are S3 keys; derived ones start with `_derived/`.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ObjectStore, OpenedObject, PutOptions, PutOutcome } from '../../functions/adapters/s3/store.ts';
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
  /** The object's headers (user metadata included), its body read on demand; for the miss pipeline. */
  open(key: string, maxBytes: number): Promise<OpenedObject | undefined>;
  /** Writes a derived image only if absent; never called for an original. */
  putIfAbsent(key: string, body: Buffer, options: PutOptions): Promise<PutOutcome>;
}

/**
 * Originals under `originals/<key>`; derived images under `derived/<key>` (the key keeps its
 * `_derived/` prefix), by default inside the originals directory, as the S3 layout has them.
 * Writes are atomic and conditional: a temporary file is linked into place, which fails if it exists.
 * A derived object's user metadata (S3's `x-amz-meta-*`) is a JSON file beside it, `<file>.meta.json`,
 * linked into place before the object itself, so an object is never seen without its metadata.
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
    async open(key, maxBytes) {
      const object = await this.get(key, maxBytes);
      if (!object) return undefined;
      const metadata = key.startsWith(DERIVED_PREFIX) ? await readMetadata(`${fileOf(key)}.meta.json`) : {};
      const stored = { body: object.body, contentType: object.contentType, etag: object.etag, lastModified: object.lastModified?.toUTCString() };
      return { etag: object.etag, contentType: object.contentType, metadata, read: async () => stored, discard: () => {} };
    },
    async putIfAbsent(key, body, options) {
      if (!key.startsWith(DERIVED_PREFIX)) throw new EdgeError('InternalError', 'Internal error', { detail: `refused to write the original ${key}` });
      const file = fileOf(key);
      await mkdir(path.dirname(file), { recursive: true });
      const metadata = options.metadata ?? {};
      if (Object.keys(metadata).length > 0 && (await linkNew(`${file}.meta.json`, Buffer.from(JSON.stringify(metadata)))) === 'exists') return 'exists';
      return linkNew(file, body);
    },
  };
}

/** Writes `body` at `file` only if nothing is there: a temporary file linked into place. */
async function linkNew(file: string, body: Buffer): Promise<PutOutcome> {
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
}

async function readMetadata(file: string): Promise<Record<string, string>> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as unknown;
    if (parsed === null || typeof parsed !== 'object') return {};
    return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  } catch {
    return {};
  }
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
    async open(key, maxBytes) {
      if (store.open) return store.open(bucket, key, maxBytes);
      const object = await store.get(bucket, key, maxBytes);
      return object && { etag: object.etag, contentType: object.contentType, metadata: {}, read: async () => object, discard: () => {} };
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
