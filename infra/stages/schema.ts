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
  /**
   * Overrides of distribution.ts, baked into the functions too: `origins` (S3 buckets and regions, the
   * HTTP image origin's host, port, protocol), `geo` (routes), `keyGroups` (PUBLIC keys only: the
   * private halves never enter the repository), `images`, `behaviors`, `functions`...
   */
  readonly overrides?: BuildOverrides;
}

/** Identity with a type: `export default defineStage({...})` gets the editor's checking and completion. */
export function defineStage(config: StageConfig): StageConfig {
  return config;
}
