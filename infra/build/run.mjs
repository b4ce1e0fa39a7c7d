#!/usr/bin/env node
// Runs a TypeScript entry point on Node 20 (which cannot strip types): esbuild bundles the entry with
// every package left external into .build/, then Node imports it with the remaining arguments.
//   node infra/build/run.mjs infra/local/main.ts --images ./my-photos
import { build } from 'esbuild';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

// The tools run on Node 20 here; the SDK's notice that its 2027 releases need Node 22 is known (the
// lockfile pins a release that runs on 20, and the deployed functions run on nodejs22.x).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('Expected a TypeScript entry point for run.mjs but received nothing');
  process.exit(2);
}
const outdir = path.resolve('.build', 'run');
await mkdir(outdir, { recursive: true });
// One output per entry path, so `npm start` and `npm run origin` can run side by side.
const outfile = path.join(
  outdir,
  `${path
    .relative('.', entry)
    .replace(/\.[cm]?ts$/, '')
    .replaceAll(/[\\/]/g, '-')}.mjs`,
);
await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
});
// argv[1] names the TypeScript entry, so a module can tell it is the one being run.
process.argv = [process.argv[0], path.resolve(entry), ...args];
await import(pathToFileURL(outfile).href);
