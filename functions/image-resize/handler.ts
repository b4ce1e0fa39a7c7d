/**
 * origin-response: when S3 answers 403/404 for a derived key, make the image from its original
 * through the miss pipeline (./miss.ts), store it under `_derived/` with a conditional write, and
 * answer it. Everything else passes.
 *
 * - Only GET and HEAD make an image. An OPTIONS, POST, PUT, DELETE or PATCH answered 403/404 by S3
 *   passes through untouched: otherwise an unsigned preflight could read a private image, and any
 *   OPTIONS could make an uncached resize on every request (a cost without a cache).
 * - The bucket comes from the event's origin and must be one of ours: a function never reads or
 *   writes a bucket its config does not list.
 * - Originals are only ever read; the only writes are PutObjects under `_derived/` with
 *   `If-None-Match: *`, which cannot overwrite anything.
 * - The answer must fit CloudFront's 1 MB cap on generated origin responses (headers + body, the
 *   body counted base64-encoded: about 750 KB of image). An image that does not fit is stored first
 *   and answered with an uncached (`no-store`) 302 (./answer.ts). Never a loop: an instance that
 *   redirected a key and sees S3 miss it again within `redirectMemoryMs` answers 503 (not cached)
 *   instead of redirecting again. Never a 502: an image that fits nowhere (too big and its write
 *   failed) is a 503 the viewer may retry.
 * - `Vary: Accept` goes on every derived image, negotiated or not: `?fm=webp` and `fm=auto` resolved
 *   to WebP are one canonical URI, one cache entry and one S3 object, whose headers are decided by
 *   whichever request made it, and S3 cannot store Vary. Being exact would split the cache key (and
 *   the stored object) between negotiated and explicit requests, or need a viewer-response function
 *   on every request; a superfluous `Vary: Accept` on an explicit URL costs nothing at CloudFront
 *   (which caches on the canonical URI) and at most a browser-cache revalidation.
 * - A lost conditional write (412: another request stored the variant first) answers what S3 holds,
 *   read back, not this instance's own render.
 */
import type { CloudFrontResponse, CloudFrontResponseEvent, CloudFrontResponseResult } from 'aws-lambda';
import { errorResponse, replacing } from '../adapters/cloudfront/respond.ts';
import type { ObjectStore, S3Budget } from '../adapters/s3/store.ts';
import { EdgeError } from '../core/errors.ts';
import { derivedKey, derivedUri, parseDerivedUri } from '../core/grammar.ts';
import { DERIVED_PREFIX } from '../core/keys.ts';
import { wrapHandler } from '../core/handler.ts';
import type { Log } from '../core/log.ts';
import { RedirectMemory, answerMade, overCapAnswer } from './answer.ts';
import { createMissPipeline } from './miss.ts';
import type { MissConfig, Render, RenderMakingMezzanine } from './miss.ts';
import { bucketMissStore } from './source.ts';

interface BucketConfig {
  readonly bucket: string;
  readonly region: string;
  /** The `origin.s3.domainName` values that name this bucket. */
  readonly domainNames: readonly string[];
}

export interface ImageResizeConfig extends MissConfig {
  readonly buckets: readonly BucketConfig[];
  /** CloudFront's cap on a response generated in an origin event: headers plus body as sent. */
  readonly maxGeneratedBytes: number;
  /** How long S3 may take (index.ts gives it to the S3 store). */
  readonly s3: S3Budget;
  /** How long an instance remembers that it redirected a key to S3 (the loop guard above). */
  readonly redirectMemoryMs: number;
}

export interface ImageResizeDeps {
  readonly store: ObjectStore;
  readonly render: Render;
  /** render(), plus the mezzanine when this miss is the one that makes it (adapters/image/mezzanine.ts). */
  readonly renderMakingMezzanine?: RenderMakingMezzanine;
  readonly log: Log;
}

/** The outcomes of image-resize's log line. */
export type ImageResizeOutcome = 'passed' | 'passed-method' | 'derived-stored' | 'unknown-bucket' | 'resized' | 'resized-redirect' | 'error';

export function createHandler(config: ImageResizeConfig, deps: ImageResizeDeps) {
  const bucketsByDomain = new Map(config.buckets.flatMap((b) => b.domainNames.map((d) => [d, b] as const)));
  const pipeline = createMissPipeline(config, {
    render: deps.render,
    ...(deps.renderMakingMezzanine === undefined ? {} : { renderMakingMezzanine: deps.renderMakingMezzanine }),
    log: deps.log,
    fn: 'image-resize',
  });
  const redirected = new RedirectMemory(config.redirectMemoryMs);

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
      if (redirected.recent(id, Date.now())) {
        // We sent this viewer (or another) to S3 for this key moments ago and S3 still misses it: do
        // not resize and redirect again (a loop); let the viewer retry later.
        throw new EdgeError('Unavailable', 'The image is stored but not served yet; try again', {
          detail: `${id} was redirected less than ${config.redirectMemoryMs / 1000} s ago and S3 answered ${status} again`,
          scope: 'transient',
        });
      }
      // Joining a resize already under way for this key (single flight): logged as `shared`.
      const shared = pipeline.inFlight(id);
      const made = await pipeline.make(bucketMissStore(deps.store, bucket.bucket), id, key, variant);
      const canonical = derivedUri(key, variant);
      const result = answerMade(made, response, config, () => overCapAnswer(response, canonical));
      if (result.status === '302') redirected.remember(id, Date.now());
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
