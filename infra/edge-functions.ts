/**
 * The Lambda@Edge functions, from the zips `npm run package` built for this stage (artifacts.ts):
 * created through the us-east-1 provider, nodejs22.x on x86_64, memory and timeout from the data, no
 * environment variables (config is baked in), and a published numbered version, which is what the
 * distribution's associations reference (`qualifiedArn`, never $LATEST).
 */
import path from 'node:path';
// Raw aws.lambda, not sst.aws.Function: SST's Function adds environment variables, which Lambda@Edge refuses.
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { DistributionSpec, FunctionName } from './distribution.ts';
import { EDGE_ARCHITECTURE, EDGE_HANDLER, EDGE_RUNTIME, functionNames, limitProblems } from './build/limits.ts';
import type { Manifest } from './build/manifest.ts';
import { manifestEntry } from './build/manifest.ts';
import { createEdgeRole } from './iam.ts';
import type { EdgeRole } from './iam.ts';
import type { DeployOptions } from './options.ts';
import { stageLambdaName } from './options.ts';
import type { Providers } from './providers.ts';

/** What `npm run package` produced for a stage: the folder of the zips and its manifest. */
export interface Artifacts {
  readonly dir: string;
  readonly manifest: Manifest;
}

export interface EdgeFunction {
  readonly fn: FunctionName;
  readonly lambda: aws.lambda.Function;
  readonly role: EdgeRole;
  /** `arn:...:function:<name>:<version>`: what CloudFront associates. */
  readonly versionArn: pulumi.Output<string>;
}

export function createEdgeFunctions(
  spec: DistributionSpec,
  options: DeployOptions,
  artifacts: Artifacts,
  providers: Providers,
): Map<FunctionName, EdgeFunction> {
  const functions = new Map<FunctionName, EdgeFunction>();
  for (const fn of functionNames(spec)) {
    const entry = manifestEntry(artifacts.manifest, fn);
    const problems = limitProblems(spec, fn, entry.zipBytes);
    if (problems.length > 0) throw new Error(`Function ${fn} breaks Lambda@Edge rules:\n- ${problems.join('\n- ')}`);
    const name = stageLambdaName(options, fn);
    const role = createEdgeRole(spec, fn, name, providers);
    const data = spec.functions[fn];
    const lambda = new aws.lambda.Function(
      fn,
      {
        name,
        description: `${options.app} ${fn} (${entry.eventTypes.join(', ') || 'not attached'}), Lambda@Edge`,
        role: role.role.arn,
        runtime: EDGE_RUNTIME,
        architectures: [EDGE_ARCHITECTURE],
        handler: EDGE_HANDLER,
        code: new pulumi.asset.FileArchive(path.join(artifacts.dir, entry.zip)),
        sourceCodeHash: entry.codeSha256,
        memorySize: data.memoryMb,
        timeout: data.timeoutSeconds,
        publish: true,
        tags: { app: options.app, stage: options.stage, function: fn },
      },
      { provider: providers.edge, dependsOn: [role.policy] },
    );
    functions.set(fn, { fn, lambda, role, versionArn: lambda.qualifiedArn });
  }
  return functions;
}
