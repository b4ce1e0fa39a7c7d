/**
 * origin-response: when S3 answers 403/404 for a derived key, make the image from its original,
 * store it under `_derived/` with a conditional write, and answer it. Everything else passes.
 *
 * - Only GET and HEAD make an image. An OPTIONS, POST, PUT, DELETE or PATCH answered 403/404 by S3
 *   passes through untouched: otherwise an unsigned preflight could read a private image, and any
 *   OPTIONS could make an uncached resize on every request (a cost without a cache).
 *
 * - The bucket comes from the event's origin and must be one of ours: a function never reads or
 *   writes a bucket its config does not list.
 * - Originals are only ever read; the only write is a PutObject under `_derived/` with
 *   `If-None-Match: *`, which cannot overwrite anything.
 * - The answer must fit CloudFront's 1 MB cap on generated origin responses (headers + body, the
 *   body counted base64-encoded: about 750 KB of image). An image that does not fit is stored first
 *   and answered with an uncached (`no-store`) 302 to its own canonical URI, which S3 then serves.
 *   The 302 carries nothing any viewer sent: on a signed behavior, signed-url's viewer-response step
 *   sends each viewer on to its own signed URL (functions/signed-url/viewer-response.ts).
 *   Never a loop: an instance that redirected a key and sees S3 miss it again within a minute answers
 *   503 (not cached) instead of redirecting again. Never a 502: an image that fits nowhere (too big
 *   and its write failed) is a 503 the viewer may retry.
 * - `Vary: Accept` goes on every derived image, negotiated or not: `?fm=webp` and `fm=auto` resolved
 *   to WebP are one canonical URI, one cache entry and one S3 object, whose headers are decided by
 *   whichever request made it, and S3 cannot store Vary. Being exact would split the cache key (and
 *   the stored object) between negotiated and explicit requests, or need a viewer-response function
 *   on every request; a superfluous `Vary: Accept` on an explicit URL costs nothing at CloudFront
 *   (which caches on the canonical URI) and at most a browser-cache revalidation.
 * - A lost conditional write (412: another request stored the variant first) answers what S3 holds,
 *   read back, not this instance's own render.
 * - The inline answer carries what S3 will say for the stored object: Content-Type, Cache-Control,
 *   the ETag (MD5 of the bytes, as S3 computes it for a single-part unencrypted or SSE-S3 object) and a
 *   Last-Modified taken just before the write. CloudFront sets Content-Length itself.
 */
import type { CloudFrontResponse, CloudFrontResponseEvent, CloudFrontResponseResult, CloudFrontResultResponse } from 'aws-lambda';
import { errorResponse, generatedResponse, generatedSize, replacing } from '../adapters/cloudfront/respond.ts';
import type { MaybeMezzanine } from '../adapters/image/mezzanine.ts';
import type { Rendered, RenderOptions } from '../adapters/image/render.ts';
import type { ObjectStore, OpenedObject } from '../adapters/s3/store.ts';
import { EdgeError, toEdgeError } from '../core/errors.ts';
import { derivedKey, derivedUri, parseDerivedUri } from '../core/grammar.ts';
import type { Variant } from '../core/grammar.ts';
import { DERIVED_PREFIX } from '../core/keys.ts';
import { Limiter, SingleFlight } from '../core/limit.ts';
import type { LimitSettings } from '../core/limit.ts';
import { wrapHandler } from '../core/handler.ts';
import type { Log } from '../core/log.ts';
import { isCurrent, mezzanineKey, mezzanineMetadata, mezzanineServes, readMezzanineMetadata } from '../core/mezzanine.ts';
import type { MezzanineSettings } from '../core/mezzanine.ts';
import type { ImagePolicy } from '../core/policy.ts';
import { qualityMetadata } from '../core/quality.ts';
import { s3Etag } from '../adapters/s3/etag.ts';
import { MAX_REFUSAL_BYTES, decodeRefusal, encodeRefusal, isSourceRefusal, refusalKey } from '../core/refusal.ts';

interface BucketConfig {
  readonly bucket: string;
  readonly region: string;
  /** The `origin.s3.domainName` values that name this bucket. */
  readonly domainNames: readonly string[];
}

export interface ImageResizeConfig {
  readonly policy: ImagePolicy;
  readonly buckets: readonly BucketConfig[];
  /** Cache-Control of derived images, as answered and as stored on the S3 object. */
  readonly cacheControl: string;
  /** CloudFront's cap on a response generated in an origin event: headers plus body as sent. */
  readonly maxGeneratedBytes: number;
  /** Resizes at once in one process, how many may wait, and for how long (tunables.renders in distribution.ts). */
  readonly renders: LimitSettings;
  /**
   * The mezzanine of large originals (functions/core/mezzanine.ts). Absent: every miss reads the
   * original. Used only with a store that can `open` and a `renderMakingMezzanine` dependency.
   */
  readonly mezzanine?: MezzanineSettings;
}

export interface ImageResizeDeps {
  readonly store: ObjectStore;
  readonly render: (source: Buffer, variant: Variant, options: RenderOptions) => Promise<Rendered>;
  /** render(), plus the mezzanine when this miss is the one that makes it (adapters/image/mezzanine.ts). */
  readonly renderMakingMezzanine?: (source: Buffer, variant: Variant, settings: MezzanineSettings, options: RenderOptions) => Promise<MaybeMezzanine>;
  readonly log: Log;
}

/** What one resize produced, shared by every concurrent request for the same key. */
interface Made {
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

/** What a miss read to make its variant. */
interface SourceRead {
  readonly from: 'original' | 'mezzanine';
  readonly body: Buffer;
  /** The original's ETag (of the GetObject that answered, whichever body was read). */
  readonly originalEtag: string | undefined;
  /** A mezzanine exists but was made from another version of the original. */
  readonly stale: boolean;
  /** A mezzanine exists (current or not): this miss does not make one. */
  readonly mezzanineExists: boolean;
}

/** How long an instance remembers that it redirected a key to S3 (see the loop guard above). */
const REDIRECT_MEMORY_MS = 60_000;
const REDIRECT_MEMORY_KEYS = 1000;

/** The outcomes of image-resize's log line. */
export type ImageResizeOutcome = 'passed' | 'passed-method' | 'derived-stored' | 'unknown-bucket' | 'resized' | 'resized-redirect' | 'error';

export function createHandler(config: ImageResizeConfig, deps: ImageResizeDeps) {
  const bucketsByDomain = new Map(config.buckets.flatMap((b) => b.domainNames.map((d) => [d, b] as const)));
  const renderOptions: RenderOptions = {
    ...config.policy.limits,
    ...(config.policy.quality === undefined ? {} : { quality: config.policy.quality }),
    ...(config.policy.background === undefined ? {} : { background: config.policy.background }),
  };
  // Keys this instance answered with a redirect to S3, and when: a second miss soon after is a loop.
  const redirected = new Map<string, number>();
  function redirectedRecently(id: string, now: number): boolean {
    const at = redirected.get(id);
    if (at !== undefined && now - at < REDIRECT_MEMORY_MS) return true;
    redirected.delete(id);
    return false;
  }
  function rememberRedirect(id: string, now: number): void {
    redirected.delete(id);
    redirected.set(id, now);
    // Oldest first: drop what has expired, and the oldest beyond the cap.
    for (const [key, at] of redirected) {
      if (redirected.size <= REDIRECT_MEMORY_KEYS && now - at < REDIRECT_MEMORY_MS) break;
      redirected.delete(key);
    }
  }
  // Single flight: concurrent misses for one key inside this instance share one resize.
  const inFlight = new SingleFlight<Made>();
  // Bounded work: the original's bytes and the decode are held by at most `concurrency` resizes.
  const renders = new Limiter(config.renders, 'resize');

  const mezzanineRenderOptions: RenderOptions = { ...renderOptions, fastShrinkOnLoad: false };
  const notFound = (bucket: string, key: string) => new EdgeError('NotFound', 'The original image does not exist', { detail: `${bucket}/${key}` });
  const mezzanine = config.mezzanine !== undefined && deps.store.open !== undefined && deps.renderMakingMezzanine !== undefined ? config.mezzanine : undefined;

  /**
   * The bytes a miss makes its variant from. With a mezzanine: the mezzanine and the original are
   * fetched at once (no serial round trip); the mezzanine's body is read when it was made from this
   * very version of the original (its `original-etag` is the ETag of the original's GetObject) and
   * serves the variant, and then the original's body is never read; otherwise the original's is.
   */
  async function readSource(bucket: string, key: string, variant: Variant): Promise<SourceRead> {
    const maxBytes = config.policy.limits.maxInputBytes;
    const settings = mezzanine;
    const open = deps.store.open?.bind(deps.store);
    if (!settings || !open) {
      const original = await deps.store.get(bucket, key, maxBytes);
      if (!original) throw notFound(bucket, key);
      return { from: 'original', body: original.body, originalEtag: original.etag, stale: false, mezzanineExists: false };
    }
    const [mezz, orig] = await Promise.allSettled([open(bucket, mezzanineKey(key), maxBytes), open(bucket, key, maxBytes)]);
    // A mezzanine that cannot be read is no mezzanine: the original serves.
    const found: OpenedObject | undefined = mezz.status === 'fulfilled' ? mezz.value : undefined;
    if (orig.status === 'rejected') {
      found?.discard();
      throw orig.reason;
    }
    const original = orig.value;
    if (!original) {
      found?.discard();
      throw notFound(bucket, key);
    }
    const record = found ? readMezzanineMetadata(found.metadata) : undefined;
    const current = record !== undefined && isCurrent(record, original.etag);
    if (found && record && current && mezzanineServes({ width: record.originalWidth, height: record.originalHeight }, record, variant, settings)) {
      original.discard();
      try {
        const read = await found.read();
        return { from: 'mezzanine', body: read.body, originalEtag: original.etag, stale: false, mezzanineExists: true };
      } catch {
        // The mezzanine failed mid-read: fetch the original after all (one more round trip, rare).
        const again = await deps.store.get(bucket, key, maxBytes);
        if (!again) throw notFound(bucket, key);
        return { from: 'original', body: again.body, originalEtag: again.etag, stale: false, mezzanineExists: true };
      }
    }
    found?.discard();
    const read = await original.read();
    return { from: 'original', body: read.body, originalEtag: original.etag, stale: found !== undefined && !current, mezzanineExists: found !== undefined };
  }

  async function storeMezzanine(
    bucket: string,
    key: string,
    made: NonNullable<MaybeMezzanine['mezzanine']>,
    originalEtag: string,
  ): Promise<'stored' | 'exists' | 'failed'> {
    try {
      return await deps.store.putIfAbsent(bucket, mezzanineKey(key), made.data, {
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
      return 'failed';
    }
  }

  /**
   * A refusal of this very original, remembered under its derived prefix (functions/core/refusal.ts):
   * thrown again without fetching or decoding the original. Needs `head` (the real S3 store has it).
   */
  async function rememberedRefusal(bucket: string, key: string): Promise<void> {
    if (!deps.store.head) return;
    const marker = await deps.store.get(bucket, refusalKey(key), MAX_REFUSAL_BYTES).catch(() => undefined);
    if (!marker) return;
    const current = await deps.store.head(bucket, key);
    if (!current) throw new EdgeError('NotFound', 'The original image does not exist', { detail: `${bucket}/${key}` });
    const refusal = decodeRefusal(marker.body, current.etag);
    if (refusal) throw refusal;
  }

  /** Records a deterministic refusal of the source; a failed write is only logged (the next miss decodes again). */
  async function rememberRefusal(bucket: string, key: string, etag: string | undefined, error: EdgeError): Promise<void> {
    if (!deps.store.head || etag === undefined || !isSourceRefusal(error)) return;
    try {
      await deps.store.putIfAbsent(bucket, refusalKey(key), encodeRefusal(error, etag.replaceAll('"', '')), {
        contentType: 'application/json',
        cacheControl: 'no-store',
        metadata: { 'original-etag': etag.replaceAll('"', '') },
      });
    } catch (failed) {
      deps.log({
        fn: 'image-resize',
        requestId: '-',
        uri: `/${refusalKey(key)}`,
        outcome: 'refusal-not-stored',
        detail: toEdgeError(failed).detail ?? String(failed),
        ms: 0,
      });
    }
  }

  function make(bucket: string, key: string, variant: Variant): Promise<Made> {
    const target = derivedKey(key, variant);
    return inFlight.run(`${bucket}/${target}`, async (): Promise<Made> => {
      const { original, image, mezzanineOutcome } = await renders.run(async () => {
        await rememberedRefusal(bucket, key);
        const source = await readSource(bucket, key, variant);
        const original = { body: source.body, etag: source.originalEtag, from: source.from };
        try {
          if (source.from === 'mezzanine' || !mezzanine || source.mezzanineExists || source.originalEtag === undefined) {
            const image = await deps.render(source.body, variant, source.from === 'mezzanine' ? mezzanineRenderOptions : renderOptions);
            return { original, image, mezzanineOutcome: source.stale ? ('stale' as const) : undefined };
          }
          const made = await deps.renderMakingMezzanine!(source.body, variant, mezzanine, renderOptions);
          // The mezzanine's write runs beside the variant's (below); its failure only costs later misses.
          const mezzanineOutcome = made.mezzanine ? storeMezzanine(bucket, key, made.mezzanine, source.originalEtag) : undefined;
          return { original, image: made.image, mezzanineOutcome };
        } catch (thrown) {
          // A refusal is remembered for the original only (a mezzanine is ours and always decodes).
          if (source.from === 'original') await rememberRefusal(bucket, key, source.originalEtag, toEdgeError(thrown));
          throw thrown;
        }
      });
      // S3 stamps the object with the time it receives the write; take ours just before it.
      const lastModified = new Date().toUTCString();
      let stored: Made['stored'];
      let storeError: string | undefined;
      try {
        stored = await deps.store.putIfAbsent(bucket, target, image.data, {
          contentType: image.contentType,
          cacheControl: config.cacheControl,
          metadata: { ...(original.etag ? { 'original-etag': original.etag.replaceAll('"', '') } : {}), ...qualityMetadata(image.quality) },
        });
      } catch (error) {
        // The viewer still gets the image (logged with stored: 'failed'); the next miss tries the write again.
        stored = 'failed';
        storeError = toEdgeError(error).detail ?? String(error);
      }
      const mezzanineState = await mezzanineOutcome;
      if (stored === 'exists') {
        // Another request stored this variant first (412): answer what S3 holds, so the response,
        // its ETag and the stored object agree (two encoders need not produce the same bytes).
        const held = await deps.store.get(bucket, target, config.policy.limits.maxInputBytes).catch(() => undefined);
        if (held) {
          return {
            ...(mezzanineState === undefined ? {} : { mezzanine: mezzanineState }),
            source: original.from,
            image: { ...image, data: held.body, contentType: held.contentType ?? image.contentType },
            etag: held.etag ?? s3Etag(held.body),
            lastModified: held.lastModified ?? lastModified,
            stored,
            sourceBytes: original.body.byteLength,
          };
        }
      }
      return {
        ...(storeError === undefined ? {} : { storeError }),
        ...(mezzanineState === undefined ? {} : { mezzanine: mezzanineState }),
        source: original.from,
        image,
        // S3's ETag for a single-part object is the MD5 of its bytes: the same validator either way.
        etag: s3Etag(image.data),
        lastModified,
        stored,
        sourceBytes: original.body.byteLength,
      };
    });
  }

  function answer(made: Made, uri: string, received: CloudFrontResponse): CloudFrontResultResponse {
    const headers = {
      'Content-Type': made.image.contentType,
      'Cache-Control': config.cacheControl,
      Vary: 'Accept',
      ETag: made.etag,
      'Last-Modified': made.lastModified,
      // What S3 answers for the stored object's user metadata (the SSIM a q=auto variant reached).
      ...Object.fromEntries(Object.entries(qualityMetadata(made.image.quality)).map(([name, value]) => [`x-amz-meta-${name}`, value])),
    };
    const inline = replacing(received, generatedResponse(200, headers, { data: made.image.data.toString('base64'), encoding: 'base64' }));
    if (generatedSize(inline) <= config.maxGeneratedBytes) return inline;
    if (made.stored === 'failed') {
      throw new EdgeError('OriginError', 'The image is too large to answer before it is stored; try again', {
        status: 503,
        detail: `${uri} is ${made.image.data.byteLength} bytes and its store failed`,
      });
    }
    // Too big to answer from the function: S3 has it now, so send the viewer back for it, uncached.
    return replacing(received, generatedResponse(302, { Location: uri, 'Cache-Control': 'no-store' }));
  }

  return wrapHandler<ImageResizeOutcome, CloudFrontResponseEvent, CloudFrontResponseResult>({
    fn: 'image-resize',
    log: deps.log,
    identify: (event) => ({ requestId: event.Records[0]!.cf.config.requestId, uri: event.Records[0]!.cf.request.uri }),
    run: async (event) => {
      const { request, response } = event.Records[0]!.cf;
      const status = Number(response.status);
      const s3 = request.origin?.s3;
      // One log line per invocation, pass-through included.
      const passed = (outcome: ImageResizeOutcome) => ({ result: response, report: { outcome, status } });
      if (!request.uri.startsWith(`/${DERIVED_PREFIX}`) || !s3) return passed('passed');
      // Only GET and HEAD ever make an image: any other method's origin answer (an S3 403 to a
      // preflight, a 405 to a POST) is that method's answer, never a cue to resize.
      if (request.method !== 'GET' && request.method !== 'HEAD') return passed('passed-method');
      if (status === 200 || status === 304) {
        withDerivedHeaders(response, config.cacheControl);
        return passed('derived-stored');
      }
      if (status !== 403 && status !== 404) return passed('passed');
      const bucket = bucketsByDomain.get(s3.domainName);
      if (!bucket) return { result: response, report: { outcome: 'unknown-bucket', status, level: 'warn', detail: s3.domainName } };
      const { key, variant } = parseDerivedUri(request.uri, config.policy);
      const id = `${bucket.bucket}/${derivedKey(key, variant)}`;
      if (redirectedRecently(id, Date.now())) {
        // We sent this viewer (or another) to S3 for this key moments ago and S3 still misses it: do
        // not resize and redirect again (a loop); let the viewer retry later.
        throw new EdgeError('OriginError', 'The image is stored but not served yet; try again', {
          status: 503,
          detail: `${id} was redirected less than ${REDIRECT_MEMORY_MS / 1000} s ago and S3 answered ${status} again`,
        });
      }
      // Joining a resize already under way for this key (single flight): logged as `shared`.
      const shared = inFlight.has(id);
      const made = await make(bucket.bucket, key, variant);
      const canonical = derivedUri(key, variant);
      const result = answer(made, canonical, response);
      if (result.status === '302') rememberRedirect(id, Date.now());
      return {
        result,
        report: {
          outcome: result.status === '200' ? 'resized' : 'resized-redirect',
          status: Number(result.status),
          stored: made.stored,
          ...(shared ? { shared: true } : {}),
          ...(made.storeError === undefined ? {} : { storeError: made.storeError }),
          source: made.source,
          ...(made.mezzanine === undefined ? {} : { mezzanine: made.mezzanine }),
          sourceBytes: made.sourceBytes,
          outputBytes: made.image.data.byteLength,
          ...(made.image.quality === undefined ? {} : { quality: made.image.quality }),
        },
      };
    },
    fail: { outcome: 'error', answer: (error, event) => replacing(event.Records[0]!.cf.response, errorResponse(error)) },
  });
}

/** A derived object served by S3 gets the same caching headers as one answered by the function. */
function withDerivedHeaders(response: CloudFrontResponse, cacheControl: string): CloudFrontResponse {
  if (!response.headers['cache-control']) response.headers['cache-control'] = [{ key: 'Cache-Control', value: cacheControl }];
  response.headers['vary'] = [{ key: 'Vary', value: 'Accept' }];
  return response;
}
