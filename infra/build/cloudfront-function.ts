/**
 * Builds image-request as a CloudFront Function: functions/image-request/cloudfront-function.ts and
 * the core it imports, compiled by esbuild to the syntax `cloudfront-js-2.0` documents
 * (cloudfront-runtime.ts), one script whose top-level `function handler(event)` CloudFront calls,
 * with the config baked in as JSON. The script is refused above CloudFront's 10 KB quota on a
 * function's code, with the inputs that take the room.
 *
 * Why a script and not a module: runtime 2.0 accepts `import cf from 'cloudfront'` (and `import
 * crypto from 'crypto'`) but documents no `export`; CloudFront runs the top-level `handler`.
 */
import { build } from 'esbuild';
import type { BuildOptions, Metafile, Plugin } from 'esbuild';
import path from 'node:path';
import { ERROR_CODES } from '../../functions/core/error-codes.ts';
import type { ErrorCode } from '../../functions/core/error-codes.ts';
import type { ImageRequestConfig } from '../../functions/image-request/handler.ts';
import { mangledProperties } from './cloudfront-properties.ts';
import { MAX_FUNCTION_BYTES, SYNTAX } from './cloudfront-runtime.ts';

const CLOUDFRONT_FUNCTION_ENTRY = 'functions/image-request/cloudfront-function.ts';
/** The generated module the entry imports, as the Lambda@Edge build's (functions/baked-config.d.ts). */
const CONFIG_MODULE = 'edge-images:config/image-request';
/** How esbuild ends an ESM bundle whose entry exports `handler` (minified: `export{x as handler};`). */
const EXPORT_HANDLER = /export\s*\{\s*(?:([A-Za-z_$][\w$]*)\s+as\s+)?handler\s*\};?\s*$/;

export interface CloudFrontFunctionBuild {
  /** The function's code, as pasted into the console or sent to CreateFunction. */
  readonly code: string;
  /** UTF-8 bytes of `code`: what the 10 KB quota counts. */
  readonly bytes: number;
  /** Input files by bytes in the output, largest first. */
  readonly inputs: readonly { readonly path: string; readonly bytes: number }[];
}

export class CloudFrontFunctionTooLarge extends Error {
  readonly bytes: number;
  constructor(bytes: number, limit: number, inputs: CloudFrontFunctionBuild['inputs']) {
    const largest = inputs
      .slice(0, 5)
      .map((i) => `${i.path} ${i.bytes} B`)
      .join(', ');
    super(
      `Expected a CloudFront Function of at most ${limit} bytes (CloudFront Functions quota, ` +
        `https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-functions) ` +
        `for image-request but received ${bytes} bytes; largest inputs: ${largest}`,
    );
    this.name = 'CloudFrontFunctionTooLarge';
    this.bytes = bytes;
  }
}

/**
 * The policy fields only image-resize reads (decode limits, the mezzanine, the JPEG background, the
 * quality scale and q=auto's search): left out of the function. Every other field is baked, so a field added to the policy reaches the
 * function without an edit here.
 */
const RESIZE_ONLY = ['limits', 'background', 'mezzanine', 'quality'] as const satisfies readonly (keyof ImageRequestConfig['policy'])[];

/**
 * What the function reads of the config: the policy less RESIZE_ONLY, and the protected prefixes.
 * Baked as an ES module (not a JSON one) so that its property names are shortened with the code's.
 */
function bakedConfig(config: ImageRequestConfig): ImageRequestConfig {
  const policy: Record<string, unknown> = { ...config.policy };
  for (const field of RESIZE_ONLY) delete policy[field];
  return { policy: policy as unknown as ImageRequestConfig['policy'], protectedPrefixes: config.protectedPrefixes ?? [] };
}

function bakeConfig(config: ImageRequestConfig): Plugin {
  return {
    name: 'edge-images-bake-image-request-config',
    setup(b) {
      b.onResolve({ filter: /^edge-images:config\/image-request$/ }, () => ({ path: CONFIG_MODULE, namespace: 'edge-images' }));
      b.onLoad({ filter: /.*/, namespace: 'edge-images' }, () => ({ contents: `export default ${JSON.stringify(bakedConfig(config))};`, loader: 'js' }));
    },
  };
}

/**
 * The error codes a bundle built without the table names as a string literal (`new EdgeError('Forbidden', ...)`,
 * `badRequest` in errors.ts): the code that survived tree-shaking is all that can reach the
 * constructor in this bundle, which reads no stored error.
 */
function namedErrorCodes(bundle: string): ErrorCode[] {
  return (Object.keys(ERROR_CODES) as ErrorCode[]).filter((code) => bundle.includes(`"${code}"`));
}

/** The error codes' table with the rows of `codes` alone: the same data, less what the function never names. */
function pruneErrorCodes(codes: readonly ErrorCode[]): Plugin {
  const rows = Object.fromEntries(codes.map((code) => [code, ERROR_CODES[code]]));
  return {
    name: 'edge-images-prune-error-codes',
    setup(b) {
      b.onLoad({ filter: /[\\/]functions[\\/]core[\\/]error-codes\.ts$/ }, () => ({
        contents: `export const ERROR_CODES = ${JSON.stringify(rows)};`,
        loader: 'js',
      }));
    },
  };
}

export interface CloudFrontFunctionOptions {
  /** The project root. */
  readonly root: string;
  readonly config: ImageRequestConfig;
  /** The entry point, relative to root (tests build other entries through the same pipeline). */
  readonly entry?: string;
  /** Default MAX_FUNCTION_BYTES; tests lower it to prove the refusal. */
  readonly maxBytes?: number;
}

/** Compiles the function; throws CloudFrontFunctionTooLarge over the quota, esbuild's errors on syntax the runtime lacks. */
export async function buildCloudFrontFunction(options: CloudFrontFunctionOptions): Promise<CloudFrontFunctionBuild> {
  const root = path.resolve(options.root);
  const common: BuildOptions & { metafile: true; write: false } = {
    absWorkingDir: root,
    entryPoints: [path.join(root, options.entry ?? CLOUDFRONT_FUNCTION_ENTRY)],
    bundle: true,
    write: false,
    platform: 'neutral',
    // An ES module bundle is flat (no wrapper, no namespace object); its one `export` becomes the
    // top-level function CloudFront calls, below.
    format: 'esm',
    supported: { ...SYNTAX },
    minify: true,
    charset: 'ascii',
    legalComments: 'none',
    metafile: true,
    logLevel: 'silent',
    plugins: [bakeConfig(options.config)],
  };
  // First the files the function bundles, then the build with their internal property names (the
  // baked policy, variants, errors) shortened to one or two letters: 10 KB is tight
  // (cloudfront-properties.ts derives the names, never one CloudFront or the log line reads).
  // The first build has an empty error codes' table: the codes its code names are the rows the second keeps.
  const first = await build({ ...common, plugins: [bakeConfig(options.config), pruneErrorCodes([])] });
  const files = Object.keys(first.metafile.inputs);
  const result = await build({
    ...common,
    plugins: [bakeConfig(options.config), pruneErrorCodes(namedErrorCodes(first.outputFiles[0]?.text ?? ''))],
    mangleProps: mangledProperties(root, files, bakedConfig(options.config)),
    mangleQuoted: true,
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error('Expected one output file from esbuild but received none');
  const exported = EXPORT_HANDLER.exec(output.text);
  if (exported === null)
    throw new Error(
      `Expected the CloudFront Function entry to export handler and nothing else but esbuild ended it with ${JSON.stringify(output.text.slice(-80))}`,
    );
  const inner = exported[1] ?? 'handler';
  const body = output.text.slice(0, exported.index);
  // CloudFront calls the script's top-level `handler`; strict mode is the runtime's default. The
  // minified name is renamed where it is declared and nowhere else used; otherwise a wrapper calls it.
  const uses = body.match(new RegExp(`(?<![\\w$.])${inner.replace(/\$/g, '\\$')}(?![\\w$])`, 'g')) ?? [];
  const declaration = `function ${inner}(`;
  const code =
    inner === 'handler'
      ? body
      : uses.length === 1 && body.split(declaration).length === 2
        ? body.replace(declaration, 'function handler(')
        : `${body}function handler(event){return ${inner}(event)}\n`;
  const meta = Object.values(result.metafile.outputs)[0] as Metafile['outputs'][string];
  const inputs = Object.entries(meta.inputs)
    .map(([input, info]) => ({ path: input, bytes: info.bytesInOutput }))
    .sort((a, b) => b.bytes - a.bytes);
  const bytes = Buffer.byteLength(code, 'utf8');
  const limit = options.maxBytes ?? MAX_FUNCTION_BYTES;
  if (bytes > limit) throw new CloudFrontFunctionTooLarge(bytes, limit, inputs);
  return { code, bytes, inputs };
}
