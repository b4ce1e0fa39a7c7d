/**
 * A time budget that really ends the work: on the HTTP image origin with the render pool (shipped
 * workers, reserve and limiter), two renders that exceed the budget (an SVG `<use>` fan-out of
 * blurred shapes, let through by a policy without the cost model, so that librsvg really runs) are
 * set aside past their estimate and then killed: each answers 503, its worker process is gone, and
 * an ordinary miss made while they are in flight is served (200). The same with image-resize's
 * Lambda renderer: one process, killed past the budget, replaced for the next miss.
 * No timing assertions: only outcomes and process existence.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImagePolicy } from '../../functions/core/policy.ts';
import { distribution, images } from '../../infra/distribution.ts';
import { startLocalStack } from '../../infra/local-stack.ts';
import { startImageOrigin } from '../../infra/origin/server.ts';
import type { ImageOrigin } from '../../infra/origin/server.ts';
import { directoryStore } from '../../infra/origin/store.ts';
import { renderer } from '../../functions/adapters/image/render-process.ts';
import { toEdgeError } from '../../functions/core/errors.ts';
import { tunables } from '../../infra/distribution.ts';
import { startRenderPool, workerScript } from '../../infra/render/pool.ts';
import type { RenderPool } from '../../infra/render/pool.ts';
import { costLettingFanOutThrough, useFanOutSvg } from '../support/attacks.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('render pool: over-budget renders are killed and free their slot', () => {
  let dir: string;
  let pool: RenderPool;
  let origin: ImageOrigin;
  const { cost: _cost, ...uncosted } = images.limits;
  const policy: ImagePolicy = { ...images, limits: uncosted };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'render-pool-'));
    await mkdir(path.join(dir, 'originals'), { recursive: true });
    await writeFile(path.join(dir, 'originals', 'slow1.svg'), useFanOutSvg(6));
    await writeFile(path.join(dir, 'originals', 'slow2.svg'), useFanOutSvg(6, 10, 9));
    await writeFile(
      path.join(dir, 'originals', 'ok.jpg'),
      await sharp({ create: { width: 640, height: 480, channels: 3, background: '#3a6' } })
        .jpeg()
        .toBuffer(),
    );
    pool = await startRenderPool({ budgetMs: 1500 });
    origin = await startImageOrigin({
      store: directoryStore({ originals: path.join(dir, 'originals'), derived: path.join(dir, 'derived') }),
      policy,
      render: pool.render,
      renders: tunables.renders,
      log: () => {},
    });
  }, 60_000);

  afterAll(async () => {
    await origin?.close();
    await pool?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers an ordinary miss while two over-budget renders are in flight, and ends the killed work', async () => {
    const processes = tunables.renderPool.workers + tunables.renderPool.reserve;
    expect(pool.pids()).toHaveLength(processes);
    const slow = ['slow1.svg', 'slow2.svg'].map((key) => fetch(`${origin.url}/_derived/${key}/256x256-cover-q75.png`));
    // Both slow renders run past their estimate and are set aside before the ordinary miss is asked.
    await expect.poll(() => pool.setAside.length, { timeout: 60_000 }).toBe(2);
    const ordinary = await fetch(`${origin.url}/_derived/ok.jpg/128x128-cover-q75.jpg`);
    expect(ordinary.status).toBe(200);
    expect((await sharp(Buffer.from(await ordinary.arrayBuffer())).metadata()).width).toBe(128);
    const answers = await Promise.all(slow);
    expect(answers.map((a) => a.status)).toEqual([503, 503]);
    expect(answers.map((a) => a.headers.get('cache-control'))).toEqual(['no-store', 'no-store']);
    // Both workers that ran the slow renders were killed, and are gone; fresh ones took their place.
    expect(pool.killed).toHaveLength(2);
    for (const pid of pool.killed) await expect.poll(() => alive(pid)).toBe(false);
    await expect.poll(() => pool.pids().length).toBe(processes);
    expect(pool.pids().some((pid) => pool.killed.includes(pid))).toBe(false);
    // And the pool still renders.
    const after = await fetch(`${origin.url}/_derived/ok.jpg/64x64-cover-q75.webp`);
    expect(after.status).toBe(200);
  }, 120_000);
});

describe('local edge: over-budget resizes do not stop an ordinary miss', () => {
  it('serves an ordinary miss while two over-budget resizes run, and answers them 503', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'render-pool-edge-'));
    await writeFile(path.join(dir, 'slow1.svg'), useFanOutSvg(6));
    await writeFile(path.join(dir, 'slow2.svg'), useFanOutSvg(6, 10, 9));
    await writeFile(
      path.join(dir, 'ok.jpg'),
      await sharp({ create: { width: 640, height: 480, channels: 3, background: '#a63' } })
        .jpeg()
        .toBuffer(),
    );
    // The cost model would refuse the fan-out before librsvg: loosen its SVG limits, shorten the budget.
    const loose = costLettingFanOutThrough(images.limits.cost!, { renderSeconds: 1.5 });
    const spec = { ...distribution, images: { ...images, limits: { ...images.limits, cost: loose } } };
    const stack = await startLocalStack({ spec, images: dir, log: () => {} });
    try {
      const slow = ['slow1.svg', 'slow2.svg'].map((key) => fetch(`${stack.edge.url}/256x256/${key}?fm=png`));
      const ordinary = await fetch(`${stack.edge.url}/128x128/ok.jpg?fm=jpg`);
      expect(ordinary.status).toBe(200);
      expect((await sharp(Buffer.from(await ordinary.arrayBuffer())).metadata()).width).toBe(128);
      const answers = await Promise.all(slow);
      expect(answers.map((a) => a.status)).toEqual([503, 503]);
    } finally {
      await stack.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("image-resize's renderer in Lambda: one warm process, killed past the budget", () => {
  it('answers 503 for an over-budget render, kills its process, and renders the next miss in a fresh one', async () => {
    const render = renderer(await workerScript());
    try {
      const options = { ...images.limits, cost: costLettingFanOutThrough(images.limits.cost!, { renderSeconds: 2, minRenderSeconds: 1 }) };
      const ok = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#36a' } })
        .jpeg()
        .toBuffer();
      const variant = { width: 128, height: 128, fit: 'cover', quality: 75, format: 'jpg' } as const;
      expect((await render.render(ok, variant, options)).width).toBe(128);
      const first = render.pid()!;
      const slow = await render.render(useFanOutSvg(5), { ...variant, width: 256, height: 256, format: 'png' }, options).then(
        () => undefined,
        (e: unknown) => toEdgeError(e),
      );
      expect([slow?.status, slow?.detail]).toEqual([503, expect.stringMatching(/budget.*killed/)]);
      await expect.poll(() => alive(first)).toBe(false);
      expect((await render.render(ok, variant, options)).width).toBe(128);
      expect(render.pid()).not.toBe(first);
    } finally {
      await render.close();
    }
  }, 120_000);
});

describe('the mezzanine through a render process: one job, both images', () => {
  it('answers the variant and the mezzanine the maker made, as buffers', async () => {
    const render = renderer(await workerScript());
    try {
      const original = await sharp({ create: { width: 7500, height: 5625, channels: 3, background: '#5a7' } })
        .jpeg()
        .toBuffer();
      const settings = images.mezzanine!;
      const made = await render.renderMakingMezzanine(
        original,
        { width: 1920, height: undefined, fit: 'inside', quality: 75, format: 'webp' },
        settings,
        images.limits,
      );
      expect([made.image.width, made.image.height, made.image.contentType]).toEqual([1920, 1440, 'image/webp']);
      expect(Buffer.isBuffer(made.image.data) && Buffer.isBuffer(made.mezzanine?.data)).toBe(true);
      expect(made.mezzanine?.plan).toEqual({ width: 833, height: 625, shrink: 8 });
      const mezzanine = await sharp(made.mezzanine!.data).metadata();
      expect([mezzanine.format, mezzanine.width, mezzanine.height, mezzanine.chromaSubsampling]).toEqual(['jpeg', 833, 625, '4:4:4']);
    } finally {
      await render.close();
    }
  }, 120_000);
});
