/**
 * Cold start of each function as Lambda pays it on a new instance: the zips are built fresh from
 * the working tree (infra/build/package.ts, into bench/tmp/dist: never dist/), unzipped outside the
 * project, and a new `node` process loads index.js and answers one captured event
 * (infra/build/invoke.cjs, as infra/build/try-zip.ts does). Against a bare `node -e ''` in the same
 * rounds. image-resize is measured on the 200 pass-through (the derived image is in S3), as built
 * (sharp loaded lazily, on the first resize) and with sharp preloaded (`node -r sharp`: what the
 * pass-through cost when render.ts imported sharp at the top), plus sharp's own load.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { packageFunctions } from '../infra/build/package.ts';
import { bareNodeMs, invoke, unzipTo } from '../infra/build/try-zip.ts';
import { signUrl, testKey } from '../infra/tools/signer.ts';
import { median, round } from './stats.ts';

const run = promisify(execFile);

interface Target {
  readonly name: string;
  readonly fn: string;
  readonly event: string;
  readonly dir: string;
  readonly zipBytes: number;
  readonly bundleBytes: number;
  /** node arguments before invoke.cjs (preloading sharp). */
  readonly preload?: string;
  readonly expect: (result: unknown) => boolean;
}

export interface ColdStartResult {
  readonly runs: number;
  readonly package_ms: number;
  readonly bare_node_ms: number;
  readonly sharp_require_ms: number | undefined;
  readonly functions: readonly {
    function: string;
    event: string;
    zip_bytes: number;
    bundle_bytes: number;
    wall_ms: number;
    vs_bare_node: number;
    over_bare_node_ms: number;
    load_and_first_answer_ms: number;
  }[];
}

export async function benchColdStart(options: { runs: number }): Promise<ColdStartResult> {
  const root = process.cwd();
  const dist = path.resolve('bench/tmp/dist');
  const packaged = performance.now();
  const manifest = await packageFunctions({ root, outDir: dist, local: true });
  const packageMs = performance.now() - packaged;
  const work = await mkdtemp(path.join(tmpdir(), 'edge-images-bench-cold-'));
  try {
    const signedEvent = path.join(work, 'viewer-request-signed.json');
    await writeFile(signedEvent, JSON.stringify(await signedViewerEvent()));
    const events: Record<string, string> = {
      'image-request': path.resolve('fixtures/events/viewer-request-thumbnail.json'),
      'signed-url': signedEvent,
      'geo-route': path.resolve('fixtures/events/origin-request-s3.json'),
      'image-resize': path.resolve('fixtures/events/origin-response-200-derived.json'),
    };
    const goesOn = (r: unknown) => typeof r === 'object' && r !== null && 'uri' in r && !('status' in r);
    const derived = (r: unknown) => goesOn(r) && String((r as { uri: string }).uri).startsWith('/_derived/');
    const passed = (r: unknown) => typeof r === 'object' && r !== null && (r as { status?: string }).status === '200';
    const expectations: Record<string, (r: unknown) => boolean> = {
      'image-request': derived,
      'signed-url': derived,
      'geo-route': goesOn,
      'image-resize': passed,
    };
    const targets: Target[] = [];
    for (const f of manifest.functions) {
      const dir = path.join(work, f.function);
      await unzipTo(path.join(dist, f.zip), dir);
      const common = { fn: f.function, event: events[f.function]!, dir, zipBytes: f.zipBytes, bundleBytes: f.bundleBytes, expect: expectations[f.function]! };
      targets.push({ ...common, name: f.function });
      if (f.nodeModules.includes('sharp')) {
        targets.push({ ...common, name: `${f.function} (sharp preloaded)`, preload: path.join(dir, 'node_modules', 'sharp') });
      }
    }
    const resizeDir = targets.find((t) => t.preload)?.dir;

    const bare: number[] = [];
    const sharpLoad: number[] = [];
    const wall = new Map<string, number[]>(targets.map((t) => [t.name, []]));
    const inside = new Map<string, number[]>(targets.map((t) => [t.name, []]));
    for (let i = -1; i < options.runs; i++) {
      const b = await bareNodeMs();
      if (i >= 0) bare.push(b);
      if (resizeDir) {
        const started = performance.now();
        await run(process.execPath, ['-e', `require(${JSON.stringify(path.join(resizeDir, 'node_modules', 'sharp'))})`], {
          env: { PATH: process.env['PATH'] ?? '' },
        });
        if (i >= 0) sharpLoad.push(performance.now() - started);
      }
      for (const t of targets) {
        const answer = t.preload ? await invokePreloaded(t) : await invoke(t.dir, t.event);
        if (!t.expect(answer.result)) throw new Error(`Expected ${t.name} to answer its event but received ${JSON.stringify(answer.result).slice(0, 300)}`);
        if (i < 0) continue;
        wall.get(t.name)!.push(answer.wallMs);
        inside.get(t.name)!.push(answer.loadMs + answer.answerMs);
      }
    }
    const floor = median(bare);
    return {
      runs: options.runs,
      package_ms: Math.round(packageMs),
      bare_node_ms: round(floor, 1),
      sharp_require_ms: resizeDir ? round(median(sharpLoad), 1) : undefined,
      functions: targets.map((t) => {
        const w = median(wall.get(t.name)!);
        return {
          function: t.name,
          event: path.basename(t.event),
          zip_bytes: t.zipBytes,
          bundle_bytes: t.bundleBytes,
          wall_ms: round(w, 1),
          vs_bare_node: round(w / floor, 2),
          over_bare_node_ms: round(w - floor, 1),
          load_and_first_answer_ms: round(median(inside.get(t.name)!), 1),
        };
      }),
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** invoke() with sharp required before index.js, as a top-level `import sharp` did. */
async function invokePreloaded(t: Target) {
  const script = path.resolve('infra/build/invoke.cjs');
  const started = performance.now();
  const { stdout } = await run(process.execPath, ['-r', t.preload!, script, t.dir, t.event], {
    cwd: t.dir,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const wallMs = performance.now() - started;
  const parsed = JSON.parse(stdout.trimEnd().split('\n').at(-1) ?? '{}') as { result: unknown; loadMs: number; answerMs: number };
  return { ...parsed, wallMs };
}

/** A viewer-request event for a private thumbnail, signed with the test-only RSA key (valid a day). */
async function signedViewerEvent(): Promise<unknown> {
  const key = testKey('RSA-2048');
  const signed = new URL(
    signUrl({
      url: 'https://cdn.example.com/private/vault.jpg?w=256&h=256',
      expires: new Date(Date.now() + 86_400_000),
      keyPairId: key.id,
      privateKey: key.privateKey,
    }),
  );
  const base = JSON.parse(await readFile('fixtures/events/viewer-request-thumbnail.json', 'utf8')) as {
    Records: { cf: { request: { uri: string; querystring: string } } }[];
  };
  const request = base.Records[0]!.cf.request;
  request.uri = signed.pathname;
  request.querystring = signed.search.slice(1);
  return base;
}
