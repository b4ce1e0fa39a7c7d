/**
 * A fault-injecting S3 endpoint for tests: a small node:http proxy on 127.0.0.1 that forwards every
 * request, byte for byte, to a real S3 endpoint (s3rver), and breaks the ones a rule matches.
 *
 *   const faulty = await startFaultyS3(s3.endpoint);
 *   faulty.inject({ method: 'GET', key: 'photos/cat.jpg', signed: true, fault: s3Error(503, 'SlowDown'), times: 2 });
 *
 * Rules match on method, decoded key (string or RegExp) and whether the request is signed (the
 * functions' SDK client signs; the edge's anonymous origin fetch does not). The first matching rule
 * with uses left applies. Faults:
 *   status  answer S3's XML error with this status and code (500 InternalError, 503 SlowDown, 412 ...)
 *   delay   wait, then forward
 *   hang    never answer (until the client gives up or the proxy closes)
 *   reset   destroy the connection without a response
 *   cut     forward, then cut the connection after `afterBytes` of the body: of the request body
 *           for PUT/POST (the upstream sees an incomplete upload), of the response body otherwise
 *
 * Every request is recorded (method, bucket, key, signed, the fault applied, the status answered), so
 * tests can assert what reached S3, e.g. that nothing ever wrote an original.
 * Not SDK mocks: the client, its retries and timeouts, and S3's answers are all real.
 */
import { request as httpRequest, createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  | { readonly kind: 'status'; readonly status: number; readonly code: string; readonly message?: string }
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'hang' }
  | { readonly kind: 'reset' }
  | { readonly kind: 'cut'; readonly afterBytes: number };

export interface FaultRule {
  readonly method?: string;
  readonly key?: string | RegExp;
  /** true: only SDK (signed) requests; false: only anonymous ones (the edge's origin fetch). */
  readonly signed?: boolean;
  readonly fault: Fault;
  /** How many matching requests get the fault; default: all. */
  readonly times?: number;
}

interface SeenRequest {
  readonly method: string;
  readonly bucket: string;
  /** Decoded; '' for a bucket-level request. */
  readonly key: string;
  readonly query: string;
  readonly signed: boolean;
  readonly fault?: Fault['kind'];
  status?: number;
}

export interface FaultyS3 {
  readonly endpoint: string;
  readonly seen: SeenRequest[];
  inject(rule: FaultRule): void;
  /** Removes every rule (recorded requests stay). */
  clear(): void;
  /** Requests that can change an object: PUT, POST, DELETE (a POST ?delete deletes many). */
  writes(): SeenRequest[];
  close(): Promise<void>;
}

const s3Error = (status: number, code: string, message = code): Fault => ({ kind: 'status', status, code, message });
export const FAULTS = {
  internalError: s3Error(500, 'InternalError', 'We encountered an internal error. Please try again.'),
  slowDown: s3Error(503, 'SlowDown', 'Please reduce your request rate.'),
  serviceUnavailable: s3Error(503, 'ServiceUnavailable', 'Service is unable to handle request.'),
  preconditionFailed: s3Error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold'),
  conditionalConflict: s3Error(409, 'ConditionalRequestConflict', 'A conflicting conditional operation is currently in progress against this resource.'),
  hang: { kind: 'hang' } as Fault,
  reset: { kind: 'reset' } as Fault,
} as const;

interface ActiveRule {
  readonly rule: FaultRule;
  left: number;
}

export async function startFaultyS3(upstream: string): Promise<FaultyS3> {
  const target = new URL(upstream);
  const rules: ActiveRule[] = [];
  const seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();

  function match(method: string, key: string, signed: boolean): FaultRule | undefined {
    for (const active of rules) {
      const { rule } = active;
      if (active.left <= 0) continue;
      if (rule.method !== undefined && rule.method !== method) continue;
      if (rule.signed !== undefined && rule.signed !== signed) continue;
      if (rule.key !== undefined && !(typeof rule.key === 'string' ? rule.key === key : rule.key.test(key))) continue;
      active.left--;
      return rule;
    }
    return undefined;
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const rawUrl = req.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    const rawPath = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
    const [, rawBucket = '', ...rest] = rawPath.split('/');
    const method = req.method ?? 'GET';
    const signed = req.headers.authorization !== undefined || rawUrl.includes('X-Amz-Signature=');
    const record: SeenRequest = {
      method,
      bucket: safeDecode(rawBucket),
      key: safeDecode(rest.join('/')),
      query: queryAt === -1 ? '' : rawUrl.slice(queryAt + 1),
      signed,
    };
    const rule = match(method, record.key, signed);
    const entry: SeenRequest = rule ? { ...record, fault: rule.fault.kind } : record;
    seen.push(entry);
    res.once('finish', () => (entry.status = res.statusCode));
    const fault = rule?.fault;
    switch (fault?.kind) {
      case 'status': {
        // Drain the body first, as S3 does, so the client sees the answer and not a broken pipe.
        req.resume();
        req.once('end', () => {
          const body =
            '<?xml version="1.0" encoding="UTF-8"?>\n' +
            `<Error><Code>${fault.code}</Code><Message>${fault.message ?? fault.code}</Message>` +
            `<Key>${escapeXml(record.key)}</Key><RequestId>FAULTY0000000000</RequestId></Error>`;
          res.writeHead(fault.status, {
            'Content-Type': 'application/xml',
            'Content-Length': String(Buffer.byteLength(body)),
            'x-amz-request-id': 'FAULTY0000000000',
          });
          res.end(method === 'HEAD' ? undefined : body);
        });
        return;
      }
      case 'hang':
        req.resume();
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'delay':
        setTimeout(() => forward(req, res, undefined), fault.ms);
        return;
      case 'cut':
        forward(req, res, fault.afterBytes);
        return;
      default:
        forward(req, res, undefined);
    }
  }

  /** Forwards the request unchanged (Host included: SigV4 signed it), optionally cutting it short. */
  function forward(req: IncomingMessage, res: ServerResponse, cutAfter: number | undefined): void {
    const uploads = req.method === 'PUT' || req.method === 'POST';
    const outgoing = httpRequest(
      { hostname: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers, agent: false },
      (upstream) => {
        if (cutAfter === undefined || uploads) {
          res.writeHead(upstream.statusCode ?? 502, upstream.headers);
          upstream.pipe(res);
          return;
        }
        // Cut the response body after `cutAfter` bytes: headers (with the full Content-Length) go out,
        // then the connection dies mid-body.
        res.writeHead(upstream.statusCode ?? 502, upstream.headers);
        let sent = 0;
        upstream.on('data', (chunk: Buffer) => {
          if (sent >= cutAfter) return;
          const part = chunk.subarray(0, cutAfter - sent);
          sent += part.byteLength;
          res.write(part);
          if (sent >= cutAfter) {
            upstream.destroy();
            setTimeout(() => res.socket?.destroy(), 20);
          }
        });
        upstream.on('end', () => res.end());
      },
    );
    outgoing.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.socket?.destroy();
    });
    if (cutAfter !== undefined && uploads) {
      // Cut the upload: S3 (and s3rver behind its complete-body rule) receives part of the body only.
      let sent = 0;
      req.on('data', (chunk: Buffer) => {
        if (sent >= cutAfter) return;
        const part = chunk.subarray(0, cutAfter - sent);
        sent += part.byteLength;
        outgoing.write(part);
        if (sent >= cutAfter) {
          setTimeout(() => {
            outgoing.destroy();
            req.socket.destroy();
          }, 20);
        }
      });
      return;
    }
    req.pipe(outgoing);
  }

  const server = createServer(handle);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    seen,
    inject(rule) {
      rules.push({ rule, left: rule.times ?? Number.POSITIVE_INFINITY });
    },
    clear() {
      rules.length = 0;
    },
    writes() {
      return seen.filter((r) => r.method === 'PUT' || r.method === 'POST' || r.method === 'DELETE');
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
