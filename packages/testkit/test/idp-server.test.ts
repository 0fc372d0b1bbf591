// The HTTP test IdP against a real samlkit SP (in-process handlers), over real HTTP to the IdP.
import {
  createServiceProvider,
  MemoryStore,
  parseIdpMetadata,
  type ServiceProvider,
} from '@samlkit/core';
import { CookieJar, generateTestKeys, type IdpServer, startIdpServer } from '@samlkit/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SP = 'http://localhost:3999';
let idp: IdpServer;
let sp: ServiceProvider;

beforeAll(async () => {
  idp = await startIdpServer({
    serviceProviders: [
      { entityId: `${SP}/saml/metadata`, acsUrls: [`${SP}/saml/acs`], sloUrl: `${SP}/saml/slo` },
    ],
  });
  const keys = await generateTestKeys({ subject: 'idp-server test sp' });
  sp = createServiceProvider({
    sp: {
      entityId: `${SP}/saml/metadata`,
      assertionConsumerServices: [{ binding: 'post', location: `${SP}/saml/acs` }],
      singleLogoutServices: [{ binding: 'redirect', location: `${SP}/saml/slo` }],
      signingKeys: [{ privateKey: keys.privateKey, certificate: keys.certificatePem }],
    },
    idps: idp.config,
    baseUrl: SP,
    store: new MemoryStore(),
    logger: { warn() {}, error: (m, d) => console.error(m, d) },
  });
});

afterAll(async () => {
  await idp?.stop();
});

function field(html: string, name: string): string | undefined {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  return m?.[1]?.replace(/&#43;/g, '+').replace(/&#61;/g, '=').replace(/&amp;/g, '&');
}

interface Browser {
  readonly sp: CookieJar;
  readonly idp: CookieJar;
}

/** Starts an SP login; returns the IdP's answer to the AuthnRequest. */
async function startLogin(b: Browser, query = ''): Promise<Response> {
  const start = b.sp.take(
    (await sp.handle(
      new Request(`${SP}/saml/login${query}`, { headers: { cookie: b.sp.header() } }),
    ))!,
  );
  expect(start.status).toBe(303);
  return b.idp.take(
    await fetch(start.headers.get('location')!, {
      redirect: 'manual',
      headers: { cookie: b.idp.header() },
    }),
  );
}

async function submitLogin(b: Browser, page: string, user: string, password = user) {
  const form = new URLSearchParams({ login: field(page, 'login')!, username: user, password });
  return b.idp.take(
    await fetch(`${idp.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: b.idp.header() },
      body: form.toString(),
    }),
  );
}

/** Posts the IdP's auto-submit form to the SP's ACS (and follows a same-site finish step). */
async function postToAcs(b: Browser, html: string): Promise<Response> {
  expect(html).toContain(`action="${SP}/saml/acs"`);
  const form = new URLSearchParams({
    SAMLResponse: field(html, 'SAMLResponse')!,
    RelayState: field(html, 'RelayState')!,
  });
  const acs = b.sp.take(
    (await sp.handle(
      new Request(`${SP}/saml/acs`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      }),
    ))!,
  );
  const next = acs.status === 303 ? acs.headers.get('location') : null;
  if (!next || !/[?&]finish=/.test(next)) return acs;
  return b.sp.take(
    (await sp.handle(new Request(new URL(next, SP), { headers: { cookie: b.sp.header() } })))!,
  );
}

describe('startIdpServer', () => {
  it('signs users in with a login page, keeps an IdP session, honours ForceAuthn', async () => {
    const b: Browser = { sp: new CookieJar(), idp: new CookieJar() };
    const loginPage = await startLogin(b, '?returnTo=/profile');
    expect(loginPage.status).toBe(200);
    const html = await loginPage.text();
    expect(html).toContain('name="password"');
    expect(loginPage.headers.get('content-security-policy')).toContain("form-action 'self'");

    const wrong = await submitLogin(b, html, 'alice', 'nope');
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('Wrong username or password.');

    const answer = await submitLogin(b, html, 'alice');
    expect(answer.status).toBe(200);
    expect(b.idp.has('samlkit_idp')).toBe(true);
    const done = await postToAcs(b, await answer.text());
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/profile');
    const session = await sp.getSession(
      new Request(`${SP}/profile`, { headers: { cookie: b.sp.header() } }),
    );
    expect(session?.nameId).toBe('alice@example.com');
    expect(session?.attributes.groups).toEqual(['staff', 'admins']);

    // With an IdP session and no ForceAuthn, the IdP answers at once.
    const again = await startLogin(b);
    const auto = await again.text();
    expect(auto).toContain('SAMLResponse');
    expect(auto).not.toContain('name="password"');

    // ForceAuthn: the login page again, and the step-up keeps the SP session.
    const forced = await startLogin(b, '?forceAuthn=true&returnTo=/profile');
    const forcedHtml = await forced.text();
    expect(forcedHtml).toContain('Please sign in again.');
    const stepUp = await postToAcs(b, await (await submitLogin(b, forcedHtml, 'alice')).text());
    expect(stepUp.status).toBe(303);
    const upgraded = await sp.getSession(
      new Request(`${SP}/profile`, { headers: { cookie: b.sp.header() } }),
    );
    expect(upgraded?.id).toBe(session?.id);
    expect(upgraded!.authnInstant!).toBeGreaterThanOrEqual(session!.authnInstant!);

    // SP-initiated logout: the IdP ends its session and answers the SP's SLO endpoint, signed.
    const out = b.sp.take(
      (await sp.handle(new Request(`${SP}/saml/logout`, { headers: { cookie: b.sp.header() } })))!,
    );
    expect(out.status).toBe(303);
    const atIdp = b.idp.take(
      await fetch(out.headers.get('location')!, {
        redirect: 'manual',
        headers: { cookie: b.idp.header() },
      }),
    );
    expect(atIdp.status).toBe(303);
    const back = atIdp.headers.get('location')!;
    expect(back.startsWith(`${SP}/saml/slo?`)).toBe(true);
    const { response, signed } = await idp.idp.readLogoutResponse(back);
    expect(signed).toBe(true);
    expect(response.status.success).toBe(true);
    expect(b.idp.has('samlkit_idp')).toBe(false);
    const landed = (await sp.handle(new Request(back, { headers: { cookie: b.sp.header() } })))!;
    expect(landed.status).toBe(303);
    expect((await startLogin(b)).status).toBe(200); // the login page again
  });

  it('refuses an AuthnRequest whose ACS URL is not registered for the SP', async () => {
    const other = createServiceProvider({
      sp: {
        entityId: `${SP}/saml/metadata`,
        assertionConsumerServices: [
          { binding: 'post', location: 'http://localhost:4000/saml/acs' },
        ],
      },
      idps: idp.config,
      baseUrl: 'http://localhost:4000',
      logger: { warn() {}, error() {} },
    });
    const start = (await other.handle(new Request('http://localhost:4000/saml/login')))!;
    const res = await fetch(start.headers.get('location')!, { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('is not registered');
  });

  it('answers a passive AuthnRequest without an IdP session with a signed NoPassive', async () => {
    const b: Browser = { sp: new CookieJar(), idp: new CookieJar() };
    const answer = await startLogin(b, '?isPassive=1&returnTo=/somewhere');
    expect(answer.status).toBe(200);
    const html = await answer.text();
    expect(html).not.toContain('name="password"');
    const back = await postToAcs(b, html);
    expect(back.status).toBe(303);
    expect(back.headers.get('location')).toBe('/somewhere?samlkit_passive=none');
    expect(b.sp.has('samlkit_session')).toBe(false);
  });

  it('answers with HTTP-Artifact when asked, and serves ArtifactResolve over SOAP', async () => {
    const keys = await generateTestKeys({ subject: 'idp-server artifact sp' });
    const artifactSp = createServiceProvider({
      sp: {
        entityId: `${SP}/saml/metadata`,
        assertionConsumerServices: [
          { binding: 'post', location: `${SP}/saml/acs`, index: 0, isDefault: true },
          { binding: 'artifact', location: `${SP}/saml/acs`, index: 1 },
        ],
        signingKeys: [{ privateKey: keys.privateKey, certificate: keys.certificatePem }],
      },
      // The IdP as its metadata describes it: the ArtifactResolutionService included.
      idps: await parseIdpMetadata(await (await fetch(`${idp.url}/metadata`)).text(), {
        now: Date.now(),
      }),
      baseUrl: SP,
      responseBinding: 'artifact',
      store: new MemoryStore(),
      logger: { warn() {}, error: (m, d) => console.error(m, d) },
    });
    const jar = new CookieJar();
    const idpJar = new CookieJar();
    const start = jar.take((await artifactSp.handle(new Request(`${SP}/saml/login`)))!);
    const page = idpJar.take(await fetch(start.headers.get('location')!, { redirect: 'manual' }));
    const signedIn = await submitLogin({ sp: jar, idp: idpJar }, await page.text(), 'bob');
    // SAML bindings §3.6.3: the browser is sent back with the artifact only.
    expect(signedIn.status).toBe(303);
    const toAcs = signedIn.headers.get('location')!;
    expect(toAcs.startsWith(`${SP}/saml/acs?SAMLart=`)).toBe(true);
    const acs = (await artifactSp.handle(new Request(toAcs)))!;
    expect(acs.status, await acs.clone().text()).toBe(303);
    const finish = (await artifactSp.handle(
      new Request(new URL(acs.headers.get('location')!, SP), {
        headers: { cookie: jar.header() },
      }),
    ))!;
    expect(finish.status).toBe(303);
    jar.take(finish);
    const session = await artifactSp.getSession(
      new Request(`${SP}/`, { headers: { cookie: jar.header() } }),
    );
    expect(session?.nameId).toBe('bob@example.com');
  });

  it('answers with HTTP-POST-SimpleSign when asked', async () => {
    const keys = await generateTestKeys({ subject: 'idp-server simplesign sp' });
    const simpleSp = createServiceProvider({
      sp: {
        entityId: `${SP}/saml/metadata`,
        assertionConsumerServices: [
          { binding: 'post', location: `${SP}/saml/acs`, index: 0, isDefault: true },
          { binding: 'simpleSign', location: `${SP}/saml/acs`, index: 1 },
        ],
        signingKeys: [{ privateKey: keys.privateKey, certificate: keys.certificatePem }],
      },
      idps: idp.config,
      baseUrl: SP,
      responseBinding: 'simpleSign',
      store: new MemoryStore(),
      logger: { warn() {}, error: (m, d) => console.error(m, d) },
    });
    const jar = new CookieJar();
    const idpJar = new CookieJar();
    const start = jar.take((await simpleSp.handle(new Request(`${SP}/saml/login`)))!);
    const page = await fetch(start.headers.get('location')!, { redirect: 'manual' });
    const answer = await submitLogin({ sp: jar, idp: idpJar }, await page.text(), 'carol');
    const html = await answer.text();
    const form = new URLSearchParams();
    for (const name of ['SAMLResponse', 'RelayState', 'SigAlg', 'Signature']) {
      const value = field(html, name);
      expect(value, name).toBeDefined();
      form.set(name, value!);
    }
    const acs = (await simpleSp.handle(
      new Request(`${SP}/saml/acs`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      }),
    ))!;
    expect(acs.status, await acs.clone().text()).toBe(303);
    expect(acs.headers.get('location')).toMatch(/^\/saml\/acs\?finish=/);
  });

  it('publishes metadata that samlkit reads back', async () => {
    const xml = await (await fetch(`${idp.url}/metadata`)).text();
    const meta = await parseIdpMetadata(xml, { now: Date.now() });
    expect(meta.entityId).toBe(idp.entityId);
    expect(meta.singleSignOnServices.map((e) => e.binding).sort()).toEqual(['post', 'redirect']);
    expect(meta.singleLogoutServices.length).toBe(2);
    expect(meta.signingKeys.length).toBe(1);
  });
});
