/**
 * The image policy's own rules (functions/core/grammar.ts checkPolicy: presets and defaults inside
 * the allowlist, no allowed size larger than a format holds), run where a configuration becomes a
 * deployment: `npm run package` refuses to build one that breaks them, the preflight names them.
 */
import { checkPolicy } from '../../functions/core/grammar.ts';
import type { DistributionSpec } from '../distribution.ts';

export function policyProblems(spec: DistributionSpec): string[] {
  return checkPolicy(spec.images).map((problem) => `Expected an image policy inside its own allowlist but received: ${problem}`);
}
