/** Debian's Chromium driven by playwright-core, with the flags this machine needs. */
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';

const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** On CI Chromium must be there (.ci/run installs it); elsewhere its absence skips the browser tests. */
export const hasChromium = existsSync(CHROMIUM_PATH) || process.env['CI'] === 'true';

/** Why a browser test is skipped on this machine, for `ctx.skip(!hasChromium, WITHOUT_CHROMIUM)`. */
export const WITHOUT_CHROMIUM = `no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)`;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}
