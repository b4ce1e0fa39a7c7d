/**
 * Lambda@Edge rules that CloudFront would otherwise enforce only at deploy time, checked at build
 * time against the data in distribution.ts. The strict (older AWS quota) column of DESIGN.md is used
 * for viewer events: a function that fits it fits every account.
 */
import type { DistributionSpec, EventType, FunctionName, RegionalFunctionName } from '../distribution.ts';
import { CLOUDFRONT_FUNCTION_BUILDS, runsOnLambdaEdge, viewerRuntimeOf } from '../distribution.ts';
import { CLOUDFRONT_QUOTAS } from '../cloudfront-quotas.ts';

export const EDGE_RUNTIME = 'nodejs22.x';
export const EDGE_ARCHITECTURE = 'x86_64';
export const EDGE_HANDLER = 'index.handler';
export const EDGE_REGION = 'us-east-1';

export interface EdgeLimits {
  readonly timeoutSeconds: number;
  readonly maxMemoryMb: number;
  /** Compressed zip size, bytes. */
  readonly zipBytes: number;
}

const Q = CLOUDFRONT_QUOTAS;
export const VIEWER_LIMITS: EdgeLimits = {
  timeoutSeconds: Q.functionTimeoutSeconds.strict.viewer,
  maxMemoryMb: Q.memoryMb.viewer,
  zipBytes: Q.zipBytes.viewer,
};
export const ORIGIN_LIMITS: EdgeLimits = {
  timeoutSeconds: Q.functionTimeoutSeconds.strict.origin,
  maxMemoryMb: Q.memoryMb.origin,
  zipBytes: Q.zipBytes.origin,
};
/** Lambda's own floor. */
const MIN_MEMORY_MB = 128;

/**
 * Regular regional functions (derived-cleanup): Lambda's own limits. No native code in them, so
 * arm64 (Graviton: about 20% cheaper per GB-second than x86_64, which only Lambda@Edge requires).
 */
export const REGIONAL_RUNTIME = 'nodejs22.x';
export const REGIONAL_ARCHITECTURE = 'arm64';
export const REGIONAL_HANDLER = 'index.handler';
export const REGIONAL_LIMITS: EdgeLimits = { timeoutSeconds: 900, maxMemoryMb: Q.memoryMb.origin, zipBytes: Q.zipBytes.origin };

/** Names of the regional functions in the spec, in its order. */
export function regionalFunctionNames(spec: DistributionSpec): RegionalFunctionName[] {
  return Object.keys(spec.regionalFunctions) as RegionalFunctionName[];
}

/** Every Lambda rule a regional function's data (and, when given, its zip size) breaks. */
export function regionalLimitProblems(spec: DistributionSpec, fn: RegionalFunctionName, zipBytes?: number): string[] {
  const problems: string[] = [];
  const data = spec.regionalFunctions[fn];
  const limits = REGIONAL_LIMITS;
  if (!Number.isInteger(data.timeoutSeconds) || data.timeoutSeconds < 1 || data.timeoutSeconds > limits.timeoutSeconds) {
    problems.push(`Expected a timeout of 1 to ${limits.timeoutSeconds} s for ${fn} but received ${data.timeoutSeconds}`);
  }
  if (!Number.isInteger(data.memoryMb) || data.memoryMb < MIN_MEMORY_MB || data.memoryMb > limits.maxMemoryMb) {
    problems.push(`Expected a memory of ${MIN_MEMORY_MB} to ${limits.maxMemoryMb} MB for ${fn} but received ${data.memoryMb}`);
  }
  if (data.s3Events.length === 0) problems.push(`Expected S3 event types for ${fn} but received none`);
  if (zipBytes !== undefined && zipBytes > limits.zipBytes) {
    problems.push(`Expected a zip of at most ${limits.zipBytes} bytes for ${fn} but received ${zipBytes}`);
  }
  return problems;
}

export const isViewerEvent = (event: EventType): boolean => event.startsWith('viewer-');

/** Names of the functions in the spec, in its order. */
export function functionNames(spec: DistributionSpec): FunctionName[] {
  return Object.keys(spec.functions) as FunctionName[];
}

/** The events a function is attached to as Lambda@Edge, over every behavior, in a fixed order. */
export function eventTypesOf(spec: DistributionSpec, fn: FunctionName): EventType[] {
  const order: EventType[] = ['viewer-request', 'origin-request', 'origin-response', 'viewer-response'];
  const used = new Set<EventType>();
  for (const behavior of spec.behaviors) {
    for (const [event, name] of Object.entries(behavior.functions) as [EventType, FunctionName | undefined][]) {
      if (name === fn && runsOnLambdaEdge(behavior, event)) used.add(event);
    }
  }
  return order.filter((event) => used.has(event));
}

/** The functions that run as a CloudFront Function on some behavior, with those behaviors' path patterns. */
export function cloudFrontFunctionsOf(spec: DistributionSpec): { fn: FunctionName; pathPatterns: string[] }[] {
  const found = new Map<FunctionName, string[]>();
  for (const behavior of spec.behaviors) {
    const fn = behavior.functions['viewer-request'];
    if (fn === undefined || viewerRuntimeOf(behavior) !== 'cloudfront-function') continue;
    found.set(fn, [...(found.get(fn) ?? []), behavior.pathPattern]);
  }
  return [...found].map(([fn, pathPatterns]) => ({ fn, pathPatterns }));
}

/**
 * The events a function is on, whatever the runtime: a viewer function stays one when a behavior
 * runs its CloudFront Function build (its Lambda@Edge build stays selectable, so it keeps the viewer limits).
 */
export function slotsOf(spec: DistributionSpec, fn: FunctionName): EventType[] {
  const order: EventType[] = ['viewer-request', 'origin-request', 'origin-response', 'viewer-response'];
  return order.filter((event) => spec.behaviors.some((behavior) => behavior.functions[event] === fn));
}

/** The limits that apply to a function: the viewer ones as soon as it runs on any viewer event. */
export function limitsOf(spec: DistributionSpec, fn: FunctionName): EdgeLimits {
  return slotsOf(spec, fn).some(isViewerEvent) ? VIEWER_LIMITS : ORIGIN_LIMITS;
}

/**
 * Every rule a function's data (and, when given, its zip size) breaks, as readable sentences.
 * Empty when the function can be deployed.
 */
export function limitProblems(spec: DistributionSpec, fn: FunctionName, zipBytes?: number): string[] {
  const problems: string[] = [];
  const data = spec.functions[fn];
  const limits = limitsOf(spec, fn);
  const where = `${fn} (${slotsOf(spec, fn).join(', ') || 'not attached to any behavior'})`;
  if (!Number.isInteger(data.timeoutSeconds) || data.timeoutSeconds < 1 || data.timeoutSeconds > limits.timeoutSeconds) {
    problems.push(`Expected a timeout of 1 to ${limits.timeoutSeconds} s for ${where} but received ${data.timeoutSeconds}`);
  }
  if (!Number.isInteger(data.memoryMb) || data.memoryMb < MIN_MEMORY_MB || data.memoryMb > limits.maxMemoryMb) {
    problems.push(`Expected a memory of ${MIN_MEMORY_MB} to ${limits.maxMemoryMb} MB for ${where} but received ${data.memoryMb}`);
  }
  if (zipBytes !== undefined && zipBytes > limits.zipBytes) {
    problems.push(`Expected a zip of at most ${limits.zipBytes} bytes for ${where} but received ${zipBytes}`);
  }
  return problems;
}

/** Rules of the distribution as a whole that CloudFront checks when it is created. */
export function distributionProblems(spec: DistributionSpec): string[] {
  const problems: string[] = [];
  const ids = new Set([...spec.origins.map((o) => o.id), ...spec.originGroups.map((g) => g.id)]);
  for (const group of spec.originGroups) {
    for (const member of [group.primary, group.secondary]) {
      if (!spec.origins.some((o) => o.id === member)) {
        problems.push(`Expected an origin id for a member of origin group ${group.id} but received ${JSON.stringify(member)}`);
      }
    }
    if (group.failoverStatusCodes.length === 0) problems.push(`Expected failover status codes for origin group ${group.id} but received none`);
  }
  const patterns = spec.behaviors.map((b) => b.pathPattern);
  if (patterns.at(-1) !== '*') problems.push(`Expected the last behavior to be the default (*) but received ${JSON.stringify(patterns.at(-1))}`);
  if (patterns.filter((p) => p === '*').length > 1) problems.push('Expected one default (*) behavior but received several');
  for (const behavior of spec.behaviors) {
    if (!ids.has(behavior.target)) {
      problems.push(`Expected an origin or origin group id as the target of behavior ${behavior.pathPattern} but received ${JSON.stringify(behavior.target)}`);
    }
    for (const [event, fn] of Object.entries(behavior.functions)) {
      if (fn !== undefined && !(fn in spec.functions)) {
        problems.push(`Expected a function of the distribution on ${event} of behavior ${behavior.pathPattern} but received ${JSON.stringify(fn)}`);
      }
    }
    if (viewerRuntimeOf(behavior) === 'cloudfront-function') {
      const fn = behavior.functions['viewer-request'];
      if (fn === undefined || !CLOUDFRONT_FUNCTION_BUILDS.includes(fn)) {
        problems.push(
          `Expected a function with a CloudFront Function build (${CLOUDFRONT_FUNCTION_BUILDS.join(', ')}) on viewer-request of behavior ${behavior.pathPattern} but received ${JSON.stringify(fn)}`,
        );
      }
      // "You can't combine CloudFront Functions and Lambda@Edge in viewer events (viewer request and
      // viewer response)": edge-function-restrictions-all.html.
      if (behavior.functions['viewer-response'] !== undefined) {
        problems.push(
          `Expected no Lambda@Edge viewer-response beside a CloudFront Function on viewer-request of behavior ${behavior.pathPattern} but received ${behavior.functions['viewer-response']}`,
        );
      }
    }
  }
  return problems;
}
