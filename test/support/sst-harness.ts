// biome-ignore-all lint/suspicious/noExplicitAny: Pulumi hands the mocks untyped JSON, and SST's Vpc and Cluster classes are only typed where sst.config.ts passes them
/**
 * SST's own components under Pulumi's mocks, for the infra test and the resource plan: no AWS account,
 * no SST CLI. Three things stand in for what `sst deploy` provides:
 *
 * - the globals SST's components read, as SST's shim defines them (.sst/platform/src/shim/run.js:
 *   $util, $output, $resolve, $interpolate, $concat, $jsonParse, $jsonStringify...) plus $app, $dev
 *   and $cli (.sst/platform/src/global.d.ts);
 * - the SST CLI's RPC server (SST_SERVER, .sst/platform/src/components/rpc/rpc.ts), a node:http
 *   server here answering what this stack's components ask: Provider.Aws.Bootstrap (SST's per-region
 *   asset bucket and ECR repository, which a real deploy creates once per account and region);
 * - answers to the data-source calls SST's components make (getRegion, getPartition,
 *   getPolicyDocument rendered as IAM JSON, getZone, getAvailabilityZones, getManagedPrefixList).
 *
 * The components are SST's real classes from .sst/platform (made by `npm run typecheck:infra`, which
 * `npm test` runs first); vitest.config.ts makes them share one copy of Pulumi with the tests.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import type { SstComponents } from '../../infra/sst-components.ts';

interface Recorded {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>;
  readonly provider?: string;
  readonly urn: string;
  readonly state: Record<string, any>;
}

export interface SstHarness {
  readonly sst: SstComponents<any, any>;
  /** Every resource registered since the last `take()`. */
  take(): Recorded[];
  /** Resolves once Pulumi has no registration or call in flight (children made inside applies included). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly app: string;
  readonly stage: string;
  readonly account: string;
  /** Output properties AWS would fill in for a resource (ids, ARNs, names), by type. */
  readonly stateOf: (type: string, name: string, inputs: Record<string, any>, region: string) => Record<string, any>;
  /** Route 53 hosted zones by id: their domain names (SST checks a record's name against its zone's). */
  readonly zones?: Readonly<Record<string, string>>;
}

const root = path.resolve(import.meta.dirname, '..', '..');
const platform = path.join(root, '.sst', 'platform');

/** IAM JSON of aws.iam.getPolicyDocument's statements (what AWS's data source would render). */
function policyDocument(inputs: Record<string, any>): string {
  const list = (v: unknown) => (Array.isArray(v) && v.length === 1 ? v[0] : v);
  const statements = ((inputs['statements'] ?? []) as Record<string, any>[]).map((s) => ({
    ...(s['sid'] ? { Sid: s['sid'] } : {}),
    Effect: s['effect'] ?? 'Allow',
    ...(s['principals']
      ? { Principal: Object.fromEntries((s['principals'] as { type: string; identifiers: string[] }[]).map((p) => [p.type, list(p.identifiers)])) }
      : {}),
    Action: list(s['actions']),
    Resource: list(s['resources']),
    ...(s['conditions']
      ? {
          Condition: Object.fromEntries(
            (s['conditions'] as { test: string; variable: string; values: string[] }[]).map((c) => [c.test, { [c.variable]: list(c.values) }]),
          ),
        }
      : {}),
  }));
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

export async function startSstHarness(options: HarnessOptions): Promise<SstHarness> {
  const util = pulumi;
  Object.assign(globalThis, {
    $util: util,
    $output: util.output,
    $resolve: util.all,
    $interpolate: util.interpolate,
    $concat: util.concat,
    $jsonParse: util.jsonParse,
    $jsonStringify: util.jsonStringify,
    $secrets: {},
    $dev: false,
    $app: { name: options.app, stage: options.stage, removal: 'remove', protect: false, providers: {} },
    $cli: {
      command: 'deploy',
      rpc: '',
      home: 'aws',
      paths: { home: path.join(root, '.sst'), root, work: path.join(root, '.sst'), platform },
      state: { version: {} },
    },
  });

  // The SST CLI's RPC server, as far as this stack asks it.
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const { method, params } = JSON.parse(body) as { method: string; params: [Record<string, any>] };
      const region = params[0]?.['region'] ?? 'us-east-1';
      const answers: Record<string, unknown> = {
        'Provider.Aws.Bootstrap': {
          asset: `sst-asset-${options.account}-${region}`,
          assetEcrRegistryId: options.account,
          assetEcrUrl: `${options.account}.dkr.ecr.${region}.amazonaws.com/sst-asset`,
          state: `sst-state-${options.account}-${region}`,
          appsyncHttp: '',
          appsyncRealtime: '',
        },
      };
      res.setHeader('content-type', 'application/json');
      if (method in answers) res.end(JSON.stringify({ result: answers[method], error: null }));
      else
        res.end(
          JSON.stringify({ result: null, error: `rpc: can't find method ${method} (test/support/sst-harness.ts answers ${Object.keys(answers).join(', ')})` }),
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.env['SST_SERVER'] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let recorded: Recorded[] = [];
  const all: Recorded[] = [];
  const regionOf = (provider: string | undefined) => {
    const found = all.find((p) => p.type === 'pulumi:providers:aws' && provider?.startsWith(`${p.urn}::`));
    return (found?.inputs['region'] as string | undefined) ?? 'us-east-1';
  };
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const region = regionOf(args.provider);
        const state = { ...args.inputs, ...options.stateOf(args.type, args.name, args.inputs, region) };
        const urn = `urn:pulumi:${options.stage}::${options.app}::${args.type}::${args.name}`;
        const entry: Recorded = { type: args.type, name: args.name, inputs: args.inputs, ...(args.provider ? { provider: args.provider } : {}), urn, state };
        recorded.push(entry);
        all.push(entry);
        return { id: `${args.name}-id`, state };
      },
      call(args) {
        const region = regionOf(args.provider);
        switch (args.token) {
          case 'aws:index/getCallerIdentity:getCallerIdentity':
            return { accountId: options.account, arn: `arn:aws:iam::${options.account}:user/deployer`, userId: 'AIDATEST', id: options.account };
          case 'aws:index/getRegion:getRegion':
            return { name: region, region, id: region };
          case 'aws:index/getPartition:getPartition':
            return { partition: 'aws', dnsSuffix: 'amazonaws.com', id: 'aws' };
          case 'aws:iam/getPolicyDocument:getPolicyDocument':
            return { json: policyDocument(args.inputs), statements: args.inputs['statements'] ?? [], id: 'policy' };
          case 'aws:route53/getZone:getZone':
            return { zoneId: args.inputs['zoneId'], name: options.zones?.[String(args.inputs['zoneId'])] ?? '', id: args.inputs['zoneId'] };
          case 'aws:index/getAvailabilityZones:getAvailabilityZones':
            return { names: ['a', 'b', 'c'].map((z) => `${region}${z}`), zoneIds: ['1', '2', '3'].map((z) => `az${z}`), id: region };
          case 'aws:ec2/getManagedPrefixList:getManagedPrefixList':
            return { id: `pl-cloudfront-${region}`, name: args.inputs['name'] };
          default:
            return args.inputs;
        }
      },
    },
    options.app,
    options.stage,
    false,
  );

  // SST's aws components, as `sst.aws` in sst.config.ts (a computed path: tsc does not follow it).
  const entry = path.join(platform, 'src', 'components', 'aws', 'index.ts');
  const aws = (await import(/* @vite-ignore */ entry)) as SstComponents<any, any>;
  const waitForRPCs = (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs;

  return {
    sst: aws,
    take() {
      const taken = recorded;
      recorded = [];
      return taken;
    },
    async settle() {
      await waitForRPCs();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
