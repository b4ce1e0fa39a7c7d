// The deployed derived-cleanup function: a regular regional Lambda on the buckets' object events
// (not Lambda@Edge: it may read environment variables). S3 notifies only functions in the bucket's
// region, so there is one per bucket region; each follows every bucket of the spec (baked in at build
// time: the generated module below, see functions/baked-config.d.ts). Real S3.
import { S3Client } from '@aws-sdk/client-s3';
import config from 'edge-images:config/derived-cleanup';
import { cloudFrontInvalidator } from '../adapters/cloudfront/invalidate.ts';
import { s3DerivedStore } from '../adapters/s3/derived.ts';
import { s3ClientConfig } from '../adapters/s3/store.ts';
import { jsonLog } from '../core/log.ts';
import { createHandler } from './handler.ts';

// A regional function may read its environment: the distribution is known only after deployment.
const distributionId = process.env['DISTRIBUTION_ID'];
if (!distributionId) throw new Error('Expected the CloudFront distribution id in DISTRIBUTION_ID but received nothing');
const invalidator = cloudFrontInvalidator(distributionId);

export const handler = createHandler(config, {
  store: s3DerivedStore(new S3Client({ ...s3ClientConfig(process.env['AWS_REGION'], undefined, config.s3), followRegionRedirects: true })),
  invalidator,
  log: jsonLog,
});
