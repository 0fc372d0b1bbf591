// The demo's tenant mode (SAML_TENANTS_FILE, DESIGN.md "The demo: tenants"): two tenants with their
// own built-in test IdPs, a Response of one tenant refused at the other's ACS (the first tenant's
// login intact), and tenants added and removed by editing the file while the demo runs.
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserClient, readForms } from '../support/browser-client.js';
import { type DemoProcess, startDemoProcess } from '../support/demo-process.js';

describe('the demo with tenants (SAML_TENANTS_FILE)', () => {
  let demo: DemoProcess;
  let dir: string;
  let file: string;
  let stamp = Date.now() / 1000;

  function writeTenants(list: readonly Record<string, unknown>[]): void {
    writeFileSync(file, JSON.stringify(list));
    // A distinct modification time for every write, however fast the writes follow each other.
    stamp += 10;
    utimesSync(file, stamp, stamp);
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'samlkit-demo-tenants-'));
    file = join(dir, 'tenants.json');
    writeTenants([{ id: 'acme' }, { id: 'globex', userIdAttribute: 'email' }]);
    demo = await startDemoProcess({ SAML_TENANTS_FILE: file });
  }, 400_000);
  afterAll(async () => {
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves each tenant’s metadata with its own entity ID', async () => {
    const browser = new BrowserClient();
    for (const id of ['acme', 'globex']) {
      const md = await browser.go(`${demo.url}/t/${id}/saml/metadata`);
      expect(md.status).toBe(200);
      expect(md.body).toContain(`entityID="${demo.url}/t/${id}/saml/metadata"`);
      expect(md.body).toContain(`Location="${demo.url}/t/${id}/saml/acs"`);
    }
  });

  it('signs in at one tenant; a Response for it posted to the other tenant’s ACS is refused there and the login completes at its own', async () => {
    const browser = new BrowserClient();
    const login = await browser.go(`${demo.url}/t/acme/profile`);
    const form = readForms(login).find((f) => f.fields.has('username'));
    expect(form).toBeDefined();
    const answer = await browser.submit(form!, { username: 'alice', password: 'alice' });
    const post = readForms(answer).find((f) => f.fields.has('SAMLResponse'));
    expect(post?.action).toBe(`${demo.url}/t/acme/saml/acs`);
    // The same Response, posted to globex's ACS.
    const wrong = await browser.request(`${demo.url}/t/globex/saml/acs`, {
      method: 'POST',
      form: post!.fields,
    });
    expect(wrong.status).toBeGreaterThanOrEqual(400);
    expect(wrong.status).toBeLessThan(500);
    const profile = await browser.submit(post!);
    expect(profile.url).toBe(`${demo.url}/t/acme/profile`);
    expect(profile.body).toContain('alice@example.com');
    // Not signed in at globex: its protected page sends the browser to globex's own IdP.
    const other = await browser.request(`${demo.url}/t/globex/profile`);
    expect(other.status).toBe(303);
    expect(other.headers.get('location')).toContain('/t/globex/saml/login');
  });

  it('reads the file again: a tenant removed answers 404, a tenant added is served', async () => {
    const browser = new BrowserClient();
    writeTenants([{ id: 'acme' }, { id: 'initech' }]);
    // The demo checks the file at most every half second.
    let gone = 0;
    for (let i = 0; i < 40 && gone !== 404; i++) {
      await new Promise((r) => setTimeout(r, 250));
      gone = (await browser.request(`${demo.url}/t/globex/saml/metadata`)).status;
    }
    expect(gone).toBe(404);
    const added = await browser.go(`${demo.url}/t/initech/saml/metadata`);
    expect(added.status).toBe(200);
    expect(added.body).toContain(`entityID="${demo.url}/t/initech/saml/metadata"`);
    expect(demo.output()).toContain('tenant globex removed');
    expect(demo.output()).toContain('tenant initech added');
  });
});
