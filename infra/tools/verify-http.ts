/**
 * The HTTP side of `npm run verify`: one request, exactly as sent, with nothing done for the caller:
 * no redirect followed, no body decompressed, no default Accept-Encoding (fetch adds one and decodes
 * the body, which would hide what CloudFront compressed). Every request has a timeout and a body cap.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface Reply {
  readonly status: number;
  /** Lowercase names; repeated headers joined with `, ` (set-cookie joined too). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export interface Ask {
  readonly method?: 'GET' | 'HEAD' | 'OPTIONS';
  readonly headers?: Readonly<Record<string, string>>;
}

/** A thumbnail's resize in AWS may take seconds (a cold Lambda@Edge, a large original). */
const TIMEOUT_MS = 60_000;
/** The largest body read: the biggest answer verify asks for is a few megabytes. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export class HttpFailure extends Error {}

export function send(url: string, ask: Ask = {}): Promise<Reply> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<Reply>((resolve, reject) => {
    const req = request(target, { method: ask.method ?? 'GET', headers: { 'user-agent': 'edge-images-verify', ...ask.headers }, timeout: TIMEOUT_MS });
    req.on('timeout', () => req.destroy(new HttpFailure(`no answer from ${target.origin} within ${TIMEOUT_MS / 1000} s`)));
    req.on('error', (error) => reject(error instanceof HttpFailure ? error : new HttpFailure(`${target.origin} cannot be reached: ${error.message}`)));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.byteLength;
        if (size > MAX_BODY_BYTES) {
          req.destroy(new HttpFailure(`${target.pathname} answered more than ${MAX_BODY_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', reject);
      res.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks) });
      });
    });
    req.end();
  });
}

/** `Hit`, `Miss`, `RefreshHit`, `FunctionGeneratedResponse`... from `X-Cache: Miss from cloudfront`. */
export function cacheStatus(reply: Reply): string {
  return (reply.headers['x-cache'] ?? '').split(' ')[0] ?? '';
}

/** A short account of a reply for a row's detail: `200 image/webp 1,234 B Miss`. */
export function describe(reply: Reply): string {
  const type = reply.headers['content-type'] ?? 'no content-type';
  const cache = cacheStatus(reply);
  return `${reply.status} ${type} ${reply.body.byteLength.toLocaleString('en-US')} B${cache ? ` ${cache}` : ''}`;
}

/** The image format a body's first bytes name (magic numbers), whatever Content-Type says. */
export function sniffImage(body: Buffer): 'jpeg' | 'png' | 'webp' | 'avif' | 'gif' | 'svg' | undefined {
  if (body.length >= 3 && body[0] === 0xff && body[1] === 0xd8 && body[2] === 0xff) return 'jpeg';
  if (body.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (body.subarray(0, 4).toString('latin1') === 'RIFF' && body.subarray(8, 12).toString('latin1') === 'WEBP') return 'webp';
  if (body.subarray(4, 8).toString('latin1') === 'ftyp' && /^avi[fs]$/.test(body.subarray(8, 12).toString('latin1'))) return 'avif';
  if (body.subarray(0, 4).toString('latin1') === 'GIF8') return 'gif';
  if (/^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(body.subarray(0, 512).toString('utf8'))) return 'svg';
  return undefined;
}
