/**
 * What thumbnails cost on Lambda@Edge, from the miss-path times measured in this run and a memory
 * setting. Every price is an assumption written here and printed beside the figures in RESULTS.md.
 */
import type { MissRow } from './miss-path.ts';
import { round } from './stats.ts';

export const PRICES = {
  /** Lambda@Edge, per request. */
  lambdaPerRequest: 0.6 / 1e6,
  /** Lambda@Edge, per GB-second, billed in 1 ms steps. */
  lambdaPerGbSecond: 0.00005001,
  /** CloudFront Functions, per invocation ($0.10 per million; no duration charge). */
  cloudFrontFunctionPerInvocation: 0.1 / 1e6,
  /** CloudFront HTTPS requests, US/EU: $0.0075 per 10,000. */
  cloudFrontPerHttpsRequest: 0.0075 / 1e4,
  /** CloudFront data transfer out, first 10 TB per month, US/EU. */
  cloudFrontPerGb: 0.085,
  /** S3 Standard (us-east-1): GET $0.0004 per 1,000, PUT $0.005 per 1,000; S3 -> CloudFront transfer is free. */
  s3PerGet: 0.0004 / 1e3,
  s3PerPut: 0.005 / 1e3,
} as const;

export const ASSUMPTIONS = [
  'Lambda@Edge: $0.60 per 1M requests and $0.00005001 per GB-second, duration billed per 1 ms (rounded up). CloudFront Functions: $0.10 per 1M invocations, no duration charge (https://aws.amazon.com/cloudfront/pricing/, "CloudFront Functions" and "Lambda@Edge").',
  'CloudFront (assumed, US/EU, first 10 TB/month): $0.0075 per 10,000 HTTPS requests, $0.085 per GB out. S3 Standard (assumed, us-east-1): GET $0.0004 and PUT $0.005 per 1,000; S3 to CloudFront transfer free.',
  'Lambda gives a function CPU in proportion to its memory, one full vCPU at 1,769 MB: the measured miss time (sharp on one thread of a full core here) is scaled by max(1, 1769 / memory) for billing. The embedded S3 is on loopback: real S3 latency from a regional edge cache (tens of ms per GetObject and PutObject) comes on top and is not in these figures.',
  'Viewer functions (image-request, signed-url) and geo-route (origin-request) run in microseconds: each is billed the 1 ms minimum at 128 MB.',
  'Per request at a hit ratio: every request pays the CloudFront request, the transfer of the thumbnail and image-request; every miss pays geo-route, an S3 GET of the derived key (a 403/404) and image-resize; a miss is counted as a new thumbnail (worst case: GetObject of the original, the resize, PutObject), never as the 200 pass-through.',
] as const;

/** Billed milliseconds on Lambda at `memoryMb` for a time measured on one full core. */
export function billedMs(measuredMs: number, memoryMb: number): number {
  return Math.ceil(measuredMs * Math.max(1, 1769 / memoryMb));
}

export function lambdaCost(billed: number, memoryMb: number): number {
  return PRICES.lambdaPerRequest + (memoryMb / 1024) * (billed / 1000) * PRICES.lambdaPerGbSecond;
}

export interface CostRow {
  readonly case: string;
  readonly memory_mb: number;
  readonly miss_ms: number;
  readonly billed_ms: number;
  readonly output_kb: number;
  /** image-resize alone (requests + duration), per million new thumbnails. */
  readonly resize_lambda_per_million: number;
  /** Everything a new thumbnail costs (all three functions, S3, the CloudFront request and transfer), per million. */
  readonly new_thumbnail_per_million: number;
  /** Per million viewer requests at each hit ratio. */
  readonly per_million_requests: Readonly<Record<string, number>>;
  /** Of which Lambda@Edge, at each hit ratio. */
  readonly lambda_share: Readonly<Record<string, number>>;
}

export const HIT_RATIOS = [0.9, 0.95, 0.99] as const;

function costModel(rows: readonly MissRow[], memories: readonly number[], pick: readonly string[]): CostRow[] {
  const viewer = lambdaCost(1, 128);
  const out: CostRow[] = [];
  for (const name of pick) {
    const row = rows.find((r) => r.case === name);
    if (!row) continue;
    for (const memory of memories) {
      const billed = billedMs(row.miss.median_ms, memory);
      const resize = lambdaCost(billed, memory);
      const transfer = (row.output_bytes / 1e9) * PRICES.cloudFrontPerGb;
      const perRequest = PRICES.cloudFrontPerHttpsRequest + transfer + viewer;
      const perMiss = viewer /* geo-route */ + PRICES.s3PerGet /* derived: 404 */ + resize + PRICES.s3PerGet /* original */ + PRICES.s3PerPut;
      const perMillion = (hit: number) => 1e6 * (perRequest + (1 - hit) * perMiss);
      const lambdaPerMillion = (hit: number) => 1e6 * (viewer + (1 - hit) * (viewer + resize));
      out.push({
        case: row.case,
        memory_mb: memory,
        miss_ms: row.miss.median_ms,
        billed_ms: billed,
        output_kb: round(row.output_bytes / 1024, 1),
        resize_lambda_per_million: round(1e6 * resize, 2),
        new_thumbnail_per_million: round(1e6 * (perRequest + perMiss), 2),
        per_million_requests: Object.fromEntries(HIT_RATIOS.map((h) => [String(h), round(perMillion(h), 2)])),
        lambda_share: Object.fromEntries(HIT_RATIOS.map((h) => [String(h), round(lambdaPerMillion(h), 2)])),
      });
    }
  }
  return out;
}

/**
 * The viewer-request normalizer per million requests at a hit ratio: it runs on every request, hit
 * or miss, so its cost does not depend on the ratio; the rest of the Lambda@Edge bill (geo-route and
 * image-resize) falls on the misses. `rest` is that rest per million requests for one cost row.
 */
export function viewerNormalizerCost(
  row: CostRow,
  hit: number,
): { lambda_edge: number; cloudfront_function: number; rest: number; total_lambda_edge: number; total_cloudfront_function: number } {
  const lambdaViewer = 1e6 * lambdaCost(1, 128);
  const cloudFrontViewer = 1e6 * PRICES.cloudFrontFunctionPerInvocation;
  const total = row.per_million_requests[String(hit)] ?? Number.NaN;
  const rest = total - lambdaViewer;
  return {
    lambda_edge: round(lambdaViewer, 4),
    cloudfront_function: round(cloudFrontViewer, 4),
    rest: round(rest, 2),
    total_lambda_edge: round(total, 2),
    total_cloudfront_function: round(rest + cloudFrontViewer, 2),
  };
}

export interface CostResult {
  readonly prices: typeof PRICES;
  readonly memory_mb_deployed: number;
  readonly rows: readonly CostRow[];
}

/**
 * The cost model over the miss path: the thumbnail of every source and the card and og of the 12 MP
 * JPEG at the deployed memory, and the 12 MP thumbnail at other memory settings.
 */
export function costResult(cases: readonly MissRow[], deployedMb: number): CostResult {
  const picks = cases.filter((c) => c.label === 'thumb' || (c.source === '12mp-jpeg' && (c.label === 'card' || c.label === 'og'))).map((c) => c.case);
  const thumb12 = picks.filter((name) => name.startsWith('12mp-jpeg > thumb'));
  return {
    prices: PRICES,
    memory_mb_deployed: deployedMb,
    rows: [
      ...costModel(cases, [deployedMb], picks),
      ...costModel(
        cases,
        [1024, 1769, 3008].filter((m) => m !== deployedMb),
        thumb12,
      ),
    ],
  };
}
