import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliIo, main } from '@samlkit/cli';
import { describe, expect, it } from 'vitest';
import { run } from './helpers.js';

function liveIo(): { io: CliIo; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
    readStdin: async () => '',
    readFile: (path) => import('node:fs/promises').then((fs) => fs.readFile(path, 'utf8')),
    writeFile: async () => {},
    fetch,
    now: () => new Date(),
  };
  return { io, out: () => out, err: () => err };
}

async function waitFor(read: () => string, pattern: RegExp): Promise<RegExpExecArray> {
  for (let i = 0; i < 400; i++) {
    const m = pattern.exec(read());
    if (m) return m;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`never printed ${pattern}: ${read()}`);
}

describe('samlkit dev-idp', () => {
  it('serves the test IdP until SIGINT, with the users and SPs it was given', async () => {
    const users = join(tmpdir(), `samlkit-dev-idp-users-${process.pid}.json`);
    await writeFile(
      users,
      JSON.stringify([
        {
          username: 'dana',
          password: 'secret',
          nameId: 'dana@example.net',
          attributes: [{ name: 'role', values: ['tester'] }],
        },
      ]),
    );
    const { io, out, err } = liveIo();
    const sigintListeners = process.listenerCount('SIGINT');
    const exit = main(
      [
        'dev-idp',
        '--port',
        '0',
        '--users',
        users,
        '--sp-entity-id',
        'http://localhost:3000/saml/metadata',
        '--sp-acs',
        'http://localhost:3000/saml/acs',
      ],
      io,
    );
    const [, url] = await waitFor(out, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
    expect(out()).toContain('dana (dana@example.net)');
    const metadata = await fetch(`${url}/metadata`).then((r) => r.text());
    expect(metadata).toContain(`entityID="${url}/metadata"`);
    expect(metadata).toContain(`Location="${url}/sso"`);
    const home = await fetch(`${url}/`).then((r) => r.text());
    expect(home).toContain('dana');
    expect(process.listenerCount('SIGINT')).toBe(sigintListeners + 1);
    process.emit('SIGINT');
    expect(await exit).toBe(0);
    expect(err()).toContain('stopped');
    expect(process.listenerCount('SIGINT')).toBe(sigintListeners);
    await expect(fetch(`${url}/metadata`)).rejects.toThrow();
  });

  it('refuses a non-loopback address, a bad port and malformed users (exit 2)', async () => {
    const host = await run(['dev-idp', '--host', '0.0.0.0']);
    expect(host.code).toBe(2);
    expect(host.stderr).toContain('loopback');
    expect((await run(['dev-idp', '--port', 'http'])).code).toBe(2);
    const users = await run(['dev-idp', '--users', 'u.json'], {
      files: { 'u.json': '[{"username":"x"}]' },
    });
    expect(users.code).toBe(2);
    expect(users.stderr).toContain('"password"');
    const orphan = await run(['dev-idp', '--sp-acs', 'http://localhost:3000/saml/acs']);
    expect(orphan.code).toBe(2);
  });

  it('is listed in samlkit --help', async () => {
    const help = await run(['--help']);
    expect(help.stdout).toContain('dev-idp');
  });
});
