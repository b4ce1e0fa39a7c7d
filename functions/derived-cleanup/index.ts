// The deployed derived-cleanup function: a regular regional Lambda on the buckets' object events
// (not Lambda@Edge: it may read environment variables). S3 notifies only functions in the bucket's
// region, so there is one per bucket region; each follows every bucket of the spec. Real S3.
import { S3Client } from '@aws-sdk/client-s3';
import { cloudFrontInvalidator } from '../adapters/cloudfront/invalidate.ts';
import { s3DerivedStore } from '../adapters/s3/derived.ts';
import { s3ClientConfig } from '../adapters/s3/store.ts';
import { jsonLog } from '../core/log.ts';
import { distribution } from '../../infra/distribution.ts';
import { createHandler } from './handler.ts';

const buckets = distribution.origins.flatMap((o) => (o.kind === 's3' ? [o.bucket] : []));
// A regional function may read its environment: the distribution is known only after deployment.
const distributionId = process.env['DISTRIBUTION_ID'];
if (!distributionId) throw new Error('Expected the CloudFront distribution id in DISTRIBUTION_ID but received nothing');
const invalidator = cloudFrontInvalidator(distributionId);

export const handler = createHandler({ buckets }, { store: s3DerivedStore(new S3Client({ ...s3ClientConfig(process.env['AWS_REGION']), followRegionRedirects: true })), invalidator, log: jsonLog });
