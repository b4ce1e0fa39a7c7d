/**
 * The CloudFront distribution, built from distribution.ts: its origins (S3 with OAC or OAI, custom
 * origins over HTTP/HTTPS), origin groups with the data's failover codes, the behaviors in the data's
 * order with their Lambda@Edge associations (numbered versions), one cache policy per distinct
 * CachePolicySpec (keyed on the canonical URI only), origin request policies forwarding the data's
 * headers (CloudFront-Viewer-Country for geo-route), a response headers policy (CORS and security
 * headers), compression, HTTP/2 and HTTP/3, IPv6, and a custom domain when one is configured.
 * The buckets' policies (bucket.ts) let this distribution, and only it, read them.
 */
import { createHash } from 'node:crypto';
import * as aws from '@pulumi/aws';
import type * as pulumi from '@pulumi/pulumi';
import type { BehaviorSpec, CachePolicySpec, DistributionSpec, EventType, FunctionName, OriginRequestPolicySpec, OriginSpec } from './distribution.ts';
import { cachePolicyParameters, findOrigin, originRequestPolicyConfig, runsOnLambdaEdge, s3DomainName, viewerRuntimeOf } from './distribution.ts';
import type { CloudFrontReader, ImageBuckets } from './bucket.ts';
import { imageResponseHeaders, responseHeadersPolicyConfig } from './response-headers.ts';
import { distributionProblems } from './build/limits.ts';
import type { DeployedCloudFrontFunction } from './cloudfront-functions.ts';
import type { EdgeFunction } from './edge-functions.ts';
import type { DeployOptions, S3OriginAccess } from './options.ts';
import type { Providers } from './providers.ts';

export interface CdnInputs {
  readonly buckets: ImageBuckets;
  readonly functions: ReadonlyMap<FunctionName, EdgeFunction>;
  /** The CloudFront Functions, for behaviors whose viewer-request runtime is `cloudfront-function`. */
  readonly cloudFrontFunctions?: ReadonlyMap<FunctionName, DeployedCloudFrontFunction>;
  /** Alternate domain names and the us-east-1 certificate that covers them. */
  readonly domain?: { readonly aliases: readonly string[]; readonly certificateArn: pulumi.Input<string> };
}

export interface Cdn {
  readonly distribution: aws.cloudfront.Distribution;
  readonly access: 'oac' | 'oai';
  readonly originAccessControl?: aws.cloudfront.OriginAccessControl;
  readonly originAccessIdentity?: aws.cloudfront.OriginAccessIdentity;
  readonly cachePolicies: readonly aws.cloudfront.CachePolicy[];
  readonly originRequestPolicies: readonly aws.cloudfront.OriginRequestPolicy[];
  readonly responseHeadersPolicy: aws.cloudfront.ResponseHeadersPolicy;
  /** Who in CloudFront reads each bucket it reaches; written into the buckets' policies (bucket.ts). */
  readonly bucketReaders: ReadonlyMap<string, CloudFrontReader>;
}

const EVENT_ORDER: readonly EventType[] = ['viewer-request', 'origin-request', 'origin-response', 'viewer-response'];

/** S3 origins geo-route may send requests to, other than the one the behaviors target. */
function geoRedirectedS3Origins(spec: DistributionSpec): string[] {
  if (!spec.geo || !spec.behaviors.some((b) => b.functions['origin-request'] === 'geo-route')) return [];
  const ids = new Set(spec.geo.routes.map((r) => r.origin).filter((id) => id !== spec.geo?.defaultOrigin));
  return [...ids].filter((id) => spec.origins.find((o) => o.id === id)?.kind === 's3');
}

/**
 * OAC unless geo-route redirects to other buckets: AWS documents that OAC does not support origin
 * redirects by Lambda@Edge, while OAI signs the redirected request (geo-route keeps
 * `authMethod: origin-access-identity`). Asking for OAC with such redirects is refused: it would
 * deploy, then every geo-routed request would be denied.
 */
export function resolveS3Access(spec: DistributionSpec, requested: S3OriginAccess): 'oac' | 'oai' {
  const redirected = geoRedirectedS3Origins(spec);
  if (requested === 'auto') return redirected.length > 0 ? 'oai' : 'oac';
  if (requested === 'oac' && redirected.length > 0) {
    throw new Error(
      `Expected oai or auto for the S3 origin access but received oac: geo-route redirects to ${redirected.join(', ')}, and CloudFront's OAC does not sign requests a Lambda@Edge function redirected`,
    );
  }
  return requested;
}

/** Origin ids the distribution itself must list: behavior targets and origin group members. */
function distributionOriginIds(spec: DistributionSpec): string[] {
  const ids = new Set<string>();
  for (const behavior of spec.behaviors) {
    const group = spec.originGroups.find((g) => g.id === behavior.target);
    if (group) {
      ids.add(group.primary);
      ids.add(group.secondary);
    } else ids.add(behavior.target);
  }
  return spec.origins.map((o) => o.id).filter((id) => ids.has(id));
}

/** The origin groups the behaviors use. */
function usedGroups(spec: DistributionSpec) {
  return spec.originGroups.filter((g) => spec.behaviors.some((b) => b.target === g.id));
}

const shortHash = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 8);

export function createCdn(spec: DistributionSpec, options: DeployOptions, inputs: CdnInputs, providers: Providers): Cdn {
  const problems = distributionProblems(spec);
  if (problems.length > 0) throw new Error(`The distribution cannot be created:\n- ${problems.join('\n- ')}`);
  const opts: pulumi.CustomResourceOptions = { provider: providers.edge };
  const prefix = `${options.app}-${options.stage}`;
  const access = resolveS3Access(spec, options.s3OriginAccess);

  const originAccessControl =
    access === 'oac'
      ? new aws.cloudfront.OriginAccessControl(
          'images-oac',
          {
            name: `${prefix}-images`.slice(0, 64),
            description: `${prefix}: CloudFront reads the image buckets`,
            originAccessControlOriginType: 's3',
            signingBehavior: 'always',
            signingProtocol: 'sigv4',
          },
          opts,
        )
      : undefined;
  const originAccessIdentity =
    access === 'oai'
      ? new aws.cloudfront.OriginAccessIdentity('images-oai', { comment: `${prefix}: CloudFront reads the image buckets (geo-routed)` }, opts)
      : undefined;

  const origins = distributionOriginIds(spec).map((id) => originArgs(findOrigin(spec, id), inputs.buckets, originAccessControl, originAccessIdentity));
  const originGroups = usedGroups(spec).map((group) => ({
    originId: group.id,
    failoverCriteria: { statusCodes: [...group.failoverStatusCodes] },
    members: [{ originId: group.primary }, { originId: group.secondary }],
  }));

  const cachePolicies = new Map<string, aws.cloudfront.CachePolicy>();
  const cachePolicyFor = (policy: CachePolicySpec) => {
    const key = shortHash(policy);
    let resource = cachePolicies.get(key);
    if (!resource) {
      resource = new aws.cloudfront.CachePolicy(
        `cache-${key}`,
        {
          name: `${prefix}-images-${key}`,
          comment: 'Keyed on the canonical URI only: the viewer-request function bakes size, quality and format into it',
          defaultTtl: policy.defaultTtl,
          minTtl: policy.minTtl,
          maxTtl: policy.maxTtl,
          parametersInCacheKeyAndForwardedToOrigin: cachePolicyParameters(policy),
        },
        opts,
      );
      cachePolicies.set(key, resource);
    }
    return resource;
  };

  const originRequestPolicies = new Map<string, aws.cloudfront.OriginRequestPolicy>();
  const originRequestPolicyFor = (policy: OriginRequestPolicySpec) => {
    const config = originRequestPolicyConfig(policy);
    const key = shortHash(config);
    let resource = originRequestPolicies.get(key);
    if (!resource) {
      resource = new aws.cloudfront.OriginRequestPolicy(
        `origin-request-${key}`,
        {
          name: `${prefix}-origin-${key}`,
          comment: `Adds ${policy.headers.join(', ') || 'nothing'} for the origin functions`,
          ...config,
        },
        opts,
      );
      originRequestPolicies.set(key, resource);
    }
    return resource;
  };

  const responseHeadersPolicy = new aws.cloudfront.ResponseHeadersPolicy(
    'response-headers',
    { name: `${prefix}-images-headers`, ...responseHeadersPolicyConfig(imageResponseHeaders) },
    opts,
  );

  const behaviorArgs = (behavior: BehaviorSpec) => ({
    targetOriginId: behavior.target,
    viewerProtocolPolicy: 'redirect-to-https',
    allowedMethods: [...behavior.allowedMethods],
    cachedMethods: [...(behavior.cachedMethods ?? ['GET', 'HEAD'])],
    compress: behavior.compress ?? false,
    cachePolicyId: cachePolicyFor(behavior.cachePolicy).id,
    ...(behavior.originRequestPolicy ? { originRequestPolicyId: originRequestPolicyFor(behavior.originRequestPolicy).id } : {}),
    responseHeadersPolicyId: responseHeadersPolicy.id,
    lambdaFunctionAssociations: EVENT_ORDER.flatMap((eventType) => {
      const fn = behavior.functions[eventType];
      if (fn === undefined || !runsOnLambdaEdge(behavior, eventType)) return [];
      const deployed = inputs.functions.get(fn);
      if (!deployed) throw new Error(`Expected a deployed function for ${eventType} of behavior ${behavior.pathPattern} but received none for ${fn}`);
      return [{ eventType, lambdaArn: deployed.versionArn, includeBody: false }];
    }),
    // The viewer-request normalizer as a CloudFront Function: associated by ARN (its LIVE stage).
    functionAssociations: cloudFrontAssociation(behavior),
  });

  function cloudFrontAssociation(behavior: BehaviorSpec) {
    const fn = behavior.functions['viewer-request'];
    if (fn === undefined || viewerRuntimeOf(behavior) !== 'cloudfront-function') return [];
    const deployed = inputs.cloudFrontFunctions?.get(fn);
    if (!deployed)
      throw new Error(`Expected a deployed CloudFront Function for viewer-request of behavior ${behavior.pathPattern} but received none for ${fn}`);
    return [{ eventType: 'viewer-request', functionArn: deployed.arn }];
  }

  const defaultBehavior = spec.behaviors.find((b) => b.pathPattern === '*')!;
  // Raw aws.cloudfront.Distribution, not sst.aws.Cdn: origin groups with our failover codes and numbered
  // Lambda@Edge associations per behavior, from distribution.ts's data, one to one.
  const distribution = new aws.cloudfront.Distribution(
    'distribution',
    {
      comment: `${prefix}: images`.slice(0, 128),
      enabled: true,
      isIpv6Enabled: true,
      httpVersion: 'http2and3',
      priceClass: options.priceClass,
      origins,
      originGroups,
      defaultCacheBehavior: behaviorArgs(defaultBehavior),
      orderedCacheBehaviors: spec.behaviors.filter((b) => b !== defaultBehavior).map((b) => ({ pathPattern: b.pathPattern, ...behaviorArgs(b) })),
      restrictions: { geoRestriction: { restrictionType: 'none' } },
      // Error caching minimum TTLs other than the default 10 s (no custom page).
      customErrorResponses: (spec.errorCaching ?? []).map((e) => ({ errorCode: e.errorCode, errorCachingMinTtl: e.errorCachingMinTtl })),
      // Standard logs (legacy, to S3): the bucket must exist with ACLs enabled, CloudFront writes with
      // the awslogsdelivery account's ACL (docs: AccessLogs.html, "Standard logging (legacy)").
      ...(options.logging
        ? {
            loggingConfig: {
              bucket: `${options.logging.bucket}.s3.amazonaws.com`,
              prefix: options.logging.prefix ?? '',
              includeCookies: options.logging.includeCookies ?? false,
            },
          }
        : {}),
      ...(inputs.domain
        ? {
            aliases: [...inputs.domain.aliases],
            viewerCertificate: { acmCertificateArn: inputs.domain.certificateArn, sslSupportMethod: 'sni-only', minimumProtocolVersion: 'TLSv1.2_2021' },
          }
        : { viewerCertificate: { cloudfrontDefaultCertificate: true } }),
      tags: { app: options.app, stage: options.stage },
    },
    { ...opts, dependsOn: inputs.buckets.primary.ready },
  );

  // Who may read: OAC, this distribution's ARN on the buckets it reaches directly; OAI, the identity
  // on every bucket (geo-route sends requests to the replicas under the same identity).
  const readable = access === 'oac' ? distributionOriginIds(spec) : [...inputs.buckets.byOrigin.keys()];
  const bucketReaders = new Map<string, CloudFrontReader>(
    readable
      .filter((id) => inputs.buckets.byOrigin.has(id))
      .map((id) => [id, originAccessIdentity ? { originAccessIdentityArn: originAccessIdentity.iamArn } : { distributionArn: distribution.arn }]),
  );
  inputs.buckets.allowCloudFront(bucketReaders);

  return {
    distribution,
    access,
    ...(originAccessControl ? { originAccessControl } : {}),
    ...(originAccessIdentity ? { originAccessIdentity } : {}),
    cachePolicies: [...cachePolicies.values()],
    originRequestPolicies: [...originRequestPolicies.values()],
    responseHeadersPolicy,
    bucketReaders,
  };
}

function originArgs(
  origin: OriginSpec,
  buckets: ImageBuckets,
  oac: aws.cloudfront.OriginAccessControl | undefined,
  oai: aws.cloudfront.OriginAccessIdentity | undefined,
): aws.types.input.cloudfront.DistributionOrigin {
  if (origin.kind === 's3') {
    const bucket = buckets.byOrigin.get(origin.id);
    if (!bucket) throw new Error(`Expected a bucket for S3 origin ${origin.id} but received none`);
    return {
      originId: origin.id,
      // The regional REST name: the one the baked function configs expect in origin.s3.domainName.
      domainName: bucket.name.apply((name) => s3DomainName({ ...origin, bucket: name })),
      ...(oac ? { originAccessControlId: oac.id } : {}),
      ...(oai ? { s3OriginConfig: { originAccessIdentity: oai.cloudfrontAccessIdentityPath } } : {}),
    };
  }
  return {
    originId: origin.id,
    domainName: origin.domainName,
    ...(origin.path ? { originPath: origin.path } : {}),
    customOriginConfig: {
      httpPort: origin.protocol === 'http' ? origin.port : 80,
      httpsPort: origin.protocol === 'https' ? origin.port : 443,
      originProtocolPolicy: `${origin.protocol}-only`,
      originSslProtocols: ['TLSv1.2'],
      originReadTimeout: 30,
      originKeepaliveTimeout: 5,
    },
  };
}
