/**
 * The local edge: a CloudFront pipeline on node:http, built from distribution.ts, running the real
 * handlers with real Lambda@Edge events. One request passes these stages, each its own file:
 *
 *   exchange.ts          the request's id, behavior (matched on the normalized path) and trace
 *   admission.ts         CloudFront's refusals before any function runs; dev switches taken off
 *   viewer-functions.ts  viewer-request (Lambda@Edge or CloudFront Function)
 *   cache-stage.ts       cache key, lookup, request collapsing, store, compression
 *   failover.ts          origin-request, the origin group (origin-fetch.ts), origin-response
 *   viewer-functions.ts  viewer-response
 *   respond.ts           the answer written with CloudFront's headers
 *
 * Every function result is validated as CloudFront does (function-runner.ts: shape, read-only and
 * disallowed headers, generated-response caps, timeouts), and failures become CloudFront's 502/503
 * pages (answer.ts), so a handler that would fail in AWS fails here first. Dev-only switches (dev.ts:
 * a simulated viewer country, a failing primary) are read and removed before the viewer-request
 * function runs. X-Local-Origin and X-Local-Failover say what happened.
 *
 * This file holds the server: it answers only its own Host names, hands local pages to their routes,
 * and runs the stages in order.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { DistributionSpec, FunctionName } from '../distribution.ts';
import { listen } from '../serve/listen.ts';
import { admit, isTooLong } from './admission.ts';
import { failureAnswer } from './answer.ts';
import type { Answer, CacheStatus } from './answer.ts';
import type { S3Fetch } from './aws-s3.ts';
import { EdgeCache } from './cache.ts';
import { createCacheStage } from './cache-stage.ts';
import type { CloudFrontFunctionInstance } from './cloudfront-sandbox.ts';
import type { Simulation } from './dev.ts';
import { openExchange } from './exchange.ts';
import type { Exchange } from './exchange.ts';
import { createOriginStage } from './failover.ts';
import type { OriginContext } from './failover.ts';
import { createFunctionRunner } from './function-runner.ts';
import type { EdgeFunction, FunctionTrace } from './function-runner.ts';
import { LOCAL_ORIGIN_TIMEOUTS, createOriginFetch } from './origin-fetch.ts';
import type { OriginTimeouts } from './origin-fetch.ts';
import { createSend } from './respond.ts';
import { imageResponseHeaders } from '../response-headers.ts';
import { MAX_REQUEST_BYTES } from './rules/path.ts';
import { viewerRequestStage, viewerResponseStage } from './viewer-functions.ts';
import type { ViewerFunctions } from './viewer-functions.ts';

export interface EdgeOptions {
  readonly spec: DistributionSpec;
  readonly functions: Partial<Record<FunctionName, EdgeFunction>>;
  /**
   * The CloudFront Functions (loaded in the cloudfront-js-2.0 sandbox) for behaviors whose
   * viewer-request runtime is `cloudfront-function` (distribution.ts).
   */
  readonly cloudFrontFunctions?: Partial<Record<FunctionName, CloudFrontFunctionInstance>>;
  /** Where each origin id answers on this machine: an S3 endpoint (path-style) or an HTTP base URL. */
  readonly endpoints: Readonly<Record<string, string>>;
  /** Reads S3 origins another way than plain HTTP (real, private buckets need signed requests). */
  readonly s3Fetch?: S3Fetch;
  /** `strict`: the older quota column (viewer 5 s), the default; `current`: 30 s for every event. */
  readonly quotas?: 'strict' | 'current';
  readonly port?: number;
  readonly host?: string;
  readonly onTrace?: (trace: RequestTrace) => void;
  /**
   * Whether traces should carry each function's event and result (copied and shortened: the costly
   * part of a trace). Asked per request; absent: always. The gallery says yes only while its
   * inspector is open (it polled within the last seconds), so a hit costs no copies otherwise.
   */
  readonly traceDetail?: () => boolean;
  /** Origin timeouts here; CloudFront's defaults (connect 10 s x 3 attempts, read 30 s) are too slow to watch. */
  readonly originTimeouts?: Partial<OriginTimeouts>;
  /**
   * Whether origin-response also runs on the primary's failed response before the origin group fails
   * over (CloudFront does not document it). `skip` (the default): it runs once, on the response that is
   * served. `run`: it runs on the failed response too; that result is traced and discarded.
   */
  readonly originResponseOnFailedPrimary?: 'skip' | 'run';
  /** Dev-only switches applied to every request (see dev.ts); per-request headers or query flags win. */
  readonly simulate?: Simulation;
  /** The x-local-s3-conflict switch of a request (dev.ts): the embedded S3 is told before any function runs. */
  readonly armS3Conflicts?: (count: number) => void;
  /** The clock of the cache (tests move it instead of waiting). */
  readonly now?: () => number;
  /** Local-only pages and APIs (the gallery, the inspector) answered before the CloudFront pipeline. */
  readonly localRoutes?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
}

export interface RequestTrace {
  readonly requestId: string;
  readonly method: string;
  readonly uri: string;
  readonly behavior: string;
  readonly cache: CacheStatus;
  readonly origin?: string;
  /** Set when the origin group failed over: the origin that failed and why (a status, refused, timeout). */
  readonly failover?: { readonly from: string; readonly reason: string };
  readonly status: number;
  readonly contentType?: string;
  readonly bytes: number;
  readonly ms: number;
  readonly functions: FunctionTrace[];
  /** What the local stack adds for the inspector, e.g. a 409 the embedded S3 answered on a dev switch. */
  readonly notes?: readonly string[];
}

export interface Edge {
  readonly url: string;
  readonly server: Server;
  readonly cache: EdgeCache;
  /** The dev-only switches in force for every request; change them at any time. */
  readonly simulate: Simulation;
  close(): Promise<void>;
}

export async function startEdge(options: EdgeOptions): Promise<Edge> {
  const now = options.now ?? Date.now;
  const cache = new EdgeCache(now);
  const timeouts: OriginTimeouts = { ...LOCAL_ORIGIN_TIMEOUTS, ...options.originTimeouts };
  const simulate: Simulation = { ...options.simulate };
  const keepDetail = () => options.onTrace !== undefined && (options.traceDetail?.() ?? true);
  const run = createFunctionRunner({ spec: options.spec, functions: options.functions, quotas: options.quotas, keepEvents: keepDetail });
  const viewerFunctions: ViewerFunctions = { run, cloudFrontFunctions: options.cloudFrontFunctions, keepDetail };
  const fetchOrigin = createOriginFetch({ endpoints: options.endpoints, s3Fetch: options.s3Fetch, timeouts });
  const fromOrigin = createOriginStage({ spec: options.spec, run, fetchOrigin, originResponseOnFailedPrimary: options.originResponseOnFailedPrimary });
  const throughCache = createCacheStage({ spec: options.spec, cache, now, fromOrigin });
  const send = createSend(imageResponseHeaders);

  /** One request, stage by stage; every failure on the way becomes CloudFront's error page. */
  async function handle(req: IncomingMessage, res: ServerResponse, tooLong: boolean): Promise<void> {
    const x = openExchange(options.spec, req, res, tooLong);
    let answer: Answer;
    try {
      answer = await pipeline(x);
    } catch (error) {
      answer = failureAnswer(error, x.requestId);
    }
    // The behavior's response headers policy (CORS, security headers) is applied as it is written.
    send(res, { method: x.method, origin: req.headers.origin }, answer, x.requestId);
    options.onTrace?.(traceOf(x, answer));
  }

  /** The stages in order; a stage that has its answer at once (a GET's admission, no function, a hit) is not awaited. */
  async function pipeline(x: Exchange): Promise<Answer> {
    const admission = admit(x, { simulate, armS3Conflicts: options.armS3Conflicts });
    const admitted = admission instanceof Promise ? await admission : admission;
    if ('status' in admitted) return admitted;
    const viewed = viewerRequestStage(x, admitted.request, viewerFunctions);
    const request = viewed instanceof Promise ? await viewed : viewed;
    if ('status' in request) return request;
    const ctx: OriginContext = { trace: x.functions, requestId: x.requestId, simulation: admitted.simulation, body: admitted.body, viewer: request };
    const cached = throughCache(x, request, ctx);
    return viewerResponseStage(x, cached instanceof Promise ? await cached : cached, request, viewerFunctions);
  }

  let allowedHosts = new Set<string>();
  // Above CloudFront's 20,480-byte request limit, so that rule (a 413), not Node's 16 KB default (a 431), decides.
  const server = createServer({ maxHeaderSize: 2 * MAX_REQUEST_BYTES }, (req, res) => {
    // A dev server answers only its own names: a foreign Host is how DNS rebinding reaches it.
    const host = req.headers.host?.toLowerCase();
    // A request over CloudFront's length limits gets CloudFront's 413 from the pipeline, whatever the Host.
    const tooLong = isTooLong(req);
    // `*` and absolute-form targets are refused first, as CloudFront does (400), whatever the Host.
    if ((req.url ?? '/').startsWith('/') && !tooLong && (host === undefined || !allowedHosts.has(host))) {
      res.writeHead(421, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', connection: 'close' });
      res.end(`421 local edge: Expected a Host of ${[...allowedHosts].join(', ')} but received ${JSON.stringify(req.headers.host ?? '')}\n`);
      return;
    }
    const lastResort = (error: unknown) => {
      // The pipeline turns every known failure into an answer; this is the last resort.
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('500 Internal error in the local edge\n');
      console.error('local edge:', error);
    };
    // Local pages never see an over-long request (nor one with a foreign Host). A route that says
    // false at once (not a local page) lets the request into the pipeline without waiting a turn.
    let routed: boolean | Promise<boolean>;
    try {
      routed = tooLong ? false : (options.localRoutes?.(req, res) ?? false);
    } catch (error) {
      lastResort(error);
      return;
    }
    if (routed === false) handle(req, res, tooLong).catch(lastResort);
    else if (routed !== true) routed.then((handled) => (handled ? undefined : handle(req, res, tooLong))).catch(lastResort);
  });
  // Count every header (the byte limits above bound them), so 3,000 small headers are a 413, as in CloudFront.
  server.maxHeadersCount = 0;
  const address = await listen(server, options.port ?? 0, options.host ?? '127.0.0.1');
  const { port } = address;
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${(options.host ?? '127.0.0.1').toLowerCase()}:${port}`]);
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    server,
    cache,
    simulate,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** What the inspector and the logs get for one request (fields absent when they do not apply). */
function traceOf(x: Exchange, answer: Answer): RequestTrace {
  const contentType = answer.headers['content-type']?.[0]?.value;
  return {
    requestId: x.requestId,
    method: x.method,
    uri: x.rawUrl,
    behavior: x.behavior.pathPattern,
    cache: answer.cache,
    origin: answer.origin,
    failover: answer.failover,
    status: answer.status,
    contentType,
    bytes: answer.body.byteLength,
    ms: Math.round(performance.now() - x.started),
    functions: x.functions,
  };
}
