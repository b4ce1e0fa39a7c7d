/**
 * Lambda@Edge rules that CloudFront would otherwise enforce only at deploy time, checked at build
 * time against the data in distribution.ts. The strict (older AWS quota) column of DESIGN.md is used
 * for viewer events: a function that fits it fits every account.
 */
import type { DistributionSpec, EventType, FunctionName, RegionalFunctionName } from '../distribution.ts';

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

const MB = 1024 * 1024;
export const VIEWER_LIMITS: EdgeLimits = { timeoutSeconds: 5, maxMemoryMb: 128, zipBytes: 1 * MB };
export const ORIGIN_LIMITS: EdgeLimits = { timeoutSeconds: 30, maxMemoryMb: 10_240, zipBytes: 50 * MB };
/** Lambda's own floor. */
const MIN_MEMORY_MB = 128;

/**
 * Regular regional functions (derived-cleanup): Lambda's own limits. No native code in them, so
 * arm64 (Graviton: about 20% cheaper per GB-second than x86_64, which only Lambda@Edge requires).
 */
export const REGIONAL_RUNTIME = 'nodejs22.x';
export const REGIONAL_ARCHITECTURE = 'arm64';
export const REGIONAL_HANDLER = 'index.handler';
export const REGIONAL_LIMITS: EdgeLimits = { timeoutSeconds: 900, maxMemoryMb: 10_240, zipBytes: 50 * MB };

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

/** The events a function is attached to, over every behavior, in a fixed order. */
export function eventTypesOf(spec: DistributionSpec, fn: FunctionName): EventType[] {
  const order: EventType[] = ['viewer-request', 'origin-request', 'origin-response', 'viewer-response'];
  const used = new Set<EventType>();
  for (const behavior of spec.behaviors) {
    for (const [event, name] of Object.entries(behavior.functions) as [EventType, FunctionName | undefined][]) {
      if (name === fn) used.add(event);
    }
  }
  return order.filter((event) => used.has(event));
}

/** The limits that apply to a function: the viewer ones as soon as it runs on any viewer event. */
export function limitsOf(spec: DistributionSpec, fn: FunctionName): EdgeLimits {
  return eventTypesOf(spec, fn).some(isViewerEvent) ? VIEWER_LIMITS : ORIGIN_LIMITS;
}

/**
 * Every rule a function's data (and, when given, its zip size) breaks, as readable sentences.
 * Empty when the function can be deployed.
 */
export function limitProblems(spec: DistributionSpec, fn: FunctionName, zipBytes?: number): string[] {
  const problems: string[] = [];
  const data = spec.functions[fn];
  const limits = limitsOf(spec, fn);
  const where = `${fn} (${eventTypesOf(spec, fn).join(', ') || 'not attached to any behavior'})`;
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
  }
  return problems;
}
