/**
 * What the rows of `npm run verify` share: the distribution's base URL, the originals to try (test
 * originals it uploaded, or keys the operator named), the allowed sizes the distribution announced,
 * and the signing key when one was given.
 */
import { send } from './verify-http.ts';
import type { Reply } from './verify-http.ts';

/** An original the rows can request: its key (no leading `/`) and, when verify uploaded it, its bytes. */
export interface Original {
  readonly key: string;
  readonly bytes?: Buffer;
}

export interface Signer {
  readonly keyPairId: string;
  readonly privateKey: string;
}

export interface Context {
  /** `https://d111111abcdef8.cloudfront.net`, no trailing slash. */
  readonly base: string;
  /** The allowed sizes, as the distribution's own 400 names them (`128x128`, ...). */
  readonly sizes: readonly string[];
  /** A public JPEG original. */
  readonly photo?: Original;
  /** A public SVG original of at least 1,000 bytes (CloudFront compresses from 1,000). */
  readonly svg?: Original;
  /** A private JPEG original (under `private/`). */
  readonly privatePhoto?: Original;
  readonly signer?: Signer;
  /** Where to send the viewer for a row that needs something not given. */
  readonly hints: { readonly originals: string; readonly keys: string };
}

/** A path on the distribution, requested as a viewer would. */
export function get(ctx: Context, path: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' | 'OPTIONS' = 'GET'): Promise<Reply> {
  return send(`${ctx.base}${path}`, { method, headers });
}

/** The path of a key: each segment percent-encoded once, as image-request's canonical form. */
export function pathOf(key: string): string {
  return `/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** A probe key no deployment holds: verify's own prefix and a random name. */
export function probeKey(): string {
  return `verify-probe-${Math.random().toString(36).slice(2, 10)}/none.jpg`;
}

/**
 * The pack's signature: a size outside any allowlist answered 400 by the viewer-request function,
 * with a body that names the allowed sizes. Returns those sizes, or a reason this is not the pack.
 */
export async function detectPack(base: string): Promise<{ sizes: string[]; reply: Reply } | { notPack: string }> {
  const reply = await send(`${base}/7x7/${probeKey()}`, { headers: { accept: 'image/webp,*/*' } });
  const text = reply.body.toString('utf8', 0, 4096);
  const sizes = [...new Set(text.match(/\b\d{1,5}x\d{1,5}\b/g) ?? [])].filter((s) => s !== '7x7');
  if (reply.status !== 400 || sizes.length === 0) {
    const location = reply.headers['location'];
    if (reply.status >= 300 && reply.status < 400 && location?.startsWith('https:') && base.startsWith('http:')) {
      return { notPack: `it redirects to https (${location}): give --url ${base.replace(/^http:/, 'https:')}` };
    }
    return {
      notPack: `Expected a 400 naming the allowed sizes for /7x7/... (edge-images' image-request) but received ${
        reply.status
      } ${reply.headers['content-type'] ?? ''} X-Cache: ${reply.headers['x-cache'] ?? '(none)'} ${JSON.stringify(text.slice(0, 120))}`,
    };
  }
  return { sizes, reply };
}
