/**
 * The configuration each function is built with, derived from distribution.ts. Lambda@Edge has no
 * environment variables, so index.ts files import these and esbuild bakes the result into the bundle.
 */
import type { ImageRequestConfig } from '../functions/image-request/handler.ts';
import type { ImageResizeConfig } from '../functions/image-resize/handler.ts';
import type { SignedUrlConfig } from '../functions/signed-url/handler.ts';
import { distribution, s3DomainName } from './distribution.ts';
import type { DistributionSpec, S3OriginSpec } from './distribution.ts';

/** geo-route's config: the geo table of distribution.ts, checked (checkGeoTable) as it is built. */
export { geoRouteConfig } from './geo.ts';

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

/** The signed-url function: the trusted public keys of its key group, baked into the bundle. */
export function signedUrlConfig(spec: DistributionSpec = distribution): SignedUrlConfig {
  const signed = spec.signedUrls;
  if (signed === undefined) throw new Error(`Expected signedUrls in ${spec.name} for the signed-url function but received none`);
  const group = spec.keyGroups?.find((g) => g.name === signed.keyGroup);
  if (group === undefined || group.keys.length === 0) {
    throw new Error(`Expected a key group named ${JSON.stringify(signed.keyGroup)} with keys in ${spec.name} but received none`);
  }
  return {
    policy: spec.images,
    publicKeys: group.keys.map(({ id, pem }) => ({ id, pem })),
    scheme: signed.scheme,
    clockSkewSeconds: signed.clockSkewSeconds,
    maxPolicyBytes: signed.maxPolicyBytes,
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
    cacheControl: 'public, max-age=31536000, immutable',
    maxGeneratedBytes: 1024 * 1024,
    ...(spec.images.mezzanine === undefined ? {} : { mezzanine: spec.images.mezzanine }),
  };
}
