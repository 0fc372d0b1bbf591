// koa-session as the application's session library, built as docs/getting-started-koa.md §2 says:
// the `session` option of createSamlKoa keeps the samlkit session ID in `ctx.session` (regenerated
// at sign-in). samlkit sets no cookie of its own. Run with koa-session's two modes: the whole session in its
// (signed) cookie, and an external store with only a session key in the cookie.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryStore, type ServiceProviderOptions } from '@samlkit/core';
import { createSamlKoa } from '@samlkit/koa';
import { CookieJar, createTestIdp, generateTestKeys, type TestIdp } from '@samlkit/testkit';
import Koa from 'koa';
import session from 'koa-session';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FORM, signIn, visit } from '../../../test/support/session-browser.js';

/** What this application keeps in koa-session. */
interface AppSession {
  samlSessionId?: string;
  cart?: string[];
  regenerate(): Promise<void>;
}

declare module 'koa' {
  interface DefaultContext {
    session: AppSession | null;
  }
}

const BASE = 'https://app.test';
let idp: TestIdp;
let options: ServiceProviderOptions;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  idp = await createTestIdp();
  const keys = await generateTestKeys({ subject: 'koa-session sp' });
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
  for (const stop of stops.splice(0)) await stop();
});

/** A koa-session external store over a Map (what a Redis store does, in memory). */
function mapStore() {
  const entries = new Map<string, Record<string, unknown>>();
  return {
    entries,
    async get(key: string) {
      return entries.get(key);
    },
    async set(key: string, value: Record<string, unknown>) {
      entries.set(key, JSON.parse(JSON.stringify(value)) as Record<string, unknown>);
    },
    async destroy(key: string) {
      entries.delete(key);
    },
  };
}

type Mode = 'cookie' | 'external store';

async function start(mode: Mode) {
  const store = new MemoryStore();
  const loggedOut: { id: string; reason: string }[] = [];
  const sessionStore = mode === 'external store' ? mapStore() : undefined;

  // ---- The application, as the recipe in docs/getting-started-koa.md §2 builds it. ----
  const saml = createSamlKoa({
    ...options,
    store,
    onLogout: (s, { reason }) => {
      loggedOut.push({ id: s.id, reason });
    },
    session: {
      get: (ctx) => ctx.session?.samlSessionId,
      async set(ctx, id) {
        if (id === null) {
          if (ctx.session) delete ctx.session.samlSessionId;
          return;
        }
        await ctx.session!.regenerate(); // a new koa-session (no fixation); its data is kept
        ctx.session!.samlSessionId = id;
      },
    },
  });
  const app = new Koa();
  app.keys = ['test only, not a secret'];
  app.use(
    session(
      {
        httpOnly: true,
        secure: false, // the docs say true; this test server speaks plain HTTP on loopback
        sameSite: 'lax',
        ...(sessionStore ? { store: sessionStore } : {}),
      },
      app,
    ),
  );

  app.use(saml.middleware); // /saml/login, /saml/acs, /saml/logout, /saml/slo, /saml/metadata
  const loadSession = saml.loadSession();

  app.use(async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === '/me') {
      return loadSession(ctx, async () => {
        const user = ctx.state.samlSession;
        if (!user)
          return ctx.redirect(`/saml/login?returnTo=${encodeURIComponent(ctx.originalUrl)}`);
        ctx.body = { nameId: user.nameId, id: user.id, cart: ctx.session!.cart ?? [] };
      });
    }
    // Application data stored before anyone signs in.
    if (ctx.method === 'POST' && ctx.path === '/cart') {
      ctx.session!.cart = [...(ctx.session!.cart ?? []), 'book'];
      ctx.body = { cart: ctx.session!.cart };
      return;
    }
    await next();
  });
  // ---- End of the application. ----

  const server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stops.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, store, saml, sessionStore, loggedOut };
}

describe.each<Mode>(['cookie', 'external store'])(
  'koa-session (%s) keeps the samlkit session ID',
  (mode) => {
    it('full login: the cross-site POST carries no cookie, the finish GET stores the ID in ctx.session', async () => {
      const { url, store, sessionStore } = await start(mode);
      const jar = new CookieJar();
      const { acs, finish } = await signIn(idp, url, jar);

      // The IdP's POST: validated without any cookie, answered with the same-site finish step only.
      expect(acs.status).toBe(303);
      expect(acs.headers.get('location')).toMatch(/^\/saml\/acs\?finish=[A-Za-z0-9_-]{43}$/);
      expect(acs.headers.getSetCookie()).toEqual([]);
      // The finish GET: the login is complete, koa-session holds it.
      expect(finish.status).toBe(303);
      expect(finish.headers.get('location')).toBe('/me');
      expect(jar.has('koa.sess')).toBe(true);

      const me = await visit(`${url}/me`, jar);
      expect(me.status).toBe(200);
      const body = (await me.json()) as { nameId: string; id: string };
      expect(body.nameId).toBe('alice@example.com');
      expect((await store.getSession(body.id))?.nameId).toBe('alice@example.com');
      // What koa-session keeps: in its store, or (base64 JSON) in its signed cookie.
      const kept = sessionStore
        ? sessionStore.entries.get(jar.get('koa.sess')!)
        : (JSON.parse(Buffer.from(jar.get('koa.sess')!, 'base64').toString('utf8')) as Record<
            string,
            unknown
          >);
      expect(kept?.samlSessionId).toBe(body.id);

      // samlkit never set its own session cookie (only its short-lived login cookie) …
      expect(jar.everSet.has('__Host-samlkit_session')).toBe(false);
      expect(jar.has('__Host-samlkit_session_login')).toBe(false); // used, then cleared
      // … and one sent by the browser means nothing: the ID comes from koa-session only.
      const forged = await fetch(`${url}/me`, {
        redirect: 'manual',
        headers: { cookie: `__Host-samlkit_session=${body.id}` },
      });
      expect(forged.status).toBe(302);
      expect(forged.headers.get('location')).toBe('/saml/login?returnTo=%2Fme');
    });

    it('keeps the data stored before login, under a new session (no fixation)', async () => {
      const { url, store, sessionStore, loggedOut } = await start(mode);
      const jar = new CookieJar();
      expect((await visit(`${url}/cart`, jar, { method: 'POST' })).status).toBe(200);
      const before = { sess: jar.get('koa.sess')!, sig: jar.get('koa.sess.sig')! };
      expect(before.sess).toBeDefined();

      await signIn(idp, url, jar);
      const me = (await (await visit(`${url}/me`, jar)).json()) as { id: string; cart: string[] };
      expect(me.cart).toEqual(['book']);

      // The session was regenerated at sign-in: a new cookie, and the old one does not sign in.
      expect(jar.get('koa.sess')).not.toBe(before.sess);
      if (sessionStore) expect(sessionStore.entries.has(before.sess)).toBe(false);
      const fixed = await fetch(`${url}/me`, {
        redirect: 'manual',
        headers: { cookie: `koa.sess=${before.sess}; koa.sess.sig=${before.sig}` },
      });
      expect(fixed.status).toBe(302);

      // Signing in again in this browser replaces the samlkit session: samlkit ends the old one.
      await signIn(idp, url, jar);
      const again = (await (await visit(`${url}/me`, jar)).json()) as {
        id: string;
        cart: string[];
      };
      expect(again.id).not.toBe(me.id);
      expect(again.cart).toEqual(['book']);
      expect(await store.getSession(me.id)).toBeUndefined();
      expect(loggedOut).toEqual([{ id: me.id, reason: 'replaced' }]);
    });

    it('IdP-initiated Single Logout ends the session: getSessionById answers undefined', async () => {
      const { url, saml, sessionStore } = await start(mode);
      const jar = new CookieJar();
      await signIn(idp, url, jar);
      const { id } = (await (await visit(`${url}/me`, jar)).json()) as { id: string };

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

      expect(await saml.provider.getSessionById(id)).toBeUndefined();
      const after = await visit(`${url}/me`, jar);
      expect(after.status).toBe(302);
      expect(after.headers.get('location')).toBe('/saml/login?returnTo=%2Fme');
      // The application forgot the dead ID (its own data stays).
      if (sessionStore) {
        const [entry] = [...sessionStore.entries.values()];
        expect(entry!.samlSessionId).toBeUndefined();
      }
    });

    it("SP-initiated logout at samlkit's /saml/logout ends the samlkit session and forgets its ID", async () => {
      const { url, store, loggedOut } = await start(mode);
      const jar = new CookieJar();
      await visit(`${url}/cart`, jar, { method: 'POST' });
      await signIn(idp, url, jar);
      const { id } = (await (await visit(`${url}/me`, jar)).json()) as { id: string };

      const out = await visit(`${url}/saml/logout?localOnly=true`, jar);
      expect(out.status).toBe(303);
      expect(out.headers.get('location')).toBe('/');
      expect(await store.getSession(id)).toBeUndefined();
      expect(loggedOut).toEqual([{ id, reason: 'sp-initiated' }]);
      expect(jar.everSet.has('__Host-samlkit_session')).toBe(false);
      // The application's session stays (its cart), without the samlkit ID.
      expect(jar.has('koa.sess')).toBe(true);
      expect((await visit(`${url}/me`, jar)).status).toBe(302);
      const cart = await visit(`${url}/cart`, jar, { method: 'POST' });
      expect(((await cart.json()) as { cart: string[] }).cart).toEqual(['book', 'book']);
    });

    it('refuses a replayed ACS POST and a replayed finish step, and the session stays as it was', async () => {
      const { url } = await start(mode);
      const jar = new CookieJar();
      const { form, finishUrl } = await signIn(idp, url, jar);
      const { id } = (await (await visit(`${url}/me`, jar)).json()) as { id: string };

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

      const me = (await (await visit(`${url}/me`, jar)).json()) as { id: string };
      expect(me.id).toBe(id);
    });
  },
);
