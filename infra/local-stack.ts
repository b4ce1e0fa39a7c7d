/**
 * Everything `npm start` runs, as one function the tests can start too: the embedded S3 seeded with
 * originals, and the edge running the real handlers against it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { render } from '../functions/adapters/image/render.ts';
import type { LimitSettings } from '../functions/core/limit.ts';
import { renderBudgetMs, startRenderPool } from './render/pool.ts';
import type { RenderPool } from './render/pool.ts';
import { regionalClients, s3ClientConfig, s3Store } from '../functions/adapters/s3/store.ts';
import { jsonLog } from '../functions/core/log.ts';
import type { Log, LogLine } from '../functions/core/log.ts';
import { createHandler as imageRequest } from '../functions/image-request/handler.ts';
import { createHandler as imageResize } from '../functions/image-resize/handler.ts';
import { createHandler as signedUrl } from '../functions/signed-url/handler.ts';
import { createHandler as geoRoute } from '../functions/geo-route/handler.ts';
import { geoRouteConfig } from './geo.ts';
import { startImageOrigin } from './origin/server.ts';
import type { ImageOrigin } from './origin/server.ts';
import { directoryStore } from './origin/store.ts';
import { imageRequestConfig, imageResizeConfig, signedUrlConfig } from './config.ts';
import { distribution, tunables } from './distribution.ts';
import type { DistributionSpec, FunctionName, S3OriginSpec } from './distribution.ts';
import { buildCloudFrontFunction } from './build/cloudfront-function.ts';
import { cloudFrontFunctionsOf } from './build/limits.ts';
import { loadCloudFrontFunction } from './local/cloudfront-sandbox.ts';
import type { CloudFrontFunctionInstance } from './local/cloudfront-sandbox.ts';
import { startEdge } from './local/edge.ts';
import { DEV_FAIL_PRIMARY, DEV_S3_CONFLICT, DEV_VIEWER_COUNTRY, dropVary } from './local/dev.ts';
import { Gallery } from './local/gallery/routes.ts';
import { awsS3Fetch } from './local/aws-s3.ts';
import { signCookies, signUrl, testKey } from './tools/signer.ts';
import type { Edge, EdgeOptions } from './local/edge.ts';
import { seedOriginals, startLocalS3 } from './local/s3.ts';
import type { LocalS3 } from './local/s3.ts';
import { startLocalDerivedCleanup } from './local/derived-cleanup.ts';
import { startLocalUploadGrant } from './local/upload-grant.ts';
import { replicateUploads } from './local/replicate-uploads.ts';
import type { LocalUploadGrant } from './local/upload-grant.ts';
import { uploadGrantConfig } from './config.ts';
import type { LocalDerivedCleanup } from './local/derived-cleanup.ts';

export interface LocalStackOptions {
  readonly spec?: DistributionSpec;
  /** Originals to seed the primary bucket with; default fixtures/images. */
  readonly images?: string;
  readonly port?: number;
  readonly quotas?: EdgeOptions['quotas'];
  readonly log?: Log;
  readonly onTrace?: EdgeOptions['onTrace'];
  /** Origin group and dev-switch settings of the edge (see edge.ts and dev.ts). */
  readonly originTimeouts?: EdgeOptions['originTimeouts'];
  readonly originResponseOnFailedPrimary?: EdgeOptions['originResponseOnFailedPrimary'];
  readonly simulate?: EdgeOptions['simulate'];
  /** `embedded` (default): s3rver in this process, seeded; `aws`: the spec's real buckets (sst dev). */
  readonly s3?: 'embedded' | 'aws';
  /**
   * With `s3: 'aws'`: any S3-compatible server (MinIO, Ceph, LocalStack...) at this URL instead of
   * AWS, path-style, credentials from the usual chain (AWS_ACCESS_KEY_ID...). Its buckets must exist.
   */
  readonly s3Endpoint?: string;
  /**
   * Tests: something in front of the embedded S3, such as a fault-injecting proxy. The functions' S3
   * client, derived-cleanup and the edge's S3 origins use the endpoint it returns; seeding and the
   * gallery do not.
   */
  readonly s3Front?: (endpoint: string) => string | Promise<string>;
  /** Tests: the renderer image-resize uses (default: the real one), e.g. wrapped to measure it. */
  readonly render?: typeof render;
  /** image-resize's render bound instead of tunables.renders (tests that must not depend on the machine's speed). */
  readonly renders?: LimitSettings;
}

export interface LocalStack {
  readonly edge: Edge;
  readonly s3: LocalS3;
  readonly bucket: string;
  readonly seeded: readonly string[];
  readonly gallery: Gallery;
  /** The HTTP image origin behind every custom origin (the group's secondary): originals from the images directory. */
  readonly origin: ImageOrigin;
  /** derived-cleanup on the embedded S3's object events (absent with real buckets). */
  readonly derivedCleanup?: LocalDerivedCleanup;
  /** upload-grant on its own local URL, granting uploads to the embedded S3 (absent with real buckets or no uploads block). */
  readonly uploads?: LocalUploadGrant;
  close(): Promise<void>;
}

/** Clients for an S3-compatible endpoint (path-style), one per region, credentials from the usual chain. */
function endpointClients(endpoint: string): (region: string | undefined) => S3Client {
  const clients = new Map<string, S3Client>();
  return (region = 'us-east-1') => {
    let client = clients.get(region);
    if (!client) {
      client = new S3Client({ ...s3ClientConfig(region, undefined, tunables.s3), endpoint, forcePathStyle: true });
      clients.set(region, client);
    }
    return client;
  };
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const spec = options.spec ?? distribution;
  const log = options.log ?? jsonLog;
  const s3Origins = spec.origins.filter((o): o is S3OriginSpec => o.kind === 's3');
  const primary = s3Origins[0];
  if (!primary) throw new Error(`Expected an S3 origin in ${spec.name} but received none`);
  // Real buckets (sst dev) are read with the default AWS credential chain and never seeded.
  const aws = options.s3 === 'aws' ? (options.s3Endpoint ? endpointClients(options.s3Endpoint) : regionalClients(tunables.s3)) : undefined;
  const s3: LocalS3 = aws
    ? { endpoint: options.s3Endpoint ?? 'aws', client: aws(primary.region), directory: '', close: async () => {} }
    : await startLocalS3({ buckets: s3Origins.map((o) => o.bucket), maxPostBytes: spec.images.limits.maxInputBytes + 1024 * 1024 });
  let origin: ImageOrigin | undefined;
  // Renders run in child processes killed past the budget (infra/render/pool.ts), shared by
  // image-resize and the HTTP image origin: a hung render never keeps a slot of either.
  let pool: RenderPool | undefined;
  let functionsClient: S3Client | undefined;
  let derivedDir: string | undefined;
  let uploads: LocalUploadGrant | undefined;
  try {
    const images = path.resolve(options.images ?? 'fixtures/images');
    const seeded = aws ? [] : await seedOriginals(s3.client, primary.bucket, images);
    // Geo-routed buckets are replicas: the country is not in the cache key, so they hold the same originals.
    if (!aws) for (const replica of s3Origins.slice(1)) await seedOriginals(s3.client, replica.bucket, images);
    // The secondary reads originals from disk, not from S3 (it must work when S3 does not), and keeps
    // its derived images in a temporary directory (never in the originals' directory).
    derivedDir = await mkdtemp(path.join(tmpdir(), 'edge-images-origin-'));
    pool = options.render ? undefined : await startRenderPool({ budgetMs: renderBudgetMs(spec.images) });
    const renderer = options.render ?? pool!.render;
    // The pool makes mezzanines too (one decode for the variant and the mezzanine); a renderer given
    // by a test renders variants only.
    const mezzanineMaker = options.render ? {} : { renderMakingMezzanine: pool!.renderMakingMezzanine };
    origin = await startImageOrigin({
      store: directoryStore({ originals: images, derived: derivedDir }),
      policy: spec.images,
      render: renderer,
      ...mezzanineMaker,
      log,
    });
    const customEndpoints = spec.origins.filter((o) => o.kind === 'custom').map((o) => [o.id, origin!.url] as const);
    // The functions' own client, with the deployed timeouts and retries (s3.client is for tooling).
    const s3Endpoint = aws ? s3.endpoint : await (options.s3Front?.(s3.endpoint) ?? s3.endpoint);
    functionsClient = aws ? undefined : new S3Client(s3ClientConfig('us-east-1', s3Endpoint, tunables.s3));
    const store = aws
      ? s3Store(aws, (bucket) => s3Origins.find((o) => o.bucket === bucket)?.region, tunables.s3)
      : s3Store(
          () => functionsClient!,
          () => undefined,
          tunables.s3,
        );
    // Browsers POST straight to the embedded S3 (path-style bucket URL), as they would to the bucket's endpoint.
    uploads =
      spec.uploads && functionsClient
        ? await startLocalUploadGrant({ config: uploadGrantConfig(spec, `${s3.endpoint}/${primary.bucket}`), client: functionsClient, log })
        : undefined;
    let edge: Edge | undefined;
    const conflicts: { bucket: string; key: string }[] = [];
    s3.onConflict?.((bucket, key) => {
      conflicts.push({ bucket, key });
      if (conflicts.length > 100) conflicts.shift();
    });
    const gallery = new Gallery({
      s3: s3.client,
      bucket: primary.bucket,
      replicas: s3Origins.slice(1).map((o) => o.bucket),
      policy: spec.images,
      cache: () => edge!.cache,
      ...(spec.signedUrls ? { privateImages: privateGalleryImages } : {}),
      ...(uploads ? { uploads } : {}),
      controls: [
        {
          id: DEV_VIEWER_COUNTRY,
          label: 'Viewer country',
          options: [{ value: 'off', label: 'none (default origin)' }, ...['US', 'DE', 'FR', 'KR', 'JP', 'CN', 'BR'].map((c) => ({ value: c, label: c }))],
        },
        {
          id: DEV_FAIL_PRIMARY,
          label: 'Primary origin',
          options: [
            { value: 'off', label: 'healthy' },
            { value: 'down', label: 'down (connection refused)' },
            { value: '500', label: 'answers 500' },
            { value: '503', label: 'answers 503' },
            { value: 'slow', label: 'slow (read timeout)' },
          ],
        },
        ...(aws
          ? []
          : [
              {
                id: DEV_S3_CONFLICT,
                label: 'S3 conditional write',
                options: [
                  { value: 'off', label: 'normal' },
                  { value: '1', label: '409 once (image-resize retries)' },
                  { value: '3', label: '409 three times (the store fails)' },
                ],
              },
            ]),
      ],
    });
    // The behaviors whose viewer-request runtime is a CloudFront Function run its cloudfront-js-2.0
    // build in the local sandbox: built here from the same core, as npm run package builds it.
    const cloudFrontFunctions: Partial<Record<FunctionName, CloudFrontFunctionInstance>> = {};
    for (const { fn } of cloudFrontFunctionsOf(spec)) {
      const built = await buildCloudFrontFunction({ root: path.resolve('.'), config: imageRequestConfig(spec) });
      cloudFrontFunctions[fn] = loadCloudFrontFunction(built.code, {
        log: (line) => log(parsedLine(line)),
      });
    }
    edge = await startEdge({
      spec,
      cloudFrontFunctions,
      functions: {
        'image-request': imageRequest(imageRequestConfig(spec), { log }),
        'image-resize': dropVary(
          imageResize(
            { ...imageResizeConfig(spec), ...(options.renders ? { renders: options.renders } : {}) },
            { store, render: renderer, ...mezzanineMaker, log },
          ),
          () => edge?.simulate.dropVary === true,
        ),
        // The local edge speaks http, so signed Resources name http://127.0.0.1:PORT/...
        ...(spec.signedUrls ? { 'signed-url': signedUrl({ ...signedUrlConfig(spec), scheme: 'http' }, { log }) } : {}),
        ...(spec.geo ? { 'geo-route': geoRoute(geoRouteConfig(spec), { log }) } : {}),
      },
      endpoints: Object.fromEntries([...s3Origins.map((o) => [o.id, s3Endpoint] as const), ...customEndpoints]),
      ...(aws ? { s3Fetch: awsS3Fetch(aws) } : {}),
      ...(options.originTimeouts ? { originTimeouts: options.originTimeouts } : {}),
      ...(options.originResponseOnFailedPrimary ? { originResponseOnFailedPrimary: options.originResponseOnFailedPrimary } : {}),
      ...(options.simulate ? { simulate: options.simulate } : {}),
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.quotas ? { quotas: options.quotas } : {}),
      ...(s3.armConflicts ? { armS3Conflicts: (count: number) => s3.armConflicts!(count) } : {}),
      onTrace: (trace) => {
        // 409s the embedded S3 answered for a key this request's functions handled.
        const seen = conflicts.length > 0 ? JSON.stringify(trace.functions) : '';
        const notes = conflicts.filter((c) => seen.includes(JSON.stringify(`/${c.key}`).slice(1, -1)));
        for (const c of notes) conflicts.splice(conflicts.indexOf(c), 1);
        const noted =
          notes.length > 0
            ? {
                ...trace,
                notes: notes.map(
                  (c) =>
                    `embedded S3 answered 409 ConditionalRequestConflict to PutObject ${c.bucket}/${c.key} (dev switch ${DEV_S3_CONFLICT}); image-resize retries up to 3 attempts`,
                ),
              }
            : trace;
        gallery.record(noted);
        options.onTrace?.(noted);
      },
      // Events and results in traces only when someone will read them: a caller's own onTrace (tests),
      // 409s armed by the dev switch (their notes name the key a function handled), or the open inspector.
      traceDetail: () => options.onTrace !== undefined || conflicts.length > 0 || gallery.inspecting(),
      localRoutes: gallery.route,
    });
    // Wired after seeding: replacing or deleting an original from now on cleans its derived images.
    const derivedCleanup = functionsClient
      ? startLocalDerivedCleanup({ s3, client: functionsClient, buckets: s3Origins.map((o) => o.bucket), cache: () => edge!.cache, log })
      : undefined;
    const replication = replicateUploads(
      s3,
      s3.client,
      primary.bucket,
      s3Origins.slice(1).map((o) => o.bucket),
    );
    return {
      edge,
      s3,
      bucket: primary.bucket,
      seeded,
      gallery,
      origin,
      ...(derivedCleanup ? { derivedCleanup } : {}),
      ...(uploads ? { uploads } : {}),
      async close() {
        replication.stop();
        derivedCleanup?.stop();
        await uploads?.close();
        await edge.close();
        for (const fn of Object.values(cloudFrontFunctions)) await fn.close();
        await origin!.close();
        await pool?.close();
        await derivedCleanup?.settled();
        await replication.settled();
        functionsClient?.destroy();
        await s3.close();
        await rm(derivedDir!, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await uploads?.close();
    await origin?.close();
    await pool?.close();
    functionsClient?.destroy();
    await s3.close();
    if (derivedDir) await rm(derivedDir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * The gallery's private images: one through a signed URL, one through signed cookies set on the
 * page's own API response, both made with the test-only key the local edge trusts.
 */
function privateGalleryImages(origin: string, res: ServerResponse): { label: string; url: string }[] {
  const key = testKey('RSA-2048');
  const expires = new Date(Date.now() + 60 * 60 * 1000);
  const signedUrl = signUrl({ url: `${origin}/private/vault.jpg?w=320`, expires, keyPairId: key.id, privateKey: key.privateKey });
  const cookies = signCookies({ url: `${origin}/private/vault.jpg`, expires, keyPairId: key.id, privateKey: key.privateKey, policy: 'wildcard-resource' });
  res.setHeader('Set-Cookie', cookies.setCookie);
  return [
    { label: 'signed URL', url: new URL(signedUrl).pathname + new URL(signedUrl).search },
    { label: 'signed cookies', url: '/private/vault.jpg?w=160' },
  ];
}

/** A CloudFront Function's console.log line as the stack's log line (JSON when it is, else as text). */
function parsedLine(line: string): LogLine {
  try {
    return JSON.parse(line) as LogLine;
  } catch {
    return { fn: 'cloudfront-function', requestId: '', uri: '', outcome: 'log', detail: line, ms: 0 };
  }
}
