/**
 * sharp for Lambda (linux, x64, glibc) in a function's zip: installed once from the npm registry and
 * cached in .build/, the files the runtime reads, and the package names it holds.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Files under dir, relative, with `/` separators. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

/** Package names directly under node_modules (scoped ones as @scope/name). */
export async function topLevelPackages(dir: string): Promise<string[]> {
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
    const manifest = { name: 'edge-images-lambda-sharp', private: true, dependencies: { sharp: version } };
    await writeFile(path.join(temp, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const npm = process.env['npm_execpath'];
    const args = [
      'install',
      '--os=linux',
      '--cpu=x64',
      '--libc=glibc',
      '--omit=dev',
      '--ignore-scripts',
      '--no-package-lock',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
    ];
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
