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
export interface Asked {
  readonly method: string;
  /** The viewer's Origin header (a CORS request), if any. */
  readonly origin: string | undefined;
}

export type Send = (res: ServerResponse, asked: Asked, answer: Answer, requestId: string) => void;

/** The writer of answers for a behavior's response headers policy. */
export function createSend(policy: ResponseHeadersPolicySpec): Send {
  // Keyed by a cached object's (frozen) header map: the lines for a request without an Origin header.
  const made = new WeakMap<CloudFrontHeaders, string[]>();

  function lines(asked: Asked, headers: CloudFrontHeaders): string[] {
    const reusable = asked.origin === undefined && isFrozenByCache(headers);
    const known = reusable ? made.get(headers) : undefined;
    if (known) return known;
    const out: string[] = [];
    for (const [name, value] of fromCfHeaders(withPolicyHeaders(policy, asked, headers))) {
      const lower = name.toLowerCase();
      if (!HOP_BY_HOP.has(lower) && lower !== 'content-length' && lower !== 'x-cache' && lower !== 'age') out.push(name, value);
    }
    if (reusable) made.set(headers, out);
    return out;
  }

  return function send(res, asked, answer, requestId) {
    const out = lines(asked, answer.headers).concat('Content-Length', String(answer.body.byteLength), 'X-Cache', `${answer.cache} from cloudfront`);
    if (answer.cache === 'Hit') out.push('Age', String(answer.ageSeconds ?? 0));
    out.push('Via', '1.1 local.cloudfront.net (CloudFront)', 'X-Amz-Cf-Pop', 'LOCAL1-P1', 'X-Amz-Cf-Id', requestId);
    if (answer.origin) out.push('X-Local-Origin', answer.origin);
    if (answer.failover) out.push('X-Local-Failover', `${answer.failover.from} (${answer.failover.reason})`);
    res.writeHead(answer.status, out);
    res.end(asked.method === 'HEAD' ? undefined : answer.body);
  };
}
