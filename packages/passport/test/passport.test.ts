// The guide's Passport application (app.ts) with Express 5, passport 0.7 and express-session,
// against the test IdP: login, refusal, step-up, SP- and IdP-initiated logout. Nothing is mocked.
import { MemoryStore } from '@samlkit/core';
import {
  type PassportSamlProfile,
  SamlStrategy,
  type SamlStrategyOptions,
} from '@samlkit/passport';
import { RedisStore } from '@samlkit/redis';
import {
  buildResponse,
  CookieJar,
  createTestIdp,
  generateTestKeys,
  type TestIdp,
  type TestKeys,
  toPostBinding,
} from '@samlkit/testkit';
import express from 'express';
import { Passport } from 'passport';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  hasRedisServer,
  type RedisServer,
  skipLoudly,
  startRedis,
} from '../../../test/support/redis.js';
import { testServers } from '../../../test/support/servers.js';
import { type AppConfig, createApp, MFA } from './app.js';

// samlkit's cookies are Secure unless the application runs on http://localhost.
const BASE = 'http://localhost';
let idp: TestIdp;
let spKeys: TestKeys;
const servers = testServers();

beforeAll(async () => {
  idp = await createTestIdp();
  spKeys = await generateTestKeys({ subject: 'passport sp' });
});

afterEach(() => servers.closeAll());

function config(overrides: Partial<AppConfig> = {}): AppConfig & { seen: PassportSamlProfile[] } {
  const seen: PassportSamlProfile[] = [];
  return {
    baseUrl: BASE,
    idpSsoUrl: 'https://idp.test/sso',
    idpSloUrl: 'https://idp.test/slo',
    idpEntityId: idp.entityId,
    idpCertPem: idp.keys.certificatePem,
    spKeyPem: spKeys.privateKeyPem,
    spCertPem: spKeys.certificatePem,
    sessionSecret: 'test only',
    store: new MemoryStore(),
    findUser: (profile) => {
      seen.push(profile);
      return profile.nameID === 'mallory@example.com'
        ? undefined
        : {
            id: profile.nameID,
            ...(typeof profile.email === 'string' && { email: profile.email }),
          };
    },
    ...overrides,
    seen,
  };
}

/** The guide's application (with `overrides`), served; and a browser with an empty jar. */
async function startApp(overrides: Partial<AppConfig> = {}) {
  const cfg = config(overrides);
  const url = await servers.listen(createApp(cfg).app);
  return { cfg, url, jar: new CookieJar() };
}

async function get(url: string, jar: CookieJar, extra: RequestInit = {}): Promise<Response> {
  const res = await fetch(url, { redirect: 'manual', ...extra, headers: { cookie: jar.header() } });
  jar.take(res);
  return res;
}

/** A POST from the IdP's page to `path` of `url`: cross-site, so the browser sends no cookie. */
function crossSitePost(url: string, path: string, form: URLSearchParams): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
}

/** A message the IdP sends over HTTP-Redirect (`message`), followed to `url` without cookies. */
function redirectTo(url: string, message: string): Promise<Response> {
  const target = new URL(message);
  return fetch(`${url}${target.pathname}${target.search}`, { redirect: 'manual' });
}

/** Starts a login at `start`: the SP sends the browser (303) to the IdP with this AuthnRequest. */
async function beginLogin(url: string, jar: CookieJar, start = '/login') {
  const begin = await get(`${url}${start}`, jar);
  expect(begin.status).toBe(303);
  return idp.readAuthnRequest(begin.headers.get('location')!);
}

type Answer = Parameters<TestIdp['answerLogin']>[2];

/** The IdP's answer to a begun login, as the form its page posts (HTTP-POST binding). */
async function idpAnswer(
  begun: Awaited<ReturnType<typeof beginLogin>>,
  answer: Answer,
): Promise<URLSearchParams> {
  const delivery = await idp.answerLogin(begun.request, begun.relayState, answer);
  if (delivery.binding !== 'post') throw new Error('expected the POST binding');
  expect(new URL(delivery.url).pathname).toBe('/login/callback');
  return delivery.form;
}

interface SignIn {
  readonly acs: Response;
  readonly finish: Response;
}

/**
 * The browser signs in as `answer.nameId` (alice by default): /login → IdP → cross-site POST to
 * the ACS (no cookie; on node `via` when given) → same-site finish GET.
 */
async function loginAs(
  url: string,
  jar: CookieJar,
  start: string,
  answer: {
    nameId?: string;
    authnContextClassRef?: string;
    sessionIndex?: string;
    via?: string;
  } = {},
): Promise<SignIn> {
  const form = await idpAnswer(await beginLogin(url, jar, start), {
    nameId: answer.nameId ?? 'alice@example.com',
    sessionIndex: answer.sessionIndex ?? 'idp-session-1',
    attributes: [{ name: 'email', values: ['alice@example.com'] }],
    ...(answer.authnContextClassRef && { authnContextClassRef: answer.authnContextClassRef }),
  });
  const acs = await crossSitePost(answer.via ?? url, '/login/callback', form);
  jar.take(acs);
  expect(acs.status).toBe(303);
  const finish = await get(new URL(acs.headers.get('location')!, url).href, jar);
  return { acs, finish };
}

describe('SamlStrategy with Express, passport and express-session', () => {
  it('signs in through the ACS without any cookie on the IdP POST, and req.user is set', async () => {
    const { cfg, url, jar } = await startApp();
    const { acs, finish } = await loginAs(url, jar, '/login?returnTo=/account');
    // The cross-site POST only leads to the same-site finish URL on the callback path.
    expect(acs.headers.get('location')).toMatch(/^\/login\/callback\?finish=/);
    expect(acs.headers.getSetCookie()).toEqual([]);
    expect(finish.status).toBe(303);
    expect(finish.headers.get('location')).toBe('/account');
    expect(jar.has('connect.sid')).toBe(true);
    expect(jar.has('samlkit_session')).toBe(true);
    const account = await get(`${url}/account`, jar);
    expect(account.status).toBe(200);
    expect(await account.json()).toEqual({ id: 'alice@example.com', email: 'alice@example.com' });
    // verify saw passport-saml's profile shape.
    expect(cfg.seen[0]).toMatchObject({
      issuer: idp.entityId,
      nameID: 'alice@example.com',
      sessionIndex: 'idp-session-1',
      email: 'alice@example.com',
      attributes: { email: 'alice@example.com' },
    });
  });

  it('refuses a user verify refuses: Passport fails, and samlkit stores no session', async () => {
    const { url, jar } = await startApp();
    const { finish } = await loginAs(url, jar, '/login', { nameId: 'mallory@example.com' });
    expect(finish.status).toBe(302);
    expect(finish.headers.get('location')).toBe('/login/failed');
    expect(jar.has('samlkit_session')).toBe(false);
    expect((await get(`${url}/account`, jar)).status).toBe(302);
  });

  it('refuses a Response posted to the ACS of a browser that did not start the login', async () => {
    const { url, jar: victim } = await startApp();
    const begun = await beginLogin(url, new CookieJar());
    const form = await idpAnswer(begun, { nameId: 'attacker@example.com' });
    const acs = await crossSitePost(url, '/login/callback', form);
    // Login CSRF: the victim's browser holds no login cookie for this login.
    const finish = await get(new URL(acs.headers.get('location')!, url).href, victim);
    expect(finish.status).toBe(500);
    expect(victim.has('samlkit_session')).toBe(false);
  });

  it('steps up with ForceAuthn and RequestedAuthnContext, keeping the samlkit session', async () => {
    const { cfg, url, jar } = await startApp();
    await loginAs(url, jar, '/login');
    const first = jar.get('samlkit_session');
    const { request } = await beginLogin(url, jar, '/login/mfa');
    expect(request.forceAuthn).toBe(true);
    expect(request.requestedAuthnContext).toEqual({ comparison: 'exact', classRefs: [MFA] });
    const { finish } = await loginAs(url, jar, '/login/mfa', { authnContextClassRef: MFA });
    expect(finish.status).toBe(303);
    expect(jar.get('samlkit_session')).toBe(first);
    const session = await cfg.store.getSession(first!);
    expect(session?.authnContextClassRef).toBe(MFA);
    expect((await get(`${url}/account`, jar)).status).toBe(200);
  });

  it('refuses a step-up whose Response lacks the requested context', async () => {
    const { url, jar } = await startApp();
    await loginAs(url, jar, '/login');
    const begun = await beginLogin(url, jar, '/login/mfa');
    const form = await idpAnswer(begun, { nameId: 'alice@example.com' });
    const acs = await crossSitePost(url, '/login/callback', form);
    expect(acs.status).toBe(500);
  });

  it('logs out SP-initiated: the samlkit session ends and the browser goes to the IdP', async () => {
    const { cfg, url, jar } = await startApp();
    await loginAs(url, jar, '/login');
    const id = jar.get('samlkit_session')!;
    const out = await get(`${url}/logout`, jar);
    expect(out.status).toBe(302); // the application's res.redirect(url)
    const location = out.headers.get('location')!;
    expect(location).toMatch(/^https:\/\/idp\.test\/slo\?SAMLRequest=/);
    const { request, relayState, signed } = await idp.readLogoutRequest(location);
    expect(signed).toBe(true);
    expect(request.nameId?.value).toBe('alice@example.com');
    expect(request.sessionIndexes).toEqual(['idp-session-1']);
    expect(await cfg.store.getSession(id)).toBeUndefined();
    expect(jar.has('samlkit_session')).toBe(false);
    expect((await get(`${url}/account`, jar)).status).toBe(302);
    // The IdP's LogoutResponse comes back to the logout callback.
    const answer = await idp.answerLogout(request, relayState, {
      spSloUrl: `${BASE}/logout/callback`,
    });
    if (answer.binding !== 'redirect') throw new Error('expected the Redirect binding');
    const done = await get(
      `${url}${new URL(answer.url).pathname}${new URL(answer.url).search}`,
      jar,
    );
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/');
  });

  it('answers a logout another site may have started with a confirmation page, ending nothing', async () => {
    const { cfg, url, jar } = await startApp();
    await loginAs(url, jar, '/login');
    const id = jar.get('samlkit_session')!;
    const res = await fetch(`${url}/logout`, {
      redirect: 'manual',
      headers: { cookie: jar.header(), 'sec-fetch-site': 'cross-site' },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<form method="post"');
    expect(await cfg.store.getSession(id)).toBeDefined();
    expect((await get(`${url}/account`, jar)).status).toBe(200);
    // The confirmation: a same-origin POST to the same path.
    const confirmed = await get(`${url}/logout`, jar, { method: 'POST' });
    expect(confirmed.status).toBe(302);
    expect(confirmed.headers.get('location')).toMatch(/^https:\/\/idp\.test\/slo\?SAMLRequest=/);
    expect(await cfg.store.getSession(id)).toBeUndefined();
  });

  it('logs out IdP-initiated over a cross-site POST (no cookies): the Passport login ends on the next request', async () => {
    const { cfg, url, jar } = await startApp();
    await loginAs(url, jar, '/login');
    expect((await get(`${url}/account`, jar)).status).toBe(200);
    const message = await idp.logoutRequest({
      spSloUrl: `${BASE}/logout/callback`,
      nameId: 'alice@example.com',
      sessionIndexes: ['idp-session-1'],
      binding: 'post',
    });
    if (message.binding !== 'post') throw new Error('expected POST');
    const before = cfg.seen.length;
    const slo = await crossSitePost(url, '/logout/callback', message.form);
    // A browser stores what the response to its top-level POST sets (it sent no Lax cookie).
    jar.take(slo);
    // The signed LogoutResponse goes back to the IdP's logoutUrl (HTTP-Redirect).
    expect(slo.status).toBe(303);
    const { response, signed } = await idp.readLogoutResponse(slo.headers.get('location')!);
    expect(signed).toBe(true);
    expect(response.status.success).toBe(true);
    // logoutVerify was told, with the session's profile.
    expect(cfg.seen.slice(before).map((p) => [p.nameID, p.sessionIndex])).toEqual([
      ['alice@example.com', 'idp-session-1'],
    ]);
    // The browser comes back same-site with its cookies: checkSession() ends the Passport login.
    const after = await get(`${url}/account`, jar);
    expect(after.status).toBe(302);
    expect(after.headers.get('location')).toBe('/login?returnTo=/account');
    expect(jar.has('samlkit_session')).toBe(false);
  });

  it('keeps an IdP-initiated logout effective on another node sharing the store', async () => {
    const store = new MemoryStore();
    const { url: urlA, jar } = await startApp({ store });
    const { url: urlB } = await startApp({ store });
    await loginAs(urlA, jar, '/login');
    // express-session's own store is per process here: node B only sees samlkit's cookie.
    const message = await idp.logoutRequest({
      spSloUrl: `${BASE}/logout/callback`,
      nameId: 'alice@example.com',
      binding: 'redirect',
    });
    if (message.binding !== 'redirect') throw new Error('expected Redirect');
    const slo = await redirectTo(urlB, message.url);
    expect(slo.status).toBe(303);
    expect((await get(`${urlA}/account`, jar)).status).toBe(302);
  });
});

const noRedis = !hasRedisServer() && skipLoudly('Passport on two nodes over Redis', 'redis-server');

describe.skipIf(noRedis)('two Passport nodes sharing a RedisStore (no sticky sessions)', () => {
  let server: RedisServer;
  const stores: RedisStore[] = [];
  beforeAll(async () => {
    server = await startRedis({ ignoreEnv: true });
    return async () => {
      for (const store of stores) await store.close();
      await server.stop();
    };
  });
  const node = async () => {
    const store = new RedisStore({
      url: server.url,
      keyPrefix: 'passport:',
      onConnectionError: () => {},
    });
    stores.push(store);
    return (await startApp({ store })).url;
  };

  it('a login begun on node A finishes through node B, and an IdP logout on B ends it on A', async () => {
    const [a, b] = [await node(), await node()];
    const jar = new CookieJar();
    const { acs, finish } = await loginAs(a, jar, '/login?returnTo=/account', {
      sessionIndex: 'idp-session-9',
      via: b,
    });
    expect(acs.status).toBe(303);
    // The finish step lands on node A again: the login cookie and the parked login both work.
    expect(finish.status).toBe(303);
    expect((await get(`${a}/account`, jar)).status).toBe(200);
    const message = await idp.logoutRequest({
      spSloUrl: `${BASE}/logout/callback`,
      nameId: 'alice@example.com',
      sessionIndexes: ['idp-session-9'],
      binding: 'redirect',
    });
    if (message.binding !== 'redirect') throw new Error('expected Redirect');
    expect((await redirectTo(b, message.url)).status).toBe(303);
    expect((await get(`${a}/account`, jar)).status).toBe(302);
  });
});

describe('SamlStrategy options reach the validation', () => {
  /** A bare app (no session) with extra strategy options; answers each login with `sign`. */
  async function attempt(
    extra: Partial<Omit<SamlStrategyOptions, 'passReqToCallback'>>,
    sign: 'assertion' | 'response',
  ): Promise<{ status: number; errors: string[] }> {
    const passport = new Passport();
    const errors: string[] = [];
    passport.use(
      new SamlStrategy(
        {
          callbackUrl: `${BASE}/login/callback`,
          issuer: `${BASE}/metadata`,
          entryPoint: 'https://idp.test/sso',
          idpIssuer: idp.entityId,
          idpCert: idp.keys.certificatePem,
          logger: { warn() {}, error() {} },
          ...extra,
        },
        (profile, done) => done(null, { id: profile.nameID }),
      ),
    );
    const app = express();
    app.use(express.urlencoded({ extended: false }));
    app.use(passport.initialize());
    app.get('/login', passport.authenticate('saml', { session: false }));
    app.post('/login/callback', passport.authenticate('saml', { session: false }));
    app.use(
      (
        err: Error & { code?: string },
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        errors.push(err.code ?? err.message);
        res.status(400).send(err.code);
      },
    );
    const url = await servers.listen(app);
    const { request } = await beginLogin(url, new CookieJar());
    const xml = await buildResponse({
      idpEntityId: idp.entityId,
      spEntityId: request.issuer!,
      acsUrl: request.assertionConsumerServiceUrl!,
      now: Date.now(),
      inResponseTo: request.id,
      nameId: { value: 'alice@example.com' },
      sign,
      signingKey: idp.keys,
    });
    const acs = await crossSitePost(
      url,
      '/login/callback',
      new URLSearchParams({ SAMLResponse: toPostBinding(xml) }),
    );
    return { status: acs.status, errors };
  }

  it('by default, a signature on the Assertion or on the Response is enough', async () => {
    expect(await attempt({}, 'assertion')).toEqual({ status: 303, errors: [] });
    expect(await attempt({}, 'response')).toEqual({ status: 303, errors: [] });
  });

  it('wantAuthnResponseSigned: true refuses a Response whose only signature is on the Assertion', async () => {
    expect(await attempt({ wantAuthnResponseSigned: true }, 'assertion')).toEqual({
      status: 400,
      errors: ['SIGNATURE_MISSING'],
    });
    expect(await attempt({ wantAuthnResponseSigned: true }, 'response')).toEqual({
      status: 303,
      errors: [],
    });
  });

  it('wantAssertionsSigned: true refuses an Assertion covered only by the Response signature', async () => {
    expect(await attempt({ wantAssertionsSigned: true }, 'response')).toEqual({
      status: 400,
      errors: ['SIGNATURE_MISSING'],
    });
    expect(await attempt({ wantAssertionsSigned: true }, 'assertion')).toEqual({
      status: 303,
      errors: [],
    });
  });
});
