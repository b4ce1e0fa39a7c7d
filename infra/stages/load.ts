/**
 * Finds a stage's file: infra/stages/<stage>.ts when it exists, else infra/stages/default.ts, and
 * loads it. Node 20 cannot import TypeScript, so the file is bundled by esbuild (as run.mjs does)
 * into .build/stages/ first: adding a stage is adding its file, nothing else.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { rm } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import type { StageConfig } from './schema.ts';

export interface LoadedStage {
  readonly name: string;
  /** The file the stage came from, relative to the project root. */
  readonly file: string;
  /** Whether the stage has no file of its own (it deploys the repository's default). */
  readonly isDefault: boolean;
  readonly config: StageConfig;
}

const NOT_STAGES = new Set(['schema', 'load', 'default']);

function stageFile(root: string, stage: string): { file: string; isDefault: boolean } {
  if (!/^[A-Za-z][\w-]*$/.test(stage)) throw new Error(`Expected a stage name of letters, digits, - and _ for --stage but received ${JSON.stringify(stage)}`);
  const own = path.join('infra', 'stages', `${stage}.ts`);
  if (!NOT_STAGES.has(stage) && existsSync(path.join(root, own))) return { file: own, isDefault: false };
  return { file: path.join('infra', 'stages', 'default.ts'), isDefault: true };
}

export async function loadStage(root: string, stage: string): Promise<LoadedStage> {
  const { file, isDefault } = stageFile(root, stage);
  const outfile = path.join(root, '.build', 'stages', `${stage}-${process.pid}-${Date.now()}.mjs`);
  mkdirSync(path.dirname(outfile), { recursive: true });
  const { build } = await import('esbuild');
  await build({ entryPoints: [path.join(root, file)], outfile, bundle: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'error' });
  const module = (await import(pathToFileURL(outfile).href)) as { default?: StageConfig };
  await rm(outfile, { force: true });
  if (typeof module.default !== 'object' || module.default === null) {
    throw new Error(`Expected ${file} to export default defineStage({...}) but received ${typeof module.default}`);
  }
  return { name: stage, file, isDefault, config: module.default };
}
