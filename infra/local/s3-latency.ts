/**
 * An S3 latency model: a node:http proxy in front of an S3 endpoint (the embedded s3rver) that holds
 * every response's first byte until `firstByteMs` after its request arrived, and paces each body,
 * request and response, at `bytesPerSecond` per connection. It records every request, so a caller
 * can count the S3 requests of one miss and its serial depth (the longest chain of requests each
 * sent after the previous one answered: requests in flight together count once).
 *
 * The embedded S3 answers in about a millisecond; real S3 does not, and Lambda@Edge runs in a
 * regional edge cache that may be a region away from the bucket. The figures of the presets:
 *   in-region     30 ms first byte: AWS gives "median latencies ... often in the range of tens of
 *                 milliseconds" for requests under 512 KB
 *                 (https://docs.aws.amazon.com/whitepapers/latest/s3-optimizing-performance-best-practices/timeouts-and-retries-for-latency-sensitive-applications.html).
 *   cross-region  100 ms: the in-region 30 ms plus one inter-region round trip of ~70 ms on a kept-alive
 *                 connection. AWS publishes inter-region round trips only as a live dashboard
 *                 (Network Manager Infrastructure Performance,
 *                 https://docs.aws.amazon.com/network-manager/latest/infrastructure-performance/how-nmip-works.html);
 *                 a measurement of us-east-1 to us-west-2 over AWS's backbone gave ~55 ms
 *                 (https://dev.to/juanhcode/aws-multi-region-networking-what-actually-happens-between-regions-58g9);
 *                 us-east-1 to eu-west-1 is longer, so 70 ms is our choice, and not kinder.
 *   bandwidth     85,000,000 bytes/s per connection: AWS's S3 performance guidelines plan one
 *                 connection per 85-90 MB/s (https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance-guidelines.html),
 *                 read at the smaller value. Across regions AWS is silent; the same figure is used.
 */
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';

export const S3_LATENCY_PRESETS = {
  inRegion: { firstByteMs: 30, bytesPerSecond: 85_000_000 },
  crossRegion: { firstByteMs: 100, bytesPerSecond: 85_000_000 },
} as const;

export interface S3LatencySettings {
  /** Milliseconds from a request's arrival to its response's first byte (0: none). */
  readonly firstByteMs: number;
  /** Bytes per second of each body, per connection (absent or 0: unpaced). */
  readonly bytesPerSecond?: number;
}

export interface S3Request {
  readonly method: string;
  /** Decoded `bucket/key` path, without the query. */
  readonly path: string;
  /** performance.now() when it arrived and when its response ended. */
  readonly start: number;
  end: number;
  status: number;
  /** Bytes of the response body that reached the caller (less than the object when it stopped reading). */
  bytesOut: number;
}

interface S3Window {
  /** The requests that arrived since the window opened. */
  requests(): S3Request[];
  /** The serial depth of those requests (see serialDepth). */
  depth(): number;
}

export interface S3LatencyProxy {
  readonly endpoint: string;
  readonly requests: readonly S3Request[];
  settings: S3LatencySettings;
  /** Opens a window on the requests from now on (one miss, say). */
  window(): S3Window;
  close(): Promise<void>;
}

/**
 * The longest chain of requests in which each one arrived after the previous one ended: what a
 * caller waits for in round trips, whatever it sent in parallel.
 */
export function serialDepth(requests: readonly Pick<S3Request, 'start' | 'end'>[]): number {
  const sorted = [...requests].sort((a, b) => a.start - b.start);
  const depth: number[] = [];
  let best = 0;
  sorted.forEach((request, i) => {
    let before = 0;
    for (let j = 0; j < i; j++) if (sorted[j]!.end <= request.start) before = Math.max(before, depth[j]!);
    depth[i] = before + 1;
    best = Math.max(best, depth[i]!);
  });
  return best;
}

/** Paces a stream at `bytesPerSecond` from its first byte. */
function pace(bytesPerSecond: number | undefined): Transform {
  let started = 0;
  let sent = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      if (!bytesPerSecond) return callback(null, chunk);
      if (started === 0) started = performance.now();
      sent += chunk.byteLength;
      const due = started + (sent / bytesPerSecond) * 1000;
      const wait = due - performance.now();
      if (wait <= 0) return callback(null, chunk);
      setTimeout(() => callback(null, chunk), wait);
    },
  });
}

const MAX_RECORDED = 10_000;

export async function startS3LatencyProxy(upstream: string, settings: S3LatencySettings): Promise<S3LatencyProxy> {
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: true });
  const requests: S3Request[] = [];
  const sockets = new Set<Socket>();

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const start = performance.now();
    const { firstByteMs, bytesPerSecond } = proxy.settings;
    const path = decodeURIComponent((req.url ?? '/').split('?', 1)[0]!.slice(1));
    const record: S3Request = { method: req.method ?? 'GET', path, start, end: start, status: 0, bytesOut: 0 };
    requests.push(record);
    // A long-running edge keeps the most recent requests only.
    if (requests.length > MAX_RECORDED) requests.splice(0, requests.length - MAX_RECORDED);
    const forward = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
      const wait = Math.max(0, start + firstByteMs - performance.now());
      setTimeout(() => {
        record.status = answer.statusCode ?? 502;
        res.writeHead(record.status, answer.rawHeaders);
        const paced = answer.pipe(pace(bytesPerSecond));
        paced.on('data', (chunk: Buffer) => {
          record.bytesOut += chunk.byteLength;
        });
        paced.pipe(res);
      }, wait);
    });
    forward.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    res.once('close', () => {
      record.end = performance.now();
      forward.destroy();
    });
    req.pipe(pace(bytesPerSecond)).pipe(forward);
  }

  const server = createServer(handle);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const proxy: S3LatencyProxy = {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    settings,
    window() {
      const opened = performance.now();
      const taken = () => requests.filter((r) => r.start >= opened);
      return { requests: taken, depth: () => serialDepth(taken()) };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
  return proxy;
}
