import { type Browser, chromium } from 'playwright-core';

/**
 * Flags from .library/env/machines/polyglot.md: headless as root, and none of Chromium's own background connections,
 * which this machine's closed network refuses many times at every start.
 */
export const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Debian's Chromium (local/chromium/install.sh; $TIDEMARK_CHROMIUM overrides). Playwright gives each launch a new
 * empty profile of its own (it refuses a `--user-data-dir` flag).
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.TIDEMARK_CHROMIUM ?? '/usr/bin/chromium', args: chromiumFlags });
}
