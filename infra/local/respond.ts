/**
 * The last stage of the local edge: the answer written to the viewer with the behavior's response
 * headers policy applied (response-headers.ts) and the headers CloudFront adds (Content-Length,
 * X-Cache, Age on a hit, Via, X-Amz-Cf-Pop, X-Amz-Cf-Id), plus the local ones that say which origin
 * answered and whether the group failed over.
 *
 * A cached object's header map never changes once stored (cache.ts freezes it), and without an
 * Origin header the policy adds the same headers to every response (CORS headers answer an Origin
 * only): for such a hit the header lines are made once per object and reused, every other answer
 * gets its own.
 */
import type { ServerResponse } from 'node:http';
import type { CloudFrontHeaders } from 'aws-lambda';
import { fromCfHeaders } from '../../functions/adapters/cloudfront/headers.ts';
import type { ResponseHeadersPolicySpec } from '../response-headers.ts';
import { HOP_BY_HOP } from './answer.ts';
import type { Answer } from './answer.ts';
import { isFrozenByCache } from './cache.ts';
import { withPolicyHeaders } from './response-headers.ts';

/** What of the viewer's request decides the answer's headers. */
interface Asked {
  readonly method: string;
  /** The viewer's Origin header (a CORS request), if any. */
  readonly origin: string | undefined;
}

export type Send = (res: ServerResponse, asked: Asked, answer: Answer, requestId: string) => void;

/** The writer of answers for a behavior's response headers policy. */
export function createSend(policy: ResponseHeadersPolicySpec): Send {
  // Keyed by a cached object's (frozen) header map: a hit's complete header lines for a request
  // without an Origin header (for the object's body length), with the places of the two values that
  // change per request.
  const made = new WeakMap<
    CloudFrontHeaders,
    { readonly lines: readonly string[]; readonly bodyBytes: number; readonly ageAt: number; readonly idAt: number }
  >();

  function own(asked: Asked, headers: CloudFrontHeaders): string[] {
    const out: string[] = [];
    for (const [name, value] of fromCfHeaders(withPolicyHeaders(policy, asked, headers))) {
      const lower = name.toLowerCase();
      if (!HOP_BY_HOP.has(lower) && lower !== 'content-length' && lower !== 'x-cache' && lower !== 'age') out.push(name, value);
    }
    return out;
  }

  /** The header lines of this answer: the answer's own (policy applied), then CloudFront's. */
  function lines(asked: Asked, answer: Answer, requestId: string): string[] {
    const plainHit = answer.cache === 'Hit' && !answer.origin && !answer.failover;
    if (plainHit && asked.origin === undefined && isFrozenByCache(answer.headers)) {
      let known = made.get(answer.headers);
      if (known === undefined || known.bodyBytes !== answer.body.byteLength) {
        const lines = own(asked, answer.headers);
        lines.push('Content-Length', String(answer.body.byteLength), 'X-Cache', 'Hit from cloudfront', 'Age', '');
        const ageAt = lines.length - 1;
        lines.push(...CLOUDFRONT_LINES, 'X-Amz-Cf-Id', '');
        known = { lines, bodyBytes: answer.body.byteLength, ageAt, idAt: lines.length - 1 };
        made.set(answer.headers, known);
      }
      const out = known.lines.slice();
      out[known.ageAt] = String(answer.ageSeconds ?? 0);
      out[known.idAt] = requestId;
      return out;
    }
    const out = own(asked, answer.headers);
    out.push('Content-Length', String(answer.body.byteLength), 'X-Cache', `${answer.cache} from cloudfront`);
    if (answer.cache === 'Hit') out.push('Age', String(answer.ageSeconds ?? 0));
    out.push(...CLOUDFRONT_LINES, 'X-Amz-Cf-Id', requestId);
    if (answer.origin) out.push('X-Local-Origin', answer.origin);
    if (answer.failover) out.push('X-Local-Failover', `${answer.failover.from} (${answer.failover.reason})`);
    return out;
  }

  return function send(res, asked, answer, requestId) {
    res.writeHead(answer.status, lines(asked, answer, requestId));
    res.end(asked.method === 'HEAD' ? undefined : answer.body);
  };
}

/** The headers every CloudFront answer carries (before its X-Amz-Cf-Id). */
const CLOUDFRONT_LINES = ['Via', '1.1 local.cloudfront.net (CloudFront)', 'X-Amz-Cf-Pop', 'LOCAL1-P1'] as const;
