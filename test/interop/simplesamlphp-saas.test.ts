// The SaaS features against a real IdP: SimpleSAMLphp (Debian package) on loopback and the demo in
// tenant mode (SAML_TENANTS_FILE), two tenants trusting the same SimpleSAMLphp IdP with different
// per-IdP policies. SimpleSAMLphp releases what it read from each AuthnRequest (Scoping,
// Extensions, ForceAuthn) as extra attributes, which the demo's profile page shows.
// ProviderName is sent too, but SimpleSAMLphp 1.19 keeps no trace of it (not in its request state
// nor its log), so it is checked by the core tests only.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeRedirect } from '@samlkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserClient, type Page, readForms } from '../support/browser-client.js';
import { type DemoProcess, freePort, startDemoProcess } from '../support/demo-process.js';
import { type SimpleSamlPhp, simpleSamlPhpMissing, startSimpleSamlPhp } from './simplesamlphp.js';

const missing = simpleSamlPhpMissing();
if (missing && process.env.CI !== 'true') {
  console.warn(
    `\n*** SKIPPED: the SimpleSAMLphp SaaS interop suite needs ${missing} (apt-get install simplesamlphp php-xml php-cli) ***\n`,
  );
}

/** The value cell of a row of the demo's profile tables (`<td><code>name</code></td><td>…`). */
function row(page: Page, name: string): string | undefined {
  const esc = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m =
    new RegExp(`<td><code>${esc}</code></td><td>([^]*?)</td>`).exec(page.body) ??
    new RegExp(`<th>${esc}</th><td><code>([^]*?)</code></td>`).exec(page.body);
  return m?.[1];
}

describe.skipIf(missing !== null && process.env.CI !== 'true')(
  'SimpleSAMLphp IdP and the demo with tenants',
  () => {
    let ssp: SimpleSamlPhp;
    let demo: DemoProcess;
    let dir: string;
    let base = '';

    const diagnostics = async () =>
      `${(await ssp?.logs()) ?? ''}\n--- demo\n${demo?.output() ?? ''}`;

    /** Goes to `start` and signs in at SimpleSAMLphp as `user`; returns the IdP's answer page. */
    async function signIn(browser: BrowserClient, start: string, user: string): Promise<Page> {
      const login = await browser.autoPost(await browser.go(start));
      const form = readForms(login).find((f) => f.fields.has('username'));
      if (!form) {
        throw new Error(
          `no login form at ${login.url} (${login.status}):\n${login.body.slice(0, 3000)}\n${await diagnostics()}`,
        );
      }
      return browser.submit(form, { username: user, password: user });
    }

    /** The tenant's session cookie (`samlkit_<tenant>`, not its login cookie) the browser holds. */
    function sessionCookie(browser: BrowserClient, tenant: string): string | undefined {
      const entry = [...browser.cookies('localhost')].find(([name]) => name.endsWith(`_${tenant}`));
      return entry?.join('=');
    }

    beforeAll(async () => {
      if (missing) throw new Error(`CI must have ${missing} for the interop suite`);
      const [port, idpPort] = await Promise.all([freePort(), freePort()]);
      base = `http://localhost:${port}`;
      ssp = await startSimpleSamlPhp({
        port: idpPort!,
        requireSignedRequests: true,
        echoAuthnRequest: true,
      });
      dir = mkdtempSync(join(tmpdir(), 'samlkit-ssp-tenants-'));
      const file = join(dir, 'tenants.json');
      writeFileSync(
        file,
        JSON.stringify([
          {
            id: 'acme',
            idpMetadataUrl: ssp.metadataUrl,
            userIdAttribute: 'uid',
            attributeMap: { displayName: 'name' },
            providerName: 'Acme via samlkit',
            scoping: {
              proxyCount: 2,
              idpList: {
                entries: [
                  { providerId: 'https://upstream-one.example.org', name: 'One' },
                  { providerId: 'https://upstream-two.example.org' },
                ],
              },
              requesterIds: ['https://portal.acme.example'],
            },
            extensions: '<ext:Tenant xmlns:ext="urn:example:saas">acme</ext:Tenant>',
          },
          { id: 'globex', idpMetadataUrl: ssp.metadataUrl, requestBinding: 'post' },
          { id: 'initech', idpMetadataUrl: ssp.metadataUrl, assertionConsumerServiceIndex: 0 },
        ]),
      );
      demo = await startDemoProcess({ PORT: String(port), SAML_TENANTS_FILE: file }).catch(
        async (error: unknown) => {
          await ssp.stop();
          throw error;
        },
      );
      await ssp.trustServiceProviders([
        `${base}/t/acme/saml/metadata`,
        `${base}/t/globex/saml/metadata`,
        `${base}/t/initech/saml/metadata`,
      ]);
    }, 400_000);

    afterAll(async () => {
      await Promise.all([demo?.stop(), ssp?.stop()]);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('Scoping (IDPList, ProxyCount, RequesterID) and Extensions of a tenant’s IdP policy reach SimpleSAMLphp in a signed request', async () => {
      const browser = new BrowserClient();
      const answer = await signIn(browser, `${base}/t/acme/profile`, 'alice');
      const sso = browser.history.find((h) => h.startsWith(`GET ${ssp.ssoUrl}?`));
      expect(sso, browser.history.join('\n')).toBeDefined();
      expect(new URL(sso!.slice(4)).searchParams.get('Signature')).toBeTruthy();
      const profile = await browser.autoPost(answer);
      expect(profile.url, await diagnostics()).toBe(`${base}/t/acme/profile`);
      expect(row(profile, 'ssp-idplist')).toBe(
        'https://upstream-one.example.org<br>https://upstream-two.example.org',
      );
      // SimpleSAMLphp counts its own hop: ProxyCount 2 arrives as 1 (SAML core §3.4.1.2).
      expect(row(profile, 'ssp-proxycount')).toBe('1');
      expect(row(profile, 'ssp-requesterid')).toBe('https://portal.acme.example');
      expect(row(profile, 'ssp-extensions')).toBe('{urn:example:saas}Tenant');
      expect(row(profile, 'ssp-forceauthn')).toBe('false');
    });

    it('another tenant’s IdP policy sends none of it (over HTTP-POST)', async () => {
      const browser = new BrowserClient();
      const profile = await browser.autoPost(
        await signIn(browser, `${base}/t/globex/profile`, 'bob'),
      );
      expect(browser.history).toContain(`POST ${ssp.ssoUrl}`);
      expect(profile.url, await diagnostics()).toBe(`${base}/t/globex/profile`);
      for (const name of ['ssp-idplist', 'ssp-proxycount', 'ssp-requesterid', 'ssp-extensions']) {
        expect(row(profile, name), name).toBeUndefined();
      }
    });

    it('per-IdP userIdAttribute and attributeMap apply to SimpleSAMLphp’s attributes at one tenant only', async () => {
      const acme = new BrowserClient();
      const a = await acme.autoPost(await signIn(acme, `${base}/t/acme/profile`, 'alice'));
      expect(row(a, 'User id')).toBe('alice');
      expect(row(a, 'name')).toBe('Alice Interop');
      expect(row(a, 'displayName')).toBe('Alice Interop');

      const globex = new BrowserClient();
      const g = await globex.autoPost(await signIn(globex, `${base}/t/globex/profile`, 'alice'));
      expect(row(g, 'User id')).not.toBe('alice');
      expect(row(g, 'User id')).toBe(row(g, 'NameID'));
      expect(row(g, 'name')).toBeUndefined();
      expect(row(g, 'displayName')).toBe('Alice Interop');
    });

    it('ForceAuthn step-up recognises the same user by userIdAttribute; another user is refused and the session stays', async () => {
      const browser = new BrowserClient();
      const first = await browser.autoPost(
        await signIn(browser, `${base}/t/acme/profile`, 'alice'),
      );
      expect(first.url).toBe(`${base}/t/acme/profile`);
      const cookie = sessionCookie(browser, 'acme');
      expect(cookie).toBeDefined();
      const stepUp = `${base}/t/acme/saml/login?forceAuthn=true&returnTo=${encodeURIComponent('/t/acme/profile')}`;

      // SimpleSAMLphp asks for the password again (ForceAuthn) and issues a new NameID.
      const again = await browser.autoPost(await signIn(browser, stepUp, 'alice'));
      expect(again.url, await diagnostics()).toBe(`${base}/t/acme/profile`);
      expect(row(again, 'ssp-forceauthn')).toBe('true');
      expect(row(again, 'User id')).toBe('alice');
      // A transient NameID: without userIdAttribute this would be another user (next test).
      expect(row(again, 'NameID')).not.toBe(row(first, 'NameID'));
      expect(sessionCookie(browser, 'acme')).toBe(cookie);

      const other = await browser.autoPost(await signIn(browser, stepUp, 'bob'));
      expect(other.status).toBe(403);
      expect(other.body).toContain('STEP_UP_USER_MISMATCH');
      const still = await browser.go(`${base}/t/acme/profile`);
      expect(still.url).toBe(`${base}/t/acme/profile`);
      expect(row(still, 'User id')).toBe('alice');
      expect(sessionCookie(browser, 'acme')).toBe(cookie);
    });

    it('without userIdAttribute, the transient NameID makes even the same person another user at step-up', async () => {
      const browser = new BrowserClient();
      const first = await browser.autoPost(
        await signIn(browser, `${base}/t/globex/profile`, 'alice'),
      );
      expect(first.url).toBe(`${base}/t/globex/profile`);
      const cookie = sessionCookie(browser, 'globex');
      const stepUp = `${base}/t/globex/saml/login?forceAuthn=true&returnTo=${encodeURIComponent('/t/globex/profile')}`;
      const refused = await browser.autoPost(await signIn(browser, stepUp, 'alice'));
      expect(refused.status).toBe(403);
      expect(refused.body).toContain('STEP_UP_USER_MISMATCH');
      expect(sessionCookie(browser, 'globex')).toBe(cookie);
      const still = await browser.go(`${base}/t/globex/profile`);
      expect(row(still, 'NameID')).toBe(row(first, 'NameID'));
    });

    it('AssertionConsumerServiceIndex: SimpleSAMLphp finds the ACS by its index in the SP metadata', async () => {
      const browser = new BrowserClient();
      const answer = await signIn(browser, `${base}/t/initech/profile`, 'alice');
      const sso = browser.history.find((h) => h.startsWith(`GET ${ssp.ssoUrl}?`));
      const { xml } = await decodeRedirect(sso!.slice(4));
      expect(xml).toContain('AssertionConsumerServiceIndex="0"');
      expect(xml).not.toContain('AssertionConsumerServiceURL');
      expect(xml).not.toContain('ProtocolBinding');
      const post = readForms(answer).find((f) => f.fields.has('SAMLResponse'));
      expect(post?.action, await diagnostics()).toBe(`${base}/t/initech/saml/acs`);
      const profile = await browser.submit(post!);
      expect(profile.url).toBe(`${base}/t/initech/profile`);
      expect(profile.body).toContain('alice@example.org');
    });

    it('a Response SimpleSAMLphp issued for one tenant is refused at the other tenant’s ACS, and completes at its own', async () => {
      const browser = new BrowserClient();
      const answer = await signIn(browser, `${base}/t/acme/profile`, 'alice');
      const post = readForms(answer).find((f) => f.fields.has('SAMLResponse'));
      expect(post?.action).toBe(`${base}/t/acme/saml/acs`);
      const wrong = await browser.request(`${base}/t/globex/saml/acs`, {
        method: 'POST',
        form: post!.fields,
      });
      expect(wrong.status).toBeGreaterThanOrEqual(400);
      expect(wrong.status).toBeLessThan(500);
      expect(sessionCookie(browser, 'globex')).toBeUndefined();
      const profile = await browser.submit(post!);
      expect(profile.url).toBe(`${base}/t/acme/profile`);
      expect(row(profile, 'User id')).toBe('alice');
    });
  },
);
