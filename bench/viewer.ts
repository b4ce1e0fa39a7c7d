/**
 * The viewer functions: image-request and signed-url, each against the same work done by hand
 * (bench/viewer-child.ts, in a process of its own with `--expose-gc` for allocation figures), plus
 * the signed-url verifier against bare `crypto.verify` (bench/signed-url.ts).
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { benchSignedUrl } from './signed-url.ts';

const run = promisify(execFile);
const DIR = path.resolve('bench/tmp/viewer');

export async function benchViewer(): Promise<Record<string, unknown>> {
  await mkdir(DIR, { recursive: true });
  const child = path.join(DIR, 'viewer-child.mjs');
  await build({
    entryPoints: ['bench/viewer-child.ts'],
    outfile: child,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  // A young generation large enough that the allocation runs see no scavenge (the child checks).
  const { stdout } = await run(process.execPath, ['--expose-gc', '--min-semi-space-size=64', '--max-semi-space-size=64', child], {
    maxBuffer: 4 * 1024 * 1024,
    cwd: process.cwd(),
  });
  const handlers = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { cases: Record<string, unknown>[] };
  const core = await benchSignedUrl();
  return { handlers: handlers.cases, signed_url_verify: core };
}
