/**
 * The CloudFront Functions of the distribution (image-request on the behaviors whose viewer-request
 * runtime is `cloudfront-function`), from the code `npm run package` built for this stage: created
 * with runtime cloudfront-js-2.0 and published (`publish: true`: the distribution runs the LIVE
 * stage; an unpublished function stays in DEVELOPMENT and cannot serve). The distribution associates
 * the function's ARN with the behavior (cdn.ts, `functionAssociations`).
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/publish-function.html
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
// Raw aws.cloudfront.Function: SST has no component for a bare CloudFront Function with our code.
import * as aws from '@pulumi/aws';
import type * as pulumi from '@pulumi/pulumi';
import type { DistributionSpec, FunctionName } from './distribution.ts';
import { cloudFrontFunctionsOf } from './build/limits.ts';
import { CLOUDFRONT_JS_RUNTIME, MAX_FUNCTION_BYTES } from './build/cloudfront-runtime.ts';
import { cloudFrontFunctionEntry } from './build/manifest.ts';
import type { Artifacts } from './edge-functions.ts';
import type { DeployOptions } from './options.ts';
import { stageLambdaName } from './options.ts';
import type { Providers } from './providers.ts';

export interface DeployedCloudFrontFunction {
  readonly fn: FunctionName;
  readonly resource: aws.cloudfront.Function;
  /** What a behavior's function association references. */
  readonly arn: pulumi.Output<string>;
}

export function createCloudFrontFunctions(
  spec: DistributionSpec,
  options: DeployOptions,
  artifacts: Artifacts,
  providers: Providers,
): Map<FunctionName, DeployedCloudFrontFunction> {
  const deployed = new Map<FunctionName, DeployedCloudFrontFunction>();
  for (const { fn, pathPatterns } of cloudFrontFunctionsOf(spec)) {
    const entry = cloudFrontFunctionEntry(artifacts.manifest, fn);
    const code = readFileSync(path.join(artifacts.dir, entry.file), 'utf8');
    const bytes = Buffer.byteLength(code, 'utf8');
    if (bytes !== entry.bytes || bytes > MAX_FUNCTION_BYTES) {
      throw new Error(
        `Expected the CloudFront Function ${entry.file} of ${entry.bytes} bytes (at most ${MAX_FUNCTION_BYTES}) but received ${bytes} bytes: package again`,
      );
    }
    // CloudFront is global; its API, like Lambda@Edge's, is reached through us-east-1.
    const resource = new aws.cloudfront.Function(
      `${fn}-cf`,
      {
        name: stageLambdaName(options, fn),
        runtime: CLOUDFRONT_JS_RUNTIME,
        comment: `${options.app} ${fn} on viewer-request of ${pathPatterns.join(', ')}`.slice(0, 128),
        code,
        publish: true,
      },
      { provider: providers.edge },
    );
    deployed.set(fn, { fn, resource, arn: resource.arn });
  }
  return deployed;
}
