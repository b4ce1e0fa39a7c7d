/**
 * dist/manifest.json: what `npm run package` built, one entry per function. Read by the console
 * instructions (README), by infra/ (the zips SST deploys) and by the tests. No build code here,
 * so infra/ can import it without pulling esbuild into the SST program.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { EventType, FunctionName } from '../distribution.ts';
import type { BuildOverrides } from './overrides.ts';

export interface ManifestFunction {
  readonly function: FunctionName;
  /** The name the IAM policies in iam/ are written for (Lambda function name). */
  readonly lambdaName: string;
  /** The events the function is attached to in the distribution (first one is the main one). */
  readonly eventTypes: readonly EventType[];
  readonly runtime: string;
  readonly architecture: string;
  readonly handler: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** File name of the zip, beside manifest.json. */
  readonly zip: string;
  readonly zipBytes: number;
  /** The limit zipBytes was checked against. */
  readonly zipLimitBytes: number;
  /** Hex SHA-256 of the zip (what `sha256sum` prints). */
  readonly sha256: string;
  /** Base64 SHA-256 of the zip: Lambda's CodeSha256, shown in the console after upload. */
  readonly codeSha256: string;
  /** Bytes of index.js before zipping. */
  readonly bundleBytes: number;
  /** Packages installed next to index.js (e.g. sharp for linux-x64 glibc). */
  readonly nodeModules: readonly string[];
  /** Paths of the IAM policy documents for this function, relative to the manifest. */
  readonly iam: { readonly trust: string; readonly permissions: string };
}

export interface Manifest {
  readonly distribution: string;
  readonly region: string;
  /** The build overrides that were baked into every zip. */
  readonly overrides: BuildOverrides;
  readonly functions: readonly ManifestFunction[];
}

export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
}

export function manifestEntry(manifest: Manifest, fn: FunctionName): ManifestFunction {
  const entry = manifest.functions.find((f) => f.function === fn);
  if (!entry) throw new Error(`Expected function ${fn} in the manifest but received ${manifest.functions.map((f) => f.function).join(', ')}`);
  return entry;
}
