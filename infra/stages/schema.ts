/**
 * The stage file: everything an operator decides for one stage, in `infra/stages/<stage>.ts`, typed so
 * the editor checks it. distribution.ts keeps the product's defaults; a stage file overrides them
 * (`overrides` uses the same rules as `npm run package -- --config`: infra/build/overrides.ts).
 * A stage without its own file deploys `infra/stages/default.ts`, whose placeholders (example.com)
 * and TEST-ONLY keys `npm run preflight` refuses for a real deployment.
 *
 *   // infra/stages/production.ts
 *   import { defineStage } from './schema.ts';
 *   export default defineStage({ account: '123456789012', domain: { name: 'img.acme.net', hostedZoneId: 'Z0123' }, ... });
 *
 * Plain data, no Pulumi: the preflight, the SST program and the tests all read it.
 */
import type { BuildOverrides } from '../build/overrides.ts';

export type PriceClass = 'PriceClass_All' | 'PriceClass_200' | 'PriceClass_100';

/**
 * How CloudFront authenticates to the S3 origins. OAC is AWS's recommendation, but AWS documents that
 * "OAC doesn't support origin redirect by using Lambda@Edge": when geo-route sends requests to
 * another bucket, only OAI signs them. `auto` picks OAI exactly then, OAC otherwise.
 */
export type S3OriginAccess = 'oac' | 'oai' | 'auto';

interface StageDomain {
  /** The CDN hostname viewers use, e.g. img.acme.net (an alternate domain name of the distribution). */
  readonly name: string;
  /** An ISSUED ACM certificate in us-east-1 covering the name; without it one is created and DNS-validated in the hosted zone. */
  readonly certificateArn?: string;
  /** Route 53 hosted zone of the name: certificate validation, alias or geolocation records. */
  readonly hostedZoneId?: string;
  /** Create the Route 53 geolocation records of infra/geo.ts (China to a local CDN). Default: false. */
  readonly geoDns?: boolean;
}

/**
 * How the image buckets are named. S3 names are global across every AWS account:
 * - `unique` (default): `<origin bucket>-<stage>-<account id>-<region>`, unique per account and region;
 * - `as-written`: exactly the `bucket` of each S3 origin (set them in `overrides.origins`); you
 *   guarantee they are free.
 */
export type BucketNaming = 'unique' | 'as-written';

/** CloudFront standard logs (legacy, to S3): the log bucket must exist, with ACLs enabled. */
export interface StageLogging {
  /** The bucket name (not its domain), e.g. acme-cdn-logs. */
  readonly bucket: string;
  /** Key prefix of the log files, e.g. edge-images/ */
  readonly prefix?: string;
  readonly includeCookies?: boolean;
}

/**
 * The HTTP image origin (the origin group's secondary, served by infra/origin/):
 * - `existing` (default): a host the operator runs (its name, port and protocol in `overrides.origins`);
 * - `service`: deployed with the stack as a container service (SST's Vpc, Cluster and Service:
 *   Fargate tasks behind an Application Load Balancer health-checked on /healthz, scaling between
 *   `min` and `max` tasks on CPU), built from infra/origin/Dockerfile, reading the originals from a
 *   bucket of the stage. Its HTTPS name is the origin's `domainName` (in `overrides.origins`), which
 *   must lie in the stage's hosted zone: the load balancer gets a certificate and an alias record there.
 */
export type StageImageOrigin =
  | { readonly deploy: 'existing' }
  | {
      readonly deploy: 'service';
      /** Fewest tasks (1 to 100); 2 or more keeps the origin up while one is replaced. Default 2. */
      readonly min?: number;
      /** Most tasks (min to 100); the service scales out on CPU above 70 %. Default 10. */
      readonly max?: number;
      /** vCPU per task. Default 1 (sharp uses one core per image; libvips threads take the rest). */
      readonly cpu?: 0.5 | 1 | 2 | 4;
      /** Memory per task, GB (Fargate's pairs with cpu apply). Default 2. */
      readonly memoryGb?: number;
      /**
       * The S3 origin (id) whose bucket the tasks read: the default is the first replica in another
       * region than the primary (the secondary exists for the moments the primary's S3 fails), else
       * the primary. The service runs in that bucket's region.
       */
      readonly bucketOrigin?: string;
      /** NAT for the tasks' private subnets (ECR, S3, logs): AWS's managed NAT gateway, or SST's cheaper EC2 instance. Default managed. */
      readonly nat?: 'managed' | 'ec2';
    };

/**
 * Browser uploads of originals (docs/uploads.md):
 * - `accelerate`: S3 Transfer Acceleration on the originals bucket, and grants name its
 *   `<bucket>.s3-accelerate.amazonaws.com` endpoint. Off by default: it adds a per-GB charge.
 * - `grant`: deploy the upload-grant function (its own function URL) that signs POST policies for
 *   callers holding a token minted with the stage's key (`sst secret set UploadGrantKey <key>`).
 * - `allowedOrigins`: the sites' origins (https://www.example.org) that may call the grant and POST
 *   to the bucket (CORS of the function URL and of the bucket). Required with `grant`.
 */
export interface StageUploads {
  readonly accelerate?: boolean;
  readonly grant?: boolean;
  readonly allowedOrigins?: readonly string[];
}

export interface StageConfig {
  /**
   * The AWS account the stage belongs to (12 digits). When set, `sst deploy` refuses to run with
   * credentials of another account. Bucket names use the account of the credentials either way.
   */
  readonly account?: string;
  /** Custom domain; absent: the distribution's own *.cloudfront.net name only. */
  readonly domain?: StageDomain;
  readonly priceClass?: PriceClass;
  readonly s3OriginAccess?: S3OriginAccess;
  readonly bucketNaming?: BucketNaming;
  /** Days after which derived images (`_derived/`) expire; they are made again on the next miss. Default 30. */
  readonly derivedExpirationDays?: number;
  /** Keep the buckets (and their images) when the stage is removed. Default: true for `production`. */
  readonly retainBuckets?: boolean;
  /** Standard logs of the distribution; absent or false: none. */
  readonly logging?: StageLogging | false;
  /** The HTTP image origin: an existing host (default) or deployed with the stack. */
  readonly imageOrigin?: StageImageOrigin;
  /** Browser uploads: Transfer Acceleration and the upload grant (both off by default). */
  readonly uploads?: StageUploads;
  /**
   * Overrides of distribution.ts, baked into the functions too: `origins` (S3 buckets and regions, the
   * HTTP image origin's host, port, protocol), `geo` (routes), `keyGroups` (PUBLIC keys only: the
   * private halves never enter the repository), `images`, `behaviors`, `functions`...
   */
  readonly overrides?: BuildOverrides;
}

/** Every field a stage file may set: `satisfies` keeps this list and StageConfig the same. */
export const STAGE_FIELDS = {
  account: 'string',
  domain: 'object',
  priceClass: 'string',
  s3OriginAccess: 'string',
  bucketNaming: 'string',
  derivedExpirationDays: 'number',
  retainBuckets: 'boolean',
  logging: 'object',
  imageOrigin: 'object',
  overrides: 'object',
  uploads: 'object',
} as const satisfies Record<keyof StageConfig, 'string' | 'number' | 'boolean' | 'object'>;

/**
 * The fields of a stage file that are unknown or of the wrong type, each named with its file: a
 * stage file is TypeScript, but a typo in an untyped spread or a `// @ts-expect-error` still runs.
 */
export function stageFieldProblems(config: object, file: string): string[] {
  const problems: string[] = [];
  for (const [field, value] of Object.entries(config)) {
    const expected = (STAGE_FIELDS as Record<string, string>)[field];
    if (expected === undefined) {
      problems.push(`Expected a field of a stage (${Object.keys(STAGE_FIELDS).join(', ')}) in ${file} but received ${JSON.stringify(field)}`);
    } else if (value !== undefined && typeof value !== expected && !(field === 'logging' && value === false)) {
      problems.push(`Expected a ${expected} for ${field} in ${file} but received ${JSON.stringify(value)}`);
    }
  }
  return problems;
}

/** Identity with a type: `export default defineStage({...})` gets the editor's checking and completion. */
export function defineStage(config: StageConfig): StageConfig {
  return config;
}
