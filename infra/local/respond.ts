/**
 * The last stage of the local edge: the answer written to the viewer with the headers CloudFront adds
 * (Content-Length, X-Cache, Age on a hit, Via, X-Amz-Cf-Pop, X-Amz-Cf-Id) and the local ones that say
 * which origin answered and whether the group failed over.
 */
import type { ServerResponse } from 'node:http';
import { fromCfHeaders } from '../../functions/adapters/cloudfront/headers.ts';
import { HOP_BY_HOP } from './answer.ts';
import type { Answer } from './answer.ts';

export function send(res: ServerResponse, method: string, answer: Answer, requestId: string): void {
  const headers = fromCfHeaders(answer.headers).filter(([name]) => {
    const lower = name.toLowerCase();
    return !HOP_BY_HOP.has(lower) && lower !== 'content-length' && lower !== 'x-cache' && lower !== 'age';
  });
  headers.push(['Content-Length', String(answer.body.byteLength)]);
  headers.push(['X-Cache', `${answer.cache} from cloudfront`]);
  if (answer.cache === 'Hit') headers.push(['Age', String(answer.ageSeconds ?? 0)]);
  headers.push(['Via', '1.1 local.cloudfront.net (CloudFront)'], ['X-Amz-Cf-Pop', 'LOCAL1-P1'], ['X-Amz-Cf-Id', requestId]);
  if (answer.origin) headers.push(['X-Local-Origin', answer.origin]);
  if (answer.failover) headers.push(['X-Local-Failover', `${answer.failover.from} (${answer.failover.reason})`]);
  res.writeHead(answer.status, headers.flat());
  res.end(method === 'HEAD' ? undefined : answer.body);
}
