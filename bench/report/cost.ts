/** The cost model in RESULTS.md, computed from the miss-path medians and the assumed prices. */
import { ASSUMPTIONS, HIT_RATIOS, lambdaCost, PRICES, viewerNormalizerCost } from '../cost.ts';
import type { CostResult } from '../cost.ts';
import type { HeadlineRow, SectionReport } from '../section.ts';
import { fmt, int, money, table } from './format.ts';

export const costReport: SectionReport<CostResult> = { headline, body };

function headline(c: CostResult): HeadlineRow[] {
  const thumb = c.rows.find((x) => x.case.startsWith('12mp-jpeg > thumb') && x.memory_mb === c.memory_mb_deployed);
  if (!thumb) return [];
  return [
    {
      what: `Lambda@Edge per 1M new 128x128 thumbnails (12 MP JPEG, ${int(c.memory_mb_deployed)} MB), $`,
      figure: thumb.resize_lambda_per_million,
      digits: 2,
      detail: `everything per 1M requests at 95% hits: ${money(thumb.per_million_requests['0.95'])}`,
    },
  ];
}

function body(c: CostResult): string[] {
  const out: string[] = [];
  out.push('## Cost model', '');
  out.push('Assumed prices and model (the figures below are computed from them and the miss-path medians of this run):', '');
  for (const a of ASSUMPTIONS) out.push(`- ${a}`);
  out.push('');
  out.push(
    table(
      [
        'case',
        'memory MB',
        'miss ms',
        'billed ms',
        'KB',
        'image-resize $ per 1M new',
        'all-in $ per 1M new',
        ...HIT_RATIOS.map((h) => `$ per 1M requests at ${h * 100}% hits`),
        ...HIT_RATIOS.map((h) => `of which Lambda@Edge at ${h * 100}%`),
      ],
      c.rows.map((x) => [
        x.case,
        int(x.memory_mb),
        fmt(x.miss_ms),
        int(x.billed_ms),
        fmt(x.output_kb),
        money(x.resize_lambda_per_million),
        money(x.new_thumbnail_per_million),
        ...HIT_RATIOS.map((h) => money(x.per_million_requests[String(h)])),
        ...HIT_RATIOS.map((h) => money(x.lambda_share[String(h)])),
      ]),
    ),
    '',
  );
  const thumb = c.rows.find((x) => x.case.startsWith('12mp-jpeg > thumb') && x.memory_mb === c.memory_mb_deployed);
  if (thumb) {
    const perRequest = 1e6 * (PRICES.cloudFrontPerHttpsRequest + lambdaCost(1, 128) + ((thumb.output_kb * 1024) / 1e9) * PRICES.cloudFrontPerGb);
    out.push(
      `Reading the 12 MP thumbnail row: a new thumbnail costs ${money(thumb.resize_lambda_per_million)} per million in image-resize, about as much as the S3 PutObject that stores it (${money(PRICES.s3PerPut * 1e6)} per million), while every request, hit or miss, pays ${money(perRequest)} per million for the CloudFront request, image-request and the transfer. ` +
        `So at a 95% hit ratio the resizes are ${fmt((100 * 0.05 * thumb.resize_lambda_per_million) / thumb.per_million_requests['0.95']!, 0)}% of the bill, and image-request, billed its 1 ms minimum and $0.60 per million on every request, hit or miss, is the larger Lambda@Edge cost (a CloudFront Function would do its rewrite for $0.10 per million invocations, assumed list price, if its limits allow). More memory only pays for a CPU-bound resize, up to one vCPU at 1,769 MB (the rows at other memory settings).`,
      '',
    );
  }
  const normalizerRows = c.rows.filter((x) => x.memory_mb === c.memory_mb_deployed);
  if (normalizerRows.length > 0) {
    out.push(
      'The viewer-request normalizer per million requests at 95% hits: it runs on every request, hit or miss. Lambda@Edge: $0.60 per million plus the 1 ms minimum at 128 MB; CloudFront Function: $0.10 per million, no duration (the deployed default on the public behavior). "Rest" is everything else per million requests in the row above (CloudFront request and transfer, geo-route and image-resize on the misses, S3).',
      '',
      table(
        ['case', 'normalizer on Lambda@Edge', 'normalizer as CloudFront Function', 'rest', 'total with Lambda@Edge', 'total with CloudFront Function', 'saved'],
        normalizerRows.map((x) => {
          const n = viewerNormalizerCost(x, 0.95);
          return [
            x.case,
            money(n.lambda_edge),
            money(n.cloudfront_function),
            money(n.rest),
            money(n.total_lambda_edge),
            money(n.total_cloudfront_function),
            `${fmt((100 * (n.total_lambda_edge - n.total_cloudfront_function)) / n.total_lambda_edge, 1)}%`,
          ];
        }),
      ),
      '',
    );
  }
  return out;
}
