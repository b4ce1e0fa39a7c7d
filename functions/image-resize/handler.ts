/**
 * origin-response: when S3 answers 403/404 for a derived key, make the image from its original,
 * store it under `_derived/` with a conditional write, and answer it. Everything else passes.
 *
 * - The bucket comes from the event's origin and must be one of ours: a function never reads or
 *   writes a bucket its config does not list.
 * - Originals are only ever read; the only write is a PutObject under `_derived/` with
 *   `If-None-Match: *`, which cannot overwrite anything.
 * - The answer must fit CloudFront's 1 MB cap on generated origin responses; an image that does not
 *   fit is answered with an uncached redirect to its own canonical URI, which S3 then serves.
 */
import { createHash } from 'node:crypto';
import type { CloudFrontResponse, CloudFrontResponseEvent, CloudFrontResponseResult, CloudFrontResultResponse } from 'aws-lambda';
import { errorResponse, generatedResponse, generatedSize, replacing } from '../adapters/cloudfront/respond.ts';
import type { Rendered, RenderLimits } from '../adapters/image/render.ts';
import type { ObjectStore } from '../adapters/s3/store.ts';
import { EdgeError, toEdgeError } from '../core/errors.ts';
import { derivedKey, derivedUri, parseDerivedUri } from '../core/grammar.ts';
import type { Variant } from '../core/grammar.ts';
import { DERIVED_PREFIX } from '../core/keys.ts';
import { elapsed } from '../core/log.ts';
import type { Log } from '../core/log.ts';
import type { ImagePolicy } from '../core/policy.ts';

export interface BucketConfig {
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
}

export interface ImageResizeDeps {
  readonly store: ObjectStore;
  readonly render: (source: Buffer, variant: Variant, limits: RenderLimits) => Promise<Rendered>;
  readonly log: Log;
}

/** What one resize produced, shared by every concurrent request for the same key. */
interface Made {
  readonly image: Rendered;
  readonly etag: string;
  readonly lastModified: string;
  readonly stored: 'stored' | 'exists' | 'failed';
  readonly sourceBytes: number;
}

export function createHandler(config: ImageResizeConfig, deps: ImageResizeDeps) {
  const bucketsByDomain = new Map(config.buckets.flatMap((b) => b.domainNames.map((d) => [d, b] as const)));
  // Single flight: concurrent misses for one key inside this instance share one resize.
  const inFlight = new Map<string, Promise<Made>>();

  async function make(bucket: string, key: string, variant: Variant): Promise<Made> {
    const target = derivedKey(key, variant);
    const pending = inFlight.get(`${bucket}/${target}`);
    if (pending) return pending;
    const work = (async (): Promise<Made> => {
      const original = await deps.store.get(bucket, key, config.policy.limits.maxInputBytes);
      if (!original) throw new EdgeError('NotFound', 'The original image does not exist', { detail: `${bucket}/${key}` });
      const image = await deps.render(original.body, variant, config.policy.limits);
      let stored: Made['stored'];
      try {
        stored = await deps.store.putIfAbsent(bucket, target, image.data, {
          contentType: image.contentType,
          cacheControl: config.cacheControl,
          metadata: original.etag ? { 'original-etag': original.etag.replaceAll('"', '') } : {},
        });
      } catch (error) {
        // The viewer still gets the image; the next miss will try the write again.
        stored = 'failed';
        deps.log({ fn: 'image-resize', requestId: '-', uri: target, outcome: 'store-failed', detail: toEdgeError(error).detail, ms: 0 });
      }
      return {
        image,
        // S3's ETag for a single-part object is the MD5 of its bytes: the same validator either way.
        etag: `"${createHash('md5').update(image.data).digest('hex')}"`,
        lastModified: new Date().toUTCString(),
        stored,
        sourceBytes: original.body.byteLength,
      };
    })();
    inFlight.set(`${bucket}/${target}`, work);
    try {
      return await work;
    } finally {
      inFlight.delete(`${bucket}/${target}`);
    }
  }

  function answer(made: Made, uri: string, received: CloudFrontResponse): CloudFrontResultResponse {
    const headers = {
      'Content-Type': made.image.contentType,
      'Cache-Control': config.cacheControl,
      Vary: 'Accept',
      ETag: made.etag,
      'Last-Modified': made.lastModified,
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

  return async (event: CloudFrontResponseEvent): Promise<CloudFrontResponseResult> => {
    const started = performance.now();
    const { request, response, config: cf } = event.Records[0]!.cf;
    const base = { fn: 'image-resize', requestId: cf.requestId, uri: request.uri };
    const status = Number(response.status);
    const s3 = request.origin?.s3;

    if (!request.uri.startsWith(`/${DERIVED_PREFIX}`) || !s3) return response;
    if (status === 200 || status === 304) return withDerivedHeaders(response, config.cacheControl);
    if (status !== 403 && status !== 404) return response;

    const bucket = bucketsByDomain.get(s3.domainName);
    if (!bucket) {
      deps.log({ ...base, outcome: 'unknown-bucket', status, detail: s3.domainName, ms: elapsed(started) });
      return response;
    }
    try {
      const { key, variant } = parseDerivedUri(request.uri, config.policy);
      const made = await make(bucket.bucket, key, variant);
      const result = answer(made, derivedUri(key, variant), response);
      deps.log({
        ...base,
        outcome: result.status === '200' ? 'resized' : 'resized-redirect',
        status: Number(result.status),
        stored: made.stored,
        sourceBytes: made.sourceBytes,
        outputBytes: made.image.data.byteLength,
        ms: elapsed(started),
      });
      return result;
    } catch (thrown) {
      const error = toEdgeError(thrown);
      deps.log({ ...base, outcome: 'error', status: error.status, detail: error.detail ?? error.publicMessage, ms: elapsed(started) });
      return replacing(response, errorResponse(error));
    }
  };
}

/** A derived object served by S3 gets the same caching headers as one answered by the function. */
function withDerivedHeaders(response: CloudFrontResponse, cacheControl: string): CloudFrontResponse {
  if (!response.headers['cache-control']) response.headers['cache-control'] = [{ key: 'Cache-Control', value: cacheControl }];
  response.headers['vary'] = [{ key: 'Vary', value: 'Accept' }];
  return response;
}
