/**
 * The configuration each function is built with, derived from distribution.ts. Lambda@Edge has no
 * environment variables, so index.ts files import these and esbuild bakes the result into the bundle.
 */
import type { ImageRequestConfig } from '../functions/image-request/handler.ts';
import type { ImageResizeConfig } from '../functions/image-resize/handler.ts';
import { distribution, s3DomainName } from './distribution.ts';
import type { DistributionSpec, S3OriginSpec } from './distribution.ts';

export function imageRequestConfig(spec: DistributionSpec = distribution): ImageRequestConfig {
  return { policy: spec.images };
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
  };
}
