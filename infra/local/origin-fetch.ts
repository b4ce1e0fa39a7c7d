/**
 * One origin fetch from the local edge, as CloudFront makes it: a fresh connection per attempt, up to
 * `connectAttempts` connection attempts, then the read timeout for the first byte and between bytes.
 * The dev-only failing primary (dev.ts) is applied here. The origin group's failover is failover.ts.
 */
import { STATUS_CODES, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { CloudFrontHeaders, CloudFrontRequest } from 'aws-lambda';
import { fromCfHeaders, toCfHeaders } from '../../functions/adapters/cloudfront/headers.ts';
import { isDisallowedHeader } from './cloudfront-validate.ts';
import type { OriginSpec } from '../distribution.ts';
import { HOP_BY_HOP } from './answer.ts';
import type { S3Fetch } from './aws-s3.ts';
import { DEV_FAIL_PRIMARY } from './dev.ts';
import type { FailMode } from './dev.ts';

export interface OriginTimeouts {
  /** Per connection attempt. CloudFront: 10 s (1-10). */
  readonly connectMs: number;
  /** CloudFront: 3 (1-3). */
  readonly connectAttempts: number;
  /** For the first byte and between bytes. CloudFront: 30 s (1-120 for custom origins). */
  readonly readMs: number;
}

export const LOCAL_ORIGIN_TIMEOUTS: OriginTimeouts = { connectMs: 1_000, connectAttempts: 3, readMs: 5_000 };

type Fetched =
  | { kind: 'response'; status: number; statusDescription: string; headers: CloudFrontHeaders; body: Buffer }
  | { kind: 'failed'; failure: 'connect' | 'timeout'; detail: string };

export interface OriginFetchOptions {
  /** Where each origin id answers on this machine: an S3 endpoint (path-style) or an HTTP base URL. */
  readonly endpoints: Readonly<Record<string, string>>;
  /** Reads S3 origins another way than plain HTTP (real, private buckets need signed requests). */
  readonly s3Fetch?: S3Fetch | undefined;
  readonly timeouts: OriginTimeouts;
}

export type FetchOrigin = ReturnType<typeof createOriginFetch>;

export function createOriginFetch(options: OriginFetchOptions) {
  const { timeouts } = options;

  /** One origin fetch: up to `connectAttempts` connection attempts, then the read timeout. */
  async function fetchOrigin(
    origin: OriginSpec,
    request: CloudFrontRequest,
    body: Buffer | undefined,
    fail: FailMode | undefined,
    requestId: string,
  ): Promise<Fetched> {
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
        return { kind: 'response', ...(await options.s3Fetch(origin, `${request.origin?.s3?.path ?? ''}${request.uri}`, request.method)) };
      } catch (error) {
        return { kind: 'failed', failure: 'connect', detail: `S3 request to ${origin.bucket} failed: ${(error as Error).message}` };
      }
    }
    const endpoint = options.endpoints[origin.id];
    if (!endpoint) return { kind: 'failed', failure: 'connect', detail: `no local endpoint for origin ${origin.id}` };
    // The origin path and custom headers the request carries (the origin's own, or what origin-request set).
    const eventOrigin = request.origin?.custom ?? request.origin?.s3;
    const originPath = eventOrigin ? eventOrigin.path : origin.kind === 'custom' ? (origin.path ?? '') : '';
    const path =
      origin.kind === 's3'
        ? `/${origin.bucket}${originPath}${request.uri}`
        : `${originPath}${request.uri}${request.querystring ? `?${request.querystring}` : ''}`;
    const headers: [string, string][] = [];
    if (origin.kind === 'custom') {
      headers.push(...fromCfHeaders(request.headers), ...fromCfHeaders(eventOrigin?.customHeaders));
      // Never shown to a function (X-Amz-Cf-* is disallowed), always sent to the origin.
      headers.push(['X-Amz-Cf-Id', requestId]);
    }
    if (body !== undefined) headers.push(['Content-Length', String(body.byteLength)]);
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

  function attemptFetch(url: URL, path: string, method: string, headers: readonly [string, string][], body: Buffer | undefined): Promise<Fetched> {
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
      // Raw header pairs keep repeated names; with them Node adds no Host of its own.
      const raw = headers.some(([n]) => n.toLowerCase() === 'host') ? headers : [['Host', url.host] as const, ...headers];
      const outgoing = httpRequest(url, { method, headers: raw.flat(), agent: false, path }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', () => done({ kind: 'response', status: 502, statusDescription: 'Bad Gateway', headers: {}, body: Buffer.alloc(0) }));
        res.on('end', () =>
          done({
            kind: 'response',
            status: res.statusCode ?? 502,
            statusDescription: res.statusMessage ?? '',
            headers: originHeaders(res.headers),
            body: Buffer.concat(chunks),
          }),
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

  return fetchOrigin;
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
