// Login CSRF (session swapping) and logout CSRF: the defences of the SP flow layer.
import { describe, expect, it } from 'vitest';
import {
  BASE,
  deliverLogin,
  deliveryRequest,
  errorCode,
  fullLogin,
  req,
  sessionCookie,
  setup,
  startLogin,
} from './support.js';

describe('login CSRF: the finish step checks the browser that started the login', () => {
  it("refuses the attacker's Response delivered in the victim's browser", async () => {
    const s = await setup();
    // The attacker starts a login in their own browser and gets a Response for their account.
    const attacker = await startLogin(s.sp, s.idp, '?returnTo=/account');
    const delivery = await s.idp.answerLogin(attacker.request, attacker.relayState, {
      nameId: 'mallory@example.com',
    });
    // The victim's browser has its own login cookie (a login of its own, in progress) but not
    // the attacker's.
    const victim = await startLogin(s.sp, s.idp);
    const res = await deliverLogin(s.sp, delivery, victim.browserCookie);
    expect(res.status).toBe(403);
    expect(await errorCode(res)).toBe('LOGIN_BINDING_MISMATCH');
    expect(sessionCookie(res)).toBeUndefined();
    expect(
      await s.store.findSessions({ issuer: s.idp.entityId, nameId: 'mallory@example.com' }),
    ).toEqual([]);
    expect(s.logs.some((l) => l.details?.code === 'LOGIN_BINDING_MISMATCH')).toBe(true);
  });

  it('refuses the finish step without any login cookie', async () => {
    const s = await setup();
    const { request, relayState } = await startLogin(s.sp, s.idp);
    const res = await deliverLogin(s.sp, await s.idp.answerLogin(request, relayState), undefined);
    expect(res.status).toBe(403);
    expect(await errorCode(res)).toBe('LOGIN_BINDING_MISMATCH');
  });

  it('signs in the browser that holds the login cookie, and clears the cookie', async () => {
    const s = await setup();
    const login = await s.sp.login(req('/saml/login?returnTo=/account'));
    const set = login.headers.getSetCookie();
    expect(set).toHaveLength(1);
    const attrs = set[0]!.split('; ');
    expect(attrs[0]).toMatch(/^__Host-samlkit_session_login=[A-Za-z0-9_-]{43}$/);
    for (const a of ['Path=/', 'Max-Age=900', 'HttpOnly', 'Secure', 'SameSite=Lax']) {
      expect(attrs).toContain(a);
    }
    const { request, relayState } = await s.idp.readAuthnRequest(login.headers.get('location')!);
    const acs = await s.sp.acs(deliveryRequest(await s.idp.answerLogin(request, relayState)));
    expect(acs.status).toBe(303);
    expect(acs.headers.getSetCookie()).toEqual([]); // no session is created by the cross-site POST
    const finish = await s.sp.acs(req(acs.headers.get('location')!, { cookie: attrs[0]! }));
    expect(finish.status).toBe(303);
    expect(finish.headers.get('location')).toBe('/account');
    expect(sessionCookie(finish)).toBeDefined();
    expect(
      finish.headers
        .getSetCookie()
        .some((c) => /^__Host-samlkit_session_login=;.*Max-Age=0/.test(c)),
    ).toBe(true);
  });

  it('lets two logins started in one browser (two tabs) both finish', async () => {
    const s = await setup();
    const one = await startLogin(s.sp, s.idp, '?returnTo=/one');
    const two = await startLogin(s.sp, s.idp, '?returnTo=/two', one.browserCookie);
    // The second login kept the first one's nonce in the cookie.
    const jar = two.browserCookie.split('; ').at(-1)!;
    expect(jar.split('=')[1]!.split('.')).toHaveLength(2);
    const second = await deliverLogin(
      s.sp,
      await s.idp.answerLogin(two.request, two.relayState),
      jar,
    );
    expect(second.headers.get('location')).toBe('/two');
    const left = second.headers
      .getSetCookie()
      .find((c) => c.startsWith('__Host-samlkit_session_login='))!
      .split(';')[0]!;
    expect(left.split('=')[1]!.split('.')).toHaveLength(1);
    const first = await deliverLogin(
      s.sp,
      await s.idp.answerLogin(one.request, one.relayState),
      left,
    );
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/one');
  });

  it('keeps at most 8 logins per browser: the oldest one can no longer finish', async () => {
    const s = await setup();
    let cookie: string | undefined;
    const started = [];
    for (let i = 0; i < 9; i++) {
      const login = await startLogin(s.sp, s.idp, '', cookie);
      started.push(login);
      cookie = login.browserCookie.split('; ').at(-1)!;
    }
    expect(cookie!.split('=')[1]!.split('.')).toHaveLength(8);
    const oldest = await deliverLogin(
      s.sp,
      await s.idp.answerLogin(started[0]!.request, started[0]!.relayState),
      cookie,
    );
    expect(await errorCode(oldest)).toBe('LOGIN_BINDING_MISMATCH');
    const newest = await deliverLogin(
      s.sp,
      await s.idp.answerLogin(started[8]!.request, started[8]!.relayState),
      cookie,
    );
    expect(newest.status).toBe(303);
  });

  it('only the browser holding the login nonce can spend the finish code; others leave it intact', async () => {
    const logs: unknown[] = [];
    const log = (level: string) => (message: string, details?: unknown) =>
      logs.push({ level, message, details });
    const s = await setup({
      logger: { info: log('info'), warn: log('warn'), error: log('error') },
    });
    const { request, relayState, browserCookie } = await startLogin(s.sp, s.idp);
    const acs = await s.sp.acs(deliveryRequest(await s.idp.answerLogin(request, relayState)));
    const finishUrl = acs.headers.get('location')!;
    const code = new URL(finishUrl, BASE).searchParams.get('finish')!;
    // Someone who saw the finish URL (a proxy log, a shared screen) opens it: without a login
    // cookie, and with a login cookie of their own.
    const other = await startLogin(s.sp, s.idp);
    for (const cookie of [undefined, other.browserCookie]) {
      const res = await s.sp.acs(req(finishUrl, cookie ? { cookie } : {}));
      expect(res.status).toBe(403);
      expect(await errorCode(res)).toBe('LOGIN_BINDING_MISMATCH');
      expect(sessionCookie(res)).toBeUndefined();
    }
    // The login is intact: the browser that started it finishes it.
    const mine = await s.sp.acs(req(finishUrl, { cookie: browserCookie }));
    expect(mine.status).toBe(303);
    expect(sessionCookie(mine)).toBeDefined();
    // The code was never written to the logs.
    expect(logs.length).toBeGreaterThan(0);
    expect(JSON.stringify(logs)).not.toContain(code);
  });

  it('accepts a finish code once', async () => {
    const s = await setup();
    const { request, relayState, browserCookie } = await startLogin(s.sp, s.idp);
    const acs = await s.sp.acs(deliveryRequest(await s.idp.answerLogin(request, relayState)));
    const finishUrl = acs.headers.get('location')!;
    const first = await s.sp.acs(req(finishUrl, { cookie: browserCookie }));
    expect(first.status).toBe(303);
    const again = await s.sp.acs(req(finishUrl, { cookie: browserCookie }));
    expect(again.status).toBe(403);
    expect(await errorCode(again)).toBe('LOGIN_BINDING_MISMATCH');
    const forged = await s.sp.acs(req('/saml/acs?finish=not-a-code', { cookie: browserCookie }));
    expect(await errorCode(forged)).toBe('LOGIN_BINDING_MISMATCH');
  });
});

describe('logout CSRF: only this site can end the session', () => {
  it('a cross-site GET to the logout endpoint ends nothing and asks to confirm', async () => {
    const s = await setup();
    const cookie = sessionCookie(await fullLogin(s, { nameId: 'alice@example.com' }))!;
    const crossSiteHeaders: Record<string, string>[] = [
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { referer: 'https://evil.example/page' },
    ];
    for (const headers of crossSiteHeaders) {
      const res = await s.sp.logout(req('/saml/logout?returnTo=/bye', { cookie, headers }));
      expect(res.status).toBe(200);
      expect(res.headers.getSetCookie()).toEqual([]);
      const html = await res.text();
      expect(html).toContain('<form method="post" action="/saml/logout?returnTo=/bye">');
      expect(res.headers.get('content-security-policy')).toContain("form-action 'self'");
      expect(await s.sp.getSession(req('/', { cookie }))).toBeDefined();
    }
    const crossPost = await s.sp.logout(
      req('/saml/logout', { method: 'POST', cookie, headers: { origin: 'https://evil.example' } }),
    );
    expect(crossPost.status).toBe(200);
    expect(await s.sp.getSession(req('/', { cookie }))).toBeDefined();
  });

  it('a same-origin POST (the confirm button) or a typed URL ends the session', async () => {
    const s = await setup();
    const a = sessionCookie(await fullLogin(s, { nameId: 'alice@example.com' }))!;
    const confirmed = await s.sp.logout(
      req('/saml/logout', {
        method: 'POST',
        cookie: a,
        headers: { 'sec-fetch-site': 'same-origin', origin: 'https://sp.test' },
      }),
    );
    expect(confirmed.status).toBe(303);
    expect(await s.sp.getSession(req('/', { cookie: a }))).toBeUndefined();
    const b = sessionCookie(await fullLogin(s, { nameId: 'bob@example.com' }))!;
    const typed = await s.sp.logout(
      req('/saml/logout', { cookie: b, headers: { 'sec-fetch-site': 'none' } }),
    );
    expect(typed.status).toBe(303);
    expect(await s.sp.getSession(req('/', { cookie: b }))).toBeUndefined();
  });
});
