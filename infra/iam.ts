/**
 * One execution role per edge function, trusted by lambda.amazonaws.com and edgelambda.amazonaws.com,
 * with exactly the permissions of build/policies.ts (the same documents the console zips ship with):
 * logs for every function, S3 only for the functions that need it. One role per regional function
 * copy (derived-cleanup, one per bucket region), trusted by lambda.amazonaws.com only, with the
 * policy of build/policies.ts narrowed to its region's buckets.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { DistributionSpec, FunctionName, RegionalFunctionName } from './distribution.ts';
import { edgePermissionPolicy, edgeTrustPolicy, regionalPermissionPolicy, regionalTrustPolicy } from './build/policies.ts';
import type { Providers } from './providers.ts';

export interface EdgeRole {
  readonly role: aws.iam.Role;
  readonly policy: aws.iam.RolePolicy;
}

export function createEdgeRole(spec: DistributionSpec, fn: FunctionName, lambdaName: string, providers: Providers): EdgeRole {
  const opts = { provider: providers.edge };
  const role = new aws.iam.Role(`${fn}-role`, { description: `Lambda@Edge ${lambdaName}`, assumeRolePolicy: JSON.stringify(edgeTrustPolicy()) }, opts);
  const policy = new aws.iam.RolePolicy(`${fn}-policy`, { role: role.id, policy: JSON.stringify(edgePermissionPolicy(spec, fn, lambdaName)) }, opts);
  return { role, policy };
}

export interface RegionalRoleInputs {
  readonly lambdaName: string;
  readonly region: string;
  readonly distributionArn: pulumi.Input<string>;
  readonly failureQueueArn?: pulumi.Input<string>;
}

/** The role of one regional function in one region (IAM is global: the region only names it). */
export function createRegionalRole(spec: DistributionSpec, fn: RegionalFunctionName, inputs: RegionalRoleInputs, provider: aws.Provider): EdgeRole {
  const opts = { provider };
  const role = new aws.iam.Role(
    `${fn}-${inputs.region}-role`,
    { description: `Lambda ${inputs.lambdaName} in ${inputs.region}`, assumeRolePolicy: JSON.stringify(regionalTrustPolicy()) },
    opts,
  );
  const document = pulumi.all([inputs.distributionArn, inputs.failureQueueArn]).apply(([distributionArn, failureQueueArn]) =>
    JSON.stringify(
      regionalPermissionPolicy(spec, fn, {
        lambdaName: inputs.lambdaName,
        region: inputs.region,
        distributionArn,
        ...(failureQueueArn ? { failureQueueArn } : {}),
      }),
    ),
  );
  const policy = new aws.iam.RolePolicy(`${fn}-${inputs.region}-policy`, { role: role.id, policy: document }, opts);
  return { role, policy };
}
