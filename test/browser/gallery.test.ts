/**
 * The gallery in a real browser: Debian's Chromium against the local edge on a free port.
 * A screenshot is kept in test-artifacts/ (not committed).
 */
import { mkdir, readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { images } from '../../infra/distribution.ts';
import { startLocalStack } from '../../infra/local-stack.ts';
import type { LocalStack } from '../../infra/local-stack.ts';
import { hasChromium, launchChromium, WITHOUT_CHROMIUM } from '../support/browser.ts';

let stack: LocalStack;
let browser: Browser;

beforeAll(async () => {
  stack = await startLocalStack({ log: () => {} });
  if (hasChromium) browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

async function openGallery(width = 1280): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(stack.edge.url, { waitUntil: 'networkidle' });
  return { page, errors };
}

/** Waits until every image in the selector has loaded, then returns what the browser decoded. */
async function decoded(page: Page, selector: string) {
  await page.waitForFunction(
    (s) => {
      const images = [...document.querySelectorAll<HTMLImageElement>(s)];
      return images.length > 0 && images.every((i) => i.complete && i.dataset['format']);
    },
    selector,
    { timeout: 30_000 },
  );
  return page.$$eval(selector, (images) =>
    (images as HTMLImageElement[]).map((i) => ({
      src: i.currentSrc,
      preset: i.dataset['preset'],
      width: i.naturalWidth,
      height: i.naturalHeight,
      format: i.dataset['format'],
    })),
  );
}

describe('the gallery in Chromium', () => {
  beforeEach((ctx) => ctx.skip(!hasChromium, WITHOUT_CHROMIUM));
  it('shows a q=auto image of every original with the SSIM it reached, at or above the target', async () => {
    const { page, errors } = await openGallery();
    await decoded(page, 'img[data-quality=auto]');
    const shown = await page.$$eval('img[data-quality=auto]', (all) =>
      (all as HTMLImageElement[]).map((i) => ({ ssim: i.dataset['ssim'], caption: i.parentElement?.querySelector('figcaption')?.textContent ?? '' })),
    );
    expect(shown.length).toBe(stack.seeded.filter((key) => !key.startsWith('private/')).length);
    for (const { ssim, caption } of shown) {
      expect(Number(ssim)).toBeGreaterThanOrEqual(images.quality!.auto.target);
      expect(caption).toContain(`SSIM ${ssim}`);
    }
    expect(errors).toEqual([]);
  });

  it('shows every original at every preset, decoded at its expected size, with no console errors', async () => {
    const { page, errors } = await openGallery();
    const thumbs = await decoded(page, 'img[data-preset]');
    const originals = stack.seeded.filter((key) => !key.startsWith('private/'));
    const presets = Object.entries(images.presets);
    expect(thumbs.length).toBe(originals.length * presets.length);
    for (const thumb of thumbs.filter((t) => t.preset === 'thumb')) expect([thumb.width, thumb.height]).toEqual([128, 128]);
    for (const thumb of thumbs.filter((t) => t.preset === 'avatar')) expect([thumb.width, thumb.height]).toEqual([64, 64]);
    for (const [name, preset] of presets) {
      for (const thumb of thumbs.filter((t) => t.preset === name)) {
        expect(thumb.width).toBeLessThanOrEqual(preset.width);
        // fm=auto: Chromium names AVIF in its Accept header, so it gets AVIF unless the preset fixes a format.
        const expected = preset.format === undefined || preset.format === 'auto' ? 'avif' : preset.format === 'jpg' ? 'jpeg' : preset.format;
        expect(thumb.format).toBe(expected);
      }
    }
    await mkdir('test-artifacts', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/gallery.png', fullPage: false });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('lets srcset pick a different width at a different viewport', async () => {
    const chosen: string[] = [];
    for (const width of [420, 1400]) {
      const { page } = await openGallery(width);
      const [image] = await decoded(page, '#srcset-image');
      chosen.push(new URL(image!.src).searchParams.get('w')!);
      await page.close();
    }
    expect(Number(chosen[0])).toBeLessThan(Number(chosen[1]));
  });

  it('uploads a new original through an upload grant and shows its first thumbnail', async () => {
    const { page, errors } = await openGallery();
    await page.fill('input[name=key]', 'uploads/street copy.jpg');
    await page.setInputFiles('input[name=file]', { name: 'street.jpg', mimeType: 'image/jpeg', buffer: await readFile('fixtures/images/street-1080p.jpg') });
    await page.click('button[type=submit]');
    const [thumb] = await decoded(page, 'img#uploaded-thumb');
    expect([thumb!.width, thumb!.height, thumb!.format]).toEqual([128, 128, 'avif']);
    // A key outside the token's prefix: S3 (the embedded S3's policy guard) refuses it, and says why.
    await page.fill('input[name=key]', 'photos/street copy.jpg');
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('#upload-result')).toContain('S3 refused the upload: AccessDenied');
    expect(errors.filter((e) => !e.includes('403'))).toEqual([]);
    await page.close();
  });

  it('shows the private image through a signed URL and through signed cookies, and not without them', async () => {
    const { page, errors } = await openGallery();
    const images = await decoded(page, 'img[data-private]');
    expect(images.map((i) => [i.width, i.format])).toEqual([
      [320, 'avif'],
      [160, 'avif'],
    ]);
    const unsigned = await page.evaluate(async () => (await fetch('/private/vault.jpg?w=320', { credentials: 'omit' })).status);
    expect(unsigned).toBe(403);
    const publicRoute = await page.evaluate(async () => (await fetch('/256x256/private/vault.jpg')).status);
    expect(publicRoute).toBe(403);
    // Only the two refusals asked for above may appear in the console.
    expect(errors.filter((e) => !e.includes('403'))).toEqual([]);
    await page.close();
  });

  it('routes by the chosen viewer country and fails over when the primary is down', async () => {
    const { page, errors } = await openGallery();
    await decoded(page, 'img[data-preset]');
    await page.selectOption('#control-x-local-viewer-country', 'DE');
    await page.waitForFunction(() => document.querySelector<HTMLImageElement>('img[data-preset]')?.src.includes('x-local-viewer-country=DE'));
    const german = await page.$$eval('img[data-preset]', async (images) => {
      await Promise.all((images as HTMLImageElement[]).map((i) => i.decode().catch(() => undefined)));
      return null;
    });
    expect(german).toBeNull();
    await expect
      .poll(() => page.$$eval('img[data-preset]', (images) => [...new Set(images.map((i) => (i as HTMLImageElement).dataset['origin']))].join(',')), {
        timeout: 20_000,
      })
      .toBe('images-s3-eu');

    await page.selectOption('#control-x-local-viewer-country', 'off');
    await page.selectOption('#control-x-local-fail-primary', 'down');
    await page.waitForFunction(() => document.querySelector<HTMLImageElement>('img[data-preset]')?.src.includes('x-local-fail-primary=down'));
    // The secondary serves the originals it holds on disk (the seeded ones, not uploads).
    const cat = 'article[data-key="photos/cat.jpg"] img[data-preset=thumb]';
    const [thumb] = await decoded(page, cat);
    expect([thumb!.width, thumb!.height]).toEqual([128, 128]);
    await expect.poll(() => page.$eval(cat, (i) => (i as HTMLImageElement).dataset['origin']), { timeout: 20_000 }).toBe('image-origin');
    expect(errors.filter((e) => !e.includes('404'))).toEqual([]);
    await page.close();
  });

  it('shows each request in the inspector with the events the functions received', async () => {
    const { page } = await openGallery();
    await decoded(page, 'img[data-preset]');
    await page.waitForSelector('details.trace');
    const trace = page.locator('details.trace', { hasText: '/thumb/photos/cat.jpg' }).first();
    await trace.locator('summary').click();
    const text = await trace.textContent();
    expect(text).toContain('viewer-request: image-request');
    expect(text).toContain('"uri": "/_derived/photos/cat.jpg/128x128-cover-q75.avif"');
    await page.close();
  });
});
