/**
 * `npm run preflight -- --stage NAME [--dev]`: checks a stage file offline (infra/preflight.ts), one
 * line per problem; exits 1 when the stage cannot be deployed. Zip sizes are checked when the stage
 * was packaged (.build/sst/<stage>/dist, written by `sst deploy`, or --dist DIR).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readManifest } from './build/manifest.ts';
import { stageFiles } from './artifacts.ts';
import { formatPreflight, preflight } from './preflight.ts';
import { loadStage } from './stages/load.ts';

const { values } = parseArgs({
  options: { stage: { type: 'string' }, dev: { type: 'boolean', default: false }, dist: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
});
if (values.help || values.stage === undefined) {
  console.log(`Usage: npm run preflight -- --stage NAME [--dev] [--dist DIR]
  --stage NAME  the stage to check: infra/stages/NAME.ts, else the repository default (infra/stages/default.ts)
  --dev         check it for \`sst dev\` (buckets only) instead of a real deployment
  --dist DIR    a package of this stage (npm run package -- --out DIR) whose zip sizes to check`);
  process.exit(values.help ? 0 : 2);
}
// run.mjs runs this bundled from .build/run: the project root is the working directory npm gives.
const root = process.cwd();
try {
  const stage = await loadStage(root, values.stage);
  const dist = values.dist ?? stageFiles(root, values.stage).distDir;
  const manifest = existsSync(path.join(dist, 'manifest.json')) ? readManifest(dist) : undefined;
  const mode = values.dev ? 'dev' : 'deploy';
  const problems = preflight(stage, { app: 'edge-images', mode, ...(manifest ? { manifest } : {}) });
  const notes =
    mode === 'deploy' && !manifest ? [`zip sizes not checked: no package in ${path.relative(root, dist)} (sst deploy checks them after packaging)`] : [];
  console.log(formatPreflight(stage, mode, problems, notes));
  process.exit(problems.length === 0 ? 0 : 1);
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
