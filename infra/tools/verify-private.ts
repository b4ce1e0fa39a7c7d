/**
 * The private rows of `npm run verify`: unsigned requests are refused (no key needed to prove that),
 * and a signed URL and signed cookies made with the operator's key (`--sign-key`, `--key-pair-id`)
 * are served. Without a key the signed rows are skipped, and say so.
 */
import { get, pathOf, probeKey } from './verify-context.ts';
import type { Context } from './verify-context.ts';
import { describe, sniffImage } from './verify-http.ts';
import { result } from './verify-rows.ts';
import type { RowResult } from './verify-rows.ts';
import { signCookies, signUrl } from './signer.ts';

/** How long the URLs and cookies verify signs stay valid. */
const SIGNED_FOR_MS = 10 * 60 * 1000;

function denied(reply: { status: number; body: Buffer }): boolean {
  return reply.status === 403 && sniffImage(reply.body) === undefined;
}

export async function privateUnsigned(ctx: Context): Promise<RowResult> {
  const [w, h] = ctx.sizes[0]!.split('x');
  const key = ctx.privatePhoto?.key ?? `private/${probeKey()}`;
  // The viewer path and the canonical derived path: both are signed behaviors.
  const paths = [`${pathOf(key)}?w=${w}&h=${h}`, `/_derived${pathOf(key)}/${w}x${h}-cover-q75.webp`];
  const seen: string[] = [];
  for (const path of paths) {
    const reply = await get(ctx, path, { accept: 'image/webp,*/*' });
    if (!denied(reply)) return result('private-unsigned-403', 'fail', `Expected 403 (no image) for unsigned ${path} but received ${describe(reply)}`);
    seen.push(`${path}: ${reply.status}`);
  }
  return result('private-unsigned-403', 'pass', `unsigned ${seen.join(', ')}`);
}

export async function privatePreflight(ctx: Context): Promise<RowResult> {
  const path = ctx.privatePhoto ? pathOf(ctx.privatePhoto.key) : `/private/${probeKey()}`;
  const reply = await get(ctx, path, { origin: 'https://verify.example', 'access-control-request-method': 'GET' }, 'OPTIONS');
  if (!denied(reply)) return result('private-preflight-403', 'fail', `Expected 403 for an unsigned OPTIONS ${path} but received ${describe(reply)}`);
  return result('private-preflight-403', 'pass', `OPTIONS ${path} from https://verify.example: ${describe(reply)}`);
}

function needs(ctx: Context, id: 'private-signed-url' | 'private-signed-cookies'): RowResult | undefined {
  if (!ctx.signer) return result(id, 'skip', `skipped: no signing key given (${ctx.hints.keys})`);
  if (!ctx.privatePhoto) return result(id, 'skip', `skipped: no private original to request (${ctx.hints.originals})`);
  return undefined;
}

function served(reply: { status: number; body: Buffer; headers: Readonly<Record<string, string>> }): boolean {
  return reply.status === 200 && sniffImage(reply.body) !== undefined && (reply.headers['content-type'] ?? '').startsWith('image/');
}

export async function privateSignedUrl(ctx: Context): Promise<RowResult> {
  const skipped = needs(ctx, 'private-signed-url');
  if (skipped) return skipped;
  const [w, h] = (ctx.sizes[1] ?? ctx.sizes[0]!).split('x');
  const path = `${pathOf(ctx.privatePhoto!.key)}?w=${w}&h=${h}`;
  const url = signUrl({ url: `${ctx.base}${path}`, expires: new Date(Date.now() + SIGNED_FOR_MS), ...ctx.signer! });
  const reply = await get(ctx, url.slice(ctx.base.length), { accept: 'image/webp,*/*' });
  if (!served(reply)) return result('private-signed-url', 'fail', `Expected 200 with an image for the signed ${path} but received ${describe(reply)}`);
  return result('private-signed-url', 'pass', `signed ${path}: ${describe(reply)}`);
}

export async function privateSignedCookies(ctx: Context): Promise<RowResult> {
  const skipped = needs(ctx, 'private-signed-cookies');
  if (skipped) return skipped;
  const size = ctx.sizes[2] ?? ctx.sizes[0]!;
  const [w, h] = size.split('x');
  const path = `${pathOf(ctx.privatePhoto!.key)}?w=${w}&h=${h}`;
  const cookies = signCookies({ url: `${ctx.base}${pathOf(ctx.privatePhoto!.key)}`, expires: new Date(Date.now() + SIGNED_FOR_MS), ...ctx.signer! });
  const reply = await get(ctx, path, { accept: 'image/webp,*/*', cookie: cookies.cookieHeader });
  if (!served(reply))
    return result('private-signed-cookies', 'fail', `Expected 200 with an image for ${path} with signed cookies but received ${describe(reply)}`);
  return result('private-signed-cookies', 'pass', `${path} with signed cookies: ${describe(reply)}`);
}
