/**
 * Thundering herds through the local edge, counted in image-resize's log lines and in renders.
 *
 * - Many concurrent GETs for one missing thumbnail: the edge collapses them into one origin fetch,
 *   so one image-resize invocation and one resize.
 * - Many concurrent HEADs (the edge does not collapse those): every one reaches image-resize, and its
 *   single flight makes one resize; the others log `shared: true`.
 * - A stampede across many keys of a 12 MP original: resizes are bounded (tunables.renders: at most its
 *   concurrency at once), everyone gets the image, and peak RSS stays within a budget.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Rendered } from '../../functions/adapters/image/render.ts';
import { render } from '../../functions/adapters/image/render.ts';
import type { LogLine } from '../../functions/core/log.ts';
import { distribution, tunables } from '../../infra/distribution.ts';
import type { LocalStack } from '../../infra/local-stack.ts';
import type { FaultyS3 } from '../support/faulty-s3.ts';
import { startStackBehindFaultyS3 } from '../support/stack.ts';
import { ACCEPT_WEBP, get } from '../support/http.ts';

let stack: LocalStack;
let faulty: FaultyS3;
const logs: LogLine[] = [];
let renders = 0;
let rendering = 0;
let peakRendering = 0;

beforeAll(async () => {
  ({ stack, faulty } = await startStackBehindFaultyS3({
    port: 0,
    log: (line) => logs.push(line),
    // The deployed bound on concurrent resizes, without its 10 s bound on waiting: how long 54 queued
    // 12 MP resizes wait depends on how busy the machine is, and a 503 for waiting too long is the
    // limiter working (functions/core/limit.test.ts), not what this file is about.
    renders: { ...tunables.renders, maxWaitMs: 600_000 },
    render: async (...args): Promise<Rendered> => {
      renders++;
      rendering++;
      peakRendering = Math.max(peakRendering, rendering);
      try {
        return await render(...args);
      } finally {
        rendering--;
      }
    },
  }));
});
afterAll(async () => {
  await stack?.close();
  await faulty?.close();
});

const lines = (uri: string) => logs.filter((l) => l.fn === 'image-resize' && l.uri === uri && l.outcome === 'resized');

describe('one thumbnail, many viewers at once', () => {
  it('50 concurrent GETs: the edge collapses them, one origin fetch, one resize', async () => {
    const uri = '/_derived/photos/cat.jpg/512x512-cover-q75.webp';
    const rendersBefore = renders;
    const responses = await Promise.all(Array.from({ length: 50 }, () => get(`${stack.edge.url}/512x512/photos/cat.jpg`, { Accept: ACCEPT_WEBP })));
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(new Set(responses.map((r) => r.body.toString('base64'))).size).toBe(1);
    expect(lines(uri)).toHaveLength(1);
    expect(renders - rendersBefore).toBe(1);
    expect(faulty.seen.filter((r) => !r.signed && r.key === uri.slice(1))).toHaveLength(1);
    expect(responses.filter((r) => r.headers.get('x-cache') === 'Miss from cloudfront').length).toBeGreaterThanOrEqual(1);
  });

  it('40 concurrent HEADs (never collapsed): 40 image-resize invocations, one resize, the rest shared or served by S3', async () => {
    const uri = '/_derived/photos/cat.jpg/384x384-cover-q75.webp';
    const rendersBefore = renders;
    const responses = await Promise.all(Array.from({ length: 40 }, () => get(`${stack.edge.url}/384x384/photos/cat.jpg`, { Accept: ACCEPT_WEBP }, 'HEAD')));
    expect(responses.map((r) => r.status)).toEqual(Array(40).fill(200));
    // Every HEAD ran image-resize: on S3's 404 (joining the one resize) or, once the thumbnail was
    // stored, on S3's 200.
    const invocations = logs.filter((l) => l.fn === 'image-resize' && l.uri === uri);
    expect(invocations).toHaveLength(40);
    expect(invocations.every((l) => l.outcome === 'resized' || l.outcome === 'derived-stored')).toBe(true);
    expect(lines(uri).length).toBeGreaterThan(1);
    expect(lines(uri).filter((l) => !l['shared'])).toHaveLength(1);
    expect(renders - rendersBefore).toBe(1);
  });
});

describe('a stampede across many keys', () => {
  it('bounds concurrent resizes and memory, and every viewer gets an image', async () => {
    // Thumbnail boxes (up to 512): a 12 MP decode each, shrunk on load, so that the whole stampede
    // stays well inside the 10 s a resize may wait even on a busy machine.
    const sizes = distribution.images.sizes.filter((size) => Number(size.split('x')[0]) <= 512);
    const urls = distribution.images.qualities
      .flatMap((q) => sizes.flatMap((size) => ['jpg', 'png'].map((fm) => `${stack.edge.url}/${size}/landscape-12mp.jpg?fm=${fm}&q=${q}`)))
      .slice(0, 42);
    expect(urls.length).toBeGreaterThanOrEqual(40);
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    const rendersBefore = renders;
    peakRendering = 0;
    const started = performance.now();
    try {
      const responses = await Promise.all(urls.map((url) => get(url)));
      expect(responses.map((r) => r.status)).toEqual(Array(urls.length).fill(200));
    } finally {
      clearInterval(sampler);
    }
    const seconds = (performance.now() - started) / 1000;
    expect(renders - rendersBefore).toBe(urls.length);
    expect(peakRendering).toBeLessThanOrEqual(tunables.renders.concurrency);
    const growthMiB = (peak - baseline) / 2 ** 20;
    // Two 12 MP resizes at once with shrink-on-load plus 40 answers in flight: well under 400 MiB.
    // (The test process also holds vitest and s3rver; the budget is for growth during the stampede.)
    console.log(
      `stampede: ${urls.length} keys in ${seconds.toFixed(1)} s, peak concurrent resizes ${peakRendering}, RSS ${Math.round(baseline / 2 ** 20)} -> ${Math.round(peak / 2 ** 20)} MiB (+${Math.round(growthMiB)} MiB)`,
    );
    expect(growthMiB).toBeLessThan(400);
  });
});
