// @fastify/session as the application's session library, built as docs/getting-started-fastify.md
// ("Keeping the samlkit session ID in @fastify/session") says: the plugin's `session` option keeps
// the samlkit session ID in `request.session` (regenerated at sign-in). samlkit sets no cookie of
// its own.
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import { MemoryStore, type ServiceProviderOptions } from '@samlkit/core';
import { samlkit } from '@samlkit/fastify';
import { CookieJar, createTestIdp, generateTestKeys, type TestIdp } from '@samlkit/testkit';
import Fastify, { type FastifyInstance, type Session } from 'fastify';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FORM, signIn, visit } from '../../../test/support/session-browser.js';

declare module 'fastify' {
  interface Session {
    samlSessionId?: string;
    cart?: string[];
    note?: string;
  }
}

const BASE = 'https://app.test';
let idp: TestIdp;
let options: ServiceProviderOptions;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  idp = await createTestIdp();
  const keys = await generateTestKeys({ subject: '@fastify/session sp' });
  options = {
    sp: {
      entityId: `${BASE}/saml/metadata`,
      assertionConsumerServices: [{ binding: 'post', location: `${BASE}/saml/acs` }],
      singleLogoutServices: [{ binding: 'redirect', location: `${BASE}/saml/slo` }],
      signingKeys: [{ privateKey: keys.privateKey, certificate: keys.certificatePem }],
    },
    idps: idp.config,
    baseUrl: BASE,
    logger: { warn() {}, error() {} },
  };
});

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function start(
  sessionOptions: { saveUninitialized?: boolean } = { saveUninitialized: false },
) {
  const store = new MemoryStore();
  const sessionStore = mapStore();
  const loggedOut: { id: string; reason: string }[] = [];

  // ---- The application, as the recipe in docs/getting-started-fastify.md builds it. ----
  const app = Fastify();
  apps.push(app);
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret: 'a test secret of at least 32 characters',
    ...sessionOptions,
    store: sessionStore,
    cookie: {
      httpOnly: true,
      secure: false, // the docs say true; this test server speaks plain HTTP on loopback
      sameSite: 'lax',
    },
  });
  await app.register(samlkit, {
    ...options,
    store,
    onLogout: (s, { reason }) => {
      loggedOut.push({ id: s.id, reason });
    },
    session: {
      get: (request) => request.session.samlSessionId,
      async set(request, id) {
        if (id === null) {
          delete request.session.samlSessionId;
          return;
        }
        await request.session.regenerate(['cart']); // a new ID (no fixation), keeping only `cart`
        request.session.samlSessionId = id;
      },
    },
  });

  app.get('/me', { preHandler: app.saml.loadSession() }, async (request, reply) => {
    const user = request.samlSession;
    if (!user) return reply.redirect(`/saml/login?returnTo=${encodeURIComponent(request.url)}`);
    const { cart = [], note } = request.session;
    return { nameId: user.nameId, id: user.id, cart, note };
  });
  // Application data stored before anyone signs in.
  app.post('/cart', async (request) => {
    request.session.cart = [...(request.session.cart ?? []), 'book'];
    request.session.note = 'not named in regenerate()';
    return { cart: request.session.cart };
  });
  // ---- End of the application. ----

  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url: address, store, sessionStore, app, loggedOut };
}

/** A @fastify/session store over a Map (what a Redis store does, in memory, as JSON). */
function mapStore() {
  const entries = new Map<string, Record<string, unknown>>();
  type Done = (err?: unknown) => void;
  return {
    entries,
    set(id: string, value: unknown, done: Done) {
      entries.set(id, JSON.parse(JSON.stringify(value)) as Record<string, unknown>);
      done();
    },
    get(id: string, done: (err: unknown, value?: Session | null) => void) {
      done(null, (entries.get(id) as Session | undefined) ?? null);
    },
    destroy(id: string, done: Done) {
      entries.delete(id);
      done();
    },
  };
}

/** The session ID a `sessionId` cookie value names (it is `<id>.<signature>`, URL-encoded). */
function sessionIdOf(cookie: string): string {
  const value = decodeURIComponent(cookie);
  return value.slice(0, value.lastIndexOf('.'));
}

async function me(url: string, jar: CookieJar) {
  const res = await visit(`${url}/me`, jar);
  expect(res.status).toBe(200);
  return (await res.json()) as { nameId: string; id: string; cart: string[]; note?: string };
}

describe('@fastify/session keeps the samlkit session ID', () => {
  it('full login: the cross-site POST carries no cookie, the finish GET stores the ID in request.session', async () => {
    const { url, store, sessionStore } = await start();
    const jar = new CookieJar();
    const { acs, finish } = await signIn(idp, url, jar);

    // The IdP's POST: validated without any cookie, answered with the same-site finish step only.
    expect(acs.status).toBe(303);
    expect(acs.headers.get('location')).toMatch(/^\/saml\/acs\?finish=[A-Za-z0-9_-]{43}$/);
    expect(acs.headers.getSetCookie()).toEqual([]);
    // The finish GET: the login is complete, @fastify/session holds it.
    expect(finish.status).toBe(303);
    expect(finish.headers.get('location')).toBe('/me');
    expect(jar.has('sessionId')).toBe(true);

    const body = await me(url, jar);
    expect(body.nameId).toBe('alice@example.com');
    expect((await store.getSession(body.id))?.nameId).toBe('alice@example.com');
    const kept = sessionStore.entries.get(sessionIdOf(jar.get('sessionId')!));
    expect(kept?.samlSessionId).toBe(body.id);

    // samlkit never set its own session cookie (only its short-lived login cookie) …
    expect(jar.everSet.has('__Host-samlkit_session')).toBe(false);
    expect(jar.has('__Host-samlkit_session_login')).toBe(false); // used, then cleared
    // … and one sent by the browser means nothing: the ID comes from @fastify/session only.
    const forged = await fetch(`${url}/me`, {
      redirect: 'manual',
      headers: { cookie: `__Host-samlkit_session=${body.id}` },
    });
    expect(forged.status).toBe(302);
    expect(forged.headers.get('location')).toBe('/saml/login?returnTo=%2Fme');
  });

  it('regenerates the session at sign-in (no fixation), keeping the fields regenerate() names', async () => {
    const { url, store, sessionStore, loggedOut } = await start();
    const jar = new CookieJar();
    expect((await visit(`${url}/cart`, jar, { method: 'POST' })).status).toBe(200);
    const before = jar.get('sessionId')!;
    expect(sessionStore.entries.get(sessionIdOf(before))).toMatchObject({
      cart: ['book'],
      note: 'not named in regenerate()',
    });

    await signIn(idp, url, jar);
    const first = await me(url, jar);
    // regenerate(['cart']) starts an empty session and copies `cart` only: `note` is gone.
    expect(first.cart).toEqual(['book']);
    expect(first.note).toBeUndefined();
    // A new session ID; the old session is gone from the store and its cookie signs nobody in.
    expect(sessionIdOf(jar.get('sessionId')!)).not.toBe(sessionIdOf(before));
    expect(sessionStore.entries.get(sessionIdOf(before))).toBeFalsy();
    const fixed = await fetch(`${url}/me`, {
      redirect: 'manual',
      headers: { cookie: `sessionId=${before}` },
    });
    expect(fixed.status).toBe(302);

    // Signing in again in this browser replaces the samlkit session: samlkit ends the old one.
    await signIn(idp, url, jar);
    const again = await me(url, jar);
    expect(again.id).not.toBe(first.id);
    expect(again.cart).toEqual(['book']);
    expect(await store.getSession(first.id)).toBeUndefined();
    expect(loggedOut).toEqual([{ id: first.id, reason: 'replaced' }]);
  });

  it('IdP-initiated Single Logout ends the session: getSessionById answers undefined', async () => {
    const { url, app, sessionStore } = await start();
    const jar = new CookieJar();
    await signIn(idp, url, jar);
    const { id } = await me(url, jar);

    const message = await idp.logoutRequest({
      spSloUrl: `${BASE}/saml/slo`,
      nameId: 'alice@example.com',
      binding: 'redirect',
    });
    if (message.binding !== 'redirect') throw new Error('expected Redirect');
    const slo = await visit(message.url.replace(BASE, url), jar);
    expect(slo.status).toBe(303);
    const { response } = await idp.readLogoutResponse(slo.headers.get('location')!);
    expect(response.inResponseTo).toBe(message.id);
    expect(response.status.success && !response.status.partial).toBe(true);

    expect(await app.saml.provider.getSessionById(id)).toBeUndefined();
    const after = await visit(`${url}/me`, jar);
    expect(after.status).toBe(302);
    expect(after.headers.get('location')).toBe('/saml/login?returnTo=%2Fme');
    // The application forgot the dead ID; its own data stays.
    const kept = sessionStore.entries.get(sessionIdOf(jar.get('sessionId')!));
    expect(kept?.samlSessionId).toBeUndefined();
    expect(kept?.cart).toBeUndefined(); // nothing was put in the cart in this test
  });

  it("SP-initiated logout at samlkit's /saml/logout ends the samlkit session and forgets its ID", async () => {
    const { url, store, sessionStore, loggedOut } = await start();
    const jar = new CookieJar();
    await visit(`${url}/cart`, jar, { method: 'POST' });
    await signIn(idp, url, jar);
    const { id } = await me(url, jar);
    const appSessionId = sessionIdOf(jar.get('sessionId')!);

    const out = await visit(`${url}/saml/logout?localOnly=true`, jar);
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/');
    expect(await store.getSession(id)).toBeUndefined();
    expect(loggedOut).toEqual([{ id, reason: 'sp-initiated' }]);
    expect(jar.everSet.has('__Host-samlkit_session')).toBe(false);
    // The application's session stays, without the samlkit ID.
    const kept = sessionStore.entries.get(appSessionId);
    expect(kept?.samlSessionId).toBeUndefined();
    expect(kept?.cart).toEqual(['book']);
    expect((await visit(`${url}/me`, jar)).status).toBe(302);
  });

  it('refuses a replayed ACS POST and a replayed finish step, and the session stays as it was', async () => {
    const { url } = await start();
    const jar = new CookieJar();
    const { form, finishUrl } = await signIn(idp, url, jar);
    const { id } = await me(url, jar);

    const replay = await fetch(`${url}/saml/acs`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': FORM, accept: 'application/json' },
      body: form,
    });
    expect(replay.status).toBe(403);
    expect(((await replay.json()) as { error: { code: string } }).error.code).toBe(
      'IN_RESPONSE_TO_MISMATCH',
    );
    expect(replay.headers.getSetCookie()).toEqual([]);

    const again = await fetch(`${url}${finishUrl}`, {
      redirect: 'manual',
      headers: { cookie: jar.header(), accept: 'application/json' },
    });
    expect(again.status).toBe(403);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe(
      'LOGIN_BINDING_MISMATCH',
    );

    expect((await me(url, jar)).id).toBe(id);
  });
});

describe('why the docs ask for saveUninitialized: false', () => {
  it('with saveUninitialized left at true, the cookie-less IdP POST gets a new, empty session that replaces the browser’s', async () => {
    const { url } = await start({});
    const jar = new CookieJar();
    await visit(`${url}/cart`, jar, { method: 'POST' });
    const { acs } = await signIn(idp, url, jar);
    expect(acs.headers.getSetCookie().some((c) => c.startsWith('sessionId='))).toBe(true);
    // The login itself works, but what the application stored before it is gone.
    expect((await me(url, jar)).cart).toEqual([]);
  });
});
