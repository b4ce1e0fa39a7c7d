/**
 * The whole stage, built from distribution.ts: buckets, edge functions, the distribution, DNS, and
 * derived-cleanup on the buckets' object events (with the CDN only: it invalidates the distribution).
 * SST components where they fit (buckets, the failure queues, the certificate and alias records, the
 * HTTP image origin's service), passed in (infra/sst-components.ts), and raw `@pulumi/aws` resources
 * where SST cannot serve, each with its reason; explicit providers per region. No SST globals, so the
 * tests run it under Pulumi's mocks with SST's own classes (test/support/sst-harness.ts);
 * sst.config.ts calls it with the options of the stage and `sst.aws`.
 */
import * as pulumi from '@pulumi/pulumi';
import type { DistributionSpec, FunctionName } from './distribution.ts';
import { createImageBuckets } from './bucket.ts';
import type { ImageBuckets } from './bucket.ts';
import { createCdn, resolveS3Access } from './cdn.ts';
import { distributionProblems, functionNames, limitProblems, regionalFunctionNames, regionalLimitProblems } from './build/limits.ts';
import type { Cdn } from './cdn.ts';
import { createCertificate, createDnsRecords, domainAliases } from './dns.ts';
import type { DnsRecords } from './dns.ts';
import { createDerivedCleanup } from './derived-cleanup.ts';
import type { DerivedCleanup } from './derived-cleanup.ts';
import { createCloudFrontFunctions } from './cloudfront-functions.ts';
import type { DeployedCloudFrontFunction } from './cloudfront-functions.ts';
import { createEdgeFunctions } from './edge-functions.ts';
import type { Artifacts, EdgeFunction } from './edge-functions.ts';
import type { GeoDnsSpec } from './geo.ts';
import { createImageOriginService } from './image-origin.ts';
import { createUploadGrant } from './upload-grant.ts';
import type { UploadGrant } from './upload-grant.ts';
import type { ImageOriginService } from './image-origin.ts';
import type { DeployOptions } from './options.ts';
import type { SstComponents } from './sst-components.ts';
import { stageOverrides, stageSpec } from './options.ts';
import { createProviders } from './providers.ts';

export interface EdgeImages {
  /** The distribution as deployed: overrides and the stage's bucket names applied. */
  readonly spec: DistributionSpec;
  readonly buckets: ImageBuckets;
  readonly functions: ReadonlyMap<FunctionName, EdgeFunction>;
  /** The CloudFront Functions (image-request on the public behavior, by default). */
  readonly cloudFrontFunctions?: ReadonlyMap<FunctionName, DeployedCloudFrontFunction>;
  readonly cdn?: Cdn;
  readonly dns?: DnsRecords;
  /** derived-cleanup, one per bucket region; with the CDN only. */
  readonly derivedCleanup?: DerivedCleanup;
  /** The HTTP image origin, when the stage deploys it (imageOrigin: { deploy: 'service' }). */
  readonly imageOrigin?: ImageOriginService;
  /** The viewer URL: the custom domain when there is one, else the distribution's domain. */
  readonly url?: pulumi.Output<string>;
  /** upload-grant and its function URL, when the stage turns uploads.grant on (with the CDN). */
  readonly uploadGrant?: UploadGrant;
}

export interface EdgeImagesInputs<
  V extends pulumi.ComponentResource = pulumi.ComponentResource,
  C extends pulumi.ComponentResource = pulumi.ComponentResource,
> {
  /** Zips built for this stage (buildStageArtifacts); required when options.cdn. */
  readonly artifacts?: Artifacts;
  /** Route 53 geolocation data (infra/geo.ts `geoDns`); used when options.geoDns. */
  readonly geoDns?: GeoDnsSpec;
  /** SST's components: `sst.aws` in sst.config.ts. */
  readonly sst: SstComponents<V, C>;
  /** The stage's upload token key (the SST secret UploadGrantKey); required when uploads.grant is on. */
  readonly uploadGrantKey?: pulumi.Input<string>;
}

export function createEdgeImages<V extends pulumi.ComponentResource, C extends pulumi.ComponentResource>(
  source: DistributionSpec,
  options: DeployOptions,
  inputs: EdgeImagesInputs<V, C>,
): EdgeImages {
  const spec = stageSpec(source, options);
  // Everything that can be refused is refused before the first resource exists.
  const artifacts = inputs.artifacts;
  if (options.cdn) {
    if (!artifacts) throw new Error('Expected the packaged functions (buildStageArtifacts) to deploy the CDN but received none');
    const baked = JSON.stringify(artifacts.manifest.overrides);
    const expected = JSON.stringify(stageOverrides(source, options));
    if (baked !== expected) {
      throw new Error(`Expected zips built with this stage's overrides ${expected} but received zips built with ${baked}: package again`);
    }
    const problems = [
      ...distributionProblems(spec),
      ...functionNames(spec).flatMap((fn) => limitProblems(spec, fn, artifacts.manifest.functions.find((f) => f.function === fn)?.zipBytes)),
    ];
    if (problems.length > 0) throw new Error(`The stage cannot be deployed:\n- ${problems.join('\n- ')}`);
    resolveS3Access(spec, options.s3OriginAccess);
    const regional = regionalFunctionNames(spec).flatMap((fn) => {
      const entry = (artifacts.manifest.regionalFunctions ?? []).find((f) => f.function === fn);
      return entry ? regionalLimitProblems(spec, fn, entry.zipBytes) : [`Expected ${fn} in the packaged functions but received none: package without --only`];
    });
    if (regional.length > 0) throw new Error(`The stage cannot be deployed:\n- ${regional.join('\n- ')}`);
    if (options.uploads?.grant && inputs.uploadGrantKey === undefined) {
      throw new Error('Expected the upload token key (npx sst secret set UploadGrantKey <key>) for uploads.grant but received none');
    }
  }

  const providers = createProviders(`${options.app}-${options.stage}`);
  const sst = inputs.sst;
  const buckets = createImageBuckets(spec, options, providers, sst);
  if (!options.cdn || !artifacts) {
    // No distribution: the buckets' policies get no CloudFront reader.
    buckets.allowCloudFront(new Map());
    return { spec, buckets, functions: new Map() };
  }

  const functions = createEdgeFunctions(spec, options, artifacts, providers);
  const cloudFrontFunctions = createCloudFrontFunctions(spec, options, artifacts, providers);
  const aliases = domainAliases(options, inputs.geoDns);
  const certificateArn = createCertificate(options, aliases, providers, sst);
  const cdn = createCdn(
    spec,
    options,
    { buckets, functions, cloudFrontFunctions, ...(certificateArn ? { domain: { aliases, certificateArn } } : {}) },
    providers,
  );
  const dns = createDnsRecords(options, aliases, inputs.geoDns, cdn.distribution, providers, sst);
  const derivedCleanup = createDerivedCleanup(spec, options, artifacts, buckets, cdn.distribution, sst);
  const imageOrigin = createImageOriginService(spec, options, buckets, providers, sst);
  const uploadGrant =
    options.uploads?.grant && inputs.uploadGrantKey !== undefined ? createUploadGrant(spec, options, artifacts, buckets, inputs.uploadGrantKey) : undefined;
  const url = aliases[0] ? pulumi.output(`https://${aliases[0]}`) : pulumi.interpolate`https://${cdn.distribution.domainName}`;
  return {
    spec,
    buckets,
    functions,
    cloudFrontFunctions,
    cdn,
    dns,
    derivedCleanup,
    ...(imageOrigin ? { imageOrigin } : {}),
    ...(uploadGrant ? { uploadGrant } : {}),
    url,
  };
}
