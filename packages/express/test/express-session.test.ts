// Applications that already use express-session can keep the samlkit session ID in it instead of
// samlkit's own cookie (the `session` bridge). And the adapter runs on Express 4 as well.
import { MemoryStore, type ServiceProviderOptions } from '@samlkit/core';
import { createSamlExpress } from '@samlkit/express';
import {
  CookieJar,
  createTestIdp,
  generateTestKeys,
  runAdapterConformance,
  type TestIdp,
} from '@samlkit/testkit';
import express from 'express';
import session from 'express-session';
import express4 from 'express4';
import { afterEach, beforeAll, describe, expect, it, test } from 'vitest';
import { serve, testServers } from '../../../test/support/servers.js';

declare module 'express-session' {
  interface SessionData {
    samlSessionId?: string;
    visits?: number;
  }
}

const BASE = 'https://app.test';
let idp: TestIdp;
let options: ServiceProviderOptions;
const servers = testServers();

beforeAll(async () => {
  idp = await createTestIdp();
  const keys = await generateTestKeys({ subject: 'express-session sp' });
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

afterEach(() => servers.closeAll());

describe('express-session as the session library', () => {
  async function start() {
    const store = new MemoryStore();
    const saml = createSamlExpress({
      ...options,
      store,
      session: {
        get: (req) => req.session?.samlSessionId,
        set: (req, id) =>
          new Promise<void>((resolve, reject) => {
            if (id === null) {
              delete req.session.samlSessionId;
              return resolve();
            }
            // A new express-session ID at sign-in (no fixation); keep the application's data.
            const visits = req.session.visits;
            req.session.regenerate((err) => {
              if (err) return reject(err);
              req.session.samlSessionId = id;
              if (visits !== undefined) req.session.visits = visits;
              resolve();
            });
          }),
      },
    });
    const app = express();
    app.use(
      session({
        secret: 'test only',
        resave: false,
        saveUninitialized: false,
        cookie: { httpOnly: true, sameSite: 'lax', secure: false },
      }),
    );
    app.use(saml.routes);
    app.get('/me', saml.requireSession(), (req, res) => {
      req.session.visits = (req.session.visits ?? 0) + 1;
      res.json({ nameId: req.samlSession!.nameId, id: req.samlSession!.id });
    });
    return { url: await servers.listen(app), store };
  }

  async function signIn(url: string, jar: CookieJar, query = '') {
    const begin = await fetch(`${url}/saml/login${query}`, {
      redirect: 'manual',
      headers: { cookie: jar.header() },
    });
    jar.take(begin);
    const { request, relayState } = await idp.readAuthnRequest(begin.headers.get('location')!);
    const delivery = await idp.answerLogin(request, relayState, { nameId: 'alice@example.com' });
    if (delivery.binding !== 'post') throw new Error('expected POST');
    // The IdP's cross-site POST: no cookie at all.
    const acs = await fetch(`${url}/saml/acs`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: delivery.form.toString(),
    });
    jar.take(acs);
    // The ACS sends the browser to its same-site finish step, where the login cookie arrives.
    const finish = await fetch(`${url}${acs.headers.get('location')}`, {
      redirect: 'manual',
      headers: { cookie: jar.header() },
    });
    jar.take(finish);
    return finish;
  }

  it('keeps the samlkit session ID in express-session, not in a samlkit cookie', async () => {
    const { url, store } = await start();
    const jar = new CookieJar();
    const acs = await signIn(url, jar, '?returnTo=/me');
    expect(acs.status).toBe(303);
    expect(acs.headers.get('location')).toBe('/me');
    expect(acs.headers.getSetCookie().some((c) => c.startsWith('__Host-samlkit_session='))).toBe(
      false,
    );
    expect(jar.has('connect.sid')).toBe(true);
    const me = await fetch(`${url}/me`, { headers: { cookie: jar.header() } });
    expect(me.status).toBe(200);
    const body = (await me.json()) as { nameId: string; id: string };
    expect(body.nameId).toBe('alice@example.com');
    expect(await store.getSession(body.id)).toBeDefined();
    // A samlkit cookie the browser sends is ignored: the ID comes from express-session only.
    const forged = await fetch(`${url}/me`, {
      redirect: 'manual',
      headers: { cookie: `__Host-samlkit_session=${body.id}`, accept: 'application/json' },
    });
    expect(forged.status).toBe(401);

    // Step-up from the signed-in browser: the samlkit session is upgraded, not replaced.
    await signIn(url, jar, '?forceAuthn=true&returnTo=/me');
    const again = (await (
      await fetch(`${url}/me`, { headers: { cookie: jar.header() } })
    ).json()) as {
      id: string;
    };
    expect(again.id).toBe(body.id);

    // Logout goes through the bridge too: the ID is forgotten and the session ended.
    const out = await fetch(`${url}/saml/logout`, {
      redirect: 'manual',
      headers: { cookie: jar.header() },
    });
    jar.take(out);
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toMatch(/^https:\/\/idp\.test\/slo\?/);
    expect(await store.getSession(body.id)).toBeUndefined();
    const after = await fetch(`${url}/me`, {
      redirect: 'manual',
      headers: { cookie: jar.header(), accept: 'application/json' },
    });
    expect(after.status).toBe(401);
  });
});

describe('errors in the adapter', () => {
  it('reach the application error middleware (Express 5 and 4 alike), not an unhandled rejection', async () => {
    const saml = createSamlExpress({
      ...options,
      store: new MemoryStore(),
      session: {
        get: () => undefined,
        set: async () => {
          throw new Error('session store down');
        },
      },
    });
    const app = express();
    app.use(saml.routes);
    const seen: string[] = [];
    app.use(
      (err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        seen.push(err.message);
        res.status(500).send('handled');
      },
    );
    const url = await servers.listen(app);
    const jar = new CookieJar();
    const begin = await fetch(`${url}/saml/login`, { redirect: 'manual' });
    jar.take(begin);
    const { request, relayState } = await idp.readAuthnRequest(begin.headers.get('location')!);
    const delivery = await idp.answerLogin(request, relayState, { nameId: 'alice@example.com' });
    if (delivery.binding !== 'post') throw new Error('expected POST');
    let res = await fetch(`${url}/saml/acs`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: delivery.form.toString(),
    });
    const next = res.status === 303 ? res.headers.get('location') : null;
    if (next && /[?&]finish=/.test(next)) {
      res = await fetch(new URL(next, url), {
        redirect: 'manual',
        headers: { cookie: jar.header() },
      });
    }
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('handled');
    expect(seen).toEqual(['session store down']);
  });
});

describe('Express 4 with express.urlencoded() (which sets req.body = {} on bodies it does not read)', () => {
  runAdapterConformance(
    {
      async start(spOptions) {
        const saml = createSamlExpress(spOptions);
        const e4 = express4 as unknown as typeof express;
        const app = e4();
        app.use(e4.urlencoded({ extended: true }));
        app.use(saml.routes);
        app.get('/app/protected', saml.requireSession(), (req, res) => {
          res.json(req.samlSession);
        });
        app.get('/app/public', (_req, res) => {
          res.type('text/plain').send('public');
        });
        return serve(app);
      },
    },
    { test },
  );
});
