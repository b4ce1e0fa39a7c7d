import { describe, expect, it } from 'vitest';
import { images, tunables } from '../distribution.ts';
import { checkRenderSettings } from './pool.ts';

describe('the limiter in front of the render pool agrees with it', () => {
  it('holds for the shipped settings', () => {
    expect(checkRenderSettings(tunables.renders, tunables.renderPool, images)).toEqual([]);
  });

  it('names a limiter that would keep ordinary misses waiting behind set-aside renders, or time out before a budget frees a slot', () => {
    const problems = checkRenderSettings({ concurrency: 2, maxQueued: 64, maxWaitMs: 4000 }, tunables.renderPool, images);
    expect(problems).toEqual([
      'Expected renders.concurrency of at least 4 (renderPool workers + reserve) but received 2',
      'Expected renders.maxWaitMs of at least 10000 (two smallest render budgets) but received 4000',
    ]);
  });
});
