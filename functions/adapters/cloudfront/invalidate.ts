/** CloudFront invalidations on the SDK v3 client (modular import only). */
import { CloudFrontClient, CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';

/** A CloudFront CreateInvalidation (or the local edge's cache). Paths start with `/`; `*` only at the end. */
export interface Invalidator {
  invalidate(paths: readonly string[], callerReference: string): Promise<{ readonly id: string }>;
}

/**
 * An invalidator for one distribution. The caller reference makes a retried event (S3 notifications
 * are at-least-once) the same invalidation, not a second one.
 */
export function cloudFrontInvalidator(distributionId: string, client: CloudFrontClient = new CloudFrontClient({ region: 'us-east-1' })): Invalidator {
  return {
    async invalidate(paths, callerReference) {
      const out = await client.send(
        new CreateInvalidationCommand({
          DistributionId: distributionId,
          InvalidationBatch: { CallerReference: callerReference, Paths: { Quantity: paths.length, Items: [...paths] } },
        }),
      );
      return { id: out.Invalidation?.Id ?? '' };
    },
  };
}
