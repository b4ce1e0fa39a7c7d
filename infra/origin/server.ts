/**
 * The HTTP image origin: the origin group's secondary (EC2 or any host). When S3 fails, CloudFront
 * retries here with the same canonical URI, and viewers still get thumbnails.
 *
 *   GET /healthz                                  200 ok (503 while draining)
 *   GET /_derived/<key>/<variant>                 the stored derived image, else made by image-resize's
 *                                                 miss pipeline (functions/image-resize/miss.ts) and
 *                                                 stored; 400 if the URI is not canonical, 404 if
 *                                                 the original is missing
 *   GET /<key>                                    the original
 *
 * Originals are never written. GET and HEAD only. `close()` is the graceful shutdown: stop accepting,
 * let in-flight requests finish (connections closed after their response), then resolve.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { renderHttpError } from '../../functions/adapters/http/error.ts';
import { EdgeError, toEdgeError } from '../../functions/core/errors.ts';
import { derivedKey, parseDerivedUri } from '../../functions/core/grammar.ts';
import type { Variant } from '../../functions/core/grammar.ts';
import { DERIVED_PREFIX, assertOriginalKey, decodeKey } from '../../functions/core/keys.ts';
import { elapsed, jsonLog } from '../../functions/core/log.ts';
import type { Log } from '../../functions/core/log.ts';
import type { ImagePolicy } from '../../functions/core/policy.ts';
import type { OriginObject, OriginStore } from './store.ts';
import { listen } from '../serve/listen.ts';
import type { LimitSettings } from '../../functions/core/limit.ts';
import { tunables } from '../distribution.ts';
import { createMissPipeline } from '../../functions/image-resize/miss.ts';
import type { Render, RenderMakingMezzanine } from '../../functions/image-resize/miss.ts';
import type { MissStore } from '../../functions/image-resize/source.ts';

export interface ImageOriginOptions {
  readonly store: OriginStore;
  readonly policy: ImagePolicy;
  /** The render step of the miss pipeline (the render pool in production; see functions/image-resize/miss.ts). */
  readonly render: Render;
  /** render(), plus the mezzanine on the miss that makes it. Absent: this origin reads mezzanines but makes none. */
  readonly renderMakingMezzanine?: RenderMakingMezzanine;
  /** Resizes at once, and how many may wait (default: tunables.renders, as image-resize). */
  readonly renders?: LimitSettings;
  readonly log?: Log;
  /** Store what it resizes under `_derived/` (conditional write). Default true. */
  readonly storeDerived?: boolean;
  /** Cache-Control of derived images; the same as image-resize answers. */
  readonly cacheControl?: string;
  readonly port?: number;
  /** Default 127.0.0.1; use 0.0.0.0 on a host that CloudFront reaches. */
  readonly host?: string;
  /** How long `close()` lets in-flight requests run before cutting their connections. Default 25 s. */
  readonly drainTimeoutMs?: number;
}

export interface ImageOrigin {
  readonly url: string;
  readonly server: Server;
  /** Requests being answered now. */
  inFlight(): number;
  /** Graceful shutdown; safe to call twice. */
  close(): Promise<void>;
}

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body?: Buffer;
  readonly outcome: string;
  readonly detail?: string;
}

export async function startImageOrigin(options: ImageOriginOptions): Promise<ImageOrigin> {
  const log = options.log ?? jsonLog;
  const cacheControl = options.cacheControl ?? tunables.derivedCacheControl;
  const storeDerived = options.storeDerived ?? true;
  // The miss pipeline of image-resize (functions/image-resize/miss.ts): the same source record
  // (mezzanine or remembered refusal), the same render options, the same stored bytes.
  const pipeline = createMissPipeline(
    {
      policy: options.policy,
      cacheControl,
      // The same bound as image-resize: this process serves many requests, and each resize holds a decode.
      renders: options.renders ?? tunables.renders,
      ...(options.policy.mezzanine === undefined ? {} : { mezzanine: options.policy.mezzanine }),
    },
    {
      render: options.render,
      ...(options.renderMakingMezzanine === undefined ? {} : { renderMakingMezzanine: options.renderMakingMezzanine }),
      log,
      fn: 'image-origin',
    },
  );
  const missStore: MissStore = {
    name: options.store.description,
    open: (key, maxBytes) => options.store.open(key, maxBytes),
    get: async (key, maxBytes) => (await options.store.open(key, maxBytes))?.read(),
    putIfAbsent: (key, body, putOptions) =>
      storeDerived ? options.store.putIfAbsent(key, body, putOptions) : Promise.reject(new Error('read-only: derived images are not stored')),
  };
  let active = 0;
  let draining = false;
  let closing: Promise<void> | undefined;

  /** One resize per derived key at a time: concurrent misses share it. */
  async function make(key: string, variant: Variant): Promise<{ object: OriginObject; stored: string }> {
    const target = derivedKey(key, variant);
    const made = await pipeline.make(missStore, target, key, variant);
    const object: OriginObject = { body: made.image.data, contentType: made.image.contentType, etag: made.etag };
    const stored = !storeDerived ? 'not-stored' : made.stored === 'failed' ? `store failed: ${made.storeError ?? 'unknown'}` : made.stored;
    return { object, stored };
  }

  async function answer(req: IncomingMessage): Promise<Reply> {
    const rawUrl = req.url ?? '/';
    const uri = rawUrl.split('?', 1)[0] ?? '/';
    if (uri === '/healthz') {
      return draining
        ? { status: 503, headers: { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' }, body: Buffer.from('draining\n'), outcome: 'health-draining' }
        : { status: 200, headers: { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' }, body: Buffer.from('ok\n'), outcome: 'health' };
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const refused = errorReply(new EdgeError('MethodNotAllowed', `Expected GET or HEAD but received ${req.method ?? ''}`));
      return { ...refused, headers: { ...refused.headers, Allow: 'GET, HEAD' } };
    }
    if (uri.startsWith(`/${DERIVED_PREFIX}`)) {
      const { key, variant } = parseDerivedUri(uri, options.policy);
      const target = derivedKey(key, variant);
      const existing = await options.store.get(target, Number.MAX_SAFE_INTEGER);
      if (existing) return objectReply(req, existing, { 'Cache-Control': cacheControl, Vary: 'Accept' }, 'stored');
      const made = await make(key, variant);
      return objectReply(req, made.object, { 'Cache-Control': cacheControl, Vary: 'Accept' }, 'resized', made.stored);
    }
    const key = decodeKey(uri.slice(1));
    assertOriginalKey(key);
    const original = await options.store.get(key, Number.MAX_SAFE_INTEGER);
    if (!original) throw new EdgeError('NotFound', 'The image does not exist', { detail: key });
    return objectReply(req, original, {}, 'original');
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    active++;
    let reply: Reply;
    try {
      reply = await answer(req);
    } catch (thrown) {
      reply = errorReply(toEdgeError(thrown));
    }
    const headers: Record<string, string> = { ...reply.headers, 'Content-Length': String(reply.body?.byteLength ?? 0) };
    // While draining, every answer closes its connection, so the server can finish closing.
    if (draining) headers['Connection'] = 'close';
    res.writeHead(reply.status, headers);
    res.end(req.method === 'HEAD' ? undefined : reply.body);
    res.once('close', () => {
      active--;
      log({
        fn: 'image-origin',
        requestId: firstHeader(req, 'x-amz-cf-id') ?? randomBytes(8).toString('hex'),
        uri: req.url ?? '/',
        outcome: reply.outcome,
        status: reply.status,
        ...(reply.detail ? { detail: reply.detail } : {}),
        ms: elapsed(started),
      });
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('500 Internal Server Error\n');
      console.error('image origin:', error);
    });
  });
  const address = await listen(server, options.port ?? 0, options.host ?? '127.0.0.1');
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`,
    server,
    inFlight: () => active,
    close() {
      closing ??= new Promise<void>((resolve) => {
        draining = true;
        // Stops accepting at once; the callback runs when the last connection has closed.
        server.close(() => {
          clearTimeout(deadline);
          resolve();
        });
        server.closeIdleConnections();
        const deadline = setTimeout(() => server.closeAllConnections(), options.drainTimeoutMs ?? 25_000);
        deadline.unref();
      });
      return closing;
    },
  };
}

function objectReply(req: IncomingMessage, object: OriginObject, extra: Record<string, string>, outcome: string, detail?: string): Reply {
  const headers: Record<string, string> = {
    'Content-Type': object.contentType,
    ETag: object.etag,
    ...(object.lastModified ? { 'Last-Modified': object.lastModified.toUTCString() } : {}),
    ...extra,
  };
  const ifNoneMatch = firstHeader(req, 'if-none-match');
  if (ifNoneMatch?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === object.etag)) {
    return { status: 304, headers, outcome: `${outcome}-not-modified` };
  }
  return { status: 200, headers, body: object.body, outcome, ...(detail ? { detail } : {}) };
}

/** A viewer-safe error, rendered as the CloudFront functions render theirs (adapters/http/error.ts). */
function errorReply(error: EdgeError): Reply {
  const { status, headers, body } = renderHttpError(error);
  return { status, headers, body: Buffer.from(body), outcome: error.code, ...(error.detail ? { detail: error.detail } : {}) };
}

function firstHeader(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
