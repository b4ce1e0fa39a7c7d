/**
 * Originals are sacred, in IAM too: no permission any function holds (the edge functions and the
 * regional derived-cleanup) can write, overwrite or delete an object outside `_derived/`, whatever
 * the spec's buckets. Checked on the documents infra/build/policies.ts builds (what SST attaches and
 * what dist/iam/ ships for the console); test/integration/package.test.ts checks the built files.
 */
import { describe, expect, it } from 'vitest';
import { DISTRIBUTION_ARN_PLACEHOLDER, edgePermissionPolicy, regionalPermissionPolicy, uploadGrantPermissionPolicy } from '../../infra/build/policies.ts';
import type { PolicyDocument, PolicyStatement } from '../../infra/build/policies.ts';
import { distribution } from '../../infra/distribution.ts';
import type { DistributionSpec, FunctionName, RegionalFunctionName } from '../../infra/distribution.ts';
import { list, writesOutsideDerived } from '../support/iam.ts';

const FUNCTIONS = Object.keys(distribution.functions) as FunctionName[];
const REGIONAL = Object.keys(distribution.regionalFunctions) as RegionalFunctionName[];
const DISTRIBUTION_ARN = 'arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE';
/** Every document a regional function may get: the console's (all buckets, placeholder ARN) and SST's (one region, a queue). */
function regionalDocuments(spec: DistributionSpec, fn: RegionalFunctionName): PolicyDocument[] {
  const regions = [...new Set(spec.origins.flatMap((o) => (o.kind === 's3' ? [o.region] : [])))];
  return [
    regionalPermissionPolicy(spec, fn, { lambdaName: `edge-images-${fn}`, distributionArn: DISTRIBUTION_ARN_PLACEHOLDER }),
    ...regions.map((region) =>
      regionalPermissionPolicy(spec, fn, {
        lambdaName: `edge-images-${fn}`,
        distributionArn: DISTRIBUTION_ARN,
        region,
        failureQueueArn: `arn:aws:sqs:${region}:123456789012:q`,
      }),
    ),
  ];
}
const WIDER: DistributionSpec = {
  ...distribution,
  origins: [...distribution.origins, { kind: 's3', id: 'extra', bucket: 'another-bucket', region: 'eu-central-1' }],
};

describe('the edge functions IAM policies', () => {
  it.each(FUNCTIONS)('%s may write objects only under _derived/', (fn) => {
    for (const spec of [distribution, WIDER]) {
      const doc = edgePermissionPolicy(spec, fn, `edge-images-${fn}`);
      expect(writesOutsideDerived(doc)).toEqual([]);
    }
  });

  it.each(REGIONAL)('%s (regional) may write or delete objects only under _derived/', (fn) => {
    for (const spec of [distribution, WIDER]) {
      const docs = regionalDocuments(spec, fn);
      expect(docs.length).toBeGreaterThan(1);
      for (const doc of docs) expect(writesOutsideDerived(doc)).toEqual([]);
    }
  });

  it('derived-cleanup really can list, read and delete under _derived/ of every bucket, invalidate one distribution, nothing more', () => {
    const [all, ...perRegion] = regionalDocuments(WIDER, 'derived-cleanup');
    const buckets = ['edge-images-originals', 'edge-images-originals-eu', 'edge-images-originals-ap', 'another-bucket'];
    const s3 = all!.Statement.filter((s) => list(s.Action).some((a) => a.startsWith('s3:')));
    expect(s3.flatMap((s) => list(s.Action)).sort()).toEqual(['s3:DeleteObject', 's3:GetObject', 's3:ListBucket']);
    const listing = s3.find((s) => list(s.Action).includes('s3:ListBucket'))!;
    expect(list(listing.Resource).sort()).toEqual(buckets.map((b) => `arn:aws:s3:::${b}`).sort());
    // Listing is limited to _derived/ too: the function cannot even enumerate the originals.
    expect(listing.Condition).toEqual({ StringLike: { 's3:prefix': '_derived/*' } });
    const objects = s3.find((s) => list(s.Action).includes('s3:DeleteObject'))!;
    expect(list(objects.Resource).sort()).toEqual(buckets.map((b) => `arn:aws:s3:::${b}/_derived/*`).sort());
    const others = all!.Statement.flatMap((s) => list(s.Action)).filter((a) => !a.startsWith('s3:') && !a.startsWith('logs:'));
    expect(others).toEqual(['cloudfront:CreateInvalidation']);
    expect(all!.Statement.find((s) => list(s.Action).includes('cloudfront:CreateInvalidation'))!.Resource).toBe(DISTRIBUTION_ARN_PLACEHOLDER);
    // SST's copy per region: that region's buckets only, the real distribution, its failure queue.
    const eu = perRegion.find((doc) => JSON.stringify(doc).includes('eu-west-1'))!;
    const euBuckets = eu.Statement.flatMap((s) => list(s.Resource)).filter((r) => r.startsWith('arn:aws:s3:::'));
    expect(euBuckets.sort()).toEqual(['arn:aws:s3:::edge-images-originals-eu', 'arn:aws:s3:::edge-images-originals-eu/_derived/*']);
    expect(eu.Statement.find((s) => list(s.Action).includes('cloudfront:CreateInvalidation'))!.Resource).toBe(DISTRIBUTION_ARN);
    expect(eu.Statement.find((s) => list(s.Action).includes('sqs:SendMessage'))!.Resource).toBe('arn:aws:sqs:eu-west-1:123456789012:q');
    for (const doc of [all!, ...perRegion]) expect(JSON.stringify(doc)).not.toMatch(/"\*"|s3:\*|cloudfront:\*/);
  });

  it('image-resize really can write under _derived/ of every bucket, and read originals, nothing more', () => {
    const doc = edgePermissionPolicy(WIDER, 'image-resize', 'edge-images-image-resize');
    const s3 = doc.Statement.filter((s) => list(s.Action).some((a) => a.startsWith('s3:')));
    const actions = new Set(s3.flatMap((s) => list(s.Action)));
    expect([...actions].sort()).toEqual(['s3:GetObject', 's3:PutObject']);
    const put = s3.find((s) => list(s.Action).includes('s3:PutObject'))!;
    expect(list(put.Resource).sort()).toEqual(
      ['edge-images-originals', 'edge-images-originals-eu', 'edge-images-originals-ap', 'another-bucket'].map((b) => `arn:aws:s3:::${b}/_derived/*`).sort(),
    );
  });

  it('upload-grant signs uploads only under the granted prefixes, records nonces under _derived/, and deletes or reads nothing', () => {
    const doc = uploadGrantPermissionPolicy(distribution, { lambdaName: 'edge-images-upload-grant', bucket: 'edge-images-originals' });
    const outside = writesOutsideDerived(doc);
    // PutObject under uploads/ (the authority a POST policy it signs carries) and under its nonce records in _derived/.
    expect(outside.map((o) => [o.actions, o.resources])).toEqual([
      [['s3:PutObject'], ['arn:aws:s3:::edge-images-originals/uploads/*']],
      [['s3:PutObject'], ['arn:aws:s3:::edge-images-originals/_derived/_upload-nonces/*']],
    ]);
    const actions = doc.Statement.flatMap((s) => list(s.Action)).filter((a) => !a.startsWith('logs:'));
    expect(actions).toEqual(['s3:PutObject', 's3:PutObject']);
    expect(JSON.stringify(doc)).not.toMatch(/"\*"|s3:\*|edge-images-originals\/\*/);
  });

  it('the checker itself catches what it must', () => {
    const bad = (statement: PolicyStatement) => writesOutsideDerived({ Version: '2012-10-17', Statement: [statement] });
    expect(bad({ Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::b/*' })).toHaveLength(1);
    expect(bad({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/_derived/*' })).toHaveLength(0);
    expect(bad({ Effect: 'Allow', Action: 's3:*', Resource: '*' })).toHaveLength(1);
    expect(bad({ Effect: 'Allow', Action: '*', Resource: 'arn:aws:s3:::b/photos/*' })).toHaveLength(1);
    expect(bad({ Effect: 'Allow', Action: 's3:delete*', Resource: 'arn:aws:s3:::b/*' })).toHaveLength(1);
    expect(bad({ Effect: 'Allow', Action: 's3:Put*', Resource: 'arn:aws:s3:::b/_derived*' })).toHaveLength(1);
    expect(bad({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' })).toHaveLength(0);
    expect(bad({ Effect: 'Deny', Action: 's3:*', Resource: '*' })).toHaveLength(0);
    expect(bad({ Effect: 'Allow', NotAction: 's3:GetObject', Resource: '*' } as unknown as PolicyStatement)).toHaveLength(1);
    expect(bad({ Effect: 'Allow', Action: ['s3:GetObject', 's3:DeleteObject'], Resource: ['arn:aws:s3:::b/_derived/*', 'arn:aws:s3:::b/*'] })).toHaveLength(1);
    expect(bad({ Effect: 'Allow', Action: 's3:DeleteObject', Resource: 'arn:aws:s3:::b/photos/_derived/*' })).toHaveLength(1);
    expect(bad({ Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::b' })).toHaveLength(0);
  });
});
