// biome-ignore-all lint/suspicious/noExplicitAny: the resources Pulumi hands to the mocks are untyped JSON; the assertions below are their types
/**
 * The SST infrastructure under Pulumi's mocks (no AWS account): infra/edge-images.ts builds the stage
 * from distribution.ts with the zips `npm run package` really produced, and every resource Pulumi
 * would create is recorded with its inputs. The tests assert the rules CloudFront and Lambda@Edge
 * would otherwise only enforce at deploy time (DESIGN.md), plus the bucket and policy choices, and
 * derived-cleanup's regional wiring (one function per bucket region, S3 notifications, least privilege).
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSstHarness } from '../support/sst-harness.ts';
import type { SstHarness } from '../support/sst-harness.ts';
import type { BehaviorSpec, DistributionSpec, EventType, FunctionName } from '../../infra/distribution.ts';
import { cachePolicyParameters, distribution, findOrigin, originRequestPolicyConfig, runsOnLambdaEdge } from '../../infra/distribution.ts';
import { EDGE_SERVICE_PRINCIPALS, REGIONAL_SERVICE_PRINCIPALS } from '../../infra/build/policies.ts';
import { ORIGIN_LIMITS, VIEWER_LIMITS, functionNames, isViewerEvent, limitsOf } from '../../infra/build/limits.ts';
import { packageFunctions } from '../../infra/build/package.ts';
import type { Artifacts } from '../../infra/edge-functions.ts';
import { geoDns } from '../../infra/geo.ts';
import type { DeployOptions } from '../../infra/options.ts';
import { primaryS3Origin } from '../../infra/options.ts';

interface Recorded {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>;
  readonly provider?: string;
  readonly urn: string;
  readonly state: Record<string, any>;
}

const ACCOUNT = '123456789012';
const PRIMARY = primaryS3Origin(distribution);
const CLOUDFRONT_DOMAIN = 'd111111abcdef8.cloudfront.net';
/** Output properties AWS would fill in, enough for the resources that reference them. */
function stateOf(type: string, name: string, inputs: Record<string, any>, region: string): Record<string, any> {
  switch (type) {
    case 'aws:s3/bucket:Bucket':
      return { arn: `arn:aws:s3:::${inputs['bucket']}`, bucket: inputs['bucket'] };
    case 'aws:iam/role:Role':
      return { arn: `arn:aws:iam::${ACCOUNT}:role/${name}`, name };
    case 'aws:lambda/function:Function': {
      const arn = `arn:aws:lambda:${region}:${ACCOUNT}:function:${inputs['name']}`;
      return { arn, version: '1', qualifiedArn: `${arn}:1` };
    }
    case 'aws:sqs/queue:Queue':
      return { arn: `arn:aws:sqs:${region}:${ACCOUNT}:${inputs['name']}`, url: `https://sqs.${region}.amazonaws.com/${ACCOUNT}/${inputs['name']}` };
    case 'aws:cloudfront/function:Function':
      return { arn: `arn:aws:cloudfront::${ACCOUNT}:function/${inputs['name']}`, status: 'DEPLOYED', liveStageEtag: 'ETVPDKIKX0DER' };
    case 'aws:cloudfront/distribution:Distribution':
      return { arn: `arn:aws:cloudfront::${ACCOUNT}:distribution/EDFDVBD6EXAMPLE`, domainName: CLOUDFRONT_DOMAIN, hostedZoneId: 'Z2FDTNDATAQYW2' };
    case 'aws:cloudfront/originAccessIdentity:OriginAccessIdentity':
      return {
        iamArn: 'arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHAPOMQZL',
        cloudfrontAccessIdentityPath: 'origin-access-identity/cloudfront/E2QWRUHAPOMQZL',
      };
    case 'aws:acm/certificate:Certificate': {
      const names = [inputs['domainName'], ...(inputs['subjectAlternativeNames'] ?? [])] as string[];
      return {
        arn: `arn:aws:acm:us-east-1:${ACCOUNT}:certificate/0f0e0d0c-0000-4000-8000-000000000001`,
        domainValidationOptions: names.map((domainName) => ({
          domainName,
          resourceRecordName: `_x1.${domainName}.`,
          resourceRecordType: 'CNAME',
          resourceRecordValue: '_x2.acm-validations.aws.',
        })),
      };
    }
    case 'aws:acm/certificateValidation:CertificateValidation':
      return { certificateArn: inputs['certificateArn'] };
    case 'aws:route53/record:Record':
      return { fqdn: String(inputs['name']).replace(/\.$/, '') };
    default:
      return {};
  }
}

let harness: SstHarness;
beforeAll(async () => {
  harness = await startSstHarness({ app: 'edge-images', stage: 'test', account: ACCOUNT, stateOf, zones: { Z0123456789TEST: 'example.com' } });
});
afterAll(async () => {
  await harness?.close();
});

const root = path.resolve(import.meta.dirname, '../..');
let work: string;
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

function options(overrides: Partial<DeployOptions> = {}): DeployOptions {
  return {
    app: 'edge-images',
    stage: 'test',
    root,
    derivedExpirationDays: 30,
    geoDns: false,
    priceClass: 'PriceClass_All',
    s3OriginAccess: 'auto',
    retainBuckets: false,
    cdn: true,
    overrides: {},
    imageOrigin: { deploy: 'existing' },
    ...overrides,
  };
}

/** Packages the functions for a stage exactly as sst.config.ts does (stage overrides baked in). */
async function artifactsFor(spec: DistributionSpec, opts: DeployOptions, only?: FunctionName[]): Promise<Artifacts> {
  const { stageOverrides } = await import('../../infra/options.ts');
  work ??= await mkdtemp(path.join(tmpdir(), 'edge-images-infra-'));
  const dir = path.join(work, `${opts.stage}-${Math.random().toString(36).slice(2)}`);
  const manifest = await packageFunctions({ root, outDir: dir, spec, overrides: stageOverrides(spec, opts), local: true, ...(only ? { only } : {}) });
  return { dir, manifest };
}

/** Builds a stage under the mocks; returns what it recorded. */
async function deploy(spec: DistributionSpec, opts: DeployOptions, geo = false) {
  const { createEdgeImages } = await import('../../infra/edge-images.ts');
  const artifacts = opts.cdn ? await artifactsFor(spec, opts) : undefined;
  harness.take();
  const stack = createEdgeImages(spec, opts, { ...(artifacts ? { artifacts } : {}), ...(geo ? { geoDns } : {}), sst: harness.sst });
  // Waits until Pulumi has registered every resource (SST's components make theirs inside applies).
  await harness.settle();
  const all = harness.take();
  const of = (type: string) => all.filter((r) => r.type === type);
  const one = (type: string) => {
    const found = of(type);
    expect(found, type).toHaveLength(1);
    return found[0]!;
  };
  const providerOf = (r: Recorded) => all.find((p) => p.type === 'pulumi:providers:aws' && r.provider?.startsWith(`${p.urn}::`));
  // The Lambda@Edge functions are named after the function; derived-cleanup's copies after their region.
  const edgeLambdas = () => of('aws:lambda/function:Function').filter((l) => (functionNames(spec) as string[]).includes(l.name));
  const cleanupLambdas = () => of('aws:lambda/function:Function').filter((l) => l.name.startsWith('derived-cleanup-'));
  return { stack, artifacts, all, of, one, providerOf, edgeLambdas, cleanupLambdas };
}

const behaviorsWith = (spec: DistributionSpec, fn: FunctionName) => spec.behaviors.filter((b) => Object.values(b.functions).includes(fn));

describe('a full stage from distribution.ts (custom domain, hosted zone, geo DNS)', () => {
  let d: Awaited<ReturnType<typeof deploy>>;
  const opts = options({ domain: { name: geoDns.name }, hostedZoneId: 'Z0123456789TEST', geoDns: true, derivedExpirationDays: 14 });
  beforeAll(async () => {
    d = await deploy(distribution, opts, true);
  }, 240_000);

  it('creates one Lambda@Edge function per function of the data, through the us-east-1 provider', () => {
    const lambdas = d.edgeLambdas();
    expect(lambdas.map((l) => l.name).sort()).toEqual(functionNames(distribution).sort());
    // Every other function is a copy of derived-cleanup (below).
    expect(d.of('aws:lambda/function:Function')).toHaveLength(lambdas.length + d.cleanupLambdas().length);
    for (const lambda of lambdas) {
      const provider = d.providerOf(lambda);
      expect(provider?.inputs['region'], lambda.name).toBe('us-east-1');
    }
  });

  it('publishes numbered versions, nodejs22.x on x86_64, no environment, memory and timeout from the data', () => {
    for (const lambda of d.edgeLambdas()) {
      const fn = lambda.name as FunctionName;
      expect(lambda.inputs).toMatchObject({ publish: true, runtime: 'nodejs22.x', architectures: ['x86_64'], handler: 'index.handler' });
      expect(lambda.inputs['environment']).toBeUndefined();
      expect(lambda.inputs['layers']).toBeUndefined();
      expect(lambda.inputs['vpcConfig']).toBeUndefined();
      expect(lambda.inputs['deadLetterConfig']).toBeUndefined();
      expect(lambda.inputs['tracingConfig']).toBeUndefined();
      expect(lambda.inputs['memorySize']).toBe(distribution.functions[fn].memoryMb);
      expect(lambda.inputs['timeout']).toBe(distribution.functions[fn].timeoutSeconds);
      expect(lambda.inputs['name']).toBe(`edge-images-test-${fn}`);
      expect(lambda.inputs['timeout']).toBeLessThanOrEqual(limitsOf(distribution, fn).timeoutSeconds);
      expect(lambda.inputs['memorySize']).toBeLessThanOrEqual(limitsOf(distribution, fn).maxMemoryMb);
    }
  });

  it('deploys zips under the viewer (1 MB) and origin (50 MB) limits, the ones the manifest describes', async () => {
    for (const lambda of d.edgeLambdas()) {
      const fn = lambda.name as FunctionName;
      const entry = d.artifacts!.manifest.functions.find((f) => f.function === fn)!;
      const zip = path.join(d.artifacts!.dir, entry.zip);
      // A FileArchive of the zip itself: Lambda gets exactly the bytes the manifest describes.
      expect(lambda.inputs['code']).toMatchObject({ __pulumiArchive: true });
      expect(await lambda.inputs['code'].path).toBe(zip);
      expect(lambda.inputs['sourceCodeHash']).toBe(entry.codeSha256);
      const bytes = (await stat(zip)).size;
      const viewer = behaviorsWith(distribution, fn).some((b) => Object.entries(b.functions).some(([e, f]) => f === fn && isViewerEvent(e as EventType)));
      expect(bytes).toBeLessThanOrEqual(viewer ? VIEWER_LIMITS.zipBytes : ORIGIN_LIMITS.zipBytes);
    }
  });

  it('gives each function a role trusted by lambda and edgelambda, with least privilege', () => {
    const bucketNames = d.of('aws:s3/bucket:Bucket').map((b) => b.inputs['bucket'] as string);
    for (const lambda of d.edgeLambdas()) {
      const role = d.of('aws:iam/role:Role').find((r) => r.state['arn'] === lambda.inputs['role'])!;
      expect(role, lambda.name).toBeDefined();
      expect(d.providerOf(role)?.inputs['region']).toBe('us-east-1');
      const trust = JSON.parse(role.inputs['assumeRolePolicy']);
      expect(trust.Statement).toEqual([
        expect.objectContaining({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: [...EDGE_SERVICE_PRINCIPALS] } }),
      ]);
      const policy = JSON.parse(
        d.of('aws:iam/rolePolicy:RolePolicy').find((p) => p.inputs['role'] === role.state['name'] || p.inputs['role'] === `${role.name}-id`)!.inputs['policy'],
      );
      const statements = policy.Statement as { Action: string | string[]; Resource: string | string[] }[];
      const s3 = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('s3:')));
      if (lambda.name === 'image-resize') {
        const get = s3.find((s) => s.Action === 's3:GetObject')!;
        const put = s3.find((s) => s.Action === 's3:PutObject')!;
        expect([get.Resource].flat().sort()).toEqual(bucketNames.map((b) => `arn:aws:s3:::${b}/*`).sort());
        expect([put.Resource].flat().sort()).toEqual(bucketNames.map((b) => `arn:aws:s3:::${b}/_derived/*`).sort());
        expect(s3).toHaveLength(2);
      } else {
        expect(s3, lambda.name).toEqual([]);
      }
      const logs = statements.find((s) => [s.Action].flat().includes('logs:PutLogEvents'))!;
      expect(
        [logs.Resource]
          .flat()
          .every((r) => r.includes(`/aws/lambda/us-east-1.edge-images-test-${lambda.name}`) || r.includes(`/aws/lambda/edge-images-test-${lambda.name}`)),
      ).toBe(true);
      expect(JSON.stringify(statements)).not.toMatch(/"Action":"\*"|"s3:\*"|"Resource":"\*"/);
    }
  });

  it('makes the origin group from the data: S3 primary, the HTTP origin secondary, the failover codes', () => {
    const dist = d.one('aws:cloudfront/distribution:Distribution').inputs;
    for (const group of distribution.originGroups) {
      const made = dist['originGroups'].find((g: any) => g.originId === group.id);
      expect(made.failoverCriteria.statusCodes).toEqual([...group.failoverStatusCodes]);
      expect(made.failoverCriteria.statusCodes).not.toContain(403);
      expect(made.failoverCriteria.statusCodes).not.toContain(404);
      expect(made.members.map((m: any) => m.originId)).toEqual([group.primary, group.secondary]);
      const primary = dist['origins'].find((o: any) => o.originId === group.primary);
      const primarySpec = findOrigin(distribution, group.primary);
      expect(primarySpec.kind).toBe('s3');
      if (primarySpec.kind === 's3') expect(primary.domainName).toBe(`${primarySpec.bucket}-test.s3.${primarySpec.region}.amazonaws.com`);
      expect(primary.customOriginConfig).toBeUndefined();
      const secondary = dist['origins'].find((o: any) => o.originId === group.secondary);
      const secondarySpec = findOrigin(distribution, group.secondary);
      expect(secondarySpec.kind).toBe('custom');
      if (secondarySpec.kind === 'custom') {
        expect(secondary.domainName).toBe(secondarySpec.domainName);
        expect(secondary.customOriginConfig).toMatchObject({
          originProtocolPolicy: `${secondarySpec.protocol}-only`,
          [secondarySpec.protocol === 'http' ? 'httpPort' : 'httpsPort']: secondarySpec.port,
        });
      }
    }
  });

  it('signs S3 requests with OAI here, since geo-route redirects to replica buckets (OAC cannot sign those)', () => {
    const dist = d.one('aws:cloudfront/distribution:Distribution').inputs;
    const oai = d.one('aws:cloudfront/originAccessIdentity:OriginAccessIdentity');
    const s3 = dist['origins'].filter((o: any) => o.domainName.includes('.s3.'));
    expect(s3.length).toBeGreaterThan(0);
    for (const origin of s3) expect(origin.s3OriginConfig.originAccessIdentity).toBe(oai.state['cloudfrontAccessIdentityPath']);
    expect(d.of('aws:cloudfront/originAccessControl:OriginAccessControl')).toEqual([]);
    // Every bucket (primary and replicas) lets the identity read, and nothing else in.
    const policies = d.of('aws:s3/bucketPolicy:BucketPolicy');
    expect(policies).toHaveLength(d.of('aws:s3/bucket:Bucket').length);
    for (const p of policies) {
      const doc = JSON.parse(p.inputs['policy']);
      expect(doc.Statement[0]).toMatchObject({ Effect: 'Allow', Principal: { AWS: oai.state['iamArn'] }, Action: 's3:GetObject' });
      expect(doc.Statement[1]).toMatchObject({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    }
  });

  it('puts the function of each event slot on each behavior, as the data says, by numbered version', () => {
    const dist = d.one('aws:cloudfront/distribution:Distribution').inputs;
    const made = [...dist['orderedCacheBehaviors'], { ...dist['defaultCacheBehavior'], pathPattern: '*' }];
    expect(made.map((b: any) => b.pathPattern)).toEqual(distribution.behaviors.map((b) => b.pathPattern));
    for (const behavior of distribution.behaviors) {
      const m = made.find((b: any) => b.pathPattern === behavior.pathPattern);
      const expected = Object.entries(behavior.functions)
        .filter(([eventType]) => runsOnLambdaEdge(behavior, eventType as EventType))
        .map(([eventType, fn]) => ({ eventType, lambdaArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:edge-images-test-${fn}:1` }));
      expect(m.lambdaFunctionAssociations.map((a: any) => ({ eventType: a.eventType, lambdaArn: a.lambdaArn })).sort(byEvent)).toEqual(expected.sort(byEvent));
      // The viewer-request normalizer of `*` is the CloudFront Function, associated by its ARN.
      const cf =
        behavior.viewerRequestRuntime === 'cloudfront-function'
          ? [{ eventType: 'viewer-request', functionArn: expect.stringContaining(`edge-images-test-${behavior.functions['viewer-request']}`) }]
          : [];
      expect(m.functionAssociations ?? []).toEqual(cf);
      for (const a of m.lambdaFunctionAssociations) expect(a.lambdaArn).toMatch(/:\d+$/);
      expect(m).toMatchObject({ targetOriginId: behavior.target, viewerProtocolPolicy: 'redirect-to-https', compress: true });
      expect(m.allowedMethods).toEqual([...behavior.allowedMethods]);
    }
  });

  it('creates image-request as a published cloudfront-js-2.0 function from the packaged code', async () => {
    const [fn] = d.of('aws:cloudfront/function:Function');
    expect(d.of('aws:cloudfront/function:Function')).toHaveLength(1);
    const entry = d.artifacts!.manifest.cloudFrontFunctions!.find((f) => f.function === 'image-request')!;
    expect(fn!.inputs).toMatchObject({ name: 'edge-images-test-image-request', runtime: 'cloudfront-js-2.0', publish: true });
    expect(fn!.inputs['code']).toBe(await readFile(path.join(d.artifacts!.dir, entry.file), 'utf8'));
    expect(Buffer.byteLength(fn!.inputs['code'] as string)).toBe(entry.bytes);
    expect(entry.bytes).toBeLessThanOrEqual(10 * 1024);
  });

  it('keys the cache on the canonical URI only, and forwards the viewer country to the origin events', () => {
    const dist = d.one('aws:cloudfront/distribution:Distribution').inputs;
    const cache = d.of('aws:cloudfront/cachePolicy:CachePolicy');
    expect(cache.length).toBeGreaterThan(0);
    for (const c of cache) {
      expect(c.inputs['parametersInCacheKeyAndForwardedToOrigin']).toEqual({
        cookiesConfig: { cookieBehavior: 'none' },
        headersConfig: { headerBehavior: 'none' },
        queryStringsConfig: { queryStringBehavior: 'none' },
        enableAcceptEncodingBrotli: true,
        enableAcceptEncodingGzip: true,
      });
    }
    const star = distribution.behaviors.find((b) => b.pathPattern === '*')!;
    const policy = cache.find((c) => c.state['name'] && dist['defaultCacheBehavior'].cachePolicyId === `${c.name}-id`)!;
    expect(policy.inputs).toMatchObject({ defaultTtl: star.cachePolicy.defaultTtl, minTtl: star.cachePolicy.minTtl, maxTtl: star.cachePolicy.maxTtl });
    const origin = d.of('aws:cloudfront/originRequestPolicy:OriginRequestPolicy');
    const used = origin.find((o) => dist['defaultCacheBehavior'].originRequestPolicyId === `${o.name}-id`)!;
    expect(used.inputs['headersConfig'].headerBehavior).toBe('whitelist');
    expect(used.inputs['headersConfig'].headers.items).toContain('cloudfront-viewer-country');
    expect(used.inputs['queryStringsConfig']).toEqual({ queryStringBehavior: 'none' });
  });

  it('[fwd.same-policies] deploys the cache and origin request policies the local edge applies, compression and error caching', () => {
    const dist = d.one('aws:cloudfront/distribution:Distribution').inputs;
    const star = distribution.behaviors.find((b) => b.pathPattern === '*')!;
    const cache = d.of('aws:cloudfront/cachePolicy:CachePolicy').find((c) => dist['defaultCacheBehavior'].cachePolicyId === `${c.name}-id`)!;
    expect(cache.inputs['parametersInCacheKeyAndForwardedToOrigin']).toEqual(cachePolicyParameters(star.cachePolicy));
    const origin = d
      .of('aws:cloudfront/originRequestPolicy:OriginRequestPolicy')
      .find((o) => dist['defaultCacheBehavior'].originRequestPolicyId === `${o.name}-id`)!;
    expect(origin.inputs).toMatchObject(originRequestPolicyConfig(star.originRequestPolicy!));
    expect(dist['defaultCacheBehavior'].compress).toBe(star.compress);
    expect(dist['customErrorResponses'] ?? []).toEqual(
      (distribution.errorCaching ?? []).map((e) => ({ errorCode: e.errorCode, errorCachingMinTtl: e.errorCachingMinTtl })),
    );
  });

  it('adds CORS and security headers, compression, HTTP/2 and HTTP/3, IPv6', () => {
    const dist = d.one('aws:cloudfront/distribution:Distribution').inputs;
    expect(dist).toMatchObject({ enabled: true, httpVersion: 'http2and3', isIpv6Enabled: true, priceClass: 'PriceClass_All' });
    const headers = d.one('aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy');
    expect(dist['defaultCacheBehavior'].responseHeadersPolicyId).toBe(`${headers.name}-id`);
    expect(headers.inputs['corsConfig']).toMatchObject({
      accessControlAllowOrigins: { items: ['*'] },
      accessControlAllowMethods: { items: ['GET', 'HEAD', 'OPTIONS'] },
      accessControlAllowCredentials: false,
    });
    expect(headers.inputs['securityHeadersConfig']).toMatchObject({ contentTypeOptions: { override: true }, strictTransportSecurity: { override: true } });
  });

  it('serves the custom domain with a DNS-validated ACM certificate in us-east-1', () => {
    const dist = d.one('aws:cloudfront/distribution:Distribution').inputs;
    const cert = d.one('aws:acm/certificate:Certificate');
    expect(d.providerOf(cert)?.inputs['region']).toBe('us-east-1');
    expect(cert.inputs).toMatchObject({ domainName: geoDns.name, validationMethod: 'DNS' });
    expect(dist['aliases']).toEqual([geoDns.name]);
    expect(dist['viewerCertificate']).toEqual({ acmCertificateArn: cert.state['arn'], sslSupportMethod: 'sni-only', minimumProtocolVersion: 'TLSv1.2_2021' });
    // SST's DnsValidatedCertificate: the validation record through SST's Route 53 adapter.
    const validation = d.of('aws:route53/record:Record').filter((r) => r.name.startsWith('certificateCNAMERecord'));
    expect(validation).toHaveLength(1);
    expect(validation[0]!.inputs).toMatchObject({ zoneId: 'Z0123456789TEST', type: 'CNAME', records: ['_x2.acm-validations.aws.'] });
  });

  it('creates the Route 53 geolocation records of infra/geo.ts, CloudFront as the default', () => {
    const geo = d.of('aws:route53/record:Record').filter((r) => r.name.startsWith('geo-'));
    expect(geo.length).toBe(
      geoDns.routes.reduce((n, r) => n + (r.isDefault ? 1 : 0) + (r.continents?.length ?? 0) + (r.countries?.length ?? 0) + (r.subdivisions?.length ?? 0), 0),
    );
    const fallback = geo.find((r) => r.inputs['geolocationRoutingPolicies'][0].country === '*')!;
    expect(fallback.inputs).toMatchObject({ name: geoDns.name, type: 'CNAME', records: [CLOUDFRONT_DOMAIN], zoneId: 'Z0123456789TEST' });
    expect(fallback.inputs['healthCheckId']).toBeUndefined();
    for (const route of geoDns.routes.filter((r) => r.healthCheck)) {
      for (const country of route.countries ?? []) {
        const record = geo.find((r) => r.inputs['geolocationRoutingPolicies'][0].country === country)!;
        expect(record.inputs['healthCheckId']).toBe(`health-${route.healthCheck}-id`);
      }
    }
    // No alias record competes with the CNAME set of the same name.
    expect(d.of('aws:route53/record:Record').filter((r) => r.name.startsWith('alias'))).toEqual([]);
  });

  it('makes private, versioned buckets with a _derived/ lifecycle and CORS, replicas in their regions', () => {
    const buckets = d.of('aws:s3/bucket:Bucket');
    const s3Origins = distribution.origins.filter((o) => o.kind === 's3');
    expect(buckets.map((b) => b.inputs['bucket']).sort()).toEqual(s3Origins.map((o) => (o.kind === 's3' ? `${o.bucket}-test` : '')).sort());
    for (const origin of s3Origins) {
      const bucket = buckets.find((b) => b.name === `${origin.id}-bucketBucket`)!;
      expect(d.providerOf(bucket)?.inputs['region']).toBe(origin.kind === 's3' ? origin.region : '');
      const by = (type: string) => d.of(type).find((r) => r.inputs['bucket'] === bucket.inputs['bucket'])!;
      expect(by('aws:s3/bucketVersioning:BucketVersioning').inputs['versioningConfiguration']).toEqual({ status: 'Enabled' });
      expect(by('aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock').inputs).toMatchObject({
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      expect(by('aws:s3/bucketOwnershipControls:BucketOwnershipControls').inputs['rule']).toEqual({ objectOwnership: 'BucketOwnerEnforced' });
      const rules = by('aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration').inputs['rules'];
      expect(rules).toContainEqual(expect.objectContaining({ status: 'Enabled', filter: { prefix: '_derived/' }, expiration: { days: 14 } }));
      expect(by('aws:s3/bucketCorsConfiguration:BucketCorsConfiguration').inputs['corsRules'][0]).toMatchObject({
        allowedMethods: ['GET', 'HEAD'],
        allowedOrigins: ['*'],
      });
    }
    const replication = d.one('aws:s3/bucketReplicationConfig:BucketReplicationConfig');
    expect(replication.inputs['bucket']).toBe(`${PRIMARY.bucket}-test`);
    expect(replication.inputs['rules'].map((r: any) => r.destination.bucket).sort()).toEqual(
      s3Origins
        .filter((o) => o.id !== PRIMARY.id)
        .map((o) => (o.kind === 's3' ? `arn:aws:s3:::${o.bucket}-test` : ''))
        .sort(),
    );
    // A deleted original leaves the replicas too (their derived-cleanup then removes its thumbnails).
    for (const rule of replication.inputs['rules']) expect(rule.deleteMarkerReplication).toEqual({ status: 'Enabled' });
  });
  // derived-cleanup: a regular regional Lambda on the buckets' object events (infra/derived-cleanup.ts).
  const s3Origins = () => distribution.origins.filter((o): o is Extract<typeof o, { kind: 's3' }> => o.kind === 's3');
  const regions = () => [...new Set(s3Origins().map((o) => o.region))];
  const cleanupIn = (region: string) => d.cleanupLambdas().find((l) => d.providerOf(l)?.inputs['region'] === region)!;

  it("deploys derived-cleanup once per bucket region, through that region's provider, with DISTRIBUTION_ID from the distribution", async () => {
    const lambdas = d.cleanupLambdas();
    expect(lambdas.map((l) => d.providerOf(l)?.inputs['region']).sort()).toEqual(regions().sort());
    expect(regions().length).toBeGreaterThan(1); // the data has replicas in other regions
    const dist = d.one('aws:cloudfront/distribution:Distribution');
    const entry = d.artifacts!.manifest.regionalFunctions.find((f) => f.function === 'derived-cleanup')!;
    const data = distribution.regionalFunctions['derived-cleanup'];
    for (const lambda of lambdas) {
      expect(lambda.inputs).toMatchObject({
        name: 'edge-images-test-derived-cleanup',
        runtime: 'nodejs22.x',
        handler: 'index.handler',
        architectures: ['arm64'],
        memorySize: data.memoryMb,
        timeout: data.timeoutSeconds,
        sourceCodeHash: entry.codeSha256,
      });
      // The id of the distribution this stage created, not a baked-in value.
      expect(lambda.inputs['environment']).toEqual({ variables: { DISTRIBUTION_ID: `${dist.name}-id` } });
      expect(await lambda.inputs['code'].path).toBe(path.join(d.artifacts!.dir, 'derived-cleanup.zip'));
      expect(lambda.inputs['publish']).toBeFalsy(); // S3 invokes $LATEST: no versions to pile up
    }
  });

  it('lets S3 invoke it from each bucket (that bucket, this account) and notifies it of object creations and removals', () => {
    const permissions = d.of('aws:lambda/permission:Permission');
    const notifications = d.of('aws:s3/bucketNotification:BucketNotification');
    expect(permissions).toHaveLength(s3Origins().length);
    expect(notifications).toHaveLength(s3Origins().length);
    for (const origin of s3Origins()) {
      const bucket = `${origin.bucket}-test`;
      const lambda = cleanupIn(origin.region);
      const permission = permissions.find((p) => p.inputs['sourceArn'] === `arn:aws:s3:::${bucket}`)!;
      expect(permission, origin.id).toBeDefined();
      expect(permission.inputs).toMatchObject({
        action: 'lambda:InvokeFunction',
        principal: 's3.amazonaws.com',
        sourceAccount: ACCOUNT,
        function: 'edge-images-test-derived-cleanup',
      });
      expect(d.providerOf(permission)?.inputs['region']).toBe(origin.region);
      const notification = notifications.find((n) => n.inputs['bucket'] === bucket)!;
      expect(notification, origin.id).toBeDefined();
      expect(d.providerOf(notification)?.inputs['region']).toBe(origin.region);
      // The copy in the bucket's own region; no prefix filter (S3 cannot exclude _derived/: the handler ignores it).
      expect(notification.inputs['lambdaFunctions']).toEqual([
        { id: 'derived-cleanup', lambdaFunctionArn: lambda.state['arn'], events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:*'] },
      ]);
      expect(lambda.state['arn']).toContain(`:lambda:${origin.region}:`);
      expect(notification.inputs['lambdaFunctions'][0].events).toEqual([...distribution.regionalFunctions['derived-cleanup'].s3Events]);
    }
  });

  it('retries a failed event twice, then keeps it 14 days in a queue of its region', () => {
    const configs = d.of('aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig');
    const queues = d.of('aws:sqs/queue:Queue');
    expect(configs).toHaveLength(regions().length);
    for (const region of regions()) {
      const config = configs.find((c) => d.providerOf(c)?.inputs['region'] === region)!;
      const queue = queues.find((q) => d.providerOf(q)?.inputs['region'] === region)!;
      expect(queue.inputs).toMatchObject({ messageRetentionSeconds: 14 * 24 * 3600, sqsManagedSseEnabled: true });
      expect(config.inputs).toMatchObject({
        functionName: 'edge-images-test-derived-cleanup',
        maximumRetryAttempts: 2,
        destinationConfig: { onFailure: { destination: queue.state['arn'] } },
      });
      expect(queue.state['arn']).toContain(`:sqs:${region}:`);
    }
  });

  it("gives each copy a role trusted by Lambda alone, allowed _derived/ of its region's buckets and this distribution's invalidations, nothing more", () => {
    const dist = d.one('aws:cloudfront/distribution:Distribution');
    for (const region of regions()) {
      const lambda = cleanupIn(region);
      const role = d.of('aws:iam/role:Role').find((r) => r.state['arn'] === lambda.inputs['role'])!;
      expect(JSON.parse(role.inputs['assumeRolePolicy']).Statement).toEqual([
        expect.objectContaining({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: [...REGIONAL_SERVICE_PRINCIPALS] } }),
      ]);
      expect(REGIONAL_SERVICE_PRINCIPALS).toEqual(['lambda.amazonaws.com']);
      const policy = JSON.parse(d.of('aws:iam/rolePolicy:RolePolicy').find((p) => p.inputs['role'] === `${role.name}-id`)!.inputs['policy']);
      const statements = policy.Statement as { Action: string | string[]; Resource: string | string[]; Condition?: unknown }[];
      const actions = (s: (typeof statements)[number]) => [s.Action].flat();
      const resources = (s: (typeof statements)[number]) => [s.Resource].flat().sort();
      const buckets = s3Origins()
        .filter((o) => o.region === region)
        .map((o) => `${o.bucket}-test`)
        .sort();
      expect(buckets.length).toBeGreaterThan(0);
      const list = statements.find((s) => actions(s).includes('s3:ListBucket'))!;
      expect(actions(list)).toEqual(['s3:ListBucket']);
      expect(resources(list)).toEqual(buckets.map((b) => `arn:aws:s3:::${b}`).sort());
      expect(list.Condition).toEqual({ StringLike: { 's3:prefix': '_derived/*' } });
      const objects = statements.find((s) => actions(s).includes('s3:DeleteObject'))!;
      expect(actions(objects).sort()).toEqual(['s3:DeleteObject', 's3:GetObject']);
      expect(resources(objects)).toEqual(buckets.map((b) => `arn:aws:s3:::${b}/_derived/*`).sort());
      expect(
        statements
          .flatMap(actions)
          .filter((a) => a.startsWith('s3:'))
          .sort(),
      ).toEqual(['s3:DeleteObject', 's3:GetObject', 's3:ListBucket']);
      const invalidate = statements.find((s) => actions(s).includes('cloudfront:CreateInvalidation'))!;
      expect(resources(invalidate)).toEqual([dist.state['arn']]);
      const queue = d.of('aws:sqs/queue:Queue').find((q) => d.providerOf(q)?.inputs['region'] === region)!;
      expect(resources(statements.find((s) => actions(s).includes('sqs:SendMessage'))!)).toEqual([queue.state['arn']]);
      const logs = statements.find((s) => actions(s).includes('logs:PutLogEvents'))!;
      expect(resources(logs).every((r) => r.startsWith(`arn:aws:logs:${region}:*:log-group:/aws/lambda/edge-images-test-derived-cleanup`))).toBe(true);
      expect(statements).toHaveLength(5);
      expect(JSON.stringify(statements)).not.toMatch(/"\*"|s3:\*|s3:Put|cloudfront:\*/);
    }
  });

  it('refuses zips without derived-cleanup before creating anything', async () => {
    const { createEdgeImages } = await import('../../infra/edge-images.ts');
    const artifacts = { ...d.artifacts!, manifest: { ...d.artifacts!.manifest, regionalFunctions: [] } };
    await harness.settle();
    harness.take();
    expect(() => createEdgeImages(distribution, opts, { artifacts, geoDns, sst: harness.sst })).toThrow(/Expected derived-cleanup in the packaged functions/);
    await harness.settle();
    expect(harness.take()).toEqual([]);
  });
});

describe('other stages', () => {
  /** The data without geo redirects to other buckets: the plain OAC case. */
  const noGeoRedirect: DistributionSpec = {
    ...distribution,
    behaviors: distribution.behaviors.map((b): BehaviorSpec => ({ ...b, functions: { ...b.functions, 'origin-request': undefined } })),
  };

  it('uses OAC on the S3 origin, readable only by this distribution, without a custom domain', async () => {
    const d = await deploy(noGeoRedirect, options({ stage: 'oac' }));
    const dist = d.one('aws:cloudfront/distribution:Distribution');
    const oac = d.one('aws:cloudfront/originAccessControl:OriginAccessControl');
    expect(oac.inputs).toMatchObject({ originAccessControlOriginType: 's3', signingBehavior: 'always', signingProtocol: 'sigv4' });
    const s3 = dist.inputs['origins'].filter((o: any) => o.domainName.includes('.s3.'));
    expect(s3.map((o: any) => o.originId)).toEqual([PRIMARY.id]);
    expect(s3[0].originAccessControlId).toBe(`${oac.name}-id`);
    expect(s3[0].s3OriginConfig).toBeUndefined();
    expect(d.of('aws:cloudfront/originAccessIdentity:OriginAccessIdentity')).toEqual([]);
    // SST's Bucket gives every bucket its one policy (HTTPS only); the primary's alone lets CloudFront read.
    const policies = d.of('aws:s3/bucketPolicy:BucketPolicy');
    expect(policies).toHaveLength(d.of('aws:s3/bucket:Bucket').length);
    const readers = policies.filter((p) => JSON.parse(p.inputs['policy']).Statement.some((st: any) => st.Action === 's3:GetObject'));
    expect(readers.map((p) => p.inputs['bucket'])).toEqual([`${PRIMARY.bucket}-oac`]);
    for (const p of policies) expect(JSON.parse(p.inputs['policy']).Statement.at(-1)).toMatchObject({ Sid: 'DenyInsecureTransport', Effect: 'Deny' });
    expect(JSON.parse(readers[0]!.inputs['policy']).Statement[0]).toMatchObject({
      Principal: { Service: 'cloudfront.amazonaws.com' },
      Action: 's3:GetObject',
      Condition: { StringEquals: { 'AWS:SourceArn': dist.state['arn'] } },
    });
    expect(dist.inputs['viewerCertificate']).toEqual({ cloudfrontDefaultCertificate: true });
    expect(dist.inputs['aliases']).toBeUndefined();
    expect(d.of('aws:acm/certificate:Certificate')).toEqual([]);
    expect(d.of('aws:route53/record:Record')).toEqual([]);
    for (const behavior of [dist.inputs['defaultCacheBehavior'], ...dist.inputs['orderedCacheBehaviors']]) {
      expect(behavior.lambdaFunctionAssociations.map((a: any) => a.eventType)).not.toContain('origin-request');
    }
  }, 240_000);

  it('refuses OAC when geo-route redirects to other buckets', async () => {
    const { createEdgeImages } = await import('../../infra/edge-images.ts');
    const opts = options({ stage: 'refuse', s3OriginAccess: 'oac' });
    const artifacts = await artifactsFor(distribution, opts, ['image-request']);
    expect(() => createEdgeImages(distribution, opts, { artifacts, sst: harness.sst })).toThrow(/OAC does not sign requests a Lambda@Edge function redirected/);
  }, 240_000);

  it('refuses zips that were built for another stage', async () => {
    const { createEdgeImages } = await import('../../infra/edge-images.ts');
    const artifacts = await artifactsFor(distribution, options({ stage: 'other' }), ['image-request']);
    expect(() => createEdgeImages(distribution, options({ stage: 'mismatch' }), { artifacts, sst: harness.sst })).toThrow(/package again/);
  }, 240_000);

  it('under sst dev, deploys the buckets only: the local edge runs the functions, and no derived-cleanup (no CDN to invalidate)', async () => {
    const d = await deploy(distribution, options({ stage: 'dev', cdn: false }));
    expect(d.of('aws:s3/bucket:Bucket').length).toBe(distribution.origins.filter((o) => o.kind === 's3').length);
    expect(d.of('aws:lambda/function:Function')).toEqual([]);
    expect(d.of('aws:cloudfront/distribution:Distribution')).toEqual([]);
    expect(d.stack.derivedCleanup).toBeUndefined();
    for (const type of [
      'aws:s3/bucketNotification:BucketNotification',
      'aws:lambda/permission:Permission',
      'aws:sqs/queue:Queue',
      'aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig',
    ]) {
      expect(d.of(type), type).toEqual([]);
    }
  });
});

describe('the Pulumi packages the tests use', () => {
  const versionOf = (dir: string) => (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  const platform = path.join(root, '.sst', 'platform', 'node_modules');
  // sst.config.ts runs infra/ with the SST platform's copies (.sst/platform/node_modules); the
  // tests run it with the project's. They must be the same versions, or the mocks test other code.
  it('are the versions of the SST platform (npm run sst:install)', (ctx) => {
    ctx.skip(!existsSync(path.join(platform, '@pulumi', 'aws')), 'the SST platform is not installed (npm run sst:install)');
    for (const pkg of ['@pulumi/pulumi', '@pulumi/aws']) {
      expect(versionOf(path.join(root, 'node_modules', pkg)), pkg).toBe(versionOf(path.join(platform, pkg)));
    }
  });
});

function byEvent(a: { eventType: string }, b: { eventType: string }) {
  return a.eventType.localeCompare(b.eventType);
}
