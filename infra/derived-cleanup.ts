/**
 * derived-cleanup, deployed: a regular regional Lambda function (not Lambda@Edge) on the image
 * buckets' object events, from the zip `npm run package` built (dist/derived-cleanup.zip). S3 notifies
 * only functions in the bucket's own region, so there is one copy per region that holds an image
 * bucket, created through that region's provider, each with:
 *
 * - its role, trusted by lambda.amazonaws.com only, with build/policies.ts's least privilege narrowed
 *   to the region's buckets: s3:ListBucket (s3:prefix `_derived/*`), s3:GetObject and s3:DeleteObject
 *   on `_derived/*`, cloudfront:CreateInvalidation on this distribution, its logs, its failure queue;
 * - nodejs22.x on arm64 (plain JavaScript), memory and timeout from distribution.ts, and the
 *   environment variable DISTRIBUTION_ID (a regional function may have one: the id exists only
 *   once the distribution does);
 * - an `aws.lambda.Permission` letting s3.amazonaws.com invoke it for each bucket of the region (its
 *   ARN, and the account: bucket ARNs name no account);
 * - the bucket notification: the events of distribution.ts (`s3:ObjectCreated:*`,
 *   `s3:ObjectRemoved:*`). It cannot leave `_derived/` out: S3 filters are one prefix and one suffix
 *   that a key must match, never a prefix to exclude, and originals live under any prefix. The handler
 *   ignores `_derived/` keys instead (image-resize's writes and its own deletes: one short invocation
 *   each, outcome `ignored-derived`). A BucketNotification is the bucket's WHOLE notification
 *   configuration: other notifications on these buckets belong here, or they are replaced;
 * - asynchronous invocation settings: S3 invokes asynchronously, Lambda retries a failed event twice
 *   (made explicit here), and an event that still fails, or is older than 6 hours, goes to an SQS
 *   queue (kept 14 days) instead of vanishing: replay it by invoking the function with the event
 *   the record carries (`requestPayload`). Every step of the handler is idempotent.
 *
 * Deployed only with the CDN (edge-images.ts): without a distribution there is nothing to
 * invalidate and no DISTRIBUTION_ID to give (the handler refuses to start without one). Under
 * `sst dev` (no CDN) the stage's buckets therefore have no cleanup: a replaced original's variants
 * stay until the `_derived/` lifecycle expires them.
 */
import path from 'node:path';
// The failure queue is an sst.aws.Queue. The function stays a raw aws.lambda.Function, not
// sst.aws.Function: SST's Function builds and zips a directory itself (the SST CLI's Runtime.Build)
// and adds SST_* environment variables, so what runs would not be the zip `npm run package` built and
// checked (its size and CodeSha256 in dist/manifest.json, the same zip the console path uploads).
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { ImageBucket, ImageBuckets } from './bucket.ts';
import type { SstBasicComponents, SstQueue } from './sst-components.ts';
import type { DistributionSpec, RegionalFunctionName } from './distribution.ts';
import { REGIONAL_ARCHITECTURE, REGIONAL_HANDLER, REGIONAL_RUNTIME, regionalLimitProblems } from './build/limits.ts';
import { regionalManifestEntry } from './build/manifest.ts';
import type { Artifacts } from './edge-functions.ts';
import { createRegionalRole } from './iam.ts';
import type { EdgeRole } from './iam.ts';
import type { DeployOptions } from './options.ts';
import { stageLambdaName } from './options.ts';

const FN: RegionalFunctionName = 'derived-cleanup';
/** Lambda's default for asynchronous invocations, stated. */
const ASYNC_RETRY_ATTEMPTS = 2;
/** An event not handled within 6 hours (retries, throttling) goes to the failure queue. */
const MAX_EVENT_AGE_SECONDS = 6 * 60 * 60;
/** How long a failed event waits in the queue for someone to look at it (SQS's maximum). */
const FAILURE_RETENTION_SECONDS = 14 * 24 * 60 * 60;

interface RegionalCleanup {
  readonly region: string;
  readonly buckets: readonly ImageBucket[];
  readonly lambda: aws.lambda.Function;
  readonly role: EdgeRole;
  /** The on-failure destination of its asynchronous invocations. */
  readonly failures: SstQueue;
  readonly invokeConfig: aws.lambda.FunctionEventInvokeConfig;
  /** One per bucket of the region. */
  readonly permissions: readonly aws.lambda.Permission[];
  /** One per bucket of the region. */
  readonly notifications: readonly aws.s3.BucketNotification[];
}

export interface DerivedCleanup {
  /** By region, in the order of the spec's S3 origins. */
  readonly byRegion: ReadonlyMap<string, RegionalCleanup>;
}

/** The image buckets grouped by region, in the spec's order. */
function bucketsByRegion(buckets: ImageBuckets): Map<string, ImageBucket[]> {
  const byRegion = new Map<string, ImageBucket[]>();
  for (const bucket of buckets.byOrigin.values()) {
    const list = byRegion.get(bucket.origin.region) ?? [];
    list.push(bucket);
    byRegion.set(bucket.origin.region, list);
  }
  return byRegion;
}

export function createDerivedCleanup(
  spec: DistributionSpec,
  options: DeployOptions,
  artifacts: Artifacts,
  buckets: ImageBuckets,
  distribution: aws.cloudfront.Distribution,
  sst: SstBasicComponents,
): DerivedCleanup {
  const entry = regionalManifestEntry(artifacts.manifest, FN);
  const problems = regionalLimitProblems(spec, FN, entry.zipBytes);
  if (problems.length > 0) throw new Error(`Function ${FN} breaks Lambda rules:\n- ${problems.join('\n- ')}`);
  const data = spec.regionalFunctions[FN];
  const name = stageLambdaName(options, FN);
  const byRegion = new Map<string, RegionalCleanup>();
  for (const [region, regionBuckets] of bucketsByRegion(buckets)) {
    // The buckets of a region share its provider (providers.forRegion).
    const provider = regionBuckets[0]!.provider;
    const opts: pulumi.CustomResourceOptions = { provider };
    const tags = { app: options.app, stage: options.stage, function: FN };
    const failures = new sst.Queue(
      `${FN}-${region}-failures`,
      {
        transform: {
          queue: (args) => {
            args.name = `${name}-failures`;
            args.messageRetentionSeconds = FAILURE_RETENTION_SECONDS;
            args.sqsManagedSseEnabled = true;
            args.tags = tags;
            return undefined;
          },
        },
      },
      { provider },
    );
    const role = createRegionalRole(spec, FN, { lambdaName: name, region, distributionArn: distribution.arn, failureQueueArn: failures.arn }, provider);
    const lambda = new aws.lambda.Function(
      `${FN}-${region}`,
      {
        name,
        description:
          `${options.app} ${FN}: on ${data.s3Events.join(', ')} of ${regionBuckets.map((b) => b.origin.id).join(', ')}, removes stale _derived/ variants and invalidates the CDN`.slice(
            0,
            256,
          ),
        role: role.role.arn,
        runtime: REGIONAL_RUNTIME,
        architectures: [REGIONAL_ARCHITECTURE],
        handler: REGIONAL_HANDLER,
        code: new pulumi.asset.FileArchive(path.join(artifacts.dir, entry.zip)),
        sourceCodeHash: entry.codeSha256,
        memorySize: data.memoryMb,
        timeout: data.timeoutSeconds,
        environment: { variables: { DISTRIBUTION_ID: distribution.id } },
        tags,
      },
      { provider, dependsOn: [role.policy] },
    );
    // Lambda checks that the role may send to the destination when the config is put.
    const invokeConfig = new aws.lambda.FunctionEventInvokeConfig(
      `${FN}-${region}-async`,
      {
        functionName: lambda.name,
        maximumRetryAttempts: ASYNC_RETRY_ATTEMPTS,
        maximumEventAgeInSeconds: MAX_EVENT_AGE_SECONDS,
        destinationConfig: { onFailure: { destination: failures.arn } },
      },
      { provider, dependsOn: [role.policy] },
    );
    // Bucket ARNs name no account: SourceAccount stops a same-named bucket elsewhere from invoking it.
    const account = aws.getCallerIdentityOutput({}, { provider }).accountId;
    const permissions: aws.lambda.Permission[] = [];
    const notifications: aws.s3.BucketNotification[] = [];
    for (const bucket of regionBuckets) {
      const permission = new aws.lambda.Permission(
        `${FN}-${bucket.origin.id}-invoke`,
        { action: 'lambda:InvokeFunction', function: lambda.name, principal: 's3.amazonaws.com', sourceArn: bucket.arn, sourceAccount: account },
        opts,
      );
      // S3 tests the destination when the configuration is put: the permission must exist first.
      const notification = new aws.s3.BucketNotification(
        `${bucket.origin.id}-notifications`,
        { bucket: bucket.name, lambdaFunctions: [{ id: FN, lambdaFunctionArn: lambda.arn, events: [...data.s3Events] }] },
        { provider, dependsOn: [permission, bucket.component, ...bucket.ready] },
      );
      permissions.push(permission);
      notifications.push(notification);
    }
    byRegion.set(region, { region, buckets: regionBuckets, lambda, role, failures, invokeConfig, permissions, notifications });
  }
  return { byRegion };
}
