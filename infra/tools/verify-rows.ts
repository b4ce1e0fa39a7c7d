/**
 * The rows of `npm run verify`: what each proves and the AWS page behind it, the outcome of a run,
 * and its two renderings (a table for people, JSON for CI).
 */

export type RowId =
  | 'size-400'
  | 'thumbnail-miss-hit'
  | 'negotiate-avif'
  | 'negotiate-webp'
  | 'negotiate-neither'
  | 'original-untouched'
  | 'missing-404'
  | 'compressed-svg'
  | 'cors-security-headers'
  | 'private-unsigned-403'
  | 'private-preflight-403'
  | 'private-signed-url'
  | 'private-signed-cookies'
  | 'over-cap-public'
  | 'over-cap-private'
  | 'cleanup-on-replace';

export interface RowSpec {
  readonly id: RowId;
  /** What a pass proves, in a line. */
  readonly proves: string;
  /** The AWS documentation page the behaviour comes from. */
  readonly page: string;
}

const GUIDE = 'https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide';

/** Every row, in the order they run and print. */
export const ROWS: readonly RowSpec[] = [
  {
    id: 'size-400',
    proves: 'a size outside the allowlist is a 400 naming the allowed sizes, answered by the viewer-request function',
    page: `${GUIDE}/lambda-generating-http-responses.html`,
  },
  {
    id: 'thumbnail-miss-hit',
    proves: 'a new thumbnail is a Miss, then a Hit, with Vary: Accept and a one-year Cache-Control',
    page: `${GUIDE}/Expiration.html`,
  },
  { id: 'negotiate-avif', proves: 'Accept naming image/avif gets AVIF (fm=auto)', page: `${GUIDE}/controlling-the-cache-key.html` },
  { id: 'negotiate-webp', proves: 'Accept naming image/webp but not AVIF gets WebP', page: `${GUIDE}/controlling-the-cache-key.html` },
  { id: 'negotiate-neither', proves: 'Accept naming neither gets the original format (JPEG)', page: `${GUIDE}/controlling-the-cache-key.html` },
  {
    id: 'original-untouched',
    proves: 'an original with no image parameter passes through byte for byte',
    page: `${GUIDE}/RequestAndResponseBehaviorS3Origin.html#ResponseBehaviorS3Origin`,
  },
  {
    id: 'missing-404',
    proves: 'a thumbnail of a missing original is a 404 (S3 says 403 or 404; image-resize answers 404)',
    page: `${GUIDE}/HTTPStatusCodes.html#HTTPStatusCodes-cached-errors`,
  },
  {
    id: 'compressed-svg',
    proves: 'an SVG original comes brotli- or gzip-compressed and decodes to the original bytes',
    page: `${GUIDE}/ServingCompressedFiles.html`,
  },
  {
    id: 'cors-security-headers',
    proves: 'the response headers policy: Access-Control-Allow-Origin on a CORS GET, nosniff, HSTS, Referrer-Policy, X-Frame-Options',
    page: `${GUIDE}/understanding-response-headers-policies.html`,
  },
  { id: 'private-unsigned-403', proves: 'an unsigned GET of a private image is a 403', page: `${GUIDE}/private-content-signed-urls.html` },
  {
    id: 'private-preflight-403',
    proves: 'an unsigned CORS preflight (OPTIONS) on a private path is a 403',
    page: `${GUIDE}/private-content-signed-urls.html`,
  },
  {
    id: 'private-signed-url',
    proves: 'a signed URL (canned policy) gets the private thumbnail',
    page: `${GUIDE}/private-content-creating-signed-url-canned-policy.html`,
  },
  { id: 'private-signed-cookies', proves: 'signed cookies get the private thumbnail', page: `${GUIDE}/private-content-signed-cookies.html` },
  {
    id: 'over-cap-public',
    proves: 'a thumbnail over the 1 MB generated-response cap is stored and redirected, and the redirect serves it',
    page: `${GUIDE}/cloudfront-limits.html#limits-lambda-at-edge`,
  },
  {
    id: 'over-cap-private',
    proves: "an over-cap private thumbnail redirects a signed viewer to it, with no other viewer's signature",
    page: `${GUIDE}/cloudfront-limits.html#limits-lambda-at-edge`,
  },
  {
    id: 'cleanup-on-replace',
    proves: "replacing an original purges its _derived/ variants and invalidates the CDN's copies",
    page: `${GUIDE}/Invalidation.html`,
  },
];

export type Outcome = 'pass' | 'fail' | 'skip';

export interface RowResult {
  readonly id: RowId;
  readonly outcome: Outcome;
  /** What was seen (pass), what went wrong (fail), or why it did not run (skip). */
  readonly detail: string;
  readonly proves: string;
  readonly page: string;
}

export interface Report {
  readonly url: string;
  readonly rows: readonly RowResult[];
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  /** The ids of the rows that failed (empty when all passed or were skipped). */
  readonly failedRows: readonly RowId[];
}

export function report(url: string, rows: readonly RowResult[]): Report {
  const count = (outcome: Outcome) => rows.filter((r) => r.outcome === outcome).length;
  return {
    url,
    rows,
    passed: count('pass'),
    failed: count('fail'),
    skipped: count('skip'),
    failedRows: rows.filter((r) => r.outcome === 'fail').map((r) => r.id),
  };
}

export function result(id: RowId, outcome: Outcome, detail: string): RowResult {
  const spec = ROWS.find((r) => r.id === id)!;
  return { id, outcome, detail, proves: spec.proves, page: spec.page };
}

const MARK: Record<Outcome, string> = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' };

/** The table: one line per row (outcome, id, detail), its AWS page under it, then the totals. */
export function renderTable(r: Report): string {
  const width = Math.max(...r.rows.map((row) => row.id.length));
  const lines = [`edge-images verify ${r.url}`, ''];
  for (const row of r.rows) {
    lines.push(`${MARK[row.outcome]}  ${row.id.padEnd(width)}  ${row.detail}`);
    lines.push(`      ${' '.repeat(width)}  ${row.page}`);
  }
  lines.push('', `${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`);
  if (r.failed > 0) lines.push(`failed: ${r.failedRows.join(', ')}`);
  return lines.join('\n');
}
