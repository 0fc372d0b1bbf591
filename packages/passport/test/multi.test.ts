// MultiSamlStrategy: getSamlOptions(req, done) picks each tenant's IdP; all tenants share one store.
import { MemoryStore } from '@samlkit/core';
import { MultiSamlStrategy, type SamlStrategyOptions } from '@samlkit/passport';
import { CookieJar, createTestIdp, type TestIdp } from '@samlkit/testkit';
import express from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type TestServer } from '../../../test/support/servers.js';

const BASE = 'http://localhost';
let idpA: TestIdp;
let idpB: TestIdp;
let server: TestServer;
let url: string;
let optionCalls = 0;
const store = new MemoryStore();

beforeAll(async () => {
  idpA = await createTestIdp({
    entityId: 'https://idp-a.test/metadata',
    baseUrl: 'https://idp-a.test',
  });
  idpB = await createTestIdp({
    entityId: 'https://idp-b.test/metadata',
    baseUrl: 'https://idp-b.test',
  });
  const tenants: Record<string, SamlStrategyOptions> = {
    a: {
      callbackUrl: `${BASE}/t/a/login/callback`,
      issuer: `${BASE}/t/a/metadata`,
      entryPoint: 'https://idp-a.test/sso',
      idpIssuer: idpA.entityId,
      idpCert: idpA.keys.certificatePem,
    },
    b: {
      callbackUrl: `${BASE}/t/b/login/callback`,
      issuer: `${BASE}/t/b/metadata`,
      entryPoint: 'https://idp-b.test/sso',
      idpIssuer: idpB.entityId,
      idpCert: idpB.keys.certificatePem,
    },
  };
  const passport = new Passport();
  passport.use(
    new MultiSamlStrategy(
      {
        store,
        logger: { warn() {}, error() {} },
        getSamlOptions: (req, done) => {
          optionCalls++;
          const tenant = tenants[String(req.params.tenant)];
          if (!tenant) return done(new Error('unknown tenant'));
          // A new object every time, as a database lookup would give.
          return done(null, { ...tenant });
        },
      },
      (profile, done) => done(null, { id: profile.nameID, issuer: profile.issuer }),
    ),
  );
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: Express.User, done) => done(null, user));
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use(session({ secret: 'test only', resave: false, saveUninitialized: false }));
  app.use(passport.initialize());
  app.use(passport.session());
  const auth = passport.authenticate('saml', { failureRedirect: '/failed' });
  app.get('/t/:tenant/login', auth);
  app.post('/t/:tenant/login/callback', auth, (_req, res) => res.redirect(303, '/me'));
  app.get('/t/:tenant/login/callback', auth, (_req, res) => res.redirect(303, '/me'));
  app.get('/me', (req, res) => res.json(req.user ?? null));
  app.use(
    (
      err: Error & { code?: string },
      _req: express.Request,
      res: express.Response,
      _next: express.NextFunction,
    ) => {
      res.status(400).json({ code: err.code ?? err.message });
    },
  );
  server = await serve(app);
  url = server.url;
});

afterAll(() => server.stop());

async function begin(tenant: string, jar: CookieJar, idp: TestIdp) {
  const res = await fetch(`${url}/t/${tenant}/login`, {
    redirect: 'manual',
    headers: { cookie: jar.header() },
  });
  jar.take(res);
  const location = res.headers.get('location')!;
  const { request, relayState } = await idp.readAuthnRequest(location);
  return { location, request, relayState };
}

async function post(path: string, form: URLSearchParams): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
}

describe('MultiSamlStrategy', () => {
  it("sends each tenant's login to its own IdP and signs in through that tenant's ACS", async () => {
    for (const [tenant, idp] of [
      ['a', idpA],
      ['b', idpB],
    ] as const) {
      const jar = new CookieJar();
      const { location, request, relayState } = await begin(tenant, jar, idp);
      expect(location.startsWith(`https://idp-${tenant}.test/sso?`)).toBe(true);
      expect(request.issuer).toBe(`${BASE}/t/${tenant}/metadata`);
      const delivery = await idp.answerLogin(request, relayState, { nameId: `user-${tenant}` });
      if (delivery.binding !== 'post') throw new Error('expected POST');
      const acs = await post(`/t/${tenant}/login/callback`, delivery.form);
      expect(acs.status).toBe(303);
      const finish = await fetch(new URL(acs.headers.get('location')!, url), {
        redirect: 'manual',
        headers: { cookie: jar.header() },
      });
      jar.take(finish);
      expect(finish.status).toBe(303);
      const me = await fetch(`${url}/me`, { headers: { cookie: jar.header() } });
      expect(await me.json()).toEqual({ id: `user-${tenant}`, issuer: idp.entityId });
    }
  });

  it("refuses tenant A's Response at tenant B's ACS, and A's login still completes", async () => {
    const jar = new CookieJar();
    const { request, relayState } = await begin('a', jar, idpA);
    const delivery = await idpA.answerLogin(request, relayState, { nameId: 'user-a' });
    if (delivery.binding !== 'post') throw new Error('expected POST');
    const wrong = await post('/t/b/login/callback', delivery.form);
    expect(wrong.status).toBe(400);
    const right = await post('/t/a/login/callback', delivery.form);
    expect(right.status).toBe(303);
  });

  it('builds one service provider per distinct options, not one per request', async () => {
    const { MultiSamlStrategy: Strategy } = await import('@samlkit/passport');
    const built: string[] = [];
    const strategy = new Strategy(
      {
        store,
        getSamlOptions: (req, done) =>
          done(null, { ...(req as unknown as { opts: SamlStrategyOptions }).opts }),
      },
      (_p, done) => done(null, {}),
    );
    const original = (
      strategy as unknown as { createEngine: (m: unknown) => unknown }
    ).createEngine.bind(strategy);
    (
      strategy as unknown as {
        createEngine: (m: { serviceProvider: { sp: { entityId: string } } }) => unknown;
      }
    ).createEngine = (m) => {
      built.push(m.serviceProvider.sp.entityId);
      return original(m);
    };
    const engineFor = (opts: SamlStrategyOptions) =>
      (strategy as unknown as { engineFor: (req: unknown) => Promise<unknown> }).engineFor({
        opts,
      });
    const a = {
      callbackUrl: `${BASE}/t/a/login/callback`,
      issuer: `${BASE}/t/a/metadata`,
      entryPoint: 'https://idp-a.test/sso',
      idpIssuer: idpA.entityId,
      idpCert: idpA.keys.certificatePem,
    };
    const first = await engineFor({ ...a });
    expect(await engineFor({ ...a })).toBe(first);
    expect(await engineFor({ ...a, forceAuthn: true })).not.toBe(first);
    expect(built).toEqual([`${BASE}/t/a/metadata`, `${BASE}/t/a/metadata`]);
    expect(optionCalls).toBeGreaterThan(0);
  });
});
