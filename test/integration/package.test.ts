/**
 * `npm run package` as an operator uses it: the zips are built from distribution.ts, each one unzips
 * into a folder outside the project, and a fresh `node` loads its handler with only what the zip
 * holds and answers a captured CloudFront event. The resize zip carries sharp for linux-x64 glibc and
 * the AWS SDK, and makes a real thumbnail against s3rver (reached through the SDK's standard endpoint
 * variables: the deployed code is unchanged). The regional derived-cleanup zip answers an S3 event
 * notification with DISTRIBUTION_ID set, and touches no network for a `_derived/` key.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { CloudFrontRequestEvent, CloudFrontResponseEvent, S3Event } from 'aws-lambda';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateResult } from '../../infra/local/cloudfront-validate.ts';
import { distribution } from '../../infra/distribution.ts';
import type { EventType, FunctionName } from '../../infra/distribution.ts';
import type { PackagedFunctionName } from '../../infra/build/bundle.ts';
import { EDGE_HANDLER, EDGE_RUNTIME, REGIONAL_LIMITS, VIEWER_LIMITS, functionNames, isViewerEvent, slotsOf } from '../../infra/build/limits.ts';
import { loadCloudFrontFunction } from '../../infra/local/cloudfront-sandbox.ts';
import { functionViewerRequestEvent, viewerRequestEvent } from '../../infra/local/cloudfront-events.ts';
import type { Manifest, ManifestFunction } from '../../infra/build/manifest.ts';
import { bucketRegions, packageFunctions } from '../../infra/build/package.ts';
import { DISTRIBUTION_ARN_PLACEHOLDER, EDGE_SERVICE_PRINCIPALS, REGIONAL_SERVICE_PRINCIPALS } from '../../infra/build/policies.ts';
import type { PolicyDocument } from '../../infra/build/policies.ts';
import { invoke, unzipTo } from '../../infra/build/try-zip.ts';
import { buildStageArtifacts, stageFiles } from '../../infra/artifacts.ts';
import { makeStageKeys } from '../../infra/tools/keys.ts';
import { startLocalS3 } from '../../infra/local/s3.ts';
import { primaryS3Origin, stageOverrides } from '../../infra/options.ts';
import type { LocalS3 } from '../../infra/local/s3.ts';
import { writesOutsideDerived } from '../support/iam.ts';
import { s3Event } from '../support/s3-event.ts';

const root = path.resolve(import.meta.dirname, '../..');
let work: string;
let out: string;
let manifest: Manifest;
const unzipped = new Map<PackagedFunctionName, { dir: string; files: string[] }>();

/** A captured event for the event a function runs on (viewer-response: none captured yet). */
const EVENT_FIXTURES: Partial<Record<EventType, string>> = {
  'viewer-request': 'fixtures/events/viewer-request-thumbnail.json',
  'origin-request': 'fixtures/events/origin-request-s3.json',
  'origin-response': 'fixtures/events/origin-response-200-derived.json',
};

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'edge-images-package-'));
  out = path.join(work, 'dist');
  manifest = await packageFunctions({ root, outDir: out, local: true });
  for (const f of [...manifest.functions, ...manifest.regionalFunctions]) {
    const dir = path.join(work, 'unzipped', f.function);
    unzipped.set(f.function, { dir, files: await unzipTo(path.join(out, f.zip), dir) });
  }
}, 240_000);
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const entry = (fn: FunctionName): ManifestFunction => manifest.functions.find((f) => f.function === fn)!;

describe('npm run package', () => {
  it('packages every function of the distribution, with the manifest describing each zip', async () => {
    expect(manifest.functions.map((f) => f.function)).toEqual(functionNames(distribution));
    for (const f of manifest.functions) {
      const zip = await readFile(path.join(out, f.zip));
      expect(f.zipBytes).toBe(zip.byteLength);
      expect(f.sha256).toBe(createHash('sha256').update(zip).digest('hex'));
      expect(f.codeSha256).toBe(createHash('sha256').update(zip).digest('base64'));
      expect(f).toMatchObject({ runtime: EDGE_RUNTIME, architecture: 'x86_64', handler: EDGE_HANDLER });
      expect(f.memoryMb).toBe(distribution.functions[f.function].memoryMb);
      expect(f.timeoutSeconds).toBe(distribution.functions[f.function].timeoutSeconds);
      expect(f.zipBytes).toBeLessThanOrEqual(f.zipLimitBytes);
    }
    expect(JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8'))).toEqual(manifest);
  });

  it('writes image-request as a CloudFront Function ready to paste, listed in the manifest with its size', async () => {
    expect(manifest.cloudFrontFunctions).toHaveLength(1);
    const f = manifest.cloudFrontFunctions![0]!;
    const code = await readFile(path.join(out, f.file), 'utf8');
    expect(f).toMatchObject({
      kind: 'cloudfront-function',
      function: 'image-request',
      runtime: 'cloudfront-js-2.0',
      eventType: 'viewer-request',
      behaviors: ['*'],
      limitBytes: 10000,
    });
    expect(f.bytes).toBe(Buffer.byteLength(code));
    expect(f.bytes).toBeLessThanOrEqual(f.limitBytes);
    expect(f.sha256).toBe(createHash('sha256').update(code).digest('hex'));
    // The file as an operator pastes it, run as CloudFront would (the local cloudfront-js-2.0 sandbox).
    const outcome = await loadCloudFrontFunction(code).run(
      functionViewerRequestEvent(
        viewerRequestEvent({
          uri: '/128x128/photos/cat.jpg',
          headers: { accept: [{ key: 'Accept', value: 'image/avif,image/webp,*/*' }] },
          clientIp: '192.0.2.1',
          requestId: 'pkg',
        }),
      ),
    );
    expect(outcome).toMatchObject({ ok: true, kind: 'request', request: { uri: '/_derived/photos/cat.jpg/128x128-cover-q75.avif' } });
  });

  it('keeps viewer zips to the bundle alone, well under the 1 MB viewer limit', () => {
    const viewers = manifest.functions.filter((f) => slotsOf(distribution, f.function).some(isViewerEvent));
    expect(viewers.length).toBeGreaterThan(0);
    for (const f of viewers) {
      expect(f.zipLimitBytes).toBe(VIEWER_LIMITS.zipBytes);
      expect(f.zipBytes).toBeLessThan(VIEWER_LIMITS.zipBytes / 4);
      expect(unzipped.get(f.function)!.files).toEqual(['index.js']);
      expect(f.nodeModules).toEqual([]);
    }
  });

  it('ships sharp for linux-x64 glibc inside the resize zip, and nothing it does not need', () => {
    const files = unzipped.get('image-resize')!.files;
    expect(files).toContain('index.js');
    // The render process image-resize forks and kills past a render's budget.
    expect(files).toContain('render-worker.js');
    expect(files).toContain('node_modules/sharp/package.json');
    expect(files.some((f) => /^node_modules\/@img\/sharp-linux-x64\/lib\/sharp-linux-x64.*\.node$/.test(f))).toBe(true);
    expect(files.some((f) => /^node_modules\/@img\/sharp-libvips-linux-x64\/lib\/libvips-cpp\.so/.test(f))).toBe(true);
    expect(files.filter((f) => /darwin|win32|musl|arm64|wasm/.test(f))).toEqual([]);
    expect(files.filter((f) => /\.d\.ts$|README|\/src\/|\/include\//.test(f))).toEqual([]);
    // No AWS SDK in node_modules: it is bundled into index.js.
    expect(files.filter((f) => f.startsWith('node_modules/@aws-sdk/'))).toEqual([]);
    expect(entry('image-resize').zipBytes).toBeLessThan(15 * 1024 * 1024);
  });

  it('writes the trust and permission policies for the console', async () => {
    const trust = JSON.parse(await readFile(path.join(out, 'iam/trust-policy.json'), 'utf8'));
    expect(trust.Statement[0].Principal.Service).toEqual([...EDGE_SERVICE_PRINCIPALS]);
    expect(trust.Statement[0].Action).toBe('sts:AssumeRole');
    const resize = JSON.parse(await readFile(path.join(out, entry('image-resize').iam.permissions), 'utf8'));
    const actions = resize.Statement.flatMap((s: { Action: string | string[] }) => [s.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['s3:GetObject', 's3:PutObject', 'logs:PutLogEvents']));
    const put = resize.Statement.find((s: { Action: string }) => s.Action === 's3:PutObject');
    for (const resource of [put.Resource].flat()) expect(resource).toMatch(/^arn:aws:s3:::[^/]+\/_derived\/\*$/);
    for (const f of manifest.functions.filter((f) => f.function !== 'image-resize')) {
      const policy = JSON.parse(await readFile(path.join(out, f.iam.permissions), 'utf8'));
      expect(JSON.stringify(policy)).not.toContain('s3:');
    }
  });

  it('writes no permission document that could write, overwrite or delete an original', async () => {
    const files = [...manifest.functions, ...manifest.regionalFunctions].map((f) => f.iam.permissions);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const doc = JSON.parse(await readFile(path.join(out, file), 'utf8')) as PolicyDocument;
      expect(writesOutsideDerived(doc), file).toEqual([]);
    }
  });

  it('packages derived-cleanup as a regional function: its kind, S3 events, regions, and the AWS SDK inside index.js', async () => {
    expect(manifest.functions.every((f) => f.kind === 'edge')).toBe(true);
    expect(manifest.regionalFunctions.map((f) => f.function)).toEqual(['derived-cleanup']);
    const f = manifest.regionalFunctions[0]!;
    const data = distribution.regionalFunctions['derived-cleanup'];
    expect(f).toMatchObject({
      kind: 'regional',
      lambdaName: 'edge-images-derived-cleanup',
      events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:*'],
      environment: ['DISTRIBUTION_ID'],
      runtime: 'nodejs22.x',
      architecture: 'arm64',
      handler: 'index.handler',
      memoryMb: data.memoryMb,
      timeoutSeconds: data.timeoutSeconds,
      zip: 'derived-cleanup.zip',
      zipLimitBytes: REGIONAL_LIMITS.zipBytes,
      nodeModules: [],
      iam: { trust: 'iam/regional-trust-policy.json', permissions: 'iam/derived-cleanup-permissions.json' },
    });
    // One copy per region holding a bucket: the primary's and each replica's.
    expect(f.regions).toEqual(bucketRegions(distribution));
    expect(f.regions.map((r) => r.region)).toEqual(['us-east-1', 'eu-west-1', 'ap-northeast-2']);
    const zip = await readFile(path.join(out, f.zip));
    expect(f.zipBytes).toBe(zip.byteLength);
    expect(f.codeSha256).toBe(createHash('sha256').update(zip).digest('base64'));
    expect(f.zipBytes).toBeLessThan(1024 * 1024);
    // The SDK clients are bundled (the version tested), not taken from the runtime.
    expect(unzipped.get('derived-cleanup')!.files).toEqual(['index.js']);
    const source = await readFile(path.join(unzipped.get('derived-cleanup')!.dir, 'index.js'), 'utf8');
    expect(source.includes('CreateInvalidationCommand'), 'the CloudFront client in index.js').toBe(true);
    expect(source.includes('DeleteObjectsCommand'), 'the S3 client in index.js').toBe(true);
    // Only the SDK's optional signers (SigV4a / CRT, loaded in a try for multi-region access points)
    // stay as requires: nothing the function uses comes from the runtime's SDK.
    const sdkRequires = new Set([...source.matchAll(/require\(["'](@aws-sdk\/[^"']+)["']\)/g)].map((m) => m[1]));
    expect([...sdkRequires].filter((name) => !['@aws-sdk/signature-v4-crt', '@aws-sdk/signature-v4a'].includes(name!))).toEqual([]);
    expect(JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')).regionalFunctions).toEqual(manifest.regionalFunctions);
  });

  it("writes derived-cleanup's trust (Lambda only) and least-privilege permission policies", async () => {
    const trust = JSON.parse(await readFile(path.join(out, 'iam/regional-trust-policy.json'), 'utf8'));
    expect(trust.Statement).toEqual([
      expect.objectContaining({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: [...REGIONAL_SERVICE_PRINCIPALS] } }),
    ]);
    expect(JSON.stringify(trust)).not.toContain('edgelambda');
    const policy = JSON.parse(await readFile(path.join(out, 'iam/derived-cleanup-permissions.json'), 'utf8')) as {
      Statement: { Action: string | string[]; Resource: string | string[]; Condition?: unknown }[];
    };
    const actions = policy.Statement.flatMap((st) => [st.Action].flat()).sort();
    expect(actions).toEqual([
      'cloudfront:CreateInvalidation',
      'logs:CreateLogGroup',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:DeleteObject',
      's3:GetObject',
      's3:ListBucket',
    ]);
    const objects = policy.Statement.find((st) => [st.Action].flat().includes('s3:DeleteObject'))!;
    for (const resource of [objects.Resource].flat()) expect(resource).toMatch(/^arn:aws:s3:::[^/]+\/_derived\/\*$/);
    expect(policy.Statement.find((st) => st.Action === 's3:ListBucket')!.Condition).toEqual({ StringLike: { 's3:prefix': '_derived/*' } });
    // The distribution does not exist yet when the console zips are built: the operator fills it in.
    expect(policy.Statement.find((st) => st.Action === 'cloudfront:CreateInvalidation')!.Resource).toBe(DISTRIBUTION_ARN_PLACEHOLDER);
  });

  it('is reproducible: the same input gives the same zips', async () => {
    const again = path.join(work, 'again');
    const second = await packageFunctions({ root, outDir: again, only: ['image-request'], local: true });
    expect(second.functions[0]!.sha256).toBe(entry('image-request').sha256);
  });

  it('bakes a --config override into the bundle (here: the bucket name and a smaller size list)', async () => {
    const dir = path.join(work, 'configured');
    const overrides = {
      origins: [{ id: primaryS3Origin(distribution).id, bucket: 'my-company-images' }],
      // Merged into the policy: the sizes the presets use, the thumb preset made smaller to fit them.
      images: { sizes: ['64x64' as const, '192x192' as const, '1200x630' as const], presets: { thumb: { width: 64, height: 64, fit: 'cover' as const } } },
    };
    const built = await packageFunctions({ root, outDir: dir, overrides, only: ['image-request', 'image-resize'], local: true });
    expect(built.overrides).toEqual(overrides);
    const policy = JSON.parse(await readFile(path.join(dir, 'iam/image-resize-permissions.json'), 'utf8'));
    expect(JSON.stringify(policy)).toContain('arn:aws:s3:::my-company-images/_derived/*');
    const request = path.join(work, 'configured-request');
    await unzipTo(path.join(dir, 'image-request.zip'), request);
    const refused = await invoke(request, path.join(root, EVENT_FIXTURES['viewer-request']!));
    expect(refused.result).toMatchObject({ status: '400' }); // 128x128 is no longer allowed
  });
});

describe('the stage build of sst deploy (npm run package in a child process)', () => {
  it('bakes the stage bucket names into the zips and writes the overrides the local edge reads', async () => {
    const stage = `pkgtest-${process.pid}`;
    // A deployment's own key (a TEST-ONLY one is refused: test/integration/private-keys.test.ts).
    const overrides = stageOverrides(distribution, { stage, overrides: makeStageKeys(stage).overrides });
    const files = stageFiles(root, stage);
    try {
      const artifacts = buildStageArtifacts(root, stage, overrides);
      expect(artifacts.dir).toBe(files.distDir);
      expect(artifacts.manifest.overrides).toEqual(overrides);
      expect(artifacts.manifest.functions.map((f) => f.function)).toEqual(functionNames(distribution));
      expect(JSON.parse(await readFile(files.overridesFile, 'utf8'))).toEqual(overrides);
      const policy = await readFile(path.join(files.distDir, 'iam/image-resize-permissions.json'), 'utf8');
      expect(policy).toContain(`arn:aws:s3:::${primaryS3Origin(distribution).bucket}-${stage}/_derived/*`);
      // derived-cleanup follows the stage's buckets too.
      expect(artifacts.manifest.regionalFunctions[0]!.regions[0]!.buckets).toEqual([`${primaryS3Origin(distribution).bucket}-${stage}`]);
      const cleanup = await readFile(path.join(files.distDir, 'iam/derived-cleanup-permissions.json'), 'utf8');
      expect(cleanup).toContain(`arn:aws:s3:::${primaryS3Origin(distribution).bucket}-${stage}/_derived/*`);
    } finally {
      await rm(files.dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('each zip answers a captured event under plain node, with its own files only', () => {
  for (const fn of functionNames(distribution)) {
    it(`${fn}`, async () => {
      // The slot it fills, whatever runtime a behavior picks for it (image-request: a CloudFront
      // Function on `*`, its Lambda@Edge build selectable): every function here has a captured event.
      const event = slotsOf(distribution, fn).find((e) => EVENT_FIXTURES[e]);
      expect(event, `${fn} fills a slot with a captured event`).toBeDefined();
      if (!event) return;
      const eventFile = path.join(root, EVENT_FIXTURES[event]!);
      const input = JSON.parse(await readFile(eventFile, 'utf8')) as CloudFrontRequestEvent | CloudFrontResponseEvent;
      const answer = await invoke(unzipped.get(fn)!.dir, eventFile);
      expect(validateResult(event, input as never, answer.result as never)).toMatchObject({ ok: true });
      if (fn === 'image-request') {
        expect(answer.result).toMatchObject({ uri: '/_derived/photos/cat.jpg/128x128-cover-q75.avif' });
      }
      if (fn === 'image-resize') {
        // A derived image S3 already has passes through (no S3 call: none is reachable from here).
        const response = (input as CloudFrontResponseEvent).Records[0]!.cf.response;
        expect(answer.result).toMatchObject({ status: '200', headers: { etag: response.headers['etag'], 'content-type': response.headers['content-type'] } });
        expect(answer.result).not.toHaveProperty('body');
      }
    }, 30_000);
  }
});

describe('the derived-cleanup zip answers an S3 event notification under plain node', () => {
  const bucket = primaryS3Origin(distribution).bucket;
  /** Endpoints nothing listens on, and no way to credentials from the machine: any AWS call fails. */
  const offline = {
    DISTRIBUTION_ID: 'EDFDVBD6EXAMPLE',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDTESTONLY',
    AWS_SECRET_ACCESS_KEY: 'test-only',
    AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9',
    AWS_ENDPOINT_URL_CLOUDFRONT: 'http://127.0.0.1:9',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  const eventFile = async (name: string, event: S3Event) => {
    const file = path.join(work, `${name}.json`);
    await writeFile(file, JSON.stringify(event));
    return file;
  };

  it("ignores a _derived/ key (image-resize's own write) without any S3 or CloudFront call", async () => {
    const key = '_derived/photos/cat.jpg/128x128-cover-q75.webp';
    const answer = await invoke(unzipped.get('derived-cleanup')!.dir, await eventFile('s3-derived', s3Event(bucket, key)), offline);
    expect(answer.result).toEqual([{ bucket, key, outcome: 'ignored-derived', deleted: [], kept: [], invalidated: [] }]);
    expect(JSON.parse(answer.logs.at(-1)!)).toMatchObject({ fn: 'derived-cleanup', requestId: 'invoke-cjs', outcome: 'ignored-derived', records: 1 });
  }, 30_000);

  it('does call S3 for an original (and fails loudly here, where nothing answers): the test above would have seen a call', async () => {
    const failed = (await invoke(unzipped.get('derived-cleanup')!.dir, await eventFile('s3-original', s3Event(bucket, 'photos/my cat.jpg')), offline).catch(
      (error: unknown) => error,
    )) as {
      stdout?: string;
      message?: string;
    };
    expect(failed.message).toMatch(/ECONNREFUSED/);
    const line = JSON.parse(String(failed.stdout).trim().split('\n').at(-1)!);
    expect(line).toMatchObject({ fn: 'derived-cleanup', outcome: 'error', uri: `s3://${bucket}/photos/my+cat.jpg` });
  }, 30_000);

  it('refuses to start without DISTRIBUTION_ID', async () => {
    const { DISTRIBUTION_ID: _, ...withoutId } = offline;
    const failed = (await invoke(unzipped.get('derived-cleanup')!.dir, await eventFile('s3-no-id', s3Event(bucket, '_derived/a.jpg/x.webp')), withoutId).catch(
      (error: unknown) => error,
    )) as { stderr?: string };
    expect(String(failed.stderr)).toMatch(/Expected the CloudFront distribution id in DISTRIBUTION_ID/);
  }, 30_000);
});

describe('the resize zip makes a thumbnail through S3', () => {
  let s3: LocalS3;
  const bucket = primaryS3Origin(distribution).bucket;
  beforeAll(async () => {
    s3 = await startLocalS3({ buckets: [bucket] });
    await s3.client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'photos/cat.jpg',
        Body: await readFile(path.join(root, 'fixtures/images/photos/cat.jpg')),
        ContentType: 'image/jpeg',
      }),
    );
  });
  afterAll(() => s3?.close());

  it('answers a 403 for a derived key with the image, and stores it under _derived/', async () => {
    const eventFile = path.join(root, 'fixtures/events/origin-response-403-derived.json');
    const input = JSON.parse(await readFile(eventFile, 'utf8')) as CloudFrontResponseEvent;
    const answer = await invoke(unzipped.get('image-resize')!.dir, eventFile, {
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
    });
    const validated = validateResult('origin-response', input, answer.result as never);
    expect(validated).toMatchObject({ ok: true, kind: 'response' });
    expect(answer.result).toMatchObject({ status: '200' });
    const key = input.Records[0]!.cf.request.uri.slice(1);
    const stored = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = Buffer.from(await stored.Body!.transformToByteArray());
    const meta = await sharp(bytes).metadata();
    expect(meta).toMatchObject({ format: 'webp', width: 128, height: 128 });
    await writeFile(path.join(work, 'thumbnail.webp'), bytes);
  }, 60_000);
});
