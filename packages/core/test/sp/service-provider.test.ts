import {
  createServiceProvider,
  MemoryStore,
  SamlError,
  type SamlStore,
  type SessionRecord,
} from '@samlkit/core';
import { buildResponse, createTestIdp, encryptAssertionTo, toPostBinding } from '@samlkit/testkit';
import { describe, expect, it } from 'vitest';
import {
  BASE,
  deliverLogin,
  deliveryRequest,
  errorCode,
  fullLogin,
  keys,
  req,
  sessionCookie,
  setup,
  spConfig,
  startLogin,
  wrapStore,
} from './support.js';

const MFA = 'urn:oasis:names:tc:SAML:2.0:ac:classes:MultiFactor';

describe('ACS correlation through the store (no cookie, any node)', () => {
  it('finishes on another node that shares the store, and fails on one that does not', async () => {
    const store = new MemoryStore();
    const nodeA = await setup({ store });
    const nodeB = createServiceProvider({ ...nodeA.options, store });
    const nodeC = createServiceProvider({ ...nodeA.options, store: new MemoryStore() });

    const { request, relayState } = await startLogin(nodeA.sp, nodeA.idp, '?returnTo=/x');
    const delivery = await nodeA.idp.answerLogin(request, relayState);
    const onC = await nodeC.acs(deliveryRequest(delivery));
    expect(onC.status).toBe(403);
    expect(await errorCode(onC)).toBe('IN_RESPONSE_TO_MISMATCH');

    const {
      request: r2,
      relayState: rs2,
      browserCookie,
    } = await startLogin(nodeA.sp, nodeA.idp, '?returnTo=/x');
    const onB = await deliverLogin(nodeB, await nodeA.idp.answerLogin(r2, rs2), browserCookie);
    expect(onB.status).toBe(303);
    expect(onB.headers.get('location')).toBe('/x');
    const cookie = sessionCookie(onB)!;
    expect((await nodeA.sp.getSession(req('/', { cookie })))?.nameId).toBe('user@example.com');
  });

  it('refuses a RelayState that is not the one sent', async () => {
    const s = await setup();
    const { request } = await startLogin(s.sp, s.idp);
    const delivery = await s.idp.answerLogin(request, 'https://evil.example/');
    const res = await s.sp.acs(deliveryRequest(delivery));
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('RELAY_STATE_INVALID');
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('refuses unsolicited Responses unless allowUnsolicited, and then never follows RelayState', async () => {
    const { idp } = await keys();
    const unsolicited = async () =>
      toPostBinding(
        await buildResponse({
          idpEntityId: idp.entityId,
          spEntityId: `${BASE}/saml/metadata`,
          acsUrl: `${BASE}/saml/acs`,
          now: Date.now(),
          signingKey: idp.keys,
        }),
      );
    const body = (value: string) =>
      new URLSearchParams({ SAMLResponse: value, RelayState: 'https://evil.example/' }).toString();
    const post = (value: string) =>
      req('/saml/acs', {
        method: 'POST',
        body: body(value),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
    const strict = await setup();
    const refused = await strict.sp.acs(post(await unsolicited()));
    expect(refused.status).toBe(403);
    expect(await errorCode(refused)).toBe('UNSOLICITED_RESPONSE');

    const relaxed = await setup({ allowUnsolicited: true, defaultReturnTo: '/home' });
    const acs = await relaxed.sp.acs(post(await unsolicited()));
    expect(acs.status).toBe(303);
    // IdP-initiated logins are bound to no browser: the finish step needs no login cookie.
    const ok = await relaxed.sp.acs(req(acs.headers.get('location')!));
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/home');
  });

  it('refuses a second use of the same assertion (replay cache)', async () => {
    const s = await setup();
    const answer = async () => {
      const { request, relayState } = await startLogin(s.sp, s.idp);
      const xml = await buildResponse({
        idpEntityId: s.idp.entityId,
        spEntityId: request.issuer,
        acsUrl: request.assertionConsumerServiceUrl!,
        now: Date.now(),
        inResponseTo: request.id,
        assertionId: '_same-assertion',
        signingKey: s.idp.keys,
      });
      const form = new URLSearchParams({
        SAMLResponse: toPostBinding(xml),
        RelayState: relayState!,
      });
      return s.sp.acs(
        req('/saml/acs', {
          method: 'POST',
          body: form.toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        }),
      );
    };
    expect((await answer()).status).toBe(303);
    const second = await answer();
    expect(second.status).toBe(403);
    expect(await errorCode(second)).toBe('REPLAY_DETECTED');
  });

  it('evaluates time with the injected clock', async () => {
    let now = Date.now();
    const s = await setup({ now: () => now });
    const { request, relayState } = await startLogin(s.sp, s.idp);
    const delivery = await s.idp.answerLogin(request, relayState, { now });
    now += 60 * 60_000; // an hour later the assertion has expired
    const res = await s.sp.acs(deliveryRequest(delivery));
    expect(res.status).toBe(403);
    expect(await errorCode(res)).toBe('EXPIRED');
  });
});

describe('sessions', () => {
  it('handleAcs returns profile, session and redirect without setting a cookie', async () => {
    const s = await setup();
    const { request, relayState, browserCookie } = await startLogin(s.sp, s.idp, '?returnTo=/dash');
    const step = await s.sp.handleAcs(
      deliveryRequest(
        await s.idp.answerLogin(request, relayState, {
          nameId: 'erin@example.com',
          attributes: [{ name: 'role', values: ['admin', 'dev'] }],
        }),
      ),
    );
    expect(step.step).toBe('finish');
    expect(step.redirectTo).toMatch(/^\/saml\/acs\?finish=[A-Za-z0-9_-]{43}$/);
    const result = await s.sp.handleAcs(req(step.redirectTo, { cookie: browserCookie }));
    if (result.step !== 'complete') throw new Error('expected the finished login');
    expect(result.redirectTo).toBe('/dash');
    // The used nonce leaves the login cookie (the last one: the cookie is cleared).
    expect(result.cookies).toHaveLength(1);
    expect(result.cookies[0]).toMatch(/^__Host-samlkit_session_login=; .*Max-Age=0/);
    expect(result.profile.userId).toBe('erin@example.com');
    expect(result.profile.attributes.role).toEqual(['admin', 'dev']);
    expect(await s.sp.getSessionById(result.session.id)).toEqual(result.session);
    expect(result.session.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('caps the session at the IdP SessionNotOnOrAfter', async () => {
    const now = Date.now();
    const s = await setup({ now: () => now, sessionMaxAgeMs: 8 * 3600_000 });
    const { request, relayState, browserCookie } = await startLogin(s.sp, s.idp);
    const xml = await buildResponse({
      idpEntityId: s.idp.entityId,
      spEntityId: request.issuer,
      acsUrl: request.assertionConsumerServiceUrl!,
      now,
      inResponseTo: request.id,
      sessionNotOnOrAfter: now + 600_000,
      signingKey: s.idp.keys,
    });
    const step = await s.sp.handleAcs(
      req('/saml/acs', {
        method: 'POST',
        body: new URLSearchParams({
          SAMLResponse: toPostBinding(xml),
          RelayState: relayState!,
        }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
    );
    const result = await s.sp.handleAcs(req(step.redirectTo, { cookie: browserCookie }));
    if (result.step !== 'complete') throw new Error('expected the finished login');
    expect(result.session.expiresAt).toBe(now + 600_000);
  });

  it('a login by another user replaces the session the browser held (onLogout reason replaced)', async () => {
    const ended: [string, string][] = [];
    const s = await setup({
      onLogout: (session, ctx) => void ended.push([session.nameId, ctx.reason]),
    });
    const first = await fullLogin(s, { nameId: 'alice@example.com' });
    const cookie = sessionCookie(first)!;
    // A plain login (a step-up answered by another user is refused: identity.test.ts).
    const { request, relayState, browserCookie } = await startLogin(s.sp, s.idp, '', cookie);
    const second = await deliverLogin(
      s.sp,
      await s.idp.answerLogin(request, relayState, { nameId: 'bob@example.com' }),
      browserCookie,
    );
    expect(sessionCookie(second)).not.toBe(cookie);
    expect(await s.sp.getSession(req('/', { cookie }))).toBeUndefined();
    expect(ended).toEqual([['alice@example.com', 'replaced']]);
  });

  it('a plain repeated login by the same user rotates the ID and keeps the application data', async () => {
    const s = await setup({
      onLogin: (_p, ctx) => (ctx.previousSession ? undefined : { data: { n: 1 } }),
    });
    const first = sessionCookie(await fullLogin(s, { nameId: 'alice@example.com' }))!;
    const { request, relayState, browserCookie } = await startLogin(s.sp, s.idp, '', first);
    const again = await deliverLogin(
      s.sp,
      await s.idp.answerLogin(request, relayState, { nameId: 'alice@example.com' }),
      browserCookie,
    );
    const second = sessionCookie(again)!;
    expect(second).not.toBe(first);
    expect(await s.sp.getSession(req('/', { cookie: first }))).toBeUndefined();
    expect((await s.sp.getSession(req('/', { cookie: second })))?.data).toEqual({ n: 1 });
  });

  it('step-up requests an authentication context and requires it in the answer', async () => {
    const s = await setup({ authnContexts: { mfa: { classRefs: [MFA] } } });
    const first = await fullLogin(s, { nameId: 'alice@example.com' });
    const cookie = sessionCookie(first)!;

    const { request, relayState, browserCookie } = await startLogin(
      s.sp,
      s.idp,
      '?authnContext=mfa&forceAuthn=1',
      cookie,
    );
    expect(request.forceAuthn).toBe(true);
    expect(request.requestedAuthnContext?.classRefs).toEqual([MFA]);
    const weak = await deliverLogin(
      s.sp,
      await s.idp.answerLogin(request, relayState, { nameId: 'alice@example.com' }),
      browserCookie,
    );
    expect(weak.status).toBe(403);
    expect(await errorCode(weak)).toBe('AUTHN_CONTEXT_MISMATCH');

    const again = await startLogin(s.sp, s.idp, '?authnContext=mfa', cookie);
    const strong = await deliverLogin(
      s.sp,
      await s.idp.answerLogin(again.request, again.relayState, {
        nameId: 'alice@example.com',
        authnContextClassRef: MFA,
      }),
      again.browserCookie,
    );
    expect(strong.status).toBe(303);
    expect(sessionCookie(strong)).toBe(cookie); // the same session, upgraded
    const session = await s.sp.getSession(req('/', { cookie }));
    expect(session?.authnContextClassRef).toBe(MFA);

    const unknown = await s.sp.login(req('/saml/login?authnContext=nope'));
    expect(unknown.status).toBe(400);
  });

  it('requireSession sends a stale session straight to a ForceAuthn login that keeps it', async () => {
    let now = Date.now();
    const s = await setup({ now: () => now });
    const cookie = sessionCookie(
      await fullLogin(s, { nameId: 'alice@example.com', now, authnInstant: now }),
    )!;
    const fresh = await s.sp.requireSession(req('/admin', { cookie }), { maxAuthnAgeMs: 300_000 });
    expect(fresh.session?.nameId).toBe('alice@example.com');
    now += 600_000;
    const stale = await s.sp.requireSession(req('/admin?tab=2', { cookie }), {
      maxAuthnAgeMs: 300_000,
    });
    expect(stale.response?.status).toBe(303);
    const { request } = await s.idp.readAuthnRequest(stale.response!.headers.get('location')!);
    expect(request.forceAuthn).toBe(true);
    const pending = await s.store.takePendingRequest(request.id);
    expect(pending?.sessionId).toBe(cookie.split('=')[1]);
    expect(pending?.returnTo).toBe('/admin?tab=2');
  });

  it('onLogin can refuse (LOGIN_REFUSED, escaped message, no session) or attach data', async () => {
    const refusing = await setup({
      onLogin: (profile) =>
        profile.userId === 'mallory@example.com'
          ? { refuse: 'Account <b>locked</b>' }
          : { data: { plan: 'pro' } },
    });
    const refused = await fullLogin(refusing, { nameId: 'mallory@example.com' });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('set-cookie')).toBeNull();
    const html = await refused.text();
    expect(html).toContain('LOGIN_REFUSED');
    expect(html).toContain('Account &lt;b&gt;locked&lt;/b&gt;');
    const ok = await fullLogin(refusing, { nameId: 'ok@example.com' });
    const session = await refusing.sp.getSession(req('/', { cookie: sessionCookie(ok)! }));
    expect(session?.data).toEqual({ plan: 'pro' });
  });

  it('answers 503 STORE_UNAVAILABLE when the store is down, and logs the details', async () => {
    const down: SamlStore = wrapStore(new MemoryStore(), {
      putPendingRequest: async () => {
        throw new SamlError('STORE_UNAVAILABLE', 'Redis did not answer.', {
          expected: 'an answer',
          found: 'timeout',
        });
      },
    });
    const s = await setup({ store: down });
    const res = await s.sp.login(req('/saml/login'));
    expect(res.status).toBe(503);
    expect(await errorCode(res)).toBe('STORE_UNAVAILABLE');
    expect(s.logs.some((l) => l.level === 'error' && l.details?.code === 'STORE_UNAVAILABLE')).toBe(
      true,
    );
  });
});

describe('bindings and encryption through the flow', () => {
  it('sends a signed AuthnRequest with HTTP-POST, under a CSP that allows only its script', async () => {
    const s = await setup({ authnRequestBinding: 'post' });
    const res = await s.sp.login(req('/saml/login?returnTo=/p'));
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'sha256-");
    expect(csp).toContain('form-action https://idp.test');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { request, relayState, signed } = await s.idp.readAuthnRequest(await res.text());
    expect(signed).toBe(true);
    const login = res.headers.getSetCookie()[0]!.split(';')[0]!;
    expect(login).toMatch(/^__Host-samlkit_session_login=[A-Za-z0-9_-]{43}$/);
    const acs = await deliverLogin(s.sp, await s.idp.answerLogin(request, relayState), login);
    expect(acs.headers.get('location')).toBe('/p');
  });

  it('decrypts an EncryptedAssertion with the SP decryption key', async () => {
    const { spKeys } = await keys();
    const base = spConfig(spKeys);
    const s = await setup({
      sp: {
        ...base,
        decryptionKeys: [{ privateKey: spKeys.privateKey, certificate: spKeys.certificatePem }],
      },
      requireEncryption: true,
    });
    const post = async (encrypt: boolean) => {
      const { request, relayState, browserCookie } = await startLogin(s.sp, s.idp);
      const xml = await buildResponse({
        idpEntityId: s.idp.entityId,
        spEntityId: request.issuer,
        acsUrl: request.assertionConsumerServiceUrl!,
        now: Date.now(),
        inResponseTo: request.id,
        nameId: { value: 'enc@example.com' },
        signingKey: s.idp.keys,
        ...(encrypt ? { encrypt: encryptAssertionTo(spKeys.publicKey) } : {}),
      });
      const step = await s.sp.handleAcs(
        req('/saml/acs', {
          method: 'POST',
          body: new URLSearchParams({
            SAMLResponse: toPostBinding(xml),
            RelayState: relayState!,
          }).toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        }),
      );
      const done = await s.sp.handleAcs(req(step.redirectTo, { cookie: browserCookie }));
      if (done.step !== 'complete') throw new Error('expected the finished login');
      return done;
    };
    expect((await post(true)).profile.userId).toBe('enc@example.com');
    await expect(post(false)).rejects.toMatchObject({ code: 'ENCRYPTION_REQUIRED' });
  });
});

describe('public origin and configuration', () => {
  it('ignores X-Forwarded-* and Host unless trustProxy is set', async () => {
    const { idp, spKeys } = await keys();
    const base = spConfig(spKeys);
    const sp = {
      ...base,
      assertionConsumerServices: [
        ...base.assertionConsumerServices,
        { binding: 'post' as const, location: 'https://other.test/saml/acs' },
      ],
    };
    const forwarded = { 'x-forwarded-host': 'other.test', 'x-forwarded-proto': 'https' };
    const plain = await setup({ sp });
    const a = await plain.sp.login(req('/saml/login', { headers: forwarded }));
    expect(
      (await idp.readAuthnRequest(a.headers.get('location')!)).request.assertionConsumerServiceUrl,
    ).toBe(`${BASE}/saml/acs`);
    const proxied = await setup({ sp, trustProxy: true });
    const b = await proxied.sp.login(req('/saml/login', { headers: forwarded }));
    expect(
      (await idp.readAuthnRequest(b.headers.get('location')!)).request.assertionConsumerServiceUrl,
    ).toBe('https://other.test/saml/acs');
  });

  it('refuses insecure cookies outside localhost and a paths.acs that matches no ACS URL', async () => {
    await expect(setup({ cookie: { secure: false } })).rejects.toThrow(TypeError);
    await expect(setup({ paths: { acs: '/elsewhere' } })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
    const { idp, spKeys } = await keys();
    const local = createServiceProvider({
      sp: spConfig(spKeys, 'http://localhost:3000'),
      idps: idp.config,
    });
    expect(local.sessionCookie('abc')).not.toContain('Secure');
    expect(local.sessionCookie('abc')).toMatch(/^samlkit_session=abc;/);
    // Cookie prefixes whose rules the settings break are refused when the SP is created.
    await expect(
      setup({ cookie: { name: '__Host-app', domain: 'sp.test' } }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: /remove cookie\.domain/ });
    expect(() =>
      createServiceProvider({
        sp: spConfig(spKeys, 'http://localhost:3000'),
        idps: idp.config,
        cookie: { name: '__Secure-app' },
      }),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    const secure = createServiceProvider({ sp: spConfig(spKeys), idps: idp.config });
    expect(secure.sessionCookie('abc')).toBe(
      '__Host-samlkit_session=abc; Path=/; HttpOnly; Secure; SameSite=Lax',
    );
    expect(secure.sessionCookie(null)).toContain('Max-Age=0');
  });

  it('selects the IdP by key or entity ID among several', async () => {
    const { idp } = await keys();
    const s = await setup({
      idps: { acme: idp.config, other: { ...idp.config, entityId: 'https://other-idp.test' } },
    });
    const res = await s.sp.login(req('/saml/login?idp=acme'));
    expect(res.status).toBe(303);
    const { request } = await idp.readAuthnRequest(res.headers.get('location')!);
    const pending = await s.store.takePendingRequest(request.id);
    expect(pending?.idpEntityId).toBe(idp.entityId);
    const unknown = await s.sp.login(req('/saml/login?idp=nobody'));
    expect(unknown.status).toBe(400);
    expect(await errorCode(unknown)).toBe('IDP_UNKNOWN');
  });
});

describe('single logout', () => {
  it('answers PartialLogout when a session cannot be ended', async () => {
    const store = new MemoryStore();
    let failNext = true;
    const flaky: SamlStore = wrapStore(store, {
      deleteSession: async (id: string) => {
        if (failNext) {
          failNext = false;
          throw new SamlError('STORE_UNAVAILABLE', 'down', {
            expected: 'an answer',
            found: 'timeout',
          });
        }
        return store.deleteSession(id);
      },
    });
    const s = await setup({ store: flaky });
    await fullLogin(s, { nameId: 'alice@example.com' });
    await fullLogin(s, { nameId: 'alice@example.com' });
    const message = await s.idp.logoutRequest({
      spSloUrl: `${BASE}/saml/slo`,
      nameId: 'alice@example.com',
      binding: 'redirect',
    });
    const res = await s.sp.slo(deliveryRequest(message));
    const { response } = await s.idp.readLogoutResponse(res.headers.get('location')!);
    expect(response.status.partial).toBe(true);
    expect(response.status.codes[1]).toBe('urn:oasis:names:tc:SAML:2.0:status:PartialLogout');
    const left = await store.findSessions({ issuer: s.idp.entityId, nameId: 'alice@example.com' });
    expect(left).toHaveLength(1);
  });

  it('IdP-initiated logout with a SessionIndex ends only that session; POST is answered on POST', async () => {
    const s = await setup();
    const a = sessionCookie(
      await fullLogin(s, { nameId: 'alice@example.com', sessionIndex: 'one' }),
    )!;
    const b = sessionCookie(
      await fullLogin(s, { nameId: 'alice@example.com', sessionIndex: 'two' }),
    )!;
    const message = await s.idp.logoutRequest({
      spSloUrl: `${BASE}/saml/slo`,
      nameId: 'alice@example.com',
      sessionIndexes: ['one'],
      binding: 'post',
    });
    const res = await s.sp.slo(deliveryRequest(message));
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('action="https://idp.test/slo/response"');
    expect(res.headers.get('content-security-policy')).toContain('form-action https://idp.test');
    const { response } = await s.idp.readLogoutResponse(html);
    expect(response.status.success).toBe(true);
    expect(await s.sp.getSession(req('/', { cookie: a }))).toBeUndefined();
    expect((await s.sp.getSession(req('/', { cookie: b })))?.sessionIndex).toBe('two');
  });

  it('a replayed IdP LogoutRequest is refused', async () => {
    const s = await setup();
    const message = await s.idp.logoutRequest({
      spSloUrl: `${BASE}/saml/slo`,
      nameId: 'x@example.com',
      binding: 'redirect',
    });
    expect((await s.sp.slo(deliveryRequest(message))).status).toBe(303);
    const again = await s.sp.slo(deliveryRequest(message));
    expect(again.status).toBe(403);
    expect(await errorCode(again)).toBe('REPLAY_DETECTED');
  });

  it('SP-initiated logout lands on the partial page when the IdP reports PartialLogout', async () => {
    const seen: SessionRecord[] = [];
    const s = await setup({
      logoutPages: { complete: '/bye', partial: '/bye?partial=1' },
      onLogout: (session) => void seen.push(session),
    });
    const cookie = sessionCookie(await fullLogin(s, { nameId: 'alice@example.com' }))!;
    const out = await s.sp.logout(req('/saml/logout', { cookie }));
    expect(seen.map((x) => x.nameId)).toEqual(['alice@example.com']);
    const { request, relayState } = await s.idp.readLogoutRequest(out.headers.get('location')!);
    const answer = await s.idp.answerLogout(request, relayState, {
      spSloUrl: `${BASE}/saml/slo`,
      partial: true,
    });
    const done = await s.sp.slo(deliveryRequest(answer));
    expect(done.headers.get('location')).toBe('/bye?partial=1');
    // The pending logout is take-once: the same answer again is refused.
    const again = await s.sp.slo(deliveryRequest(answer));
    expect(again.status).toBe(403);
  });

  it('a forged LogoutResponse naming the pending logout takes nothing; the genuine answer completes', async () => {
    // Nothing one-time before verification: validateLogoutResponse is pure, and the SLO endpoint
    // takes the pending logout only once the response is verified.
    const taken: string[] = [];
    const inner = new MemoryStore();
    const store = wrapStore(inner, {
      takePendingRequest: (id) => {
        taken.push(id);
        return inner.takePendingRequest(id);
      },
    });
    const s = await setup({ store, logoutPages: { complete: '/bye', partial: '/bye?partial=1' } });
    const cookie = sessionCookie(await fullLogin(s, { nameId: 'alice@example.com' }))!;
    const out = await s.sp.logout(req('/saml/logout?returnTo=/later', { cookie }));
    const { request, relayState } = await s.idp.readLogoutRequest(out.headers.get('location')!);
    const impostor = await createTestIdp({ entityId: s.idp.entityId });
    const forged = await impostor.answerLogout(request, relayState, {
      spSloUrl: `${BASE}/saml/slo`,
    });
    taken.length = 0;
    const refused = await s.sp.slo(deliveryRequest(forged));
    expect(refused.status).toBe(403);
    expect(await errorCode(refused)).toMatch(/^SIGNATURE_/);
    expect(taken).toEqual([]);
    const answer = await s.idp.answerLogout(request, relayState, { spSloUrl: `${BASE}/saml/slo` });
    const done = await s.sp.slo(deliveryRequest(answer));
    expect(done.headers.get('location')).toBe('/later');
    expect(taken).toEqual([request.id]);
  });

  it('login is GET-only: a HEAD (link prefetch) stores no pending request', async () => {
    const stored: string[] = [];
    const inner = new MemoryStore();
    const s = await setup({
      store: wrapStore(inner, {
        putPendingRequest: async (id, record, expiresAt) => {
          stored.push(id);
          return inner.putPendingRequest(id, record, expiresAt);
        },
      }),
    });
    const head = await s.sp.login(req('/saml/login', { method: 'HEAD' }));
    expect(head.status).toBe(405);
    expect(head.headers.get('allow')).toBe('GET');
    expect(stored).toEqual([]);
    expect((await s.sp.login(req('/saml/login'))).status).toBe(303);
    expect(stored).toHaveLength(1);
  });

  it('logout without a session just clears the cookie and lands on a safe page', async () => {
    const s = await setup();
    const res = await s.sp.logout(req('/saml/logout?returnTo=//evil.example'));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    expect(res.headers.getSetCookie()[0]).toContain('Max-Age=0');
  });
});
