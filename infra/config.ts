/**
 * The configuration each function is built with, derived from distribution.ts. Lambda@Edge has no
 * environment variables, so it is baked into the bundle: functions/<fn>/index.ts imports the
 * generated module `edge-images:config/<fn>`, which infra/build/bundle.ts answers with the JSON of
 * `functionConfig(fn, spec)` (types: functions/baked-config.d.ts). functions/ never imports infra/.
 */
import type { ImageRequestConfig } from '../functions/image-request/handler.ts';
import type { S3Budget } from '../functions/adapters/s3/store.ts';
import type { DerivedCleanupConfig } from '../functions/derived-cleanup/handler.ts';
import type { ImageResizeConfig } from '../functions/image-resize/handler.ts';
import type { SignedUrlConfig } from '../functions/signed-url/handler.ts';
import type { UploadGrantConfig } from '../functions/upload-grant/handler.ts';
import { originalMediaTypes } from '../functions/core/media-types.ts';
import { distribution, s3DomainName, tunables } from './distribution.ts';
import { CLOUDFRONT_QUOTAS } from './cloudfront-quotas.ts';
import type { DistributionSpec, S3OriginSpec } from './distribution.ts';
import { geoRouteConfig } from './geo.ts';
import { primaryS3Origin } from './options.ts';
import type { PackagedFunctionName } from './build/bundle.ts';

/** geo-route's config: the geo table of distribution.ts, checked (checkGeoTable) as it is built. */
export { geoRouteConfig };

/** derived-cleanup's config: the buckets whose originals it follows. */
function derivedCleanupConfig(spec: DistributionSpec = distribution): DerivedCleanupConfig & { s3: S3Budget } {
  return { buckets: spec.origins.flatMap((o) => (o.kind === 's3' ? [o.bucket] : [])), s3: tunables.s3 };
}

/** The configuration baked into one function's bundle: plain JSON data. */
export function functionConfig(fn: PackagedFunctionName, spec: DistributionSpec = distribution): unknown {
  switch (fn) {
    case 'image-request':
      return imageRequestConfig(spec);
    case 'signed-url':
      return signedUrlConfig(spec);
    case 'geo-route':
      return geoRouteConfig(spec);
    case 'image-resize':
      return imageResizeConfig(spec);
    case 'derived-cleanup':
      return derivedCleanupConfig(spec);
    case 'upload-grant':
      return uploadGrantConfig(spec);
  }
}

/**
 * upload-grant's config: the primary bucket (the originals'), its upload endpoint (Transfer
 * Acceleration's when the stage enables it: https://docs.aws.amazon.com/AmazonS3/latest/userguide/transfer-acceleration-getting-started.html),
 * and the uploads block's rules; the size limit is the image policy's maxInputBytes. `endpoint`
 * replaces the endpoint (the local edge's embedded S3).
 */
export function uploadGrantConfig(spec: DistributionSpec = distribution, endpoint?: string): UploadGrantConfig {
  const uploads = spec.uploads;
  if (uploads === undefined) throw new Error(`Expected an uploads block in ${spec.name} for the upload-grant function but received none`);
  const known = originalMediaTypes();
  const unknown = uploads.contentTypes.filter((type) => !known.includes(type));
  if (unknown.length > 0) throw new Error(`Expected media types of originals (${known.join(', ')}) in uploads.contentTypes but received ${unknown.join(', ')}`);
  for (const prefix of uploads.allowedPrefixes) {
    if (!prefix.endsWith('/') || prefix.startsWith('_derived/') || prefix.startsWith('/')) {
      throw new Error(
        `Expected an upload prefix such as "uploads/" (ending in "/", outside _derived/) in uploads.allowedPrefixes but received ${JSON.stringify(prefix)}`,
      );
    }
  }
  const origin = primaryS3Origin(spec);
  const url = uploads.accelerate ? `https://${origin.bucket}.s3-accelerate.amazonaws.com/` : `https://${origin.bucket}.s3.${origin.region}.amazonaws.com/`;
  return {
    stage: uploads.stage,
    bucket: origin.bucket,
    region: origin.region,
    endpoint: endpoint ?? url,
    allowedPrefixes: uploads.allowedPrefixes,
    contentTypes: uploads.contentTypes,
    maxBytes: spec.images.limits.maxInputBytes,
    grantSeconds: uploads.grantSeconds,
    maxTokenSeconds: uploads.maxTokenSeconds,
    s3: tunables.s3,
  };
}

export function imageRequestConfig(spec: DistributionSpec = distribution): ImageRequestConfig {
  return { policy: spec.images, protectedPrefixes: protectedPrefixes(spec) };
}

/**
 * The key prefixes only signed behaviors may serve, from the path patterns of the behaviors whose
 * viewer-request is signed-url: `/private/*` and `/_derived/private/*` both give `private/`.
 */
export function protectedPrefixes(spec: DistributionSpec = distribution): string[] {
  const prefixes = new Set<string>();
  for (const behavior of spec.behaviors) {
    if (behavior.functions['viewer-request'] !== 'signed-url') continue;
    let prefix = behavior.pathPattern.replace(/^\//, '');
    const wildcard = prefix.search(/[*?]/);
    if (wildcard !== -1) prefix = prefix.slice(0, wildcard);
    if (prefix.startsWith('_derived/')) prefix = prefix.slice('_derived/'.length);
    if (prefix === '') throw new Error(`Expected a signed behavior under a key prefix but received ${JSON.stringify(behavior.pathPattern)}`);
    prefixes.add(prefix);
  }
  return [...prefixes];
}

/** CloudFront's limit on key groups one cache behavior may trust ("Quotas", key groups). */
const MAX_KEY_GROUPS_PER_BEHAVIOR = 4;

/**
 * The signed-url function: per signed behavior, the public keys of the key groups it trusts (at most
 * four groups, as CloudFront), baked into the bundle.
 */
export function signedUrlConfig(spec: DistributionSpec = distribution): SignedUrlConfig {
  const signed = spec.signedUrls;
  if (signed === undefined) throw new Error(`Expected signedUrls in ${spec.name} for the signed-url function but received none`);
  const behaviors = spec.behaviors
    .filter((b) => b.functions['viewer-request'] === 'signed-url')
    .map((behavior) => {
      const names = behavior.trustedKeyGroups ?? [];
      if (names.length === 0 || names.length > MAX_KEY_GROUPS_PER_BEHAVIOR) {
        throw new Error(
          `Expected 1 to ${MAX_KEY_GROUPS_PER_BEHAVIOR} trustedKeyGroups for the signed behavior ${behavior.pathPattern} but received ${names.length}`,
        );
      }
      const keys = new Map<string, { id: string; pem: string }>();
      for (const name of names) {
        const group = spec.keyGroups?.find((g) => g.name === name);
        if (group === undefined || group.keys.length === 0) {
          throw new Error(`Expected a key group named ${JSON.stringify(name)} with keys in ${spec.name} but received none`);
        }
        for (const { id, pem } of group.keys) keys.set(id, { id, pem });
      }
      return { pathPattern: behavior.pathPattern, publicKeys: [...keys.values()] };
    });
  const cors = signed.cors;
  return {
    policy: spec.images,
    publicKeys: [],
    behaviors,
    scheme: signed.scheme,
    clockSkewSeconds: signed.clockSkewSeconds,
    ...(cors && cors.allowedOrigins.length > 0
      ? { cors: { allowedOrigins: cors.allowedOrigins, allowedHeaders: cors.allowedHeaders.map((h) => h.toLowerCase()), maxAgeSeconds: cors.maxAgeSeconds } }
      : {}),
  };
}

export function imageResizeConfig(spec: DistributionSpec = distribution): ImageResizeConfig {
  const buckets = spec.origins
    .filter((origin): origin is S3OriginSpec => origin.kind === 's3')
    .map((origin) => ({
      bucket: origin.bucket,
      region: origin.region,
      // Both spellings CloudFront may put in origin.s3.domainName for a bucket.
      domainNames: [s3DomainName(origin), `${origin.bucket}.s3.amazonaws.com`],
    }));
  return {
    policy: spec.images,
    buckets,
    cacheControl: tunables.derivedCacheControl,
    maxGeneratedBytes: CLOUDFRONT_QUOTAS.generatedResponseBytes.origin,
    renders: tunables.renders,
    s3: tunables.s3,
    redirectMemoryMs: tunables.redirectMemoryMs,
    ...(spec.images.mezzanine === undefined ? {} : { mezzanine: spec.images.mezzanine }),
  };
}
