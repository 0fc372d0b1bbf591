import {
  type AddCase,
  CONFORMANCE_SP_BASE,
  check,
  checkErrorCode,
  checkSessionUser,
  EVIL_RETURN_TO,
  followFinish,
  location,
  login,
  SESSION_COOKIE,
  withApp,
} from './harness.js';

/** Login: the AuthnRequest, both ACS bindings, returnTo safety, replays, login CSRF and onLogin. */
export function loginCases(add: AddCase): void {
  add('login redirects to the IdP with a signed AuthnRequest and an opaque RelayState', (h) =>
    withApp(h, {}, async ({ browser, idp }) => {
      const res = await browser.send('GET', '/saml/login?returnTo=%2Fapp%2Fprotected');
      check(res.status === 303, 'login status', 303, res.status);
      const to = location(res);
      check(to.startsWith('https://idp.test/sso?'), 'login Location', 'the IdP SSO URL', to);
      const { request, relayState, signed } = await idp.readAuthnRequest(to);
      check(signed, 'AuthnRequest query signature', 'present', 'absent');
      check(
        request.assertionConsumerServiceUrl === `${CONFORMANCE_SP_BASE}/saml/acs`,
        'ACS URL',
        `${CONFORMANCE_SP_BASE}/saml/acs`,
        request.assertionConsumerServiceUrl,
      );
      check(
        relayState !== undefined && !relayState.includes('/'),
        'RelayState',
        'an opaque key, not a URL',
        relayState,
      );
    }),
  );

  add(
    'POST ACS without any cookie signs in, sets a HttpOnly Secure SameSite=Lax cookie and 303s to returnTo',
    (h) =>
      withApp(h, {}, async (env) => {
        const res = await login(env, env.browser, '?returnTo=%2Fapp%2Fprotected%3Fa%3D1', {
          nameId: 'alice@example.com',
          attributes: [{ name: 'email', values: ['alice@example.com'] }],
        });
        check(res.status === 303, 'ACS status', 303, res.status);
        check(
          location(res) === '/app/protected?a=1',
          'ACS Location',
          '/app/protected?a=1',
          location(res),
        );
        const cookie = res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
        check(
          cookie !== undefined,
          'session Set-Cookie',
          '__Host-samlkit_session=…',
          res.headers.getSetCookie().join(' | '),
        );
        for (const attr of ['HttpOnly', 'Secure', 'SameSite=Lax', 'Path=/']) {
          check(cookie!.split(/;\s*/).includes(attr), `cookie attribute ${attr}`, attr, cookie);
        }
        const session = await checkSessionUser(env.browser, 'alice@example.com', 'session nameId');
        check(
          JSON.stringify(session.attributes) === JSON.stringify({ email: ['alice@example.com'] }),
          'session attributes',
          '{"email":["alice@example.com"]}',
          JSON.stringify(session.attributes),
        );
      }),
  );

  add('Redirect-binding ACS signs in too', (h) =>
    withApp(h, {}, async (env) => {
      const res = await login(env, env.browser, '?returnTo=/app/protected', {
        binding: 'redirect',
        nameId: 'bob@example.com',
      });
      check(res.status === 303, 'ACS status', 303, res.status);
      check(location(res) === '/app/protected', 'ACS Location', '/app/protected', location(res));
      await checkSessionUser(env.browser, 'bob@example.com', 'session nameId');
    }),
  );

  add('unsafe returnTo values are never followed', (h) =>
    withApp(h, {}, async (env) => {
      for (const evil of EVIL_RETURN_TO) {
        const res = await login(env, env.newBrowser(), `?returnTo=${encodeURIComponent(evil)}`);
        check(
          res.status === 303,
          `ACS status for returnTo ${JSON.stringify(evil)}`,
          303,
          res.status,
        );
        check(
          location(res) === '/',
          `ACS Location for returnTo ${JSON.stringify(evil)}`,
          '/',
          location(res),
        );
      }
    }),
  );

  add('a replayed Response is refused with a 403 page naming the code', (h) =>
    withApp(h, {}, async (env) => {
      const start = await env.browser.send('GET', '/saml/login');
      const { request, relayState } = await env.idp.readAuthnRequest(location(start));
      const delivery = await env.idp.answerLogin(request, relayState);
      const first = await env.browser.deliver(delivery, false);
      check(first.status === 303, 'first delivery', 303, first.status);
      const again = await env.newBrowser().deliver(delivery, false);
      check(again.status === 403, 'replayed delivery status', 403, again.status);
      const html = await again.text();
      check(
        html.includes('IN_RESPONSE_TO_MISMATCH'),
        'error page',
        'the code IN_RESPONSE_TO_MISMATCH',
        html.slice(0, 300),
      );
      check(
        !html.includes('<samlp') && !html.includes('Assertion'),
        'error page',
        'no SAML details',
        'SAML details',
      );
    }),
  );

  add('a Response delivered in another browser is refused at the finish step (login CSRF)', (h) =>
    withApp(h, {}, async (env) => {
      // The attacker starts a login in their own browser and gets the IdP's Response for their
      // own account, then makes the victim's browser deliver it.
      const attacker = env.newBrowser();
      const start = await attacker.send('GET', '/saml/login?returnTo=/app/protected');
      check(
        attacker.jar.has('__Host-samlkit_session_login'),
        'login cookie after starting a login',
        '__Host-samlkit_session_login',
        [...attacker.jar.keys()].join(', '),
      );
      const { request, relayState } = await env.idp.readAuthnRequest(location(start));
      const delivery = await env.idp.answerLogin(request, relayState, {
        nameId: 'mallory@example.com',
      });
      const victim = env.browser;
      const acs = await victim.deliver(delivery, false);
      check(acs.status === 303, 'ACS status (the Response itself is valid)', 303, acs.status);
      check(
        !acs.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`)),
        'session cookie from the ACS POST',
        'none (the session is created at the finish step)',
        acs.headers.getSetCookie().join(' | '),
      );
      const res = await followFinish(victim, acs);
      check(res.status === 403, 'finish status in the victim’s browser', 403, res.status);
      const html = await res.text();
      checkErrorCode(html, 'LOGIN_BINDING_MISMATCH');
      check(
        !victim.jar.has(SESSION_COOKIE),
        'victim session cookie',
        'none',
        victim.jar.get(SESSION_COOKIE),
      );
      // Two logins started in one browser (two tabs) both finish, in either order.
      const tabs = env.newBrowser();
      const first = await tabs.send('GET', '/saml/login?returnTo=/app/protected');
      const second = await tabs.send('GET', '/saml/login?returnTo=/app/public');
      const answer = async (begin: Response, nameId: string) => {
        const read = await env.idp.readAuthnRequest(location(begin));
        return env.idp.answerLogin(read.request, read.relayState, { nameId });
      };
      const late = await answer(first, 'alice@example.com');
      const early = await answer(second, 'alice@example.com');
      const a = await followFinish(tabs, await tabs.deliver(early, false));
      check(location(a) === '/app/public', 'second tab lands', '/app/public', location(a));
      const b = await followFinish(tabs, await tabs.deliver(late, false));
      check(location(b) === '/app/protected', 'first tab lands', '/app/protected', location(b));
      await checkSessionUser(tabs, 'alice@example.com', 'session after two tabs');
    }),
  );

  add('onLogin can refuse a user: 403 page with LOGIN_REFUSED and the escaped message', (h) =>
    withApp(
      h,
      {
        onLogin: (profile) =>
          profile.userId === 'mallory@example.com'
            ? { refuse: 'Accounts <b>like yours</b> are not allowed here.' }
            : undefined,
      },
      async (env) => {
        const res = await followFinish(
          env.browser,
          await login(env, env.browser, '', { nameId: 'mallory@example.com' }),
        );
        check(res.status === 403, 'refused login status', 403, res.status);
        const html = await res.text();
        checkErrorCode(html, 'LOGIN_REFUSED');
        check(
          html.includes('Accounts &lt;b&gt;like yours&lt;/b&gt; are not allowed here.') &&
            !html.includes('<b>'),
          'refusal message',
          'shown, HTML-escaped',
          html.slice(0, 400),
        );
        check(
          !env.browser.jar.has(SESSION_COOKIE),
          'session cookie after a refused login',
          'none',
          env.browser.jar.get(SESSION_COOKIE),
        );
        const other = env.newBrowser();
        const ok = await followFinish(
          other,
          await login(env, other, '', { nameId: 'alice@example.com' }),
        );
        check(ok.status === 303, 'another user signs in', 303, ok.status);
        check(other.jar.has(SESSION_COOKIE), 'session cookie of the other user', 'set', 'none');
      },
    ),
  );

  add(
    'a finish URL opened in another browser is refused and leaves the login to its own browser',
    (h) =>
      withApp(h, {}, async (env) => {
        const owner = env.browser;
        const start = await owner.send('GET', '/saml/login?returnTo=/app/protected');
        const { request, relayState } = await env.idp.readAuthnRequest(location(start));
        const acs = await owner.deliver(await env.idp.answerLogin(request, relayState), false);
        const finishUrl = location(acs);
        const code = /[?&]finish=([^&]+)/.exec(finishUrl)?.[1] ?? '';
        check(code !== '', 'finish URL', '<acs>?finish=<code>', finishUrl);
        // Someone who sees the finish URL (a proxy log, a shared screen) opens it: with no cookie,
        // and with a login of their own in progress.
        const stranger = env.newBrowser();
        const other = env.newBrowser();
        await other.send('GET', '/saml/login');
        for (const [who, browser] of [
          ['a browser without login cookie', stranger],
          ['a browser with its own login cookie', other],
        ] as const) {
          const res = await browser.send('GET', finishUrl);
          check(res.status === 403, `finish status in ${who}`, 403, res.status);
          check(
            !browser.jar.has(SESSION_COOKIE),
            `session cookie in ${who}`,
            'none',
            browser.jar.get(SESSION_COOKIE),
          );
        }
        const res = await owner.send('GET', finishUrl);
        check(
          res.status === 303,
          'finish status in the browser that started the login',
          303,
          res.status,
        );
        check(
          location(res) === '/app/protected',
          'finish Location',
          '/app/protected',
          location(res),
        );
        check(owner.jar.has(SESSION_COOKIE), 'session cookie of the owner', 'set', 'none');
        const logged = JSON.stringify(env.logs);
        check(!logged.includes(code), 'logs', 'no finish code', 'the finish code');
      }),
  );
}
