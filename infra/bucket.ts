/**
 * The image buckets, one per S3 origin of the distribution: the primary (the origin group's primary,
 * the geo table's default) and the regional replicas geo-route may send viewers to. Each is an
 * sst.aws.Bucket: private (public access blocked), versioned, HTTPS only, with CORS for GET and a
 * lifecycle that expires `_derived/` objects, plus bucket-owner-enforced ownership and default
 * encryption. Replicas receive the primary's new objects through S3 replication.
 *
 * Browser uploads (the stage's `uploads`): the primary may get S3 Transfer Acceleration (an
 * aws.s3.BucketAccelerateConfiguration: SST's Bucket has no argument for it; the bucket name must be
 * DNS-compliant without dots, which the preflight checks:
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketAccelerateConfiguration.html), and a
 * CORS rule letting the sites' origins POST the upload form (and read ETag and Location).
 *
 * The bucket policy: SST's Bucket owns the bucket's one BucketPolicy (S3 allows one; SST refuses a
 * second), and its `access: 'cloudfront'` would let ANY distribution read (no AWS:SourceArn
 * condition). So `access` stays unset and `transform.policy` writes the whole document: CloudFront
 * reads as cdn.ts decides (OAC: only this distribution's ARN; OAI: the identity), and SST's
 * DenyInsecureTransport statement. The distribution needs the bucket's name first, so the reader is
 * handed over later (`allowCloudFront`), once the distribution exists.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { DERIVED_PREFIX } from '../functions/core/keys.ts';
import type { DistributionSpec, S3OriginSpec } from './distribution.ts';
import type { DeployOptions } from './options.ts';
import { primaryS3Origin } from './options.ts';
import type { Providers } from './providers.ts';
import type { SstBucket, SstBasicComponents } from './sst-components.ts';

/** Who in CloudFront may read a bucket (s3:GetObject): this distribution through OAC, or an OAI. */
export type CloudFrontReader = { readonly distributionArn: pulumi.Input<string> } | { readonly originAccessIdentityArn: pulumi.Input<string> };

export interface ImageBucket {
  readonly origin: S3OriginSpec;
  readonly component: SstBucket;
  /** The bucket's name and ARN. */
  readonly name: pulumi.Output<string>;
  readonly arn: pulumi.Output<string>;
  readonly provider: aws.Provider;
  /**
   * Resources a reader of the bucket waits for: ownership and encryption. Not the component, which
   * holds the bucket policy: with OAC that policy waits for the distribution's ARN, so a distribution
   * waiting for the component would wait for itself. Replication and notifications also wait for
   * `component` (versioning, public access block).
   */
  readonly ready: pulumi.Resource[];
}

export interface ImageBuckets {
  readonly primary: ImageBucket;
  /** Transfer Acceleration on the primary, when the stage turns it on. */
  readonly acceleration?: aws.s3.BucketAccelerateConfiguration;
  readonly replicas: readonly ImageBucket[];
  readonly byOrigin: ReadonlyMap<string, ImageBucket>;
  readonly replication?: aws.s3.BucketReplicationConfig;
  /**
   * Completes every bucket's policy: `readers` maps origin ids to who in CloudFront reads them; a
   * bucket not listed gets no read statement. Call exactly once (createEdgeImages does, with or
   * without a CDN): the policies wait for it.
   */
  allowCloudFront(readers: ReadonlyMap<string, CloudFrontReader>): void;
}

/** The bucket policy document: CloudFront's read as given, and SST's HTTPS-only statement. */
function bucketPolicyDocument(arn: pulumi.Input<string>, reader: CloudFrontReader | undefined): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: '2012-10-17',
    Statement: [
      ...(reader === undefined
        ? []
        : [
            {
              Sid: 'CloudFrontReadsImages',
              Effect: 'Allow',
              ...('originAccessIdentityArn' in reader
                ? { Principal: { AWS: reader.originAccessIdentityArn } }
                : { Principal: { Service: 'cloudfront.amazonaws.com' }, Condition: { StringEquals: { 'AWS:SourceArn': reader.distributionArn } } }),
              Action: 's3:GetObject',
              Resource: pulumi.interpolate`${arn}/*`,
            },
          ]),
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [arn, pulumi.interpolate`${arn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  });
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

/** Browser uploads: a POST of the upload form from the sites' origins (the grant's presigned POST). */
function uploadCorsRule(allowedOrigins: readonly string[]): aws.types.input.s3.BucketCorsConfigurationCorsRule {
  return {
    id: 'browser-uploads',
    allowedMethods: ['POST'],
    allowedOrigins: [...allowedOrigins],
    allowedHeaders: ['*'],
    exposeHeaders: ['ETag', 'Location'],
    maxAgeSeconds: 600,
  };
}

/** `spec` is the stage's spec (stageSpec): its S3 origins carry the stage's bucket names. */
export function createImageBuckets(spec: DistributionSpec, options: DeployOptions, providers: Providers, sst: SstBasicComponents): ImageBuckets {
  const primaryOrigin = primaryS3Origin(spec);
  const byOrigin = new Map<string, ImageBucket>();
  const pending = new Map<string, (reader: CloudFrontReader | undefined) => void>();
  for (const origin of spec.origins) {
    if (origin.kind !== 's3') continue;
    const reader = new Promise<CloudFrontReader | undefined>((resolve) => pending.set(origin.id, resolve));
    const uploads = origin.id === primaryOrigin.id && options.uploads?.grant ? options.uploads.allowedOrigins : [];
    byOrigin.set(origin.id, createImageBucket(origin, options, providers.forRegion(origin.region), sst, reader, uploads));
  }
  const primary = byOrigin.get(primaryOrigin.id)!;
  const acceleration = options.uploads?.accelerate
    ? new aws.s3.BucketAccelerateConfiguration(`${primary.origin.id}-accelerate`, { bucket: primary.name, status: 'Enabled' }, { provider: primary.provider })
    : undefined;
  const replicas = [...byOrigin.values()].filter((b) => b !== primary);
  const replication = replicas.length > 0 ? createReplication(primary, replicas, options) : undefined;
  let allowed = false;
  const allowCloudFront = (readers: ReadonlyMap<string, CloudFrontReader>) => {
    if (allowed) throw new Error('Expected one call of allowCloudFront for the image buckets but received a second');
    allowed = true;
    for (const id of readers.keys()) if (!byOrigin.has(id)) throw new Error(`Expected an image bucket's origin id for a CloudFront reader but received ${id}`);
    for (const [id, resolve] of pending) resolve(readers.get(id));
  };
  return { primary, ...(acceleration ? { acceleration } : {}), replicas, byOrigin, ...(replication ? { replication } : {}), allowCloudFront };
}

function createImageBucket(
  origin: S3OriginSpec,
  options: DeployOptions,
  provider: aws.Provider,
  sst: SstBasicComponents,
  reader: Promise<CloudFrontReader | undefined>,
  uploadOrigins: readonly string[],
): ImageBucket {
  const opts: pulumi.CustomResourceOptions = { provider };
  const name = origin.id;
  let arn: pulumi.Output<string> | undefined;
  const component = new sst.Bucket(
    `${name}-bucket`,
    {
      versioning: true,
      enforceHttps: true,
      // One rule so SST makes the lifecycle configuration; transform.lifecycle writes all of ours.
      lifecycle: [{ id: 'expire-derived', prefix: DERIVED_PREFIX, expiresIn: `${options.derivedExpirationDays} days` }],
      transform: {
        bucket: (args, resourceOptions) => {
          args.bucket = origin.bucket;
          // A removed stage takes its images with it, except where buckets are retained (production).
          args.forceDestroy = !options.retainBuckets;
          args.tags = { app: options.app, stage: options.stage, origin: origin.id };
          resourceOptions.retainOnDelete = options.retainBuckets;
          return undefined;
        },
        cors: (args) => {
          args.corsRules = uploadOrigins.length > 0 ? [...CORS_RULES, uploadCorsRule(uploadOrigins)] : CORS_RULES;
          return undefined;
        },
        lifecycle: (args) => {
          args.rules = lifecycleRules(options.derivedExpirationDays);
          return undefined;
        },
        policy: (args) => {
          args.policy = pulumi.output(reader).apply((r) => bucketPolicyDocument(arn!, r));
          return undefined;
        },
      },
    },
    { provider },
  );
  arn = component.arn;
  // SST's Bucket has no arguments for these two (S3's defaults for new buckets since 2023, stated here
  // so an older or imported bucket gets them too): raw resources beside the component.
  const ownership = new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket: component.name, rule: { objectOwnership: 'BucketOwnerEnforced' } }, opts);
  const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
    `${name}-encryption`,
    { bucket: component.name, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }] },
    opts,
  );
  return { origin, component, name: component.name, arn: component.arn, provider, ready: [ownership, encryption] };
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
          { Effect: 'Allow', Action: ['s3:GetReplicationConfiguration', 's3:ListBucket'], Resource: [primary.arn] },
          {
            Effect: 'Allow',
            Action: ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging'],
            Resource: [pulumi.interpolate`${primary.arn}/*`],
          },
          {
            Effect: 'Allow',
            Action: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'],
            Resource: replicas.map((r) => pulumi.interpolate`${r.arn}/*`),
          },
        ],
      }),
    },
    { provider: primary.provider },
  );
  return new aws.s3.BucketReplicationConfig(
    'replication',
    {
      bucket: primary.name,
      role: role.arn,
      rules: replicas.map((replica, index) => ({
        id: `to-${replica.origin.id}`,
        priority: index + 1,
        status: 'Enabled',
        filter: { prefix: '' },
        // A deleted original must disappear from the replicas too: the delete marker replicates, and
        // the replica's own derived-cleanup then removes its thumbnails.
        deleteMarkerReplication: { status: 'Enabled' },
        destination: { bucket: replica.arn },
      })),
    },
    { provider: primary.provider, dependsOn: [policy, primary.component, ...primary.ready, ...replicas.flatMap((r) => [r.component, ...r.ready])] },
  );
}
