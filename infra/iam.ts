/**
 * One execution role per edge function, trusted by lambda.amazonaws.com and edgelambda.amazonaws.com,
 * with exactly the permissions of build/policies.ts (the same documents the console zips ship with):
 * logs for every function, S3 only for the functions that need it.
 */
import * as aws from '@pulumi/aws';
import type { DistributionSpec, FunctionName } from './distribution.ts';
import { edgePermissionPolicy, edgeTrustPolicy } from './build/policies.ts';
import type { Providers } from './providers.ts';

export interface EdgeRole {
  readonly role: aws.iam.Role;
  readonly policy: aws.iam.RolePolicy;
}

export function createEdgeRole(spec: DistributionSpec, fn: FunctionName, lambdaName: string, providers: Providers): EdgeRole {
  const opts = { provider: providers.edge };
  const role = new aws.iam.Role(
    `${fn}-role`,
    { description: `Lambda@Edge ${lambdaName}`, assumeRolePolicy: JSON.stringify(edgeTrustPolicy()) },
    opts,
  );
  const policy = new aws.iam.RolePolicy(`${fn}-policy`, { role: role.id, policy: JSON.stringify(edgePermissionPolicy(spec, fn, lambdaName)) }, opts);
  return { role, policy };
}
