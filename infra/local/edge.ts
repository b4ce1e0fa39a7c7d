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
 */
import { createServer, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
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
import { EdgeCache, ttlSeconds } from './cache.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EdgeFunction = (event: any) => unknown;

export interface EdgeOptions {
  readonly spec: DistributionSpec;
  readonly functions: Partial<Record<FunctionName, EdgeFunction>>;
  /** Where each origin id answers on this machine: an S3 endpoint (path-style) or an HTTP base URL. */
  readonly endpoints: Readonly<Record<string, string>>;
  /** `strict`: the older quota column (viewer 5 s), the default; `current`: 30 s for every event. */
  readonly quotas?: 'strict' | 'current';
  readonly port?: number;
  readonly host?: string;
  readonly onTrace?: (trace: RequestTrace) => void;
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
  readonly status: number;
  readonly contentType?: string;
  readonly bytes: number;
  readonly ms: number;
  readonly functions: FunctionTrace[];
}

export interface Edge {
  readonly url: string;
  readonly server: Server;
  readonly cache: EdgeCache;
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
}

class FunctionFailure extends Error {
  constructor(
    readonly kind: 'LambdaExecutionError' | 'LambdaValidationError' | 'LambdaLimitExceeded',
    readonly detail: string,
  ) {
    super(detail);
  }
}

const ORIGIN_READ_TIMEOUT_MS = 30_000;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);
const CLIENT_IP = '127.0.0.1';

export async function startEdge(options: EdgeOptions): Promise<Edge> {
  const cache = new EdgeCache();
  const inFlight = new Map<string, Promise<Answer>>();
  const limits = DEFAULT_LIMITS;

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
    const started = performance.now();
    let result: unknown;
    const record = (outcome: FunctionTrace['outcome'], detail?: string) =>
      trace.push({
        eventType,
        fn,
        ms: Math.round(performance.now() - started),
        outcome,
        ...(detail ? { detail } : {}),
        ...(options.onTrace ? { event: shortened(sent), result: shortened(result) } : {}),
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

  async function fromOrigin(behavior: BehaviorSpec, request: CloudFrontRequest, trace: FunctionTrace[]): Promise<Answer> {
    const group = options.spec.originGroups.find((g) => g.id === behavior.target);
    const chain = group ? [group.primary, group.secondary] : [behavior.target];
    let answer: Answer | undefined;
    for (const [index, originId] of chain.entries()) {
      const origin = findOrigin(options.spec, originId);
      answer = await throughOrigin(behavior, origin, structuredClone(request), trace);
      const last = index === chain.length - 1;
      const failsOver =
        group !== undefined &&
        ['GET', 'HEAD', 'OPTIONS'].includes(request.method) &&
        (group.failoverStatusCodes as readonly number[]).includes(answer.status);
      if (last || !failsOver) break;
    }
    return answer!;
  }

  async function throughOrigin(behavior: BehaviorSpec, origin: OriginSpec, request: CloudFrontRequest, trace: FunctionTrace[]): Promise<Answer> {
    const eventOrigin = toEventOrigin(origin);
    if (origin.kind === 's3') request.headers['host'] = [{ key: 'Host', value: s3DomainName(origin) }];
    let originRequest = request;
    const originRequestFn = behavior.functions['origin-request'];
    if (originRequestFn) {
      const event = originRequestEvent({ ...eventOptions(request), origin: eventOrigin });
      const result = await run(trace, 'origin-request', originRequestFn, event);
      if (result.kind === 'response') {
        return { status: Number(result.response.status), headers: result.response.headers ?? {}, body: result.body ?? Buffer.alloc(0), cache: 'Miss', origin: origin.id };
      }
      originRequest = result.request;
    }
    const target = originRequest.origin ? originOf(originRequest.origin, origin) : origin;
    const fetched = await fetchOrigin(target, originRequest);
    const originResponseFn = behavior.functions['origin-response'];
    if (!originResponseFn || fetched.connectionFailed) return { ...fetched, cache: 'Miss', origin: target.id };
    const event = originResponseEvent({
      ...eventOptions(originRequest),
      origin: originRequest.origin ?? eventOrigin,
      response: { status: String(fetched.status), statusDescription: fetched.statusDescription, headers: fetched.headers },
    });
    const result = await run(trace, 'origin-response', originResponseFn, event);
    if (result.kind !== 'response') throw new FunctionFailure('LambdaValidationError', 'origin-response returned a request');
    return {
      status: Number(result.response.status),
      headers: result.response.headers ?? {},
      body: result.generated ? (result.body ?? Buffer.alloc(0)) : fetched.body,
      cache: 'Miss',
      origin: target.id,
    };
  }

  /** The origin a function switched to, found among the distribution's origins by its domain. */
  function originOf(eventOrigin: NonNullable<CloudFrontRequest['origin']>, fallback: OriginSpec): OriginSpec {
    const domain = eventOrigin.s3?.domainName ?? eventOrigin.custom?.domainName;
    return (
      options.spec.origins.find((o) => (o.kind === 's3' ? s3DomainName(o) : o.domainName) === domain) ?? fallback
    );
  }

  function fetchOrigin(origin: OriginSpec, request: CloudFrontRequest) {
    const endpoint = options.endpoints[origin.id];
    const path =
      origin.kind === 's3'
        ? `/${origin.bucket}${request.uri}`
        : `${origin.path ?? ''}${request.uri}${request.querystring ? `?${request.querystring}` : ''}`;
    return new Promise<{ status: number; statusDescription: string; headers: CloudFrontHeaders; body: Buffer; connectionFailed?: boolean }>(
      (resolve) => {
        const failed = (status: number, description: string) =>
          resolve({ status, statusDescription: description, headers: {}, body: Buffer.alloc(0), connectionFailed: true });
        if (!endpoint) return failed(502, `no local endpoint for origin ${origin.id}`);
        const headers: Record<string, string> = {};
        if (origin.kind === 'custom') for (const [name, value] of fromCfHeaders(request.headers)) headers[name] = value;
        const outgoing = httpRequest(new URL(path, endpoint), { method: request.method, headers, timeout: ORIGIN_READ_TIMEOUT_MS }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', () => failed(502, 'origin connection reset'));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 502,
              statusDescription: res.statusMessage ?? '',
              headers: originHeaders(res.headers),
              body: Buffer.concat(chunks),
            }),
          );
        });
        outgoing.on('timeout', () => {
          outgoing.destroy();
          failed(504, 'origin read timeout');
        });
        outgoing.on('error', () => failed(502, 'origin connection failed'));
        outgoing.end();
      },
    );
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
      status: answer.status,
      ...(answer.headers['content-type'] ? { contentType: answer.headers['content-type'][0]!.value } : {}),
      bytes: answer.body.byteLength,
      ms: Math.round(performance.now() - started),
      functions,
    });

    async function pipeline(): Promise<Answer> {
      if (!(behavior.allowedMethods as readonly string[]).includes(method)) {
        return cloudFrontError(403, 'Bad request.', 'This distribution is not configured to allow the HTTP request method that was used for this request.', requestId);
      }
      let request: CloudFrontRequest = {
        clientIp: CLIENT_IP,
        method,
        uri,
        querystring: queryAt === -1 ? '' : rawUrl.slice(queryAt + 1),
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
      const cacheKey = `${behavior.pathPattern} ${request.uri}${behavior.cachePolicy.queryStringInKey && request.querystring ? `?${request.querystring}` : ''}`;
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
          const fetching = fromOrigin(behavior, request, functions).then((fetched) => {
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
        answer = await fromOrigin(behavior, request, functions);
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

  const server = createServer((req, res) => {
    Promise.resolve(options.localRoutes?.(req, res) ?? false)
      .then((handled) => (handled ? undefined : handle(req, res)))
      .catch((error: unknown) => {
        // The pipeline turns every known failure into an answer; this is the last resort.
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('500 Internal error in the local edge\n');
        console.error('local edge:', error);
      });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    server,
    cache,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
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

/** CloudFront's matching: behaviors in order, `*` any run, `?` one character, case-sensitive. */
export function matchBehavior(spec: DistributionSpec, uri: string): BehaviorSpec {
  for (const behavior of spec.behaviors) {
    if (globToRegExp(behavior.pathPattern).test(uri)) return behavior;
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
    if (!isDisallowedHeader(name) && !HOP_BY_HOP.has(name.toLowerCase())) pairs.push([name, req.rawHeaders[i + 1]!]);
  }
  return toCfHeaders(pairs);
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
  res.writeHead(answer.status, headers.flat());
  res.end(method === 'HEAD' ? undefined : answer.body);
}
