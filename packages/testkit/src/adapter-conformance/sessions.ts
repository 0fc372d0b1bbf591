import type { SessionIdStorage } from '@samlkit/core';
import {
  type AddCase,
  check,
  followFinish,
  type HeaderCarrier,
  location,
  login,
  protectedJson,
  SESSION_COOKIE,
  withApp,
} from './harness.js';

/** Sessions: the protected route, step-up, and the application's own session library. */
export function sessionsCases(add: AddCase): void {
  add('a protected route redirects to login with returnTo, or answers 401 to JSON clients', (h) =>
    withApp(h, {}, async ({ browser }) => {
      const res = await browser.send('GET', '/app/protected?x=1');
      check(
        res.status === 303 || res.status === 302,
        'protected status without session',
        '302/303',
        res.status,
      );
      const to = new URL(location(res), 'https://sp.test');
      check(to.pathname === '/saml/login', 'redirect path', '/saml/login', to.pathname);
      check(
        to.searchParams.get('returnTo') === '/app/protected?x=1',
        'returnTo',
        '/app/protected?x=1',
        to.searchParams.get('returnTo'),
      );
      const api = await browser.send('GET', '/app/protected', {
        headers: { accept: 'application/json' },
      });
      check(api.status === 401, 'protected status for JSON clients', 401, api.status);
      const pub = await browser.send('GET', '/app/public');
      check(pub.status === 200, 'public route', 200, pub.status);
    }),
  );

  add('step-up (forceAuthn) keeps the session and records the new authnInstant', (h) =>
    withApp(h, {}, async (env) => {
      const t0 = Date.now() - 60_000;
      await login(env, env.browser, '', {
        nameId: 'alice@example.com',
        authnInstant: t0,
        sessionIndex: 'idx-1',
      });
      const before = await protectedJson(env.browser);
      const id = env.browser.jar.get(SESSION_COOKIE);
      const start = await env.browser.send(
        'GET',
        '/saml/login?forceAuthn=true&returnTo=/app/protected',
      );
      const { request, relayState } = await env.idp.readAuthnRequest(location(start));
      check(request.forceAuthn === true, 'AuthnRequest ForceAuthn', true, request.forceAuthn);
      const t1 = Date.now() - 1000;
      const delivery = await env.idp.answerLogin(request, relayState, {
        nameId: 'alice@example.com',
        authnInstant: t1,
        sessionIndex: 'idx-2',
      });
      const acs = await env.browser.deliver(delivery, false); // no cookie on the cross-site POST
      const res = await followFinish(env.browser, acs);
      check(res.status === 303, 'step-up ACS status', 303, res.status);
      check(
        env.browser.jar.get(SESSION_COOKIE) === id,
        'session ID after step-up',
        id,
        env.browser.jar.get(SESSION_COOKIE),
      );
      const after = await protectedJson(env.browser);
      check(
        after.createdAt === before.createdAt,
        'session createdAt after step-up',
        before.createdAt,
        after.createdAt,
      );
      check(
        after.authnInstant !== before.authnInstant,
        'authnInstant after step-up',
        'the new instant',
        after.authnInstant,
      );
      check(
        Math.abs(Number(after.authnInstant) - t1) < 1000,
        'authnInstant after step-up',
        t1,
        after.authnInstant,
      );
    }),
  );

  add(
    "the session option keeps the session ID in the application's session library: samlkit sets and reads no session cookie",
    (h) => {
      // The application's session library: its own cookie names an entry that keeps the samlkit
      // session ID (what express-session, koa-session or @fastify/session do with a store).
      const kept = new Map<string, string>();
      const session: SessionIdStorage<HeaderCarrier> = {
        get: (carrier) => kept.get(appSessionOf(carrier) ?? ''),
        set(carrier, id) {
          const own = appSessionOf(carrier);
          check(own !== undefined, 'the application session in set()', APP_COOKIE, 'none');
          if (id === null) kept.delete(own!);
          else kept.set(own!, id);
        },
      };
      return withApp(h, { session }, async (env) => {
        const browser = env.browser;
        browser.jar.set(APP_COOKIE, 'app-session-1');
        const res = await login(env, browser, '?returnTo=/app/protected', {
          nameId: 'alice@example.com',
        });
        check(res.status === 303, 'finish status', 303, res.status);
        check(
          location(res) === '/app/protected',
          'finish Location',
          '/app/protected',
          location(res),
        );
        check(
          !browser.jar.everSet.has(SESSION_COOKIE),
          'samlkit session cookie',
          'never set',
          browser.jar.get(SESSION_COOKIE),
        );
        const id = kept.get('app-session-1');
        check(
          id !== undefined,
          'the samlkit session ID in the application session',
          'kept',
          'none',
        );
        const signedIn = await protectedJson(browser);
        check(signedIn.id === id, 'session of the protected route', id, signedIn.id);
        check(
          signedIn.nameId === 'alice@example.com',
          'session user',
          'alice@example.com',
          signedIn.nameId,
        );

        // samlkit's own cookie names nothing now, even with a live session ID in it.
        const forged = await env.newBrowser().send('GET', '/app/protected', {
          headers: { cookie: `${SESSION_COOKIE}=${id}`, accept: 'application/json' },
        });
        check(
          forged.status === 401,
          "GET /app/protected with samlkit's cookie only",
          401,
          forged.status,
        );

        // Logout ends the session and forgets the ID in the application's session.
        const out = await browser.send('GET', '/saml/logout?localOnly=true');
        check(out.status === 303, 'logout status', 303, out.status);
        check(
          !kept.has('app-session-1'),
          'the samlkit session ID after logout',
          'forgotten',
          kept.get('app-session-1'),
        );
        check(
          (await env.options.store!.getSession(id!)) === undefined,
          'the session in the store after logout',
          'ended',
          'live',
        );
        const after = await browser.send('GET', '/app/protected', {
          headers: { accept: 'application/json' },
        });
        check(after.status === 401, 'GET /app/protected after logout', 401, after.status);
      });
    },
  );
}

/** The application's own session cookie in the session-library case. */
const APP_COOKIE = 'app_session';

/** The application session a request names (its `app_session` cookie), from any adapter's request. */
function appSessionOf(carrier: HeaderCarrier): string | undefined {
  const header =
    carrier.headers instanceof Headers ? carrier.headers.get('cookie') : carrier.headers.cookie;
  const line = Array.isArray(header) ? header.join('; ') : (header ?? '');
  for (const part of line.split(';')) {
    const [name, value] = part.split('=').map((p) => p.trim());
    if (name === APP_COOKIE && value) return value;
  }
  return undefined;
}
