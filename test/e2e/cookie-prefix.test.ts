// samlkit's default cookies as a real browser (Debian's Chromium, driven by playwright-core)
// takes them: `__Host-` names on an https SP (a local https server with a certificate made for
// the test; Chromium told to accept it), plain names on http://localhost. A whole login proves
// both cookies were stored and sent back: the finish step needs the login cookie, and the
// protected page the session cookie.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '@samlkit/core';
import { createSamlExpress } from '@samlkit/express';
import { generateTestKeys, type IdpServer, startIdpServer } from '@samlkit/testkit';
import express from 'express';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSelfSigned } from '../../packages/core/test/support/tls.js';
import { CHROMIUM, CHROMIUM_ARGS, chromiumAvailable } from '../support/chromium.js';

const available = chromiumAvailable('cookie prefixes (test/e2e/cookie-prefix.test.ts)');

describe.skipIf(!available)('browser: the default cookies are accepted', () => {
  let context: BrowserContext;
  let profileDir: string;
  const stops: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    profileDir = mkdtempSync(join(tmpdir(), 'samlkit-chromium-'));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      // The SP's certificate is made by the test and trusted by nothing else.
      args: [...CHROMIUM_ARGS, '--ignore-certificate-errors'],
      ignoreHTTPSErrors: true,
    });
  });

  afterAll(async () => {
    await context?.close();
    for (const stop of stops.reverse()) await stop();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  });

  /** An SP on localhost (https or http) with samlkit's default cookie settings, and its IdP. */
  async function startSp(secure: boolean): Promise<{ sp: string; idp: IdpServer }> {
    let app: express.Express | undefined;
    const handler: RequestListener = (req, res) => app!(req, res);
    const server = secure
      ? createHttpsServer({ ...makeSelfSigned() }, handler)
      : createHttpServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const sp = `${secure ? 'https' : 'http'}://localhost:${(server.address() as AddressInfo).port}`;
    const idp = await startIdpServer({
      host: '127.0.0.1',
      serviceProviders: [{ entityId: `${sp}/saml/metadata`, acsUrls: [`${sp}/saml/acs`] }],
    });
    const keys = await generateTestKeys({ subject: 'samlkit cookie sp' });
    const saml = createSamlExpress({
      sp: {
        entityId: `${sp}/saml/metadata`,
        assertionConsumerServices: [{ binding: 'post', location: `${sp}/saml/acs` }],
        signingKeys: [{ privateKey: keys.privateKey, certificate: keys.certificatePem }],
      },
      idps: idp.config,
      baseUrl: sp,
      store: new MemoryStore(),
      logger: { warn: (m, d) => console.warn(m, d), error: (m, d) => console.error(m, d) },
    });
    app = express();
    app.use(saml.routes);
    app.get('/app/protected', saml.requireSession(), (req, res) => {
      res.json(req.samlSession);
    });
    // The shapes samlkit refuses at start-up, written by hand: browsers drop them.
    app.get('/refused-shapes', (_req, res) => {
      res.setHeader('set-cookie', [
        '__Host-with_domain=1; Domain=localhost; Path=/; Secure; HttpOnly',
        '__Host-with_path=1; Path=/saml; Secure; HttpOnly',
        '__Secure-not_secure=1; Path=/; HttpOnly',
        'control=1; Path=/; Secure; HttpOnly',
      ]);
      res.type('text/plain').send('ok');
    });
    stops.push(
      async () => idp.stop(),
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    return { sp, idp };
  }

  for (const [label, secure, name] of [
    ['https://localhost: __Host- names', true, '__Host-samlkit_session'],
    ['http://localhost: plain names', false, 'samlkit_session'],
  ] as const) {
    it(`${label} are stored, sent back, and sign the user in`, async () => {
      const { sp, idp } = await startSp(secure);
      // Cookies are per host, not per port or scheme: start each case with an empty jar.
      await context.clearCookies();
      const page = await context.newPage();
      try {
        await page.goto(`${sp}/app/protected`);
        await page.waitForURL(`${idp.url}/sso?**`);
        // The login cookie was accepted when the login started.
        // (A __Host- cookie has Path=/; a plain one is scoped to the login and ACS directory.)
        const login = (await context.cookies(`${sp}/saml/acs`)).find(
          (c) => c.name === `${name}_login`,
        );
        expect(login).toMatchObject({
          path: secure ? '/' : '/saml',
          secure,
          httpOnly: true,
          sameSite: 'Lax',
        });
        await page.fill('input[name=username]', 'alice');
        await page.fill('input[name=password]', 'alice');
        await Promise.all([
          page.waitForURL(`${sp}/app/protected`),
          page.click('button[type=submit]'),
        ]);
        const shown = JSON.parse((await page.textContent('body')) ?? '') as { nameId?: string };
        expect(shown.nameId).toBe('alice@example.com');
        const cookies = await context.cookies(sp);
        const session = cookies.find((c) => c.name === name);
        expect(session).toMatchObject({ path: '/', secure, httpOnly: true, sameSite: 'Lax' });
        // A __Host- cookie is host-only: no Domain attribute (playwright shows the host itself).
        expect(session?.domain).toBe('localhost');
        // The used login cookie was cleared: the session cookie is all that is left.
        expect((await context.cookies(`${sp}/saml/acs`)).map((c) => c.name)).toEqual([name]);
        if (secure) {
          // Why those settings are refused when the SP is created: Chromium drops such cookies.
          await page.goto(`${sp}/refused-shapes`);
          const names = (await context.cookies(`${sp}/saml/acs`)).map((c) => c.name).sort();
          expect(names).toEqual([name, 'control'].sort());
        }
      } finally {
        await page.close();
      }
    }, 60_000);
  }
});
