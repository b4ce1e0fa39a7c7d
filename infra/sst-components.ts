/**
 * The SST components the stack is built from, passed in rather than read from SST's globals:
 * sst.config.ts passes `sst.aws` (npm run typecheck:infra checks that SST's classes fit these shapes),
 * and the tests pass the same classes loaded from .sst/platform by test/support/sst-harness.ts. So
 * infra/ type-checks without SST's generated types and renders under Pulumi's mocks.
 *
 * Only what this stack uses is described; the argument types are the subsets of SST 4.17.1's
 * (.sst/platform/src/components/aws/{bucket,queue,dns,dns-validated-certificate,vpc,cluster,service}.ts).
 */
import type * as aws from '@pulumi/aws';
import type * as pulumi from '@pulumi/pulumi';

/** SST's `Transform<T>` in its function form: edit the args (and options) of a resource SST creates. */
type Transform<T> = (args: T, opts: pulumi.CustomResourceOptions, name: string) => undefined;

interface SstBucketArgs {
  readonly versioning?: boolean;
  readonly enforceHttps?: boolean;
  readonly lifecycle?: { readonly id?: string; readonly prefix?: string; readonly expiresIn?: `${number} days` }[];
  readonly transform?: {
    readonly bucket?: Transform<aws.s3.BucketArgs>;
    readonly cors?: Transform<aws.s3.BucketCorsConfigurationArgs>;
    readonly policy?: Transform<aws.s3.BucketPolicyArgs>;
    readonly lifecycle?: Transform<aws.s3.BucketLifecycleConfigurationArgs>;
  };
}

export interface SstBucket extends pulumi.ComponentResource {
  readonly name: pulumi.Output<string>;
  readonly arn: pulumi.Output<string>;
}

interface SstQueueArgs {
  readonly transform?: { readonly queue?: Transform<aws.sqs.QueueArgs> };
}

export interface SstQueue extends pulumi.ComponentResource {
  readonly arn: pulumi.Output<string>;
  readonly url: pulumi.Output<string>;
}

/** SST's Route 53 adapter (`sst.aws.dns({ zone })`): what the certificate and the alias records use. */
export interface SstDnsAdapter {
  readonly provider: 'aws';
  createAlias(
    namePrefix: string,
    record: { name: pulumi.Input<string>; aliasName: pulumi.Input<string>; aliasZone: pulumi.Input<string> },
    opts: pulumi.ComponentResourceOptions,
  ): pulumi.Output<pulumi.Resource> | pulumi.Output<pulumi.Resource>[];
  createRecord(
    namePrefix: string,
    record: { name: pulumi.Input<string>; type: pulumi.Input<string>; value: pulumi.Input<string>; priority?: pulumi.Input<number> },
    opts: pulumi.ComponentResourceOptions,
  ): pulumi.Output<pulumi.Resource>;
  createCaa(namePrefix: string, recordName: string, opts: pulumi.ComponentResourceOptions): pulumi.Resource[] | pulumi.Output<pulumi.Resource>[] | undefined;
}

interface SstCertificateArgs {
  readonly domainName: pulumi.Input<string>;
  readonly alternativeNames?: pulumi.Input<string[]>;
  readonly dns: SstDnsAdapter;
}

interface SstCertificate extends pulumi.ComponentResource {
  readonly arn: pulumi.Output<string>;
}

interface SstVpcArgs {
  readonly az?: number;
  readonly nat?: 'managed' | 'ec2';
}

interface SstClusterArgs<V> {
  readonly vpc: V;
}

interface SstServiceArgs<C> {
  readonly cluster: C;
  readonly cpu?: '0.25 vCPU' | '0.5 vCPU' | '1 vCPU' | '2 vCPU' | '4 vCPU';
  readonly memory?: `${number} GB`;
  readonly architecture?: 'x86_64' | 'arm64';
  readonly image: { context: string; dockerfile: string };
  readonly command?: pulumi.Input<string[]>;
  readonly scaling?: { min: number; max: number; cpuUtilization?: number | false; memoryUtilization?: number | false };
  readonly loadBalancer: {
    public?: boolean;
    rules: { listen: `${number}/${'http' | 'https'}`; forward: `${number}/${'http' | 'https'}` }[];
    domain?: { name: string; dns: SstDnsAdapter };
    health?: Record<`${number}/${'http' | 'https'}`, { path?: string; interval?: `${number} seconds`; healthyThreshold?: number; unhealthyThreshold?: number }>;
  };
  readonly permissions?: { actions: string[]; resources: pulumi.Input<string>[] }[];
  readonly dev?: false;
  readonly transform?: { readonly loadBalancerSecurityGroup?: Transform<aws.ec2.SecurityGroupArgs> };
}

export interface SstService extends pulumi.ComponentResource {
  /** The load balancer's URL (or the custom domain's). */
  readonly url: pulumi.Output<string>;
}

/**
 * V and C are SST's Vpc and Cluster classes (the Service takes SST's own Cluster, the Cluster SST's
 * own Vpc): sst.config.ts's `sst.aws` fixes them, so infra/ needs no SST types.
 */
export interface SstComponents<V extends pulumi.ComponentResource = pulumi.ComponentResource, C extends pulumi.ComponentResource = pulumi.ComponentResource> {
  readonly Bucket: new (name: string, args: SstBucketArgs, opts?: pulumi.ComponentResourceOptions) => SstBucket;
  readonly Queue: new (name: string, args: SstQueueArgs, opts?: pulumi.ComponentResourceOptions) => SstQueue;
  readonly DnsValidatedCertificate: new (name: string, args: SstCertificateArgs, opts?: pulumi.ComponentResourceOptions) => SstCertificate;
  dns(args: { zone: string; transform?: { record?: Transform<aws.route53.RecordArgs> } }): SstDnsAdapter;
  readonly Vpc: new (name: string, args: SstVpcArgs, opts?: pulumi.ComponentResourceOptions) => V;
  readonly Cluster: new (name: string, args: SstClusterArgs<V>, opts?: pulumi.ComponentResourceOptions) => C;
  readonly Service: new (name: string, args: SstServiceArgs<C>, opts?: pulumi.ComponentResourceOptions) => SstService;
}

/** The components that do not involve SST's Vpc and Cluster types (everything but the image origin's service). */
export type SstBasicComponents = Pick<SstComponents, 'Bucket' | 'Queue' | 'DnsValidatedCertificate' | 'dns'>;
