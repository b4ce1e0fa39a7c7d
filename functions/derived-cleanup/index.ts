// The deployed derived-cleanup function: a regular regional Lambda on the buckets' object events
// (not Lambda@Edge: it may read environment variables). S3 notifies only functions in the bucket's
// region, so there is one per bucket region; each follows every bucket of the spec. Real S3.
//
// CloudFront invalidation: @aws-sdk/client-cloudfront is not a dependency yet. Until it is, the
// invalidator below fails loudly (logged, and the event is retried), after the derived objects are
// deleted. With the SDK: `new CloudFrontClient({}).send(new CreateInvalidationCommand({
// DistributionId, InvalidationBatch: { CallerReference, Paths: { Quantity, Items } } }))`.
import { S3Client } from '@aws-sdk/client-s3';
import { s3DerivedStore } from '../adapters/s3/derived.ts';
import { s3ClientConfig } from '../adapters/s3/store.ts';
import { jsonLog } from '../core/log.ts';
import { distribution } from '../../infra/distribution.ts';
import { createHandler } from './handler.ts';
import type { Invalidator } from './handler.ts';

const buckets = distribution.origins.flatMap((o) => (o.kind === 's3' ? [o.bucket] : []));
const distributionId = process.env['DISTRIBUTION_ID'];

const invalidator: Invalidator = {
  async invalidate(paths) {
    throw new Error(`CloudFront invalidation of ${paths.join(', ')} on ${distributionId ?? 'an unknown distribution'} needs @aws-sdk/client-cloudfront`);
  },
};

export const handler = createHandler({ buckets }, { store: s3DerivedStore(new S3Client({ ...s3ClientConfig(process.env['AWS_REGION']), followRegionRedirects: true })), invalidator, log: jsonLog });
