import { request } from 'node:http';

/** Small HTTP helpers for tests: real requests over loopback, bodies as Buffers. */
export interface Fetched {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
}

export async function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Fetched> {
  const response = await fetch(url, { method, headers, redirect: 'manual' });
  return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
}

export const ACCEPT_WEBP = 'image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5';
export const ACCEPT_CHROMIUM = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8';

/** A request whose path goes on the wire exactly as written (fetch would resolve `..` and `%2e`). */
export function rawGet(base: string, rawPath: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Fetched> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path: rawPath, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const h = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') h.set(name, value);
        resolve({ status: res.statusCode ?? 0, headers: h, body: Buffer.concat(chunks) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
