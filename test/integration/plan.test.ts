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
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageFunctions } from '../../infra/build/package.ts';
import { distribution } from '../../infra/distribution.ts';
import { deployOptionsFromStage, stageOverrides } from '../../infra/options.ts';
import { loadStage } from '../../infra/stages/load.ts';
import { startSstHarness } from '../support/sst-harness.ts';
import type { SstHarness } from '../support/sst-harness.ts';

interface Registered {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
  readonly provider?: string;
}

const root = path.resolve(import.meta.dirname, '../..');
const ACCOUNT = '111122223333';
let work = '';

/** What AWS would answer for the outputs other resources read (ids, ARNs, names). */
// biome-ignore lint/suspicious/noExplicitAny: the inputs Pulumi hands to the mocks are untyped JSON
function outputsOf(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
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
    case 'docker-build:index:Image':
      return { digest: 'sha256:0000000000000000000000000000000000000000000000000000000000000000', ref: `${name}:latest` };
    case 'aws:lb/loadBalancer:LoadBalancer':
      return {
        arn: `arn:aws:elasticloadbalancing:region:${ACCOUNT}:loadbalancer/app/${name}/0`,
        dnsName: `${name}.elb.amazonaws.com`,
        zoneId: 'Z32O12XQLNTSW2',
      };
    default:
      return {};
  }
}

let harness: SstHarness;
beforeAll(async () => {
  harness = await startSstHarness({
    app: 'edge-images',
    stage: 'sample',
    account: ACCOUNT,
    stateOf: outputsOf,
    zones: { Z0SAMPLEZONE42: 'northwind-photos.com' },
  });
});
afterAll(async () => {
  await harness?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Inputs that change with every edit of a function's code, not with the graph. */
const VOLATILE = new Set(['code', 'sourceCodeHash', '__defaults']);

/** Pulumi's marker of a secret value in serialized inputs: the plan shows what is inside. */
const SECRET_SIG = '4dabf18193072939515e22adb298388d';

function render(value: unknown): string {
  if (value !== null && typeof value === 'object' && SECRET_SIG in value) return render((value as unknown as { value: unknown }).value);
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
  // Paths on this machine (the image's build context) would differ on the next one, and SST ends
  // some physical names (its camel-cased logical name) with 8 random letters of PRETTY_CHARS
  // (physicalName in .sst/platform/src/components/naming.ts; a real stage keeps them in its state).
  return lines
    .join('\n')
    .replaceAll(root, '<repository>')
    .replace(new RegExp(`(${stage}-[A-Za-z0-9]+|[A-Za-z0-9]*[A-Z][A-Za-z0-9]*)-[abcdefhkmnorstuvwxz]{8}\\b`, 'g'), '$1-<random>');
}

describe('the resource plan of the sample stage', () => {
  it('matches infra/stages/sample.plan.md (npm run plan refreshes it)', async () => {
    const { createEdgeImages } = await import('../../infra/edge-images.ts');
    const stage = await loadStage(root, 'sample');
    const options = deployOptionsFromStage(stage.config, { app: 'edge-images', stage: 'sample', root, dev: false, account: ACCOUNT });
    work = await mkdtemp(path.join(tmpdir(), 'edge-images-plan-'));
    const manifest = await packageFunctions({ root, outDir: work, spec: distribution, overrides: stageOverrides(distribution, options) });
    // The stage's upload token key is an SST secret; the plan shows this stand-in.
    const stack = createEdgeImages(distribution, options, {
      artifacts: { dir: work, manifest },
      sst: harness.sst,
      uploadGrantKey: '<sst secret UploadGrantKey>',
    });
    await harness.settle();
    const resources = harness.take();
    const plan = renderPlan('sample', resources);
    // The deployed image origin: HTTPS 443 from CloudFront's origin-facing servers only, checked on
    // /healthz, 2 to 10 tasks, reading the EU replica and writing only its _derived/ keys.
    const of = (type: string) => resources.filter((r) => r.type === type);
    const guard = of('aws:ec2/securityGroup:SecurityGroup').find((r) => r.name.endsWith('LoadBalancerSecurityGroup'));
    expect(guard?.inputs['ingress']).toEqual([{ protocol: 'tcp', fromPort: 443, toPort: 443, prefixListIds: ['pl-cloudfront-eu-west-1'] }]);
    expect(of('aws:lb/listener:Listener').map((l) => [l.inputs['port'], l.inputs['protocol']])).toEqual([[443, 'HTTPS']]);
    expect(of('aws:lb/targetGroup:TargetGroup').map((t) => t.inputs['healthCheck'])).toEqual([expect.objectContaining({ path: '/healthz', matcher: '200' })]);
    expect(of('aws:appautoscaling/target:Target').map((t) => [t.inputs['minCapacity'], t.inputs['maxCapacity']])).toEqual([[2, 10]]);
    const taskRole = of('aws:iam/role:Role').find((r) => r.name === 'image-originTaskRole');
    const statements = JSON.parse(taskRole?.inputs['inlinePolicies'][0].policy).Statement;
    const bucket = `arn:aws:s3:::edge-images-originals-eu-sample-${ACCOUNT}-eu-west-1`;
    expect(statements.filter((st: { Action: string }) => String(st.Action).startsWith('s3:'))).toEqual([
      expect.objectContaining({ Effect: 'Allow', Action: 's3:GetObject', Resource: `${bucket}/*` }),
      expect.objectContaining({ Effect: 'Allow', Action: 's3:PutObject', Resource: `${bucket}/_derived/*` }),
    ]);
    // The graph is the sample stage's: its buckets, its domain, its origins.
    expect(plan).toContain(`"edge-images-originals-sample-${ACCOUNT}-us-east-1"`);
    expect(plan).toContain('"img.northwind-photos.com"');
    expect(plan).toContain('origin.img.northwind-photos.com');
    expect(plan).not.toContain('example.com');
    // Browser uploads: acceleration on the originals bucket, the grant behind its function URL, its
    // role writing only under uploads/ and its nonce records.
    expect(of('aws:s3/bucketAccelerateConfiguration:BucketAccelerateConfiguration').map((a) => a.inputs['status'])).toEqual(['Enabled']);
    expect(of('aws:lambda/functionUrl:FunctionUrl').map((u) => u.inputs['authorizationType'])).toEqual(['NONE']);
    expect(stack.uploadGrant).toBeDefined();
    const grantPolicy = JSON.parse(String(of('aws:iam/rolePolicy:RolePolicy').find((p) => p.name === 'upload-grant-policy')?.inputs['policy'])).Statement;
    expect(grantPolicy.filter((st: { Action: string }) => st.Action === 's3:PutObject').map((st: { Resource: unknown }) => st.Resource)).toEqual([
      [`arn:aws:s3:::edge-images-originals-sample-${ACCOUNT}-us-east-1/uploads/*`],
      `arn:aws:s3:::edge-images-originals-sample-${ACCOUNT}-us-east-1/_derived/_upload-nonces/*`,
    ]);
    await expect(plan).toMatchFileSnapshot('../../infra/stages/sample.plan.md');
  });
});
