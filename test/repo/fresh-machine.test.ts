// The README's test command on a machine without the system packages the suites need: it installs
// them where it can, and otherwise stops with the exact command — never a silent skip.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = join(root, 'scripts/system-packages.sh');

describe('scripts/system-packages.sh', () => {
  // A PATH with grep only: redis-server, xmlsec1, php and apt-get are "not installed".
  const bin = mkdtempSync(join(tmpdir(), 'samlkit-bare-'));
  symlinkSync('/usr/bin/grep', join(bin, 'grep'));
  afterAll(() => rmSync(bin, { recursive: true, force: true }));

  it('stops with the exact apt-get command when it cannot install', () => {
    const r = spawnSync('/bin/bash', [script], {
      env: { PATH: bin, SAMLKIT_SYSTEM_INSTALL: 'never' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /apt-get update && apt-get install -y redis-server xmlsec1 .*php-cli php-xml/,
    );
    expect(r.stderr).toContain('then run the tests again');
  });

  // Under CI (.ci/run installed them first) every package is there.
  it.skipIf(!process.env.CI)('passes on a machine that has everything', () => {
    const r = spawnSync('/bin/bash', [script], {
      env: { ...process.env, SAMLKIT_SYSTEM_INSTALL: 'never' },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
  });
});

describe('scripts/dev', () => {
  it('refuses anything but start and test, with its usage', () => {
    const r = spawnSync('/bin/bash', [join(root, 'scripts/dev'), 'tset'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('usage: scripts/dev start | test\n');
  });
});
