/**
 * The local edge: a CloudFront pipeline on node:http, built from distribution.ts, running the real
 * handlers with real Lambda@Edge events.
 *
 *   behavior match -> viewer-request -> cache -> origin-request -> origin (group failover)
 *   -> origin-response -> cache store -> viewer-response -> viewer
 *
 * Every function result is validated as CloudFront does (shape, read-only and disallowed headers,
 * generated-response caps, timeouts), and failures become CloudFront's 502/503 pages, so a handler
 * that would fail in AWS fails here first.
 *
 * Origin groups fail over as CloudFront's do (listed status codes; a refused connection only if 503
 * is listed, a timeout only if 504 is; GET/HEAD, OPTIONS when cached), with shorter local timeouts.
 * Dev-only switches (dev.ts: a simulated viewer country, a failing primary) are read and removed
 * before the viewer-request function runs. X-Local-Origin and X-Local-Failover say what happened.
 *
 * The parts, each its own file: behaviors.ts (behavior matching), function-runner.ts (running and
 * validating a function), cache.ts (the cache and its TTLs), origin-fetch.ts (one origin fetch with
 * CloudFront's timeouts), failover.ts (origin-request, the origin group, origin-response), answer.ts
 * (CloudFront's own answers). This file is the HTTP front: viewer-request, the cache lookup with
 * request collapsing, viewer-response, and writing the answer.
 */
import { STATUS_CODES, createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { CloudFrontHeaders, CloudFrontRequest } from 'aws-lambda';
import { newRequestId, viewerRequestEvent, viewerResponseEvent } from './cloudfront-events.ts';
import { fromCfHeaders, toCfHeaders } from '../../functions/adapters/cloudfront/headers.ts';
import { isDisallowedHeader } from './cloudfront-validate.ts';
import type { DistributionSpec, FunctionName } from '../distribution.ts';
import { viewerRuntimeOf } from '../distribution.ts';
import { LOCAL_MAX_REQUEST_BODY_BYTES } from '../cloudfront-quotas.ts';
import { listen } from '../serve/listen.ts';
import { FunctionFailure, HOP_BY_HOP, cloudFrontError, eventOptions, failureAnswer, localError } from './answer.ts';
import type { Answer, CacheStatus } from './answer.ts';
import type { S3Fetch } from './aws-s3.ts';
import { cloudFrontHeaders, matchBehavior } from './behaviors.ts';
import { EdgeCache } from './cache.ts';
import { runViewerRequestFunction } from './cloudfront-function-slot.ts';
import type { CloudFrontFunctionInstance } from './cloudfront-sandbox.ts';
import { isDevSwitch, takeDevSwitches } from './dev.ts';
import type { Simulation } from './dev.ts';
import { createOriginStage } from './failover.ts';
import type { OriginContext } from './failover.ts';
import { createFunctionRunner } from './function-runner.ts';
import type { EdgeFunction, FunctionTrace } from './function-runner.ts';
import { LOCAL_ORIGIN_TIMEOUTS, createOriginFetch } from './origin-fetch.ts';
import type { OriginTimeouts } from './origin-fetch.ts';
import { DEFAULT_ERROR_CACHING_MIN_TTL, cachingDisabled, servableStale, ttlFor } from './rules/caching.ts';
import { compress, compressionFor } from './rules/compression.ts';
import { cacheKey as cacheKeyOf } from './rules/forwarding.ts';
import { MAX_REQUEST_BYTES, MAX_URL_BYTES, parseTarget } from './rules/path.ts';

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

const CLIENT_IP = '127.0.0.1';

export async function startEdge(options: EdgeOptions): Promise<Edge> {
  const now = options.now ?? Date.now;
  const cache = new EdgeCache(now);
  const inFlight = new Map<string, Promise<Answer>>();
  const timeouts: OriginTimeouts = { ...LOCAL_ORIGIN_TIMEOUTS, ...options.originTimeouts };
  const simulate: Simulation = { ...options.simulate };
  const run = createFunctionRunner({
    spec: options.spec,
    functions: options.functions,
    quotas: options.quotas,
    keepEvents: () => options.onTrace !== undefined && (options.traceDetail?.() ?? true),
  });
  const fetchOrigin = createOriginFetch({ endpoints: options.endpoints, s3Fetch: options.s3Fetch, timeouts });
  const fromOrigin = createOriginStage({ spec: options.spec, run, fetchOrigin, originResponseOnFailedPrimary: options.originResponseOnFailedPrimary });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = newRequestId();
    const functions: FunctionTrace[] = [];
    const rawUrl = req.url ?? '/';
    const method = req.method ?? 'GET';
    const target = parseTarget(rawUrl);
    const uri = target.kind === 'origin-form' ? target.path : '/';
    // Behaviors are matched on the normalized path (behaviors.ts); functions and origins get the raw one.
    const behavior = matchBehavior(options.spec, uri);
    let answer: Answer;
    try {
      answer = await pipeline();
    } catch (error) {
      answer = failureAnswer(error, requestId);
    }
    send(res, method, answer, requestId);
    options.onTrace?.({
      requestId,
      method,
      uri: rawUrl,
      behavior: behavior.pathPattern,
      cache: answer.cache,
      ...(answer.origin ? { origin: answer.origin } : {}),
      ...(answer.failover ? { failover: answer.failover } : {}),
      status: answer.status,
      ...(answer.headers['content-type'] ? { contentType: answer.headers['content-type'][0]!.value } : {}),
      bytes: answer.body.byteLength,
      ms: Math.round(performance.now() - started),
      functions,
    });

    async function pipeline(): Promise<Answer> {
      // Origin-form only (`/path`): `*` and absolute URLs never reach a function (rules: path.targets).
      if (target.kind === 'refused') return cloudFrontError(400, 'Bad request.', 'The request could not be understood.', requestId);
      // CloudFront: a URL over 8,192 bytes or a request over 20,480 bytes is a 413, and the connection closes
      // (RequestAndResponseBehaviorCustomOrigin.html, "Maximum length of a request and maximum length of a URL").
      if (Buffer.byteLength(rawUrl) > MAX_URL_BYTES || requestBytes(req) > MAX_REQUEST_BYTES) {
        res.setHeader('Connection', 'close');
        return cloudFrontError(413, 'Request Entity Too Large', 'The request could not be satisfied.', requestId);
      }
      if (!(behavior.allowedMethods as readonly string[]).includes(method)) {
        return cloudFrontError(
          403,
          'Bad request.',
          'This distribution is not configured to allow the HTTP request method that was used for this request.',
          requestId,
        );
      }
      // CloudFront answers a GET (or HEAD) with a body 403 (rules: req.get-body).
      if ((method === 'GET' || method === 'HEAD') && hasBody(req)) {
        return cloudFrontError(403, 'Bad request.', 'A GET request that includes a body is not allowed.', requestId);
      }
      // Dev-only switches are read and removed here, before any function could see them.
      let dev: ReturnType<typeof takeDevSwitches>;
      try {
        dev = takeDevSwitches(req.rawHeaders, target.querystring);
      } catch (error) {
        return localError(400, (error as Error).message);
      }
      let body: Buffer | undefined;
      try {
        body = await requestBody(req, method);
      } catch (error) {
        if (!(error instanceof BodyTooLarge)) throw error;
        // Read no further: the connection closes once this answer is sent.
        res.shouldKeepAlive = false;
        req.pause();
        return cloudFrontError(413, 'Request Entity Too Large.', `The request body is too large (${error.message}).`, requestId);
      }
      const simulation: Simulation = { ...simulate, ...dev.simulation };
      if (simulation.s3Conflicts !== undefined) options.armS3Conflicts?.(simulation.s3Conflicts);
      let request: CloudFrontRequest = {
        clientIp: simulation.viewerIp ?? CLIENT_IP,
        method,
        uri,
        querystring: dev.querystring,
        headers: viewerHeaders(req),
      };
      const viewerRequestFn = behavior.functions['viewer-request'];
      if (viewerRequestFn && viewerRuntimeOf(behavior) === 'cloudfront-function') {
        const answered = await viaCloudFrontFunction(viewerRequestFn, request);
        if ('status' in answered) return answered;
        request = answered;
      } else if (viewerRequestFn) {
        const result = await run(functions, 'viewer-request', viewerRequestFn, viewerRequestEvent({ ...eventOptions(request), requestId }));
        // A response generated in viewer-request goes straight back and is never cached.
        if (result.kind === 'response') {
          return {
            status: Number(result.response.status),
            headers: result.response.headers ?? {},
            body: result.body ?? Buffer.alloc(0),
            cache: 'LambdaGeneratedResponse',
          };
        }
        request = result.request;
      }
      const ctx: OriginContext = { trace: functions, requestId, simulation, body, viewer: request };
      // A response made under a dev switch is never served to a request without it (nor the reverse).
      const switches = devCacheKey(simulation);
      const key = `${behavior.pathPattern} ${cacheKeyOf({ behavior, headers: request.headers, querystring: request.querystring, cloudFrontHeaders: cloudFrontHeaders(simulation), uri: request.uri, method })}${switches}`;
      const cachedMethods: readonly string[] = behavior.cachedMethods ?? ['GET', 'HEAD'];
      const cacheable =
        !cachingDisabled(behavior.cachePolicy) && (method === 'GET' || method === 'HEAD' || (method === 'OPTIONS' && cachedMethods.includes('OPTIONS')));
      // A HEAD is answered from the GET entry; a HEAD miss is stored too (CloudFront caches GET and HEAD
      // responses), in an entry that answers HEADs only, since it holds no body (rules: cache.head-from-get).
      const storeKey = method === 'HEAD' ? `${key} HEAD` : key;
      const shared = cacheable ? cache.lookup(key) : undefined;
      const found = method === 'HEAD' && !shared?.fresh ? (cache.lookup(storeKey) ?? shared) : shared;
      let answer: Answer;
      if (found?.fresh) {
        answer = { ...found.object, cache: 'Hit', ageSeconds: found.ageSeconds };
      } else if (cacheable && method === 'HEAD') {
        // Not collapsed (each HEAD miss goes to the origin), but stored for the HEADs that follow.
        answer = store(storeKey, await fromOrigin(behavior, request, ctx), found, request);
      } else if (cacheable) {
        // Request collapsing: concurrent misses for one key wait for the first one's origin fetch.
        const pending = inFlight.get(key);
        if (pending) {
          const shared = await pending;
          answer = { ...shared, cache: cache.get(key) ? 'Hit' : shared.cache };
        } else {
          const fetching = fromOrigin(behavior, request, ctx).then((fetched) => store(key, fetched, found, request));
          inFlight.set(key, fetching);
          try {
            answer = await fetching;
          } finally {
            inFlight.delete(key);
          }
        }
      } else {
        // Uncached methods go to the origin and are not stored.
        answer = compressed(await fromOrigin(behavior, request, ctx), request);
      }
      return viewerResponse(answer, request);
    }

    /** The viewer-request slot run by a CloudFront Function: the request that goes on, or the answer. */
    async function viaCloudFrontFunction(fn: FunctionName, request: CloudFrontRequest): Promise<CloudFrontRequest | Answer> {
      const loaded = options.cloudFrontFunctions?.[fn];
      if (!loaded) throw new FunctionFailure('FunctionExecutionError', `no CloudFront Function is loaded for ${fn}`);
      const started = performance.now();
      const ran = await runViewerRequestFunction(loaded, request, requestId, (req.url ?? '').includes('?'));
      const result = ran.result;
      functions.push({
        eventType: 'viewer-request',
        fn,
        runtime: 'cloudfront-function',
        ms: Math.round(performance.now() - started),
        outcome: result.kind === 'failure' ? result.error : result.kind === 'response' ? 'generated' : 'continued',
        ...(result.kind === 'failure' ? { detail: result.reason } : {}),
        // Details only while they are kept (the inspector open), as the function runner does.
        ...(options.onTrace !== undefined && (options.traceDetail?.() ?? true) ? { event: ran.event, result: ran.returned } : {}),
      });
      if (result.kind === 'failure') throw new FunctionFailure(result.error, `${fn} (CloudFront Function): ${result.reason}`);
      // Generated in viewer-request: straight back to the viewer, never cached.
      if (result.kind === 'response') return { status: result.status, headers: result.headers, body: result.body, cache: 'FunctionGeneratedResponse' };
      return result.request;
    }

    /**
     * Stores what the origin answered under its TTL (rules/caching.ts), compressed as CloudFront would,
     * or serves the expired object again when the origin failed with a 5xx (rules: cache.stale-on-5xx).
     */
    function store(key: string, fetched: Answer, stale: ReturnType<EdgeCache['lookup']>, request: CloudFrontRequest): Answer {
      const minTtl = (status: number) => options.spec.errorCaching?.find((e) => e.errorCode === status)?.errorCachingMinTtl ?? DEFAULT_ERROR_CACHING_MIN_TTL;
      if (stale && !stale.fresh && fetched.status >= 500 && servableStale(stale.object.headers, stale.expiredForSeconds)) {
        cache.set(key, { ...stale.object, ttlMs: minTtl(fetched.status) * 1000 });
        return { ...stale.object, cache: 'Hit', ageSeconds: 0, ...(fetched.origin ? { origin: fetched.origin } : {}) };
      }
      const answer = compressed(fetched, request);
      // CloudFront's own error pages (no origin answer) are not cached; an origin's errors are, per the rules.
      if (answer.cache !== 'Miss') return answer;
      const ttl = ttlFor({
        status: answer.status,
        headers: answer.headers,
        method,
        policy: behavior.cachePolicy,
        cachedMethods: behavior.cachedMethods ?? ['GET', 'HEAD'],
        errorCachingMinTtl: minTtl(answer.status),
        now: now(),
      });
      cache.set(key, { status: answer.status, headers: answer.headers, body: answer.body, path: request.uri, ttlMs: ttl.seconds * 1000 });
      return answer;
    }

    /** The answer compressed when CloudFront would compress it for this viewer (rules/compression.ts). */
    function compressed(answer: Answer, request: CloudFrontRequest): Answer {
      if (answer.cache !== 'Miss') return answer;
      const decision = compressionFor({
        behavior,
        acceptEncoding: request.headers['accept-encoding']?.map((h) => h.value).join(', '),
        httpVersion: req.httpVersion,
        status: answer.status,
        headers: answer.headers,
        bodyBytes: answer.body.byteLength,
      });
      if (decision.coding === undefined) return answer;
      return { ...answer, ...compress(decision.coding, answer.headers, answer.body) };
    }

    async function viewerResponse(answer: Answer, request: CloudFrontRequest): Promise<Answer> {
      const fn = behavior.functions['viewer-response'];
      // Skipped when the origin answered 400 or above, as CloudFront does.
      if (!fn || answer.status >= 400) return answer;
      const event = viewerResponseEvent({
        ...eventOptions(request),
        requestId,
        response: { status: String(answer.status), statusDescription: STATUS_CODES[answer.status] ?? '', headers: structuredClone(answer.headers) },
      });
      const result = await run(functions, 'viewer-response', fn, event);
      if (result.kind !== 'response') return answer;
      return { ...answer, headers: result.response.headers ?? {}, body: result.generated ? (result.body ?? Buffer.alloc(0)) : answer.body };
    }
  }

  let allowedHosts = new Set<string>();
  // Above CloudFront's 20,480-byte request limit, so that rule (a 413), not Node's 16 KB default (a 431), decides.
  const server = createServer({ maxHeaderSize: 2 * MAX_REQUEST_BYTES }, (req, res) => {
    // A dev server answers only its own names: a foreign Host is how DNS rebinding reaches it.
    const host = req.headers.host?.toLowerCase();
    // A request over CloudFront's length limits gets CloudFront's 413 from the pipeline, whatever the Host.
    const tooLong = Buffer.byteLength(req.url ?? '') > MAX_URL_BYTES || requestBytes(req) > MAX_REQUEST_BYTES;
    // `*` and absolute-form targets are refused first, as CloudFront does (400), whatever the Host.
    if ((req.url ?? '/').startsWith('/') && !tooLong && (host === undefined || !allowedHosts.has(host))) {
      res.writeHead(421, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', connection: 'close' });
      res.end(`421 local edge: Expected a Host of ${[...allowedHosts].join(', ')} but received ${JSON.stringify(req.headers.host ?? '')}\n`);
      return;
    }
    // Local pages never see an over-long request (nor one with a foreign Host).
    Promise.resolve(tooLong ? false : (options.localRoutes?.(req, res) ?? false))
      .then((handled) => (handled ? undefined : handle(req, res)))
      .catch((error: unknown) => {
        // The pipeline turns every known failure into an answer; this is the last resort.
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('500 Internal error in the local edge\n');
        console.error('local edge:', error);
      });
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

/**
 * The part of the local cache key that keeps requests made under a dev switch apart from plain ones
 * ('' when none is in force). Requests under switches share among themselves per URI, as CloudFront
 * caches per URI whatever the viewer's country (geo-routed buckets must be replicas).
 */
function devCacheKey(simulation: Simulation): string {
  const any =
    simulation.viewerCountry !== undefined || simulation.failPrimary !== undefined || simulation.viewerIp !== undefined || simulation.s3Conflicts !== undefined;
  return any ? ' [dev switch]' : '';
}

/** The viewer's headers as a function sees them: disallowed and hop-by-hop ones never arrive. */
function viewerHeaders(req: IncomingMessage): CloudFrontHeaders {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const lower = name.toLowerCase();
    // Dev switches are local-only. A viewer's CloudFront-Viewer-* headers reach viewer functions (as in
    // AWS); the forwarding model replaces them with CloudFront's values for origin events.
    const dropped = isDisallowedHeader(name) || HOP_BY_HOP.has(lower) || isDevSwitch(lower);
    if (!dropped) pairs.push([name, req.rawHeaders[i + 1]!]);
  }
  return toCfHeaders(pairs);
}

/** The request line and headers in bytes, as CloudFront's 20,480-byte limit counts them. */
function requestBytes(req: IncomingMessage): number {
  let bytes = Buffer.byteLength(`${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`);
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) bytes += Buffer.byteLength(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`);
  return bytes;
}

/** Whether the viewer sent a body: a Content-Length above 0, or a chunked one. */
function hasBody(req: IncomingMessage): boolean {
  const length = Number(req.headers['content-length'] ?? 0);
  return length > 0 || req.headers['transfer-encoding'] !== undefined;
}

class BodyTooLarge extends Error {}

/** The body of a request that may have one (not GET or HEAD), for the origin; at most LOCAL_MAX_REQUEST_BODY_BYTES. */
async function requestBody(req: IncomingMessage, method: string): Promise<Buffer | undefined> {
  if (method === 'GET' || method === 'HEAD') return undefined;
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > LOCAL_MAX_REQUEST_BODY_BYTES) throw new BodyTooLarge(`${declared} bytes declared`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).byteLength;
    if (size > LOCAL_MAX_REQUEST_BODY_BYTES) throw new BodyTooLarge(`more than ${LOCAL_MAX_REQUEST_BODY_BYTES} bytes sent`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, method: string, answer: Answer, requestId: string): void {
  const headers = fromCfHeaders(answer.headers).filter(([name]) => {
    const lower = name.toLowerCase();
    return !HOP_BY_HOP.has(lower) && lower !== 'content-length' && lower !== 'x-cache' && lower !== 'age';
  });
  headers.push(['Content-Length', String(answer.body.byteLength)]);
  headers.push(['X-Cache', `${answer.cache} from cloudfront`]);
  if (answer.cache === 'Hit') headers.push(['Age', String(answer.ageSeconds ?? 0)]);
  headers.push(['Via', '1.1 local.cloudfront.net (CloudFront)'], ['X-Amz-Cf-Pop', 'LOCAL1-P1'], ['X-Amz-Cf-Id', requestId]);
  if (answer.origin) headers.push(['X-Local-Origin', answer.origin]);
  if (answer.failover) headers.push(['X-Local-Failover', `${answer.failover.from} (${answer.failover.reason})`]);
  res.writeHead(answer.status, headers.flat());
  res.end(method === 'HEAD' ? undefined : answer.body);
}
