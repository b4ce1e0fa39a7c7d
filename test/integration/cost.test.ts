/**
 * The admission cost model against the crafted attacks (test/support/attacks.ts), through the
 * real engine (sharp): each is refused before decode with a 413 or 422 whose detail names the limit,
 * and ordinary sources of the same kinds still render.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { render } from '../../functions/adapters/image/render.ts';
import type { RenderOptions } from '../../functions/adapters/image/render.ts';
import { countGifFrames, countJpegScans, scanSvg } from '../../functions/adapters/image/scan.ts';
import { toEdgeError } from '../../functions/core/errors.ts';
import type { Variant } from '../../functions/core/grammar.ts';
import { checkPolicy } from '../../functions/core/grammar.ts';
import { images as policy } from '../../infra/distribution.ts';
import * as attack from '../support/attacks.ts';

const OPTIONS: RenderOptions = { ...policy.limits, background: '#ffffff' };
const V = (width: number, height: number | undefined, format: Variant['format']): Variant => ({
  width,
  height,
  fit: height === undefined ? 'inside' : 'cover',
  quality: 75,
  format,
});

async function refusal(source: Buffer, variant: Variant): Promise<{ status: number; detail: string }> {
  try {
    const out = await render(source, variant, OPTIONS);
    return { status: 200, detail: `${out.width}x${out.height}` };
  } catch (error) {
    const e = toEdgeError(error);
    return { status: e.status, detail: e.detail ?? '' };
  }
}

describe('the cheap reads', () => {
  it('counts the scans of a JPEG without decoding it', async () => {
    const baseline = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#888' } })
      .jpeg()
      .toBuffer();
    const progressive = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#888' } })
      .jpeg({ progressive: true })
      .toBuffer();
    expect(countJpegScans(baseline)).toBe(1);
    expect(countJpegScans(progressive)).toBeGreaterThan(5);
    expect(countJpegScans(await attack.manyScanJpeg(256, 900))).toBe(900);
  });

  it('counts the frames of a GIF by walking its blocks', async () => {
    expect(countGifFrames(attack.manyFrameGif(500, 800))).toBe(800);
    expect(countGifFrames(attack.manyFrameGif(500, 800), 301)).toBe(301);
    const made = await sharp({ create: { width: 16, height: 16 * 5, channels: 3, background: '#123', pageHeight: 16 } })
      .gif()
      .toBuffer();
    expect(countGifFrames(made)).toBe((await sharp(made).metadata()).pages);
  });

  it('expands <use> references of an SVG and counts its filters', () => {
    const stats = scanSvg(attack.useFanOutSvg(5, 10));
    expect(stats.renderedElements).toBeGreaterThan(100_000);
    expect(stats.filteredRenders).toBeGreaterThanOrEqual(100_000);
    expect(stats.filterPrimitives).toBe(1);
    const plain = scanSvg(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><g><rect width="5" height="5"/></g></svg>'));
    expect(plain).toMatchObject({ elements: 3, renderedElements: 3, depth: 2, filteredRenders: 0, cycle: false, entities: false });
    expect(scanSvg(Buffer.from('<svg><g id="a"><use href="#a"/></g></svg>')).cycle).toBe(true);
    expect(scanSvg(Buffer.from('<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg>&a;</svg>')).entities).toBe(true);
  });
});

describe('each attack is refused from its header, naming the limit', () => {
  it('a progressive JPEG of 900 scans: 413 maxJpegScans', async () => {
    const r = await refusal(await attack.manyScanJpeg(2000, 900), V(128, 128, 'jpg'));
    expect(r).toMatchObject({ status: 413 });
    expect(r.detail).toContain('maxJpegScans');
  });

  it('a GIF of 800 frames: 413 maxFrames, for a still output too', async () => {
    for (const format of ['gif', 'jpg'] as const) {
      const r = await refusal(attack.manyFrameGif(500, 800), V(128, 128, format));
      expect(r.status).toBe(413);
      expect(r.detail).toContain('maxFrames');
    }
  });

  it('an animation over maxAnimatedPixels: 413 when written animated, first frame otherwise', async () => {
    const gif = attack.manyFrameGif(1000, 60); // 60 MP over 60 frames of a 1000x1000 canvas
    const animated = await refusal(gif, V(128, 128, 'webp'));
    expect(animated.status).toBe(413);
    expect(animated.detail).toContain('maxAnimatedPixels');
    expect((await refusal(gif, V(128, 128, 'jpg'))).status).toBe(200);
  });

  it('an SVG <use> fan-out of blurred shapes: 413 before librsvg sees it', async () => {
    const r = await refusal(attack.useFanOutSvg(6), V(256, 256, 'png'));
    expect(r.status).toBe(413);
    expect(r.detail).toMatch(/svg\.max(RenderedElements|FilteredRenders)/);
  });

  it('an SVG of 900,000 elements: 413 svg.maxBytes; of 30,000 small ones: 413 svg.maxElements', async () => {
    const huge = await refusal(attack.hugeSvg(900_000), V(128, 128, 'png'));
    expect(huge.status).toBe(413);
    expect(huge.detail).toContain('svg.maxBytes');
    const many = await refusal(
      Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">${'<g/>'.repeat(30_000)}</svg>`),
      V(128, 128, 'png'),
    );
    expect(many.status).toBe(413);
    expect(many.detail).toContain('svg.maxElements');
  });

  it('a 1920x104000 PNG as WebP or AVIF at 1920 wide: 422 naming the format limit; JPEG and a box still work', async () => {
    const tall = attack.tallPng();
    for (const format of ['webp', 'avif'] as const) {
      const r = await refusal(tall, V(1920, undefined, format));
      expect(r.status).toBe(422);
      expect(r.detail).toContain(`${format} limit is 1638`);
    }
    expect((await refusal(tall, V(128, 128, 'webp'))).detail).toBe('128x128');
    expect((await refusal(tall, V(160, undefined, 'webp'))).status).toBe(200);
  });

  it('a corrupt interlaced 16-bit PNG: 422, not 500', async () => {
    const r = await refusal(await attack.corruptInterlacedPng(), V(128, 128, 'jpg'));
    expect(r.status).toBe(422);
  });

  it('ordinary sources of the same kinds still render', async () => {
    const progressive = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#468' } })
      .jpeg({ progressive: true })
      .toBuffer();
    expect((await refusal(progressive, V(128, 128, 'webp'))).status).toBe(200);
    expect((await refusal(attack.manyFrameGif(100, 50), V(64, 64, 'gif'))).status).toBe(200);
    expect((await refusal(attack.useFanOutSvg(2, 5), V(128, 128, 'png'))).status).toBe(200);
  });
});

describe('the allowlist and the formats', () => {
  it('never admits a box a format cannot hold (checked with the policy at build time)', () => {
    expect(checkPolicy(policy)).toEqual([]);
    expect(checkPolicy({ ...policy, widths: [...policy.widths, 6000] }).join()).toContain('webp can hold (16383)');
  });
});

describe('SVG filters are priced by count, area and <use> instances', () => {
  const shadow =
    '<filter id="s" x="-20%" y="-20%" width="140%" height="140%"><feGaussianBlur in="SourceAlpha" stdDeviation="3"/><feOffset dx="2" dy="2"/><feMerge><feMergeNode/><feMergeNode in="SourceGraphic"/></feMerge></filter>';
  const chart = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 800 600"><defs>${shadow}</defs>${Array.from({ length: 40 }, (_, i) => `<rect x="${i * 20}" y="100" width="15" height="${100 + i * 10}" fill="#369" filter="url(#s)"/>`).join('')}</svg>`,
  );
  const logo = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="200"><defs>${shadow}</defs><g filter="url(#s)"><circle cx="100" cy="100" r="80" fill="#c33"/><text x="200" y="120" font-size="60">Logo</text></g></svg>`,
  );

  it.each(['blur', 'morphology', 'turbulence'] as const)(
    '50 %s primitives drawn 100 times: within the element, primitive and drawing counts, refused 413 by svg.maxFilterWork',
    async (kind) => {
      const source = attack.filterStormSvg(kind);
      expect(source.byteLength).toBeGreaterThan(3000);
      expect(source.byteLength).toBeLessThan(5000);
      const stats = scanSvg(source);
      // What the element, primitive and drawing counts allow: the source passes them all.
      expect(stats.filterPrimitives).toBeLessThanOrEqual(policy.limits.cost!.svg.maxFilterPrimitives);
      expect(stats.filteredRenders).toBeLessThanOrEqual(policy.limits.cost!.svg.maxFilteredRenders);
      expect(stats.filterWork).toBeGreaterThan(policy.limits.cost!.svg.maxFilterWork * 10);
      // Even at the smallest size asked, before librsvg sees it.
      for (const variant of [V(64, 64, 'png'), V(1024, 1024, 'webp')]) {
        const r = await refusal(source, variant);
        expect(r.status).toBe(413);
        expect(r.detail).toContain('svg.maxFilterWork');
      }
    },
  );

  it('weighs each primitive: a morphology over a blur, a turbulence by its octaves, parts of a primitive nothing', () => {
    const one = (primitive: string) =>
      scanSvg(
        Buffer.from(
          `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><filter id="f">${primitive}</filter><rect width="10" height="10" filter="url(#f)"/></svg>`,
        ),
      ).filterWork;
    const blur = one('<feGaussianBlur stdDeviation="2"/>');
    expect(one('<feMorphology radius="3"/>')).toBeGreaterThan(5 * blur);
    expect(one('<feTurbulence numOctaves="20"/>')).toBeCloseTo(20 * one('<feTurbulence numOctaves="1"/>'));
    expect(one('<feConvolveMatrix order="9" kernelMatrix="1"/>')).toBeGreaterThan(one('<feConvolveMatrix order="3" kernelMatrix="1"/>'));
    expect(one('<feMerge><feMergeNode/><feMergeNode/></feMerge>')).toBeLessThan(blur);
  });

  it('counts a filter by the share of the canvas its region covers, and through every <use>', () => {
    const bars = scanSvg(chart);
    expect(bars.filteredRenders).toBe(40);
    expect(bars.filterWork).toBeLessThan(2);
    const used = scanSvg(
      Buffer.from(
        `<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><defs><filter id="f"><feGaussianBlur stdDeviation="4"/></filter><g id="g"><path d="M0 0L100 100" filter="url(#f)"/></g></defs>${'<use href="#g"/>'.repeat(30)}</svg>`,
      ),
    );
    // A path's box is not read: its filter counts over the whole canvas, once per drawing.
    expect(used.filterWork).toBe(31);
  });

  it('counts filters a style sheet or a CSS filter function sets', () => {
    const sheet = scanSvg(
      Buffer.from(
        `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><style>.x { filter: url(#f) }</style><filter id="f"><feMorphology radius="4"/></filter>${'<rect class="x" width="10" height="10"/>'.repeat(20)}</svg>`,
      ),
    );
    expect(sheet.filterWork).toBeGreaterThan(policy.limits.cost!.svg.maxFilterWork);
    const css = scanSvg(
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect style="filter: blur(2px) drop-shadow(1px 1px 2px red)"/></svg>'),
    );
    expect(css.filterWork).toBe(2);
  });

  it('a filtered SVG costly only at a large size: rendered small, refused large (a refusal of that size)', async () => {
    const blurs = Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><filter id="f"><feGaussianBlur stdDeviation="2"/></filter>${'<rect width="100" height="100" fill="#36c" filter="url(#f)"/>'.repeat(30)}</svg>`,
    );
    expect((await refusal(blurs, V(128, 128, 'png'))).status).toBe(200);
    const large = await refusal(blurs, V(1024, 1024, 'png'));
    expect(large.status).toBe(413);
    expect(large.detail).toContain('svg.maxFilterPixels');
  });

  it('ordinary filtered drawings still render: 40 shadowed bars at 1024x1024, a shadowed logo 1920 wide', async () => {
    expect((await refusal(chart, V(1024, 1024, 'png'))).status).toBe(200);
    expect((await refusal(logo, V(1920, undefined, 'webp'))).status).toBe(200);
  }, 60_000);
});

describe('animated output is limited per frame', () => {
  it('60 frames of 300x300 as WebP and GIF: 200, although the stacked frames are 18000 px high', async () => {
    const frames = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        sharp({ create: { width: 300, height: 300, channels: 3, background: '#2468ac' } })
          .composite([{ input: { create: { width: 20, height: 20, channels: 3, background: '#ffcc00' } }, left: i * 4, top: i * 4 }])
          .png()
          .toBuffer(),
      ),
    );
    const gif = await sharp(frames, { join: { animated: true } })
      .gif()
      .toBuffer();
    expect((await sharp(gif).metadata()).pages).toBe(60);
    for (const format of ['webp', 'gif'] as const) {
      const out = await render(gif, V(320, undefined, format), OPTIONS);
      expect([out.width, out.height, out.frames]).toEqual([300, 300, 60]);
      const meta = await sharp(out.data, { animated: true }).metadata();
      expect([meta.format, meta.pages, meta.pageHeight]).toEqual([format, 60, 300]);
    }
  }, 60_000);
});
