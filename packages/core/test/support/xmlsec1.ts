// One rule for every suite that cross-checks with xmlsec1: under CI a missing xmlsec1 fails the
// run (it must not silently register fewer tests); elsewhere the suite skips with a loud line.
import { spawnSync } from 'node:child_process';

const installed = spawnSync('xmlsec1', ['--version']).status === 0;

/** Whether xmlsec1 can run here; throws under `CI=true` when it cannot. */
export function xmlsec1Available(what: string): boolean {
  if (installed) return true;
  if (process.env.CI === 'true') {
    throw new Error(`xmlsec1 is required under CI for ${what} (apt-get install xmlsec1)`);
  }
  console.warn(`\n!!! xmlsec1 is not installed: ${what} SKIPPED !!!\n`);
  return false;
}
