// The getting-started guides' complete applications, run as written: their code blocks (marked
// `<!-- snippet: run NAME -->`) are written to a file and started in a directory prepared as the
// guide says (`samlkit keys`, the test IdP's metadata saved as idp-metadata.xml), then a browser
// signs in as alice through samlkit's test IdP and lands on /profile.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, nodeIo } from '@samlkit/cli';
import { type IdpServer, startIdpServer } from '@samlkit/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserClient, readForms } from '../support/browser-client.js';
import { freePort } from '../support/demo-process.js';
import { HERE, readSnippets } from './snippets.js';

interface Closable {
  close(callback?: (error?: Error) => void): unknown;
}

const programs = readSnippets().filter((s) => s.directive.kind === 'run');

describe.each([
  ['express', 'getting-started-express.md'],
  ['hono', 'getting-started-fetch.md'],
])('the %s guide (%s), run as written', (name, doc) => {
  const snippet = programs.find((s) => s.directive.kind === 'run' && s.directive.name === name);
  let idp: IdpServer;
  let server: Closable;
  let base: string;
  const workDir = mkdtempSync(join(tmpdir(), `samlkit-guide-${name}-`));
  const programFile = join(HERE, `.run-${name}-${process.pid}.ts`);
  const cwd = process.cwd();
  const env = { PORT: process.env.PORT, BASE_URL: process.env.BASE_URL };

  beforeAll(async () => {
    expect(snippet, `${doc} has a block marked <!-- snippet: run ${name} -->`).toBeDefined();
    const port = await freePort();
    base = `http://localhost:${port}`;
    // What the guide asks the reader to do first: keys, and the test IdP's metadata.
    const out: string[] = [];
    const io = {
      stdout: (s: string) => out.push(s),
      stderr: (s: string) => out.push(s),
    };
    process.chdir(workDir); // `npx samlkit keys` in the application's directory
    const code = await main(['keys'], { ...nodeIo, ...io }).finally(() => process.chdir(cwd));
    expect(code, out.join('')).toBe(0);
    idp = await startIdpServer({
      serviceProviders: [
        {
          entityId: `${base}/saml/metadata`,
          acsUrls: [`${base}/saml/acs`],
          sloUrl: `${base}/saml/slo`,
        },
      ],
    });
    const metadata = await fetch(`${idp.url}/metadata`);
    writeFileSync(join(workDir, 'idp-metadata.xml'), await metadata.text());
    // The program exactly as printed, plus one line so the test can stop its server.
    writeFileSync(programFile, `${snippet!.code}\nexport { server };\n`);
    process.chdir(workDir);
    process.env.PORT = String(port);
    delete process.env.BASE_URL;
    try {
      ({ server } = (await import(/* @vite-ignore */ programFile)) as { server: Closable });
    } finally {
      process.chdir(cwd);
    }
  });

  afterAll(async () => {
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await new Promise((resolve) => (server ? server.close(() => resolve(undefined)) : resolve(0)));
    await idp?.stop();
    rmSync(programFile, { force: true });
    rmSync(workDir, { recursive: true, force: true });
  });

  it('signs alice in through the test IdP and shows her profile', async () => {
    const browser = new BrowserClient();
    const home = await browser.go(`${base}/`);
    expect(home.body).toContain('Sign in');
    const login = await browser.go(`${base}/profile`);
    expect(new URL(login.url).origin).toBe(new URL(idp.url).origin);
    const form = readForms(login).find((f) => f.fields.has('username'));
    expect(form, login.body).toBeDefined();
    const profile = await browser.autoPost(
      await browser.submit(form!, { username: 'alice', password: 'alice' }),
    );
    expect(profile.url).toBe(`${base}/profile`);
    expect(profile.status).toBe(200);
    const body = JSON.parse(profile.body) as { user: string; attributes: Record<string, string[]> };
    expect(body.user).toBe('alice@example.com');
    expect(body.attributes.groups).toContain('staff');
    const again = await browser.go(`${base}/`);
    expect(again.body).toBe('Hello alice@example.com');
  });
});

describe.each([
  ['testkit', false],
  ['testkit-encrypted', true],
])('the docs/testkit.md block "%s", run as written', (name, encrypted) => {
  const snippet = programs.find((s) => s.directive.kind === 'run' && s.directive.name === name);
  const programFile = join(HERE, `.run-${name}-${process.pid}.ts`);
  afterAll(() => rmSync(programFile, { force: true }));

  it('validates the Response it builds', async () => {
    expect(
      snippet,
      `docs/testkit.md has a block marked <!-- snippet: run ${name} -->`,
    ).toBeDefined();
    writeFileSync(programFile, `${snippet!.code}\nexport { result };\n`);
    const { result } = (await import(/* @vite-ignore */ programFile)) as {
      result: { userId: string; encrypted: boolean };
    };
    expect(result.userId).toBe('alice@example.com');
    expect(result.encrypted).toBe(encrypted);
  });
});
