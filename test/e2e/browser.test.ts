// A real browser (Debian's Chromium, driven by playwright-core) signs in where the IdP and the SP
// are different sites: the IdP on http://127.0.0.1, the SP on http://localhost. The IdP's
// HTTP-POST of the Response is a cross-site POST, so the browser withholds the SP's
// SameSite=Lax session cookie from it. The login must work anyway, a step-up re-authentication
// (ForceAuthn) must keep the existing session, and Single Logout must end it.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '@samlkit/core';
import { createSamlExpress } from '@samlkit/express';
import { generateTestKeys, type IdpServer, startIdpServer } from '@samlkit/testkit';
import express from 'express';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, chromiumAvailable } from '../support/chromium.js';

const available = chromiumAvailable('browser e2e (test/e2e/browser.test.ts)');

interface AcsHit {
  readonly method: string;
  readonly cookie: string | undefined;
}

describe.skipIf(!available)('browser: IdP and SP on different sites', () => {
  let server: Server;
  let idp: IdpServer;
  let context: BrowserContext;
  let page: Page;
  let profileDir: string;
  let sp = '';
  const acsHits: AcsHit[] = [];

  beforeAll(async () => {
    // The SP listens first (its URL goes into the IdP's configuration), then gets its app.
    let app: express.Express | undefined;
    server = createServer((req, res) => app!(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    sp = `http://localhost:${(server.address() as AddressInfo).port}`;
    idp = await startIdpServer({
      host: '127.0.0.1',
      serviceProviders: [
        { entityId: `${sp}/saml/metadata`, acsUrls: [`${sp}/saml/acs`], sloUrl: `${sp}/saml/slo` },
      ],
    });
    const keys = await generateTestKeys({ subject: 'samlkit browser sp' });
    const saml = createSamlExpress({
      sp: {
        entityId: `${sp}/saml/metadata`,
        assertionConsumerServices: [{ binding: 'post', location: `${sp}/saml/acs` }],
        singleLogoutServices: [{ binding: 'redirect', location: `${sp}/saml/slo` }],
        signingKeys: [{ privateKey: keys.privateKey, certificate: keys.certificatePem }],
      },
      idps: idp.config,
      baseUrl: sp,
      store: new MemoryStore(),
      logger: { warn() {}, error: (m, d) => console.error(m, d) },
    });
    app = express();
    // Every request to the ACS: the IdP's cross-site POST, and the same-site finish GET it
    // redirects to (which must bring the Lax login cookie).
    app.all('/saml/acs', (req, _res, next) => {
      acsHits.push({ method: req.method, cookie: req.headers.cookie });
      next();
    });
    app.use(saml.routes);
    app.get('/app/protected', saml.requireSession(), (req, res) => {
      res.json(req.samlSession);
    });
    app.get('/', (_req, res) => {
      res.type('text/plain').send('home');
    });

    profileDir = mkdtempSync(join(tmpdir(), 'samlkit-chromium-'));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_ARGS],
    });
    page = context.pages()[0] ?? (await context.newPage());
  });

  afterAll(async () => {
    await context?.close();
    await idp?.stop();
    await new Promise<void>((resolve) => {
      if (!server) return resolve();
      server.closeAllConnections();
      server.close(() => resolve());
    });
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  });

  async function signInAtIdp(username: string): Promise<void> {
    await page.waitForURL(`${idp.url}/sso?**`);
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', username);
    await Promise.all([page.waitForURL(`${sp}/app/protected`), page.click('button[type=submit]')]);
  }

  async function sessionShown(): Promise<Record<string, unknown>> {
    return JSON.parse((await page.textContent('body')) ?? '') as Record<string, unknown>;
  }

  async function sessionCookie() {
    return (await context.cookies(sp)).find((c) => c.name === 'samlkit_session');
  }

  it('signs in through the cross-site POST, steps up keeping the session, then logs out with SLO', async () => {
    // 1. A protected page sends the browser to the IdP's login page.
    await page.goto(`${sp}/app/protected`);
    await signInAtIdp('alice');
    const first = await sessionShown();
    expect(first.nameId).toBe('alice@example.com');
    // The IdP's cross-site POST brings no Lax cookie; the 303 to the same-site finish step is a
    // top-level GET that brings the login cookie, which binds the login to this browser.
    expect(acsHits.map((h) => h.method)).toEqual(['POST', 'GET']);
    expect(acsHits[0]!.cookie ?? '').not.toContain('samlkit_session_login=');
    expect(acsHits[1]!.cookie ?? '').toContain('samlkit_session_login=');
    const cookie = await sessionCookie();
    expect(cookie).toMatchObject({ sameSite: 'Lax', httpOnly: true, secure: false });

    // 2. Step-up: ForceAuthn makes the IdP ask again; its POST to the ACS comes without the Lax
    //    cookie (cross-site), and the session survives with a new authentication instant.
    await page.goto(`${sp}/saml/login?forceAuthn=true&returnTo=/app/protected`);
    await page.waitForURL(`${idp.url}/sso?**`);
    expect(await page.textContent('body')).toContain('Please sign in again');
    await signInAtIdp('alice');
    expect(acsHits.map((h) => h.method)).toEqual(['POST', 'GET', 'POST', 'GET']);
    expect(acsHits[2]!.cookie ?? '').not.toContain('samlkit_session=');
    expect(acsHits[3]!.cookie ?? '').toContain('samlkit_session=');
    expect(acsHits[3]!.cookie ?? '').toContain('samlkit_session_login=');
    const after = await sessionShown();
    expect(after.id).toBe(first.id);
    expect(after.createdAt).toBe(first.createdAt);
    expect(Number(after.authnInstant)).toBeGreaterThan(Number(first.authnInstant));
    expect((await sessionCookie())?.value).toBe(cookie!.value);

    // 3. SP-initiated Single Logout: SP → IdP → back to the SP's SLO endpoint → the home page.
    await page.goto(`${sp}/saml/logout`);
    await page.waitForURL(`${sp}/`);
    expect(await page.textContent('body')).toBe('home');
    expect(await sessionCookie()).toBeUndefined();
    // Signed out at both: the protected page leads to the IdP's login form again.
    await page.goto(`${sp}/app/protected`);
    await page.waitForURL(`${idp.url}/sso?**`);
    expect(await page.isVisible('input[name=password]')).toBe(true);
  }, 90_000);
});
