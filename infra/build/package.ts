/**
 * Console-ready packaging: for each function of the distribution, a zip that the CloudFront console
 * (or SST) deploys as is, plus manifest.json and the IAM policy documents.
 *
 *   <outDir>/<function>.zip          index.js (CommonJS, handler index.handler) [+ node_modules/sharp]
 *   <outDir>/derived-cleanup.zip     the regional function on the buckets' object events
 *   <outDir>/image-request.cloudfront-function.js   image-request as a CloudFront Function
 *                                    (cloudfront-js-2.0), ready to paste into the console (10 KB at most)
 *   <outDir>/manifest.json           see manifest.ts
 *   <outDir>/iam/trust-policy.json   trusted by lambda.amazonaws.com and edgelambda.amazonaws.com
 *   <outDir>/iam/regional-trust-policy.json   trusted by lambda.amazonaws.com only (derived-cleanup)
 *   <outDir>/iam/<function>-permissions.json
 *
 * Every Lambda@Edge rule that can be checked offline is checked here and fails the build: timeout,
 * memory and zip size against the event the function is attached to (limits.ts); Lambda's own
 * limits for the regional functions. Zips are reproducible: sorted entries, fixed timestamps, mode 0644.
 *
 * derived-cleanup bundles the AWS SDK (S3 and CloudFront clients) like the edge functions do, rather
 * than using the copy the nodejs22.x runtime carries: what runs is the version the tests ran (the
 * runtime's copy changes under it, and the S3 client options it relies on, such as
 * `followRegionRedirects` and the checksum settings, are recent); the cost, ~1 MB of bundle and some
 * milliseconds of cold start, is nothing for an asynchronous function under Lambda's 50 MB.
 */
import { originResponseBudgetProblems } from './budget.ts';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { zipSync } from 'fflate';
import type { Zippable } from 'fflate';
import { distribution as sourceDistribution } from '../distribution.ts';
import { KEY_SETUP_HELP, testOnlyKeyProblems } from '../keys.ts';
import type { DistributionSpec, FunctionName, RegionalFunctionName, S3OriginSpec } from '../distribution.ts';
import { bundleFunction } from './bundle.ts';
import { keepInZip, linuxSharp, listFiles, topLevelPackages } from './lambda-sharp.ts';
import { buildCloudFrontFunction } from './cloudfront-function.ts';
import { CLOUDFRONT_JS_RUNTIME, MAX_FUNCTION_BYTES } from './cloudfront-runtime.ts';
import { imageRequestConfig, uploadGrantConfig } from '../config.ts';
import type { BundleResult, PackagedFunctionName } from './bundle.ts';
import {
  EDGE_ARCHITECTURE,
  EDGE_HANDLER,
  EDGE_REGION,
  EDGE_RUNTIME,
  REGIONAL_ARCHITECTURE,
  REGIONAL_HANDLER,
  REGIONAL_LIMITS,
  REGIONAL_RUNTIME,
  distributionProblems,
  eventTypesOf,
  functionNames,
  limitProblems,
  limitsOf,
  cloudFrontFunctionsOf,
  regionalFunctionNames,
  regionalLimitProblems,
} from './limits.ts';
import type { Manifest, ManifestCloudFrontFunction, ManifestFunction, ManifestRegionalFunction, ManifestUploadGrant } from './manifest.ts';
import { applyOverrides } from './overrides.ts';
import { policyProblems } from './policy-check.ts';
import type { BuildOverrides } from './overrides.ts';
import {
  DISTRIBUTION_ARN_PLACEHOLDER,
  edgePermissionPolicy,
  edgeTrustPolicy,
  regionalPermissionPolicy,
  regionalTrustPolicy,
  uploadGrantPermissionPolicy,
} from './policies.ts';

export interface PackageOptions {
  /** The project root. */
  readonly root: string;
  /** Where zips, manifest.json and iam/ go (created; existing zips of the same names are replaced). */
  readonly outDir: string;
  readonly overrides?: BuildOverrides;
  /** Only these functions (default: every function of the distribution, edge and regional). */
  readonly only?: readonly PackagedFunctionName[];
  /** Lambda function name per function (default `<distribution name>-<function>`). */
  readonly lambdaName?: (fn: PackagedFunctionName) => string;
  /** The distribution to start from (default infra/distribution.ts). */
  readonly spec?: DistributionSpec;
  /**
   * A build for this machine only (local edge, tests): the TEST-ONLY keys are accepted. Otherwise a
   * signed-url build that trusts one is refused (infra/keys.ts: isTestOnlyKey).
   */
  readonly local?: boolean;
}

/** A fixed timestamp for every zip entry, so the same input gives the same zip (and sha256). */
const ZIP_MTIME = new Date('2020-01-01T00:00:00Z');
const FILE_MODE = 0o644;

export async function packageFunctions(options: PackageOptions): Promise<Manifest> {
  const root = path.resolve(options.root);
  const outDir = path.resolve(options.outDir);
  const overrides = options.overrides ?? {};
  const spec = applyOverrides(options.spec ?? sourceDistribution, overrides);
  const isEdge = (fn: string): fn is FunctionName => Object.hasOwn(spec.functions, fn);
  const isRegional = (fn: string): fn is RegionalFunctionName => Object.hasOwn(spec.regionalFunctions, fn);
  const names = options.only ? options.only.filter(isEdge) : functionNames(spec);
  const regionalNames = options.only ? options.only.filter(isRegional) : regionalFunctionNames(spec);
  const lambdaName = options.lambdaName ?? ((fn: PackagedFunctionName) => `${spec.name}-${fn}`);

  const problems = [
    ...distributionProblems(spec),
    ...policyProblems(spec),
    ...(options.only ?? [])
      .filter((fn) => !isEdge(fn) && !isRegional(fn) && !(fn === 'upload-grant' && spec.uploads))
      .map((fn) => `Expected a function of the distribution but received ${JSON.stringify(fn)}`),
    ...names.flatMap((fn) => limitProblems(spec, fn)),
    ...regionalNames.flatMap((fn) => regionalLimitProblems(spec, fn)),
    ...(names.includes('image-resize') ? originResponseBudgetProblems(spec) : []),
  ];
  if (problems.length > 0) throw new Error(`The distribution breaks Lambda@Edge rules:\n- ${problems.join('\n- ')}`);
  if (!options.local && names.includes('signed-url')) {
    const keyProblems = testOnlyKeyProblems(spec);
    if (keyProblems.length > 0) throw new Error(`Refusing to build signed-url for a deployment:\n- ${keyProblems.join('\n- ')}\n${KEY_SETUP_HELP}`);
  }

  await mkdir(path.join(outDir, 'iam'), { recursive: true });
  const staging = await mkdtemp(path.join(outDir, '.staging-'));
  const trustFile = 'iam/trust-policy.json';
  await writeJson(path.join(outDir, trustFile), edgeTrustPolicy());
  const entries: ManifestFunction[] = [];
  const regionalEntries: ManifestRegionalFunction[] = [];
  let uploadGrant: ManifestUploadGrant | undefined;
  try {
    for (const fn of names) {
      const { bundle, zip, nodeModules } = await zipFunction(root, fn, overrides, staging);
      const zipName = `${fn}.zip`;
      await writeFile(path.join(outDir, zipName), zip);
      const zipProblems = limitProblems(spec, fn, zip.byteLength);
      if (zipProblems.length > 0) throw new Error(`The package breaks Lambda@Edge rules:\n- ${zipProblems.join('\n- ')}`);
      const permissionsFile = `iam/${fn}-permissions.json`;
      await writeJson(path.join(outDir, permissionsFile), edgePermissionPolicy(spec, fn, lambdaName(fn)));
      const data = spec.functions[fn];
      entries.push({
        kind: 'edge',
        function: fn,
        lambdaName: lambdaName(fn),
        eventTypes: eventTypesOf(spec, fn),
        runtime: EDGE_RUNTIME,
        architecture: EDGE_ARCHITECTURE,
        handler: EDGE_HANDLER,
        memoryMb: data.memoryMb,
        timeoutSeconds: data.timeoutSeconds,
        ...zipFields(zipName, zip, bundle, nodeModules),
        zipLimitBytes: limitsOf(spec, fn).zipBytes,
        iam: { trust: trustFile, permissions: permissionsFile },
      });
    }
    const regionalTrustFile = 'iam/regional-trust-policy.json';
    if (regionalNames.length > 0) await writeJson(path.join(outDir, regionalTrustFile), regionalTrustPolicy());
    for (const fn of regionalNames) {
      const { bundle, zip, nodeModules } = await zipFunction(root, fn, overrides, staging);
      const zipName = `${fn}.zip`;
      await writeFile(path.join(outDir, zipName), zip);
      const zipProblems = regionalLimitProblems(spec, fn, zip.byteLength);
      if (zipProblems.length > 0) throw new Error(`The package breaks Lambda rules:\n- ${zipProblems.join('\n- ')}`);
      // One document for every region's copy (all buckets); SST narrows each copy to its region's buckets.
      const permissionsFile = `iam/${fn}-permissions.json`;
      await writeJson(
        path.join(outDir, permissionsFile),
        regionalPermissionPolicy(spec, fn, { lambdaName: lambdaName(fn), distributionArn: DISTRIBUTION_ARN_PLACEHOLDER }),
      );
      const data = spec.regionalFunctions[fn];
      regionalEntries.push({
        kind: 'regional',
        function: fn,
        lambdaName: lambdaName(fn),
        events: [...data.s3Events],
        regions: bucketRegions(spec),
        environment: ['DISTRIBUTION_ID'],
        ...regionalRuntime(data),
        ...zipFields(zipName, zip, bundle, nodeModules),
        iam: { trust: regionalTrustFile, permissions: permissionsFile },
      });
    }
    if (spec.uploads && (!options.only || options.only.includes('upload-grant'))) {
      uploadGrant = await packageUploadGrant(root, spec, overrides, staging, outDir, lambdaName('upload-grant'));
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  // The CloudFront Functions: every one a behavior associates (image-request is the only build), unless
  // `--only` leaves it out. The build refuses code over the 10 KB quota.
  const cloudFrontEntries: ManifestCloudFrontFunction[] = [];
  for (const { fn, pathPatterns } of cloudFrontFunctionsOf(spec)) {
    if (options.only && !options.only.includes(fn)) continue;
    const built = await buildCloudFrontFunction({ root, config: imageRequestConfig(spec) });
    const file = `${fn}.cloudfront-function.js`;
    await writeFile(path.join(outDir, file), built.code);
    cloudFrontEntries.push({
      kind: 'cloudfront-function',
      function: fn,
      name: lambdaName(fn),
      runtime: CLOUDFRONT_JS_RUNTIME,
      eventType: 'viewer-request',
      behaviors: pathPatterns,
      file,
      bytes: built.bytes,
      limitBytes: MAX_FUNCTION_BYTES,
      sha256: createHash('sha256').update(built.code).digest('hex'),
    });
  }
  const manifest: Manifest = {
    distribution: spec.name,
    region: EDGE_REGION,
    overrides,
    functions: entries,
    regionalFunctions: regionalEntries,
    cloudFrontFunctions: cloudFrontEntries,
    ...(uploadGrant ? { uploadGrant } : {}),
  };
  await writeJson(path.join(outDir, 'manifest.json'), manifest);
  return manifest;
}

/** upload-grant's zip, its IAM documents and its manifest entry (a regional function, in the originals bucket's region). */
async function packageUploadGrant(
  root: string,
  spec: DistributionSpec,
  overrides: BuildOverrides,
  staging: string,
  outDir: string,
  lambdaName: string,
): Promise<ManifestUploadGrant> {
  const fn = 'upload-grant';
  const data = spec.uploads!.grant;
  const { bundle, zip, nodeModules } = await zipFunction(root, fn, overrides, staging);
  if (zip.byteLength > REGIONAL_LIMITS.zipBytes)
    throw new Error(`Expected a zip of at most ${REGIONAL_LIMITS.zipBytes} bytes for ${fn} but received ${zip.byteLength}`);
  const zipName = `${fn}.zip`;
  await writeFile(path.join(outDir, zipName), zip);
  const { bucket, region } = uploadGrantConfig(spec);
  const trustFile = 'iam/regional-trust-policy.json';
  await writeJson(path.join(outDir, trustFile), regionalTrustPolicy());
  const permissionsFile = `iam/${fn}-permissions.json`;
  await writeJson(path.join(outDir, permissionsFile), uploadGrantPermissionPolicy(spec, { lambdaName, bucket, region }));
  return {
    kind: 'upload-grant',
    function: fn,
    lambdaName,
    region,
    environment: ['UPLOAD_GRANT_KEY'],
    ...regionalRuntime(data),
    ...zipFields(zipName, zip, bundle, nodeModules),
    iam: { trust: trustFile, permissions: permissionsFile },
  };
}

/** A zip's fields in the manifest: its name, size, hashes (hex, and base64 as Lambda's CodeSha256), bundle and packages. */
function zipFields(zipName: string, zip: Uint8Array, bundle: BundleResult, nodeModules: string[]) {
  return {
    zip: zipName,
    zipBytes: zip.byteLength,
    sha256: createHash('sha256').update(zip).digest('hex'),
    codeSha256: createHash('sha256').update(zip).digest('base64'),
    bundleBytes: bundle.bytes,
    nodeModules,
  };
}

/** What every regional function (not Lambda@Edge) runs on, with its own memory and timeout. */
function regionalRuntime(data: { readonly memoryMb: number; readonly timeoutSeconds: number }) {
  return {
    runtime: REGIONAL_RUNTIME,
    architecture: REGIONAL_ARCHITECTURE,
    handler: REGIONAL_HANDLER,
    memoryMb: data.memoryMb,
    timeoutSeconds: data.timeoutSeconds,
    zipLimitBytes: REGIONAL_LIMITS.zipBytes,
  };
}

/** Bundles one function and zips it (with sharp for linux-x64 when the bundle imports it). */
async function zipFunction(
  root: string,
  fn: PackagedFunctionName,
  overrides: BuildOverrides,
  staging: string,
): Promise<{ bundle: BundleResult; zip: Uint8Array; nodeModules: string[] }> {
  const bundle = await bundleFunction({ root, fn, overrides, outDir: path.join(staging, fn) });
  const files: Zippable = { 'index.js': [await readFile(bundle.file), zipOptions()] };
  for (const worker of bundle.workers) files[worker] = [await readFile(path.join(bundle.outDir, worker)), zipOptions()];
  const nodeModules: string[] = [];
  if (bundle.externals.includes('sharp')) {
    const modules = await linuxSharp(root);
    for (const file of await listFiles(modules)) {
      if (!keepInZip(file)) continue;
      files[`node_modules/${file}`] = [await readFile(path.join(modules, file)), zipOptions()];
    }
    nodeModules.push(...(await topLevelPackages(modules)));
  }
  return { bundle, zip: zipSync(sortKeys(files), { level: 6 }), nodeModules };
}

/** The regions that hold an image bucket, in the spec's order, each with its buckets. */
export function bucketRegions(spec: DistributionSpec): { region: string; buckets: string[] }[] {
  const regions = new Map<string, string[]>();
  for (const origin of spec.origins.filter((o): o is S3OriginSpec => o.kind === 's3')) {
    const buckets = regions.get(origin.region) ?? [];
    if (!buckets.includes(origin.bucket)) buckets.push(origin.bucket);
    regions.set(origin.region, buckets);
  }
  return [...regions].map(([region, buckets]) => ({ region, buckets }));
}

function zipOptions() {
  return { mtime: ZIP_MTIME, os: 3, attrs: FILE_MODE << 16 };
}

function sortKeys(files: Zippable): Zippable {
  return Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
}
