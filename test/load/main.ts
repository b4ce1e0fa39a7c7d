/**
 * `npm run load`: a bounded load test of the local edge on loopback. A fixed number of workers send a
 * mix of cache hits, misses (each a thumbnail never asked for before: a real resize) and bad requests
 * from the corpus, for a fixed time or request count, whichever ends first. Then it checks that
 * nothing was lost or corrupted: every thumbnail answered is in S3, every derived object decodes, and
 * every original is byte for byte what it was.
 *
 *   npm run load                                  20 s, 16 workers, 70% hits / 20% misses / 10% bad
 *   LOAD_SECONDS=10 LOAD_CONCURRENCY=32 npm run load
 *   LOAD_MAX_REQUESTS=5000 LOAD_MIX=50,40,10 npm run load
 *
 *   npm run load -- --record                      also write the committed bench/load-results.json
 *
 * Writes bench/tmp/load-results.json (ignored by git; bench/load-results.json with --record) and prints a table. Exits 1 on any unexpected status, any 5xx, any
 * lost or undecodable object, or any changed original.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { derivedUri, parseImageUrl } from '../../functions/core/grammar.ts';
import { distribution, tunables } from '../../infra/distribution.ts';
import type { S3OriginSpec } from '../../infra/distribution.ts';
import { startLocalStack } from '../../infra/local-stack.ts';
import { hashOriginals, listKeys, objectBytes } from '../support/originals.ts';
import { CORPUS } from '../support/corpus.ts';

// A run never changes the checkout unless asked to record its figures.
const OUT_FILE = process.argv.includes('--record') ? 'bench/load-results.json' : 'bench/tmp/load-results.json';
const SECONDS = positive('LOAD_SECONDS', 20);
const CONCURRENCY = positive('LOAD_CONCURRENCY', 16);
const MAX_REQUESTS = positive('LOAD_MAX_REQUESTS', 50_000);
const [HIT_SHARE, MISS_SHARE, BAD_SHARE] = (process.env['LOAD_MIX'] ?? '70,20,10').split(',').map(Number) as [number, number, number];
const ACCEPT = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8';

type Kind = 'hit' | 'miss' | 'bad';
interface Planned {
  readonly kind: Kind;
  readonly path: string;
  readonly expect: readonly number[];
}
interface Done {
  readonly kind: Kind;
  readonly status: number;
  readonly ms: number;
  readonly path: string;
  readonly expected: boolean;
}

function positive(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!(Number.isFinite(value) && value > 0)) {
    console.error(`Expected a positive number for ${name} but received ${JSON.stringify(process.env[name])}`);
    process.exit(2);
  }
  return value;
}

const policy = distribution.images;
const BUCKETS = distribution.origins.filter((o): o is S3OriginSpec => o.kind === 's3').map((o) => o.bucket);

/** Every thumbnail the load may miss on, shuffled with a fixed seed: each is asked for once. */
function missPool(): string[] {
  const originals = [
    'photos/cat.jpg',
    'photos/a%2Bb.jpg',
    'photos/caf%C3%A9%20au%20lait.jpg',
    'street-1080p.jpg',
    'portrait-exif6.jpg',
    'logo-alpha.png',
    'landscape-12mp.jpg',
  ];
  const boxes = [...policy.sizes.map((s) => `/${s}/`), ...policy.widths.map((w) => `?w=${w}`)];
  const paths: string[] = [];
  for (const original of originals) {
    for (const box of boxes) {
      for (const q of policy.qualities) {
        for (const fm of ['webp', 'jpg', 'avif', 'png']) {
          // PNG of a 12 MP photo at large sizes is over the 1 MB answer cap (a 302): not what this measures.
          if (fm === 'png' && original === 'landscape-12mp.jpg') continue;
          const path = box.startsWith('/') ? `${box}${original}?fm=${fm}&q=${q}` : `/${original}${box}&fm=${fm}&q=${q}`;
          paths.push(path);
        }
      }
    }
  }
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let i = paths.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [paths[i], paths[j]] = [paths[j]!, paths[i]!];
  }
  return paths;
}

const HITS = [
  '/128x128/photos/cat.jpg',
  '/thumb/street-1080p.jpg',
  '/photos/cat.jpg?w=320',
  '/avatar/portrait-exif6.jpg',
  '/card/landscape-12mp.jpg',
  '/og/street-1080p.jpg',
  '/256x256/logo-alpha.png?fit=contain',
  '/photos/cat.jpg',
  '/street-1080p.jpg',
  '/64x64/photos/a%2Bb.jpg',
];
const BAD = CORPUS.filter((c) => !c.raw && (c.method ?? 'GET') === 'GET' && c.by === 'viewer-request' && !c.headers);

function send(agent: Agent, base: URL, path: string): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve) => {
    const req = request({ hostname: base.hostname, port: base.port, path, agent, headers: { Accept: ACCEPT } }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.byteLength));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', () => resolve({ status: 0, bytes }));
    });
    req.on('error', () => resolve({ status: 0, bytes: 0 }));
    req.end();
  });
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const at = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[at]!;
}
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

async function main(): Promise<number> {
  const started = Date.now();
  let resizes = 0;
  let storeFailures = 0;
  const stack = await startLocalStack({
    port: 0,
    log: (line) => {
      if (line.fn === 'image-resize' && line.outcome.startsWith('resized') && !line['shared']) resizes++;
      if (line['stored'] === 'failed') storeFailures++;
    },
  });
  const base = new URL(stack.edge.url);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let exitCode = 0;
  try {
    const before = await hashOriginals(stack.s3.client, BUCKETS);
    // Warm the hits.
    for (const path of HITS) {
      const { status } = await send(agent, base, path);
      if (status !== 200) throw new Error(`Expected 200 warming ${path} but received ${status}`);
    }
    const misses = missPool();
    let missAt = 0;
    let badAt = 0;
    let hitAt = 0;
    let ticket = 0;
    const total = HIT_SHARE + MISS_SHARE + BAD_SHARE;
    const next = (): Planned => {
      const slot = (ticket++ * 37) % total;
      // A thumbnail over CloudFront's 1 MB answer cap is stored and answered with a 302 to itself.
      if (slot < MISS_SHARE && missAt < misses.length) return { kind: 'miss', path: misses[missAt++]!, expect: [200, 302] };
      if (slot >= MISS_SHARE && slot < MISS_SHARE + BAD_SHARE) {
        const bad = BAD[badAt++ % BAD.length]!;
        return { kind: 'bad', path: bad.path, expect: [bad.status] };
      }
      return { kind: 'hit', path: HITS[hitAt++ % HITS.length]!, expect: [200] };
    };

    const done: Done[] = [];
    let peakRss = process.memoryUsage().rss;
    const baselineRss = peakRss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 25);
    const deadline = performance.now() + SECONDS * 1000;
    let sent = 0;
    const loadStarted = performance.now();
    console.log(
      `load: ${CONCURRENCY} workers for ${SECONDS} s (at most ${MAX_REQUESTS} requests), mix hit/miss/bad ${HIT_SHARE}/${MISS_SHARE}/${BAD_SHARE}, ${misses.length} distinct misses available`,
    );
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < deadline && sent < MAX_REQUESTS) {
          sent++;
          const planned = next();
          const t0 = performance.now();
          const { status } = await send(agent, base, planned.path);
          done.push({ kind: planned.kind, status, ms: performance.now() - t0, path: planned.path, expected: planned.expect.includes(status) });
        }
      }),
    );
    const elapsed = (performance.now() - loadStarted) / 1000;
    clearInterval(sampler);

    // --- Verify: nothing lost, nothing corrupt, no original touched --------------------------------
    await stack.derivedCleanup?.settled();
    const verifyStarted = performance.now();
    const derived = (
      await Promise.all(BUCKETS.map(async (bucket) => (await listKeys(stack.s3.client, bucket, '_derived/')).map((key) => ({ bucket, key }))))
    ).flat();
    const primaryKeys = new Set(derived.filter((d) => d.bucket === stack.bucket).map((d) => d.key));
    const lost: string[] = [];
    for (const miss of done.filter((d) => d.kind === 'miss' && d.expected)) {
      const queryAt = miss.path.indexOf('?');
      const parsed = parseImageUrl(miss.path.slice(0, queryAt), miss.path.slice(queryAt + 1), ACCEPT, policy);
      if (parsed.kind !== 'derived') continue;
      const key = decodeURIComponent(derivedUri(parsed.key, parsed.variant).slice(1));
      if (!primaryKeys.has(key)) lost.push(key);
    }
    const corrupt: string[] = [];
    const derivedObjects = derived.length;
    // Two at a time, as many as the cores: read each object and decode every pixel of it (a truncated
    // object fails here even when its header is whole).
    let at = 0;
    await Promise.all(
      Array.from({ length: 2 }, async () => {
        while (at < derived.length) {
          const { bucket, key } = derived[at++]!;
          try {
            const bytes = await objectBytes(stack.s3.client, bucket, key);
            const format = key.slice(key.lastIndexOf('.') + 1);
            const { info } = await sharp(bytes, { failOn: 'error' }).raw().toBuffer({ resolveWithObject: true });
            const meta = await sharp(bytes).metadata();
            const expected = { jpg: 'jpeg', avif: 'heif', webp: 'webp', png: 'png', gif: 'gif' }[format];
            if (meta.format !== expected || info.width === 0) corrupt.push(`${bucket}/${key}: ${meta.format} ${info.width}x${info.height}`);
          } catch (error) {
            corrupt.push(`${bucket}/${key}: ${(error as Error).message}`);
          }
        }
      }),
    );
    const after = await hashOriginals(stack.s3.client, BUCKETS);
    const changedOriginals = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k));
    const verifySeconds = (performance.now() - verifyStarted) / 1000;

    // --- Report ---------------------------------------------------------------------------------
    const byKind = (['hit', 'miss', 'bad'] as const).map((kind) => {
      const rows = done.filter((d) => d.kind === kind);
      const ms = rows.map((d) => d.ms).sort((a, b) => a - b);
      return {
        kind,
        requests: rows.length,
        per_second: round(rows.length / elapsed),
        p50_ms: round(quantile(ms, 0.5)),
        p99_ms: round(quantile(ms, 0.99)),
        max_ms: round(ms.at(-1) ?? Number.NaN),
        unexpected: rows.filter((d) => !d.expected).length,
        status_5xx: rows.filter((d) => d.status >= 500).length,
      };
    });
    const allMs = done.map((d) => d.ms).sort((a, b) => a - b);
    const unexpected = done.filter((d) => !d.expected);
    const results = {
      when: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
      settings: {
        seconds: SECONDS,
        concurrency: CONCURRENCY,
        max_requests: MAX_REQUESTS,
        mix: { hit: HIT_SHARE, miss: MISS_SHARE, bad: BAD_SHARE },
        render_limit: tunables.renders,
        s3_budget: tunables.s3,
      },
      totals: {
        requests: done.length,
        seconds: round(elapsed, 2),
        per_second: round(done.length / elapsed),
        p50_ms: round(quantile(allMs, 0.5)),
        p99_ms: round(quantile(allMs, 0.99)),
        unexpected_status: unexpected.length,
        status_5xx: done.filter((d) => d.status >= 500).length,
        network_errors: done.filter((d) => d.status === 0).length,
        resizes,
        store_failures: storeFailures,
        rss_baseline_mib: Math.round(baselineRss / 2 ** 20),
        rss_peak_mib: Math.round(peakRss / 2 ** 20),
      },
      by_kind: byKind,
      verify: {
        seconds: round(verifySeconds, 2),
        derived_objects: derivedObjects,
        lost: lost.length,
        corrupt: corrupt.length,
        originals: before.size,
        originals_changed: changedOriginals.length,
      },
      problems: {
        unexpected: unexpected.slice(0, 20).map((d) => `${d.status} ${d.path}`),
        lost: lost.slice(0, 20),
        corrupt: corrupt.slice(0, 20),
        changed: changedOriginals.slice(0, 20),
      },
      wall_seconds: Math.round((Date.now() - started) / 1000),
    };
    await mkdir(path.dirname(OUT_FILE), { recursive: true });
    await writeFile(OUT_FILE, `${JSON.stringify(results, null, 2)}\n`);
    console.table(byKind);
    console.table([
      {
        requests: results.totals.requests,
        'req/s': results.totals.per_second,
        p50_ms: results.totals.p50_ms,
        p99_ms: results.totals.p99_ms,
        unexpected: results.totals.unexpected_status,
        '5xx': results.totals.status_5xx,
        resizes,
        'peak RSS MiB': results.totals.rss_peak_mib,
        derived: derivedObjects,
        lost: lost.length,
        corrupt: corrupt.length,
        'originals changed': changedOriginals.length,
      },
    ]);
    for (const [name, list] of Object.entries(results.problems)) if (list.length > 0) console.log(`${name}:`, list);
    const failed = unexpected.length + results.totals.status_5xx + lost.length + corrupt.length + changedOriginals.length > 0;
    console.log(`${failed ? 'FAILED' : 'ok'}: wrote ${OUT_FILE} in ${results.wall_seconds} s`);
    exitCode = failed ? 1 : 0;
  } finally {
    agent.destroy();
    await stack.close();
  }
  return exitCode;
}

process.exitCode = await main();
