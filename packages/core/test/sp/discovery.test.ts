import { type DiscoveryIdp, type DiscoveryOptions, isSamlError } from '@samlkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  acceptedLanguages,
  pickText,
  searchDiscoveryIdps,
  toDiscoFeed,
} from '../../src/metadata/discovery-feed.js';
import { DISCOVERY_PAGE_SCRIPT, DISCOVERY_PAGE_STYLE } from '../../src/sp/discovery.js';
import { BASE, cookiesSet, deliverLogin, errorCode, req, setup } from './support.js';

// IdP discovery on the login route (sstc-saml-idp-discovery §2.4), the built-in page and the
// DiscoFeed.

const TEST_IDP = 'https://idp.test/metadata';
const OTHER = 'https://idp.other.example/idp';

function listed(): DiscoveryIdp[] {
  return [
    {
      entityId: TEST_IDP,
      displayNames: [
        { value: 'Universität Beispiel', lang: 'de' },
        { value: 'Example University', lang: 'en' },
      ],
      keywords: [{ value: 'campus+north research', lang: 'en' }],
      domainHints: ['example.edu'],
      scopes: [{ value: 'example.edu', regexp: false }],
      logos: [
        { value: 'https://idp.test/logo.png', width: 64, height: 64 },
        { value: 'javascript:alert(1)', width: 64, height: 64, lang: 'fr' },
      ],
      descriptions: [{ value: 'The test IdP', lang: 'en' }],
      informationUrls: [{ value: 'https://idp.test/about', lang: 'en' }],
      privacyStatementUrls: [],
    },
    {
      entityId: OTHER,
      displayNames: [{ value: 'Other <b>College</b>', lang: 'en' }],
      // An application's own list: its logos are checked again before they are shown.
      logos: [{ value: 'data:image/svg+xml;base64,PHN2Zz4=' }],
    },
  ];
}

async function discoverySetup(discovery: DiscoveryOptions | undefined) {
  return setup({ ...(discovery !== undefined && { discovery }) });
}

function codeOf(e: unknown): string {
  return isSamlError(e) ? e.code : String(e);
}

describe('login with an external discovery service', () => {
  it('remembers no choice from a link elsewhere, only from a discovery answer', async () => {
    const remembered = (res: Response) =>
      res.headers.getSetCookie().some((c) => c.startsWith('__Host-samlkit_idp='));
    const id = encodeURIComponent(TEST_IDP);
    for (const service of [undefined, 'https://ds.fed.example/ds']) {
      const { sp } = await discoverySetup(service === undefined ? { idps: listed() } : { service });
      // A cross-site link naming a trusted IdP logs in, but plants no "last choice".
      for (const path of [`/saml/login?entityID=${id}`, `/saml/login?SAMLDS=1&entityID=${id}`]) {
        const res = await sp.login(
          req(path, {
            headers: { 'sec-fetch-site': 'cross-site', referer: 'https://evil.example/' },
          }),
        );
        expect(res.status).toBe(303);
        expect(remembered(res)).toBe(false);
      }
      const plain = await sp.login(req(`/saml/login?SAMLDS=1&entityID=${id}`));
      expect(remembered(plain)).toBe(false);
      // The built-in page's own form (same origin) is remembered.
      const own = await sp.login(
        req(`/saml/login?SAMLDS=1&entityID=${id}`, {
          headers: { 'sec-fetch-site': 'same-origin' },
        }),
      );
      expect(remembered(own)).toBe(true);
      const fromPage = await sp.login(
        req(`/saml/login?SAMLDS=1&entityID=${id}`, {
          headers: { referer: `${BASE}/saml/discovery` },
        }),
      );
      expect(remembered(fromPage)).toBe(service === undefined);
    }
  });
  it('sends a login without an IdP to the service, with the SP’s own return URL and returnTo', async () => {
    const { sp } = await discoverySetup({ service: 'https://ds.fed.example/ds?x=1' });
    const res = await sp.login(req('/saml/login?returnTo=%2Fdocs%3Fa%3D1'));
    expect(res.status).toBe(303);
    const to = new URL(res.headers.get('location')!);
    expect(to.origin + to.pathname).toBe('https://ds.fed.example/ds');
    expect(to.searchParams.get('x')).toBe('1');
    expect(to.searchParams.get('entityID')).toBe(`${BASE}/saml/metadata`);
    expect(to.searchParams.get('returnIDParam')).toBe('entityID');
    const back = new URL(to.searchParams.get('return')!);
    expect(back.origin + back.pathname).toBe(`${BASE}/saml/login`);
    expect(back.searchParams.get('returnTo')).toBe('/docs?a=1');
    // The metadata announces the return URL (§2.4.1: the service returns only there).
    const md = await (await sp.metadata(req('/saml/metadata'))).text();
    expect(md).toContain(`idpdisc:DiscoveryResponse`);
    expect(md).toContain(`Location="${BASE}/saml/login"`);
  });

  it('accepts the service’s answer for a trusted IdP, keeps returnTo, and remembers the choice', async () => {
    const { sp, idp } = await discoverySetup({ service: 'https://ds.fed.example/ds' });
    const first = await sp.login(req('/saml/login?returnTo=%2Fdocs'));
    const back = new URL(new URL(first.headers.get('location')!).searchParams.get('return')!);
    back.searchParams.set('entityID', TEST_IDP);
    const res = await sp.login(
      req(back.href, {
        headers: { 'sec-fetch-site': 'cross-site', referer: 'https://ds.fed.example/' },
      }),
    );
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^https:\/\/idp\.test\/sso\?SAMLRequest=/);
    expect(
      res.headers
        .getSetCookie()
        .some((c) => c.startsWith('__Host-samlkit_idp=https%3A%2F%2Fidp.test%2Fmetadata;')),
    ).toBe(true);
    // The pending returnTo survived the detour: the login finishes at /docs.
    const { request, relayState } = await idp.readAuthnRequest(res.headers.get('location')!);
    const delivery = await idp.answerLogin(request, relayState);
    const login = cookiesSet(res, '__Host-samlkit_session_login');
    const done = await deliverLogin(sp, delivery, login);
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/docs');
  });

  it('keeps forceAuthn and the authentication level through the detour, external or built-in', async () => {
    const mfa = { classRefs: ['urn:example:mfa'] } as const;
    const login = '/saml/login?forceAuthn=1&authnContext=mfa&returnTo=%2Fdocs';
    const asked = async (
      sp: Awaited<ReturnType<typeof setup>>['sp'],
      idp: Awaited<ReturnType<typeof setup>>['idp'],
      href: string,
    ) => {
      const res = await sp.login(req(href));
      expect(res.headers.get('location')).toMatch(/^https:\/\/idp\.test\/sso\?SAMLRequest=/);
      return (await idp.readAuthnRequest(res.headers.get('location')!)).request;
    };
    // External service: the SP's own return URL carries them; the login after the answer asks
    // the IdP for what the first login asked.
    const ext = await setup({
      authnContexts: { mfa },
      discovery: { service: 'https://ds.fed.example/ds' },
    });
    const first = await ext.sp.login(req(login));
    const back = new URL(new URL(first.headers.get('location')!).searchParams.get('return')!);
    expect(back.searchParams.get('forceAuthn')).toBe('1');
    expect(back.searchParams.get('authnContext')).toBe('mfa');
    back.searchParams.set('entityID', TEST_IDP);
    const viaService = await asked(ext.sp, ext.idp, back.href);
    expect(viaService.forceAuthn).toBe(true);
    expect(viaService.requestedAuthnContext?.classRefs).toEqual(['urn:example:mfa']);
    // Built-in page: the page URL and both of its forms carry them.
    const own = await setup({ authnContexts: { mfa }, discovery: { idps: listed() } });
    const toPage = (await own.sp.login(req(login))).headers.get('location')!;
    const pageUrl = new URL(toPage, BASE);
    expect(pageUrl.searchParams.get('forceAuthn')).toBe('1');
    expect(pageUrl.searchParams.get('authnContext')).toBe('mfa');
    const html = await (await own.sp.handle(req(toPage)))!.text();
    expect(html.match(/<input type="hidden" name="forceAuthn" value="1">/g)).toHaveLength(2);
    expect(html.match(/<input type="hidden" name="authnContext" value="mfa">/g)).toHaveLength(2);
    const chosen = `/saml/login?SAMLDS=1&forceAuthn=1&authnContext=mfa&entityID=${encodeURIComponent(TEST_IDP)}`;
    const viaPage = await asked(own.sp, own.idp, chosen);
    expect(viaPage.forceAuthn).toBe(true);
    expect(viaPage.requestedAuthnContext?.classRefs).toEqual(['urn:example:mfa']);
    // Only configured levels travel: an unknown one is not carried into the page.
    const plain = await setup({ discovery: { idps: listed() } });
    const res = await plain.sp.login(req('/saml/login?forceAuthn=0'));
    expect(res.headers.get('location')).toBe('/saml/discovery');
  });

  it('refuses an IdP the SP does not trust, and a return without a choice; no open redirect', async () => {
    const { sp } = await discoverySetup({ service: 'https://ds.fed.example/ds' });
    for (const chosen of ['https://evil.example/idp', 'idp.test', '']) {
      const res = await sp.login(
        req(`/saml/login?SAMLDS=1&entityID=${encodeURIComponent(chosen)}`),
      );
      expect(res.status).toBe(400);
      expect(await errorCode(res)).toBe('IDP_UNKNOWN');
    }
    // A `return` in the login request is not the SP's to follow: the redirect's return is built.
    const res = await sp.login(
      req(
        '/saml/login?return=https%3A%2F%2Fevil.example%2F&returnTo=https%3A%2F%2Fevil.example%2F',
      ),
    );
    const back = new URL(new URL(res.headers.get('location')!).searchParams.get('return')!);
    expect(back.origin).toBe(BASE);
    expect(back.searchParams.get('returnTo')).toBeNull();
  });

  it('takes the answer only as an entity ID, not as an application key of an IdP', async () => {
    const { idp } = await setup();
    const { sp } = await setup({
      idps: { acme: idp.config },
      discovery: { service: 'https://ds.fed.example/ds' },
    });
    const res = await sp.login(req('/saml/login?SAMLDS=1&entityID=acme'));
    expect(await errorCode(res)).toBe('IDP_UNKNOWN');
    const ok = await sp.login(req(`/saml/login?SAMLDS=1&entityID=${encodeURIComponent(TEST_IDP)}`));
    expect(ok.status).toBe(303);
  });

  it('still logs in directly when the login names an IdP, and without the option as before', async () => {
    const { sp } = await discoverySetup({ service: 'https://ds.fed.example/ds' });
    const named = await sp.login(req(`/saml/login?idp=${encodeURIComponent(TEST_IDP)}`));
    expect(named.headers.get('location')).toMatch(/^https:\/\/idp\.test\/sso/);
    const { sp: plain } = await discoverySetup(undefined);
    const res = await plain.login(req('/saml/login'));
    expect(res.headers.get('location')).toMatch(/^https:\/\/idp\.test\/sso/);
    expect(await plain.handle(req('/saml/discovery'))).toBeUndefined();
    expect(await plain.handle(req('/saml/discofeed'))).toBeUndefined();
  });

  it('refuses a discovery option it cannot use', async () => {
    await expect(discoverySetup({})).rejects.toSatisfy((e) => codeOf(e) === 'CONFIG_INVALID');
    await expect(discoverySetup({ service: 'ds.example/ds' })).rejects.toSatisfy(
      (e) => codeOf(e) === 'CONFIG_INVALID',
    );
  });
});

describe('the built-in discovery page', () => {
  it('login without an IdP shows the page, keeping returnTo', async () => {
    const { sp } = await discoverySetup({ idps: listed() });
    const res = await sp.login(req('/saml/login?returnTo=%2Fdocs'));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/saml/discovery?returnTo=%2Fdocs');
  });

  it('renders an accessible, phone-sized page under a CSP that allows only its script and style', async () => {
    const { sp } = await discoverySetup({ idps: listed() });
    const res = (await sp.handle(
      req('/saml/discovery?returnTo=%2Fdocs&return=https%3A%2F%2Fevil.example%2F', {
        headers: { 'accept-language': 'de-CH, en;q=0.5' },
      }),
    ))!;
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<html lang="de">');
    expect(html).toContain('name="viewport" content="width=device-width, initial-scale=1"');
    expect(html).toContain('<label for="disco-q">');
    expect(html).toContain('aria-live="polite"');
    // The reader's language first (de-CH → de), the others in their own.
    expect(html).toContain('<span>Universität Beispiel</span>');
    expect(html).toContain('<span>Other &lt;b&gt;College&lt;/b&gt;</span>');
    expect(html).toContain('<img src="https://idp.test/logo.png" alt="">');
    expect(html).not.toContain('javascript:');
    expect(html).not.toContain('data:image/svg');
    // The choice goes to this SP's login, never to a `return` from the request.
    expect(html).toContain('<form id="disco-choose" method="get" action="/saml/login">');
    expect(html).not.toContain('evil.example');
    expect(html).toContain('<input type="hidden" name="returnTo" value="/docs">');
    const csp = res.headers.get('content-security-policy')!;
    const hash = async (text: string) =>
      `'sha256-${btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))))}'`;
    expect(csp).toContain(`script-src ${await hash(DISCOVERY_PAGE_SCRIPT)};`);
    expect(csp).toContain(`style-src ${await hash(DISCOVERY_PAGE_STYLE)};`);
    expect(csp).toContain("default-src 'none'");
    expect(html).toContain(`<script>${DISCOVERY_PAGE_SCRIPT}</script>`);
  });

  it('searches without JavaScript by name, keyword and domain; answers JSON for the script', async () => {
    const { sp } = await discoverySetup({ idps: listed() });
    const names = async (q: string) => {
      const res = (await sp.handle(req(`/saml/discovery?q=${encodeURIComponent(q)}`)))!;
      return [...(await res.text()).matchAll(/name="entityID" value="([^"]+)"/g)].map((m) => m[1]);
    };
    expect(await names('beispiel')).toEqual([TEST_IDP]);
    expect(await names('universitat')).toEqual([TEST_IDP]);
    expect(await names('campus north')).toEqual([TEST_IDP]);
    expect(await names('alice@example.edu')).toEqual([TEST_IDP]);
    expect(await names('college')).toEqual([OTHER]);
    expect(await names('nothing-like-it')).toEqual([]);
    const json = (await sp.handle(
      req('/saml/discovery?q=example.edu', { headers: { accept: 'application/json' } }),
    ))!;
    expect(json.headers.get('content-type')).toContain('application/json');
    expect(await json.json()).toEqual({
      results: [
        { entityId: TEST_IDP, name: 'Example University', logo: 'https://idp.test/logo.png' },
      ],
      message: '1 identity provider found.',
    });
  });

  it('offers the last choice first (the samlkit_idp cookie) when it is still listed', async () => {
    const { sp } = await discoverySetup({ idps: listed() });
    const page = async (cookie: string) =>
      (await sp.handle(req('/saml/discovery', { cookie })))!.text();
    const last = await page(`__Host-samlkit_idp=${encodeURIComponent(OTHER)}`);
    expect(last).toMatch(
      /Continue with your last choice:<\/p><button [^>]*value="https:\/\/idp\.other\.example\/idp"/,
    );
    expect(await page('__Host-samlkit_idp=https%3A%2F%2Fgone.example')).not.toContain(
      'last choice',
    );
  });

  it('a choice from the page logs in through the chosen IdP; an unlisted, untrusted one is refused', async () => {
    const { sp } = await discoverySetup({ idps: listed() });
    const ok = await sp.login(
      req(`/saml/login?SAMLDS=1&returnTo=%2Fdocs&entityID=${encodeURIComponent(TEST_IDP)}`),
    );
    expect(ok.headers.get('location')).toMatch(/^https:\/\/idp\.test\/sso/);
    // Listed on the page but not one of the SP's idps: listing is not trust.
    const res = await sp.login(req(`/saml/login?SAMLDS=1&entityID=${encodeURIComponent(OTHER)}`));
    expect(await errorCode(res)).toBe('IDP_UNKNOWN');
  });

  it('serves the DiscoFeed JSON in the Shibboleth format', async () => {
    const { sp } = await discoverySetup({ idps: async () => listed() });
    const res = (await sp.handle(req('/saml/discofeed')))!;
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const feed = await res.json();
    expect(feed[0]).toEqual({
      entityID: TEST_IDP,
      DisplayNames: [
        { value: 'Universität Beispiel', lang: 'de' },
        { value: 'Example University', lang: 'en' },
      ],
      Descriptions: [{ value: 'The test IdP', lang: 'en' }],
      Keywords: [{ value: 'campus+north research', lang: 'en' }],
      // The javascript: logo of the application's list is left out.
      Logos: [{ value: 'https://idp.test/logo.png', height: '64', width: '64' }],
      InformationURLs: [{ value: 'https://idp.test/about', lang: 'en' }],
    });
    expect(feed[1]).toEqual({
      entityID: OTHER,
      DisplayNames: [{ value: 'Other <b>College</b>', lang: 'en' }],
    });
    expect((await sp.handle(req('/saml/discofeed', { method: 'POST' })))!.status).toBe(405);
  });
});

describe('discovery functions', () => {
  it('Accept-Language: by q, then order; * and q=0 left out', () => {
    expect(acceptedLanguages('fr;q=0.4, de-CH, *;q=0.1, en;q=0.8, sv;q=0')).toEqual([
      'de-ch',
      'en',
      'fr',
    ]);
    expect(acceptedLanguages(null)).toEqual([]);
  });

  it('property: pickText answers one of the texts, the reader’s language when present', () => {
    const lang = fc.constantFrom('en', 'de', 'fr', 'sv', 'de-ch');
    fc.assert(
      fc.property(
        fc.array(fc.record({ value: fc.string({ minLength: 1 }), lang }), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.array(lang, { maxLength: 3 }),
        (texts, languages) => {
          const v = pickText(texts, languages);
          expect(texts.map((t) => t.value)).toContain(v);
          const wanted = languages.find((l) => texts.some((t) => t.lang === l));
          const first = languages[0];
          if (wanted !== undefined && wanted === first) {
            expect(v).toBe(texts.find((t) => t.lang === first)!.value);
          }
        },
      ),
    );
  });

  it('property: search answers IdPs of the list only; the feed keeps every IdP once, in order', () => {
    const idp = fc.record({
      entityId: fc.webUrl(),
      displayNames: fc.array(
        fc.record({ value: fc.string({ minLength: 1, maxLength: 20 }), lang: fc.constant('en') }),
        { maxLength: 2 },
      ),
    });
    fc.assert(
      fc.property(fc.array(idp, { maxLength: 20 }), fc.string({ maxLength: 6 }), (idps, q) => {
        const found = searchDiscoveryIdps(idps, q, ['en']);
        for (const f of found) expect(idps).toContain(f);
        expect(toDiscoFeed(idps).map((e) => e.entityID)).toEqual(idps.map((i) => i.entityId));
      }),
      { numRuns: 40 },
    );
  });
});
