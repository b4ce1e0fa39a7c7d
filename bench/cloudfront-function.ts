/**
 * image-request's CloudFront Function build (cloudfront-js-2.0) next to its Lambda@Edge handler, in
 * one run: time per request of the built function in the local sandbox (one context reused, the
 * function's own work; and a fresh context per run, what the local edge pays) against the Lambda@Edge
 * handler in plain Node, as ratios, and the code's size against the 10 KB quota.
 *
 * The sandbox is V8 in a node:vm context, not CloudFront's runtime: its time says what the built
 * code costs relative to the handler on the same engine, not what CloudFront measures (AWS reports a
 * "compute utilization" per run, not a time).
 */
import { viewerRequestEvent as lambdaEvent } from '../infra/local/cloudfront-events.ts';
import { silentLog } from '../functions/core/log.ts';
import { createHandler } from '../functions/image-request/handler.ts';
import { buildCloudFrontFunction } from '../infra/build/cloudfront-function.ts';
import { MAX_FUNCTION_BYTES } from '../infra/build/cloudfront-runtime.ts';
import { imageRequestConfig } from '../infra/config.ts';
import { loadCloudFrontFunction, viewerRequestEvent } from '../infra/local/cloudfront-sandbox.ts';
import { median, opsPerSecondAsync, round } from './stats.ts';

const ACCEPT = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8';
const ROUNDS = Number(process.env['VIEWER_ROUNDS'] ?? 5);
const ROUND_MS = Number(process.env['VIEWER_ROUND_MS'] ?? 150);

const CASES = [
  { name: 'path form /128x128/...', uri: '/128x128/photos/cat.jpg', querystring: '' },
  { name: 'query form ?w=&h=&fm=auto', uri: '/photos/cat.jpg', querystring: 'w=128&h=128&fit=cover&fm=auto&q=75' },
  { name: 'refused (400)', uri: '/100x100/photos/cat.jpg', querystring: '' },
] as const;

export async function benchCloudFrontFunction(): Promise<Record<string, unknown>> {
  const config = imageRequestConfig();
  const built = await buildCloudFrontFunction({ root: '.', config });
  const reused = loadCloudFrontFunction(built.code, { reuseContext: true, timeoutMs: 0 });
  const fresh = loadCloudFrontFunction(built.code, { timeoutMs: 0 });
  const lambda = createHandler(config, { log: silentLog });
  const cases: Record<string, unknown>[] = [];
  for (const c of CASES) {
    const headers = { host: [{ key: 'Host', value: 'cdn.example.com' }], accept: [{ key: 'Accept', value: ACCEPT }] };
    const lambdaRun = () => lambda(lambdaEvent({ clientIp: '203.0.113.42', uri: c.uri, querystring: c.querystring, headers }));
    const cfEvent = () =>
      viewerRequestEvent({
        method: 'GET',
        uri: c.uri,
        querystring: c.querystring === '' ? undefined : c.querystring,
        headers: [
          ['Host', 'cdn.example.com'],
          ['Accept', ACCEPT],
        ],
        clientIp: '203.0.113.42',
        requestId: 'bench',
      });
    // Interleaved rounds, medians: the three see the same machine load.
    const l: number[] = [];
    const r: number[] = [];
    const f: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      l.push(await opsPerSecondAsync(lambdaRun, ROUND_MS));
      r.push(await opsPerSecondAsync(() => reused.run(cfEvent()), ROUND_MS));
      f.push(await opsPerSecondAsync(() => fresh.run(cfEvent()), ROUND_MS, 5));
    }
    const lambdaUs = 1e6 / median(l);
    const reusedUs = 1e6 / median(r);
    const freshUs = 1e6 / median(f);
    cases.push({
      name: c.name,
      lambda_edge_us: round(lambdaUs, 2),
      cloudfront_function_us: round(reusedUs, 2),
      cloudfront_function_fresh_context_us: round(freshUs, 1),
      cloudfront_function_vs_lambda_edge: round(reusedUs / lambdaUs, 2),
      fresh_context_vs_lambda_edge: round(freshUs / lambdaUs, 1),
    });
  }
  return { code_bytes: built.bytes, limit_bytes: MAX_FUNCTION_BYTES, headroom_bytes: MAX_FUNCTION_BYTES - built.bytes, cases };
}
