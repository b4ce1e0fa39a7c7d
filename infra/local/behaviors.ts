/**
 * Behavior matching as CloudFront does it, and what a behavior's origin request policy adds to the
 * request that goes to its origin.
 */
import type { CloudFrontRequest } from 'aws-lambda';
import type { BehaviorSpec, DistributionSpec } from '../distribution.ts';
import { geoHeaderValues } from './dev.ts';
import type { Simulation } from './dev.ts';

/** Compiled path patterns, once per behavior (matching runs on every request, hits included). */
const patterns = new WeakMap<BehaviorSpec, RegExp>();

/** CloudFront's matching: behaviors in order, `*` any run, `?` one character, case-sensitive. */
export function matchBehavior(spec: DistributionSpec, uri: string): BehaviorSpec {
  for (const behavior of spec.behaviors) {
    let pattern = patterns.get(behavior);
    if (!pattern) {
      pattern = globToRegExp(behavior.pathPattern);
      patterns.set(behavior, pattern);
    }
    if (pattern.test(uri)) return behavior;
  }
  const fallback = spec.behaviors.at(-1);
  if (!fallback) throw new Error(`${spec.name} has no cache behavior`);
  return fallback;
}

function globToRegExp(pattern: string): RegExp {
  const normalized = pattern.startsWith('/') || pattern === '*' ? pattern : `/${pattern}`;
  const body = normalized
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${body}$`);
}

/**
 * The location headers CloudFront adds to origin events when the behavior's origin request policy
 * forwards them; here from the simulated viewer country (there is no real viewer location locally).
 */
export function withGeoHeaders(request: CloudFrontRequest, behavior: BehaviorSpec, simulation: Simulation): void {
  if (!simulation.viewerCountry) return;
  const forwarded = new Set((behavior.originRequestPolicy?.headers ?? []).map((h) => h.toLowerCase()));
  const { country, region } = geoHeaderValues(simulation.viewerCountry);
  if (forwarded.has('cloudfront-viewer-country')) {
    request.headers['cloudfront-viewer-country'] = [{ key: 'CloudFront-Viewer-Country', value: country }];
  }
  if (region && forwarded.has('cloudfront-viewer-country-region')) {
    request.headers['cloudfront-viewer-country-region'] = [{ key: 'CloudFront-Viewer-Country-Region', value: region }];
  }
}
