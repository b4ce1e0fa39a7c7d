/**
 * IAM policy documents for the edge functions and the regional derived-cleanup, as plain JSON:
 * written to dist/iam/ for the console and used by infra/iam.ts for SST, so both paths grant the
 * same thing.
 *
 * Least privilege: every function may write its own logs (Lambda@Edge writes them in the region
 * where it ran, to `/aws/lambda/us-east-1.<name>`); only functions listed in S3_ACCESS touch S3, and
 * then only GetObject on the distribution's buckets and PutObject under `_derived/`.
 * derived-cleanup lists, reads and deletes under `_derived/` only and invalidates one distribution:
 * no function can write or delete an original (test/integration/sacred-iam.test.ts).
 */
import { DERIVED_PREFIX } from '../../functions/core/keys.ts';
import type { DistributionSpec, FunctionName, RegionalFunctionName, S3OriginSpec } from '../distribution.ts';

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
type S3Access = 'read-originals-write-derived';

const S3_ACCESS: Readonly<Partial<Record<FunctionName, S3Access>>> = {
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

function s3Buckets(spec: DistributionSpec): string[] {
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

// ---------------------------------------------------------------------------------------------
// Regional functions (derived-cleanup)

/** Regional functions never run at the edge: Lambda alone assumes their role. */
export const REGIONAL_SERVICE_PRINCIPALS = ['lambda.amazonaws.com'] as const;

export function regionalTrustPolicy(): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Sid: 'Lambda', Effect: 'Allow', Principal: { Service: [...REGIONAL_SERVICE_PRINCIPALS] }, Action: 'sts:AssumeRole' }],
  };
}

/**
 * What dist/iam/derived-cleanup-permissions.json names as the distribution: `npm run package` runs
 * before the distribution exists. The operator puts the real ARN in (README, console step 6); left
 * as it is, the function may invalidate nothing (its events fail and are retried, then dropped).
 */
export const DISTRIBUTION_ARN_PLACEHOLDER = 'arn:aws:cloudfront::<account-id>:distribution/<distribution-id>';

export interface RegionalPolicyOptions {
  /** The Lambda function name (the log group follows it). */
  readonly lambdaName: string;
  /** The CloudFront distribution whose cache it invalidates (`arn:aws:cloudfront::<account>:distribution/<id>`). */
  readonly distributionArn: string;
  /** The function's region: only that region's buckets (S3 notifies functions of its own region only). Default: every bucket. */
  readonly region?: string;
  /** The SQS queue of its on-failure destination, when it has one. */
  readonly failureQueueArn?: string;
}

/** The buckets of the spec's S3 origins, of one region when given. */
function s3BucketsIn(spec: DistributionSpec, region?: string): string[] {
  const origins = spec.origins.filter((o): o is S3OriginSpec => o.kind === 's3' && (region === undefined || o.region === region));
  return [...new Set(origins.map((o) => o.bucket))];
}

/**
 * The permission policy of a regional function. derived-cleanup: list `_derived/` (s3:ListBucket with
 * an `s3:prefix` condition), read the variants' metadata (HeadObject needs s3:GetObject) and delete
 * them, under `_derived/*` only; CreateInvalidation on the one distribution; its own logs; and
 * SendMessage to its failure queue when it has one. Nothing on an original.
 */
export function regionalPermissionPolicy(spec: DistributionSpec, fn: RegionalFunctionName, options: RegionalPolicyOptions): PolicyDocument {
  const region = options.region ?? '*';
  const group = `/aws/lambda/${options.lambdaName}`;
  const statements: PolicyStatement[] = [
    {
      Sid: 'Logs',
      Effect: 'Allow',
      Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: [`arn:aws:logs:${region}:*:log-group:${group}`, `arn:aws:logs:${region}:*:log-group:${group}:*`],
    },
  ];
  const buckets = s3BucketsIn(spec, options.region);
  if (fn === 'derived-cleanup' && buckets.length > 0) {
    statements.push(
      {
        Sid: 'ListDerivedImages',
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: buckets.map((bucket) => `arn:aws:s3:::${bucket}`),
        Condition: { StringLike: { 's3:prefix': `${DERIVED_PREFIX}*` } },
      },
      {
        Sid: 'ReadAndDeleteDerivedImages',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:DeleteObject'],
        Resource: buckets.map((bucket) => `arn:aws:s3:::${bucket}/${DERIVED_PREFIX}*`),
      },
    );
  }
  if (fn === 'derived-cleanup') {
    statements.push({ Sid: 'InvalidateTheDistribution', Effect: 'Allow', Action: 'cloudfront:CreateInvalidation', Resource: options.distributionArn });
  }
  if (options.failureQueueArn !== undefined) {
    statements.push({ Sid: 'ReportFailedEvents', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: options.failureQueueArn });
  }
  return { Version: '2012-10-17', Statement: statements };
}

/**
 * upload-grant's permission policy. The POST policies it signs carry its role's authority, so the
 * role may put objects only where a grant may send them: under uploads.allowedPrefixes of the
 * originals' bucket (never `_derived/`), plus its own nonce records under `_derived/_upload-nonces/`
 * (the conditional write that detects a replayed token); its own logs. No read, no delete.
 */
export function uploadGrantPermissionPolicy(spec: DistributionSpec, options: { lambdaName: string; bucket: string; region?: string }): PolicyDocument {
  const region = options.region ?? '*';
  const group = `/aws/lambda/${options.lambdaName}`;
  const prefixes = spec.uploads?.allowedPrefixes ?? [];
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'Logs',
        Effect: 'Allow',
        Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: [`arn:aws:logs:${region}:*:log-group:${group}`, `arn:aws:logs:${region}:*:log-group:${group}:*`],
      },
      {
        Sid: 'SignUploadsUnderGrantedPrefixes',
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: prefixes.map((p) => `arn:aws:s3:::${options.bucket}/${p}*`),
      },
      { Sid: 'RecordTokenNonces', Effect: 'Allow', Action: 's3:PutObject', Resource: `arn:aws:s3:::${options.bucket}/${DERIVED_PREFIX}_upload-nonces/*` },
    ],
  };
}
