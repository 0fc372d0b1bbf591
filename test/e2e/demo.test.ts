// Smoke test of `pnpm start`: the demo as a child process, signed in through its built-in test IdP
// by a cookie-holding HTTP client, step-up (ForceAuthn), then Single Logout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserClient, decodeHtml, readForms } from '../support/browser-client.js';
import { type DemoProcess, startDemoProcess } from '../support/demo-process.js';

describe('the demo (pnpm start)', () => {
  let demo: DemoProcess;
  const browser = new BrowserClient();

  beforeAll(async () => {
    demo = await startDemoProcess();
  }, 400_000);
  afterAll(async () => {
    await demo?.stop();
  });

  it('prints the URL and the built-in IdP', () => {
    expect(demo.url).toMatch(/^http:\/\/localhost:\d+$/);
    expect(demo.output()).toContain('built-in test IdP at http://127.0.0.1:');
    expect(demo.output()).toContain('store: memory');
  });

  it('serves a public page and the SP metadata', async () => {
    const home = await browser.go(`${demo.url}/`);
    expect(home.status).toBe(200);
    expect(home.body).toContain('You are not signed in');
    const metadata = await browser.go(`${demo.url}/saml/metadata`);
    expect(metadata.status).toBe(200);
    expect(metadata.body).toContain(`entityID="${demo.url}/saml/metadata"`);
    expect(metadata.body).toContain(`Location="${demo.url}/saml/acs"`);
  });

  it('sends an anonymous visitor of /profile to the IdP login page, and back after sign-in', async () => {
    const login = await browser.go(`${demo.url}/profile`);
    expect(new URL(login.url).pathname).toBe('/sso');
    const form = readForms(login).find((f) => f.fields.has('username'));
    expect(form).toBeDefined();
    const profile = await browser.autoPost(
      await browser.submit(form!, { username: 'alice', password: 'alice' }),
    );
    expect(profile.url).toBe(`${demo.url}/profile`);
    expect(profile.status).toBe(200);
    expect(profile.body).toContain('alice@example.com');
    expect(profile.body).toContain('Alice Example');
    expect(profile.body).toContain('admins');
    expect(profile.body).toMatch(/SessionIndex<\/th><td><code>_idx/);
  });

  it('re-authenticates with ForceAuthn and keeps the user signed in', async () => {
    const before = browser.cookies('localhost').get('samlkit_session');
    const again = await browser.go(`${demo.url}/saml/login?forceAuthn=true&returnTo=%2Fprofile`);
    expect(again.body).toContain('Please sign in again');
    const form = readForms(again).find((f) => f.fields.has('username'))!;
    const profile = await browser.autoPost(
      await browser.submit(form, { username: 'alice', password: 'alice' }),
    );
    expect(profile.url).toBe(`${demo.url}/profile`);
    expect(profile.body).toContain('alice@example.com');
    expect(browser.cookies('localhost').get('samlkit_session')).toBeDefined();
    expect(before).toBeDefined();
  });

  it('logs out through the IdP (SP-initiated SLO) and protects /profile again', async () => {
    const home = await browser.go(`${demo.url}/`);
    const logout = readForms(home).find((f) => f.action === `${demo.url}/saml/logout`);
    expect(logout).toBeDefined();
    const after = await browser.autoPost(await browser.submit(logout!));
    expect(browser.history.some((h) => /\/slo\?SAMLRequest=/.test(h))).toBe(true);
    expect(browser.history.some((h) => h.includes('/saml/slo?SAMLResponse='))).toBe(true);
    expect(after.status).toBe(200);
    expect(after.body).toContain('You are not signed in');
    const profile = await browser.request(`${demo.url}/profile`);
    expect(profile.status).toBeGreaterThanOrEqual(300);
    expect(profile.status).toBeLessThan(400);
  });

  it('logs out from the IdP (IdP-initiated SLO) and ends the SP session', async () => {
    const idpBrowser = new BrowserClient();
    const login = await idpBrowser.go(`${demo.url}/profile`);
    const form = readForms(login).find((f) => f.fields.has('username'))!;
    const profile = await idpBrowser.autoPost(
      await idpBrowser.submit(form, { username: 'bob', password: 'bob' }),
    );
    expect(profile.body).toContain('bob@example.com');
    const link = /href="([^"]*\/logout\?sp=[^"]*)"/.exec(profile.body);
    expect(link).not.toBeNull();
    const done = await idpBrowser.autoPost(await idpBrowser.go(decodeHtml(link![1]!)));
    expect(
      idpBrowser.history.some((h) => h.startsWith(`GET ${demo.url}/saml/slo?SAMLRequest=`)),
    ).toBe(true);
    expect(done.body).toContain('Signed out');
    // The IdP's last page leads back to the demo, and speaks in words, not a status URN.
    expect(done.body).toContain(`<a href="${demo.url}/">Back to ${demo.url}/</a>`);
    expect(done.body).not.toContain('urn:oasis:names:tc:SAML:2.0:status');
    const after = await idpBrowser.request(`${demo.url}/profile`);
    expect(after.status).toBeGreaterThanOrEqual(300);
    expect(after.status).toBeLessThan(400);
  });
});
