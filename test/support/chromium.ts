// Debian's Chromium for the browser tests, started the way this machine needs: headless, no
// sandbox (root), and none of the background connections a closed network would refuse.
import { existsSync } from 'node:fs';

/** Where Debian's `chromium` package installs the browser. */
export const CHROMIUM = '/usr/bin/chromium';

/** The command-line flags every browser test starts Chromium with. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

/**
 * Whether Chromium is installed. When it is not, says so loudly, and in CI fails: CI installs it,
 * so a skipped browser suite there is a broken CI, not a pass.
 * @param suite - the test file, for the notice
 */
export function chromiumAvailable(suite: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  const line = '!'.repeat(78);
  const message = `${suite}: SKIPPED because ${CHROMIUM} is missing (apt-get install chromium)`;
  if (process.env.CI) throw new Error(`${message}; CI must not skip it`);
  console.warn(`\n${line}\n${message}\n${line}\n`);
  return false;
}
