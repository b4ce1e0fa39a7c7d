/**
 * CloudFront compression (ServingCompressedFiles.html): whether a response is compressed, with which
 * coding, and the compressed response. The decision is pure; the coding itself is node:zlib's Brotli
 * and gzip.
 */
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { CloudFrontHeaders } from 'aws-lambda';
import type { BehaviorSpec } from '../../distribution.ts';
import { compressionKeyed, normalizeAcceptEncoding } from './forwarding.ts';

export const MIN_COMPRESSED_BYTES = 1_000;
export const MAX_COMPRESSED_BYTES = 10_000_000;
/** The statuses whose responses CloudFront compresses. */
export const COMPRESSED_STATUSES: readonly number[] = [200, 403, 404];

/** The Content-Type values CloudFront compresses ("File types that CloudFront compresses"). */
const COMPRESSIBLE_TYPES: readonly string[] = [
  'application/dash+xml',
  'application/eot',
  'application/font',
  'application/font-sfnt',
  'application/javascript',
  'application/json',
  'application/opentype',
  'application/otf',
  'application/pkcs7-mime',
  'application/protobuf',
  'application/rss+xml',
  'application/truetype',
  'application/ttf',
  'application/vnd.apple.mpegurl',
  'application/vnd.mapbox-vector-tile',
  'application/vnd.ms-fontobject',
  'application/xhtml+xml',
  'application/xml',
  'application/x-font-opentype',
  'application/x-font-truetype',
  'application/x-font-ttf',
  'application/x-httpd-cgi',
  'application/x-javascript',
  'application/x-mpegurl',
  'application/x-opentype',
  'application/x-otf',
  'application/x-perl',
  'application/x-ttf',
  'font/eot',
  'font/opentype',
  'font/otf',
  'font/ttf',
  'image/svg+xml',
  'text/css',
  'text/csv',
  'text/html',
  'text/javascript',
  'text/js',
  'text/plain',
  'text/richtext',
  'text/tab-separated-values',
  'text/xml',
  'text/x-component',
  'text/x-java-source',
  'text/x-script',
  'vnd.apple.mpegurl',
];

export interface CompressionInput {
  readonly behavior: Pick<BehaviorSpec, 'cachePolicy' | 'compress'>;
  /** The viewer's Accept-Encoding (after the viewer-request function), if any. */
  readonly acceptEncoding: string | undefined;
  /** The viewer's HTTP version: CloudFront never compresses for HTTP/1.0. */
  readonly httpVersion: string;
  readonly status: number;
  readonly headers: CloudFrontHeaders;
  readonly bodyBytes: number;
}

export type Decision = { readonly coding: 'br' | 'gzip' } | { readonly coding: undefined; readonly reason: string };

export function compressionFor(input: CompressionInput): Decision {
  const { behavior, headers } = input;
  if (!behavior.compress) return skip('the behavior does not compress objects');
  if (!compressionKeyed(behavior.cachePolicy)) return skip('the cache policy does not normalize Accept-Encoding (or lists it)');
  if (input.httpVersion === '1.0') return skip('HTTP/1.0 request');
  const encoding = normalizeAcceptEncoding(behavior.cachePolicy, input.acceptEncoding);
  if (encoding === undefined || encoding === 'identity') return skip('the viewer accepts neither br nor gzip');
  if (!COMPRESSED_STATUSES.includes(input.status)) return skip(`status ${input.status}`);
  if (headers['content-encoding'] !== undefined) return skip('already encoded by the origin');
  const type = headers['content-type']?.[0]?.value.split(';')[0]?.trim().toLowerCase();
  if (type === undefined || !COMPRESSIBLE_TYPES.includes(type)) return skip(`type ${type ?? '(none)'} is not compressible`);
  const declared = headers['content-length']?.[0]?.value;
  const length = declared !== undefined && /^\d+$/.test(declared) ? Number(declared) : undefined;
  if (length === undefined) return skip('no valid Content-Length');
  if (length < MIN_COMPRESSED_BYTES || length > MAX_COMPRESSED_BYTES) return skip(`${length} bytes is outside 1,000-10,000,000`);
  if (input.bodyBytes === 0) return skip('no body');
  return { coding: encoding.startsWith('br') ? 'br' : 'gzip' };
}

function skip(reason: string): Decision {
  return { coding: undefined, reason };
}

/**
 * The compressed response: the body encoded, Content-Encoding and Content-Length set, Vary gaining
 * Accept-Encoding (a named choice: AWS does not say), and the ETag made weak as CloudFront does (a
 * strong one gains `W/`, a weak one is kept, an invalid one is removed).
 */
export function compress(coding: 'br' | 'gzip', headers: CloudFrontHeaders, body: Buffer): { headers: CloudFrontHeaders; body: Buffer } {
  const encoded =
    coding === 'br'
      ? brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_SIZE_HINT]: body.byteLength, [constants.BROTLI_PARAM_QUALITY]: 5 } })
      : gzipSync(body, { level: 6 });
  const out: CloudFrontHeaders = structuredClone(headers);
  out['content-encoding'] = [{ key: 'Content-Encoding', value: coding }];
  out['content-length'] = [{ key: 'Content-Length', value: String(encoded.byteLength) }];
  const etag = out['etag']?.[0]?.value;
  if (etag !== undefined) {
    if (etag.startsWith('"')) out['etag'] = [{ key: out['etag']![0]!.key ?? 'ETag', value: `W/${etag}` }];
    else if (!etag.startsWith('W/')) delete out['etag'];
  }
  const vary = (out['vary'] ?? []).map((v) => v.value).join(', ');
  if (!/(^|,)\s*accept-encoding\s*(,|$)/i.test(vary)) out['vary'] = [{ key: 'Vary', value: vary ? `${vary}, Accept-Encoding` : 'Accept-Encoding' }];
  return { headers: out, body: encoded };
}
