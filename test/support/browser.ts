/**
 * Headless Chromium for browser tests, driven by playwright-core against the
 * system's Chromium (no browser download). Every launch gets a fresh, temporary
 * profile: playwright creates one per `launch()` and deletes it on `close()`.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags that keep Chromium quiet, offline-friendly and runnable as root in CI. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The Chromium binary: `CHROMIUM_PATH` when set, else the system package's path. */
export function chromiumPath(): string {
  return process.env['CHROMIUM_PATH'] || DEFAULT_CHROMIUM_PATH;
}

export async function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium not found at ${executablePath}. Install it (Debian/Ubuntu: \`apt-get install -y chromium\`) ` +
        'or point CHROMIUM_PATH at a Chromium or Chrome binary.',
    );
  }
  return chromium.launch({ executablePath, headless: true, args: [...CHROMIUM_ARGS] });
}
