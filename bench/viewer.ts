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

const run = promisify(execFile);
const DIR = path.resolve('bench/tmp/viewer');

export async function benchViewer(): Promise<Record<string, unknown>> {
  const child = await bundleScript('bench/viewer-child.ts', DIR);
  // A young generation large enough that the allocation runs see no scavenge (the child checks).
  const { stdout } = await run(process.execPath, ['--expose-gc', '--min-semi-space-size=64', '--max-semi-space-size=64', child], {
    maxBuffer: 4 * 1024 * 1024,
    cwd: process.cwd(),
  });
  const handlers = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { cases: Record<string, unknown>[] };
  const core = await benchSignedUrl();
  // image-request's CloudFront Function build beside its Lambda@Edge handler (bench/cloudfront-function.ts).
  const cloudFrontFunction = await benchCloudFrontFunction();
  return { handlers: handlers.cases, signed_url_verify: core, cloudfront_function: cloudFrontFunction };
}
