/**
 * One request's passage through the local edge: what every stage reads (the viewer's request, its
 * behavior, the request id) and the function trace the stages add to.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { BehaviorSpec, DistributionSpec } from '../distribution.ts';
import { matchBehavior } from './behaviors.ts';
import type { FunctionTrace } from './function-runner.ts';
import { parseTarget } from './rules/path.ts';
import type { Target } from './rules/path.ts';

export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** performance.now() when the request arrived. */
  readonly started: number;
  readonly requestId: string;
  readonly method: string;
  /** The request target as the viewer sent it. */
  readonly rawUrl: string;
  readonly target: Target;
  /** The path of an origin-form target; `/` for a refused one. */
  readonly uri: string;
  /** Matched on the normalized path (behaviors.ts); functions and origins get the raw one. */
  readonly behavior: BehaviorSpec;
  /** Each function run for this request, in order. */
  readonly functions: FunctionTrace[];
  /** Over CloudFront's URL or request length limits (admission answers 413). */
  readonly tooLong: boolean;
}

export function openExchange(spec: DistributionSpec, req: IncomingMessage, res: ServerResponse, tooLong: boolean): Exchange {
  const rawUrl = req.url ?? '/';
  const target = parseTarget(rawUrl);
  const uri = target.kind === 'origin-form' ? target.path : '/';
  return {
    req,
    res,
    started: performance.now(),
    requestId: nextRequestId(),
    method: req.method ?? 'GET',
    rawUrl,
    target,
    uri,
    behavior: matchBehavior(spec, uri),
    functions: [],
    tooLong,
  };
}

/** Random bytes per request id: 40, as base64url, like CloudFront's 56-character X-Amz-Cf-Id. */
const ID_BYTES = 40;
let idPool = Buffer.alloc(0);
let idAt = 0;

/** A request id cut from a pool of random bytes filled for 256 ids at a time (one call to the CSPRNG, not one per request). */
function nextRequestId(): string {
  if (idAt + ID_BYTES > idPool.byteLength) {
    idPool = randomBytes(ID_BYTES * 256);
    idAt = 0;
  }
  const id = idPool.toString('base64url', idAt, idAt + ID_BYTES);
  idAt += ID_BYTES;
  return `${id}==`;
}
