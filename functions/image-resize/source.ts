/**
 * The read step of the miss pipeline: one GetObject of the original and one of its source record
 * (`_derived/<key>/_source`: the mezzanine or a remembered refusal), sent at once, so a miss is no
 * deeper than reading the original alone. Each answers with its headers first; bodies are read only
 * when needed:
 *
 *   - a refusal record for this ETag under the limits in force: the original's body is dropped
 *     unread (its download stops at the headers) and the refusal is thrown;
 *   - a current mezzanine that serves the variant: the original's body is dropped, the mezzanine's
 *     body is the source;
 *   - otherwise the record is dropped and the original's body is read.
 */
import type { ObjectStore, OpenedObject, PutOptions, PutOutcome, StoredObject } from '../adapters/s3/store.ts';
import { EdgeError } from '../core/errors.ts';
import type { Variant } from '../core/grammar.ts';
import { isCurrent, mezzanineServes, readMezzanineMetadata } from '../core/mezzanine.ts';
import type { MezzanineSettings } from '../core/mezzanine.ts';
import { MAX_REFUSAL_BYTES, decodeRefusal, isRefusalRecord, refusalApplies, sourceRecordKey } from '../core/refusal.ts';

/** One bucket (or directory) as the miss pipeline reads and writes it. */
export interface MissStore {
  /** The object's headers, its body left unread (see OpenedObject); `undefined` when missing. */
  open(key: string, maxBytes: number): Promise<OpenedObject | undefined>;
  get(key: string, maxBytes: number): Promise<StoredObject | undefined>;
  /** Writes only if the key is absent (`If-None-Match: *`); never called for an original. */
  putIfAbsent(key: string, body: Buffer, options: PutOptions): Promise<PutOutcome>;
  /** For the error detail of a missing original. */
  readonly name: string;
}

/** What the original's source record held, as this miss found it. */
type RecordState = 'none' | 'mezzanine' | 'stale-mezzanine' | 'refusal-elsewhere';

/** What a miss read to make its variant. */
export interface SourceRead {
  readonly from: 'original' | 'mezzanine';
  readonly body: Buffer;
  /** The original's ETag (of the GetObject that answered, whichever body was read). */
  readonly originalEtag: string | undefined;
  /** What the source record held: anything but `none` means this miss writes no record. */
  readonly record: RecordState;
}

function notFound(store: MissStore, key: string): EdgeError {
  return new EdgeError('NotFound', 'The original image does not exist', { detail: `${store.name}/${key}` });
}

/**
 * The bytes a miss makes its variant from. `mezzanine` absent: the record is still read (a refusal
 * is remembered whatever the mezzanine settings) but never serves.
 */
export async function readSource(
  store: MissStore,
  key: string,
  variant: Variant,
  maxBytes: number,
  limits: string,
  mezzanine: MezzanineSettings | undefined,
): Promise<SourceRead> {
  const [side, orig] = await Promise.allSettled([store.open(sourceRecordKey(key), maxBytes), store.open(key, maxBytes)]);
  // A record that cannot be read is no record: the original serves.
  const found: OpenedObject | undefined = side.status === 'fulfilled' ? side.value : undefined;
  if (orig.status === 'rejected') {
    found?.discard();
    throw orig.reason;
  }
  const original = orig.value;
  if (!original) {
    found?.discard();
    throw notFound(store, key);
  }
  if (found && isRefusalRecord(found.metadata)) {
    if (refusalApplies(found.metadata, original.etag, limits)) {
      original.discard();
      const body = await found
        .read()
        .then((o) => (o.body.byteLength <= MAX_REFUSAL_BYTES ? o.body : undefined))
        .catch(() => undefined);
      const refusal = body && decodeRefusal(body, original.etag, limits);
      if (refusal) throw refusal;
      // An unreadable record: the original after all (one more round trip, rare).
      return { ...(await readOriginal(store, key, maxBytes)), record: 'refusal-elsewhere' };
    }
    found.discard();
    return { from: 'original', body: (await original.read()).body, originalEtag: original.etag, record: 'refusal-elsewhere' };
  }
  const record = found ? readMezzanineMetadata(found.metadata) : undefined;
  const current = record !== undefined && isCurrent(record, original.etag);
  if (found && record && current && mezzanine && mezzanineServes({ width: record.originalWidth, height: record.originalHeight }, record, variant, mezzanine)) {
    original.discard();
    try {
      const read = await found.read();
      return { from: 'mezzanine', body: read.body, originalEtag: original.etag, record: 'mezzanine' };
    } catch {
      // The mezzanine failed mid-read: fetch the original after all (one more round trip, rare).
      return { ...(await readOriginal(store, key, maxBytes)), record: 'mezzanine' };
    }
  }
  found?.discard();
  const read = await original.read();
  const state: RecordState = found === undefined ? 'none' : current ? 'mezzanine' : 'stale-mezzanine';
  return { from: 'original', body: read.body, originalEtag: original.etag, record: state };
}

async function readOriginal(store: MissStore, key: string, maxBytes: number): Promise<Omit<SourceRead, 'record'>> {
  const again = await store.get(key, maxBytes);
  if (!again) throw notFound(store, key);
  return { from: 'original', body: again.body, originalEtag: again.etag };
}

/**
 * One bucket of an ObjectStore as the pipeline's MissStore. A store without `open` (a test double)
 * is opened through `get`: the body is read with the headers, and user metadata is not seen.
 */
export function bucketMissStore(store: ObjectStore, bucket: string): MissStore {
  const open =
    store.open?.bind(store) ??
    (async (b: string, key: string, maxBytes: number): Promise<OpenedObject | undefined> => {
      const object = await store.get(b, key, maxBytes);
      if (!object) return undefined;
      return { etag: object.etag, contentType: object.contentType, metadata: {}, read: async () => object, discard: () => {} };
    });
  return {
    name: bucket,
    open: (key, maxBytes) => open(bucket, key, maxBytes),
    get: (key, maxBytes) => store.get(bucket, key, maxBytes),
    putIfAbsent: (key, body, options) => store.putIfAbsent(bucket, key, body, options),
  };
}
