import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bestTry, checkQuality, encoderQuality, firstGuess, nextGuess } from './quality.ts';
import type { AutoQuality, QualityScale, QualityTry } from './quality.ts';
import { images } from '../../infra/distribution.ts';

const scale: QualityScale = {
  points: [30, 50, 75, 100],
  jpg: [30, 50, 75, 100],
  webp: [40, 62, 84, 100],
  avif: [20, 36, 57, 90],
};
const auto: AutoQuality = {
  target: 0.95,
  min: 30,
  max: 100,
  maxEncodes: 3,
  estimate: { intercept: 90, flat: -100, detail: -5, flatVariance: 2 },
  logErrorPerQ: -0.03,
  slack: 0.004,
  proxied: [],
  unmeasured: 75,
};

/** A search against a known SSIM curve, as the engine runs it. */
function search(curve: (q: number) => number): QualityTry[] {
  const tries: QualityTry[] = [];
  let q: number | undefined = firstGuess(auto, { flat: 0.2, detail: 2 });
  while (q !== undefined) {
    tries.push({ quality: q, ssim: curve(q) });
    q = nextGuess(auto, tries);
  }
  return tries;
}

describe('the quality scale', () => {
  it('maps calibrated points exactly and interpolates between them', () => {
    expect(encoderQuality(scale, 'avif', 75)).toBe(57);
    expect(encoderQuality(scale, 'webp', 50)).toBe(62);
    expect(encoderQuality(scale, 'avif', 60)).toBe(Math.round(36 + (21 * 10) / 25));
    expect(encoderQuality(scale, 'jpg', 80)).toBe(80);
    expect(encoderQuality(scale, 'avif', 10)).toBe(20);
  });

  it('leaves PNG, GIF and a policy without a scale alone', () => {
    expect(encoderQuality(scale, 'png', 50)).toBe(50);
    expect(encoderQuality(scale, 'gif', 95)).toBe(95);
    expect(encoderQuality(undefined, 'avif', 75)).toBe(75);
  });

  it('holds in the distribution: every allowed quality is a calibrated point, the q=auto settings are sound', () => {
    expect(images.quality).toBeDefined();
    expect(checkQuality(images.quality!, images.qualities)).toEqual([]);
  });

  it('is checked against the allowed qualities', () => {
    expect(checkQuality({ scale, auto }, [50, 75])).toEqual([]);
    expect(checkQuality({ scale, auto }, [50, 85])).toEqual(['quality 85 is allowed but not a calibrated point of quality.scale']);
    expect(checkQuality({ scale: { ...scale, avif: [1, 2, 3] }, auto: { ...auto, maxEncodes: 4 } }, [])).toEqual([
      'quality.scale.avif needs one value per point',
      'quality.auto.maxEncodes must be 1, 2 or 3',
    ]);
    expect(checkQuality({ scale, auto: { ...auto, proxied: ['avif', 'jpg'] } }, [])).toEqual([
      'quality.auto.proxied may hold only avif and webp (JPEG is the proxy)',
    ]);
  });
});

describe('the q=auto search', () => {
  it('guesses lower for images of many flat blocks or much texture, within the bounds', () => {
    expect(firstGuess(auto, { flat: 0.5, detail: 2 })).toBeLessThan(firstGuess(auto, { flat: 0.1, detail: 2 }));
    expect(firstGuess(auto, { flat: 0.1, detail: 6 })).toBeLessThan(firstGuess(auto, { flat: 0.1, detail: 2 }));
    expect(firstGuess(auto, { flat: 0.1, detail: 2 })).toBe(70);
    expect(firstGuess(auto, { flat: 1, detail: 8 })).toBe(30);
    expect(firstGuess({ ...auto, estimate: { ...auto.estimate, intercept: 200 } }, { flat: 0, detail: 0 })).toBe(100);
    expect(firstGuess(auto, { flat: Number.NaN, detail: 0 })).toBe(100);
  });

  it('keeps a first try that reaches the target by less than the slack', () => {
    expect(nextGuess(auto, [{ quality: 60, ssim: 0.952 }])).toBeUndefined();
  });

  it('looks lower after a comfortable pass, higher after a miss, and between a pass and a miss', () => {
    expect(nextGuess(auto, [{ quality: 60, ssim: 0.98 }])).toBeLessThan(60);
    expect(nextGuess(auto, [{ quality: 60, ssim: 0.9 }])).toBeGreaterThan(60);
    const between = nextGuess(auto, [
      { quality: 40, ssim: 0.93 },
      { quality: 60, ssim: 0.97 },
    ]);
    expect(between).toBeGreaterThan(40);
    expect(between).toBeLessThan(60);
    // Two misses: the next aims past the target along their secant (here as far as the top of the scale).
    expect(
      nextGuess({ ...auto, maxEncodes: 3 }, [
        { quality: 50, ssim: 0.9 },
        { quality: 70, ssim: 0.93 },
      ]),
    ).toBe(100);
  });

  it('serves the lowest quality that passed, else the best SSIM', () => {
    const tries = [
      { quality: 60, ssim: 0.96 },
      { quality: 45, ssim: 0.951 },
      { quality: 40, ssim: 0.94 },
    ];
    expect(bestTry(0.95, tries).quality).toBe(45);
    expect(bestTry(0.99, tries).quality).toBe(60);
  });

  it('on any rising SSIM curve: at most 3 distinct tries within bounds, and the target reached when the top of the scale reaches it', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.005, max: 0.12, noNaN: true }), fc.double({ min: 0.5, max: 3, noNaN: true }), (k, shape) => {
        // 1 - SSIM falls exponentially with q at a rate of k (per 10 q), bent by `shape`.
        const curve = (q: number) => 1 - 0.6 * Math.exp(-k * (q / 10) ** shape * 3);
        const tries = search(curve);
        expect(tries.length).toBeGreaterThanOrEqual(1);
        expect(tries.length).toBeLessThanOrEqual(3);
        expect(new Set(tries.map((t) => t.quality)).size).toBe(tries.length);
        for (const t of tries) expect(t.quality >= auto.min && t.quality <= auto.max).toBe(true);
        if (curve(auto.max) >= auto.target) expect(bestTry(auto.target, tries).ssim).toBeGreaterThanOrEqual(auto.target);
      }),
    );
  });

  it('is deterministic: the same curve gives the same tries', () => {
    const curve = (q: number) => 1 - 0.5 * Math.exp(-q / 25);
    expect(search(curve)).toEqual(search(curve));
  });
});
