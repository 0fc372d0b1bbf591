import {
  createIdpRegistry,
  createServiceProvider,
  MemoryStore,
  type SamlStore,
  type ServiceProvider,
} from '@samlkit/core';
import { createTestIdp, type TestIdp } from '@samlkit/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BASE,
  deliverLogin,
  deliveryRequest,
  errorCode,
  keys,
  req,
  sessionCookie,
  spConfig,
  startLogin,
  wrapStore,
} from './support.js';

// A multi-IdP SP (SaaS tenants, federations): a pending request is consumed only by a verified
// answer from the IdP it was sent to (SAML profiles §4.1.4.2, §4.4.4.2). Any other trusted IdP —
// or whoever holds its key — that names it in a correctly signed message is refused and leaves it
// intact, so the genuine answer still completes.

let a: TestIdp;
let b: TestIdp;
beforeAll(async () => {
  a = await createTestIdp({ entityId: 'https://idp-a.test', baseUrl: 'https://idp-a.test' });
  b = await createTestIdp({ entityId: 'https://idp-b.test', baseUrl: 'https://idp-b.test' });
});

/** A store written before the conditional take existed: it ignores the condition. */
function legacyStore(): SamlStore {
  const inner = new MemoryStore();
  return wrapStore(inner, { takePendingRequest: (id) => inner.takePendingRequest(id) });
}

const stores: [string, () => SamlStore][] = [
  ['MemoryStore (conditional take)', () => new MemoryStore()],
  ['a store that ignores the condition (put back)', legacyStore],
];

/** Each IdP's ArtifactResolutionService, by host (HTTP-Artifact, SAML bindings §3.6). */
const artifactFetch: typeof fetch = (input, init) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  return (url.startsWith(`${a.entityId}/`) ? a : b).artifactFetch(input, init);
};

async function twoIdpSp(store: SamlStore): Promise<ServiceProvider> {
  const { spKeys } = await keys();
  const sp = spConfig(spKeys);
  return createServiceProvider({
    sp: {
      ...sp,
      assertionConsumerServices: [
        ...sp.assertionConsumerServices,
        { binding: 'artifact', location: `${BASE}/saml/acs`, index: 1 },
      ],
    },
    fetch: artifactFetch,
    idps: createIdpRegistry([
      { entityId: a.entityId, idp: a.config, keys: ['a'] },
      { entityId: b.entityId, idp: b.config, keys: ['b'] },
    ]),
    store,
    baseUrl: BASE,
    logger: { warn() {}, error() {} },
    logoutPages: { complete: '/bye', partial: '/bye?partial=1' },
  });
}

describe.each(stores)('a pending request sent to IdP A, answered by IdP B — %s', (_, store) => {
  it('a signed Response from B naming the login is refused; A’s genuine Response completes it', async () => {
    const sp = await twoIdpSp(store());
    const login = await startLogin(sp, a, '?idp=a&returnTo=%2Fpage');
    const fromB = await b.answerLogin(login.request, login.relayState, { nameId: 'mallory' });
    const refused = await deliverLogin(sp, fromB, login.browserCookie);
    expect(refused.status).toBe(403);
    expect(await errorCode(refused)).toBe('IN_RESPONSE_TO_MISMATCH');
    expect(sessionCookie(refused)).toBeUndefined();

    const genuine = await a.answerLogin(login.request, login.relayState, { nameId: 'alice' });
    const done = await deliverLogin(sp, genuine, login.browserCookie);
    expect(done.status, await done.clone().text()).toBe(303);
    expect(done.headers.get('location')).toBe('/page');
    const cookie = sessionCookie(done)!;
    const session = await sp.getSession(req('/page', { cookie }));
    expect([session?.issuer, session?.nameId]).toEqual([a.entityId, 'alice']);
  });

  it('a Response from B by HTTP-Artifact naming the login is refused; A’s artifact completes it', async () => {
    const sp = await twoIdpSp(store());
    const login = await startLogin(sp, a, '?idp=a&returnTo=%2Fpage');
    const fromB = await b.answerLogin(login.request, login.relayState, { binding: 'artifact' });
    const refused = await deliverLogin(sp, fromB, login.browserCookie);
    expect(refused.status).toBe(403);
    expect(await errorCode(refused)).toBe('IN_RESPONSE_TO_MISMATCH');

    const genuine = await a.answerLogin(login.request, login.relayState, { binding: 'artifact' });
    const done = await deliverLogin(sp, genuine, login.browserCookie);
    expect(done.status, await done.clone().text()).toBe(303);
    expect(done.headers.get('location')).toBe('/page');
    expect(sessionCookie(done)).toBeDefined();
  });

  it('a signed NoPassive from B naming the passive login is refused; A’s answer still ends it', async () => {
    const sp = await twoIdpSp(store());
    const login = await startLogin(sp, a, '?idp=a&isPassive=1&returnTo=%2Fpage');
    const fromB = await b.answerNoPassive(login.request, login.relayState);
    const refused = await sp.acs(deliveryRequest(fromB));
    expect(refused.status).toBe(403);
    expect(await errorCode(refused)).toBe('IN_RESPONSE_TO_MISMATCH');

    const genuine = await a.answerNoPassive(login.request, login.relayState);
    const done = await sp.acs(deliveryRequest(genuine));
    expect(done.status, await done.clone().text()).toBe(303);
    expect(done.headers.get('location')).toBe('/page?samlkit_passive=none');
  });

  it('a signed LogoutResponse from B naming the logout is refused at the SLO endpoint; A’s completes it', async () => {
    const sp = await twoIdpSp(store());
    const login = await startLogin(sp, a, '?idp=a');
    const signedIn = await deliverLogin(
      sp,
      await a.answerLogin(login.request, login.relayState),
      login.browserCookie,
    );
    const cookie = sessionCookie(signedIn)!;
    const out = await sp.logout(req('/saml/logout?returnTo=/later', { cookie }));
    const { request, relayState } = await a.readLogoutRequest(out.headers.get('location')!);
    const spSloUrl = `${BASE}/saml/slo`;

    const fromB = await b.answerLogout(request, relayState, { spSloUrl });
    const refused = await sp.slo(deliveryRequest(fromB));
    expect(refused.status).toBe(403);
    expect(await errorCode(refused)).toBe('IN_RESPONSE_TO_MISMATCH');

    const genuine = await a.answerLogout(request, relayState, { spSloUrl });
    const done = await sp.slo(deliveryRequest(genuine));
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/later');
  });
});
