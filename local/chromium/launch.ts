import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** Debian's Chromium (local/chromium/install.sh; $TIDEMARK_CHROMIUM overrides), with a new empty profile. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.TIDEMARK_CHROMIUM ?? '/usr/bin/chromium',
    args: [...chromiumFlags, `--user-data-dir=${mkdtempSync(join(tmpdir(), 'tidemark-chromium-'))}`],
  });
}
