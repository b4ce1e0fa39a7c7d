/**
 * The public rows of `npm run verify`: plain HTTP requests a viewer could make, each checked against
 * what CloudFront and the pack promise (verify-rows.ts names the AWS page of each).
 */
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { get, pathOf } from './verify-context.ts';
import type { Context } from './verify-context.ts';
import { cacheStatus, describe, sniffImage } from './verify-http.ts';
import type { Reply } from './verify-http.ts';
import { result } from './verify-rows.ts';
import type { RowId, RowResult } from './verify-rows.ts';

/** The one-year Cache-Control of every derived image (distribution.ts tunables.derivedCacheControl). */
const ONE_YEAR = /max-age=31536000\b/;
const FITS = ['cover', 'contain', 'inside', 'fill', 'outside'] as const;
/** The most thumbnails the miss row asks for when it cannot upload a fresh original. */
const MAX_MISS_TRIES = 10;

type Check = (ctx: Context) => Promise<RowResult>;

function skipNoOriginal(id: RowId, what: string, ctx: Context): RowResult {
  return result(id, 'skip', `skipped: no ${what} to request (${ctx.hints.originals})`);
}

export const size400: Check = async (ctx) => {
  const reply = await get(ctx, `/7x7/${ctx.photo?.key ?? 'verify-probe/none.jpg'}`);
  const text = reply.body.toString('utf8', 0, 2048);
  const named = ctx.sizes.filter((s) => text.includes(s));
  if (reply.status !== 400) return result('size-400', 'fail', `Expected 400 for /7x7/... but received ${describe(reply)}`);
  if (named.length === 0) return result('size-400', 'fail', `Expected the allowed sizes in the 400's body but received ${JSON.stringify(text.slice(0, 120))}`);
  // A response generated in viewer-request never went through the cache: X-Cache is not Hit, Miss or
  // RefreshHit. The pages read do not give X-Cache's value for it (our choice: any other value passes;
  // the local edge writes FunctionGeneratedResponse or LambdaGeneratedResponse).
  const cache = cacheStatus(reply);
  if (/^(Hit|Miss|RefreshHit)$/.test(cache)) {
    return result('size-400', 'fail', `Expected the 400 from the viewer-request function but it came through the cache (X-Cache: ${cache})`);
  }
  return result(
    'size-400',
    'pass',
    `400 (X-Cache: ${cache || 'none'}) names ${named.length} allowed sizes (${named.slice(0, 4).join(', ')}${named.length > 4 ? ', ...' : ''})`,
  );
};

/** Derived-image headers every thumbnail carries: Vary: Accept and the one-year Cache-Control. */
function derivedHeaderProblem(reply: Reply): string | undefined {
  const vary = reply.headers['vary'] ?? '';
  if (!/(^|,)\s*accept\s*(,|$)/i.test(vary)) return `Expected Vary: Accept but received ${JSON.stringify(vary || '(none)')}`;
  const cacheControl = reply.headers['cache-control'] ?? '';
  if (!ONE_YEAR.test(cacheControl)) return `Expected Cache-Control max-age=31536000 but received ${JSON.stringify(cacheControl || '(none)')}`;
  return undefined;
}

export const thumbnailMissHit: Check = async (ctx) => {
  const id = 'thumbnail-miss-hit';
  if (!ctx.photo) return skipNoOriginal(id, 'public JPEG original', ctx);
  const accept = { accept: 'image/avif,image/webp,image/*,*/*;q=0.8' };
  // A fresh upload has no thumbnail yet: the first size is a miss. An operator's existing original
  // may have some cached: try other sizes and fits until one misses.
  const candidates = ctx.sizes.flatMap((size) => FITS.map((fit) => `${pathOf(ctx.photo!.key)}?w=${size.split('x')[0]}&h=${size.split('x')[1]}&fit=${fit}`));
  const tries = ctx.photo.bytes ? candidates.slice(0, 1) : candidates.slice(0, MAX_MISS_TRIES);
  for (const path of tries) {
    const first = await get(ctx, path, accept);
    if (first.status !== 200) return result(id, 'fail', `Expected 200 for ${path} but received ${describe(first)}`);
    if (cacheStatus(first) !== 'Miss') continue;
    const problem = derivedHeaderProblem(first);
    if (problem) return result(id, 'fail', `${path} (Miss): ${problem}`);
    // The next request is a hit; an invalidation landing in between (derived-cleanup runs on every
    // upload) makes one more miss, so up to three requests.
    const seen: string[] = ['Miss'];
    for (let attempt = 0; attempt < 3; attempt++) {
      const again = await get(ctx, path, accept);
      seen.push(cacheStatus(again));
      if (cacheStatus(again) !== 'Hit') continue;
      const hitProblem = derivedHeaderProblem(again);
      if (hitProblem) return result(id, 'fail', `${path} (Hit): ${hitProblem}`);
      if (!again.body.equals(first.body)) return result(id, 'fail', `${path}: the Hit's bytes differ from the Miss's`);
      return result(id, 'pass', `${path}: ${seen.join(' -> ')}, ${first.headers['content-type']}, Vary: ${first.headers['vary']}`);
    }
    return result(id, 'fail', `Expected a Hit after the Miss for ${path} but received ${seen.join(' -> ')}`);
  }
  return result(id, 'fail', `Expected a Miss for a new thumbnail but all ${tries.length} tried were cached already (give --bucket for a fresh original)`);
};

function negotiation(id: RowId, accept: string, format: 'avif' | 'webp' | 'jpeg', sizeIndex: number): Check {
  return async (ctx) => {
    if (!ctx.photo) return skipNoOriginal(id, 'public JPEG original', ctx);
    const size = ctx.sizes[Math.min(sizeIndex, ctx.sizes.length - 1)]!;
    const path = `/${size}${pathOf(ctx.photo.key)}`;
    const reply = await get(ctx, path, { accept });
    const sniffed = sniffImage(reply.body);
    const type = reply.headers['content-type'] ?? '';
    if (reply.status !== 200 || sniffed !== format || type !== `image/${format}`) {
      return result(
        id,
        'fail',
        `Expected 200 image/${format} for ${path} with Accept: ${accept} but received ${describe(reply)} (bytes: ${sniffed ?? 'unknown'})`,
      );
    }
    const problem = derivedHeaderProblem(reply);
    if (problem) return result(id, 'fail', `${path}: ${problem}`);
    return result(id, 'pass', `Accept: ${accept} -> ${describe(reply)}`);
  };
}

export const negotiateAvif = negotiation('negotiate-avif', 'image/avif,image/webp,image/apng,image/*,*/*;q=0.8', 'avif', 1);
export const negotiateWebp = negotiation('negotiate-webp', 'image/webp,image/apng,image/*,*/*;q=0.8', 'webp', 1);
export const negotiateNeither = negotiation('negotiate-neither', 'image/*,*/*;q=0.8', 'jpeg', 1);

export const originalUntouched: Check = async (ctx) => {
  const id = 'original-untouched';
  if (!ctx.photo) return skipNoOriginal(id, 'public JPEG original', ctx);
  const path = pathOf(ctx.photo.key);
  const reply = await get(ctx, path, { accept: 'image/avif,image/webp,*/*', 'accept-encoding': 'identity' });
  if (reply.status !== 200) return result(id, 'fail', `Expected 200 for ${path} but received ${describe(reply)}`);
  if (ctx.photo.bytes) {
    if (!reply.body.equals(ctx.photo.bytes)) {
      return result(id, 'fail', `Expected the ${ctx.photo.bytes.byteLength} bytes uploaded but received ${describe(reply)} that differ`);
    }
    return result(id, 'pass', `${path}: ${describe(reply)}, identical to the upload`);
  }
  if (sniffImage(reply.body) !== 'jpeg') return result(id, 'fail', `Expected the JPEG original for ${path} but received ${describe(reply)}`);
  return result(id, 'pass', `${path}: ${describe(reply)} (a JPEG; bytes not compared without --bucket)`);
};

export const missing404: Check = async (ctx) => {
  const size = ctx.sizes[0]!;
  const path = `/${size}/verify-missing-${Math.random().toString(36).slice(2, 10)}/none.jpg`;
  const reply = await get(ctx, path, { accept: 'image/webp,*/*' });
  if (reply.status !== 404) return result('missing-404', 'fail', `Expected 404 for ${path} but received ${describe(reply)}`);
  return result('missing-404', 'pass', `${path}: ${describe(reply)}`);
};

export const compressedSvg: Check = async (ctx) => {
  const id = 'compressed-svg';
  if (!ctx.svg) return skipNoOriginal(id, 'SVG original', ctx);
  const path = pathOf(ctx.svg.key);
  const reply = await get(ctx, path, { 'accept-encoding': 'br, gzip' });
  const coding = reply.headers['content-encoding'];
  if (reply.status !== 200 || (coding !== 'br' && coding !== 'gzip')) {
    return result(id, 'fail', `Expected 200 with Content-Encoding br or gzip for ${path} but received ${describe(reply)} ${coding ?? 'uncompressed'}`);
  }
  let decoded: Buffer;
  try {
    decoded = coding === 'br' ? brotliDecompressSync(reply.body) : gunzipSync(reply.body);
  } catch (error) {
    return result(id, 'fail', `${path}: the ${coding} body does not decode (${(error as Error).message})`);
  }
  if (ctx.svg.bytes && !decoded.equals(ctx.svg.bytes))
    return result(id, 'fail', `${path}: the decoded body differs from the ${ctx.svg.bytes.byteLength} bytes uploaded`);
  if (sniffImage(decoded) !== 'svg') return result(id, 'fail', `${path}: the decoded body is not an SVG`);
  return result(id, 'pass', `${path}: ${coding}, ${reply.body.byteLength} B for ${decoded.byteLength} B of SVG`);
};

/** The headers the stack's response headers policy adds (infra/response-headers.ts), by presence and sense. */
export const corsSecurityHeaders: Check = async (ctx) => {
  const id = 'cors-security-headers';
  const origin = 'https://verify.example';
  const path = ctx.photo ? `/${ctx.sizes[0]}${pathOf(ctx.photo.key)}` : `/${ctx.sizes[0]}/verify-probe/none.jpg`;
  const reply = await get(ctx, path, { origin, accept: 'image/webp,*/*' });
  const h = reply.headers;
  const problems = [
    h['access-control-allow-origin'] === '*' || h['access-control-allow-origin'] === origin
      ? undefined
      : `Access-Control-Allow-Origin: ${h['access-control-allow-origin'] ?? '(none)'}`,
    h['x-content-type-options']?.toLowerCase() === 'nosniff' ? undefined : `X-Content-Type-Options: ${h['x-content-type-options'] ?? '(none)'}`,
    /max-age=\d+/.test(h['strict-transport-security'] ?? '') ? undefined : `Strict-Transport-Security: ${h['strict-transport-security'] ?? '(none)'}`,
    h['referrer-policy'] ? undefined : 'Referrer-Policy: (none)',
    h['x-frame-options'] ? undefined : 'X-Frame-Options: (none)',
  ].filter((p): p is string => p !== undefined);
  if (problems.length > 0) return result(id, 'fail', `${path} with Origin: ${origin} (${reply.status}): missing or wrong ${problems.join('; ')}`);
  return result(
    id,
    'pass',
    `${path}: Access-Control-Allow-Origin ${h['access-control-allow-origin']}, nosniff, HSTS ${h['strict-transport-security']}, ${h['referrer-policy']}, ${h['x-frame-options']}`,
  );
};
