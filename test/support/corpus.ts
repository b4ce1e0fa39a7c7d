/**
 * The bad-input corpus: what attackers and broken clients send an image CDN, each with the status the
 * viewer gets through the local edge and who answers it. Paths are raw: they go on the wire exactly as
 * written (see rawGet), percent-escapes and all.
 *
 *   viewer-request  image-request / signed-url answered it (400, 403): nothing reached the cache,
 *                   an origin or S3
 *   edge            the edge itself refused it (a method the behavior does not allow: 403; a request
 *                   target that is not a path: 400)
 *   node            the edge's HTTP server refused it before any CloudFront logic (431, 400)
 *   origin          it was valid, went on, and S3 / image-resize answered (404 for a key that does not
 *                   exist, 200 for a valid request, 413/415/422 for a crafted original)
 */
import { deflateSync } from 'node:zlib';
import { TEST_RSA_PUBLIC_KEY } from '../../infra/keys.ts';

type AnsweredBy = 'viewer-request' | 'edge' | 'node' | 'origin';

export interface BadInput {
  readonly name: string;
  readonly path: string;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Bytes sent as they are on a raw socket, for what no HTTP client will send (control bytes, bad methods). */
  readonly raw?: Buffer;
  readonly status: number;
  readonly by: AnsweredBy;
  /** A phrase of the public message (viewer-request answers). */
  readonly says?: RegExp;
}

const KEY = 'photos/cat.jpg';
const long = (n: number) => 'a'.repeat(n);

const traversal: BadInput[] = [
  { name: 'dot-dot segment', path: '/128x128/photos/../secret.jpg', status: 400, by: 'viewer-request', says: /no empty, "\." or "\.\." segments/ },
  { name: 'encoded dot-dot', path: '/128x128/photos/%2e%2e/%2e%2e/etc/passwd', status: 400, by: 'viewer-request' },
  { name: 'upper-case encoded dot-dot', path: '/128x128/photos/%2E%2E/secret.jpg', status: 400, by: 'viewer-request' },
  { name: 'mixed encoded dot-dot', path: '/128x128/photos/.%2e/secret.jpg', status: 400, by: 'viewer-request' },
  { name: 'encoded slash and dot-dot', path: '/photos/..%2F..%2Fsecret.jpg?w=640', status: 400, by: 'viewer-request' },
  { name: 'encoded slash on an original', path: '/photos/%2e%2e%2fprivate%2fvault.jpg', status: 400, by: 'viewer-request' },
  { name: 'raw backslashes', path: '/128x128/photos\\..\\secret.jpg', status: 400, by: 'viewer-request', says: /no backslashes/ },
  { name: 'encoded backslashes', path: '/128x128/photos%5C..%5Csecret.jpg', status: 400, by: 'viewer-request', says: /no backslashes/ },
  // Decoded once: the literal key segment `%2e%2e`, which does not exist.
  { name: 'double-encoded dot-dot', path: '/128x128/photos/%252e%252e/secret.jpg', status: 404, by: 'origin' },
  { name: 'double-encoded traversal to a private original', path: '/photos/%252e%252e%252fprivate%252fvault.jpg', status: 404, by: 'origin' },
  { name: 'dot segment', path: '/./photos/cat.jpg', status: 400, by: 'viewer-request' },
  { name: 'empty leading segment', path: '//photos/cat.jpg', status: 400, by: 'viewer-request' },
  { name: 'empty inner segment', path: '/photos//cat.jpg?w=320', status: 400, by: 'viewer-request' },
  { name: 'trailing dot-dot', path: '/photos/cat.jpg/..', status: 400, by: 'viewer-request' },
  { name: 'overlong UTF-8 slash', path: '/photos/..%c0%afsecret.jpg', status: 400, by: 'viewer-request', says: /valid percent-encoded UTF-8/ },
  { name: 'overlong UTF-8 dots', path: '/photos/%c0%ae%c0%ae/secret.jpg', status: 400, by: 'viewer-request' },
  // Unicode lookalikes are other keys, never `..` or `/`: no normalisation is applied.
  { name: 'two-dot leader', path: '/photos/%E2%80%A5/cat.jpg', status: 404, by: 'origin' },
  { name: 'fullwidth full stops', path: '/128x128/photos/%EF%BC%8E%EF%BC%8E/secret.jpg', status: 404, by: 'origin' },
  { name: 'division slash', path: '/photos/..%E2%88%95secret.jpg?w=320', status: 404, by: 'origin' },
  { name: 'NFD spelling of an NFC key', path: '/photos/cafe%CC%81%20au%20lait.jpg?w=320&fm=jpg', status: 404, by: 'origin' },
  { name: 'NFC spelling (the stored key)', path: '/photos/caf%C3%A9%20au%20lait.jpg?w=320&fm=jpg', status: 200, by: 'origin' },
  { name: 'traversal into private', path: '/photos/..%2Fprivate/vault.jpg', status: 400, by: 'viewer-request' },
  // Behaviors match on the normalized path (CloudFront normalizes before matching): `%70` is `p`.
  { name: 'encoded letter to dodge the private behavior', path: '/%70rivate/vault.jpg', status: 403, by: 'viewer-request', says: /Missing Key-Pair-Id/ },
  { name: 'preset on a private key', path: '/thumb/private/vault.jpg', status: 403, by: 'viewer-request' },
  { name: 'query form on a private key', path: '/private%2Fvault.jpg?w=320', status: 403, by: 'viewer-request' },
  // Normalized to /photos/cat.jpg, the public behavior; image-request refuses the raw dot segments.
  { name: 'private behavior, traversal out', path: '/private/%2e%2e/photos/cat.jpg', status: 400, by: 'viewer-request' },
  {
    name: 'non-canonical derived private key',
    path: '/_derived/%70rivate/vault.jpg/128x128-cover-q75.webp',
    status: 403,
    by: 'viewer-request',
    says: /Missing Key-Pair-Id/,
  },
  { name: 'case variant of a private key', path: '/PRIVATE/vault.jpg', status: 404, by: 'origin' },
];

const forgedSignatures: BadInput[] = [
  { name: 'private, unsigned', path: '/private/vault.jpg', status: 403, by: 'viewer-request', says: /Missing Key-Pair-Id/ },
  { name: 'private derived, unsigned', path: '/_derived/private/vault.jpg/128x128-cover-q75.webp', status: 403, by: 'viewer-request' },
  {
    name: 'forged canned signature',
    path: `/private/vault.jpg?Expires=4102444800&Signature=${'A'.repeat(342)}__&Key-Pair-Id=${TEST_RSA_PUBLIC_KEY.id}`,
    status: 403,
    by: 'viewer-request',
    says: /signature does not match/,
  },
  {
    name: 'unknown key pair',
    path: '/private/vault.jpg?Expires=4102444800&Signature=AAAA&Key-Pair-Id=KFORGED',
    status: 403,
    by: 'viewer-request',
    says: /Unknown Key/,
  },
  {
    name: 'garbage signature',
    path: `/private/vault.jpg?Expires=4102444800&Signature=%3Cscript%3E&Key-Pair-Id=${TEST_RSA_PUBLIC_KEY.id}`,
    status: 403,
    by: 'viewer-request',
  },
  {
    name: 'repeated signing parameter',
    path: `/private/vault.jpg?Expires=1&Expires=4102444800&Signature=AAAA&Key-Pair-Id=${TEST_RSA_PUBLIC_KEY.id}`,
    status: 403,
    by: 'viewer-request',
  },
  {
    name: 'oversized custom policy',
    path: `/private/vault.jpg?Policy=${long(4000)}&Signature=AAAA&Key-Pair-Id=${TEST_RSA_PUBLIC_KEY.id}`,
    status: 403,
    by: 'viewer-request',
  },
  {
    name: 'forged signing cookies',
    path: '/private/vault.jpg',
    headers: { Cookie: `CloudFront-Expires=4102444800; CloudFront-Signature=${'B'.repeat(344)}; CloudFront-Key-Pair-Id=${TEST_RSA_PUBLIC_KEY.id}` },
    status: 403,
    by: 'viewer-request',
  },
];

const overlong: BadInput[] = [
  { name: 'key of 1,025 bytes', path: `/photos/${long(1014)}.jpg`, status: 400, by: 'viewer-request', says: /at most 1024 bytes/ },
  {
    name: 'key too long for its thumbnail key',
    path: `/photos/${long(1000)}.jpg?w=320`,
    status: 400,
    by: 'viewer-request',
    says: /whose thumbnail key fits in 1024 bytes/,
  },
  { name: 'multi-byte key over 1,024 bytes', path: `/photos/${'%C3%A9'.repeat(520)}.jpg`, status: 400, by: 'viewer-request', says: /at most 1024 bytes/ },
  { name: 'URL of 7,000 bytes', path: `/128x128/${long(7000)}.jpg`, status: 400, by: 'viewer-request' },
  // CloudFront: a URL over 8,192 bytes is a 413.
  { name: 'URL of 20,000 bytes', path: `/${long(20_000)}.jpg`, status: 413, by: 'edge' },
];

const controls: BadInput[] = [
  { name: 'NUL', path: '/photos/cat%00.jpg', status: 400, by: 'viewer-request', says: /no control characters/ },
  { name: 'line feed (log injection)', path: '/photos/cat%0a%7B%22outcome%22%3A%22ok%22%7D.jpg?w=320', status: 400, by: 'viewer-request' },
  { name: 'CR LF (header injection)', path: '/photos/cat%0d%0aSet-Cookie:%20x=1.jpg', status: 400, by: 'viewer-request' },
  { name: 'DEL', path: '/photos/cat%7f.jpg', status: 400, by: 'viewer-request' },
  { name: 'C1 next line', path: '/photos/cat%C2%85.jpg', status: 400, by: 'viewer-request' },
  { name: 'C1 CSI (terminal escape)', path: '/photos/cat%C2%9B31m.jpg?w=320', status: 400, by: 'viewer-request' },
  { name: 'invalid UTF-8 byte', path: '/photos/%ff.jpg', status: 400, by: 'viewer-request', says: /valid percent-encoded UTF-8/ },
  { name: 'encoded surrogate', path: '/photos/%ED%A0%80.jpg', status: 400, by: 'viewer-request' },
  { name: 'replacement character', path: '/photos/%EF%BF%BD.jpg', status: 400, by: 'viewer-request', says: /valid UTF-8/ },
  { name: 'truncated escape', path: '/photos/cat%.jpg', status: 400, by: 'viewer-request' },
  { name: 'half escape', path: '/photos/cat%2.jpg', status: 400, by: 'viewer-request' },
  { name: 'NUL in a parameter', path: `/${KEY}?w=320%00`, status: 400, by: 'viewer-request' },
  { name: 'line feed in a parameter', path: `/${KEY}?w=320&fm=jpg%0a`, status: 400, by: 'viewer-request' },
  {
    name: 'raw control byte in the request line',
    path: '/photos/a\u0001b.jpg',
    raw: Buffer.from('GET /photos/a\u0001b.jpg HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 'latin1'),
    status: 400,
    by: 'node',
  },
  {
    name: 'raw invalid UTF-8 in the request line',
    path: '/photos/\u00ff.jpg',
    raw: Buffer.concat([Buffer.from('GET /photos/'), Buffer.from([0xff, 0xfe]), Buffer.from('.jpg HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')]),
    status: 400,
    by: 'node',
  },
];

const pollution: BadInput[] = [
  { name: 'repeated w', path: `/${KEY}?w=128&w=256`, status: 400, by: 'viewer-request', says: /a single value for w/ },
  { name: 'repeated h, same value', path: `/${KEY}?w=128&h=128&h=128`, status: 400, by: 'viewer-request' },
  { name: 'repeated fm', path: `/${KEY}?w=320&fm=jpg&fm=webp`, status: 400, by: 'viewer-request' },
  { name: 'upper-case W beside w', path: `/${KEY}?w=320&W=640`, status: 400, by: 'viewer-request', says: /only the image parameters/ },
  { name: 'unknown parameter beside w', path: `/${KEY}?w=320&x=1`, status: 400, by: 'viewer-request' },
  { name: 'size parameter beside the path form', path: `/128x128/${KEY}?w=64`, status: 400, by: 'viewer-request' },
  { name: 'semicolon separator', path: `/${KEY}?w=320;h=240`, status: 400, by: 'viewer-request' },
  { name: 'empty h', path: `/${KEY}?w=320&&&h=`, status: 400, by: 'viewer-request' },
  // Not image parameters: the original, as a cache-buster would (the query is not in the cache key).
  { name: 'array-style name', path: `/${KEY}?w[]=320`, status: 200, by: 'origin' },
  // An escaped name is the same name: the one canonical URI.
  { name: 'percent-encoded name', path: `/${KEY}?%77=320&fm=jpg`, status: 200, by: 'origin' },
];

const sizes: BadInput[] = [
  { name: 'huge box', path: `/99999x99999/${KEY}`, status: 400, by: 'viewer-request', says: /allowed sizes/ },
  { name: 'box outside the allowlist', path: `/100x100/${KEY}`, status: 400, by: 'viewer-request' },
  { name: 'almost an allowed box', path: `/64x65/${KEY}`, status: 400, by: 'viewer-request' },
  // Not a size segment at all: read as an original key, which does not exist.
  { name: 'six-digit box', path: `/999999x999999/${KEY}`, status: 404, by: 'origin' },
  { name: 'negative box', path: `/-128x128/${KEY}`, status: 404, by: 'origin' },
  { name: 'zero box', path: `/0x0/${KEY}`, status: 404, by: 'origin' },
  { name: 'fractional box', path: `/128.5x128/${KEY}`, status: 404, by: 'origin' },
  { name: 'negative w', path: `/${KEY}?w=-320`, status: 400, by: 'viewer-request', says: /a positive whole number/ },
  { name: 'fractional w', path: `/${KEY}?w=320.5`, status: 400, by: 'viewer-request' },
  { name: 'exponent w', path: `/${KEY}?w=1e3`, status: 400, by: 'viewer-request' },
  { name: 'hex w', path: `/${KEY}?w=0x140`, status: 400, by: 'viewer-request' },
  { name: 'leading zero w', path: `/${KEY}?w=0320`, status: 400, by: 'viewer-request' },
  { name: 'padded w', path: `/${KEY}?w=%20320`, status: 400, by: 'viewer-request' },
  { name: '20-digit w', path: `/${KEY}?w=99999999999999999999`, status: 400, by: 'viewer-request' },
  { name: 'Infinity w', path: `/${KEY}?w=Infinity`, status: 400, by: 'viewer-request' },
  { name: 'NaN w', path: `/${KEY}?w=NaN`, status: 400, by: 'viewer-request' },
  { name: 'width outside the allowlist', path: `/${KEY}?w=100`, status: 400, by: 'viewer-request', says: /allowed widths/ },
  { name: 'dpr 0', path: `/${KEY}?w=320&dpr=0`, status: 400, by: 'viewer-request' },
  { name: 'negative dpr', path: `/${KEY}?w=320&dpr=-1`, status: 400, by: 'viewer-request' },
  { name: 'dpr over the maximum', path: `/${KEY}?w=320&dpr=3.01`, status: 400, by: 'viewer-request' },
  { name: 'dpr that leaves the allowlist', path: `/${KEY}?w=1920&dpr=2.5`, status: 400, by: 'viewer-request' },
  { name: 'quality outside the allowlist', path: `/${KEY}?w=320&q=101`, status: 400, by: 'viewer-request' },
  { name: 'fractional quality', path: `/${KEY}?w=320&q=75.0`, status: 400, by: 'viewer-request' },
];

const formats: BadInput[] = [
  { name: 'bmp', path: `/${KEY}?w=320&fm=bmp`, status: 400, by: 'viewer-request', says: /one of auto/ },
  { name: 'upper-case AVIF', path: `/${KEY}?w=320&fm=AVIF`, status: 400, by: 'viewer-request' },
  { name: 'JPEG XL', path: `/${KEY}?w=320&fm=jxl`, status: 400, by: 'viewer-request' },
  { name: 'SVG output', path: `/${KEY}?w=320&fm=svg`, status: 400, by: 'viewer-request' },
  { name: 'empty fm', path: `/${KEY}?w=320&fm=`, status: 400, by: 'viewer-request' },
  { name: 'unknown fit', path: `/${KEY}?w=320&h=240&fit=stretch`, status: 400, by: 'viewer-request' },
  { name: 'unknown position', path: `/${KEY}?w=256&h=256&pos=%3Cscript%3E`, status: 400, by: 'viewer-request' },
  { name: 'derived with an unknown format', path: `/_derived/${KEY}/128x128-cover-q75.bmp`, status: 400, by: 'viewer-request' },
];

const derived: BadInput[] = [
  { name: 'canonical derived URI', path: `/_derived/${KEY}/128x128-cover-q75.webp`, status: 200, by: 'origin' },
  { name: 'derived size outside the allowlist', path: `/_derived/${KEY}/4000x4000-cover-q75.webp`, status: 400, by: 'viewer-request' },
  { name: 'derived jpeg spelling', path: `/_derived/${KEY}/128x128-cover-q75.jpeg`, status: 400, by: 'viewer-request' },
  { name: 'derived with the default position spelled', path: `/_derived/${KEY}/128x128-cover-centre-q75.webp`, status: 400, by: 'viewer-request' },
  { name: 'derived with a flag no preset grants', path: `/_derived/${KEY}/128x128-cover-q75-enlarge.webp`, status: 400, by: 'viewer-request' },
  { name: 'derived prefix alone', path: '/_derived/', status: 400, by: 'viewer-request' },
  { name: 'derived prefix as a key', path: '/_derived', status: 400, by: 'viewer-request' },
  { name: 'derived of a derived', path: `/_derived/_derived/${KEY}/128x128-cover-q75.webp/128x128-cover-q75.webp`, status: 400, by: 'viewer-request' },
  { name: 'encoded underscore', path: `/%5Fderived/${KEY}/128x128-cover-q75.webp`, status: 400, by: 'viewer-request', says: /derived key/ },
  { name: 'resize of a derived key', path: `/128x128/_derived/${KEY}/64x64-cover-q75.webp`, status: 400, by: 'viewer-request' },
  { name: 'parameters on a derived URI', path: `/_derived/${KEY}/128x128-cover-q75.webp?w=64`, status: 400, by: 'viewer-request' },
  { name: 'derived without a variant', path: `/_derived/${KEY}`, status: 400, by: 'viewer-request' },
  { name: 'derived of a missing original', path: '/_derived/photos/missing.jpg/128x128-cover-q75.webp', status: 404, by: 'origin' },
];

const methods: BadInput[] = [
  ...['DELETE', 'PUT', 'POST', 'PATCH', 'TRACE', 'PROPFIND'].map(
    (method): BadInput => ({ name: `${method} an original`, method, path: `/${KEY}`, status: 403, by: 'edge' }),
  ),
  { name: 'PUT a derived key', method: 'PUT', path: `/_derived/${KEY}/128x128-cover-q75.webp`, status: 403, by: 'edge' },
  { name: 'DELETE a derived key', method: 'DELETE', path: `/_derived/${KEY}/128x128-cover-q75.webp`, status: 403, by: 'edge' },
  { name: 'POST a multi-delete', method: 'POST', path: '/photos?delete', status: 403, by: 'edge' },
  { name: 'HEAD a thumbnail', method: 'HEAD', path: `/128x128/${KEY}`, status: 200, by: 'origin' },
  { name: 'OPTIONS preflight with a traversal', method: 'OPTIONS', path: '/photos/%2e%2e/%2e%2e/x', status: 400, by: 'viewer-request' },
  { name: 'lower-case method', path: `/${KEY}`, raw: Buffer.from(`get /${KEY} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`), status: 400, by: 'node' },
  {
    name: 'asterisk request target',
    method: 'OPTIONS',
    path: '*',
    raw: Buffer.from('OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    status: 400,
    by: 'edge',
  },
  {
    name: 'absolute-form request target',
    path: 'http://169.254.169.254/latest/meta-data/',
    raw: Buffer.from('GET http://169.254.169.254/latest/meta-data/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    status: 400,
    by: 'edge',
  },
];

const headers: BadInput[] = [
  // CloudFront: a request line and headers over 20,480 bytes is a 413.
  { name: 'a 21 KB header', path: `/128x128/${KEY}`, headers: { 'X-Big': long(21_000) }, status: 413, by: 'edge' },
  {
    name: '3,000 headers',
    path: `/128x128/${KEY}`,
    raw: Buffer.from(
      `GET /128x128/${KEY} HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`).join('\r\n')}\r\nConnection: close\r\n\r\n`,
    ),
    status: 413,
    by: 'edge',
  },
  { name: 'an 8 KB Accept of junk', path: `/128x128/${KEY}`, headers: { Accept: `image/${long(8000)};q=2, */*;q=-1` }, status: 200, by: 'origin' },
  {
    name: 'many junk CloudFront cookies on a public image',
    path: `/128x128/${KEY}`,
    headers: { Cookie: Array.from({ length: 100 }, (_, i) => `CloudFront-Policy${i}=x`).join('; ') },
    status: 200,
    by: 'origin',
  },
  // CloudFront sets the geo headers itself; the viewer's own are never honoured (see the test).
  {
    name: 'forged CloudFront-Viewer-Country',
    path: '/256x256/photos/cat.jpg',
    headers: { 'CloudFront-Viewer-Country': 'DE', 'CloudFront-Viewer-Country-Region': 'BE' },
    status: 200,
    by: 'origin',
  },
  {
    name: 'forged X-Forwarded-For and Via',
    path: `/${KEY}`,
    headers: { 'X-Forwarded-For': '127.0.0.1, 10.0.0.1', Via: '1.1 evil', 'X-Amz-Cf-Id': 'forged' },
    status: 200,
    by: 'origin',
  },
];

/** Originals crafted to hurt a resizer: uploaded by the tests, then asked for as thumbnails. */
export const CRAFTED_ORIGINALS = {
  'crafted/text.jpg': { status: 415, make: () => Buffer.from('this is not an image, whatever the extension says\n') },
  'crafted/empty.png': { status: 422, make: () => Buffer.alloc(0) },
  'crafted/bomb.png': { status: 413, make: () => pngHeader(60_000, 60_000) },
} as const;

export function craftedInputs(truncatedJpeg: string): BadInput[] {
  return [
    ...Object.entries(CRAFTED_ORIGINALS).map(
      ([key, { status }]): BadInput => ({ name: `crafted original ${key}`, path: `/128x128/${key}`, status, by: 'origin' }),
    ),
    { name: 'truncated JPEG', path: `/128x128/${truncatedJpeg}?fm=jpg`, status: 422, by: 'origin' },
  ];
}

export const CORPUS: readonly BadInput[] = [
  ...traversal,
  ...forgedSignatures,
  ...overlong,
  ...controls,
  ...pollution,
  ...sizes,
  ...formats,
  ...derived,
  ...methods,
  ...headers,
];

/** A well-formed PNG of a few hundred bytes claiming `width` x `height` RGBA pixels: a decompression bomb. */
function pngHeader(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(Buffer.alloc(4096))), pngChunk('IEND', Buffer.alloc(0))]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.byteLength, 0);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type), data])) >>> 0, 0);
  return Buffer.concat([length, Buffer.from(type), data, crc]);
}

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return crc ^ 0xffffffff;
}
