/**
 * The origin-response budget, checked at build (infra/build/package.ts) and by the preflight
 * (infra/preflight.ts): one miss of image-resize reads the original from S3, renders it, writes the
 * variant and answers, and the sum of their deadlines must end inside the function's timeout and
 * CloudFront's 30 s for an origin-response function ("Quotas on Lambda@Edge",
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-lambda-at-edge):
 *
 *   tunables.s3.getDeadlineMs + images.limits.cost.renderSeconds + tunables.s3.putDeadlineMs + tunables.answerMarginMs
 */
import type { S3Budget } from '../../functions/adapters/s3/store.ts';
import type { DistributionSpec } from '../distribution.ts';
import { tunables as shipped } from '../distribution.ts';
import { ORIGIN_LIMITS } from './limits.ts';

interface BudgetTunables {
  readonly s3: S3Budget;
  readonly answerMarginMs: number;
}

/** The terms of the sum, in milliseconds, by name (what the check's message shows). */
export function originResponseBudget(spec: DistributionSpec, tunables: BudgetTunables = shipped): Record<string, number> {
  return {
    's3.getDeadlineMs': tunables.s3.getDeadlineMs,
    'images.limits.cost.renderSeconds': (spec.images.limits.cost?.renderSeconds ?? 0) * 1000,
    's3.putDeadlineMs': tunables.s3.putDeadlineMs,
    answerMarginMs: tunables.answerMarginMs,
  };
}

/** Every way the budget breaks: a term that is not a positive number, or a sum over the timeout. */
export function originResponseBudgetProblems(spec: DistributionSpec, tunables: BudgetTunables = shipped): string[] {
  const terms = originResponseBudget(spec, tunables);
  const problems = Object.entries(terms)
    .filter(([, ms]) => !(Number.isFinite(ms) && ms > 0))
    .map(([name, ms]) => `Expected a positive number of milliseconds for ${name} but received ${ms}`);
  const fn = spec.functions['image-resize'];
  if (fn === undefined) return problems;
  const timeoutMs = Math.min(fn.timeoutSeconds, ORIGIN_LIMITS.timeoutSeconds) * 1000;
  const sum = Object.values(terms).reduce((a, b) => a + b, 0);
  if (sum > timeoutMs) {
    const shown = Object.entries(terms)
      .map(([name, ms]) => `${name} ${ms}`)
      .join(' + ');
    problems.push(
      `Expected the origin-response budget (${shown}) to fit image-resize's ${timeoutMs} ms timeout (CloudFront allows at most ${ORIGIN_LIMITS.timeoutSeconds * 1000}) but received ${sum} ms`,
    );
  }
  return problems;
}
