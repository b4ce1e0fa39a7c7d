/**
 * `npm run package [-- --config my-config.json] [--out dist] [--only image-request]`
 * Writes dist/<function>.zip (the Lambda@Edge functions and the regional derived-cleanup),
 * dist/manifest.json and dist/iam/ (see package.ts and the README section "Attach the functions by
 * hand in the CloudFront console").
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { PackagedFunctionName } from './bundle.ts';
import type { BuildOverrides } from './overrides.ts';
import { packageFunctions } from './package.ts';

const { values } = parseArgs({
  options: {
    config: { type: 'string' },
    out: { type: 'string', default: 'dist' },
    only: { type: 'string', multiple: true },
    local: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(`Usage: npm run package -- [--config FILE] [--out DIR] [--only FUNCTION ...]
  --config FILE   JSON overrides baked into every zip (bucket names, image policy, ...; see the README)
  --out DIR       output folder (default dist)
  --only NAME     package only this function (repeatable; derived-cleanup included)
  --local         a build for this machine only: accepts the TEST-ONLY keys (refused otherwise)`);
  process.exit(0);
}

try {
  let overrides: BuildOverrides = {};
  if (values.config) {
    const text = await readFile(values.config, 'utf8');
    try {
      overrides = JSON.parse(text) as BuildOverrides;
    } catch (error) {
      throw new Error(`Expected JSON in ${values.config} but received text that does not parse (${(error as Error).message})`);
    }
  }
  const started = performance.now();
  const manifest = await packageFunctions({
    root: process.cwd(),
    outDir: values.out,
    overrides,
    local: values.local,
    ...(values.only ? { only: values.only as PackagedFunctionName[] } : {}),
  });
  const out = path.relative(process.cwd(), path.resolve(values.out)) || '.';
  for (const f of manifest.functions) {
    const kb = (f.zipBytes / 1024).toFixed(0).padStart(6);
    const limit = (f.zipLimitBytes / 1024 / 1024).toFixed(0);
    console.log(
      `${out}/${f.zip.padEnd(22)} ${kb} KB of ${limit} MB  ${f.eventTypes.join(', ') || '(not attached)'}  ${f.memoryMb} MB ${f.timeoutSeconds} s  sha256 ${f.sha256.slice(0, 12)}`,
    );
  }
  for (const f of manifest.regionalFunctions) {
    const kb = (f.zipBytes / 1024).toFixed(0).padStart(6);
    const limit = (f.zipLimitBytes / 1024 / 1024).toFixed(0);
    const regions = f.regions.map((r) => r.region).join(', ');
    console.log(
      `${out}/${f.zip.padEnd(22)} ${kb} KB of ${limit} MB  regional, ${f.events.join(', ')} in ${regions}  ${f.memoryMb} MB ${f.timeoutSeconds} s  sha256 ${f.sha256.slice(0, 12)}`,
    );
  }
  const grant = manifest.uploadGrant;
  if (grant) {
    const kb = (grant.zipBytes / 1024).toFixed(0).padStart(6);
    console.log(
      `${out}/${grant.zip.padEnd(22)} ${kb} KB of ${(grant.zipLimitBytes / 1024 / 1024).toFixed(0)} MB  regional, function URL in ${grant.region}  ${grant.memoryMb} MB ${grant.timeoutSeconds} s  sha256 ${grant.sha256.slice(0, 12)}`,
    );
  }
  for (const f of manifest.cloudFrontFunctions ?? []) {
    // The headroom an operator's larger policy (more sizes, widths, presets) can use.
    console.log(
      `${out}/${f.file.padEnd(22)} ${f.bytes} bytes of ${f.limitBytes}, headroom ${f.limitBytes - f.bytes} bytes  ${f.runtime}  sha256 ${f.sha256.slice(0, 12)}`,
    );
  }
  console.log(`${out}/manifest.json, ${out}/iam/  (${Math.round(performance.now() - started)} ms)`);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
