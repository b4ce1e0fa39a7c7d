/**
 * image-request's CloudFront Function build (cloudfront-js-2.0) next to its Lambda@Edge handler, in
 * one run: time per request of the built function in the local sandbox (as the local edge runs it:
 * a run in the function's thread, the script evaluated afresh, the result checked) against the
 * Lambda@Edge handler in plain Node, as ratios, and the code's size against the 10 KB quota.
 *
 * The sandbox is V8 in a node:vm context, not CloudFront's runtime: its time says what the built
 * code costs relative to the handler on the same engine, not what CloudFront measures (AWS reports a
 * "compute utilization" per run, not a time).
 *
 * The function's own time: the built code's handler alone, called in a loop inside one context on
 * events made beforehand (no event building, copying or result checking: the sandbox's work), for
 * ordinary requests and the worst inputs a viewer can send within CloudFront's 8 KB URL. CloudFront
 * throttles functions whose compute utilization is high, so each worst case is given as a ratio to
 * the ordinary path-form request (the budget: 5x).
 */
import vm from 'node:vm';
import { functionViewerRequestEvent, viewerRequestEvent as lambdaEvent } from '../infra/local/cloudfront-events.ts';
import { silentLog } from '../functions/core/log.ts';
import { createHandler } from '../functions/image-request/handler.ts';
import { buildCloudFrontFunction } from '../infra/build/cloudfront-function.ts';
import { MAX_FUNCTION_BYTES } from '../infra/build/cloudfront-runtime.ts';
import { imageRequestConfig } from '../infra/config.ts';
import { loadCloudFrontFunction } from '../infra/local/cloudfront-sandbox.ts';
import { median, opsPerSecondAsync, round } from './stats.ts';

const ACCEPT = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8';
const ROUNDS = Number(process.env['VIEWER_ROUNDS'] ?? 5);
const ROUND_MS = Number(process.env['VIEWER_ROUND_MS'] ?? 150);

const CASES = [
  { name: 'path form /128x128/...', uri: '/128x128/photos/cat.jpg', querystring: '' },
  { name: 'query form ?w=&h=&fm=auto', uri: '/photos/cat.jpg', querystring: 'w=128&h=128&fit=cover&fm=auto&q=75' },
  { name: 'refused (400)', uri: '/100x100/photos/cat.jpg', querystring: '' },
] as const;

export async function benchCloudFrontFunction(settings: { rounds?: number; roundMs?: number } = {}): Promise<Record<string, unknown>> {
  const rounds = settings.rounds ?? ROUNDS;
  const roundMs = settings.roundMs ?? ROUND_MS;
  const config = imageRequestConfig();
  const built = await buildCloudFrontFunction({ root: '.', config });
  const sandbox = loadCloudFrontFunction(built.code);
  const lambda = createHandler(config, { log: silentLog });
  const cases: Record<string, unknown>[] = [];
  for (const c of CASES) {
    const headers = { host: [{ key: 'Host', value: 'cdn.example.com' }], accept: [{ key: 'Accept', value: ACCEPT }] };
    const lambdaRun = () => lambda(lambdaEvent({ clientIp: '203.0.113.42', uri: c.uri, querystring: c.querystring, headers }));
    const cfEvent = () =>
      functionViewerRequestEvent(lambdaEvent({ clientIp: '203.0.113.42', uri: c.uri, querystring: c.querystring, headers, requestId: 'bench' }));
    // Interleaved rounds, medians: both see the same machine load.
    const l: number[] = [];
    const s: number[] = [];
    for (let round = 0; round < rounds; round++) {
      l.push(await opsPerSecondAsync(lambdaRun, roundMs));
      s.push(await opsPerSecondAsync(() => sandbox.run(cfEvent()), roundMs));
    }
    const lambdaUs = 1e6 / median(l);
    const sandboxUs = 1e6 / median(s);
    cases.push({
      name: c.name,
      lambda_edge_us: round(lambdaUs, 2),
      cloudfront_function_us: round(sandboxUs, 2),
      cloudfront_function_vs_lambda_edge: round(sandboxUs / lambdaUs, 2),
    });
  }
  await sandbox.close();
  return {
    code_bytes: built.bytes,
    limit_bytes: MAX_FUNCTION_BYTES,
    headroom_bytes: MAX_FUNCTION_BYTES - built.bytes,
    cases,
    own_time: ownTime(built.code),
  };
}

/** Ordinary requests first; the first is the baseline of every ratio. */
const OWN_TIME_CASES: readonly { readonly name: string; readonly uri: string; readonly query?: string; readonly accept?: string }[] = [
  { name: 'ordinary: /128x128/photos/cat.jpg', uri: '/128x128/photos/cat.jpg' },
  { name: 'ordinary: ?w=&h=&fit=&fm=auto&q=', uri: '/photos/cat.jpg', query: 'w=128&h=128&fit=cover&fm=auto&q=75' },
  { name: 'worst: 8 KB URI', uri: `/photos/${'a/'.repeat(4000)}cat.jpg` },
  { name: 'worst: query of 4,000 a&', uri: '/photos/cat.jpg', query: 'a&'.repeat(4000) },
  { name: 'worst: 2,000 repeated x=1', uri: '/photos/cat.jpg', query: 'x=1&'.repeat(2000) },
  { name: 'worst: 1,300 repeated w=128', uri: '/photos/cat.jpg', query: 'w=128&'.repeat(1300) },
  { name: 'worst: a&... then w=128', uri: '/photos/cat.jpg', query: `${'a&'.repeat(3990)}w=128` },
  { name: 'worst: 8 KB Accept', uri: '/128x128/photos/cat.jpg', accept: Array.from({ length: 700 }, (_, i) => `image/x${i};q=0.5`).join(',') },
  { name: 'worst: query of 1,000 %FF=%FF', uri: '/photos/cat.jpg', query: '%FF=%FF&'.repeat(1000) },
  { name: 'worst: query of 1,300 %61=1 (a)', uri: '/photos/cat.jpg', query: '%61=1&'.repeat(1300) },
  { name: 'worst: path of 1,300 %C3%A9', uri: `/photos/${'%C3%A9'.repeat(1300)}.jpg` },
  { name: 'worst: path of 2,600 %FF', uri: `/photos/${'%FF'.repeat(2600)}.jpg` },
  { name: 'worst: derived URI, 1,000-byte key', uri: `/_derived/photos/${'a'.repeat(1000)}.jpg/128x128-cover-q75.webp` },
  { name: 'worst: derived URI, 8 KB of digits', uri: `/_derived/photos/cat.jpg/${'9'.repeat(8000)}x1-cover-q75.webp` },
  // -enlarge on a size the enlarging preset (icon) reaches at no dpr: every dpr of that preset is tried.
  { name: 'worst: derived URI, flag no preset grants', uri: '/_derived/photos/cat.jpg/1024x1024-contain-q75-enlarge.png' },
];

const OWN_TIME_ROUNDS = Number(process.env['CFF_OWN_ROUNDS'] ?? 7);
const OWN_TIME_RUNS = Number(process.env['CFF_OWN_RUNS'] ?? 1000);

/** The handler's own microseconds per request, per case, as medians of interleaved rounds, and each case's ratio to the first. */
function ownTime(code: string): Record<string, unknown> {
  const context = vm.createContext({ console: { log() {} }, now: () => performance.now(), TextEncoder, TextDecoder });
  vm.runInContext(code, context);
  vm.runInContext(
    // One event per case, its URI and query object put back before each call (the handler rewrites
    // them): nothing is allocated but what the handler allocates.
    `function timeRuns(json, raw, n) {
      const e = JSON.parse(json);
      e.request.rawQueryString = function () { return raw; };
      const uri = e.request.uri;
      const query = e.request.querystring;
      const started = now();
      for (let i = 0; i < n; i++) {
        e.request.uri = uri;
        e.request.querystring = query;
        handler(e);
      }
      return (now() - started) / n;
    }`,
    context,
  );
  const timeRuns = (context as { timeRuns: (json: string, raw: string | undefined, n: number) => number }).timeRuns;
  const events = OWN_TIME_CASES.map((c) => {
    const headers = { host: [{ key: 'Host', value: 'cdn.example.com' }], accept: [{ key: 'Accept', value: c.accept ?? ACCEPT }] };
    const event = functionViewerRequestEvent(lambdaEvent({ clientIp: '203.0.113.42', uri: c.uri, querystring: c.query ?? '', headers, requestId: 'bench' }));
    // The query as an object is CloudFront's work (and thousands of objects per copy would time the
    // garbage collector): image-request reads rawQueryString() alone.
    return { json: JSON.stringify({ ...event, request: { ...event.request, querystring: {} } }), raw: event.request.rawQueryString() };
  });
  const rounds: number[][] = OWN_TIME_CASES.map(() => []);
  for (let round = 0; round < OWN_TIME_ROUNDS + 1; round++) {
    events.forEach((e, i) => {
      const us = timeRuns(e.json, e.raw, OWN_TIME_RUNS) * 1000;
      if (round > 0) rounds[i]!.push(us); // the first round warms the code up
    });
  }
  const us = rounds.map((r) => median(r));
  const base = us[0]!;
  const cases = OWN_TIME_CASES.map((c, i) => ({ name: c.name, own_us: round(us[i]!, 2), vs_ordinary: round(us[i]! / base, 1) }));
  const worst = cases.filter((c) => c.name.startsWith('worst')).reduce((a, b) => (b.vs_ordinary > a.vs_ordinary ? b : a));
  return { ordinary_us: round(base, 2), worst_case: worst.name, worst_us: worst.own_us, worst_vs_ordinary: worst.vs_ordinary, budget_ratio: 5, cases };
}
