/**
 * Signed cookies in a real browser: an application page on its own port hands out the cookies that
 * `npm run sign -- --cookies` prints, and Chromium then loads private images from the local edge
 * (same host, so the cookies go along). A fresh browser context without them gets nothing.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LogLine } from '../../functions/core/log.ts';
import { startLocalStack } from '../../infra/local-stack.ts';
import type { LocalStack } from '../../infra/local-stack.ts';
import { runSign } from '../../infra/tools/sign.ts';
import { hasChromium, launchChromium, WITHOUT_CHROMIUM } from '../support/browser.ts';

let stack: LocalStack;
let browser: Browser;
let app: Server;
let appUrl: string;
const logs: LogLine[] = [];

const images = ['/private/vault.jpg?w=256&h=256', '/private/vault.jpg?w=160'];

beforeAll(async () => {
  if (!hasChromium) return;
  stack = await startLocalStack({ port: 0, log: (line) => logs.push(line) });
  const out: string[] = [];
  expect(runSign([`${stack.edge.url}/private/vault.jpg`, '--cookies', '--expires', '10m'], { stdout: (l) => out.push(l), stderr: () => {} })).toBe(0);
  const setCookie = out.map((line) => line.replace(/^Set-Cookie: /, ''));
  // The application: /login sets the signed cookies, /gallery shows private images from the edge.
  app = createServer((req, res) => {
    if (req.url === '/login') {
      res.writeHead(302, { 'Set-Cookie': setCookie, Location: '/gallery' });
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(`<!doctype html><body>${images.map((src) => `<img src="${stack.edge.url}${src}">`).join('')}</body>`);
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (app ? app.close(() => resolve()) : resolve()));
  await stack?.close();
});

async function loadedWidths(context: BrowserContext, start: string): Promise<number[]> {
  const page = await context.newPage();
  await page.goto(start, { waitUntil: 'networkidle' });
  await page.waitForFunction(() => [...document.images].every((i) => i.complete));
  return page.evaluate(() => [...document.images].map((i) => i.naturalWidth));
}

describe('signed cookies in Chromium', () => {
  beforeEach((ctx) => ctx.skip(!hasChromium, WITHOUT_CHROMIUM));

  it('load private images for the viewer who holds them', async () => {
    const context = await browser.newContext();
    expect(await loadedWidths(context, `${appUrl}/login`)).toEqual([256, 160]);
    // Scoped to the folder (Path=/private/), with a second set for its derived images.
    const cookies = await context.cookies(`${stack.edge.url}/private/`);
    expect(cookies.map((c) => c.name).sort()).toEqual(['CloudFront-Key-Pair-Id', 'CloudFront-Policy', 'CloudFront-Signature']);
    expect(logs.filter((l) => l.fn === 'signed-url' && l['via'] === 'cookie' && l.outcome.startsWith('derived')).length).toBe(2);
    await context.close();
  });

  it('load nothing for a viewer without them', async () => {
    const context = await browser.newContext();
    expect(await loadedWidths(context, `${appUrl}/gallery`)).toEqual([0, 0]);
    expect(logs.filter((l) => l.fn === 'signed-url' && l.outcome === 'denied' && l['reason'] === 'missing').length).toBe(2);
    await context.close();
  });
});
