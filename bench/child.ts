/**
 * Benchmarks that need a process of their own (peak RSS only grows within one process; allocation
 * counts need a quiet heap): bundle a TypeScript entry with esbuild, run it with node, read the JSON
 * it prints last.
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';

const run = promisify(execFile);

/** Runs the bundled script with these arguments (and node flags) and returns its last JSON line. */
export type ChildScript = (args: readonly string[], nodeFlags?: readonly string[], maxBuffer?: number) => Promise<Record<string, unknown>>;

/** Bundles a TypeScript entry into `<outdir>/<name>.mjs` (packages stay external) and returns that path. */
export async function bundleScript(entry: string, outdir: string): Promise<string> {
  await mkdir(outdir, { recursive: true });
  const outfile = path.join(outdir, `${path.basename(entry, '.ts')}.mjs`);
  await build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning' });
  return outfile;
}

export async function bundleChild(entry: string, outdir: string): Promise<ChildScript> {
  const outfile = await bundleScript(entry, outdir);
  return async (args, nodeFlags = [], maxBuffer = 1024 * 1024) => {
    const { stdout } = await run(process.execPath, [...nodeFlags, outfile, ...args], { maxBuffer, cwd: process.cwd() });
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
  };
}
