/**
 * dist/manifest.json: what `npm run package` built, one entry per function: the Lambda@Edge ones in
 * `functions` (kind `edge`), the regional ones (derived-cleanup) in `regionalFunctions` (kind
 * `regional`). Read by the console instructions (README), by infra/ (the zips SST deploys) and by the
 * tests. No build code here, so infra/ can import it without pulling esbuild into the SST program.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { EventType, FunctionName, RegionalFunctionName, S3EventName } from '../distribution.ts';
import type { BuildOverrides } from './overrides.ts';

/** What every packaged function has: how Lambda runs it, its zip and its IAM documents. */
interface ManifestPackage {
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

export interface ManifestFunction extends ManifestPackage {
  /** Lambda@Edge: created in us-east-1, associated with the distribution's behaviors. */
  readonly kind: 'edge';
  readonly function: FunctionName;
  /** The name the IAM policies in iam/ are written for (Lambda function name). */
  readonly lambdaName: string;
  /** The events the function is attached to in the distribution (first one is the main one). */
  readonly eventTypes: readonly EventType[];
}

/** A regular regional function on the image buckets' object events (derived-cleanup). */
export interface ManifestRegionalFunction extends ManifestPackage {
  readonly kind: 'regional';
  readonly function: RegionalFunctionName;
  /** The Lambda function name, the same in each region. */
  readonly lambdaName: string;
  /** The S3 event types it is notified of, on every bucket of its region. */
  readonly events: readonly S3EventName[];
  /**
   * Where to create it: one function per region that holds an image bucket (S3 notifies only
   * functions in the bucket's region), with the buckets of that region.
   */
  readonly regions: readonly { readonly region: string; readonly buckets: readonly string[] }[];
  /** Environment variables it needs: DISTRIBUTION_ID, the distribution it invalidates. */
  readonly environment: readonly string[];
}

/** upload-grant: a regional function behind its own function URL, in the originals bucket's region. */
export interface ManifestUploadGrant extends ManifestPackage {
  readonly kind: 'upload-grant';
  readonly function: 'upload-grant';
  readonly lambdaName: string;
  readonly region: string;
  /** Environment variables it needs: UPLOAD_GRANT_KEY, the stage's token key. */
  readonly environment: readonly string[];
}

/**
 * A CloudFront Function (image-request's cloudfront-js-2.0 build): one JavaScript file, pasted into
 * the CloudFront console as it is (Functions > Create function > Build) or sent to CreateFunction.
 */
export interface ManifestCloudFrontFunction {
  readonly kind: 'cloudfront-function';
  readonly function: FunctionName;
  /** The CloudFront Function name (the Lambda@Edge naming: `<distribution>-<function>`). */
  readonly name: string;
  /** `cloudfront-js-2.0`. */
  readonly runtime: string;
  /** Always viewer-request here. */
  readonly eventType: EventType;
  /** Path patterns of the behaviors it is associated with. */
  readonly behaviors: readonly string[];
  /** File name of the code, beside manifest.json. */
  readonly file: string;
  /** UTF-8 bytes of the code: what CloudFront's quota counts. */
  readonly bytes: number;
  /** The quota `bytes` was checked against (10 KB). */
  readonly limitBytes: number;
  /** Hex SHA-256 of the file. */
  readonly sha256: string;
}

export interface Manifest {
  readonly distribution: string;
  /** Where the Lambda@Edge functions (`functions`) are created. */
  readonly region: string;
  /** The build overrides that were baked into every zip. */
  readonly overrides: BuildOverrides;
  readonly functions: readonly ManifestFunction[];
  /** Empty when `--only` names edge functions alone. */
  readonly regionalFunctions: readonly ManifestRegionalFunction[];
  /** The CloudFront Functions the behaviors associate (absent in manifests written before they existed). */
  readonly cloudFrontFunctions?: readonly ManifestCloudFrontFunction[];
  /** The upload-grant function, when the distribution has an uploads block. */
  readonly uploadGrant?: ManifestUploadGrant;
}

export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
}

export function manifestEntry(manifest: Manifest, fn: FunctionName): ManifestFunction {
  const entry = manifest.functions.find((f) => f.function === fn);
  if (!entry) throw new Error(`Expected function ${fn} in the manifest but received ${manifest.functions.map((f) => f.function).join(', ')}`);
  return entry;
}

export function regionalManifestEntry(manifest: Manifest, fn: RegionalFunctionName): ManifestRegionalFunction {
  // `?? []`: a manifest written before regional functions existed has no such list.
  const regional = manifest.regionalFunctions ?? [];
  const entry = regional.find((f) => f.function === fn);
  if (!entry) {
    const found = regional.map((f) => f.function);
    throw new Error(`Expected regional function ${fn} in the manifest but received ${found.length > 0 ? found.join(', ') : 'none'}: package without --only`);
  }
  return entry;
}

export function cloudFrontFunctionEntry(manifest: Manifest, fn: FunctionName): ManifestCloudFrontFunction {
  const entries = manifest.cloudFrontFunctions ?? [];
  const entry = entries.find((f) => f.function === fn);
  if (!entry) {
    throw new Error(
      `Expected the CloudFront Function ${fn} in the manifest but received ${entries.map((f) => f.function).join(', ') || 'none'}: package again`,
    );
  }
  return entry;
}
