/**
 * A private image over the 1 MB generated-response cap in a real browser: Chromium loads it from a
 * signed URL in an <img>, following the credential-free 302 that signed-url's viewer-response step
 * turned into a redirect to the very URL that viewer signed.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLine } from '../../functions/core/log.ts';
import type { RequestTrace } from '../../infra/local/edge.ts';
import { startLocalStack } from '../../infra/local-stack.ts';
import type { LocalStack } from '../../infra/local-stack.ts';
import { signUrl, testKey } from '../../infra/tools/signer.ts';
import { hasChromium, launchChromium } from '../support/browser.ts';
import { putPrivateOverCap } from '../support/originals.ts';

let stack: LocalStack;
let browser: Browser;
const logs: LogLine[] = [];
const traces: RequestTrace[] = [];
const key = testKey('RSA-2048');

beforeAll(async () => {
  if (!hasChromium) return;
  stack = await startLocalStack({ port: 0, log: (line) => logs.push(line), onTrace: (trace) => traces.push(trace) });
  await putPrivateOverCap(stack.s3.client, stack.bucket);
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe.skipIf(!hasChromium)('an over-cap private image in Chromium', () => {
  it('loads from its signed URL through the redirect back to that same URL', async () => {
    const src = signUrl({
      url: `${stack.edge.url}/private/big.jpg?w=1280&fm=png&q=95`,
      expires: new Date(Date.now() + 600_000),
      keyPairId: key.id,
      privateKey: key.privateKey,
    });
    const page = await (await browser.newContext()).newPage();
    const redirects: { from: string; to: string | null }[] = [];
    page.on('response', (response) => {
      if (response.status() === 302) redirects.push({ from: response.url(), to: response.headers()['location'] ?? null });
    });
    await page.setContent(`<!doctype html><body><img src="${src}"></body>`);
    await page.waitForFunction(() => [...document.images].every((i) => i.complete));
    expect(await page.evaluate(() => document.images[0]!.naturalWidth)).toBe(1280);
    // The browser was redirected once, to the path and query it had signed.
    expect(redirects).toEqual([{ from: src, to: src.slice(stack.edge.url.length) }]);
    expect(logs.filter((l) => l.fn === 'image-resize' && l.outcome === 'resized-redirect')).toHaveLength(1);
    expect(logs.filter((l) => l.fn === 'signed-url' && l.outcome === 'redirect-signed')).toHaveLength(1);
    // The second request was a plain S3 hit of the stored image.
    const served = traces.filter((t) => t.uri === src.slice(stack.edge.url.length)).map((t) => t.status);
    expect(served).toEqual([302, 200]);
  }, 120_000);
});
