import {
  type AddCase,
  check,
  checkErrorCode,
  checkSessionUser,
  LOGIN_COOKIE,
  location,
  login,
  SESSION_COOKIE,
  withApp,
} from './harness.js';

/** Cookies: rotation at login and cookies of one name sent several times (cookie tossing). */
export function cookiesCases(add: AddCase): void {
  add('the session ID is rotated at every login (no fixation)', (h) =>
    withApp(h, {}, async (env) => {
      env.browser.jar.set(SESSION_COOKIE, 'attacker-chosen-value-0123456789');
      await login(env, env.browser, '', { nameId: 'alice@example.com' });
      const first = env.browser.jar.get(SESSION_COOKIE);
      check(
        first !== 'attacker-chosen-value-0123456789',
        'session ID after login',
        'a fresh ID',
        first,
      );
      await login(env, env.browser, '', { nameId: 'carol@example.com' });
      const second = env.browser.jar.get(SESSION_COOKIE);
      check(second !== first, 'session ID after a login as another user', 'a fresh ID', second);
      await checkSessionUser(env.browser, 'carol@example.com', 'session user');
    }),
  );

  add(
    'several cookies of one samlkit name are refused: none is used, and it is logged (cookie tossing)',
    (h) =>
      withApp(h, {}, async (env) => {
        // A sibling subdomain can plant cookies for the parent domain; the browser then sends two
        // cookies of one name. Neither may win: not "the first that names a live session", and no
        // merging of login nonces.
        const victim = env.browser;
        await login(env, victim, '?returnTo=/app/protected', { nameId: 'alice@example.com' });
        const own = victim.jar.get(SESSION_COOKIE);
        check(own !== undefined, 'victim session cookie', 'set', 'none');
        const attacker = env.newBrowser();
        await login(env, attacker, '?returnTo=/app/protected', { nameId: 'mallory@example.com' });
        const planted = attacker.jar.get(SESSION_COOKIE)!;
        for (const cookie of [
          `${SESSION_COOKIE}=${planted}; ${SESSION_COOKIE}=${own}`,
          `${SESSION_COOKIE}=${own}; ${SESSION_COOKIE}=${planted}`,
        ]) {
          const res = await victim.send('GET', '/app/protected', {
            cookies: false,
            headers: { cookie },
          });
          check(
            res.status !== 200,
            'GET /app/protected with two session cookies',
            'no session (a redirect to login)',
            `${res.status} ${res.status === 200 ? await res.text() : ''}`,
          );
        }
        check(
          env.logs.some((l) => l.details?.code === 'COOKIE_DUPLICATE'),
          'log entry for the duplicate cookies',
          'a warning with code COOKIE_DUPLICATE',
          env.logs.map((l) => l.details?.code ?? l.message).join(', '),
        );

        // Login nonces: the attacker's planted login cookie must not let the attacker's Response
        // finish in the victim's browser (login CSRF through cookie tossing).
        const mallory = env.newBrowser();
        const start = await mallory.send('GET', '/saml/login?returnTo=/app/protected');
        const read = await env.idp.readAuthnRequest(location(start));
        const delivery = await env.idp.answerLogin(read.request, read.relayState, {
          nameId: 'mallory@example.com',
        });
        const tab = env.newBrowser();
        await tab.send('GET', '/saml/login?returnTo=/app/public');
        const acs = await tab.deliver(delivery, false);
        const to = location(acs);
        const res = await tab.send('GET', to, {
          cookies: false,
          headers: {
            cookie: `${LOGIN_COOKIE}=${mallory.jar.get(LOGIN_COOKIE)}; ${LOGIN_COOKIE}=${tab.jar.get(LOGIN_COOKIE)}`,
          },
        });
        check(res.status === 403, 'finish with two login cookies', 403, res.status);
        const html = await res.text();
        checkErrorCode(html, 'LOGIN_BINDING_MISMATCH');
        check(
          !res.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`)),
          'session cookie after the finish with two login cookies',
          'none',
          res.headers.getSetCookie().join(' | '),
        );
      }),
  );
}
