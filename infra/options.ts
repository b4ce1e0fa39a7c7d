/**
 * What a deployment may choose beyond distribution.ts, typed, with its defaults, and read from the
 * environment by sst.config.ts (`EDGE_IMAGES_*`, listed in deployOptionsFromEnv). Plain data: no
 * Pulumi here, so it is testable and usable from the SST program and from tests alike.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { DistributionSpec, FunctionName, RegionalFunctionName, S3OriginSpec } from './distribution.ts';
import type { BuildOverrides } from './build/overrides.ts';
import { applyOverrides } from './build/overrides.ts';

type PriceClass = 'PriceClass_All' | 'PriceClass_200' | 'PriceClass_100';

/**
 * How CloudFront authenticates to the S3 origins. OAC is AWS's recommendation, but AWS documents that
 * "OAC doesn't support origin redirect by using Lambda@Edge": when geo-route sends requests to
 * another bucket, only OAI signs them. `auto` picks OAI exactly then, OAC otherwise.
 */
export type S3OriginAccess = 'oac' | 'oai' | 'auto';

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
  /**
   * Deploy the edge functions, the distribution and derived-cleanup (which invalidates it). False
   * under `sst dev` by default: the local edge runs the functions against the stage's real buckets
   * instead, and nothing waits on CloudFront.
   */
  readonly cdn: boolean;
  /** Overrides baked into the functions, as `npm run package -- --config` takes them. */
  readonly overrides: BuildOverrides;
}

const DEFAULT_DERIVED_EXPIRATION_DAYS = 30;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The options from the environment of `sst deploy` / `sst dev`:
 *   EDGE_IMAGES_DOMAIN            cdn.example.com
 *   EDGE_IMAGES_CERTIFICATE_ARN   arn:aws:acm:us-east-1:...:certificate/... (else created in the zone)
 *   EDGE_IMAGES_HOSTED_ZONE_ID    Z0123456789ABC
 *   EDGE_IMAGES_GEO_DNS           1 to create the geolocation records of infra/geo.ts (default 1 with a zone)
 *   EDGE_IMAGES_DERIVED_DAYS      30
 *   EDGE_IMAGES_PRICE_CLASS       PriceClass_All | PriceClass_200 | PriceClass_100
 *   EDGE_IMAGES_S3_ACCESS         auto | oac | oai
 *   EDGE_IMAGES_CONFIG            path of a JSON overrides file (same format as npm run package -- --config)
 *   EDGE_IMAGES_DEV_CDN           1 to deploy the CDN under `sst dev` too
 */
export function deployOptionsFromEnv(env: Env, context: { app: string; stage: string; root: string; dev: boolean }): DeployOptions {
  const problems: string[] = [];
  const days = Number(env['EDGE_IMAGES_DERIVED_DAYS'] ?? DEFAULT_DERIVED_EXPIRATION_DAYS);
  if (!Number.isInteger(days) || days < 1) problems.push(`Expected a whole number of days (1 or more) for EDGE_IMAGES_DERIVED_DAYS but received ${JSON.stringify(env['EDGE_IMAGES_DERIVED_DAYS'])}`);
  const priceClass = env['EDGE_IMAGES_PRICE_CLASS'] ?? 'PriceClass_All';
  if (!['PriceClass_All', 'PriceClass_200', 'PriceClass_100'].includes(priceClass)) {
    problems.push(`Expected PriceClass_All, PriceClass_200 or PriceClass_100 for EDGE_IMAGES_PRICE_CLASS but received ${JSON.stringify(priceClass)}`);
  }
  const access = env['EDGE_IMAGES_S3_ACCESS'] ?? 'auto';
  if (!['auto', 'oac', 'oai'].includes(access)) problems.push(`Expected auto, oac or oai for EDGE_IMAGES_S3_ACCESS but received ${JSON.stringify(access)}`);
  const domainName = env['EDGE_IMAGES_DOMAIN'];
  const certificateArn = env['EDGE_IMAGES_CERTIFICATE_ARN'];
  const hostedZoneId = env['EDGE_IMAGES_HOSTED_ZONE_ID'];
  if (certificateArn !== undefined && !/^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[\w-]+$/.test(certificateArn)) {
    problems.push(`Expected an ACM certificate ARN in us-east-1 (CloudFront reads certificates only there) for EDGE_IMAGES_CERTIFICATE_ARN but received ${JSON.stringify(certificateArn)}`);
  }
  if (domainName !== undefined && certificateArn === undefined && hostedZoneId === undefined) {
    problems.push(`Expected EDGE_IMAGES_CERTIFICATE_ARN or EDGE_IMAGES_HOSTED_ZONE_ID (to validate a new certificate) with EDGE_IMAGES_DOMAIN ${domainName} but received neither`);
  }
  const flag = (name: string, fallback: boolean) => {
    const value = env[name];
    if (value === undefined || value === '') return fallback;
    if (['1', 'true', 'yes'].includes(value)) return true;
    if (['0', 'false', 'no'].includes(value)) return false;
    problems.push(`Expected 1 or 0 for ${name} but received ${JSON.stringify(value)}`);
    return fallback;
  };
  const geoDns = flag('EDGE_IMAGES_GEO_DNS', hostedZoneId !== undefined);
  if (geoDns && hostedZoneId === undefined) problems.push('Expected EDGE_IMAGES_HOSTED_ZONE_ID with EDGE_IMAGES_GEO_DNS=1 but received no hosted zone');
  const cdn = flag('EDGE_IMAGES_DEV_CDN', false) || !context.dev;
  let overrides: BuildOverrides = {};
  const configFile = env['EDGE_IMAGES_CONFIG'];
  if (configFile) {
    try {
      overrides = JSON.parse(readFileSync(path.resolve(context.root, configFile), 'utf8')) as BuildOverrides;
    } catch (error) {
      problems.push(`Expected a readable JSON file for EDGE_IMAGES_CONFIG but received ${JSON.stringify(configFile)} (${(error as Error).message})`);
    }
  }
  if (problems.length > 0) throw new Error(`The deploy options are not usable:\n- ${problems.join('\n- ')}`);
  return {
    app: context.app,
    stage: context.stage,
    root: context.root,
    derivedExpirationDays: days,
    ...(domainName ? { domain: { name: domainName, ...(certificateArn ? { certificateArn } : {}) } } : {}),
    ...(hostedZoneId ? { hostedZoneId } : {}),
    geoDns,
    priceClass: priceClass as PriceClass,
    s3OriginAccess: access as S3OriginAccess,
    retainBuckets: context.stage === 'production',
    cdn,
    overrides,
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

/** S3 bucket names are global: a stage's buckets are the data's names with the stage appended. */
export function stageBucketName(origin: S3OriginSpec, stage: string): string {
  const name = `${origin.bucket}-${stage}`.toLowerCase().replace(/[^a-z0-9.-]/g, '-');
  if (name.length > 63) throw new Error(`Expected a bucket name of at most 63 characters for origin ${origin.id} but received ${name} (${name.length})`);
  return name;
}

/** Lambda function name of a stage (at most 64 characters; the log group follows it). */
export function stageLambdaName(options: Pick<DeployOptions, 'app' | 'stage'>, fn: FunctionName | RegionalFunctionName): string {
  const name = `${options.app}-${options.stage}-${fn}`.replace(/[^A-Za-z0-9_-]/g, '-');
  if (name.length > 64) throw new Error(`Expected a Lambda function name of at most 64 characters but received ${name} (${name.length})`);
  return name;
}

/**
 * The overrides a stage bakes into its functions: the deployment's own overrides plus the stage's
 * bucket names, so image-resize and geo-route name the buckets that actually exist.
 */
export function stageOverrides(spec: DistributionSpec, options: Pick<DeployOptions, 'stage' | 'overrides'>): BuildOverrides {
  const configured = applyOverrides(spec, options.overrides);
  return {
    ...options.overrides,
    origins: configured.origins.map((origin) => (origin.kind === 's3' ? { ...origin, bucket: stageBucketName(origin, options.stage) } : origin)),
  };
}

/** The distribution as a stage deploys it (overrides and stage bucket names applied). */
export function stageSpec(spec: DistributionSpec, options: Pick<DeployOptions, 'stage' | 'overrides'>): DistributionSpec {
  return applyOverrides(spec, stageOverrides(spec, options));
}
