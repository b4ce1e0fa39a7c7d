/**
 * The origin-response budget as data: the shipped figures fit CloudFront's 30 s exactly, and any
 * term raised past it (a stage's render budget, the S3 deadlines, a shorter function timeout) is
 * refused at build and by the preflight, with the terms named.
 */
import { describe, expect, it } from 'vitest';
import { distribution, tunables } from '../distribution.ts';
import type { DistributionSpec } from '../distribution.ts';
import { preflight } from '../preflight.ts';
import sample from '../stages/sample.ts';
import { originResponseBudget, originResponseBudgetProblems } from './budget.ts';
import { packageFunctions } from './package.ts';

const withRender = (seconds: number): DistributionSpec => ({
  ...distribution,
  images: { ...distribution.images, limits: { ...distribution.images.limits, cost: { ...distribution.images.limits.cost!, renderSeconds: seconds } } },
});

describe('the origin-response budget', () => {
  it('ships as 6 + 20 + 3 + 1 s, inside image-resize timeout and CloudFront 30 s', () => {
    expect(originResponseBudget(distribution)).toEqual({
      's3.getDeadlineMs': 6000,
      'images.limits.cost.renderSeconds': 20000,
      's3.putDeadlineMs': 3000,
      answerMarginMs: 1000,
    });
    expect(originResponseBudgetProblems(distribution)).toEqual([]);
  });

  it('refuses a render budget, an S3 deadline or a function timeout that breaks the sum', () => {
    expect(originResponseBudgetProblems(withRender(25)).join('\n')).toMatch(
      /Expected the origin-response budget \(s3\.getDeadlineMs 6000 \+ images\.limits\.cost\.renderSeconds 25000 \+ s3\.putDeadlineMs 3000 \+ answerMarginMs 1000\) to fit image-resize's 30000 ms timeout .* but received 35000 ms/,
    );
    expect(originResponseBudgetProblems(distribution, { ...tunables, s3: { ...tunables.s3, getDeadlineMs: 7000 } })).toHaveLength(1);
    const shorter = { ...distribution, functions: { ...distribution.functions, 'image-resize': { memoryMb: 1536, timeoutSeconds: 20 } } };
    expect(originResponseBudgetProblems(shorter).join('\n')).toContain("image-resize's 20000 ms timeout");
    expect(originResponseBudgetProblems(distribution, { ...tunables, answerMarginMs: 0 })).toEqual([
      'Expected a positive number of milliseconds for answerMarginMs but received 0',
    ]);
  });

  it('is checked by the preflight, naming the stage file', () => {
    const overrides = { ...sample.overrides, images: withRender(25).images };
    const problems = preflight(
      { name: 'prod', file: 'infra/stages/prod.ts', isDefault: false, config: { ...sample, overrides } },
      { app: 'edge-images', mode: 'deploy' },
    );
    const budget = problems.filter((p) => p.message.includes('origin-response budget'));
    expect(budget).toHaveLength(1);
    expect(budget[0]).toMatchObject({ rule: 'function' });
    expect(budget[0]!.message).toContain('infra/stages/prod.ts');
  });

  it('is checked at build: packaging image-resize refuses a budget over the timeout', async () => {
    await expect(packageFunctions({ root: '.', spec: withRender(25), only: ['image-resize'], outDir: '.build/budget-test', local: true })).rejects.toThrow(
      /origin-response budget/,
    );
  });
});
