import {
  createIdpResolver,
  createServiceProvider,
  type IdpDefinition,
  type IdpLookup,
  MemoryStore,
} from '@samlkit/core';
import { createTestIdp, generateTestKeys } from '@samlkit/testkit';
import { describe, expect, it } from 'vitest';
import {
  BASE,
  deliverLogin,
  errorCode,
  keys,
  loginAnsweredBy,
  req,
  spConfig,
  startLogin,
} from './support.js';

/** An application "database" of IdP rows, counting how often the resolver asks it. */
function database() {
  const rows = new Map<string, IdpDefinition>();
  const calls: IdpLookup[] = [];
  return {
    rows,
    calls,
    resolve: async (l: IdpLookup): Promise<IdpDefinition | undefined> => {
      calls.push(l);
      if (l.purpose === 'message') return l.entityId ? rows.get(l.entityId) : undefined;
      if (l.idp !== undefined) return rows.get(l.idp);
      return rows.values().next().value;
    },
  };
}

describe('createIdpResolver: cache', () => {
  it('answers from the cache within ttlMs and asks again after it', async () => {
    const { idp } = await keys();
    const db = database();
    db.rows.set(idp.entityId, { idp: idp.config });
    let now = 1_000_000;
    const r = createIdpResolver({ resolve: db.resolve, ttlMs: 60_000, now: () => now });
    const l: IdpLookup = { purpose: 'message', entityId: idp.entityId };
    expect((await r.lookup(l))?.idp.entityId).toBe(idp.entityId);
    await r.lookup(l);
    expect(db.calls).toHaveLength(1);
    now += 60_000;
    await r.lookup(l);
    expect(db.calls).toHaveLength(2);
  });

  it('never caches "unknown": an IdP added a moment ago is found at once', async () => {
    const { idp } = await keys();
    const db = database();
    const r = createIdpResolver({ resolve: db.resolve });
    const l: IdpLookup = { purpose: 'message', entityId: idp.entityId };
    expect(await r.lookup(l)).toBeUndefined();
    db.rows.set(idp.entityId, { idp: idp.config });
    expect((await r.lookup(l))?.idp.entityId).toBe(idp.entityId);
  });

  it('shares one call among concurrent lookups', async () => {
    const { idp } = await keys();
    const db = database();
    db.rows.set(idp.entityId, { idp: idp.config });
    const r = createIdpResolver({ resolve: db.resolve });
    const l: IdpLookup = { purpose: 'message', entityId: idp.entityId };
    await Promise.all([r.lookup(l), r.lookup(l), r.lookup(l)]);
    expect(db.calls).toHaveLength(1);
  });

  it('treats an answer for another entity ID than the message names as unknown', async () => {
    const { idp } = await keys();
    const r = createIdpResolver({ resolve: async () => ({ idp: idp.config }) });
    expect(await r.lookup({ purpose: 'message', entityId: 'https://other.test' })).toBeUndefined();
  });

  it('invalidate drops the answer on this node at once', async () => {
    const { idp } = await keys();
    const db = database();
    db.rows.set(idp.entityId, { idp: idp.config });
    const r = createIdpResolver({ resolve: db.resolve });
    const l: IdpLookup = { purpose: 'message', entityId: idp.entityId };
    await r.lookup(l);
    await r.invalidate({ entityId: idp.entityId });
    await r.lookup(l);
    expect(db.calls).toHaveLength(2);
  });

  it('two nodes sharing a store: an invalidation on one reaches the other before its TTL', async () => {
    const { idp } = await keys();
    const db = database();
    db.rows.set(idp.entityId, { idp: idp.config });
    const store = new MemoryStore();
    const nodeA = createIdpResolver({ resolve: db.resolve, store, ttlMs: 3_600_000 });
    const nodeB = createIdpResolver({ resolve: db.resolve, store, ttlMs: 3_600_000 });
    const l: IdpLookup = { purpose: 'message', entityId: idp.entityId };
    await nodeB.lookup(l);
    await nodeB.lookup(l);
    expect(db.calls).toHaveLength(1);
    // The settings page (served by node A) removes the IdP.
    db.rows.delete(idp.entityId);
    await nodeA.invalidate({ entityId: idp.entityId });
    expect(await nodeB.lookup(l)).toBeUndefined();
  });

  it('marks are scoped: invalidating one tenant leaves another tenant’s answers cached', async () => {
    const { idp } = await keys();
    const db = database();
    db.rows.set(idp.entityId, { idp: idp.config });
    const store = new MemoryStore();
    const nodeA = createIdpResolver({ resolve: db.resolve, store });
    const nodeB = createIdpResolver({ resolve: db.resolve, store });
    const l: IdpLookup = { purpose: 'message', entityId: idp.entityId };
    await nodeB.forTenant('a').lookup(l);
    await nodeB.forTenant('b').lookup(l);
    expect(db.calls.map((c) => c.tenant)).toEqual(['a', 'b']);
    await nodeA.forTenant('a').invalidate();
    await nodeB.forTenant('a').lookup(l);
    await nodeB.forTenant('b').lookup(l);
    expect(db.calls.map((c) => c.tenant)).toEqual(['a', 'b', 'a']);
    // Invalidating everything reaches every tenant.
    await nodeA.invalidate();
    await nodeB.forTenant('b').lookup(l);
    expect(db.calls.map((c) => c.tenant)).toEqual(['a', 'b', 'a', 'b']);
  });
});

describe('createIdpResolver in a service provider: IdPs added, changed, removed at run time', () => {
  async function setupResolver() {
    const { idp, spKeys } = await keys();
    const db = database();
    const store = new MemoryStore();
    const resolver = createIdpResolver({ resolve: db.resolve, store });
    const sp = createServiceProvider({
      sp: spConfig(spKeys),
      idps: resolver,
      store,
      baseUrl: BASE,
      logger: { warn() {}, error() {} },
    });
    return { idp, db, resolver, sp, store, spKeys };
  }

  it('refuses a login for an IdP that is not (yet) configured, then accepts it once added', async () => {
    const { idp, db, sp } = await setupResolver();
    const before = await sp.login(req(`/saml/login?idp=${encodeURIComponent(idp.entityId)}`));
    expect(before.status).toBe(400);
    expect(await errorCode(before)).toBe('IDP_UNKNOWN');
    db.rows.set(idp.entityId, { idp: idp.config });
    const done = await loginAnsweredBy(
      sp,
      idp,
      idp,
      { nameId: 'ann' },
      `?idp=${encodeURIComponent(idp.entityId)}`,
    );
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/');
  });

  it('an IdP removed while a login is in flight: its Response is refused (IDP_UNKNOWN)', async () => {
    const { idp, db, sp, resolver } = await setupResolver();
    db.rows.set(idp.entityId, { idp: idp.config });
    const { request, relayState, browserCookie } = await startLogin(sp, idp);
    db.rows.delete(idp.entityId);
    await resolver.invalidate({ entityId: idp.entityId });
    const res = await deliverLogin(sp, await idp.answerLogin(request, relayState), browserCookie);
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('IDP_UNKNOWN');
  });

  it('an IdP whose signing key changed: after invalidate the new key verifies, the old no longer', async () => {
    const { idp, db, sp, resolver } = await setupResolver();
    db.rows.set(idp.entityId, { idp: idp.config });
    const rolled = await createTestIdp({
      entityId: idp.entityId,
      keys: await generateTestKeys({ subject: 'rolled idp' }),
    });
    // Before the change reaches the SP, the new key is refused…
    const refused = await loginAnsweredBy(sp, idp, rolled);
    expect(refused.status).toBe(403);
    expect(await errorCode(refused)).toMatch(/^SIGNATURE_/);
    // …the admin saves the new certificate; the application invalidates.
    db.rows.set(idp.entityId, { idp: rolled.config });
    await resolver.invalidate({ entityId: idp.entityId });
    const ok = await loginAnsweredBy(sp, rolled);
    expect(ok.status).toBe(303);
    const old = await loginAnsweredBy(sp, rolled, idp);
    expect(old.status).toBe(403);
  });
});
