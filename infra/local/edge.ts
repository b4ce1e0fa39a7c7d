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
 */
import { STATUS_CODES, createServer, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { CloudFrontHeaders, CloudFrontRequest, CloudFrontRequestEvent, CloudFrontResponseEvent } from 'aws-lambda';
import { cloudFrontErrorPage, errorTypeFor } from '../../functions/adapters/cloudfront/error-page.ts';
import {
  newRequestId,
  originRequestEvent,
  originResponseEvent,
  viewerRequestEvent,
  viewerResponseEvent,
} from '../../functions/adapters/cloudfront/events.ts';
import type { EventOrigin, EventType } from '../../functions/adapters/cloudfront/events.ts';
import { fromCfHeaders, toCfHeaders } from '../../functions/adapters/cloudfront/headers.ts';
import { DEFAULT_LIMITS, isDisallowedHeader, validateResult } from '../../functions/adapters/cloudfront/validate.ts';
import type { BehaviorSpec, DistributionSpec, FunctionName, OriginSpec } from '../distribution.ts';
import { findOrigin, s3DomainName } from '../distribution.ts';
import type { S3Fetch } from './aws-s3.ts';
import { EdgeCache, ttlSeconds } from './cache.ts';
import { DEV_FAIL_PRIMARY, geoHeaderValues, isDevSwitch, takeDevSwitches } from './dev.ts';
import type { FailMode, Simulation } from './dev.ts';
import { listen } from './listen.ts';
import { MAX_URL_BYTES } from '../../functions/core/signed-url.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EdgeFunction = (event: any) => unknown;

export interface EdgeOptions {
  readonly spec: DistributionSpec;
  readonly functions: Partial<Record<FunctionName, EdgeFunction>>;
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
  /** Local-only pages and APIs (the gallery, the inspector) answered before the CloudFront pipeline. */
  readonly localRoutes?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
}

export interface FunctionTrace {
  readonly eventType: EventType;
  readonly fn: FunctionName;
  readonly ms: number;
  readonly outcome: 'continued' | 'generated' | 'LambdaExecutionError' | 'LambdaValidationError' | 'LambdaLimitExceeded';
  readonly detail?: string;
  /** The event as CloudFront passed it and the result the function returned (bodies shortened). */
  readonly event?: unknown;
  readonly result?: unknown;
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

/** The X-Cache value: `<status> from cloudfront`. */
export type CacheStatus = 'Hit' | 'Miss' | 'LambdaGeneratedResponse' | 'Error' | 'LambdaValidationError' | 'LambdaExecutionError' | 'LambdaLimitExceeded';

/** What the pipeline answers, before the edge's own headers are added. */
interface Answer {
  status: number;
  headers: CloudFrontHeaders;
  body: Buffer;
  cache: CacheStatus;
  ageSeconds?: number;
  origin?: string;
  failover?: { from: string; reason: string };
}

export interface OriginTimeouts {
  /** Per connection attempt. CloudFront: 10 s (1-10). */
  readonly connectMs: number;
  /** CloudFront: 3 (1-3). */
  readonly connectAttempts: number;
  /** For the first byte and between bytes. CloudFront: 30 s (1-120 for custom origins). */
  readonly readMs: number;
}

export const LOCAL_ORIGIN_TIMEOUTS: OriginTimeouts = { connectMs: 1_000, connectAttempts: 3, readMs: 5_000 };

/** What one request carries through the origin stage. */
interface OriginContext {
  readonly trace: FunctionTrace[];
  readonly requestId: string;
  readonly simulation: Simulation;
  readonly body: Buffer | undefined;
}

type Fetched =
  | { kind: 'response'; status: number; statusDescription: string; headers: CloudFrontHeaders; body: Buffer }
  | { kind: 'failed'; failure: 'connect' | 'timeout'; detail: string };

class FunctionFailure extends Error {
  constructor(
    readonly kind: 'LambdaExecutionError' | 'LambdaValidationError' | 'LambdaLimitExceeded',
    readonly detail: string,
  ) {
    super(detail);
  }
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);
const CLIENT_IP = '127.0.0.1';

export async function startEdge(options: EdgeOptions): Promise<Edge> {
  const cache = new EdgeCache();
  const inFlight = new Map<string, Promise<Answer>>();
  const limits = DEFAULT_LIMITS;
  const timeouts: OriginTimeouts = { ...LOCAL_ORIGIN_TIMEOUTS, ...options.originTimeouts };
  const simulate: Simulation = { ...options.simulate };

  function timeoutMs(eventType: EventType, fn: FunctionName): number {
    const quota = options.quotas === 'current' || eventType.startsWith('origin') ? 30 : 5;
    return Math.min(options.spec.functions[fn].timeoutSeconds, quota) * 1000;
  }

  /** Runs one function on one event and validates its result as CloudFront would. */
  async function run(
    trace: FunctionTrace[],
    eventType: EventType,
    fn: FunctionName,
    event: CloudFrontRequestEvent | CloudFrontResponseEvent,
  ) {
    const handler = options.functions[fn];
    if (!handler) throw new FunctionFailure('LambdaExecutionError', `no handler is registered for ${fn}`);
    const sent = structuredClone(event);
    const detailed = options.onTrace !== undefined && (options.traceDetail?.() ?? true);
    const started = performance.now();
    let result: unknown;
    const record = (outcome: FunctionTrace['outcome'], detail?: string) =>
      trace.push({
        eventType,
        fn,
        ms: Math.round(performance.now() - started),
        outcome,
        ...(detail ? { detail } : {}),
        ...(detailed ? { event: shortened(sent), result: shortened(result) } : {}),
      });
    let timer: NodeJS.Timeout | undefined;
    try {
      const limit = timeoutMs(eventType, fn);
      result = await Promise.race([
        Promise.resolve().then(() => handler(event)),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new FunctionFailure('LambdaLimitExceeded', `${fn} timed out after ${limit} ms`)), limit);
        }),
      ]);
    } catch (error) {
      const failure =
        error instanceof FunctionFailure ? error : new FunctionFailure('LambdaExecutionError', `${fn} threw: ${String(error)}`);
      record(failure.kind, failure.detail);
      throw failure;
    } finally {
      clearTimeout(timer);
    }
    const validated = validateResult(eventType, sent, result, limits);
    if (!validated.ok) {
      record('LambdaValidationError', validated.reason);
      throw new FunctionFailure('LambdaValidationError', `${fn} on ${eventType}: ${validated.reason}`);
    }
    record(validated.kind === 'response' && validated.generated ? 'generated' : 'continued');
    return validated;
  }

  /**
   * The origin group, as CloudFront runs it: the primary first; on a failover status, a refused
   * connection (only if 503 is listed) or a timeout (only if 504 is), the secondary, with
   * origin-request run again for it. GET and HEAD fail over, OPTIONS only when it is a cached method.
   */
  async function fromOrigin(behavior: BehaviorSpec, viewerRequest: CloudFrontRequest, ctx: OriginContext): Promise<Answer> {
    // A copy: the location headers belong to origin events only, never to the viewer-response event.
    const request = structuredClone(viewerRequest);
    const group = options.spec.originGroups.find((g) => g.id === behavior.target);
    const chain = group ? [group.primary, group.secondary] : [behavior.target];
    const cachedMethods: readonly string[] = behavior.cachedMethods ?? ['GET', 'HEAD'];
    const methodFailsOver = request.method === 'GET' || request.method === 'HEAD' || (request.method === 'OPTIONS' && cachedMethods.includes('OPTIONS'));
    withGeoHeaders(request, behavior, ctx.simulation);
    let failover: Answer['failover'];
    for (const [index, originId] of chain.entries()) {
      const last = index === chain.length - 1;
      const failoverCodes: readonly number[] = group && !last && methodFailsOver ? group.failoverStatusCodes : [];
      const fail = index === 0 ? ctx.simulation.failPrimary : undefined;
      const attempt = await throughOrigin(behavior, findOrigin(options.spec, originId), structuredClone(request), ctx, failoverCodes, fail);
      if (attempt.kind === 'answer') return failover ? { ...attempt.answer, failover } : attempt.answer;
      failover = { from: attempt.from, reason: attempt.reason };
    }
    throw new Error(`${behavior.target} has no origin to try`);
  }

  async function throughOrigin(
    behavior: BehaviorSpec,
    origin: OriginSpec,
    request: CloudFrontRequest,
    ctx: OriginContext,
    failoverCodes: readonly number[],
    fail: FailMode | undefined,
  ): Promise<{ kind: 'answer'; answer: Answer } | { kind: 'failover'; from: string; reason: string }> {
    const eventOrigin = toEventOrigin(origin);
    // Without a forwarded Host, CloudFront sends the origin's own domain as Host.
    request.headers['host'] = [{ key: 'Host', value: origin.kind === 's3' ? s3DomainName(origin) : origin.domainName }];
    let originRequest = request;
    const originRequestFn = behavior.functions['origin-request'];
    if (originRequestFn) {
      // One viewer request, one requestId in every function's event (it is the X-Amz-Cf-Id).
      const event = originRequestEvent({ ...eventOptions(request), requestId: ctx.requestId, origin: eventOrigin });
      const result = await run(ctx.trace, 'origin-request', originRequestFn, event);
      if (result.kind === 'response') {
        const answer: Answer = { status: Number(result.response.status), headers: result.response.headers ?? {}, body: result.body ?? Buffer.alloc(0), cache: 'Miss', origin: origin.id };
        return { kind: 'answer', answer };
      }
      originRequest = result.request;
    }
    const target = originRequest.origin ? originOf(originRequest.origin) : origin;
    if (!target) {
      const domain = originRequest.origin?.s3?.domainName ?? originRequest.origin?.custom?.domainName;
      const detail = `origin-request sent the request to ${domain ?? 'an origin without a domain'}, which is not an origin of ${options.spec.name}: the local edge reaches only the origins listed in distribution.ts.`;
      console.error(`local edge: ${detail}`);
      return { kind: 'answer', answer: { ...cloudFrontError(502, 'Bad gateway.', detail, ctx.requestId), origin: domain ?? '?' } };
    }
    const fetched = await fetchOrigin(target, originRequest, ctx.body, fail);
    if (fetched.kind === 'failed') {
      // A refused connection counts as a 503 for failover, a timeout as a 504; the viewer sees 502/504.
      if (failoverCodes.includes(fetched.failure === 'connect' ? 503 : 504)) return { kind: 'failover', from: target.id, reason: fetched.detail };
      const answer =
        fetched.failure === 'connect'
          ? cloudFrontError(502, 'Bad gateway.', `CloudFront wasn't able to connect to the origin. (${fetched.detail})`, ctx.requestId)
          : cloudFrontError(504, 'Gateway Timeout.', `CloudFront attempted to establish a connection with the origin, but the origin did not respond in time. (${fetched.detail})`, ctx.requestId);
      return { kind: 'answer', answer: { ...answer, origin: target.id } };
    }
    const originResponseFn = behavior.functions['origin-response'];
    const responseEvent = () =>
      originResponseEvent({
        ...eventOptions(originRequest),
        requestId: ctx.requestId,
        origin: originRequest.origin ?? eventOrigin,
        response: { status: String(fetched.status), statusDescription: fetched.statusDescription, headers: fetched.headers },
      });
    if (failoverCodes.includes(fetched.status)) {
      // Undocumented in CloudFront, so a named option: origin-response may run on the failed response;
      // its result (or failure) is recorded in the trace and discarded, and failover happens regardless.
      if (originResponseFn && options.originResponseOnFailedPrimary === 'run') {
        await run(ctx.trace, 'origin-response', originResponseFn, responseEvent()).catch(() => undefined);
      }
      return { kind: 'failover', from: target.id, reason: String(fetched.status) };
    }
    if (!originResponseFn) return { kind: 'answer', answer: { status: fetched.status, headers: fetched.headers, body: fetched.body, cache: 'Miss', origin: target.id } };
    const result = await run(ctx.trace, 'origin-response', originResponseFn, responseEvent());
    if (result.kind !== 'response') throw new FunctionFailure('LambdaValidationError', 'origin-response returned a request');
    return {
      kind: 'answer',
      answer: {
        status: Number(result.response.status),
        headers: result.response.headers ?? {},
        body: result.generated ? (result.body ?? Buffer.alloc(0)) : fetched.body,
        cache: 'Miss',
        origin: target.id,
      },
    };
  }

  /** The origin a function switched to, found among the distribution's origins by its domain. */
  function originOf(eventOrigin: NonNullable<CloudFrontRequest['origin']>): OriginSpec | undefined {
    const domain = eventOrigin.s3?.domainName ?? eventOrigin.custom?.domainName;
    return options.spec.origins.find((o) =>
      o.kind === 's3' ? domain === s3DomainName(o) || domain === `${o.bucket}.s3.amazonaws.com` : domain === o.domainName,
    );
  }

  /** One origin fetch: up to `connectAttempts` connection attempts, then the read timeout. */
  async function fetchOrigin(origin: OriginSpec, request: CloudFrontRequest, body: Buffer | undefined, fail: FailMode | undefined): Promise<Fetched> {
    if (fail === 'down') return { kind: 'failed', failure: 'connect', detail: `${origin.id} refused the connection (${DEV_FAIL_PRIMARY}: down)` };
    if (fail === 'slow') {
      await new Promise((resolve) => setTimeout(resolve, timeouts.readMs).unref());
      return { kind: 'failed', failure: 'timeout', detail: `${origin.id} did not answer within ${timeouts.readMs} ms (${DEV_FAIL_PRIMARY}: slow)` };
    }
    if (typeof fail === 'number') {
      const text = `${fail} ${STATUS_CODES[fail] ?? ''} from ${origin.id} (${DEV_FAIL_PRIMARY}: ${fail})\n`;
      const headers = toCfHeaders({ 'Content-Type': 'text/plain', 'Content-Length': String(Buffer.byteLength(text)) });
      return { kind: 'response', status: fail, statusDescription: STATUS_CODES[fail] ?? '', headers, body: Buffer.from(text) };
    }
    if (origin.kind === 's3' && options.s3Fetch) {
      try {
        return { kind: 'response', ...(await options.s3Fetch(origin, request.uri, request.method)) };
      } catch (error) {
        return { kind: 'failed', failure: 'connect', detail: `S3 request to ${origin.bucket} failed: ${(error as Error).message}` };
      }
    }
    const endpoint = options.endpoints[origin.id];
    if (!endpoint) return { kind: 'failed', failure: 'connect', detail: `no local endpoint for origin ${origin.id}` };
    const path =
      origin.kind === 's3'
        ? `/${origin.bucket}${request.uri}`
        : `${origin.path ?? ''}${request.uri}${request.querystring ? `?${request.querystring}` : ''}`;
    const headers: Record<string, string> = {};
    if (origin.kind === 'custom') for (const [name, value] of fromCfHeaders(request.headers)) headers[name] = value;
    if (body !== undefined) headers['Content-Length'] = String(body.byteLength);
    // The path goes out exactly as the functions left it. `new URL(path, endpoint)` would resolve dot
    // segments (`/b/%2e%2e/x` -> `/x`) and hide a traversal that a function let through.
    const url = new URL(endpoint);
    let detail = 'no connection attempt';
    for (let attempt = 1; attempt <= Math.max(1, timeouts.connectAttempts); attempt++) {
      const fetched = await attemptFetch(url, path, request.method, headers, body);
      if (fetched.kind !== 'failed' || fetched.failure !== 'connect') return fetched;
      detail = `${fetched.detail}, after ${attempt} attempt(s)`;
    }
    return { kind: 'failed', failure: 'connect', detail };
  }

  function attemptFetch(url: URL, path: string, method: string, headers: Record<string, string>, body: Buffer | undefined): Promise<Fetched> {
    return new Promise<Fetched>((resolve) => {
      let settled = false;
      let connectTimer: NodeJS.Timeout | undefined;
      const done = (fetched: Fetched) => {
        if (settled) return;
        settled = true;
        clearTimeout(connectTimer);
        resolve(fetched);
      };
      // A fresh connection per request (no keep-alive pool), so every attempt really connects.
      const outgoing = httpRequest(url, { method, headers, agent: false, path }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', () => done({ kind: 'response', status: 502, statusDescription: 'Bad Gateway', headers: {}, body: Buffer.alloc(0) }));
        res.on('end', () =>
          done({ kind: 'response', status: res.statusCode ?? 502, statusDescription: res.statusMessage ?? '', headers: originHeaders(res.headers), body: Buffer.concat(chunks) }),
        );
      });
      let connected = false;
      outgoing.on('socket', (socket) => {
        const onConnect = () => {
          connected = true;
          clearTimeout(connectTimer);
          // CloudFront's origin response timeout: for the first byte and between bytes.
          outgoing.setTimeout(timeouts.readMs, () => {
            outgoing.destroy();
            done({ kind: 'failed', failure: 'timeout', detail: `no answer within ${timeouts.readMs} ms` });
          });
        };
        if (!socket.connecting) return onConnect();
        socket.once('connect', onConnect);
        connectTimer = setTimeout(() => {
          outgoing.destroy();
          done({ kind: 'failed', failure: 'connect', detail: `no connection within ${timeouts.connectMs} ms` });
        }, timeouts.connectMs);
      });
      outgoing.on('error', (error: NodeJS.ErrnoException) => {
        // Refused or unreachable before connecting: a connection failure. Reset after: a bad gateway.
        if (!connected) done({ kind: 'failed', failure: 'connect', detail: `connection failed (${error.code ?? error.message})` });
        else done({ kind: 'response', status: 502, statusDescription: 'Bad Gateway', headers: {}, body: Buffer.alloc(0) });
      });
      outgoing.end(body);
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = newRequestId();
    const functions: FunctionTrace[] = [];
    const rawUrl = req.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    const uri = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
    const method = req.method ?? 'GET';
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
      // Origin-form only (`/path`): `*` and absolute URLs never reach a function.
      if (!uri.startsWith('/')) return cloudFrontError(400, 'Bad request.', 'The request could not be understood.', requestId);
      // CloudFront's "Maximum length of a URL: 8,192 bytes" (Quotas, general quotas).
      if (Buffer.byteLength(rawUrl) > MAX_URL_BYTES) return cloudFrontError(414, 'Request-URI Too Large.', `The URL is longer than ${MAX_URL_BYTES} bytes.`, requestId);
      if (!(behavior.allowedMethods as readonly string[]).includes(method)) {
        return cloudFrontError(403, 'Bad request.', 'This distribution is not configured to allow the HTTP request method that was used for this request.', requestId);
      }
      // Dev-only switches are read and removed here, before any function could see them.
      let dev: ReturnType<typeof takeDevSwitches>;
      try {
        dev = takeDevSwitches(req.rawHeaders, queryAt === -1 ? '' : rawUrl.slice(queryAt + 1));
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
      const ctx: OriginContext = { trace: functions, requestId, simulation, body };
      if (simulation.s3Conflicts !== undefined) options.armS3Conflicts?.(simulation.s3Conflicts);
      let request: CloudFrontRequest = {
        clientIp: simulation.viewerIp ?? CLIENT_IP,
        method,
        uri,
        querystring: dev.querystring,
        headers: viewerHeaders(req),
      };
      const viewerRequestFn = behavior.functions['viewer-request'];
      if (viewerRequestFn) {
        const result = await run(functions, 'viewer-request', viewerRequestFn, viewerRequestEvent({ ...eventOptions(request), requestId }));
        // A response generated in viewer-request goes straight back and is never cached.
        if (result.kind === 'response') {
          return { status: Number(result.response.status), headers: result.response.headers ?? {}, body: result.body ?? Buffer.alloc(0), cache: 'LambdaGeneratedResponse' };
        }
        request = result.request;
      }
      // A response made under a dev switch is never served to a request without it (nor the reverse).
      const switches = devCacheKey(simulation);
      const cacheKey = `${behavior.pathPattern} ${request.uri}${behavior.cachePolicy.queryStringInKey && request.querystring ? `?${request.querystring}` : ''}${switches}`;
      const hit = cache.get(cacheKey);
      let answer: Answer;
      if (hit && (method === 'GET' || method === 'HEAD')) {
        answer = { ...hit.object, cache: 'Hit', ageSeconds: hit.ageSeconds };
      } else if (method === 'GET') {
        // Request collapsing: concurrent misses for one key wait for the first one's origin fetch.
        const pending = inFlight.get(cacheKey);
        if (pending) {
          const shared = await pending;
          answer = { ...shared, cache: cache.get(cacheKey) ? 'Hit' : 'Miss' };
        } else {
          const fetching = fromOrigin(behavior, request, ctx).then((fetched) => {
            const ttl = ttlSeconds(fetched.status, fetched.headers, behavior.cachePolicy);
            cache.set(cacheKey, { status: fetched.status, headers: fetched.headers, body: fetched.body, ttlMs: ttl * 1000 });
            return fetched;
          });
          inFlight.set(cacheKey, fetching);
          try {
            answer = await fetching;
          } finally {
            inFlight.delete(cacheKey);
          }
        }
      } else {
        answer = await fromOrigin(behavior, request, ctx);
      }
      return viewerResponse(answer, request);
    }

    async function viewerResponse(answer: Answer, request: CloudFrontRequest): Promise<Answer> {
      const fn = behavior.functions['viewer-response'];
      // Skipped when the origin answered 400 or above, as CloudFront does.
      if (!fn || answer.status >= 400) return answer;
      const event = viewerResponseEvent({
        ...eventOptions(request),
        requestId,
        response: { status: String(answer.status), statusDescription: '', headers: structuredClone(answer.headers) },
      });
      const result = await run(functions, 'viewer-response', fn, event);
      if (result.kind !== 'response') return answer;
      return { ...answer, headers: result.response.headers ?? {}, body: result.generated ? (result.body ?? Buffer.alloc(0)) : answer.body };
    }
  }

  let allowedHosts = new Set<string>();
  const server = createServer((req, res) => {
    // A dev server answers only its own names: a foreign Host is how DNS rebinding reaches it.
    const host = req.headers.host?.toLowerCase();
    // `*` and absolute-form targets are refused first, as CloudFront does (400), whatever the Host.
    if ((req.url ?? '/').startsWith('/') && (host === undefined || !allowedHosts.has(host))) {
      res.writeHead(421, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', connection: 'close' });
      res.end(`421 local edge: Expected a Host of ${[...allowedHosts].join(', ')} but received ${JSON.stringify(req.headers.host ?? '')}\n`);
      return;
    }
    Promise.resolve(options.localRoutes?.(req, res) ?? false)
      .then((handled) => (handled ? undefined : handle(req, res)))
      .catch((error: unknown) => {
        // The pipeline turns every known failure into an answer; this is the last resort.
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('500 Internal error in the local edge\n');
        console.error('local edge:', error);
      });
  });
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
  const any = simulation.viewerCountry !== undefined || simulation.failPrimary !== undefined || simulation.viewerIp !== undefined || simulation.s3Conflicts !== undefined;
  return any ? ' [dev switch]' : '';
}

/** A copy for the inspector: bodies longer than a glance are cut, so traces stay small. */
function shortened(value: unknown): unknown {
  if (value === undefined) return undefined;
  return JSON.parse(
    JSON.stringify(value, (key, v: unknown) =>
      key === 'body' && typeof v === 'string' && v.length > 160 ? `${v.slice(0, 160)}... (${v.length} characters)` : v,
    ),
  );
}

/** Compiled path patterns, once per behavior (matching runs on every request, hits included). */
const patterns = new WeakMap<BehaviorSpec, RegExp>();

/** CloudFront's matching: behaviors in order, `*` any run, `?` one character, case-sensitive. */
export function matchBehavior(spec: DistributionSpec, uri: string): BehaviorSpec {
  for (const behavior of spec.behaviors) {
    let pattern = patterns.get(behavior);
    if (!pattern) patterns.set(behavior, (pattern = globToRegExp(behavior.pathPattern)));
    if (pattern.test(uri)) return behavior;
  }
  const fallback = spec.behaviors.at(-1);
  if (!fallback) throw new Error(`${spec.name} has no cache behavior`);
  return fallback;
}

function globToRegExp(pattern: string): RegExp {
  const normalized = pattern.startsWith('/') || pattern === '*' ? pattern : `/${pattern}`;
  const body = normalized.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${body}$`);
}

function toEventOrigin(origin: OriginSpec): EventOrigin {
  if (origin.kind === 's3') {
    return { s3: { domainName: s3DomainName(origin), region: origin.region, path: '', authMethod: 'origin-access-identity', customHeaders: {} } };
  }
  return {
    custom: {
      domainName: origin.domainName,
      port: origin.port,
      protocol: origin.protocol,
      path: origin.path ?? '',
      sslProtocols: ['TLSv1.2'],
      readTimeout: 30,
      keepaliveTimeout: 5,
      customHeaders: {},
    },
  };
}

function eventOptions(request: CloudFrontRequest) {
  return { clientIp: request.clientIp, method: request.method, uri: request.uri, querystring: request.querystring, headers: request.headers };
}

/** The viewer's headers as a function sees them: disallowed and hop-by-hop ones never arrive. */
function viewerHeaders(req: IncomingMessage): CloudFrontHeaders {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const lower = name.toLowerCase();
    // Dev switches are local-only; CloudFront-Viewer-* are CloudFront's to set (a viewer cannot forge them).
    const dropped = isDisallowedHeader(name) || HOP_BY_HOP.has(lower) || isDevSwitch(lower) || lower.startsWith('cloudfront-viewer-');
    if (!dropped) pairs.push([name, req.rawHeaders[i + 1]!]);
  }
  return toCfHeaders(pairs);
}

/**
 * The location headers CloudFront adds to origin events when the behavior's origin request policy
 * forwards them; here from the simulated viewer country (there is no real viewer location locally).
 */
function withGeoHeaders(request: CloudFrontRequest, behavior: BehaviorSpec, simulation: Simulation): void {
  if (!simulation.viewerCountry) return;
  const forwarded = new Set((behavior.originRequestPolicy?.headers ?? []).map((h) => h.toLowerCase()));
  const { country, region } = geoHeaderValues(simulation.viewerCountry);
  if (forwarded.has('cloudfront-viewer-country')) {
    request.headers['cloudfront-viewer-country'] = [{ key: 'CloudFront-Viewer-Country', value: country }];
  }
  if (region && forwarded.has('cloudfront-viewer-country-region')) {
    request.headers['cloudfront-viewer-country-region'] = [{ key: 'CloudFront-Viewer-Country-Region', value: region }];
  }
}

/**
 * The most request body the local edge holds for the origin. AWS documents no maximum request body
 * for CloudFront itself (it passes bodies on to the origin; only Lambda@Edge's include-body option and
 * AWS WAF truncate what they see): our choice is to hold at most 1 MiB and answer 413 beyond it,
 * reading no further, so a large or endless body costs nothing. Our behaviors allow only GET, HEAD and
 * OPTIONS, none of which needs a body.
 */
export const MAX_REQUEST_BODY_BYTES = 1024 * 1024;

class BodyTooLarge extends Error {}

/** The body of a request that may have one (not GET or HEAD), for the origin; at most MAX_REQUEST_BODY_BYTES. */
async function requestBody(req: IncomingMessage, method: string): Promise<Buffer | undefined> {
  if (method === 'GET' || method === 'HEAD') return undefined;
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_REQUEST_BODY_BYTES) throw new BodyTooLarge(`${declared} bytes declared`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).byteLength;
    if (size > MAX_REQUEST_BODY_BYTES) throw new BodyTooLarge(`more than ${MAX_REQUEST_BODY_BYTES} bytes sent`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** An answer from the local edge itself (a bad dev switch), not something CloudFront would send. */
function localError(status: number, message: string): Answer {
  return {
    status,
    headers: toCfHeaders({ 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }),
    body: Buffer.from(`${status} local edge: ${message}\n`),
    cache: 'Error',
  };
}

/**
 * The origin's headers as origin-response sees them. Transfer-Encoding stays (CloudFront shows it,
 * read-only, and a function that drops it gets a 502); it is removed only when writing to the viewer.
 */
function originHeaders(headers: IncomingHttpHeaders): CloudFrontHeaders {
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    const passes = name === 'transfer-encoding' || (!HOP_BY_HOP.has(name) && !isDisallowedHeader(name));
    if (value !== undefined && passes) kept[name] = value;
  }
  return toCfHeaders(kept);
}

function cloudFrontError(status: number, title: string, detail: string, requestId: string): Answer {
  const page = cloudFrontErrorPage(status, title, detail, requestId);
  return { status, headers: toCfHeaders(page.headers), body: Buffer.from(page.body), cache: 'Error' };
}

function failureAnswer(error: unknown, requestId: string): Answer {
  if (error instanceof FunctionFailure) {
    const { status, title } = errorTypeFor(error.kind);
    console.error(`local edge: ${error.kind}: ${error.detail}`);
    const answer = cloudFrontError(status, title, `${error.kind}: the Lambda function associated with the CloudFront distribution failed.`, requestId);
    return { ...answer, cache: error.kind };
  }
  console.error('local edge: internal failure', error);
  return cloudFrontError(500, 'Internal error.', 'The local edge failed while handling this request.', requestId);
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
