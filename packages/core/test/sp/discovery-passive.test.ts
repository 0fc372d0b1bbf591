import { type DiscoveryOptions, isSamlError, PASSIVE_MARKER } from '@samlkit/core';
import { describe, expect, it } from 'vitest';
import { errorCode, req, setup } from './support.js';

// A passive login (IsPassive, SAML core §3.4.1) that needs discovery: the external service is
// asked not to interact (sstc-saml-idp-discovery §2.4.1 isPassive), and an answer without a
// choice (§2.4.2) is the passive "nobody signed in", as an IdP's NoPassive is.

const TEST_IDP = 'https://idp.test/metadata';
const DS = 'https://ds.fed.example/ds';
const POLICY = 'urn:oasis:names:tc:SAML:profiles:SSO:idp-discovery-protocol:single';

async function dsRedirect(discovery: DiscoveryOptions, query: string) {
  const { sp, idp, store } = await setup({ discovery });
  const res = await sp.login(req(`/saml/login${query}`));
  expect(res.status).toBe(303);
  const to = new URL(res.headers.get('location')!);
  return { sp, idp, store, to, back: new URL(to.searchParams.get('return')!) };
}

describe('passive login through an external discovery service', () => {
  it('sends isPassive=true, and keeps the login passive in the return URL', async () => {
    const { to, back } = await dsRedirect({ service: DS }, '?isPassive=1&returnTo=%2Fpage');
    expect(to.searchParams.get('isPassive')).toBe('true');
    expect(to.searchParams.has('policy')).toBe(false);
    expect(back.searchParams.get('isPassive')).toBe('1');
    expect(back.searchParams.get('SAMLDS')).toBe('1');
    expect(back.searchParams.get('returnTo')).toBe('/page');
    // A login that is not passive says nothing of it.
    const plain = await dsRedirect({ service: DS }, '?returnTo=%2Fpage');
    expect(plain.to.searchParams.has('isPassive')).toBe(false);
    expect(plain.back.searchParams.has('isPassive')).toBe(false);
  });

  it('sends policy only when configured', async () => {
    const { to } = await dsRedirect({ service: DS, policy: POLICY }, '');
    expect(to.searchParams.get('policy')).toBe(POLICY);
    for (const policy of ['', 'not a uri', 'single']) {
      let code: string | undefined;
      try {
        await setup({ discovery: { service: DS, policy } });
      } catch (e) {
        code = isSamlError(e) ? e.code : String(e);
      }
      expect(code, policy).toBe('CONFIG_INVALID');
    }
  });

  it('an answer without entityID returns to the application as not signed in', async () => {
    const { sp, back } = await dsRedirect({ service: DS }, '?isPassive=1&returnTo=%2Fpage%3Fx%3D1');
    const res = await sp.login(req(back.href));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/page?x=1&${PASSIVE_MARKER}=none`);
    expect(res.headers.getSetCookie()).toEqual([]); // no login started, no choice remembered
    // An empty entityID is no choice either.
    back.searchParams.set('entityID', '');
    const empty = await sp.login(req(back.href));
    expect(empty.headers.get('location')).toBe(`/page?x=1&${PASSIVE_MARKER}=none`);
    // Without a (safe) returnTo: the default return address.
    for (const q of [
      '?SAMLDS=1&isPassive=1',
      '?SAMLDS=1&isPassive=1&returnTo=https%3A%2F%2Fevil.example%2F',
    ]) {
      const r = await sp.login(req(`/saml/login${q}`));
      expect(r.headers.get('location')).toBe(`/?${PASSIVE_MARKER}=none`);
    }
  });

  it('a return without entityID to a login that was not passive is still refused', async () => {
    const { sp, back } = await dsRedirect({ service: DS }, '?returnTo=%2Fpage');
    expect(await errorCode(await sp.login(req(back.href)))).toBe('IDP_UNKNOWN');
  });

  it('an answer with a trusted entityID starts a passive login at that IdP', async () => {
    const { sp, idp, back } = await dsRedirect({ service: DS }, '?isPassive=1&returnTo=%2Fpage');
    back.searchParams.set('entityID', TEST_IDP);
    const res = await sp.login(req(back.href));
    expect(res.headers.get('location')).toMatch(/^https:\/\/idp\.test\/sso\?SAMLRequest=/);
    const { request } = await idp.readAuthnRequest(res.headers.get('location')!);
    expect(request.isPassive).toBe(true);
    // An untrusted choice is refused as before, passive or not.
    back.searchParams.set('entityID', 'https://evil.example/idp');
    expect(await errorCode(await sp.login(req(back.href)))).toBe('IDP_UNKNOWN');
  });
});

describe('passive login with the built-in discovery page', () => {
  const page: DiscoveryOptions = { idps: [{ entityId: TEST_IDP }] };

  it('does not show the page: returns to the application as not signed in', async () => {
    const { sp } = await setup({ discovery: page });
    const res = await sp.login(req('/saml/login?isPassive=1&returnTo=%2Fpage'));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/page?${PASSIVE_MARKER}=none`);
    // Not passive: the page, as before.
    const shown = await sp.login(req('/saml/login?returnTo=%2Fpage'));
    expect(shown.headers.get('location')).toBe('/saml/discovery?returnTo=%2Fpage');
  });

  it('takes a remembered choice that names a trusted IdP, passively', async () => {
    const { sp, idp } = await setup({ discovery: page });
    const cookie = `__Host-samlkit_idp=${encodeURIComponent(TEST_IDP)}`;
    const res = await sp.login(req('/saml/login?isPassive=1&returnTo=%2Fpage', { cookie }));
    expect(res.headers.get('location')).toMatch(/^https:\/\/idp\.test\/sso\?SAMLRequest=/);
    expect((await idp.readAuthnRequest(res.headers.get('location')!)).request.isPassive).toBe(true);
    // A remembered IdP the SP does not trust (any more) is no choice.
    const stale = `__Host-samlkit_idp=${encodeURIComponent('https://gone.example/idp')}`;
    const none = await sp.login(req('/saml/login?isPassive=1&returnTo=%2Fpage', { cookie: stale }));
    expect(none.headers.get('location')).toBe(`/page?${PASSIVE_MARKER}=none`);
  });
});
