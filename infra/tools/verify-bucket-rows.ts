/**
 * The rows of `npm run verify` that need test originals of their own (`--bucket`): a thumbnail over
 * the 1 MB generated-response cap, public and private, and derived-cleanup after an original is
 * replaced. They are written against behaviour, not mechanism: a viewer asks, is redirected, follows
 * with its own credentials and gets the image.
 */
import sharp from 'sharp';
import type { BucketSession } from './verify-bucket.ts';
import { get, pathOf } from './verify-context.ts';
import type { Context } from './verify-context.ts';
import { cacheStatus, describe, send, sniffImage } from './verify-http.ts';
import type { Reply } from './verify-http.ts';
import { result } from './verify-rows.ts';
import type { RowResult } from './verify-rows.ts';
import { signUrl } from './signer.ts';

/** CloudFront's cap on a response generated in an origin event, read at its smaller value ("1 MB"). */
const CAP_BYTES = 1_000_000;
const SIGNING = ['Expires', 'Policy', 'Signature', 'Key-Pair-Id', 'Hash-Algorithm'];

export interface OverCap {
  /** The public and private keys of the noise original. */
  readonly key: string;
  readonly privateKey: string;
  /** The allowed box asked for, as PNG. */
  readonly size: string;
}

function isRedirect(reply: Reply): boolean {
  return [301, 302, 303, 307, 308].includes(reply.status) && reply.headers['location'] !== undefined;
}

/** The over-cap variant's query: the box as PNG (noise: about 3 bytes a pixel). */
function overCapQuery(size: string): string {
  const [w, h] = size.split('x');
  return `w=${w}&h=${h}&fm=png`;
}

function bigImage(reply: Reply): boolean {
  return reply.status === 200 && sniffImage(reply.body) === 'png' && reply.body.byteLength > CAP_BYTES;
}

export async function overCapPublic(ctx: Context, big: OverCap): Promise<RowResult> {
  const path = `${pathOf(big.key)}?${overCapQuery(big.size)}`;
  const first = await get(ctx, path, { accept: 'image/webp,*/*' });
  if (!isRedirect(first))
    return result('over-cap-public', 'fail', `Expected a redirect for ${path} (a PNG over ${CAP_BYTES} bytes) but received ${describe(first)}`);
  const location = new URL(first.headers['location']!, `${ctx.base}${path}`);
  const followed = await send(location.href, { headers: { accept: 'image/webp,*/*' } });
  if (!bigImage(followed)) return result('over-cap-public', 'fail', `Expected 200 with the PNG at ${location.pathname} but received ${describe(followed)}`);
  return result('over-cap-public', 'pass', `${path}: ${first.status} -> ${location.pathname}: ${describe(followed)}`);
}

/** A viewer's signed URL for the over-cap variant: a custom policy over verify's private folder. */
function viewerUrl(ctx: Context, big: OverCap, validForMs: number): string {
  const folder = big.privateKey.slice(0, big.privateKey.lastIndexOf('/') + 1);
  return signUrl({
    url: `${ctx.base}${pathOf(big.privateKey)}?${overCapQuery(big.size)}`,
    expires: new Date(Date.now() + validForMs),
    // The folder and its derived images: where this viewer may be sent back for the image.
    resource: `${ctx.base}/*${folder}*`,
    ...ctx.signer!,
  });
}

/**
 * Where a redirect sends this viewer: the Location as it is when it carries a signature (the other
 * viewer's was refused before), else the Location with this viewer's own signing parameters.
 */
function follow(location: URL, own: URL): URL {
  if (location.searchParams.has('Signature')) return location;
  const next = new URL(location);
  for (const name of SIGNING) {
    const value = own.searchParams.get(name);
    if (value !== null) next.searchParams.set(name, value);
  }
  return next;
}

export async function overCapPrivate(ctx: Context, big: OverCap): Promise<RowResult> {
  const id = 'over-cap-private';
  if (!ctx.signer) return result(id, 'skip', `skipped: no signing key given (${ctx.hints.keys})`);
  // Two viewers with different signatures ask for one variant, A first: B must never be sent
  // anywhere with A's signature (an origin response carrying A's credential could be cached).
  const a = new URL(viewerUrl(ctx, big, 10 * 60 * 1000));
  const b = new URL(viewerUrl(ctx, big, 11 * 60 * 1000));
  const askA = await send(a.href, { headers: { accept: 'image/webp,*/*' } });
  if (!isRedirect(askA)) return result(id, 'fail', `Expected a redirect for the signed ${a.pathname}?${overCapQuery(big.size)} but received ${describe(askA)}`);
  const askB = await send(b.href, { headers: { accept: 'image/webp,*/*' } });
  const steps: string[] = [];
  for (const [name, own, other, reply] of [
    ['A', a, b, askA],
    ['B', b, a, askB],
  ] as const) {
    if (reply.status === 200) {
      if (!bigImage(reply)) return result(id, 'fail', `Expected viewer ${name} to get the PNG but received ${describe(reply)}`);
      steps.push(`${name} 200 ${cacheStatus(reply)}`);
      continue;
    }
    if (!isRedirect(reply)) return result(id, 'fail', `Expected viewer ${name} to get the PNG or a redirect but received ${describe(reply)}`);
    const location = new URL(reply.headers['location']!, own.href);
    if (location.href.includes(other.searchParams.get('Signature')!)) {
      return result(id, 'fail', `viewer ${name} was redirected with the other viewer's signature: ${location.pathname}`);
    }
    const next = follow(location, own);
    const followed = await send(next.href, { headers: { accept: 'image/webp,*/*' } });
    if (!bigImage(followed)) return result(id, 'fail', `Expected viewer ${name} to get the PNG at ${next.pathname} but received ${describe(followed)}`);
    steps.push(`${name} ${reply.status} -> ${next.pathname} 200`);
  }
  return result(id, 'pass', `${steps.join('; ')}; no redirect carried the other viewer's signature`);
}

/** Polls `check` every `everyMs` until it returns a value or `timeoutMs` passes. */
async function until<T>(timeoutMs: number, everyMs: number, check: () => Promise<T | undefined>): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined || Date.now() >= deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

async function dimensions(body: Buffer): Promise<string> {
  const meta = await sharp(body).metadata();
  return `${meta.width}x${meta.height}`;
}

/**
 * Replaces the photo with another of a different aspect, then waits until the variants made from
 * the old one are gone from `_derived/` (the purge) and the CDN answers a thumbnail of the new one
 * (the invalidation: without it the edge would keep serving the old thumbnail for a year).
 */
export async function cleanupOnReplace(ctx: Context, s3: BucketSession, photoKey: string, replacement: Buffer, timeoutMs: number): Promise<RowResult> {
  const id = 'cleanup-on-replace';
  // `inside` keeps the aspect, so the old and new thumbnails differ in shape.
  const size = ctx.sizes[2] ?? ctx.sizes[0]!;
  const [w, h] = size.split('x');
  const path = `${pathOf(photoKey)}?w=${w}&h=${h}&fit=inside&fm=jpg`;
  const before = await get(ctx, path);
  if (before.status !== 200) return result(id, 'fail', `Expected 200 for ${path} before the replacement but received ${describe(before)}`);
  const again = await get(ctx, path);
  const oldShape = await dimensions(before.body);
  const variants = await s3.derived(photoKey);
  if (variants.length === 0) return result(id, 'fail', `Expected variants under _derived/${photoKey}/ before the replacement but found none`);
  await s3.put(photoKey, replacement, 'image/jpeg');
  const started = Date.now();
  const purged = await until(timeoutMs, 1000, async () => {
    const left = await s3.derived(photoKey);
    return variants.every((key) => !left.includes(key)) ? Date.now() - started : undefined;
  });
  if (purged === undefined) {
    const left = (await s3.derived(photoKey)).filter((key) => variants.includes(key));
    return result(
      id,
      'fail',
      `Expected derived-cleanup to delete the ${variants.length} variants within ${timeoutMs / 1000} s but ${left.length} remain, e.g. ${left[0]}`,
    );
  }
  const served = await until(Math.max(0, timeoutMs - (Date.now() - started)), 2000, async () => {
    const reply = await get(ctx, path);
    if (reply.status !== 200 || sniffImage(reply.body) === undefined) return undefined;
    const shape = await dimensions(reply.body);
    return shape !== oldShape ? { shape, reply } : undefined;
  });
  if (served === undefined) {
    return result(
      id,
      'fail',
      `Expected the edge to serve the new thumbnail of ${path} within ${timeoutMs / 1000} s but it still serves ${oldShape} (no invalidation?)`,
    );
  }
  return result(
    id,
    'pass',
    `${variants.length} variants purged after ${(purged / 1000).toFixed(1)} s; ${path}: ${oldShape} (${cacheStatus(again)}) -> ${served.shape} (${cacheStatus(served.reply)}) after ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}
