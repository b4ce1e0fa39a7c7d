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

/**
 * A request id looks like CloudFront's X-Amz-Cf-Id: 54 base64url characters of random bits and `==`,
 * 56 characters in all. Ids are cut from one base64url string encoded for 256 ids at a time (one call
 * to the CSPRNG and one encoding, not one per request): 42 random bytes per id encode to 56
 * characters without padding, of which an id takes 54.
 */
const ID_BYTES = 42;
const ID_CHARS = (ID_BYTES / 3) * 4;
const IDS_PER_POOL = 256;
let idPool = '';
let idAt = 0;

function nextRequestId(): string {
  if (idAt + ID_CHARS > idPool.length) {
    idPool = randomBytes(ID_BYTES * IDS_PER_POOL).toString('base64url');
    idAt = 0;
  }
  const id = idPool.slice(idAt, idAt + ID_CHARS - 2);
  idAt += ID_CHARS;
  return `${id}==`;
}
