/**
 * The S3 latency model's serial depth: requests in flight together count once, a request sent after
 * another answered counts again. The proxy itself is exercised in test/integration/miss-requests.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { serialDepth } from './s3-latency.ts';

describe('serialDepth', () => {
  it('counts round trips, not requests', () => {
    expect(serialDepth([])).toBe(0);
    // GET original || GET record, then PUT: the floor's depth.
    expect(
      serialDepth([
        { start: 0, end: 50 },
        { start: 1, end: 45 },
        { start: 60, end: 100 },
      ]),
    ).toBe(2);
    // Two writes at once after the reads: still 2.
    expect(
      serialDepth([
        { start: 0, end: 50 },
        { start: 1, end: 50 },
        { start: 60, end: 100 },
        { start: 61, end: 90 },
      ]),
    ).toBe(2);
    // A marker read before the original, then the write: 3.
    expect(
      serialDepth([
        { start: 0, end: 40 },
        { start: 41, end: 90 },
        { start: 95, end: 130 },
      ]),
    ).toBe(3);
    // A request that starts the moment another ends follows it.
    expect(
      serialDepth([
        { start: 0, end: 10 },
        { start: 10, end: 20 },
      ]),
    ).toBe(2);
  });
});
