/**
 * The miss path of image-resize, measured three ways in one process against the embedded S3
 * (bench/cases.ts says exactly what `bare` and `floor` are), at two S3 latencies in the same run:
 * 0 ms (straight to s3rver) and a bucket a region away (the S3 latency model of
 * infra/local/s3-latency.ts, its cross-region preset: 100 ms to first byte, 85 MB/s per connection),
 * miss and floor through the same client either way:
 *   miss   the real handler on a real miss: origin-response 404 event -> GetObject -> header check ->
 *          sharp -> conditional PutObject -> base64 answer
 *   floor  the plainest GetObject -> sharp (defaults) -> PutObject -> base64, no logic of its own
 *   bare   the engine's sharp pipeline alone on bytes in memory (the physical limit)
 * Each round runs the three side by side in rotating order; what a run wrote to S3 is deleted after
 * it, untimed, so every handler run is a real miss and a real write.
 *
 * Per source, also: the GetObject and PutObject times alone and the header pass, which split the
 * floor into what S3 costs and what sharp costs.
 */
import { readFile } from 'node:fs/promises';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { CloudFrontResultResponse } from 'aws-lambda';
import sharp from 'sharp';
import { originResponseEvent } from '../infra/local/cloudfront-events.ts';
import { configureEngine, inspect, loadEngine, render, renderInspected } from '../functions/adapters/image/render.ts';
import type { RenderOptions } from '../functions/adapters/image/render.ts';
import { s3ClientConfig, s3Store } from '../functions/adapters/s3/store.ts';
import { derivedKey, derivedUri } from '../functions/core/grammar.ts';
import { silentLog } from '../functions/core/log.ts';
import { createHandler } from '../functions/image-resize/handler.ts';
import { imageResizeConfig } from '../infra/config.ts';
import { distribution, s3DomainName } from '../infra/distribution.ts';
import type { S3OriginSpec } from '../infra/distribution.ts';
import { startLocalS3 } from '../infra/local/s3.ts';
import { S3_LATENCY_PRESETS, startS3LatencyProxy } from '../infra/local/s3-latency.ts';
import { contentTypeOfKey } from '../functions/core/media-types.ts';
import { floorPipeline, isAnimated, missCases } from './cases.ts';
import { collectGarbage } from './gc.ts';
import type { MissCase } from './cases.ts';
import type { Source } from './sources.ts';
import { interleave, median, pairedRatio, quantile, round, summary } from './stats.ts';

/**
 * miss_vs_floor targets: no case over 1.15 at 0 ms, none over 1.10 at a cross-region latency, and a
 * median of at most 1.0 at each latency.
 */
export const TARGET_ANY = 1.15;
export const TARGET_CROSS_REGION = 1.1;
export const TARGET_MEDIAN = 1.0;

export interface MissPathOptions {
  readonly sources: readonly Source[];
  /** Wall time to aim for per case, all three paths, warm-up excluded. */
  readonly budgetMsPerCase: number;
  readonly minRounds: number;
  readonly maxRounds: number;
  /** Only cases whose name contains this. */
  readonly filter?: string;
  /** Only cases with these labels (`--quick`: thumb and card). */
  readonly labels?: readonly string[];
  /** S3 first-byte latencies to measure every case at (default: 0 and the cross-region preset). */
  readonly latencies?: readonly number[];
  readonly onCase?: (row: MissRow, index: number, total: number) => void;
}

export interface MissRow {
  readonly case: string;
  readonly source: string;
  readonly source_mp: number;
  readonly source_format: string;
  readonly label: string;
  readonly variant: string;
  readonly output_format: string;
  readonly animated: boolean;
  /** The S3 latency model's first-byte latency for this row (0: straight to the embedded S3). */
  readonly s3_latency_ms: number;
  /**
   * S3 requests of one miss and their serial depth, as the latency model counted them (0 ms rows: not
   * counted). Target: 3 and 2 (the floor's GET and PUT, and the source record's GET beside the original's).
   */
  readonly s3_requests?: number;
  readonly s3_depth?: number;
  readonly miss: ReturnType<typeof summary>;
  readonly floor: ReturnType<typeof summary>;
  readonly bare: ReturnType<typeof summary>;
  /**
   * The median of the round-by-round ratios miss / floor (the two ran side by side in each round):
   * drift between rounds on a shared machine cannot move it. The target is judged on it.
   */
  readonly miss_vs_floor: number;
  /** The first and third quartiles of those round-by-round ratios: how far noise spread them. */
  readonly miss_vs_floor_quartiles: readonly [number, number];
  /** The same, miss / bare and floor / bare. */
  readonly miss_vs_bare: number;
  readonly floor_vs_bare: number;
  /** Median / median, for comparison: close to the paired ratios when the run was quiet. */
  readonly ratios_of_medians: { readonly miss_vs_floor: number; readonly miss_vs_bare: number };
  /** Process CPU time per run (all threads), medians, and the paired ratio miss / floor of it. */
  readonly cpu_ms: { readonly miss: number; readonly floor: number; readonly bare: number };
  readonly cpu_miss_vs_floor: number;
  readonly target_miss_vs_floor: number;
  readonly within_target: boolean;
  readonly output_bytes: number;
  readonly floor_output_bytes: number;
}

export interface SourceIo {
  readonly source: string;
  readonly bytes: number;
  readonly get_ms: number;
  /** GetObject with the body read into one preallocated buffer (no SDK collector). */
  readonly get_direct_ms: number;
  readonly put_thumbnail_ms: number;
  readonly header_pass_ms: number;
}

export async function benchMissPath(options: MissPathOptions): Promise<{ cases: MissRow[]; io: SourceIo[]; settings: Record<string, unknown> }> {
  const origin = distribution.origins.find((o): o is S3OriginSpec => o.kind === 's3')!;
  const bucket = origin.bucket;
  const s3 = await startLocalS3({ buckets: [bucket] });
  const proxy = await startS3LatencyProxy(s3.endpoint, S3_LATENCY_PRESETS.crossRegion);
  const proxied = new S3Client(s3ClientConfig('us-east-1', proxy.endpoint, 'tooling'));
  const config = imageResizeConfig();
  const renderOptions: RenderOptions = { ...config.policy.limits, ...(config.policy.background ? { background: config.policy.background } : {}) };
  // Per latency: the client miss and floor share, and the handler on it.
  const setups = (options.latencies ?? [0, S3_LATENCY_PRESETS.crossRegion.firstByteMs]).map((ms) => {
    const client = ms === 0 ? s3.client : proxied;
    return { ms, client, handler: createHandler(config, { store: s3Store(() => client), render, log: silentLog }) };
  });
  const engineSettings = { concurrency: 1, cache: false } as const;
  configureEngine(engineSettings);
  await loadEngine();
  // The floor runs at sharp's own default thread count (read before the engine changed it: sharp
  // sets 1 on glibc without jemalloc, as here). The libvips cache is off for all three paths: every
  // miss decodes a different original, so a cache never hits; it would only hold memory.
  const floorThreads = defaultThreads;
  const eventOrigin = {
    s3: { domainName: s3DomainName(origin), region: origin.region, path: '', authMethod: 'origin-access-identity' as const, customHeaders: {} },
  };

  const rows: MissRow[] = [];
  const io: SourceIo[] = [];
  try {
    const bytesOf = new Map<string, Buffer>();
    for (const source of options.sources) {
      const bytes = await readFile(source.file);
      bytesOf.set(source.name, bytes);
      await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: source.key, Body: bytes, ContentType: contentTypeOfKey(source.key) }));
      io.push(await sourceIo(source, bytes));
    }

    const cases = missCases(options.sources, config.policy).filter(
      (c) => (!options.filter || c.name.includes(options.filter)) && (!options.labels || options.labels.includes(c.label)),
    );
    const total = cases.length * setups.length;
    for (const c of cases) {
      for (const setup of setups) {
        proxy.settings = { firstByteMs: setup.ms, bytesPerSecond: S3_LATENCY_PRESETS.crossRegion.bytesPerSecond };
        const row = await measureCase(c, bytesOf.get(c.source.name)!, setup);
        rows.push(row);
        options.onCase?.(row, rows.length - 1, total);
      }
    }
  } finally {
    proxied.destroy();
    await proxy.close();
    await s3.close();
  }
  return {
    cases: rows,
    io,
    settings: {
      engine_threads: engineSettings.concurrency,
      floor_threads: floorThreads,
      libvips_cache: 'off for every path',
      s3_latencies_ms: setups.map((s) => s.ms),
      cross_region: S3_LATENCY_PRESETS.crossRegion,
    },
  };

  async function sourceIo(source: Source, bytes: Buffer): Promise<SourceIo> {
    const thumb = await sharp(bytes).resize(128, 128).webp().toBuffer();
    const timings = await interleave(
      {
        get: async () => {
          const got = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: source.key }));
          await got.Body!.transformToByteArray();
        },
        // The same GetObject, its body copied chunk by chunk into one buffer of Content-Length as it
        // arrives, instead of the SDK's collect, concat and copy (`new Uint8Array(Buffer.concat(...))`).
        get_direct: async () => {
          const got = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: source.key }));
          const body = Buffer.allocUnsafe(got.ContentLength!);
          let at = 0;
          for await (const chunk of got.Body as AsyncIterable<Buffer>) at += chunk.copy(body, at);
          if (at !== body.byteLength) throw new Error(`Expected ${body.byteLength} bytes but received ${at}`);
        },
        put: () => s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: `_bench/io/${source.name}.webp`, Body: thumb, ContentType: 'image/webp' })),
        header: () => inspect(bytes, renderOptions),
      },
      11,
      1,
    );
    return {
      source: source.name,
      bytes: source.bytes,
      get_ms: round(median(timings.get)),
      get_direct_ms: round(median(timings.get_direct)),
      put_thumbnail_ms: round(median(timings.put)),
      header_pass_ms: round(median(timings.header)),
    };
  }

  async function measureCase(c: MissCase, bytes: Buffer, setup: (typeof setups)[number]): Promise<MissRow> {
    const { handler, client } = setup;
    const uri = derivedUri(c.source.key, c.variant);
    const derived = derivedKey(c.source.key, c.variant);
    const floorKey = `_bench/floor/${derived}`;
    const header = await inspect(bytes, renderOptions);
    let outputBytes = 0;
    let floorBytes = 0;
    const paths = {
      miss: async () => {
        sharp.concurrency(engineSettings.concurrency);
        const event = originResponseEvent({
          clientIp: '127.0.0.1',
          uri,
          origin: eventOrigin,
          response: { status: '404', statusDescription: 'Not Found', headers: {} },
        });
        const result = (await handler(event)) as CloudFrontResultResponse;
        if (result.status !== '200' || typeof result.body !== 'string')
          throw new Error(`Expected 200 with a body for ${c.name} but received ${JSON.stringify(result).slice(0, 300)}`);
        outputBytes = Buffer.byteLength(result.body, 'base64');
      },
      floor: async () => {
        sharp.concurrency(floorThreads);
        const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: c.source.key }));
        const original = await got.Body!.transformToByteArray();
        const out = await floorPipeline(original, c.source, c.variant).toBuffer();
        await client.send(
          new PutObjectCommand({ Bucket: bucket, Key: floorKey, Body: out, ContentType: `image/${c.variant.format === 'jpg' ? 'jpeg' : c.variant.format}` }),
        );
        out.toString('base64');
        floorBytes = out.byteLength;
      },
      bare: async () => {
        sharp.concurrency(engineSettings.concurrency);
        await renderInspected(bytes, header, c.variant, renderOptions);
      },
    };
    // One untimed warm-up round tells how many rounds fit the budget; through the latency model, its
    // miss is the one whose S3 requests and serial depth are counted.
    const warm = performance.now();
    const window = proxy.window();
    await paths.miss();
    const counted = setup.ms > 0 ? { s3_requests: window.requests().length, s3_depth: window.depth() } : {};
    await paths.floor();
    await paths.bare();
    await cleanUp();
    const perRound = performance.now() - warm;
    const rounds = Math.max(options.minRounds, Math.min(options.maxRounds, Math.floor(options.budgetMsPerCase / perRound)));
    // CPU time of the whole process (every thread: libvips, the SDK, s3rver) per run, beside the wall
    // time: on a shared machine it moves far less, and it says whether two paths did the same work.
    const cpu: Record<keyof typeof paths, number[]> = { miss: [], floor: [], bare: [] };
    const timed = Object.fromEntries(
      (Object.keys(paths) as (keyof typeof paths)[]).map((name) => [
        name,
        async () => {
          const before = process.cpuUsage();
          await paths[name]();
          const used = process.cpuUsage(before);
          cpu[name].push((used.user + used.system) / 1000);
        },
      ]),
    ) as typeof paths;
    const after = async (name: keyof typeof paths) => {
      if (name !== 'bare') await cleanUp(name);
      // Every run starts from a collected heap, so no run pays for the garbage of the one before.
      collectGarbage();
    };
    const measuring = performance.now();
    const timings = await interleave(timed, rounds, 0, after);
    const target = setup.ms > 0 ? TARGET_CROSS_REGION : TARGET_ANY;
    // A case within 0.08 of its target, or over it, gets as many rounds again, and again while it
    // stays there (up to maxRounds and four times the case's budget), so noise decides less: one
    // slow round among five moves a median, among twenty it does not. Every round counts.
    while (
      pairedRatio(timings.miss, timings.floor) > target - 0.08 &&
      timings.miss.length < options.maxRounds &&
      performance.now() - measuring < 4 * options.budgetMsPerCase
    ) {
      const more = await interleave(timed, Math.min(timings.miss.length, options.maxRounds - timings.miss.length), 0, after);
      for (const name of Object.keys(paths) as (keyof typeof paths)[]) timings[name].push(...more[name]);
    }
    const miss = summary(timings.miss);
    const floor = summary(timings.floor);
    const bare = summary(timings.bare);
    const missVsFloor = round(pairedRatio(timings.miss, timings.floor), 3);
    const roundRatios = timings.miss.map((m, i) => m / timings.floor[i]!);
    return {
      case: setup.ms > 0 ? `${c.name} @${setup.ms}ms` : c.name,
      source: c.source.name,
      source_mp: c.source.megapixels,
      source_format: c.source.format,
      label: c.label,
      variant: derived.slice(derived.lastIndexOf('/') + 1),
      output_format: c.variant.format,
      animated: isAnimated(c.source, c.variant),
      s3_latency_ms: setup.ms,
      ...counted,
      miss,
      floor,
      bare,
      miss_vs_floor: missVsFloor,
      miss_vs_floor_quartiles: [round(quantile(roundRatios, 0.25), 3), round(quantile(roundRatios, 0.75), 3)],
      miss_vs_bare: round(pairedRatio(timings.miss, timings.bare), 3),
      floor_vs_bare: round(pairedRatio(timings.floor, timings.bare), 3),
      ratios_of_medians: { miss_vs_floor: round(miss.median_ms / floor.median_ms, 3), miss_vs_bare: round(miss.median_ms / bare.median_ms, 3) },
      cpu_ms: { miss: round(median(cpu.miss)), floor: round(median(cpu.floor)), bare: round(median(cpu.bare)) },
      cpu_miss_vs_floor: round(pairedRatio(cpu.miss, cpu.floor), 3),
      target_miss_vs_floor: target,
      within_target: missVsFloor <= target,
      output_bytes: outputBytes,
      floor_output_bytes: floorBytes,
    };

    async function cleanUp(name?: string): Promise<void> {
      // Straight to the embedded S3: clean-up is untimed and must not wait on the latency model.
      if (name === undefined || name === 'miss') await s3.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: derived }));
      if (name === undefined || name === 'floor') await s3.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: floorKey }));
    }
  }
}

/** sharp's thread count as sharp set it on load, before the engine configured its own. */
const defaultThreads = sharp.concurrency();
