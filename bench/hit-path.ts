/**
 * The hit path of the local edge: requests per second for a cached thumbnail over loopback, against a
 * plain node:http server sending the same bytes with the same headers from memory. The ratio is the
 * emulator's own cost per hit, i.e. what `npm start` costs over the network stack itself.
 *
 * Two edges are measured: as `npm start` runs it (image-request as a CloudFront Function in the
 * cloudfront-js-2.0 sandbox: a run in the function's own thread, its script evaluated afresh), and
 * with image-request on Lambda@Edge (the HTTP front and a plain function run: the front's own cost).
 *
 * Load: autocannon (a devDependency) in a process of its own, keep-alive connections, no pipelining,
 * to 127.0.0.1 only. Rounds alternate the servers so machine noise falls on all of them.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { silentLog } from '../functions/core/log.ts';
import type { DistributionSpec } from '../infra/distribution.ts';
import { distribution } from '../infra/distribution.ts';
import { startLocalStack } from '../infra/local-stack.ts';
import type { LocalStack } from '../infra/local-stack.ts';
import { median, round } from './stats.ts';

const run = promisify(execFile);
const AUTOCANNON = path.resolve('node_modules/autocannon/autocannon.js');
const ACCEPT = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8';
const PATH = '/128x128/photos/cat.jpg';

/** The local edge's hit path against plain node:http, requests per second. */
export const HIT_TARGET = 0.5;

interface Load {
  readonly rps: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly errors: number;
  readonly non2xx: number;
}

interface ServerFigures extends Load {
  readonly label: string;
  /** What this edge does per hit, in a sentence. */
  readonly about: string;
  readonly vs_plain: number;
  readonly overhead_us_per_request: number;
}

export interface HitPathResult {
  readonly url_path: string;
  readonly response_bytes: number;
  readonly content_type: string;
  readonly connections: number;
  readonly seconds_per_round: number;
  readonly rounds: number;
  readonly plain: Load;
  readonly servers: readonly ServerFigures[];
  readonly still_a_hit_after: string | null;
}

async function load(url: string, seconds: number, connections: number): Promise<Load> {
  const { stdout } = await run(process.execPath, [AUTOCANNON, '-j', '-n', '-c', String(connections), '-d', String(seconds), '-H', `Accept=${ACCEPT}`, url], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const out = JSON.parse(stdout) as { requests: { average: number }; latency: { p50: number; p99: number }; errors: number; non2xx: number };
  return { rps: out.requests.average, p50_ms: out.latency.p50, p99_ms: out.latency.p99, errors: out.errors, non2xx: out.non2xx };
}

/** The distribution with every viewer-request function on Lambda@Edge. */
function onLambdaEdge(spec: DistributionSpec): DistributionSpec {
  return { ...spec, behaviors: spec.behaviors.map((b) => ({ ...b, viewerRequestRuntime: 'lambda-edge' as const })) };
}

interface Measured {
  readonly label: string;
  readonly about: string;
  readonly url: string;
  /** Runs before each of this server's rounds (untimed). */
  readonly before?: () => Promise<unknown>;
  readonly runs: Load[];
}

export async function benchHitPath(options: { seconds: number; rounds: number; connections: number; inspector: boolean }): Promise<HitPathResult> {
  const stacks: LocalStack[] = [];
  let plain: Server | undefined;
  try {
    const deployed = await startLocalStack({ log: silentLog, port: 0 });
    stacks.push(deployed);
    const lambda = await startLocalStack({ log: silentLog, port: 0, spec: onLambdaEdge(distribution) });
    stacks.push(lambda);
    const url = `${deployed.edge.url}${PATH}`;
    const hit = await cachedThumbnail(url);
    await cachedThumbnail(`${lambda.edge.url}${PATH}`);
    // The same status, headers and bytes, from memory, with nothing else to do.
    const headers: [string, string][] = [];
    hit.headers.forEach((value, name) => {
      if (!['connection', 'keep-alive', 'date', 'transfer-encoding'].includes(name)) headers.push([name, value]);
    });
    const server = createServer((_req, res) => {
      res.writeHead(200, headers.flat());
      res.end(hit.body);
    });
    plain = server;
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const plainUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}${PATH}`;

    const measured: Measured[] = [
      {
        label: 'as npm start runs it',
        about:
          "image-request runs as a CloudFront Function in the cloudfront-js-2.0 sandbox, in the function's own thread, its script evaluated afresh for every run (nothing a run leaves behind survives); the inspector is closed.",
        url,
        runs: [],
      },
      {
        label: 'image-request on Lambda@Edge',
        about:
          "The HTTP front (behavior match, the cache lookup, the answer) and one Lambda@Edge function run with its result validated: the front's own cost.",
        url: `${lambda.edge.url}${PATH}`,
        runs: [],
      },
      ...(options.inspector
        ? [
            {
              label: 'as npm start runs it, inspector open',
              about: "The gallery's inspector polled just before the round: every trace carries copies of each function's event and result.",
              url,
              before: async () => (await fetch(`${deployed.edge.url}/_local/api/traces`)).arrayBuffer(),
              runs: [] as Load[],
            },
          ]
        : []),
    ];
    const plainRuns: Load[] = [];
    for (const m of measured) await load(m.url, 1, options.connections);
    await load(plainUrl, 1, options.connections);
    for (let i = 0; i < options.rounds; i++) {
      for (const m of measured) {
        await m.before?.();
        m.runs.push(await load(m.url, options.seconds, options.connections));
      }
      plainRuns.push(await load(plainUrl, options.seconds, options.connections));
    }
    const after = await fetch(url, { headers: { accept: ACCEPT } });
    await after.arrayBuffer();
    const plainFigures = summarize(plainRuns);
    return {
      url_path: PATH,
      response_bytes: hit.body.byteLength,
      content_type: hit.headers.get('content-type') ?? '',
      connections: options.connections,
      seconds_per_round: options.seconds,
      rounds: options.rounds,
      plain: plainFigures,
      servers: measured.map((m) => {
        const figures = summarize(m.runs);
        return {
          label: m.label,
          about: m.about,
          ...figures,
          vs_plain: round(figures.rps / plainFigures.rps, 3),
          overhead_us_per_request: round(1e6 / figures.rps - 1e6 / plainFigures.rps, 1),
        };
      }),
      still_a_hit_after: after.headers.get('x-cache'),
    };
  } finally {
    if (plain) {
      const server = plain;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
    for (const stack of stacks) await stack.close();
  }
}

/** Requests the thumbnail until it is a hit; the hit's headers and bytes. */
async function cachedThumbnail(url: string): Promise<{ headers: Headers; body: Buffer }> {
  const first = await fetch(url, { headers: { accept: ACCEPT } });
  const body = Buffer.from(await first.arrayBuffer());
  const hit = await fetch(url, { headers: { accept: ACCEPT } });
  const cached = Buffer.from(await hit.arrayBuffer());
  if (hit.headers.get('x-cache') !== 'Hit from cloudfront' || !cached.equals(body)) {
    throw new Error(`Expected a cached thumbnail at ${url} but received ${hit.status} ${hit.headers.get('x-cache') ?? 'no X-Cache'}`);
  }
  return { headers: hit.headers, body: cached };
}

function summarize(runs: readonly Load[]): Load {
  return {
    rps: Math.round(median(runs.map((r) => r.rps))),
    p50_ms: median(runs.map((r) => r.p50_ms)),
    p99_ms: median(runs.map((r) => r.p99_ms)),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
  };
}
