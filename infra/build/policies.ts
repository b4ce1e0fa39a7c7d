/**
 * IAM policy documents for the edge functions, as plain JSON: written to dist/iam/ for the console
 * and used by infra/iam.ts for SST, so both paths grant exactly the same thing.
 *
 * Least privilege: every function may write its own logs (Lambda@Edge writes them in the region
 * where it ran, to `/aws/lambda/us-east-1.<name>`); only functions listed in S3_ACCESS touch S3, and
 * then only GetObject on the distribution's buckets and PutObject under `_derived/`.
 */
import { DERIVED_PREFIX } from '../../functions/core/keys.ts';
import type { DistributionSpec, FunctionName, S3OriginSpec } from '../distribution.ts';

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: Readonly<Record<string, string | readonly string[]>>;
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

/** What a function does with S3. Functions not listed get no S3 permission at all. */
export type S3Access = 'read-originals-write-derived';

export const S3_ACCESS: Readonly<Partial<Record<FunctionName, S3Access>>> = {
  'image-resize': 'read-originals-write-derived',
};

/** The principals Lambda@Edge needs: Lambda to run the function, edgelambda to replicate it. */
export const EDGE_SERVICE_PRINCIPALS = ['lambda.amazonaws.com', 'edgelambda.amazonaws.com'] as const;

export function edgeTrustPolicy(): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'LambdaAndLambdaAtEdge',
        Effect: 'Allow',
        Principal: { Service: [...EDGE_SERVICE_PRINCIPALS] },
        Action: 'sts:AssumeRole',
      },
    ],
  };
}

export function s3Buckets(spec: DistributionSpec): string[] {
  return [...new Set(spec.origins.filter((o): o is S3OriginSpec => o.kind === 's3').map((o) => o.bucket))];
}

/**
 * The permission policy of one function, named `lambdaName` in Lambda (the log group follows the
 * name). Buckets are those of the spec's S3 origins: the same list image-resize's config allows.
 */
export function edgePermissionPolicy(spec: DistributionSpec, fn: FunctionName, lambdaName: string): PolicyDocument {
  const logGroups = [`/aws/lambda/us-east-1.${lambdaName}`, `/aws/lambda/${lambdaName}`];
  const statements: PolicyStatement[] = [
    {
      Sid: 'Logs',
      Effect: 'Allow',
      Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: logGroups.flatMap((group) => [`arn:aws:logs:*:*:log-group:${group}`, `arn:aws:logs:*:*:log-group:${group}:*`]),
    },
  ];
  const buckets = s3Buckets(spec);
  if (S3_ACCESS[fn] === 'read-originals-write-derived' && buckets.length > 0) {
    statements.push(
      {
        Sid: 'ReadImages',
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: buckets.map((bucket) => `arn:aws:s3:::${bucket}/*`),
      },
      {
        Sid: 'WriteDerivedImages',
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: buckets.map((bucket) => `arn:aws:s3:::${bucket}/${DERIVED_PREFIX}*`),
      },
    );
  }
  return { Version: '2012-10-17', Statement: statements };
}
