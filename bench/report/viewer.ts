/** The viewer functions in RESULTS.md: each handler against the same work by hand, and the signed-url verifier. */
import type { HeadlineRow, ReportContext, SectionReport } from '../section.ts';
import type { ViewerResult } from '../viewer.ts';
import { fmt, int, table, verdict } from './format.ts';

export const viewerReport: SectionReport<ViewerResult> = { headline, body };

/** Lambda@Edge bills at least this per run. */
const MIN_BILLED_US = 1000;

function headline(v: ViewerResult): HeadlineRow[] {
  return [
    ...v.handlers.map((h) => ({
      what: `${h.name}: hand-written / handler ops/s`,
      figure: h.baseline_vs_handler,
      digits: 2,
      detail: `${int(h.handler_ops_per_s)} ops/s, ${int(h.handler_bytes_per_request)} B/request`,
    })),
    {
      what: 'signed-url verifier / bare crypto.verify (worst case)',
      figure: v.signed_url_verify.worst_ratio,
      digits: 2,
      target: { atMost: v.signed_url_verify.target_ratio },
    },
    ...ownTimeRows(v),
  ];
}

/** The CloudFront Function's own time per request (bench/cloudfront-function.ts), worst input against an ordinary one. */
interface OwnTime {
  readonly ordinary_us: number;
  readonly worst_case: string;
  readonly worst_us: number;
  readonly worst_vs_ordinary: number;
  readonly budget_ratio: number;
  readonly cases: readonly { readonly name: string; readonly own_us: number; readonly vs_ordinary: number }[];
}

function ownTimeOf(v: ViewerResult): OwnTime | undefined {
  return (v.cloudfront_function as { own_time?: OwnTime } | undefined)?.own_time;
}

function ownTimeRows(v: ViewerResult): HeadlineRow[] {
  const own = ownTimeOf(v);
  if (!own) return [];
  return [
    {
      what: "image-request's CloudFront Function, its own time: worst input / ordinary request",
      figure: own.worst_vs_ordinary,
      digits: 1,
      target: { atMost: own.budget_ratio },
      detail: `${own.worst_case}: ${fmt(own.worst_us, 2)} us against ${fmt(own.ordinary_us, 2)} us`,
    },
  ];
}

function body(v: ViewerResult, ctx: ReportContext): string[] {
  const out = ['## Viewer functions', '', ...ctx.provenance];
  out.push(
    'Each handler against the same work done by hand (bench/viewer-child.ts): the URL API for the rewrite, `crypto.verify` with a key parsed at init for signed URLs, no grammar rules of its own, no log line. ' +
      'The handler serialises its JSON log line (as deployed) but writes nothing. Both are async and get the same event. Allocation: heap growth over 1,000-5,000 calls with a 64 MB young generation and no garbage collection in between.',
    '',
  );
  out.push(
    table(
      [
        'case',
        'handler ops/s',
        'by hand ops/s',
        'by hand / handler',
        'handler us',
        'by hand us',
        'handler B/req',
        'by hand B/req',
        'same URI',
        'no GC during allocation runs',
      ],
      v.handlers.map((h) => [
        h.name,
        int(h.handler_ops_per_s),
        int(h.baseline_ops_per_s),
        fmt(h.baseline_vs_handler, 2),
        fmt(h.handler_us, 2),
        fmt(h.baseline_us, 2),
        int(h.handler_bytes_per_request),
        int(h.baseline_bytes_per_request),
        h.same_uri_by_hand ? 'yes' : 'no',
        h.allocation_without_gc ? 'yes' : 'no',
      ]),
    ),
    '',
  );
  const slowest = Math.max(...v.handlers.map((h) => h.handler_us));
  out.push(
    slowest < MIN_BILLED_US
      ? `Every handler runs in at most ${fmt(slowest, 0)} us, under the 1 ms Lambda@Edge bills at least, so the difference to the hand-written version costs nothing; the hand-written version checks far less (grammar rules, repeated or unknown parameters, key decoding, preset grants, the log line).`
      : `The slowest handler takes ${fmt(slowest, 0)} us, over the 1 ms Lambda@Edge bills at least: its time is billed.`,
    '',
  );
  const cf = v.cloudfront_function;
  if (cf) {
    out.push(
      `image-request's CloudFront Function build (cloudfront-js-2.0, ${int(cf.code_bytes)} bytes of code, ${int(cf.headroom_bytes)} under the ${int(cf.limit_bytes)}-byte quota) in the local sandbox beside the Lambda@Edge handler in plain Node, per request, one run at a time (bench/cloudfront-function.ts): the sandbox's time is a run as the local edge makes it, in the function's own thread with the script evaluated afresh and the result checked.`,
      '',
      table(
        ['case', 'Lambda@Edge handler us', 'CloudFront Function us', 'CF / L@E'],
        cf.cases.map((x) => [x.name, fmt(x.lambda_edge_us, 2), fmt(x.cloudfront_function_us, 2), fmt(x.cloudfront_function_vs_lambda_edge, 2)]),
      ),
      '',
    );
    const own = ownTimeOf(v);
    if (own) {
      out.push(
        `The function's own time per request, without the sandbox (a plain node:vm context, the handler called in a loop): CloudFront throttles functions whose compute utilization is high, so the worst input must stay near an ordinary one (at most ${own.budget_ratio}x).`,
        '',
        table(
          ['case', 'us', 'x ordinary'],
          own.cases.map((c) => [c.name, fmt(c.own_us, 2), fmt(c.vs_ordinary, 1)]),
        ),
        '',
      );
    }
  }
  const s = v.signed_url_verify;
  out.push(
    `The signed-url verifier alone against bare \`crypto.verify\` on pre-decoded bytes: worst ${fmt(s.worst_ratio, 2)}x against a target of at most ${s.target_ratio}x, **${verdict(s.worst_ratio, { atMost: s.target_ratio })}**.`,
    '',
  );
  out.push(
    table(
      ['case', 'verifications/s', 'crypto.verify/s', 'ratio'],
      s.cases.map((c) => [c.case, int(c.verifications_per_s), int(c.bare_crypto_verify_per_s), fmt(c.ratio, 2)]),
    ),
    '',
  );
  return out;
}
