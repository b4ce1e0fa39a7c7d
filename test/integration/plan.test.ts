/**
 * The resource plan: the whole resource graph of the sample stage (infra/stages/sample.ts), rendered
 * under Pulumi's mocks into infra/stages/sample.plan.md, committed, so a reviewer sees what a change
 * deploys. This test fails when a change alters the graph without the plan being refreshed:
 *   npm run plan        (vitest run test/integration/plan.test.ts --update)
 * Left out of the plan, as they change with every edit of a function: the zips and their hashes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageFunctions } from '../../infra/build/package.ts';
import { distribution } from '../../infra/distribution.ts';
import type { EdgeImages } from '../../infra/edge-images.ts';
import { deployOptionsFromStage, stageOverrides } from '../../infra/options.ts';
import { loadStage } from '../../infra/stages/load.ts';

interface Registered {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
  readonly provider?: string;
}

const root = path.resolve(import.meta.dirname, '../..');
const ACCOUNT = '111122223333';
const registered: Registered[] = [];
let work = '';

/** What AWS would answer for the outputs other resources read (ids, ARNs, names). */
// biome-ignore lint/suspicious/noExplicitAny: the inputs Pulumi hands to the mocks are untyped JSON
function outputsOf(type: string, name: string, inputs: Record<string, any>): Record<string, unknown> {
  switch (type) {
    case 'aws:s3/bucket:Bucket':
      return { arn: `arn:aws:s3:::${inputs['bucket']}`, bucket: inputs['bucket'] };
    case 'aws:iam/role:Role':
      return { arn: `arn:aws:iam::${ACCOUNT}:role/${name}`, name };
    case 'aws:lambda/function:Function':
      return {
        arn: `arn:aws:lambda:region:${ACCOUNT}:function:${inputs['name']}`,
        version: '1',
        qualifiedArn: `arn:aws:lambda:region:${ACCOUNT}:function:${inputs['name']}:1`,
      };
    case 'aws:sqs/queue:Queue':
      return { arn: `arn:aws:sqs:region:${ACCOUNT}:${inputs['name']}`, url: `https://sqs.region.amazonaws.com/${ACCOUNT}/${inputs['name']}` };
    case 'aws:cloudfront/distribution:Distribution':
      return { arn: `arn:aws:cloudfront::${ACCOUNT}:distribution/EDISTRIBUTION`, domainName: 'd111111abcdef8.cloudfront.net', hostedZoneId: 'Z2FDTNDATAQYW2' };
    case 'aws:cloudfront/originAccessIdentity:OriginAccessIdentity':
      return {
        iamArn: 'arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity EOAI',
        cloudfrontAccessIdentityPath: 'origin-access-identity/cloudfront/EOAI',
      };
    case 'aws:acm/certificate:Certificate':
      return {
        arn: `arn:aws:acm:us-east-1:${ACCOUNT}:certificate/sample`,
        domainValidationOptions: [inputs['domainName'], ...(inputs['subjectAlternativeNames'] ?? [])].map((domainName: string) => ({
          domainName,
          resourceRecordName: `_v.${domainName}.`,
          resourceRecordType: 'CNAME',
          resourceRecordValue: '_v.acm-validations.aws.',
        })),
      };
    case 'aws:acm/certificateValidation:CertificateValidation':
      return { certificateArn: inputs['certificateArn'] };
    case 'aws:route53/record:Record':
      return { fqdn: String(inputs['name']).replace(/\.$/, '') };
    default:
      return {};
  }
}

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs, ...(args.provider ? { provider: args.provider } : {}) });
        return { id: `${args.name}-id`, state: { ...args.inputs, ...outputsOf(args.type, args.name, args.inputs) } };
      },
      call(args) {
        if (args.token === 'aws:index/getCallerIdentity:getCallerIdentity')
          return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/deployer`, userId: 'AIDA', id: ACCOUNT };
        return args.inputs;
      },
    },
    'edge-images',
    'sample',
    false,
  );
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** Every resource of the stack, so the test waits until all are registered. */
function resourcesOf(stack: EdgeImages): pulumi.Resource[] {
  const all: pulumi.Resource[] = [];
  for (const b of stack.buckets.byOrigin.values()) all.push(b.bucket, ...b.ready);
  if (stack.buckets.replication) all.push(stack.buckets.replication);
  for (const f of stack.functions.values()) all.push(f.lambda, f.role.role, f.role.policy);
  if (stack.cdn)
    all.push(
      stack.cdn.distribution,
      stack.cdn.responseHeadersPolicy,
      ...stack.cdn.bucketPolicies,
      ...stack.cdn.cachePolicies,
      ...stack.cdn.originRequestPolicies,
    );
  if (stack.dns) all.push(...stack.dns.aliases, ...stack.dns.geo, ...stack.dns.healthChecks);
  for (const c of stack.derivedCleanup?.byRegion.values() ?? [])
    all.push(c.lambda, c.role.role, c.role.policy, c.failures, c.invokeConfig, ...c.permissions, ...c.notifications);
  return all;
}

/** Inputs that change with every edit of a function's code, not with the graph. */
const VOLATILE = new Set(['code', 'sourceCodeHash', '__defaults']);

function render(value: unknown): string {
  if (typeof value === 'string' && /^[[{]/.test(value)) {
    try {
      return JSON.stringify(JSON.parse(value));
    } catch {
      return JSON.stringify(value);
    }
  }
  return JSON.stringify(value);
}

function renderPlan(stage: string, resources: readonly Registered[]): string {
  const regionOf = (provider: string | undefined) => {
    const p = resources.find((r) => r.type === 'pulumi:providers:aws' && provider?.includes(`::${r.name}::`));
    return (p?.inputs['region'] as string | undefined) ?? 'default provider';
  };
  const sorted = [...resources].sort((a, b) => a.type.localeCompare(b.type) || a.name.localeCompare(b.name));
  const lines = [
    `# Resource plan of stage \`${stage}\``,
    '',
    `Rendered by test/integration/plan.test.ts under Pulumi's mocks from infra/stages/${stage}.ts (account ${ACCOUNT}). Refresh with`,
    '`npm run plan` after a change to infra/: the diff of this file is what the change deploys.',
    `${sorted.length} resources.`,
    '',
  ];
  for (const r of sorted) {
    lines.push(`## ${r.type} \`${r.name}\`${r.type.startsWith('pulumi:providers:') ? '' : ` (${regionOf(r.provider)})`}`);
    for (const key of Object.keys(r.inputs).sort()) {
      if (VOLATILE.has(key)) continue;
      lines.push(`- ${key}: ${render(r.inputs[key])}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

describe('the resource plan of the sample stage', () => {
  it('matches infra/stages/sample.plan.md (npm run plan refreshes it)', async () => {
    const { createEdgeImages } = await import('../../infra/edge-images.ts');
    const stage = await loadStage(root, 'sample');
    const options = deployOptionsFromStage(stage.config, { app: 'edge-images', stage: 'sample', root, dev: false, account: ACCOUNT });
    work = await mkdtemp(path.join(tmpdir(), 'edge-images-plan-'));
    const manifest = await packageFunctions({ root, outDir: work, spec: distribution, overrides: stageOverrides(distribution, options) });
    const stack = createEdgeImages(distribution, options, { artifacts: { dir: work, manifest } });
    await new Promise<void>((resolve) => pulumi.all(resourcesOf(stack).map((r) => r.urn)).apply(() => resolve()));
    const plan = renderPlan('sample', registered);
    // The graph is the sample stage's: its buckets, its domain, its origins.
    expect(plan).toContain(`"edge-images-originals-sample-${ACCOUNT}-us-east-1"`);
    expect(plan).toContain('"img.northwind-photos.com"');
    expect(plan).toContain('origin.img.northwind-photos.com');
    expect(plan).not.toContain('example.com');
    await expect(plan).toMatchFileSnapshot('../../infra/stages/sample.plan.md');
  });
});
