/**
 * Bundles one function (an edge function, or the regional derived-cleanup), functions/<name>/index.ts,
 * into a single CommonJS file `index.js` (handler `index.handler`) for the nodejs22.x runtime, with
 * the build overrides baked in:
 * every import of infra/distribution.ts is answered by baked-distribution.ts, which applies the
 * overrides given here as JSON. `sharp` stays external (package.ts installs the linux-x64 build next
 * to the bundle); everything else, the AWS SDK included, is inside the bundle, so what runs is what
 * was tested, whatever SDK the runtime happens to carry.
 */
import { build } from 'esbuild';
import type { Metafile, Plugin } from 'esbuild';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { FunctionName, RegionalFunctionName } from '../distribution.ts';
import type { BuildOverrides } from './overrides.ts';

/** Packages that are never bundled: they are installed next to the bundle when it imports them. */
export const NATIVE_EXTERNALS = ['sharp'] as const;

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
  /** Bytes of index.js. */
  readonly bytes: number;
  /** The external packages the bundle imports (a subset of NATIVE_EXTERNALS). */
  readonly externals: readonly string[];
  /** Input files by bytes in the output, largest first: what to look at when a bundle grows. */
  readonly inputs: readonly { readonly path: string; readonly bytes: number }[];
}

/** Every function `npm run package` builds: the Lambda@Edge ones and the regional ones. */
export type PackagedFunctionName = FunctionName | RegionalFunctionName;

const OVERRIDES_MODULE = 'edge-images:build-overrides';

/** The entry point of a function, checked to exist. */
export function entryOf(root: string, fn: PackagedFunctionName): string {
  const entry = path.join(root, 'functions', fn, 'index.ts');
  if (!existsSync(entry)) throw new Error(`Expected the entry point ${path.relative(root, entry)} for function ${fn} but received no such file`);
  return entry;
}

/** The esbuild plugin that bakes overrides into infra/distribution.ts for one build. */
export function bakeDistribution(root: string, overrides: BuildOverrides): Plugin {
  const distributionFile = path.join(root, 'infra', 'distribution.ts');
  const bakedFile = path.join(root, 'infra', 'build', 'baked-distribution.ts');
  return {
    name: 'edge-images-bake-distribution',
    setup(b) {
      b.onResolve({ filter: /(^|\/)distribution(\.ts)?$/ }, (args) => {
        if (args.importer === bakedFile) return undefined;
        const target = path.resolve(args.resolveDir, args.path);
        if (target === distributionFile || `${target}.ts` === distributionFile) return { path: bakedFile };
        return undefined;
      });
      b.onResolve({ filter: new RegExp(`^${OVERRIDES_MODULE}$`) }, () => ({ path: OVERRIDES_MODULE, namespace: 'edge-images' }));
      b.onLoad({ filter: /.*/, namespace: 'edge-images' }, () => ({ contents: JSON.stringify(overrides), loader: 'json' }));
    },
  };
}

export async function bundleFunction(options: BundleOptions): Promise<BundleResult> {
  const root = path.resolve(options.root);
  const entry = entryOf(root, options.fn);
  await rm(options.outDir, { recursive: true, force: true });
  await mkdir(options.outDir, { recursive: true });
  const file = path.join(options.outDir, 'index.js');
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile: file,
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
    plugins: [bakeDistribution(root, options.overrides)],
  });
  const output = Object.values(result.metafile.outputs)[0] as Metafile['outputs'][string];
  const externals = [...new Set(output.imports.filter((i) => i.external).map((i) => i.path))].filter((p) =>
    (NATIVE_EXTERNALS as readonly string[]).includes(p),
  );
  const inputs = Object.entries(output.inputs)
    .map(([input, info]) => ({ path: input, bytes: info.bytesInOutput }))
    .sort((a, b) => b.bytes - a.bytes);
  return { fn: options.fn, outDir: options.outDir, file, bytes: output.bytes, externals, inputs };
}
