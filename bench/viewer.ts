/**
 * The viewer functions: image-request and signed-url, each against the same work done by hand
 * (bench/viewer-child.ts, in a process of its own with `--expose-gc` for allocation figures), plus
 * the signed-url verifier against bare `crypto.verify` (bench/signed-url.ts).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { benchCloudFrontFunction } from './cloudfront-function.ts';
import { bundleScript } from './child.ts';
import { benchSignedUrl } from './signed-url.ts';
import type { SignedUrlResult } from './signed-url.ts';

const run = promisify(execFile);
const DIR = path.resolve('bench/tmp/viewer');

/** One handler against the same work by hand (a row of bench/viewer-child.ts). */
interface HandlerRow {
  readonly name: string;
  readonly fn: string;
  readonly handler_ops_per_s: number;
  readonly baseline_ops_per_s: number;
  readonly baseline_vs_handler: number;
  readonly handler_us: number;
  readonly baseline_us: number;
  readonly handler_bytes_per_request: number;
  readonly baseline_bytes_per_request: number;
  readonly allocation_without_gc: boolean;
  readonly same_uri_by_hand: boolean;
}

interface CloudFrontFunctionResult {
  readonly code_bytes: number;
  readonly limit_bytes: number;
  readonly headroom_bytes: number;
  readonly cases: readonly {
    name: string;
    lambda_edge_us: number;
    cloudfront_function_us: number;
    cloudfront_function_vs_lambda_edge: number;
  }[];
}

export interface ViewerResult {
  readonly handlers: readonly HandlerRow[];
  readonly signed_url_verify: SignedUrlResult;
  readonly cloudfront_function?: CloudFrontFunctionResult;
}

/** Rounds of `roundMs` per case; the defaults are the full bench's. */
export async function benchViewer(options: { rounds?: number; roundMs?: number } = {}): Promise<ViewerResult> {
  const child = await bundleScript('bench/viewer-child.ts', DIR);
  const env = {
    ...process.env,
    ...(options.rounds === undefined ? {} : { VIEWER_ROUNDS: String(options.rounds) }),
    ...(options.roundMs === undefined ? {} : { VIEWER_ROUND_MS: String(options.roundMs) }),
  };
  // A young generation large enough that the allocation runs see no scavenge (the child checks).
  const { stdout } = await run(process.execPath, ['--expose-gc', '--min-semi-space-size=64', '--max-semi-space-size=64', child], {
    maxBuffer: 4 * 1024 * 1024,
    cwd: process.cwd(),
    env,
  });
  const handlers = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { cases: HandlerRow[] };
  const core = await benchSignedUrl(options);
  // image-request's CloudFront Function build beside its Lambda@Edge handler (bench/cloudfront-function.ts).
  const cloudFrontFunction = (await benchCloudFrontFunction(options)) as unknown as CloudFrontFunctionResult;
  return { handlers: handlers.cases, signed_url_verify: core, cloudfront_function: cloudFrontFunction };
}
