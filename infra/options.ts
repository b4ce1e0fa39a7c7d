/**
 * What a deployment uses beyond distribution.ts, typed, with its defaults: made from the stage file
 * (infra/stages/<stage>.ts, see infra/stages/schema.ts) by deployOptionsFromStage. Plain data: no
 * Pulumi here, so it is testable and usable from the SST program, the preflight and tests alike.
 */
import type { CustomOriginSpec, DistributionSpec, FunctionName, RegionalFunctionName, S3OriginSpec } from './distribution.ts';
import type { BuildOverrides } from './build/overrides.ts';
import { applyOverrides } from './build/overrides.ts';
import type { BucketNaming, PriceClass, S3OriginAccess, StageConfig, StageImageOrigin, StageLogging } from './stages/schema.ts';

/** Browser uploads as a stage deploys them (infra/stages/schema.ts StageUploads, defaults applied). */
export interface UploadOptions {
  /** S3 Transfer Acceleration on the originals bucket; grants name its endpoint. */
  readonly accelerate: boolean;
  /** Deploy upload-grant (with the CDN). */
  readonly grant: boolean;
  /** Origins allowed to call the grant and POST to the bucket (CORS). */
  readonly allowedOrigins: readonly string[];
}

export type { S3OriginAccess } from './stages/schema.ts';

interface DomainOptions {
  /** The CDN hostname viewers use, e.g. cdn.example.com (an alternate domain name of the distribution). */
  readonly name: string;
  /** An ISSUED ACM certificate in us-east-1 covering the name; without it one is created and validated in the hosted zone. */
  readonly certificateArn?: string;
}

export interface DeployOptions {
  /** SST app name and stage: they prefix every physical name, so stages never collide. */
  readonly app: string;
  readonly stage: string;
  /** The project root (functions/, infra/). */
  readonly root: string;
  /** The AWS account deployed to (the credentials'): part of the bucket names with `unique` naming. */
  readonly account?: string;
  /** How bucket names are made (infra/stages/schema.ts BucketNaming). Default `unique`. */
  readonly bucketNaming?: BucketNaming;
  /** Days after which derived images (`_derived/`) expire; they are made again on the next miss. */
  readonly derivedExpirationDays: number;
  /** Custom domain; absent: the distribution's own *.cloudfront.net name only. */
  readonly domain?: DomainOptions;
  /** Route 53 hosted zone id: certificate validation, alias or geolocation records. */
  readonly hostedZoneId?: string;
  /** Whether to create the Route 53 geolocation records of infra/geo.ts (needs hostedZoneId). */
  readonly geoDns: boolean;
  readonly priceClass: PriceClass;
  readonly s3OriginAccess: S3OriginAccess;
  /** Keep buckets (and their images) when the stage is removed. */
  readonly retainBuckets: boolean;
  /** CloudFront standard logs to this bucket; absent: none. */
  readonly logging?: StageLogging;
  /**
   * Deploy the edge functions, the distribution and derived-cleanup (which invalidates it). False
   * under `sst dev`: the local edge runs the functions against the stage's real buckets instead,
   * and nothing waits on CloudFront.
   */
  readonly cdn: boolean;
  /** Overrides baked into the functions, as `npm run package -- --config` takes them. */
  readonly overrides: BuildOverrides;
  /** The HTTP image origin: an existing host, or deployed with the stack (infra/image-origin.ts). */
  readonly imageOrigin: StageImageOrigin;
  /** Browser uploads: off unless the stage file turns them on. */
  readonly uploads?: UploadOptions;
}

const DEFAULT_DERIVED_EXPIRATION_DAYS = 30;

export interface StageContext {
  readonly app: string;
  readonly stage: string;
  readonly root: string;
  /** `sst dev`: buckets only, no CDN. */
  readonly dev: boolean;
  /** The account of the credentials (sst.config.ts asks STS); absent offline. */
  readonly account?: string;
}

/**
 * The deploy options of a stage file. Shape errors the type checker would catch in the editor are
 * not repeated here; the preflight (infra/preflight.ts) checks the values against AWS's rules.
 */
export function deployOptionsFromStage(config: StageConfig, context: StageContext): DeployOptions {
  const domain = config.domain;
  const account = context.account ?? config.account;
  return {
    app: context.app,
    stage: context.stage,
    root: context.root,
    ...(account ? { account } : {}),
    bucketNaming: config.bucketNaming ?? 'unique',
    derivedExpirationDays: config.derivedExpirationDays ?? DEFAULT_DERIVED_EXPIRATION_DAYS,
    ...(domain ? { domain: { name: domain.name, ...(domain.certificateArn ? { certificateArn: domain.certificateArn } : {}) } } : {}),
    ...(domain?.hostedZoneId ? { hostedZoneId: domain.hostedZoneId } : {}),
    geoDns: domain?.geoDns ?? false,
    priceClass: config.priceClass ?? 'PriceClass_All',
    s3OriginAccess: config.s3OriginAccess ?? 'auto',
    retainBuckets: config.retainBuckets ?? context.stage === 'production',
    ...(config.logging ? { logging: config.logging } : {}),
    cdn: !context.dev,
    overrides: config.overrides ?? {},
    imageOrigin: config.imageOrigin ?? { deploy: 'existing' },
    uploads: {
      accelerate: config.uploads?.accelerate ?? false,
      grant: config.uploads?.grant ?? false,
      allowedOrigins: config.uploads?.allowedOrigins ?? [],
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Physical names of a stage

/** The S3 origin that holds the originals: the geo table's default, else the first group primary that is S3. */
export function primaryS3Origin(spec: DistributionSpec): S3OriginSpec {
  const candidates = [spec.geo?.defaultOrigin, ...spec.originGroups.map((g) => g.primary), ...spec.origins.map((o) => o.id)];
  for (const id of candidates) {
    const origin = spec.origins.find((o) => o.id === id);
    if (origin?.kind === 's3') return origin;
  }
  throw new Error(`Expected an S3 origin in ${spec.name} for the images bucket but received none`);
}

/**
 * S3 bucket names are global across all AWS accounts. `unique` naming appends the stage, the account
 * and the region (`<bucket>-<stage>-<account>-<region>`; the stage alone when the account is not
 * known, as in tests), `as-written` keeps the origin's name. Over 63 characters is an error here
 * and a preflight problem.
 */
export function stageBucketName(
  origin: S3OriginSpec,
  stage: string,
  naming: { account?: string | undefined; bucketNaming?: BucketNaming | undefined } = {},
): string {
  if (naming.bucketNaming === 'as-written') return origin.bucket;
  const parts = [origin.bucket, stage, ...(naming.account ? [naming.account, origin.region] : [])];
  const name = parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-');
  if (name.length > 63)
    throw new Error(
      `Expected a bucket name of at most 63 characters for origin ${origin.id} but received ${name} (${name.length}): shorten the origin's bucket in the stage file, or use bucketNaming: 'as-written'`,
    );
  return name;
}

/** Lambda function name of a stage (at most 64 characters; the log group follows it). */
export function stageLambdaName(options: Pick<DeployOptions, 'app' | 'stage'>, fn: FunctionName | RegionalFunctionName | 'upload-grant'): string {
  const name = `${options.app}-${options.stage}-${fn}`.replace(/[^A-Za-z0-9_-]/g, '-');
  if (name.length > 64) throw new Error(`Expected a Lambda function name of at most 64 characters but received ${name} (${name.length})`);
  return name;
}

/**
 * The overrides a stage bakes into its functions: the deployment's own overrides plus the stage's
 * bucket names, so image-resize and geo-route name the buckets that actually exist.
 */
export function stageOverrides(
  spec: DistributionSpec,
  options: Pick<DeployOptions, 'stage' | 'overrides' | 'account' | 'bucketNaming'> & { readonly uploads?: UploadOptions | undefined },
): BuildOverrides {
  const configured = applyOverrides(spec, options.overrides);
  return {
    ...options.overrides,
    origins: configured.origins.map((origin) => (origin.kind === 's3' ? { ...origin, bucket: stageBucketName(origin, options.stage, options) } : origin)),
    // upload-grant accepts tokens for this stage only, and names the accelerate endpoint when it is on.
    ...(configured.uploads ? { uploads: { ...configured.uploads, stage: options.stage, accelerate: options.uploads?.accelerate ?? false } } : {}),
  };
}

/** The distribution as a stage deploys it (overrides and stage bucket names applied). */
export function stageSpec(
  spec: DistributionSpec,
  options: Pick<DeployOptions, 'stage' | 'overrides' | 'account' | 'bucketNaming'> & { readonly uploads?: UploadOptions | undefined },
): DistributionSpec {
  return applyOverrides(spec, stageOverrides(spec, options));
}

// ---------------------------------------------------------------------------------------------
// The HTTP image origin deployed with the stack (infra/image-origin.ts; plain data here for the preflight)

export type ServiceImageOrigin = Extract<StageImageOrigin, { deploy: 'service' }>;
export const DEFAULT_MIN_TASKS = 2;
export const DEFAULT_MAX_TASKS = 10;
/** Fargate allows far more; ours bounds the cost of a runaway scale-out. */
export const MAX_TASKS = 100;

/** The HTTP image origin of a spec: the custom secondary of an origin group the behaviors use. */
export function imageOriginSpec(spec: DistributionSpec): CustomOriginSpec | undefined {
  for (const group of spec.originGroups) {
    if (!spec.behaviors.some((b) => b.target === group.id)) continue;
    const origin = spec.origins.find((o) => o.id === group.secondary);
    if (origin?.kind === 'custom') return origin;
  }
  return undefined;
}
