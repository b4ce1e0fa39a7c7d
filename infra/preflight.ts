/**
 * The preflight: a stage's inputs checked offline, before `sst deploy` creates anything (Lambda@Edge
 * replicas take many minutes to create and to delete). `npm run preflight -- --stage NAME` prints it;
 * sst.config.ts runs it first and stops on any problem. One problem, one line, saying what to do.
 *
 * Rules and their sources (AWS pages; where AWS sets no rule, ours is named as such):
 * - stage: every field of the stage file is one StageConfig names, of its type; ours.
 * - overrides: distribution.ts overridden field by field, each of the default's type; ours.
 * - policy: presets, defaults, formats and sizes inside the allowlist and the formats' limits; ours.
 * - placeholder: hosts under example.com/.net/.org or the reserved TLDs .example .test .invalid
 *   .localhost (RFC 2606) lead nowhere; ours. Real deployments only.
 * - test-key: no deployment trusts a TEST-ONLY key (DESIGN.md); ours. Real deployments only.
 * - account: a 12-digit id, the same as the credentials'; ours.
 * - bucket-name: S3 general purpose bucket naming rules
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html ; no dots is ours
 *   (a dotted name breaks the TLS wildcard of the virtual-hosted name CloudFront uses).
 * - origin: custom origin domain, port and path rules of
 *   https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html
 *   (a domain name, not an IP address; HTTP port 80, 443 or 1024-65535; HTTPS port 443 or
 *   1024-65535; an origin path starts with / and does not end with one).
 * - path-pattern: at most 255 characters of A-Z a-z 0-9 _ - . * $ / ~ " ' @ : + and &, one default
 *   `*` last, no duplicate
 *   https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesCacheBehavior.html
 * - function: Lambda@Edge memory, timeout and zip size (infra/build/limits.ts; the zip only when a
 *   package exists)
 *   https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-functions-restrictions.html
 * - cache-ttl: minimum <= default <= maximum TTL
 *   https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/controlling-the-cache-key.html
 * - quota: default quotas of https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html
 *   (25 origins, 10 origin groups, 25 cache behaviors: the older, lowest default an account may still
 *   have; 4 key groups per distribution, 5 public keys per key group).
 * - geo: the geo table names existing origins and valid places (infra/geo.ts checkDistributionGeo).
 * - domain: the certificate is an ACM ARN in us-east-1 (the only region CloudFront reads),
 *   https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cnames-and-https-requirements.html ;
 *   a domain needs a certificate or a hosted zone to validate a new one; geo DNS needs the zone.
 * - image-origin: a deployed HTTP image origin (imageOrigin.deploy 'service', infra/image-origin.ts)
 *   needs the origin group's custom secondary on HTTPS 443 (its load balancer's listener), the hosted
 *   zone (its certificate and alias record), min/max tasks of 1 to 100 (ours: a bound on a runaway
 *   scale-out), an S3 origin to read, and a Fargate CPU/memory pair
 *   https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html
 * - uploads: Transfer Acceleration's bucket-name rule (DNS-compliant, no dots) and the grant's sites'
 *   origins (infra/preflight-uploads.ts).
 */
import { originResponseBudgetProblems } from './build/budget.ts';
import { checkDistributionGeo } from './geo.ts';
import { applyOverrides } from './build/overrides.ts';
import { distributionProblems, functionNames, limitProblems, regionalFunctionNames, regionalLimitProblems } from './build/limits.ts';
import type { Manifest } from './build/manifest.ts';
import type { DistributionSpec } from './distribution.ts';
import { distribution } from './distribution.ts';
import { isTestOnlyKey } from './keys.ts';
import { uploadProblems } from './preflight-uploads.ts';
import { DEFAULT_MAX_TASKS, DEFAULT_MIN_TASKS, MAX_TASKS, deployOptionsFromStage, imageOriginSpec, primaryS3Origin, stageBucketName } from './options.ts';
import type { LoadedStage } from './stages/load.ts';
import { stageFieldProblems } from './stages/schema.ts';
import { policyProblems } from './build/policy-check.ts';

export type PreflightRule =
  | 'stage'
  | 'overrides'
  | 'policy'
  | 'placeholder'
  | 'test-key'
  | 'account'
  | 'bucket-name'
  | 'origin'
  | 'path-pattern'
  | 'function'
  | 'cache-ttl'
  | 'quota'
  | 'geo'
  | 'domain'
  | 'image-origin'
  | 'uploads';

export interface PreflightProblem {
  readonly rule: PreflightRule;
  readonly message: string;
}

export interface PreflightContext {
  readonly app: string;
  /** `deploy`: a real deployment (every rule); `dev`: `sst dev` (buckets only: no CDN rules). */
  readonly mode: 'deploy' | 'dev';
  /** The account of the credentials, when known (sst.config.ts); offline, the stage's own. */
  readonly account?: string;
  /** A package of this stage (zip sizes); without it sizes are not checked. */
  readonly manifest?: Manifest;
}

/** Default quotas (cloudfront-limits.html), the lowest an account may have. */
export const CLOUDFRONT_QUOTAS = { origins: 25, originGroups: 10, behaviors: 25, keyGroups: 4, keysPerGroup: 5 } as const;

const PLACEHOLDER_HOST = /(^|\.)(example\.(com|net|org)|[^.]+\.(example|test|invalid|localhost))$|^localhost$/i;
const PATH_PATTERN = /^[A-Za-z0-9_\-.*$/~"'@:+&]+$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/i;
/** Stands for the account offline: same length as any real one, so the length rule still bites. */
const OFFLINE_ACCOUNT = '000000000000';

/** Problems with an S3 bucket name (S3's rules plus no dots); empty when usable. */
export function bucketNameProblems(name: string): string[] {
  const problems: string[] = [];
  if (name.length < 3 || name.length > 63) problems.push(`3 to 63 characters (it has ${name.length})`);
  if (!/^[a-z0-9.-]*$/.test(name)) problems.push('only lowercase letters, digits, dots and hyphens');
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) problems.push('a letter or digit first and last');
  if (name.includes('.')) problems.push('no dots (a dotted name breaks the TLS certificate of its S3 host name)');
  if (IPV4.test(name)) problems.push('not an IP address');
  for (const prefix of ['xn--', 'sthree-', 'amzn-s3-demo-']) if (name.startsWith(prefix)) problems.push(`not the reserved prefix ${prefix}`);
  for (const suffix of ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3']) if (name.endsWith(suffix)) problems.push(`not the reserved suffix ${suffix}`);
  return problems;
}

function isPlaceholderHost(host: string): boolean {
  return PLACEHOLDER_HOST.test(host.replace(/\.$/, ''));
}

/** Fargate's memory (GB, whole numbers) for each task CPU this stack offers (the ECS page in the header). */
const FARGATE_MEMORY_GB: Readonly<Record<number, readonly [number, number]>> = { 0.5: [1, 4], 1: [2, 8], 2: [4, 16], 4: [8, 30] };

/** Every problem of a stage, in rule order; empty when it can be deployed. */
export function preflight(stage: LoadedStage, context: PreflightContext): PreflightProblem[] {
  const problems: PreflightProblem[] = [];
  const add = (rule: PreflightRule, message: string) => problems.push({ rule, message });
  // Where the operator makes the fix: the stage's own file (to create, for a stage on the default).
  const file = stage.isDefault ? `infra/stages/${stage.name}.ts` : stage.file;
  const deploy = context.mode === 'deploy';
  const config = stage.config;

  // stage: every field known and of its type.
  const fieldProblems = stageFieldProblems(config, file);
  for (const message of fieldProblems) add('stage', message);
  if (fieldProblems.length > 0) return problems;

  // account
  if (config.account !== undefined && !/^\d{12}$/.test(config.account)) {
    add('account', `Expected a 12-digit AWS account id for account in ${file} but received ${JSON.stringify(config.account)}`);
  } else if (config.account !== undefined && context.account !== undefined && context.account !== config.account) {
    add(
      'account',
      `Expected credentials of account ${config.account} (account in ${file}) but received credentials of ${context.account}: switch AWS_PROFILE, or fix account`,
    );
  }

  let source: DistributionSpec;
  try {
    source = applyOverrides(distribution, config.overrides);
  } catch (error) {
    add('overrides', `${(error as Error).message} (overrides in ${file})`);
    return problems;
  }
  // policy: the image policy the stage deploys, checked as the build checks it.
  for (const message of policyProblems(source)) add('policy', `${message} (overrides.images in ${file})`);
  const options = deployOptionsFromStage(config, {
    app: context.app,
    stage: stage.name,
    root: '.',
    dev: !deploy,
    ...(context.account ? { account: context.account } : {}),
  });
  const naming = { account: options.account ?? (options.bucketNaming === 'unique' ? OFFLINE_ACCOUNT : undefined), bucketNaming: options.bucketNaming };

  // placeholder and test-key: what a real deployment must replace.
  if (deploy) {
    if (stage.isDefault) {
      const own = `infra/stages/${stage.name}.ts`;
      if (source.origins.some((o) => o.kind === 'custom' && isPlaceholderHost(o.domainName)) || source.keyGroups?.some((g) => g.keys.some(isTestOnlyKey))) {
        add(
          'placeholder',
          `Stage ${stage.name} has no file of its own and deploys the repository default (${stage.file}): copy infra/stages/sample.ts to ${own} and fill it in`,
        );
      }
    }
    for (const origin of source.origins) {
      if (origin.kind === 'custom' && isPlaceholderHost(origin.domainName)) {
        add(
          'placeholder',
          `Replace the placeholder host ${origin.domainName} of origin ${origin.id}: set overrides.origins [{ id: '${origin.id}', domainName: '<your host>' }] in ${file}`,
        );
      }
    }
    if (config.domain && isPlaceholderHost(config.domain.name)) {
      add(
        'placeholder',
        `Replace the placeholder domain ${config.domain.name} (domain.name in ${file}) with your CDN host name, or remove domain to use *.cloudfront.net`,
      );
    }
    for (const group of source.keyGroups ?? []) {
      for (const key of group.keys) {
        if (isTestOnlyKey(key)) {
          add(
            'test-key',
            `Key group ${group.name} trusts the TEST-ONLY key ${key.id} (anyone can sign with it): set overrides.keyGroups in ${file} to your own PUBLIC keys (openssl ec -in private.pem -pubout)`,
          );
        }
      }
    }
  }

  // bucket-name
  const names = new Map<string, string>();
  for (const origin of source.origins) {
    if (origin.kind !== 's3') continue;
    let name: string;
    try {
      name = stageBucketName(origin, stage.name, naming);
    } catch {
      name = [origin.bucket, stage.name, naming.account, origin.region].join('-');
    }
    const broken = bucketNameProblems(name);
    if (broken.length > 0) {
      add(
        'bucket-name',
        `Expected an S3 bucket name with ${broken.join(', ')} for origin ${origin.id} but received ${name}: change its bucket in overrides.origins of ${file}`,
      );
    }
    const twin = names.get(name);
    if (twin) add('bucket-name', `Expected one bucket per S3 origin but ${origin.id} and ${twin} are both ${name}: give them different buckets in ${file}`);
    names.set(name, origin.id);
    if (!/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/.test(origin.region)) {
      add('origin', `Expected an AWS region such as eu-west-1 for the region of origin ${origin.id} but received ${JSON.stringify(origin.region)}`);
    }
  }
  // uploads
  if (config.uploads) {
    const primary = primaryS3Origin(source);
    let primaryName: string;
    try {
      primaryName = stageBucketName(primary, stage.name, naming);
    } catch {
      primaryName = [primary.bucket, stage.name, naming.account, primary.region].join('-');
    }
    for (const message of uploadProblems(config.uploads, primaryName, source.uploads !== undefined, file)) add('uploads', message);
  }
  if (config.logging) {
    const broken = bucketNameProblems(config.logging.bucket);
    if (broken.length > 0)
      add('bucket-name', `Expected a log bucket name with ${broken.join(', ')} for logging.bucket in ${file} but received ${config.logging.bucket}`);
  }

  // origin
  const ids = new Set<string>();
  for (const origin of source.origins) {
    if (ids.has(origin.id)) add('origin', `Expected unique origin ids but received ${origin.id} twice`);
    ids.add(origin.id);
    if (origin.kind !== 'custom') continue;
    const host = origin.domainName;
    if (IPV4.test(host) || /^\[?[0-9a-f:]+\]?$/i.test(host)) {
      add('origin', `Expected a domain name (CloudFront refuses IP addresses) for origin ${origin.id} but received ${host}: give the host a DNS name`);
    } else if (!DNS_NAME.test(host)) {
      add('origin', `Expected a bare host name (no scheme, port or path) for origin ${origin.id} but received ${JSON.stringify(host)}`);
    }
    if (origin.protocol !== 'http' && origin.protocol !== 'https') {
      add('origin', `Expected http or https for the protocol of origin ${origin.id} but received ${JSON.stringify(origin.protocol)}`);
    }
    const portOk =
      Number.isInteger(origin.port) &&
      (origin.port === 443 || (origin.port >= 1024 && origin.port <= 65535) || (origin.protocol === 'http' && origin.port === 80));
    if (!portOk) {
      add(
        'origin',
        `Expected port ${origin.protocol === 'http' ? '80, ' : ''}443 or 1024-65535 for ${origin.protocol} origin ${origin.id} but received ${origin.port}`,
      );
    }
    if (origin.path !== undefined && (!origin.path.startsWith('/') || origin.path.endsWith('/') || origin.path.length > 255)) {
      add('origin', `Expected an origin path that starts with / and does not end with / for origin ${origin.id} but received ${JSON.stringify(origin.path)}`);
    }
  }

  // path-pattern (distributionProblems adds: default last, targets and functions that exist)
  const seen = new Set<string>();
  for (const behavior of source.behaviors) {
    const pattern = behavior.pathPattern;
    if (pattern.length > 255 || !PATH_PATTERN.test(pattern)) {
      add(
        'path-pattern',
        `Expected a path pattern of at most 255 characters from A-Z a-z 0-9 _ - . * $ / ~ " ' @ : + & but received ${JSON.stringify(pattern)}`,
      );
    }
    if (seen.has(pattern))
      add('path-pattern', `Expected each path pattern once but received ${JSON.stringify(pattern)} twice: CloudFront would never reach the second`);
    seen.add(pattern);
  }
  for (const message of distributionProblems(source)) add('path-pattern', message);

  // function (memory and timeout always; zip sizes from a package of this stage; the origin-response budget)
  for (const message of originResponseBudgetProblems(source)) add('function', `${message} (overrides in ${file}, or distribution.ts)`);
  if (deploy) {
    for (const fn of functionNames(source)) {
      const zip = context.manifest?.functions.find((f) => f.function === fn)?.zipBytes;
      for (const message of limitProblems(source, fn, zip)) add('function', message);
    }
    for (const fn of regionalFunctionNames(source)) {
      const zip = context.manifest?.regionalFunctions?.find((f) => f.function === fn)?.zipBytes;
      for (const message of regionalLimitProblems(source, fn, zip)) add('function', message);
    }
  }

  // cache-ttl
  for (const behavior of source.behaviors) {
    const { minTtl, defaultTtl, maxTtl } = behavior.cachePolicy;
    const whole = [minTtl, defaultTtl, maxTtl].every((t) => Number.isInteger(t) && t >= 0);
    if (!whole || !(minTtl <= defaultTtl && defaultTtl <= maxTtl)) {
      add(
        'cache-ttl',
        `Expected whole seconds with minimum <= default <= maximum TTL for behavior ${behavior.pathPattern} but received ${minTtl} / ${defaultTtl} / ${maxTtl}`,
      );
    }
  }

  // quota
  const quota = (what: string, count: number, max: number) => {
    if (count > max) add('quota', `Expected at most ${max} ${what} (CloudFront's default quota; ask AWS for more first) but received ${count}`);
  };
  quota('origins', source.origins.length, CLOUDFRONT_QUOTAS.origins);
  quota('origin groups', source.originGroups.length, CLOUDFRONT_QUOTAS.originGroups);
  quota('cache behaviors', source.behaviors.length, CLOUDFRONT_QUOTAS.behaviors);
  quota('key groups', source.keyGroups?.length ?? 0, CLOUDFRONT_QUOTAS.keyGroups);
  for (const group of source.keyGroups ?? []) quota(`public keys in key group ${group.name}`, group.keys.length, CLOUDFRONT_QUOTAS.keysPerGroup);

  // geo
  for (const message of checkDistributionGeo(source)) add('geo', `${message} (geo in ${file}, or distribution.ts)`);

  // domain
  const domain = config.domain;
  if (domain) {
    if (!DNS_NAME.test(domain.name)) add('domain', `Expected a host name for domain.name in ${file} but received ${JSON.stringify(domain.name)}`);
    if (domain.certificateArn !== undefined && !/^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[\w-]+$/.test(domain.certificateArn)) {
      add(
        'domain',
        `Expected an ACM certificate ARN in us-east-1 (CloudFront reads certificates only there) for domain.certificateArn but received ${JSON.stringify(domain.certificateArn)}`,
      );
    }
    if (domain.certificateArn === undefined && domain.hostedZoneId === undefined) {
      add('domain', `Expected domain.certificateArn or domain.hostedZoneId (to validate a new certificate) for ${domain.name} in ${file} but received neither`);
    }
    if (domain.geoDns && domain.hostedZoneId === undefined)
      add('domain', `Expected domain.hostedZoneId with domain.geoDns in ${file} but received no hosted zone`);
  }
  // image-origin
  const imageOrigin = config.imageOrigin;
  if (imageOrigin?.deploy === 'service') {
    const origin = imageOriginSpec(source);
    if (!origin) {
      add('image-origin', `Expected a custom origin as the secondary of an origin group for imageOrigin.deploy 'service' in ${file} but received none`);
    } else if (origin.protocol !== 'https' || origin.port !== 443) {
      add(
        'image-origin',
        `Expected https on port 443 for origin ${origin.id} (the deployed origin's load balancer listens there) but received ${origin.protocol} on ${origin.port}: set { id: '${origin.id}', protocol: 'https', port: 443 } in overrides.origins of ${file}`,
      );
    }
    if (config.domain?.hostedZoneId === undefined) {
      add(
        'image-origin',
        `Expected domain.hostedZoneId for imageOrigin.deploy 'service' in ${file} (the origin's certificate and DNS name live in the zone) but received none`,
      );
    }
    const min = imageOrigin.min ?? DEFAULT_MIN_TASKS;
    const max = imageOrigin.max ?? DEFAULT_MAX_TASKS;
    if (!Number.isInteger(min) || min < 1 || min > MAX_TASKS)
      add('image-origin', `Expected a whole number of tasks from 1 to ${MAX_TASKS} for imageOrigin.min in ${file} but received ${min}`);
    if (!Number.isInteger(max) || max < min || max > MAX_TASKS)
      add('image-origin', `Expected a whole number of tasks from imageOrigin.min (${min}) to ${MAX_TASKS} for imageOrigin.max in ${file} but received ${max}`);
    const cpu = imageOrigin.cpu ?? 1;
    const memory = imageOrigin.memoryGb ?? 2;
    const range = FARGATE_MEMORY_GB[cpu];
    if (!range) add('image-origin', `Expected 0.5, 1, 2 or 4 for imageOrigin.cpu in ${file} but received ${cpu}`);
    else if (!Number.isInteger(memory) || memory < range[0] || memory > range[1]) {
      add(
        'image-origin',
        `Expected a whole number of GB from ${range[0]} to ${range[1]} (Fargate's memory for ${cpu} vCPU) for imageOrigin.memoryGb in ${file} but received ${memory}`,
      );
    }
    if (imageOrigin.bucketOrigin !== undefined && source.origins.find((o) => o.id === imageOrigin.bucketOrigin)?.kind !== 's3') {
      add('image-origin', `Expected the id of an S3 origin for imageOrigin.bucketOrigin in ${file} but received ${imageOrigin.bucketOrigin}`);
    }
  }
  if (config.derivedExpirationDays !== undefined && !(Number.isInteger(config.derivedExpirationDays) && config.derivedExpirationDays >= 1)) {
    add('bucket-name', `Expected a whole number of days (1 or more) for derivedExpirationDays in ${file} but received ${config.derivedExpirationDays}`);
  }
  return problems;
}

/** The report `npm run preflight` prints: one line per problem. */
export function formatPreflight(
  stage: LoadedStage,
  mode: PreflightContext['mode'],
  problems: readonly PreflightProblem[],
  notes: readonly string[] = [],
): string {
  const head = `preflight ${stage.name} (${stage.file}, ${mode === 'deploy' ? 'sst deploy' : 'sst dev'}): ${problems.length === 0 ? 'ready' : `${problems.length} problem(s)`}`;
  return [head, ...problems.map((p) => `  [${p.rule}] ${p.message}`), ...notes.map((n) => `  note: ${n}`)].join('\n');
}
