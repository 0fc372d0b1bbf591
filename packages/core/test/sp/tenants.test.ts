import {
  createIdpResolver,
  createTenantServiceProviders,
  type IdpDefinition,
  MemoryStore,
  type SessionRecord,
  tenantStore,
} from '@samlkit/core';
import { buildResponse, createTestIdp, type TestIdp, toPostBinding } from '@samlkit/testkit';
import { describe, expect, it } from 'vitest';
import { BASE, deliveryRequest, errorCode, keys } from './support.js';

let shared: Promise<{ idpA: TestIdp; idpB: TestIdp }> | undefined;
function idps() {
  shared ??= (async () => ({
    idpA: await createTestIdp({ entityId: 'https://idp-a.test' }),
    idpB: await createTestIdp({ entityId: 'https://idp-b.test' }),
  }))();
  return shared;
}

/** Two tenants, `a` trusting idpA and `b` trusting idpB (or both trusting idpA with `sameIdp`). */
async function setupTenants(sameIdp = false) {
  const { spKeys } = await keys();
  const { idpA, idpB } = await idps();
  const db = new Map<string, Map<string, IdpDefinition>>([
    ['a', new Map([[idpA.entityId, { idp: idpA.config }]])],
    ['b', new Map([[(sameIdp ? idpA : idpB).entityId, { idp: (sameIdp ? idpA : idpB).config }]])],
  ]);
  const store = new MemoryStore();
  const resolver = createIdpResolver({
    store,
    resolve: async ({ tenant, entityId, idp }) => {
      const rows = db.get(tenant ?? '');
      const key = entityId ?? idp;
      return key !== undefined ? rows?.get(key) : rows?.values().next().value;
    },
  });
  const saml = createTenantServiceProviders({
    baseUrl: BASE,
    store,
    sp: { signingKeys: [{ privateKey: spKeys.privateKey, certificate: spKeys.certificatePem }] },
    idps: resolver,
    tenants: (id) => (db.has(id) ? { id } : undefined),
    logger: { warn() {}, error() {} },
  });
  return { saml, store, db, resolver, idpA, idpB };
}

type Tenants = Awaited<ReturnType<typeof setupTenants>>['saml'];

function cookieOf(response: Response, name: string): string | undefined {
  const line = response.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  const pair = line?.split(';')[0];
  return pair && pair !== `${name}=` ? pair : undefined;
}

async function send(saml: Tenants, request: Request): Promise<Response> {
  const res = await saml.handle(request);
  if (!res) throw new Error(`no tenant endpoint for ${request.url}`);
  return res;
}

/** Starts a login at tenant `t`; returns the AuthnRequest as `idp` reads it and the login cookie. */
async function begin(saml: Tenants, t: string, idp: TestIdp) {
  const res = await send(saml, new Request(`${BASE}/t/${t}/saml/login`));
  expect(res.status).toBe(303);
  const cookie = cookieOf(res, `__Host-samlkit_${t}_login`)!;
  return { ...(await idp.readAuthnRequest(res.headers.get('location')!)), cookie };
}

/** Posts a Response to `acsUrl` and, when it passes, finishes in the browser holding `cookie`. */
async function deliver(saml: Tenants, acsUrl: string, xml: string, cookie: string) {
  const acs = await send(
    saml,
    new Request(acsUrl, {
      method: 'POST',
      body: new URLSearchParams({ SAMLResponse: toPostBinding(xml) }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    }),
  );
  if (acs.status !== 303) return acs;
  return send(saml, new Request(`${BASE}${acs.headers.get('location')}`, { headers: { cookie } }));
}

function responseFor(idp: TestIdp, tenant: string, inResponseTo: string, nameId = 'ann') {
  return buildResponse({
    idpEntityId: idp.entityId,
    spEntityId: `${BASE}/t/${tenant}/saml/metadata`,
    acsUrl: `${BASE}/t/${tenant}/saml/acs`,
    now: Date.now(),
    inResponseTo,
    nameId: { value: nameId },
    sessionIndex: `si-${tenant}`,
    signingKey: idp.keys,
  });
}

/** Answers `login` (begun at tenant `t`) with a Response of `idp` for `t`, posted to t's ACS. */
async function finishAt(
  saml: Tenants,
  t: string,
  idp: TestIdp,
  login: Awaited<ReturnType<typeof begin>>,
) {
  const xml = await responseFor(idp, t, login.request.id);
  return deliver(saml, `${BASE}/t/${t}/saml/acs`, xml, login.cookie);
}

/** Signs `ann` in at tenant `t` through `idp`; returns the samlkit session ID of the browser. */
async function signIn(saml: Tenants, t: string, idp: TestIdp): Promise<string> {
  const done = await finishAt(saml, t, idp, await begin(saml, t, idp));
  expect(done.status).toBe(303);
  return cookieOf(done, `__Host-samlkit_${t}`)!.split('=')[1]!;
}

describe('tenants: each with its own SP entity ID, endpoints and metadata', () => {
  it('serves each tenant’s metadata under its path, and nothing for an unknown tenant', async () => {
    const { saml } = await setupTenants();
    const md = await send(saml, new Request(`${BASE}/t/a/saml/metadata`));
    const xml = await md.text();
    expect(xml).toContain(`entityID="${BASE}/t/a/saml/metadata"`);
    expect(xml).toContain(`Location="${BASE}/t/a/saml/acs"`);
    expect(await saml.handle(new Request(`${BASE}/t/zz/saml/metadata`))).toBeUndefined();
    expect(await saml.handle(new Request(`${BASE}/saml/metadata`))).toBeUndefined();
    expect(saml.tenantOf(new Request(`${BASE}/t/a/profile`))).toBe('a');
  });

  it('a tenant with its own SP keys publishes them', async () => {
    const { spKeys } = await keys();
    const { idpA } = await idps();
    const own = await createTestIdp({ entityId: 'https://unused.test' });
    const saml = createTenantServiceProviders({
      baseUrl: BASE,
      sp: { signingKeys: [{ privateKey: spKeys.privateKey, certificate: spKeys.certificatePem }] },
      tenants: (id) => ({
        id,
        idps: idpA.config,
        ...(id === 'own'
          ? {
              signingKeys: [
                { privateKey: own.keys.privateKey, certificate: own.keys.certificatePem },
              ],
            }
          : {}),
      }),
    });
    const b64 = (pem: string) => pem.replace(/-----[^-]+-----|\s/g, '');
    const ownXml = await (await send(saml, new Request(`${BASE}/t/own/saml/metadata`))).text();
    const sharedXml = await (await send(saml, new Request(`${BASE}/t/x/saml/metadata`))).text();
    expect(ownXml).toContain(b64(own.keys.certificatePem));
    expect(ownXml).not.toContain(b64(spKeys.certificatePem));
    expect(sharedXml).toContain(b64(spKeys.certificatePem));
  });

  it('host routing: each tenant on its own origin', async () => {
    const { idpA } = await idps();
    const saml = createTenantServiceProviders({
      routing: 'host',
      tenantOfHost: (host) => /^([a-z0-9-]+)\.app\.test$/.exec(host)?.[1],
      tenants: (id) => ({ id, baseUrl: `https://${id}.app.test`, idps: idpA.config }),
    });
    const xml = await (await send(saml, new Request('https://acme.app.test/saml/metadata'))).text();
    expect(xml).toContain('entityID="https://acme.app.test/saml/metadata"');
    expect(saml.tenantOf(new Request('https://other.example/saml/metadata'))).toBeUndefined();
  });
});

describe('tenants: isolation', () => {
  it('a Response for tenant A posted to tenant B’s ACS is refused there and leaves A’s login intact', async () => {
    const { saml, idpA } = await setupTenants(true);
    const login = await begin(saml, 'a', idpA);
    const xml = await responseFor(idpA, 'a', login.request.id);
    const atB = await deliver(saml, `${BASE}/t/b/saml/acs`, xml, login.cookie);
    expect(atB.status).toBe(403);
    expect(await errorCode(atB)).toBe('DESTINATION_MISMATCH');
    const atA = await deliver(saml, `${BASE}/t/a/saml/acs`, xml, login.cookie);
    expect(atA.status).toBe(303);
    expect(atA.headers.get('location')).toBe('/t/a/');
    expect(cookieOf(atA, '__Host-samlkit_a')).toBeDefined();
  });

  it('an IdP of tenant A cannot log a user into tenant B, even answering B’s own request', async () => {
    const { saml, idpA, idpB } = await setupTenants();
    const login = await begin(saml, 'b', idpB);
    // IdP A signs a Response addressed to tenant B, answering B's request.
    const forged = await responseFor(idpA, 'b', login.request.id);
    const res = await deliver(saml, `${BASE}/t/b/saml/acs`, forged, login.cookie);
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('IDP_UNKNOWN');
    // B's login is intact: its own IdP still completes it.
    const ok = await finishAt(saml, 'b', idpB, login);
    expect(ok.status).toBe(303);
  });

  it('a pending login of tenant A cannot be consumed through tenant B (same IdP, B’s addresses)', async () => {
    const { saml, idpA } = await setupTenants(true);
    const login = await begin(saml, 'a', idpA);
    // A Response fully addressed to B that names A's pending request.
    const toB = await responseFor(idpA, 'b', login.request.id);
    const res = await deliver(saml, `${BASE}/t/b/saml/acs`, toB, login.cookie);
    expect(res.status).toBe(403);
    expect(await errorCode(res)).toBe('IN_RESPONSE_TO_MISMATCH');
    const ok = await finishAt(saml, 'a', idpA, login);
    expect(ok.status).toBe(303);
  });

  it('a session of tenant A is nothing at tenant B, even under B’s cookie name', async () => {
    const { saml, idpA } = await setupTenants(true);
    const id = await signIn(saml, 'a', idpA);
    const spA = (await saml.forTenant('a'))!;
    const spB = (await saml.forTenant('b'))!;
    expect(
      await spA.getSession(
        new Request(`${BASE}/t/a/`, { headers: { cookie: `__Host-samlkit_a=${id}` } }),
      ),
    ).toBeDefined();
    expect(
      await spB.getSession(
        new Request(`${BASE}/t/b/`, { headers: { cookie: `__Host-samlkit_b=${id}` } }),
      ),
    ).toBeUndefined();
    expect(await spB.getSessionById(id)).toBeUndefined();
  });

  it('a LogoutRequest at tenant B ends no session of tenant A (same IdP, same user)', async () => {
    const { saml, idpA } = await setupTenants(true);
    const id = await signIn(saml, 'a', idpA);
    const atB = await idpA.logoutRequest({
      spSloUrl: `${BASE}/t/b/saml/slo`,
      nameId: 'ann',
      binding: 'redirect',
    });
    const res = await send(saml, deliveryRequest(atB));
    expect(res.status).toBe(303);
    expect(await (await saml.forTenant('a'))!.getSessionById(id)).toBeDefined();
    // The same request at tenant A ends it.
    const atA = await idpA.logoutRequest({
      spSloUrl: `${BASE}/t/a/saml/slo`,
      nameId: 'ann',
      binding: 'redirect',
    });
    await send(saml, deliveryRequest(atA));
    expect(await (await saml.forTenant('a'))!.getSessionById(id)).toBeUndefined();
  });

  it('a tenant removed at run time answers nothing once invalidated', async () => {
    const { saml, db } = await setupTenants();
    expect(await saml.handle(new Request(`${BASE}/t/b/saml/metadata`))).toBeDefined();
    db.delete('b');
    saml.invalidate('b');
    expect(await saml.handle(new Request(`${BASE}/t/b/saml/metadata`))).toBeUndefined();
  });
});

describe('tenantStore', () => {
  const session = (id: string): SessionRecord => ({
    id,
    issuer: 'https://idp.test',
    nameId: 'ann',
    sessionIndex: 's1',
    attributes: {},
    createdAt: 1,
    expiresAt: Date.now() + 60_000,
  });

  it('keeps each tenant’s sessions, pending requests and values apart', async () => {
    const store = new MemoryStore();
    const a = tenantStore(store, 'a');
    const b = tenantStore(store, 'b');
    await a.putSession(session('sess-1'));
    expect((await a.getSession('sess-1'))?.issuer).toBe('https://idp.test');
    expect(await b.getSession('sess-1')).toBeUndefined();
    expect(await b.findSessions({ issuer: 'https://idp.test', nameId: 'ann' })).toEqual([]);
    expect(await a.findSessions({ issuer: 'https://idp.test', nameId: 'ann' })).toHaveLength(1);
    expect(await b.deleteSession('sess-1')).toBe(false);
    const pending = { id: 'r1', kind: 'authn', createdAt: 1, idpEntityId: 'x' } as const;
    await a.putPendingRequest('r1', pending, Date.now() + 60_000);
    expect(await b.takePendingRequest('r1')).toBeUndefined();
    expect(await a.takePendingRequest('r1')).toBeDefined();
    expect(await a.rememberOnce('k', Date.now() + 60_000)).toBe(true);
    expect(await b.rememberOnce('k', Date.now() + 60_000)).toBe(true);
    // A record the shared store holds without the tenant's prefix is not the tenant's.
    await store.putSession(session('t.b.sess-2'));
    expect(await b.getSession('sess-2')).toBeUndefined();
  });
});

describe('tenants: opt-in ACS bindings', () => {
  it('an artifact login at tenant a, whose metadata alone announces HTTP-Artifact', async () => {
    const { spKeys } = await keys();
    const { idpA } = await idps();
    const store = new MemoryStore();
    const saml = createTenantServiceProviders({
      baseUrl: BASE,
      store,
      sp: { signingKeys: [{ privateKey: spKeys.privateKey, certificate: spKeys.certificatePem }] },
      idps: createIdpResolver({ store, resolve: async () => ({ idp: idpA.config }) }),
      tenants: (id) =>
        id === 'a'
          ? { id, acsBindings: ['artifact'], options: { responseBinding: 'artifact' } }
          : id === 'b'
            ? { id }
            : undefined,
      fetch: idpA.artifactFetch,
      logger: { warn() {}, error() {} },
    });
    const meta = async (t: string) =>
      (await send(saml, new Request(`${BASE}/t/${t}/saml/metadata`))).text();
    expect(await meta('a')).toContain('bindings:HTTP-Artifact');
    expect(await meta('b')).not.toContain('bindings:HTTP-Artifact');

    const { request, relayState, cookie } = await begin(saml, 'a', idpA);
    expect(request.protocolBinding).toBe('urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact');
    const delivery = await idpA.answerLogin(request, relayState, { binding: 'artifact' });
    // Tenant b does not accept artifacts at all; tenant a resolves it and signs in.
    const atB = await send(
      saml,
      deliveryRequest({
        ...delivery,
        url: delivery.url.replace('/t/a/', '/t/b/'),
      } as typeof delivery),
    );
    expect(await errorCode(atB)).toBe('BINDING_INVALID');
    const acs = await send(saml, deliveryRequest(delivery));
    expect(acs.status, await acs.clone().text()).toBe(303);
    const done = await send(
      saml,
      new Request(new URL(acs.headers.get('location')!, BASE), { headers: { cookie } }),
    );
    expect(done.status).toBe(303);
    expect(cookieOf(done, '__Host-samlkit_a')).toBeDefined();
  });
});
