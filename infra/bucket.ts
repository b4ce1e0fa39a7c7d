/**
 * The image buckets, one per S3 origin of the distribution: the primary (the origin group's primary,
 * the geo table's default) and the regional replicas geo-route may send viewers to. Every bucket is
 * private (public access blocked, bucket-owner-enforced, readable by CloudFront only through the
 * policy cdn.ts attaches), versioned, encrypted, with CORS for GET and a lifecycle rule that expires
 * `_derived/` objects. Replicas receive the primary's new objects through S3 replication.
 */
// Raw aws.s3 resources, not sst.aws.Bucket (for now): sst.aws.Bucket's `access: 'cloudfront'` lets any
// distribution read (no AWS:SourceArn condition) and owns the bucket's single BucketPolicy, which
// cdn.ts must write with this distribution's ARN or OAI; and this stack renders under plain Pulumi
// mocks (test/integration/infra.test.ts, the plan), where SST components cannot run without SST's runtime.
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { DERIVED_PREFIX } from '../functions/core/keys.ts';
import type { DistributionSpec, S3OriginSpec } from './distribution.ts';
import type { DeployOptions } from './options.ts';
import { primaryS3Origin } from './options.ts';
import type { Providers } from './providers.ts';

export interface ImageBucket {
  readonly origin: S3OriginSpec;
  readonly bucket: aws.s3.Bucket;
  readonly provider: aws.Provider;
  /** Resources a reader of the bucket should wait for (public access block, versioning...). */
  readonly ready: pulumi.Resource[];
}

export interface ImageBuckets {
  readonly primary: ImageBucket;
  readonly replicas: readonly ImageBucket[];
  readonly byOrigin: ReadonlyMap<string, ImageBucket>;
  readonly replication?: aws.s3.BucketReplicationConfig;
}

/** Lifecycle rules: `_derived/` expires (current and old versions), half-finished uploads are dropped. */
function lifecycleRules(derivedExpirationDays: number): aws.types.input.s3.BucketLifecycleConfigurationRule[] {
  return [
    {
      id: 'expire-derived',
      status: 'Enabled',
      filter: { prefix: DERIVED_PREFIX },
      expiration: { days: derivedExpirationDays },
      noncurrentVersionExpiration: { noncurrentDays: 1 },
    },
    {
      id: 'remove-expired-derived-delete-markers',
      status: 'Enabled',
      filter: { prefix: DERIVED_PREFIX },
      expiration: { expiredObjectDeleteMarker: true },
    },
    {
      id: 'abort-incomplete-uploads',
      status: 'Enabled',
      filter: { prefix: '' },
      abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
    },
  ];
}

const CORS_RULES: aws.types.input.s3.BucketCorsConfigurationCorsRule[] = [
  {
    id: 'get-images',
    allowedMethods: ['GET', 'HEAD'],
    allowedOrigins: ['*'],
    allowedHeaders: ['*'],
    exposeHeaders: ['ETag', 'Content-Length', 'Content-Type'],
    maxAgeSeconds: 86_400,
  },
];

/** `spec` is the stage's spec (stageSpec): its S3 origins carry the stage's bucket names. */
export function createImageBuckets(spec: DistributionSpec, options: DeployOptions, providers: Providers): ImageBuckets {
  const primaryOrigin = primaryS3Origin(spec);
  const byOrigin = new Map<string, ImageBucket>();
  for (const origin of spec.origins) {
    if (origin.kind !== 's3') continue;
    byOrigin.set(origin.id, createImageBucket(origin, options, providers.forRegion(origin.region)));
  }
  const primary = byOrigin.get(primaryOrigin.id)!;
  const replicas = [...byOrigin.values()].filter((b) => b !== primary);
  const replication = replicas.length > 0 ? createReplication(primary, replicas, options) : undefined;
  return { primary, replicas, byOrigin, ...(replication ? { replication } : {}) };
}

function createImageBucket(origin: S3OriginSpec, options: DeployOptions, provider: aws.Provider): ImageBucket {
  const opts: pulumi.CustomResourceOptions = { provider };
  const name = origin.id;
  const bucket = new aws.s3.Bucket(
    `${name}-bucket`,
    {
      bucket: origin.bucket,
      // A removed stage takes its images with it, except where buckets are retained (production).
      forceDestroy: !options.retainBuckets,
      tags: { app: options.app, stage: options.stage, origin: origin.id },
    },
    { provider, retainOnDelete: options.retainBuckets },
  );
  const ownership = new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } }, opts);
  const publicAccess = new aws.s3.BucketPublicAccessBlock(
    `${name}-public-access`,
    { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    opts,
  );
  const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
    `${name}-encryption`,
    { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }] },
    opts,
  );
  const versioning = new aws.s3.BucketVersioning(`${name}-versioning`, { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } }, opts);
  const lifecycle = new aws.s3.BucketLifecycleConfiguration(
    `${name}-lifecycle`,
    { bucket: bucket.id, rules: lifecycleRules(options.derivedExpirationDays) },
    { provider, dependsOn: [versioning] },
  );
  const cors = new aws.s3.BucketCorsConfiguration(`${name}-cors`, { bucket: bucket.id, corsRules: CORS_RULES }, opts);
  return { origin, bucket, provider, ready: [ownership, publicAccess, encryption, versioning, lifecycle, cors] };
}

/** Replication of every new object of the primary into each replica (existing objects: S3 Batch Replication). */
function createReplication(primary: ImageBucket, replicas: readonly ImageBucket[], options: DeployOptions): aws.s3.BucketReplicationConfig {
  const role = new aws.iam.Role(
    'replication-role',
    {
      description: `${options.app} ${options.stage}: S3 replication of originals to the geo replicas`,
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 's3.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
    },
    { provider: primary.provider },
  );
  const policy = new aws.iam.RolePolicy(
    'replication-policy',
    {
      role: role.id,
      policy: pulumi.jsonStringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['s3:GetReplicationConfiguration', 's3:ListBucket'], Resource: [primary.bucket.arn] },
          {
            Effect: 'Allow',
            Action: ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging'],
            Resource: [pulumi.interpolate`${primary.bucket.arn}/*`],
          },
          {
            Effect: 'Allow',
            Action: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'],
            Resource: replicas.map((r) => pulumi.interpolate`${r.bucket.arn}/*`),
          },
        ],
      }),
    },
    { provider: primary.provider },
  );
  return new aws.s3.BucketReplicationConfig(
    'replication',
    {
      bucket: primary.bucket.id,
      role: role.arn,
      rules: replicas.map((replica, index) => ({
        id: `to-${replica.origin.id}`,
        priority: index + 1,
        status: 'Enabled',
        filter: { prefix: '' },
        // A deleted original must disappear from the replicas too: the delete marker replicates, and
        // the replica's own derived-cleanup then removes its thumbnails.
        deleteMarkerReplication: { status: 'Enabled' },
        destination: { bucket: replica.bucket.arn },
      })),
    },
    { provider: primary.provider, dependsOn: [policy, ...primary.ready, ...replicas.flatMap((r) => r.ready)] },
  );
}
