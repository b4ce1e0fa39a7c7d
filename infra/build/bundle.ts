/**
 * Bundles one function (an edge function, or the regional derived-cleanup), functions/<name>/index.ts,
 * into a single CommonJS file `index.js` (handler `index.handler`) for the nodejs22.x runtime, with
 * its configuration baked in: index.ts imports the generated module `edge-images:config/<fn>`, which
 * the plugin below answers with the JSON of functionConfig(fn) (infra/config.ts) over distribution.ts
 * with the build overrides applied. `sharp` stays external (package.ts installs the linux-x64 build next
 * to the bundle); everything else, the AWS SDK included, is inside the bundle, so what runs is what
 * was tested, whatever SDK the runtime happens to carry.
 */
import { build } from 'esbuild';
import type { BuildOptions, Metafile, Plugin } from 'esbuild';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { functionConfig } from '../config.ts';
import { distribution } from '../distribution.ts';
import type { FunctionName, RegionalFunctionName } from '../distribution.ts';
import { applyOverrides } from './overrides.ts';
import type { BuildOverrides } from './overrides.ts';

/** Packages that are never bundled: they are installed next to the bundle when it imports them. */
const NATIVE_EXTERNALS = ['sharp'] as const;

export interface BundleOptions {
  /** The project root (where functions/ and infra/ are). */
  readonly root: string;
  readonly fn: PackagedFunctionName;
  readonly overrides: BuildOverrides;
  /** Emptied, then holds index.js. */
  readonly outDir: string;
  readonly minify?: boolean;
}

export interface BundleResult {
  readonly fn: PackagedFunctionName;
  readonly outDir: string;
  readonly file: string;
  /** Scripts beside index.js that it forks (file names in outDir), e.g. image-resize's render-worker.js. */
  readonly workers: readonly string[];
  /** Bytes of index.js. */
  readonly bytes: number;
  /** The external packages the bundle imports (a subset of NATIVE_EXTERNALS). */
  readonly externals: readonly string[];
  /** Input files by bytes in the output, largest first: what to look at when a bundle grows. */
  readonly inputs: readonly { readonly path: string; readonly bytes: number }[];
}

/** Every function `npm run package` builds: the Lambda@Edge ones and the regional ones. */
export type PackagedFunctionName = FunctionName | RegionalFunctionName | 'upload-grant';
const PACKAGED_FUNCTIONS: readonly PackagedFunctionName[] = ['image-request', 'signed-url', 'geo-route', 'image-resize', 'derived-cleanup', 'upload-grant'];

/** The entry point of a function, checked to exist. */
function entryOf(root: string, fn: PackagedFunctionName): string {
  const entry = path.join(root, 'functions', fn, 'index.ts');
  if (!existsSync(entry)) throw new Error(`Expected the entry point ${path.relative(root, entry)} for function ${fn} but received no such file`);
  return entry;
}

/**
 * Child-process scripts a function forks, bundled beside index.js (CommonJS, sharp external):
 * image-resize renders in a process it can kill past the budget (functions/adapters/image/render-process.ts).
 */
const WORKERS: Partial<Record<PackagedFunctionName, readonly { readonly entry: string; readonly file: string }[]>> = {
  'image-resize': [{ entry: 'functions/adapters/image/render-worker.ts', file: 'render-worker.js' }],
};

/** The prefix of the generated configuration modules (typed in functions/baked-config.d.ts). */
const CONFIG_MODULE_PREFIX = 'edge-images:config/';

/**
 * The esbuild plugin that answers `import config from 'edge-images:config/<fn>'` with that function's
 * configuration (infra/config.ts) as JSON, computed from distribution.ts with `overrides` applied.
 */
export function bakedConfig(overrides: BuildOverrides = {}): Plugin {
  return {
    name: 'edge-images-baked-config',
    setup(b) {
      b.onResolve({ filter: /^edge-images:config\// }, (args) => ({ path: args.path, namespace: 'edge-images-config' }));
      b.onLoad({ filter: /.*/, namespace: 'edge-images-config' }, (args) => {
        const fn = args.path.slice(CONFIG_MODULE_PREFIX.length);
        if (!(PACKAGED_FUNCTIONS as readonly string[]).includes(fn)) {
          throw new Error(`Expected a function name (${PACKAGED_FUNCTIONS.join(', ')}) in ${args.path} but received ${JSON.stringify(fn)}`);
        }
        const config = functionConfig(fn as PackagedFunctionName, applyOverrides(distribution, overrides));
        return { contents: JSON.stringify(config), loader: 'json' };
      });
    },
  };
}

export async function bundleFunction(options: BundleOptions): Promise<BundleResult> {
  const root = path.resolve(options.root);
  const entry = entryOf(root, options.fn);
  await rm(options.outDir, { recursive: true, force: true });
  await mkdir(options.outDir, { recursive: true });
  const file = path.join(options.outDir, 'index.js');
  // One build for the handler and each worker beside it: CommonJS for node22, natives external.
  const common = {
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    external: [...NATIVE_EXTERNALS],
    // ESM builds first: the AWS SDK's tree-shake far better (the resize bundle: ~730 KB instead of ~1 MB).
    mainFields: ['module', 'main'],
    minifySyntax: options.minify ?? true,
    minifyWhitespace: options.minify ?? true,
    // Identifiers stay readable: stack traces in CloudWatch name real functions (no source maps at
    // the edge: NODE_OPTIONS would be an environment variable).
    minifyIdentifiers: false,
    legalComments: 'none',
    metafile: true,
    logLevel: 'silent',
  } satisfies BuildOptions;
  const result = await build({ ...common, entryPoints: [entry], outfile: file, plugins: [bakedConfig(options.overrides)] });
  const output = Object.values(result.metafile.outputs)[0] as Metafile['outputs'][string];
  const inputs = Object.entries(output.inputs)
    .map(([input, info]) => ({ path: input, bytes: info.bytesInOutput }))
    .sort((a, b) => b.bytes - a.bytes);
  const workers = WORKERS[options.fn] ?? [];
  const imported = [...output.imports];
  for (const worker of workers) {
    const built = await build({ ...common, entryPoints: [path.join(root, worker.entry)], outfile: path.join(options.outDir, worker.file) });
    for (const out of Object.values(built.metafile.outputs)) imported.push(...out.imports);
  }
  // sharp is installed beside the bundle when index.js or one of its workers imports it.
  const externals = [...new Set(imported.filter((i) => i.external).map((i) => i.path))].filter((p) => (NATIVE_EXTERNALS as readonly string[]).includes(p));
  return { fn: options.fn, outDir: options.outDir, file, workers: workers.map((w) => w.file), bytes: output.bytes, externals, inputs };
}
