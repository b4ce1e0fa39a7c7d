/**
 * The zips a stage deploys, built by the same command operators use (`npm run package`), in a child
 * process so the SST program never loads esbuild or the function sources itself:
 *   .build/sst/<stage>/overrides.json   the stage's build overrides (stageOverrides)
 *   .build/sst/<stage>/dist/            zips, manifest.json, iam/
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BuildOverrides } from './build/overrides.ts';
import { readManifest } from './build/manifest.ts';
import { applyOverrides } from './build/overrides.ts';
import { distribution } from './distribution.ts';
import { KEY_SETUP_HELP, testOnlyKeyProblems } from './keys.ts';
import type { Artifacts } from './edge-functions.ts';

export interface StageFiles {
  readonly dir: string;
  readonly overridesFile: string;
  readonly distDir: string;
}

export function stageFiles(root: string, stage: string): StageFiles {
  const dir = path.join(root, '.build', 'sst', stage.replace(/[^\w.-]/g, '_'));
  return { dir, overridesFile: path.join(dir, 'overrides.json'), distDir: path.join(dir, 'dist') };
}

/** Writes the stage's overrides (the local edge of `sst dev` reads them too). */
export function writeStageOverrides(root: string, stage: string, overrides: BuildOverrides): StageFiles {
  const files = stageFiles(root, stage);
  mkdirSync(files.dir, { recursive: true });
  writeFileSync(files.overridesFile, `${JSON.stringify(overrides, null, 2)}\n`);
  return files;
}

/** Runs `npm run package -- --config <overrides> --out <dist>` for the stage and reads its manifest. */
export function buildStageArtifacts(root: string, stage: string, overrides: BuildOverrides): Artifacts {
  // A deployment never trusts a TEST-ONLY key: refused here, before anything is built (and again by
  // npm run package, which runs without --local).
  const keyProblems = testOnlyKeyProblems(applyOverrides(distribution, overrides));
  if (keyProblems.length > 0) throw new Error(`Refusing to deploy stage ${stage}:\n- ${keyProblems.join('\n- ')}\n${KEY_SETUP_HELP}`);
  const files = writeStageOverrides(root, stage, overrides);
  try {
    // The SST program may run under bun; the build wants the node that runs the project.
    const node = process.versions['bun'] ? 'node' : process.execPath;
    execFileSync(node, [path.join(root, 'infra/build/run.mjs'), 'infra/build/package-cli.ts', '--config', files.overridesFile, '--out', files.distDir], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `Expected npm run package to build the edge functions for stage ${stage} but it failed:\n${failed.stderr || failed.stdout || failed.message}`,
    );
  }
  return { dir: files.distDir, manifest: readManifest(files.distDir) };
}
