/**
 * The origin stage of the local edge: origin-request, the origin group with its failover, and
 * origin-response, as CloudFront runs them. Origin groups fail over as CloudFront's do (listed status
 * codes; a refused connection only if 503 is listed, a timeout only if 504 is; GET/HEAD, OPTIONS when
 * cached), and origin-request runs again for the secondary.
 */
import type { CloudFrontRequest } from 'aws-lambda';
import { originRequestEvent, originResponseEvent } from './cloudfront-events.ts';
import type { EventOrigin } from './cloudfront-events.ts';
import type { BehaviorSpec, DistributionSpec, OriginSpec } from '../distribution.ts';
import { findOrigin, s3DomainName } from '../distribution.ts';
import { FunctionFailure, cloudFrontError, eventOptions } from './answer.ts';
import type { Answer } from './answer.ts';
import { cloudFrontHeaders } from './behaviors.ts';
import type { FailMode, Simulation } from './dev.ts';
import type { FunctionTrace, RunFunction } from './function-runner.ts';
import type { FetchOrigin } from './origin-fetch.ts';
import { forwardToOrigin } from './rules/forwarding.ts';

/** The local edge's CloudFront host name, in Via. */
const EDGE_HOST = 'local.cloudfront.net';

export /** What one request carries through the origin stage. */
interface OriginContext {
  readonly trace: FunctionTrace[];
  readonly requestId: string;
  readonly simulation: Simulation;
  readonly body: Buffer | undefined;
  /** The viewer request as the viewer-request function left it, for the forwarding model. */
  readonly viewer: CloudFrontRequest;
}

export interface OriginStageOptions {
  readonly spec: DistributionSpec;
  readonly run: RunFunction;
  readonly fetchOrigin: FetchOrigin;
  /** See EdgeOptions.originResponseOnFailedPrimary. */
  readonly originResponseOnFailedPrimary?: 'skip' | 'run' | undefined;
}

/** The origin stage for one behavior: the answer of its origin (or origin group), through its functions. */
export function createOriginStage(options: OriginStageOptions) {
  const { run, fetchOrigin } = options;

  /**
   * The origin group, as CloudFront runs it: the primary first; on a failover status, a refused
   * connection (only if 503 is listed) or a timeout (only if 504 is), the secondary, with
   * origin-request run again for it. GET and HEAD fail over, OPTIONS only when it is a cached method.
   */
  async function fromOrigin(behavior: BehaviorSpec, viewerRequest: CloudFrontRequest, ctx: OriginContext): Promise<Answer> {
    const request = structuredClone(viewerRequest);
    const group = options.spec.originGroups.find((g) => g.id === behavior.target);
    const chain = group ? [group.primary, group.secondary] : [behavior.target];
    const cachedMethods: readonly string[] = behavior.cachedMethods ?? ['GET', 'HEAD'];
    const methodFailsOver = request.method === 'GET' || request.method === 'HEAD' || (request.method === 'OPTIONS' && cachedMethods.includes('OPTIONS'));
    let failover: Answer['failover'];
    for (const [index, originId] of chain.entries()) {
      const last = index === chain.length - 1;
      const failoverCodes: readonly number[] = group && !last && methodFailsOver ? group.failoverStatusCodes : [];
      const fail = index === 0 ? ctx.simulation.failPrimary : undefined;
      const attempt = await throughOrigin(behavior, findOrigin(options.spec, originId), structuredClone(request), ctx, failoverCodes, fail);
      if (attempt.kind === 'answer') return failover ? { ...attempt.answer, failover } : attempt.answer;
      failover = { from: attempt.from, reason: attempt.reason };
    }
    throw new Error(`${behavior.target} has no origin to try`);
  }

  async function throughOrigin(
    behavior: BehaviorSpec,
    origin: OriginSpec,
    request: CloudFrontRequest,
    ctx: OriginContext,
    failoverCodes: readonly number[],
    fail: FailMode | undefined,
  ): Promise<{ kind: 'answer'; answer: Answer } | { kind: 'failover'; from: string; reason: string }> {
    const eventOrigin = toEventOrigin(origin);
    // The forwarding model (rules/forwarding.ts): only what the policies name, plus Host, User-Agent,
    // Via and X-Forwarded-For; origin-event functions see this set, not the viewer's headers.
    const forwarded = forwardToOrigin({
      behavior,
      headers: ctx.viewer.headers,
      querystring: ctx.viewer.querystring,
      clientIp: ctx.viewer.clientIp,
      cloudFrontHeaders: cloudFrontHeaders(ctx.simulation),
      via: `1.1 ${EDGE_HOST} (CloudFront)`,
      originDomain: origin.kind === 's3' ? s3DomainName(origin) : origin.domainName,
      originIsS3: origin.kind === 's3',
    });
    request = { ...request, headers: forwarded.headers, querystring: forwarded.querystring };
    let originRequest = request;
    let body = ctx.body;
    const originRequestFn = behavior.functions['origin-request'];
    if (originRequestFn) {
      // One viewer request, one requestId in every function's event (it is the X-Amz-Cf-Id).
      const event = originRequestEvent({ ...eventOptions(request), requestId: ctx.requestId, origin: eventOrigin });
      const result = await run(ctx.trace, 'origin-request', originRequestFn, event);
      if (result.kind === 'response') {
        const answer: Answer = {
          status: Number(result.response.status),
          headers: result.response.headers ?? {},
          body: result.body ?? Buffer.alloc(0),
          cache: 'Miss',
          origin: origin.id,
        };
        return { kind: 'answer', answer };
      }
      originRequest = result.request;
      // A replaced body (validated and, over its quota, truncated) is what the origin receives.
      if (result.replacedBody) body = result.replacedBody;
    }
    const target = originRequest.origin ? originOf(originRequest.origin) : origin;
    if (!target) {
      const domain = originRequest.origin?.s3?.domainName ?? originRequest.origin?.custom?.domainName;
      const detail = `origin-request sent the request to ${domain ?? 'an origin without a domain'}, which is not an origin of ${options.spec.name}: the local edge reaches only the origins listed in distribution.ts.`;
      console.error(`local edge: ${detail}`);
      return { kind: 'answer', answer: { ...cloudFrontError(502, 'Bad gateway.', detail, ctx.requestId), origin: domain ?? '?' } };
    }
    const fetched = await fetchOrigin(target, originRequest, body, fail, ctx.requestId);
    if (fetched.kind === 'failed') {
      // A refused connection counts as a 503 for failover, a timeout as a 504; the viewer sees 502/504.
      if (failoverCodes.includes(fetched.failure === 'connect' ? 503 : 504)) return { kind: 'failover', from: target.id, reason: fetched.detail };
      const answer =
        fetched.failure === 'connect'
          ? cloudFrontError(502, 'Bad gateway.', `CloudFront wasn't able to connect to the origin. (${fetched.detail})`, ctx.requestId)
          : cloudFrontError(
              504,
              'Gateway Timeout.',
              `CloudFront attempted to establish a connection with the origin, but the origin did not respond in time. (${fetched.detail})`,
              ctx.requestId,
            );
      return { kind: 'answer', answer: { ...answer, origin: target.id } };
    }
    const originResponseFn = behavior.functions['origin-response'];
    const responseEvent = () =>
      originResponseEvent({
        ...eventOptions(originRequest),
        requestId: ctx.requestId,
        origin: originRequest.origin ?? eventOrigin,
        response: { status: String(fetched.status), statusDescription: fetched.statusDescription, headers: fetched.headers },
      });
    if (failoverCodes.includes(fetched.status)) {
      // Undocumented in CloudFront, so a named option: origin-response may run on the failed response;
      // its result (or failure) is recorded in the trace and discarded, and failover happens regardless.
      if (originResponseFn && options.originResponseOnFailedPrimary === 'run') {
        await run(ctx.trace, 'origin-response', originResponseFn, responseEvent()).catch(() => undefined);
      }
      return { kind: 'failover', from: target.id, reason: String(fetched.status) };
    }
    if (!originResponseFn)
      return { kind: 'answer', answer: { status: fetched.status, headers: fetched.headers, body: fetched.body, cache: 'Miss', origin: target.id } };
    const result = await run(ctx.trace, 'origin-response', originResponseFn, responseEvent());
    if (result.kind !== 'response') throw new FunctionFailure('LambdaValidationError', 'origin-response returned a request');
    return {
      kind: 'answer',
      answer: {
        status: Number(result.response.status),
        headers: result.response.headers ?? {},
        body: result.generated ? (result.body ?? Buffer.alloc(0)) : fetched.body,
        cache: 'Miss',
        origin: target.id,
      },
    };
  }

  /** The origin a function switched to, found among the distribution's origins by its domain. */
  function originOf(eventOrigin: NonNullable<CloudFrontRequest['origin']>): OriginSpec | undefined {
    const domain = eventOrigin.s3?.domainName ?? eventOrigin.custom?.domainName;
    return options.spec.origins.find((o) =>
      o.kind === 's3' ? domain === s3DomainName(o) || domain === `${o.bucket}.s3.amazonaws.com` : domain === o.domainName,
    );
  }

  return fromOrigin;
}

function toEventOrigin(origin: OriginSpec): EventOrigin {
  if (origin.kind === 's3') {
    return { s3: { domainName: s3DomainName(origin), region: origin.region, path: '', authMethod: 'origin-access-identity', customHeaders: {} } };
  }
  return {
    custom: {
      domainName: origin.domainName,
      port: origin.port,
      protocol: origin.protocol,
      path: origin.path ?? '',
      sslProtocols: ['TLSv1.2'],
      readTimeout: 30,
      keepaliveTimeout: 5,
      customHeaders: {},
    },
  };
}
