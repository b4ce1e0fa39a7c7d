/**
 * Explicit AWS providers, one per region, created once. Lambda@Edge functions, their roles and the
 * ACM certificate CloudFront reads all go through the us-east-1 provider, whatever region the SST
 * app's default provider uses. Credentials come from the usual chain (AWS_PROFILE, env, SSO).
 */
import * as aws from '@pulumi/aws';
import { EDGE_REGION } from './build/limits.ts';

export interface Providers {
  /** The provider of a region (created on first use). */
  forRegion(region: string): aws.Provider;
  /** us-east-1: where Lambda@Edge functions and CloudFront's certificates must live. */
  readonly edge: aws.Provider;
}

export function createProviders(prefix: string): Providers {
  const byRegion = new Map<string, aws.Provider>();
  const forRegion = (region: string) => {
    let provider = byRegion.get(region);
    if (!provider) {
      provider = new aws.Provider(`${prefix}-aws-${region}`, { region: region as aws.Region });
      byRegion.set(region, provider);
    }
    return provider;
  };
  return { forRegion, edge: forRegion(EDGE_REGION) };
}
