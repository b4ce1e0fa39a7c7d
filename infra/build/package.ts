/**
 * Console-ready packaging: for each function of the distribution, a zip that the CloudFront console
 * (or SST) deploys as is, plus manifest.json and the IAM policy documents.
 *
 *   <outDir>/<function>.zip          index.js (CommonJS, handler index.handler) [+ node_modules/sharp]
 *   <outDir>/manifest.json           see manifest.ts
 *   <outDir>/iam/trust-policy.json   trusted by lambda.amazonaws.com and edgelambda.amazonaws.com
 *   <outDir>/iam/<function>-permissions.json
 *
 * Every Lambda@Edge rule that can be checked offline is checked here and fails the build: timeout,
 * memory and zip size against the event the function is attached to (limits.ts).
 * Zips are reproducible: sorted entries, fixed timestamps, mode 0644.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { zipSync } from 'fflate';
import type { Zippable } from 'fflate';
import { distribution as sourceDistribution } from '../distribution.ts';
import type { DistributionSpec, FunctionName } from '../distribution.ts';
import { bundleFunction } from './bundle.ts';
import { EDGE_ARCHITECTURE, EDGE_HANDLER, EDGE_REGION, EDGE_RUNTIME, distributionProblems, eventTypesOf, functionNames, limitProblems, limitsOf } from './limits.ts';
import type { Manifest, ManifestFunction } from './manifest.ts';
import { applyOverrides } from './overrides.ts';
import type { BuildOverrides } from './overrides.ts';
import { edgePermissionPolicy, edgeTrustPolicy } from './policies.ts';

const run = promisify(execFile);

export interface PackageOptions {
  /** The project root. */
  readonly root: string;
  /** Where zips, manifest.json and iam/ go (created; existing zips of the same names are replaced). */
  readonly outDir: string;
  readonly overrides?: BuildOverrides;
  /** Only these functions (default: every function of the distribution). */
  readonly only?: readonly FunctionName[];
  /** Lambda function name per function (default `<distribution name>-<function>`). */
  readonly lambdaName?: (fn: FunctionName) => string;
  /** The distribution to start from (default infra/distribution.ts). */
  readonly spec?: DistributionSpec;
}

/** A fixed timestamp for every zip entry, so the same input gives the same zip (and sha256). */
const ZIP_MTIME = new Date('2020-01-01T00:00:00Z');
const FILE_MODE = 0o644;

export async function packageFunctions(options: PackageOptions): Promise<Manifest> {
  const root = path.resolve(options.root);
  const outDir = path.resolve(options.outDir);
  const overrides = options.overrides ?? {};
  const spec = applyOverrides(options.spec ?? sourceDistribution, overrides);
  const names = options.only ?? functionNames(spec);
  const lambdaName = options.lambdaName ?? ((fn: FunctionName) => `${spec.name}-${fn}`);

  const problems = [...distributionProblems(spec), ...names.flatMap((fn) => (fn in spec.functions ? limitProblems(spec, fn) : [`Expected a function of the distribution but received ${JSON.stringify(fn)}`]))];
  if (problems.length > 0) throw new Error(`The distribution breaks Lambda@Edge rules:\n- ${problems.join('\n- ')}`);

  await mkdir(path.join(outDir, 'iam'), { recursive: true });
  const staging = await mkdtemp(path.join(outDir, '.staging-'));
  const trustFile = 'iam/trust-policy.json';
  await writeJson(path.join(outDir, trustFile), edgeTrustPolicy());
  const entries: ManifestFunction[] = [];
  try {
    for (const fn of names) {
      const dir = path.join(staging, fn);
      const bundle = await bundleFunction({ root, fn, overrides, outDir: dir });
      const files: Zippable = { 'index.js': [await readFile(bundle.file), zipOptions()] };
      const nodeModules: string[] = [];
      if (bundle.externals.includes('sharp')) {
        const modules = await linuxSharp(root);
        for (const file of await listFiles(modules)) {
          if (!keepInZip(file)) continue;
          files[`node_modules/${file}`] = [await readFile(path.join(modules, file)), zipOptions()];
        }
        nodeModules.push(...(await topLevelPackages(modules)));
      }
      const zip = zipSync(sortKeys(files), { level: 6 });
      const zipName = `${fn}.zip`;
      await writeFile(path.join(outDir, zipName), zip);
      const zipProblems = limitProblems(spec, fn, zip.byteLength);
      if (zipProblems.length > 0) throw new Error(`The package breaks Lambda@Edge rules:\n- ${zipProblems.join('\n- ')}`);
      const permissionsFile = `iam/${fn}-permissions.json`;
      await writeJson(path.join(outDir, permissionsFile), edgePermissionPolicy(spec, fn, lambdaName(fn)));
      const data = spec.functions[fn];
      entries.push({
        function: fn,
        lambdaName: lambdaName(fn),
        eventTypes: eventTypesOf(spec, fn),
        runtime: EDGE_RUNTIME,
        architecture: EDGE_ARCHITECTURE,
        handler: EDGE_HANDLER,
        memoryMb: data.memoryMb,
        timeoutSeconds: data.timeoutSeconds,
        zip: zipName,
        zipBytes: zip.byteLength,
        zipLimitBytes: limitsOf(spec, fn).zipBytes,
        sha256: createHash('sha256').update(zip).digest('hex'),
        codeSha256: createHash('sha256').update(zip).digest('base64'),
        bundleBytes: bundle.bytes,
        nodeModules,
        iam: { trust: trustFile, permissions: permissionsFile },
      });
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  const manifest: Manifest = { distribution: spec.name, region: EDGE_REGION, overrides, functions: entries };
  await writeJson(path.join(outDir, 'manifest.json'), manifest);
  return manifest;
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

/** Files under dir, relative, with `/` separators. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

/** Package names directly under node_modules (scoped ones as @scope/name). */
async function topLevelPackages(dir: string): Promise<string[]> {
  const names: string[] = [];
  for (const entry of (await readdir(dir)).sort()) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) names.push(...(await readdir(path.join(dir, entry))).sort().map((n) => `${entry}/${n}`));
    else names.push(entry);
  }
  return names;
}

/** What the runtime never reads: type declarations, docs, sources of the native addon, npm's bookkeeping. */
export function keepInZip(file: string): boolean {
  if (file === '.package-lock.json') return false;
  if (/\.d\.(c|m)?ts$/.test(file) || file.endsWith('.map')) return false;
  if (/(^|\/)(README|CHANGELOG|HISTORY)(\.[a-z]+)?$/i.test(file)) return false;
  if (file.startsWith('sharp/src/') || file.startsWith('sharp/install/')) return false;
  if (/^@img\/sharp-libvips-[^/]+\/(.*\/)?include\//.test(file) || file.endsWith('.h')) return false;
  return true;
}

/**
 * node_modules holding sharp for Lambda (linux, x64, glibc), at the version the project tests with,
 * installed from the npm registry once and cached in .build/. Installed into a temporary folder and
 * renamed into place, so concurrent builds never see half an install.
 */
export async function linuxSharp(root: string): Promise<string> {
  const version = (JSON.parse(await readFile(path.join(root, 'node_modules', 'sharp', 'package.json'), 'utf8')) as { version: string }).version;
  const cacheRoot = path.join(root, '.build', 'sharp');
  const target = path.join(cacheRoot, `${version}-linux-x64-glibc`);
  const modules = path.join(target, 'node_modules');
  if (existsSync(path.join(target, 'complete'))) return modules;
  await mkdir(cacheRoot, { recursive: true });
  const temp = await mkdtemp(path.join(cacheRoot, '.install-'));
  try {
    await writeJson(path.join(temp, 'package.json'), { name: 'edge-images-lambda-sharp', private: true, dependencies: { sharp: version } });
    const npm = process.env['npm_execpath'];
    const args = ['install', '--os=linux', '--cpu=x64', '--libc=glibc', '--omit=dev', '--ignore-scripts', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error'];
    // Under `npm run`, npm_execpath is npm's own CLI script: run it with this node, like npm does.
    if (npm && /\.(c|m)?js$/.test(npm)) await run(process.execPath, [npm, ...args], { cwd: temp });
    else await run(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, { cwd: temp, shell: process.platform === 'win32' });
    for (const required of ['sharp', '@img/sharp-linux-x64', '@img/sharp-libvips-linux-x64']) {
      if (!existsSync(path.join(temp, 'node_modules', required, 'package.json'))) {
        throw new Error(`Expected ${required} for linux-x64 glibc in the Lambda node_modules but received no such package (npm install in ${temp})`);
      }
    }
    await writeFile(path.join(temp, 'complete'), `${version}\n`);
    try {
      await rename(temp, target);
    } catch (error) {
      // Another build finished first: use its install.
      if (!existsSync(path.join(target, 'complete'))) throw error;
    }
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
  return modules;
}
