/**
 * `npm run verify -- --url https://<distribution-domain>`: proves a deployment works, row by row, each
 * row naming the AWS page behind it (verify-rows.ts). Run it after `sst deploy`, after attaching the
 * functions in the console, or against `npm start`.
 *
 *   npm run verify -- --url https://d111111abcdef8.cloudfront.net
 *   npm run verify -- --url https://cdn.example.com --sign-key private.pem --key-pair-id K2JCJMDEHXQW5F \
 *     --bucket edge-images-originals-prod --json
 *
 * It first checks that the URL answers as this pack (a 400 naming the allowed sizes); anything else
 * stops it before any upload. Exit status: 0 every row passed or was skipped, 1 a row failed, 2 bad
 * input or a distribution that is not this pack.
 */
import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { BucketSession, makeOriginals } from './verify-bucket.ts';
import { cleanupOnReplace, overCapPrivate, overCapPublic } from './verify-bucket-rows.ts';
import type { OverCap } from './verify-bucket-rows.ts';
import { detectPack } from './verify-context.ts';
import type { Context, Original, Signer } from './verify-context.ts';
import { HttpFailure } from './verify-http.ts';
import { privatePreflight, privateSignedCookies, privateSignedUrl, privateUnsigned } from './verify-private.ts';
import {
  compressedSvg,
  corsSecurityHeaders,
  missing404,
  negotiateAvif,
  negotiateNeither,
  negotiateWebp,
  originalUntouched,
  size400,
  thumbnailMissHit,
} from './verify-public.ts';
import { renderTable, report, result } from './verify-rows.ts';
import type { Report, RowId, RowResult } from './verify-rows.ts';

const USAGE = `Usage: npm run verify -- --url https://<distribution-domain> [options]
  --url URL            the distribution (https://d111111abcdef8.cloudfront.net, an alias, or the
                       local edge http://127.0.0.1:3000); scheme and host only
  --sign-key FILE      a PEM private key of a key group the private behaviors trust, and
  --key-pair-id ID     its CloudFront public key id: runs the signed rows (skipped without them)
  --bucket NAME        the primary bucket: uploads test originals under verify-<time>-<random>/
                       (and private/verify-.../), runs the over-cap and derived-cleanup rows, and
                       removes everything under those prefixes afterwards. Credentials: the AWS
                       SDK's default chain (AWS_PROFILE, AWS_ACCESS_KEY_ID, SSO...)
  --region REGION      the bucket's region (default AWS_REGION or us-east-1; redirects are followed)
  --s3-endpoint URL    an S3-compatible endpoint for --bucket (path-style), e.g. the local edge's
  --image KEY          without --bucket: an existing public JPEG original to request
  --private-image KEY  without --bucket: an existing private JPEG original (private/...)
  --svg KEY            without --bucket: an existing SVG original of 1,000 bytes or more
  --cleanup-timeout S  how long to wait for derived-cleanup's purge and invalidation (default 600)
  --json               one JSON document instead of the table (for CI)`;

export interface VerifyIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /**
   * Called once test originals are uploaded with what removes them; returns what unhooks it. The CLI
   * runs it on Ctrl-C (SIGINT) or SIGTERM, so an interrupted run leaves nothing in the bucket.
   */
  readonly onInterrupt?: (removeUploads: () => Promise<void>) => () => void;
}

class BadInput extends Error {}

interface Options {
  readonly base: string;
  readonly signer?: Signer;
  readonly bucket?: string;
  readonly region?: string;
  readonly endpoint?: string;
  readonly image?: string;
  readonly privateImage?: string;
  readonly svg?: string;
  readonly cleanupTimeoutMs: number;
  readonly json: boolean;
}

async function parse(argv: readonly string[]): Promise<Options | 'help'> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        url: { type: 'string' },
        'sign-key': { type: 'string' },
        'key-pair-id': { type: 'string' },
        bucket: { type: 'string' },
        region: { type: 'string' },
        's3-endpoint': { type: 'string' },
        image: { type: 'string' },
        'private-image': { type: 'string' },
        svg: { type: 'string' },
        'cleanup-timeout': { type: 'string', default: '600' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new BadInput((error as Error).message);
  }
  const v = parsed.values;
  if (v.help) return 'help';
  if (v.url === undefined) throw new BadInput('Expected --url https://<distribution-domain> but received nothing');
  const url = URL.canParse(v.url) ? new URL(v.url) : undefined;
  if (!url || !/^https?:$/.test(url.protocol) || url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '') {
    throw new BadInput(
      `Expected an http(s) URL of a distribution, scheme and host only (https://d111111abcdef8.cloudfront.net), for --url but received ${JSON.stringify(v.url)}`,
    );
  }
  if ((v['sign-key'] === undefined) !== (v['key-pair-id'] === undefined)) {
    throw new BadInput('Expected --sign-key FILE and --key-pair-id ID together but received only one of them');
  }
  let signer: Signer | undefined;
  if (v['sign-key'] !== undefined) {
    let pem: string;
    try {
      pem = await readFile(v['sign-key'], 'utf8');
      createPrivateKey(pem);
    } catch (error) {
      throw new BadInput(
        `Expected a PEM private key (RSA-2048 or ECDSA P-256) for --sign-key but received ${JSON.stringify(v['sign-key'])}: ${(error as Error).message}`,
      );
    }
    if (!/^[A-Z0-9]{1,128}$/.test(v['key-pair-id']!)) {
      throw new BadInput(`Expected a CloudFront public key id (such as K2JCJMDEHXQW5F) for --key-pair-id but received ${JSON.stringify(v['key-pair-id'])}`);
    }
    signer = { keyPairId: v['key-pair-id']!, privateKey: pem };
  }
  if (v['s3-endpoint'] !== undefined && !(URL.canParse(v['s3-endpoint']) && /^https?:$/.test(new URL(v['s3-endpoint']).protocol))) {
    throw new BadInput(`Expected an http(s) URL for --s3-endpoint but received ${JSON.stringify(v['s3-endpoint'])}`);
  }
  if (v['s3-endpoint'] !== undefined && v.bucket === undefined) throw new BadInput('Expected --bucket NAME with --s3-endpoint but received no --bucket');
  if (v.bucket !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(v.bucket)) {
    throw new BadInput(`Expected an S3 bucket name for --bucket but received ${JSON.stringify(v.bucket)}`);
  }
  if (v.bucket !== undefined && (v.image ?? v['private-image'] ?? v.svg) !== undefined) {
    throw new BadInput('Expected either --bucket (verify uploads its own originals) or --image/--private-image/--svg, not both');
  }
  if (v['private-image'] !== undefined && !v['private-image'].startsWith('private/')) {
    throw new BadInput(`Expected a key under private/ for --private-image but received ${JSON.stringify(v['private-image'])}`);
  }
  const cleanupSeconds = Number(v['cleanup-timeout']);
  if (!Number.isInteger(cleanupSeconds) || cleanupSeconds < 1) {
    throw new BadInput(`Expected whole seconds for --cleanup-timeout but received ${JSON.stringify(v['cleanup-timeout'])}`);
  }
  return {
    base: url.origin,
    ...(signer ? { signer } : {}),
    ...(v.bucket ? { bucket: v.bucket } : {}),
    ...(v.region ? { region: v.region } : {}),
    ...(v['s3-endpoint'] ? { endpoint: v['s3-endpoint'] } : {}),
    ...(v.image ? { image: v.image.replace(/^\//, '') } : {}),
    ...(v['private-image'] ? { privateImage: v['private-image'] } : {}),
    ...(v.svg ? { svg: v.svg.replace(/^\//, '') } : {}),
    cleanupTimeoutMs: cleanupSeconds * 1000,
    json: v.json,
  };
}

/** Runs one row; a thrown error (a connection reset, an S3 error) fails that row, not the run. */
async function run(id: RowId, row: () => Promise<RowResult>): Promise<RowResult> {
  try {
    return await row();
  } catch (error) {
    return result(id, 'fail', `${error instanceof HttpFailure ? '' : `${(error as Error).name}: `}${(error as Error).message}`);
  }
}

/** The largest allowed box: its PNG of noise is the over-cap variant. */
function largestSize(sizes: readonly string[]): { size: string; width: number; height: number } {
  const boxes = sizes.map((size) => ({ size, width: Number(size.split('x')[0]), height: Number(size.split('x')[1]) }));
  return boxes.reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
}

async function rows(options: Options, sizes: string[], io: VerifyIo): Promise<RowResult[]> {
  const hints = {
    originals: 'give --bucket NAME to upload test originals, or --image/--private-image/--svg KEY',
    keys: 'give --sign-key FILE --key-pair-id ID',
  };
  const s3 = options.bucket ? new BucketSession({ bucket: options.bucket, region: options.region, endpoint: options.endpoint }) : undefined;
  let uploading = false;
  let unhook: (() => void) | undefined;
  try {
    const ctxBase = { base: options.base, sizes, hints, ...(options.signer ? { signer: options.signer } : {}) };
    let ctx: Context;
    let big: OverCap | undefined;
    let replacement: Buffer | undefined;
    const box = largestSize(sizes);
    if (s3) {
      await s3.check();
      uploading = true;
      unhook = io.onInterrupt?.(async () => {
        const removed = await s3.removeAll();
        io.stderr(`verify: interrupted; removed ${removed} objects under verify's prefixes in ${options.bucket}`);
      });
      const made = await makeOriginals(box);
      const photo: Original = { key: `${s3.prefix}photo.jpg`, bytes: made.photo };
      const svg: Original = { key: `${s3.prefix}drawing.svg`, bytes: made.svg };
      const privatePhoto: Original = { key: `${s3.privatePrefix}photo.jpg`, bytes: made.photo };
      big = { key: `${s3.prefix}noise.jpg`, privateKey: `${s3.privatePrefix}noise.jpg`, size: box.size };
      io.stderr(`verify: uploading 5 test originals to ${options.bucket} under ${s3.prefix} and ${s3.privatePrefix}`);
      await s3.put(photo.key, made.photo, 'image/jpeg');
      await s3.put(svg.key, made.svg, 'image/svg+xml');
      await s3.put(privatePhoto.key, made.photo, 'image/jpeg');
      await s3.put(big.key, made.big, 'image/jpeg');
      await s3.put(big.privateKey, made.big, 'image/jpeg');
      replacement = made.replacement;
      ctx = { ...ctxBase, photo, svg, privatePhoto };
    } else {
      ctx = {
        ...ctxBase,
        ...(options.image ? { photo: { key: options.image } } : {}),
        ...(options.svg ? { svg: { key: options.svg } } : {}),
        ...(options.privateImage ? { privatePhoto: { key: options.privateImage } } : {}),
      };
    }
    const noBucket = (id: RowId) => async () => result(id, 'skip', 'skipped: needs --bucket NAME (a test original of its own)');
    const out: RowResult[] = [];
    const plan: [RowId, () => Promise<RowResult>][] = [
      ['size-400', () => size400(ctx)],
      ['thumbnail-miss-hit', () => thumbnailMissHit(ctx)],
      ['negotiate-avif', () => negotiateAvif(ctx)],
      ['negotiate-webp', () => negotiateWebp(ctx)],
      ['negotiate-neither', () => negotiateNeither(ctx)],
      ['original-untouched', () => originalUntouched(ctx)],
      ['missing-404', () => missing404(ctx)],
      ['compressed-svg', () => compressedSvg(ctx)],
      ['cors-security-headers', () => corsSecurityHeaders(ctx)],
      ['private-unsigned-403', () => privateUnsigned(ctx)],
      ['private-preflight-403', () => privatePreflight(ctx)],
      ['private-signed-url', () => privateSignedUrl(ctx)],
      ['private-signed-cookies', () => privateSignedCookies(ctx)],
      ['over-cap-public', big ? () => overCapPublic(ctx, big) : noBucket('over-cap-public')],
      ['over-cap-private', big ? () => overCapPrivate(ctx, big) : noBucket('over-cap-private')],
      [
        'cleanup-on-replace',
        s3 && ctx.photo && replacement
          ? () => cleanupOnReplace(ctx, s3, ctx.photo!.key, replacement, options.cleanupTimeoutMs)
          : noBucket('cleanup-on-replace'),
      ],
    ];
    for (const [id, row] of plan) {
      const done = await run(id, row);
      out.push(done);
      if (!options.json) io.stderr(`verify: ${done.outcome} ${id}`);
    }
    return out;
  } finally {
    unhook?.();
    // Only after the checks passed has verify written anything of its own.
    if (s3 && !uploading) s3.close();
    if (s3 && uploading) {
      const removed = await s3.removeAll();
      io.stderr(`verify: removed ${removed} objects under verify's prefixes in ${options.bucket}`);
      s3.close();
    }
  }
}

/** The whole CLI as a function: returns the exit code (0 pass, 1 a row failed, 2 bad input or not this pack). */
export async function runVerify(argv: readonly string[], io: VerifyIo): Promise<{ code: number; report?: Report }> {
  let options: Options | 'help';
  try {
    options = await parse(argv);
  } catch (error) {
    io.stderr(`verify: ${(error as Error).message}\n${USAGE}`);
    return { code: 2 };
  }
  if (options === 'help') {
    io.stdout(USAGE);
    return { code: 0 };
  }
  let sizes: string[];
  try {
    const pack = await detectPack(options.base);
    if ('notPack' in pack) {
      io.stderr(`verify: ${options.base} does not answer as an edge-images distribution, nothing was changed. ${pack.notPack}`);
      return { code: 2 };
    }
    sizes = pack.sizes;
  } catch (error) {
    io.stderr(`verify: ${(error as Error).message}; nothing was changed`);
    return { code: 2 };
  }
  let done: RowResult[];
  try {
    done = await rows(options, sizes, io);
  } catch (error) {
    // Only the bucket's setup throws here (the rows catch their own): nothing of verify's is left behind.
    io.stderr(`verify: ${(error as Error).message}`);
    return { code: 2 };
  }
  const r = report(options.base, done);
  io.stdout(options.json ? JSON.stringify(r, null, 2) : renderTable(r));
  return { code: r.failed > 0 ? 1 : 0, report: r };
}

// Entry point when run as `node infra/build/run.mjs infra/tools/verify.ts ...` (bundled to verify.mjs).
if (/[\\/]verify\.(?:mjs|ts)$/.test(process.argv[1] ?? '')) {
  const onInterrupt = (removeUploads: () => Promise<void>) => {
    const stop = () => {
      removeUploads().then(
        () => process.exit(130),
        (error: unknown) => {
          console.error(`verify: interrupted, and the test originals could not be removed: ${(error as Error).message}`);
          process.exit(130);
        },
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    };
  };
  runVerify(process.argv.slice(2), { stdout: (text) => console.log(text), stderr: (text) => console.error(text), onInterrupt }).then(
    ({ code }) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error('verify:', error);
      process.exitCode = 2;
    },
  );
}
