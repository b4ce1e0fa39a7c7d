/** The hit path of the local edge in RESULTS.md: requests per second against plain node:http. */
import type { HitPathResult } from '../hit-path.ts';
import { HIT_TARGET } from '../hit-path.ts';
import type { HeadlineRow, ReportContext, SectionReport } from '../section.ts';
import { fmt, int, table, verdict } from './format.ts';

export const hitReport: SectionReport<HitPathResult> = { headline, body };

function headline(h: HitPathResult): HeadlineRow[] {
  return h.servers.map((s) => ({
    what: `hit path: local edge (${s.label}) / plain node:http rps`,
    figure: s.vs_plain,
    digits: 3,
    target: { atLeast: HIT_TARGET },
    detail: `${int(s.rps)} vs ${int(h.plain.rps)} rps`,
  }));
}

function body(h: HitPathResult, ctx: ReportContext): string[] {
  const out = ['## Hit path of the local edge', '', ...ctx.provenance];
  out.push(
    `A cached thumbnail (\`${h.url_path}\`, ${int(h.response_bytes)} bytes of ${h.content_type}) over loopback with autocannon (${h.connections} keep-alive connections, ${h.rounds} round${h.rounds === 1 ? '' : 's'} of ${h.seconds_per_round} s each, in a process of its own), against a plain node:http server sending the same status, headers and bytes from memory, rounds alternating.`,
    '',
  );
  out.push(
    table(
      ['server', 'requests/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx', 'x plain', 'us per hit over plain'],
      [
        ...h.servers.map((s) => [
          `local edge, ${s.label}`,
          int(s.rps),
          fmt(s.p50_ms),
          fmt(s.p99_ms),
          int(s.errors),
          int(s.non2xx),
          fmt(s.vs_plain, 3),
          fmt(s.overhead_us_per_request),
        ]),
        ['plain node:http, same bytes', int(h.plain.rps), fmt(h.plain.p50_ms), fmt(h.plain.p99_ms), int(h.plain.errors), int(h.plain.non2xx), '1.000', '0'],
      ],
    ),
    '',
  );
  for (const s of h.servers)
    out.push(
      `- ${s.label}: ${fmt(s.vs_plain, 3)}x plain node:http against a target of >= ${HIT_TARGET}: **${verdict(s.vs_plain, { atLeast: HIT_TARGET })}**. ${s.about}`,
    );
  out.push('', `After the runs the thumbnail was still answered \`${h.still_a_hit_after ?? '-'}\`.`, '');
  return out;
}
