/**
 * The HTTP image origin deployed with the stack (a stage's `imageOrigin: { deploy: 'service' }`): the
 * origin group's secondary, infra/origin/ in a container built from infra/origin/Dockerfile.
 *
 * Choice: a container service with SST's components (sst.aws.Vpc, Cluster, Service: Fargate tasks
 * behind an Application Load Balancer) rather than an EC2 Auto Scaling group: the same load balancer
 * health check on /healthz and scaling on CPU, but no AMI, instance bootstrap script or code shipping
 * to maintain, and the image is the same artifact wherever it runs. It scales past one machine without
 * code changes: `min` and `max` tasks in the stage file. "An existing host" stays the default
 * (`deploy: 'existing'`: the origin's name in `overrides.origins`, nothing deployed).
 *
 * - The tasks read the originals of one bucket of the stage (a replica in another region by default:
 *   the secondary exists for the moments the primary's S3 fails) and store derived images under
 *   `_derived/` (s3:GetObject on the bucket, s3:PutObject on `_derived/*` only: originals are never
 *   written). They run in that bucket's region, in private subnets with NAT.
 * - The load balancer listens on HTTPS 443 only, under the origin's `domainName` (a certificate and an
 *   alias record in the stage's hosted zone, through SST's Route 53 adapter), and accepts connections
 *   only from CloudFront's origin-facing servers: the AWS-managed prefix list
 *   `com.amazonaws.global.cloudfront.origin-facing`
 *   (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/LocationsOfEdgeServers.html).
 * - Health: the target group checks GET /healthz, which answers 503 while a task drains (SIGTERM), so
 *   the load balancer stops sending it requests before it stops.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { DERIVED_PREFIX } from '../functions/core/keys.ts';
import type { ImageBucket, ImageBuckets } from './bucket.ts';
import type { CustomOriginSpec, DistributionSpec } from './distribution.ts';
import { route53Adapter } from './dns.ts';
import type { DeployOptions, ServiceImageOrigin } from './options.ts';
import { DEFAULT_MAX_TASKS, DEFAULT_MIN_TASKS, imageOriginSpec } from './options.ts';
import type { Providers } from './providers.ts';
import type { SstComponents, SstService } from './sst-components.ts';

/** The port the container listens on (the load balancer forwards 443/https to it over HTTP). */
const CONTAINER_PORT = 8080;
/** The CPU utilization the service's target tracking keeps. */
const TARGET_CPU_PERCENT = 70;
const CLOUDFRONT_ORIGIN_FACING = 'com.amazonaws.global.cloudfront.origin-facing';

/** The S3 origin whose bucket the service reads: as configured, else the first replica in another region, else the primary. */
function imageOriginBucket(buckets: Pick<ImageBuckets, 'primary' | 'replicas' | 'byOrigin'>, config: ServiceImageOrigin): ImageBucket {
  if (config.bucketOrigin !== undefined) {
    const chosen = buckets.byOrigin.get(config.bucketOrigin);
    if (!chosen) throw new Error(`Expected an S3 origin id for imageOrigin.bucketOrigin but received ${config.bucketOrigin}`);
    return chosen;
  }
  return buckets.replicas.find((r) => r.origin.region !== buckets.primary.origin.region) ?? buckets.primary;
}

/** Task size: vCPU and memory as SST's Service spells them. */
function taskSize(config: ServiceImageOrigin): { cpu: '0.5 vCPU' | '1 vCPU' | '2 vCPU' | '4 vCPU'; memory: `${number} GB` } {
  return { cpu: `${config.cpu ?? 1} vCPU`, memory: `${config.memoryGb ?? 2} GB` };
}

export interface ImageOriginService {
  readonly origin: CustomOriginSpec;
  readonly bucket: ImageBucket;
  readonly region: string;
  readonly service: SstService;
}

export function createImageOriginService<V extends pulumi.ComponentResource, C extends pulumi.ComponentResource>(
  spec: DistributionSpec,
  options: DeployOptions,
  buckets: ImageBuckets,
  providers: Providers,
  sst: SstComponents<V, C>,
): ImageOriginService | undefined {
  const config = options.imageOrigin;
  if (config.deploy !== 'service') return undefined;
  const origin = imageOriginSpec(spec);
  if (!origin) throw new Error('Expected a custom origin as the secondary of an origin group to deploy the image origin service but received none');
  if (origin.protocol !== 'https' || origin.port !== 443) {
    throw new Error(
      `Expected https on port 443 for origin ${origin.id} (the service's load balancer listens there) but received ${origin.protocol} on ${origin.port}`,
    );
  }
  const zoneId = options.hostedZoneId;
  if (!zoneId) throw new Error(`Expected a hosted zone id (domain.hostedZoneId) for the image origin service's name ${origin.domainName} but received none`);
  const bucket = imageOriginBucket(buckets, config);
  const region = bucket.origin.region;
  const provider = providers.forRegion(region);
  const opts: pulumi.ComponentResourceOptions = { provider };
  const min = config.min ?? DEFAULT_MIN_TASKS;
  const max = config.max ?? DEFAULT_MAX_TASKS;
  const prefixList = aws.ec2.getManagedPrefixListOutput({ name: CLOUDFRONT_ORIGIN_FACING }, { provider });

  const vpc = new sst.Vpc('image-origin-vpc', { az: 2, nat: config.nat ?? 'managed' }, opts);
  const cluster = new sst.Cluster('image-origin-cluster', { vpc }, opts);
  const service = new sst.Service(
    'image-origin',
    {
      cluster,
      ...taskSize(config),
      architecture: 'x86_64',
      image: { context: '.', dockerfile: 'infra/origin/Dockerfile' },
      command: bucket.name.apply((name) => ['--bucket', name, '--region', region, '--host', '0.0.0.0', '--port', String(CONTAINER_PORT)]),
      scaling: { min, max, cpuUtilization: TARGET_CPU_PERCENT, memoryUtilization: false },
      loadBalancer: {
        public: true,
        domain: { name: origin.domainName, dns: route53Adapter(zoneId, sst) },
        rules: [{ listen: '443/https', forward: `${CONTAINER_PORT}/http` }],
        health: { [`${CONTAINER_PORT}/http`]: { path: '/healthz', interval: '10 seconds', healthyThreshold: 2, unhealthyThreshold: 3 } },
      },
      permissions: [
        { actions: ['s3:GetObject'], resources: [pulumi.interpolate`${bucket.arn}/*`] },
        { actions: ['s3:PutObject'], resources: [pulumi.interpolate`${bucket.arn}/${DERIVED_PREFIX}*`] },
      ],
      // `sst dev` runs the local edge, whose own image origin stands in for this one.
      dev: false,
      transform: {
        // Only CloudFront's origin-facing servers reach the load balancer, on 443 only.
        loadBalancerSecurityGroup: (args) => {
          args.description = `${options.app} ${options.stage}: the image origin's load balancer, reachable from CloudFront only`;
          args.ingress = [{ protocol: 'tcp', fromPort: 443, toPort: 443, prefixListIds: [prefixList.id] }];
          return undefined;
        },
      },
    },
    opts,
  );
  return { origin, bucket, region, service };
}
