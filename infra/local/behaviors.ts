/**
 * Behavior matching as CloudFront does it (on the normalized path: rules/path.ts), and the CloudFront
 * headers CloudFront computes for a viewer (the forwarding model, rules/forwarding.ts, adds those a
 * behavior's policies name).
 */
import type { BehaviorSpec, DistributionSpec } from '../distribution.ts';
import { geoHeaderValues } from './dev.ts';
import type { Simulation } from './dev.ts';
import { matchBehavior as matchNormalized } from './rules/path.ts';

/** CloudFront's matching on the normalized path: behaviors in order, `*` any run, `?` one character, case-sensitive. */
export function matchBehavior(spec: DistributionSpec, uri: string): BehaviorSpec {
  return matchNormalized(spec.behaviors, uri);
}

/**
 * The CloudFront headers CloudFront computes for this viewer; here from the simulated viewer country,
 * as there is no real viewer location locally.
 */
export function cloudFrontHeaders(simulation: Simulation): Record<string, string> {
  if (!simulation.viewerCountry) return {};
  const { country, region } = geoHeaderValues(simulation.viewerCountry);
  return { 'cloudfront-viewer-country': country, ...(region ? { 'cloudfront-viewer-country-region': region } : {}) };
}
