/**
 * upload-grant, deployed: a regular regional Lambda function in the originals bucket's region, behind
 * its own Lambda function URL, from the zip `npm run package` built (dist/upload-grant.zip).
 *
 * Where it lives, and why its own URL rather than a `/_upload` behavior of the distribution:
 * - The browser's upload itself never crosses the distribution: it goes to the bucket's (accelerate)
 *   endpoint. The grant answer is a few hundred bytes that no cache may keep (each is signed for one
 *   token), so CloudFront would add nothing but a hop.
 * - A behavior for it would have to allow all seven methods (CloudFront's allowed-methods sets are
 *   GET/HEAD, GET/HEAD/OPTIONS, or all seven with PUT, POST, PATCH, DELETE:
 *   https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesCacheBehavior.html#DownloadDistValuesAllowedHTTPMethods),
 *   with caching disabled and the Authorization header forwarded, and a Lambda URL origin behind OAC;
 *   the image behaviors stay GET/HEAD-only this way.
 * - Who pays: on its own URL a request costs one Lambda invocation; behind CloudFront it would also
 *   be a CloudFront request (and origin transfer). Garbage requests cost an invocation either way:
 *   a wrong token is refused before any S3 request.
 * - CORS: the function URL answers preflights itself from its configuration (the stage's
 *   uploads.allowedOrigins, POST, Authorization and Content-Type:
 *   https://docs.aws.amazon.com/lambda/latest/dg/urls-configuration.html#urls-cors).
 *
 * The function is a raw aws.lambda.Function, like derived-cleanup (infra/derived-cleanup.ts): SST's
 * Function builds its own bundle through the SST CLI, so what ran would not be the zip `npm run
 * package` built and checked. Its role may only PutObject under uploads.allowedPrefixes and its nonce
 * records (infra/build/policies.ts uploadGrantPermissionPolicy): the POST policies it signs carry no
 * more authority than that. The stage's token key reaches it as the environment variable
 * UPLOAD_GRANT_KEY (a regional function may have one; Lambda encrypts it at rest), from the SST
 * secret UploadGrantKey (`npx sst secret set UploadGrantKey <key> --stage NAME`).
 */
import path from 'node:path';
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { ImageBuckets } from './bucket.ts';
import { REGIONAL_ARCHITECTURE, REGIONAL_HANDLER, REGIONAL_RUNTIME } from './build/limits.ts';
import { regionalTrustPolicy, uploadGrantPermissionPolicy } from './build/policies.ts';
import type { DistributionSpec } from './distribution.ts';
import type { Artifacts } from './edge-functions.ts';
import type { DeployOptions } from './options.ts';
import { stageLambdaName } from './options.ts';

const FN = 'upload-grant';

export interface UploadGrant {
  readonly lambda: aws.lambda.Function;
  readonly role: aws.iam.Role;
  readonly url: aws.lambda.FunctionUrl;
}

export function createUploadGrant(
  spec: DistributionSpec,
  options: DeployOptions,
  artifacts: Artifacts,
  buckets: ImageBuckets,
  tokenKey: pulumi.Input<string>,
): UploadGrant {
  const entry = artifacts.manifest.uploadGrant;
  if (!entry) throw new Error(`Expected ${FN} in the packaged functions but received none: package without --only`);
  const uploads = spec.uploads;
  if (!uploads) throw new Error(`Expected an uploads block in ${spec.name} for ${FN} but received none`);
  const origins = options.uploads?.allowedOrigins ?? [];
  if (origins.length === 0) throw new Error(`Expected uploads.allowedOrigins in the stage file for ${FN} but received none`);
  const primary = buckets.primary;
  const provider = primary.provider;
  const name = stageLambdaName(options, FN);
  const tags = { app: options.app, stage: options.stage, function: FN };
  const role = new aws.iam.Role(
    `${FN}-role`,
    { description: `Lambda ${name}: signs S3 POST policies for browser uploads`, assumeRolePolicy: JSON.stringify(regionalTrustPolicy()), tags },
    { provider },
  );
  const policy = new aws.iam.RolePolicy(
    `${FN}-policy`,
    {
      role: role.id,
      policy: primary.name.apply((bucket) => JSON.stringify(uploadGrantPermissionPolicy(spec, { lambdaName: name, bucket, region: primary.origin.region }))),
    },
    { provider },
  );
  const lambda = new aws.lambda.Function(
    FN,
    {
      name,
      description: `${options.app} ${FN}: presigned S3 POSTs under ${uploads.allowedPrefixes.join(', ')} for holders of an upload token`,
      role: role.arn,
      runtime: REGIONAL_RUNTIME,
      architectures: [REGIONAL_ARCHITECTURE],
      handler: REGIONAL_HANDLER,
      code: new pulumi.asset.FileArchive(path.join(artifacts.dir, entry.zip)),
      sourceCodeHash: entry.codeSha256,
      memorySize: uploads.grant.memoryMb,
      timeout: uploads.grant.timeoutSeconds,
      environment: { variables: { UPLOAD_GRANT_KEY: pulumi.secret(tokenKey) } },
      tags,
    },
    { provider, dependsOn: [policy] },
  );
  // authorizationType NONE: callers prove themselves with the token; the Pulumi provider adds the
  // public lambda:InvokeFunctionUrl and lambda:InvokeFunction (InvokedViaFunctionUrl) permissions.
  const url = new aws.lambda.FunctionUrl(
    `${FN}-url`,
    {
      functionName: lambda.name,
      authorizationType: 'NONE',
      cors: { allowOrigins: [...origins], allowMethods: ['POST'], allowHeaders: ['authorization', 'content-type'], maxAge: 600 },
    },
    { provider },
  );
  return { lambda, role, url };
}
