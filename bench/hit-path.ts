/**
 * The hit path of the local edge: requests per second for a cached thumbnail over loopback, against a
 * plain node:http server sending the same bytes with the same headers from memory. The ratio is the
 * emulator's own overhead per hit (behavior match, the viewer-request function run and its result
 * validated as CloudFront does, the cache lookup, the trace the gallery keeps), i.e. what `npm start`
 * costs over the network stack itself.
 *
 * Load: autocannon (a devDependency) in a process of its own, keep-alive connections, no pipelining,
 * to 127.0.0.1 only. Rounds alternate edge and plain so machine noise falls on both.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { silentLog } from '../functions/core/log.ts';
import { startLocalStack } from '../infra/local-stack.ts';
import { median, round } from './stats.ts';

const run = promisify(execFile);
const AUTOCANNON = path.resolve('node_modules/autocannon/autocannon.js');
const ACCEPT = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8';
const PATH = '/128x128/photos/cat.jpg';

interface Load {
  readonly rps: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly errors: number;
  readonly non2xx: number;
}

async function load(url: string, seconds: number, connections: number): Promise<Load> {
  const { stdout } = await run(process.execPath, [AUTOCANNON, '-j', '-n', '-c', String(connections), '-d', String(seconds), '-H', `Accept=${ACCEPT}`, url], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const out = JSON.parse(stdout) as { requests: { average: number }; latency: { p50: number; p99: number }; errors: number; non2xx: number };
  return { rps: out.requests.average, p50_ms: out.latency.p50, p99_ms: out.latency.p99, errors: out.errors, non2xx: out.non2xx };
}

export async function benchHitPath(options: { seconds: number; rounds: number; connections: number }): Promise<Record<string, unknown>> {
  const stack = await startLocalStack({ log: silentLog, port: 0 });
  let plain: ReturnType<typeof createServer> | undefined;
  try {
    const url = `${stack.edge.url}${PATH}`;
    const first = await fetch(url, { headers: { accept: ACCEPT } });
    const body = Buffer.from(await first.arrayBuffer());
    const hit = await fetch(url, { headers: { accept: ACCEPT } });
    const cached = Buffer.from(await hit.arrayBuffer());
    if (hit.headers.get('x-cache') !== 'Hit from cloudfront' || !cached.equals(body)) {
      throw new Error(`Expected a cached thumbnail at ${url} but received ${hit.status} ${hit.headers.get('x-cache') ?? 'no X-Cache'}`);
    }
    // The same status, headers and bytes, from memory, with nothing else to do.
    const headers: [string, string][] = [];
    hit.headers.forEach((value, name) => {
      if (!['connection', 'keep-alive', 'date', 'transfer-encoding'].includes(name)) headers.push([name, value]);
    });
    plain = createServer((_req, res) => {
      res.writeHead(200, headers.flat());
      res.end(cached);
    });
    plain.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve) => plain!.listen(0, '127.0.0.1', resolve));
    const plainUrl = `http://127.0.0.1:${(plain.address() as AddressInfo).port}${PATH}`;

    await load(url, 1, options.connections);
    await load(plainUrl, 1, options.connections);
    const edgeRuns: Load[] = [];
    const plainRuns: Load[] = [];
    const inspectedRuns: Load[] = [];
    for (let i = 0; i < options.rounds; i++) {
      edgeRuns.push(await load(url, options.seconds, options.connections));
      plainRuns.push(await load(plainUrl, options.seconds, options.connections));
      // The gallery's inspector open (it polled just now): every trace carries events and results.
      await (await fetch(`${stack.edge.url}/_local/api/traces`)).arrayBuffer();
      inspectedRuns.push(await load(url, options.seconds, options.connections));
    }
    const after = await fetch(url, { headers: { accept: ACCEPT } });
    await after.arrayBuffer();
    const edgeRps = median(edgeRuns.map((r) => r.rps));
    const plainRps = median(plainRuns.map((r) => r.rps));
    return {
      url_path: PATH,
      response_bytes: cached.byteLength,
      content_type: hit.headers.get('content-type'),
      connections: options.connections,
      seconds_per_round: options.seconds,
      rounds: options.rounds,
      edge: {
        rps: Math.round(edgeRps),
        p50_ms: median(edgeRuns.map((r) => r.p50_ms)),
        p99_ms: median(edgeRuns.map((r) => r.p99_ms)),
        errors: sum(edgeRuns, 'errors'),
        non2xx: sum(edgeRuns, 'non2xx'),
      },
      plain: {
        rps: Math.round(plainRps),
        p50_ms: median(plainRuns.map((r) => r.p50_ms)),
        p99_ms: median(plainRuns.map((r) => r.p99_ms)),
        errors: sum(plainRuns, 'errors'),
        non2xx: sum(plainRuns, 'non2xx'),
      },
      edge_inspector_open: {
        rps: Math.round(median(inspectedRuns.map((r) => r.rps))),
        p50_ms: median(inspectedRuns.map((r) => r.p50_ms)),
        p99_ms: median(inspectedRuns.map((r) => r.p99_ms)),
      },
      plain_vs_edge: round(plainRps / edgeRps, 2),
      edge_vs_plain: round(edgeRps / plainRps, 3),
      edge_overhead_us_per_request: round(1e6 / edgeRps - 1e6 / plainRps, 1),
      still_a_hit_after: after.headers.get('x-cache'),
    };
  } finally {
    if (plain)
      await new Promise<void>((resolve) => {
        plain!.close(() => resolve());
        plain!.closeAllConnections();
      });
    await stack.close();
  }
}

function sum(runs: Load[], field: 'errors' | 'non2xx'): number {
  return runs.reduce((n, r) => n + r[field], 0);
}
