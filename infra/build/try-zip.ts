/**
 * Runs a packaged function from its zip alone: unzip into a folder outside the project, then a fresh
 * `node` process requires index.js and answers one event (invoke.cjs). What the zip lacks, the
 * function lacks: nothing resolves from the project's node_modules.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';

const run = promisify(execFile);
// Beside this file; or, when this file was bundled elsewhere (run.mjs), in the project's infra/build.
const invokeScript = [path.join(path.dirname(fileURLToPath(import.meta.url)), 'invoke.cjs'), path.resolve('infra', 'build', 'invoke.cjs')].find((f) =>
  existsSync(f),
)!;

/** Extracts a zip into dir; returns the file names it held. */
export async function unzipTo(zipFile: string, dir: string): Promise<string[]> {
  const files = unzipSync(new Uint8Array(await readFile(zipFile)));
  for (const [name, data] of Object.entries(files)) {
    if (name.endsWith('/')) continue;
    const target = path.join(dir, name);
    if (!target.startsWith(path.resolve(dir) + path.sep)) throw new Error(`Expected a path inside the zip for an entry but received ${JSON.stringify(name)}`);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, data);
  }
  return Object.keys(files)
    .filter((name) => !name.endsWith('/'))
    .sort();
}

export interface Invocation {
  /** What the handler returned. */
  readonly result: unknown;
  /** In the process: require of index.js, and the first answer after it. */
  readonly loadMs: number;
  readonly answerMs: number;
  /** Spawn to exit of the whole `node` process. */
  readonly wallMs: number;
  /** What the function logged (stdout lines before the result). */
  readonly logs: readonly string[];
}

/** Requires dir/index.js in a fresh node and calls its handler with the event file. */
export async function invoke(dir: string, eventFile: string, env: Record<string, string> = {}): Promise<Invocation> {
  const started = performance.now();
  const { stdout } = await run(process.execPath, [invokeScript, dir, eventFile], {
    cwd: dir,
    // No NODE_OPTIONS or NODE_PATH from the caller: Lambda@Edge has neither.
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  const wallMs = performance.now() - started;
  const lines = stdout.trimEnd().split('\n');
  const last = lines.pop() ?? '';
  const parsed = JSON.parse(last) as { result: unknown; loadMs: number; answerMs: number };
  return { ...parsed, wallMs, logs: lines };
}

/** Wall time of a bare `node -e ''`, the floor every cold start pays. */
export async function bareNodeMs(): Promise<number> {
  const started = performance.now();
  await run(process.execPath, ['-e', ''], { env: { PATH: process.env['PATH'] ?? '' } });
  return performance.now() - started;
}
