#!/usr/bin/env node
// Makes sure .sst/platform holds the SST platform of the installed `sst` version (what
// `tsc -p tsconfig.infra.json` type-checks sst.config.ts against), offline but for the npm registry:
//   SST_TELEMETRY_DISABLED=1 SST_SKIP_DEPENDENCY_CHECK=1 SST_NO_BUN=1 sst install --stage dev
// A fresh clone pays it once (~30-60 s, ~320 MB). The platform is also kept in a user cache
// (EDGE_IMAGES_SST_CACHE, default ~/.cache/edge-images) so the next fresh clone on this machine
// copies it instead (~10 s). Nothing to do when the platform is already there.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

const root = process.cwd();
const platform = path.join(root, '.sst', 'platform');
const want = JSON.parse(readFileSync(path.join(root, 'node_modules', 'sst', 'package.json'), 'utf8')).version;
const versionOf = (dir) => (existsSync(path.join(dir, 'version')) ? readFileSync(path.join(dir, 'version'), 'utf8').trim() : undefined);
const complete = (dir) =>
  versionOf(dir) === want && existsSync(path.join(dir, 'config.d.ts')) && existsSync(path.join(dir, 'node_modules', '@pulumi', 'aws', 'package.json'));

if (complete(platform)) process.exit(0);

const cacheRoot = process.env.EDGE_IMAGES_SST_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'edge-images');
const cached = path.join(cacheRoot, `sst-platform-${want}`);
const started = Date.now();

if (complete(cached)) {
  rmSync(platform, { recursive: true, force: true });
  mkdirSync(path.dirname(platform), { recursive: true });
  cpSync(cached, platform, { recursive: true, verbatimSymlinks: true });
  console.log(`sst-install: SST platform ${want} copied from ${cached} (${Date.now() - started} ms)`);
  process.exit(0);
}

console.log(`sst-install: installing the SST platform ${want} into .sst/platform (sst install, npm registry only)...`);
const bin = path.join(root, 'node_modules', 'sst', 'bin', 'sst.mjs');
try {
  execFileSync(process.execPath, [bin, 'install', '--stage', 'dev'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, SST_TELEMETRY_DISABLED: '1', SST_SKIP_DEPENDENCY_CHECK: '1', SST_NO_BUN: '1' },
  });
} catch {
  console.error('sst-install: `sst install` failed; see its output above');
  process.exit(1);
}
if (!complete(platform)) {
  console.error(`sst-install: expected .sst/platform for SST ${want} after sst install but received version ${JSON.stringify(versionOf(platform))}`);
  process.exit(1);
}
console.log(`sst-install: done (${Math.round((Date.now() - started) / 1000)} s)`);

// Keep a copy for the next fresh clone; a cache that cannot be written is no error.
const temp = `${cached}.tmp-${process.pid}`;
try {
  mkdirSync(cacheRoot, { recursive: true });
  cpSync(platform, temp, { recursive: true, verbatimSymlinks: true });
  rmSync(cached, { recursive: true, force: true });
  renameSync(temp, cached);
} catch (error) {
  rmSync(temp, { recursive: true, force: true });
  console.warn(`sst-install: could not cache the platform in ${cacheRoot} (${error.message})`);
}
