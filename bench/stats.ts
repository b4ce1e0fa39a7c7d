/** Small statistics for benchmarks: timings in milliseconds, interleaved runs, medians and ratios. */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (at - low);
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * Runs each case `rounds` times, rotating their order every round so that drift on a shared,
 * noisy machine falls on all of them alike. Returns the timings of each case in milliseconds, in
 * round order (so `timings.a[i]` and `timings.b[i]` ran side by side: see `pairedRatio`).
 * `after` runs untimed after each run (clean-up, such as deleting what the run wrote).
 */
export async function interleave<K extends string>(
  cases: Record<K, (round: number) => Promise<unknown>>,
  rounds: number,
  warmup = 2,
  after?: (name: K, round: number) => Promise<unknown>,
): Promise<Record<K, number[]>> {
  const names = Object.keys(cases) as K[];
  const timings = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (let round = -warmup; round < rounds; round++) {
    const order = names.map((_, i) => names[(i + Math.max(round, 0)) % names.length]!);
    for (const name of order) {
      const started = performance.now();
      await cases[name](round);
      if (round >= 0) timings[name].push(performance.now() - started);
      if (after) await after(name, round);
    }
  }
  return timings;
}

export function summary(timings: readonly number[]) {
  return { median_ms: round(median(timings)), p95_ms: round(quantile(timings, 0.95)), runs: timings.length };
}

/** The median of the round-by-round ratios a[i] / b[i]: what drift between rounds cannot move. */
export function pairedRatio(a: readonly number[], b: readonly number[]): number {
  return median(a.map((x, i) => x / b[i]!));
}

/** Operations per second of an async `fn`, awaited one at a time, over about `ms` milliseconds. */
export async function opsPerSecondAsync(fn: () => Promise<unknown>, ms: number, batch = 50): Promise<number> {
  let n = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < batch; i++) await fn();
    n += batch;
    elapsed = performance.now() - started;
  }
  return (n * 1000) / elapsed;
}
