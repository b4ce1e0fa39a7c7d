import { describe, expect, it } from 'vitest';
import { isEdgeError } from './errors.ts';
import { Limiter, SingleFlight } from './limit.ts';

const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Limiter', () => {
  it('runs at most `concurrency` tasks at once, in arrival order', async () => {
    const limiter = new Limiter({ concurrency: 2, maxQueued: 10, maxWaitMs: 1_000 });
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        limiter.run(async () => {
          order.push(i);
          running++;
          peak = Math.max(peak, running);
          await tick();
          running--;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(limiter.stats).toMatchObject({ active: 0, queued: 0, peakActive: 2, peakQueued: 6, refused: 0 });
  });

  it('hands a finished slot to the first waiter, so a newcomer never slips past the bound', async () => {
    const limiter = new Limiter({ concurrency: 1, maxQueued: 10, maxWaitMs: 1_000 });
    let running = 0;
    let peak = 0;
    const task = async () => {
      running++;
      peak = Math.max(peak, running);
      await Promise.resolve();
      running--;
    };
    const first = limiter.run(task);
    const second = limiter.run(task);
    await first;
    const third = limiter.run(task);
    await Promise.all([second, third]);
    expect(peak).toBe(1);
  });

  it('refuses with a 503 when the queue is full, and when a task waited too long', async () => {
    const limiter = new Limiter({ concurrency: 1, maxQueued: 1, maxWaitMs: 30 });
    const slow = limiter.run(() => tick(100));
    const waiting = limiter.run(async () => 'ran');
    const refused = await limiter.run(async () => 'ran').catch((error: unknown) => error);
    expect(isEdgeError(refused) && refused.status).toBe(503);
    expect(isEdgeError(refused) && refused.detail).toMatch(/1 resizes waiting|1 tasks waiting/);
    const timedOut = await waiting.catch((error: unknown) => error);
    expect(isEdgeError(timedOut) && timedOut.detail).toMatch(/waited 30 ms/);
    await slow;
    expect(limiter.stats).toMatchObject({ active: 0, queued: 0, refused: 2 });
    // The slot is free again.
    expect(await limiter.run(async () => 'ran')).toBe('ran');
  });

  it('frees the slot when a task throws', async () => {
    const limiter = new Limiter({ concurrency: 1, maxQueued: 0, maxWaitMs: 10 });
    await expect(limiter.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await limiter.run(async () => 'ok')).toBe('ok');
  });
});

describe('SingleFlight', () => {
  it('shares one run among concurrent callers of a key, and forgets it once settled, failed or not', async () => {
    const flight = new SingleFlight<number>();
    let runs = 0;
    let finish!: (value: number) => void;
    const task = () => {
      runs++;
      return new Promise<number>((resolve) => (finish = resolve));
    };
    const first = flight.run('a', task);
    const second = flight.run('a', task);
    expect(flight.has('a')).toBe(true);
    finish(7);
    expect(await Promise.all([first, second])).toEqual([7, 7]);
    expect(runs).toBe(1);
    expect(flight.has('a')).toBe(false);

    await expect(flight.run('a', () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(flight.has('a')).toBe(false);
    expect(await flight.run('a', async () => 8)).toBe(8);
  });
});
