/**
 * One request's passage through the local edge: what every stage reads (the viewer's request, its
 * behavior, the request id) and the function trace the stages add to.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { newRequestId } from '../../functions/adapters/cloudfront/events.ts';
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
}

export function openExchange(spec: DistributionSpec, req: IncomingMessage, res: ServerResponse): Exchange {
  const rawUrl = req.url ?? '/';
  const target = parseTarget(rawUrl);
  const uri = target.kind === 'origin-form' ? target.path : '/';
  return {
    req,
    res,
    started: performance.now(),
    requestId: newRequestId(),
    method: req.method ?? 'GET',
    rawUrl,
    target,
    uri,
    behavior: matchBehavior(spec, uri),
    functions: [],
  };
}
