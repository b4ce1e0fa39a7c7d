/**
 * The miss pipeline: read the source (with its source record: mezzanine or remembered refusal),
 * refuse, render, store, and say what to answer. One pipeline for image-resize (origin-response) and
 * the HTTP image origin (infra/origin/server.ts), so both store the same bytes under one canonical key.
 *
 * The render is a dependency: image-resize passes the engine in-process (functions/adapters/image),
 * the HTTP image origin its pool of killable processes (infra/render/pool.ts). The pipeline calls
 *   render(source, variant, options)                          for every variant, from the original
 *                                                             or from a mezzanine (options then
 *                                                             without fast shrink-on-load)
 *   renderMakingMezzanine(source, variant, settings, options) instead, on the miss that makes the
 *                                                             mezzanine, when given
 * with `options` = the policy's limits and background. A render rejects with an EdgeError; its
 * `scope` decides whether the refusal is remembered (functions/core/refusal.ts).
 *
 * S3 requests of each kind of miss (serial depth in brackets; the floor is GET, PUT [2]):
 *   plain                 GET original || GET record (absent), PUT variant                  3 [2]
 *   mezzanine-served      GET original (headers only) || GET mezzanine, PUT variant         3 [2]
 *   mezzanine-making      GET original || GET record (absent), PUT variant || PUT mezzanine 4 [2]
 *   refused               GET original || GET record (absent), PUT record                   3 [2]
 *   remembered refusal    GET original (headers only) || GET record                         2 [1]
 *   lost write (412)      GET original || GET record, PUT variant (412), GET variant        4 [3]
 *   conflict (409)        as plain, and the PUT once more for each 409                      4 [3]
 * test/integration/miss-requests.test.ts counts them through the S3 latency model.
 */
import type { MaybeMezzanine } from '../adapters/image/mezzanine.ts';
import type { Rendered, RenderOptions } from '../adapters/image/render.ts';
import { s3Etag } from '../adapters/s3/etag.ts';
import { toEdgeError } from '../core/errors.ts';
import type { EdgeError } from '../core/errors.ts';
import { derivedKey } from '../core/grammar.ts';
import type { Variant } from '../core/grammar.ts';
import { Limiter, SingleFlight } from '../core/limit.ts';
import type { LimitSettings } from '../core/limit.ts';
import type { Log } from '../core/log.ts';
import { mezzanineKey, mezzanineMetadata } from '../core/mezzanine.ts';
import type { MezzanineSettings } from '../core/mezzanine.ts';
import type { ImagePolicy } from '../core/policy.ts';
import { qualityMetadata } from '../core/quality.ts';
import { encodeRefusal, isSourceRefusal, limitsFingerprint, refusalMetadata, sourceRecordKey } from '../core/refusal.ts';
import { readSource } from './source.ts';
import type { MissStore } from './source.ts';

export interface MissConfig {
  readonly policy: ImagePolicy;
  /** Cache-Control of derived images, as answered and as stored on the S3 object. */
  readonly cacheControl: string;
  /** Resizes at once in one process, how many may wait, and for how long (tunables.renders in distribution.ts). */
  readonly renders: LimitSettings;
  /** The mezzanine of large originals (functions/core/mezzanine.ts). Absent: no mezzanine is read or made. */
  readonly mezzanine?: MezzanineSettings;
}

export type Render = (source: Buffer, variant: Variant, options: RenderOptions) => Promise<Rendered>;
export type RenderMakingMezzanine = (source: Buffer, variant: Variant, settings: MezzanineSettings, options: RenderOptions) => Promise<MaybeMezzanine>;

export interface MissDeps {
  readonly render: Render;
  /** render(), plus the mezzanine when this miss is the one that makes it. Absent: misses read mezzanines but make none. */
  readonly renderMakingMezzanine?: RenderMakingMezzanine;
  readonly log: Log;
  /** The log line's `fn` for the pipeline's own lines (a record that could not be stored). */
  readonly fn: string;
}

/** What one miss produced, shared by every concurrent request for the same key. */
export interface Made {
  readonly image: Rendered;
  readonly etag: string;
  readonly lastModified: string;
  readonly stored: 'stored' | 'exists' | 'failed';
  /** Why the write failed (logs only). */
  readonly storeError?: string;
  readonly sourceBytes: number;
  /** What the variant was made from. */
  readonly source: 'original' | 'mezzanine';
  /** What happened to the mezzanine on this miss (absent: nothing to say). */
  readonly mezzanine?: 'stored' | 'exists' | 'failed' | 'stale';
}

export interface MissPipeline {
  /** Makes the variant of `key` in `store` (one at a time per `id`: concurrent callers share it). */
  make(store: MissStore, id: string, key: string, variant: Variant): Promise<Made>;
  /** Whether a miss for `id` is under way in this process. */
  inFlight(id: string): boolean;
}

export function createMissPipeline(config: MissConfig, deps: MissDeps): MissPipeline {
  const limits = config.policy.limits;
  const fingerprint = limitsFingerprint(limits);
  const renderOptions: RenderOptions = {
    ...limits,
    ...(config.policy.quality === undefined ? {} : { quality: config.policy.quality }),
    ...(config.policy.background === undefined ? {} : { background: config.policy.background }),
  };
  // A mezzanine's pixels were shrunk on load once already: a second DCT-domain shrink would alias.
  const mezzanineRenderOptions: RenderOptions = { ...renderOptions, fastShrinkOnLoad: false };
  // Single flight: concurrent misses for one key inside this process share one resize.
  const flights = new SingleFlight<Made>();
  // Bounded work: the original's bytes and the decode are held by at most `concurrency` resizes.
  const renders = new Limiter(config.renders, 'resize');

  async function storeMezzanine(store: MissStore, key: string, made: NonNullable<MaybeMezzanine['mezzanine']>, originalEtag: string) {
    try {
      return await store.putIfAbsent(mezzanineKey(key), made.data, {
        contentType: 'image/jpeg',
        cacheControl: config.cacheControl,
        metadata: mezzanineMetadata({
          originalEtag,
          originalWidth: made.original.width,
          originalHeight: made.original.height,
          width: made.plan.width,
          height: made.plan.height,
        }),
      });
    } catch {
      return 'failed' as const;
    }
  }

  /** Records a source refusal; a failed write is only logged (the next miss decides again). */
  async function rememberRefusal(store: MissStore, key: string, etag: string, error: EdgeError): Promise<void> {
    try {
      await store.putIfAbsent(sourceRecordKey(key), encodeRefusal(error, etag, fingerprint), {
        contentType: 'application/json',
        cacheControl: 'no-store',
        metadata: refusalMetadata(etag, fingerprint),
      });
    } catch (failed) {
      deps.log({
        fn: deps.fn,
        requestId: '-',
        uri: `/${sourceRecordKey(key)}`,
        outcome: 'refusal-not-stored',
        detail: toEdgeError(failed).detail ?? String(failed),
        ms: 0,
      });
    }
  }

  async function renderStep(store: MissStore, key: string, variant: Variant) {
    const source = await readSource(store, key, variant, limits.maxInputBytes, fingerprint, config.mezzanine);
    try {
      if (source.from === 'mezzanine') return { source, image: await deps.render(source.body, variant, mezzanineRenderOptions) };
      const making = config.mezzanine !== undefined && deps.renderMakingMezzanine !== undefined && source.record === 'none';
      if (!making || source.originalEtag === undefined) {
        const image = await deps.render(source.body, variant, renderOptions);
        return { source, image, mezzanine: source.record === 'stale-mezzanine' ? Promise.resolve('stale' as const) : undefined };
      }
      const made = await deps.renderMakingMezzanine!(source.body, variant, config.mezzanine!, renderOptions);
      // The mezzanine's write runs beside the variant's (below); its failure only costs later misses.
      return { source, image: made.image, mezzanine: made.mezzanine ? storeMezzanine(store, key, made.mezzanine, source.originalEtag) : undefined };
    } catch (thrown) {
      // Remembered only when certain: a source refusal, of the original (a mezzanine is ours), where no record is yet.
      const error = toEdgeError(thrown);
      if (source.from === 'original' && source.record === 'none' && source.originalEtag !== undefined && isSourceRefusal(error)) {
        await rememberRefusal(store, key, source.originalEtag, error);
      }
      throw thrown;
    }
  }

  async function storeStep(store: MissStore, target: string, rendered: Awaited<ReturnType<typeof renderStep>>): Promise<Made> {
    const { source, image } = rendered;
    // S3 stamps the object with the time it receives the write; take ours just before it.
    const lastModified = new Date().toUTCString();
    let stored: Made['stored'];
    let storeError: string | undefined;
    try {
      stored = await store.putIfAbsent(target, image.data, {
        contentType: image.contentType,
        cacheControl: config.cacheControl,
        metadata: { ...(source.originalEtag ? { 'original-etag': source.originalEtag.replaceAll('"', '') } : {}), ...qualityMetadata(image.quality) },
      });
    } catch (error) {
      // The viewer still gets the image (logged with stored: 'failed'); the next miss tries the write again.
      stored = 'failed';
      storeError = toEdgeError(error).detail ?? String(error);
    }
    const mezzanine = await rendered.mezzanine;
    const common = {
      ...(mezzanine === undefined ? {} : { mezzanine }),
      source: source.from,
      sourceBytes: source.body.byteLength,
    };
    if (stored === 'exists') {
      // Another request stored this variant first (412): answer what S3 holds, so the response,
      // its ETag and the stored object agree (two encoders need not produce the same bytes).
      const held = await store.get(target, limits.maxInputBytes).catch(() => undefined);
      if (held) {
        return {
          ...common,
          image: { ...image, data: held.body, contentType: held.contentType ?? image.contentType },
          etag: held.etag ?? s3Etag(held.body),
          lastModified: held.lastModified ?? lastModified,
          stored,
        };
      }
    }
    // S3's ETag for a single-part object is the MD5 of its bytes: the same validator either way.
    return { ...common, ...(storeError === undefined ? {} : { storeError }), image, etag: s3Etag(image.data), lastModified, stored };
  }

  return {
    inFlight: (id) => flights.has(id),
    make(store, id, key, variant) {
      const target = derivedKey(key, variant);
      return flights.run(id, async () => storeStep(store, target, await renders.run(() => renderStep(store, key, variant))));
    },
  };
}
