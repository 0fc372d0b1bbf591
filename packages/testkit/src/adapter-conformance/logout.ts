import {
  type AddCase,
  CONFORMANCE_SP_BASE,
  check,
  checkContentType,
  checkSignedIn,
  followFinish,
  location,
  login,
  protectedJson,
  SESSION_COOKIE,
  withApp,
} from './harness.js';

/** Logout: SP-initiated, IdP-initiated on every binding, and the logout CSRF defence. */
export function logoutCases(add: AddCase): void {
  add('a cross-site request to the logout endpoint ends nothing and asks to confirm', (h) =>
    withApp(h, {}, async (env) => {
      await login(env, env.browser, '', { nameId: 'alice@example.com' });
      const forged = await env.browser.send('GET', '/saml/logout', {
        headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' },
      });
      check(forged.status === 200, 'cross-site logout status', 200, forged.status);
      const page = await forged.text();
      check(page.includes('method="post"'), 'confirmation page', 'a POST form', page.slice(0, 300));
      await checkSignedIn(env.browser, 'session after a cross-site logout');
      const confirmed = await env.browser.send('POST', '/saml/logout', {
        headers: { 'sec-fetch-site': 'same-origin', origin: CONFORMANCE_SP_BASE },
      });
      check(confirmed.status === 303, 'confirmed logout status', 303, confirmed.status);
      const after = await env.browser.send('GET', '/app/protected');
      check(after.status !== 200, 'session after the confirmed logout', 'ended', after.status);
    }),
  );

  add(
    'SP-initiated logout ends the session, sends a signed LogoutRequest and lands on the logout page',
    (h) =>
      withApp(h, { logoutPages: { complete: '/app/public' } }, async (env) => {
        await login(env, env.browser, '', { nameId: 'alice@example.com', sessionIndex: 'idx-9' });
        const res = await env.browser.send('GET', '/saml/logout');
        check(res.status === 303, 'logout status', 303, res.status);
        const to = location(res);
        check(to.startsWith('https://idp.test/slo?'), 'logout Location', 'the IdP SLO URL', to);
        check(
          !env.browser.jar.has(SESSION_COOKIE),
          'session cookie after logout',
          'cleared',
          env.browser.jar.get(SESSION_COOKIE),
        );
        const { request, relayState, signed } = await env.idp.readLogoutRequest(to);
        check(signed, 'LogoutRequest signature', 'present', 'absent');
        check(
          request.nameId?.value === 'alice@example.com',
          'LogoutRequest NameID',
          'alice@example.com',
          request.nameId?.value,
        );
        check(
          request.sessionIndexes.includes('idx-9'),
          'LogoutRequest SessionIndex',
          'idx-9',
          request.sessionIndexes.join(','),
        );
        const answer = await env.idp.answerLogout(request, relayState, {
          spSloUrl: `${CONFORMANCE_SP_BASE}/saml/slo`,
        });
        const done = await env.browser.deliver(answer, true);
        check(done.status === 303, 'LogoutResponse status', 303, done.status);
        check(location(done) === '/app/public', 'landing page', '/app/public', location(done));
        const guarded = await env.browser.send('GET', '/app/protected');
        check(
          guarded.status !== 200,
          'protected route after logout',
          'a redirect to login',
          guarded.status,
        );
      }),
  );

  add(
    'IdP-initiated logout (Redirect) ends the user’s sessions on every device and answers Success',
    (h) =>
      withApp(h, {}, async (env) => {
        const laptop = env.browser;
        const phone = env.newBrowser();
        await login(env, laptop, '', { nameId: 'alice@example.com', sessionIndex: 'idx-a' });
        await login(env, phone, '', { nameId: 'alice@example.com', sessionIndex: 'idx-b' });
        const other = env.newBrowser();
        await login(env, other, '', { nameId: 'dave@example.com' });
        const message = await env.idp.logoutRequest({
          spSloUrl: `${CONFORMANCE_SP_BASE}/saml/slo`,
          nameId: 'alice@example.com',
          binding: 'redirect',
          relayState: 'idp-state',
        });
        const res = await laptop.deliver(message, true);
        check(res.status === 303, 'SLO answer status', 303, res.status);
        const to = location(res);
        check(
          to.startsWith('https://idp.test/slo/response?'),
          'SLO answer Location',
          'the IdP SLO ResponseLocation',
          to,
        );
        const { response, signed } = await env.idp.readLogoutResponse(to);
        check(signed, 'LogoutResponse signature', 'present', 'absent');
        check(
          response.inResponseTo === message.id,
          'LogoutResponse InResponseTo',
          message.id,
          response.inResponseTo,
        );
        check(
          response.status.success && !response.status.partial,
          'LogoutResponse status',
          'Success',
          response.status.codes.join(' '),
        );
        check(
          new URL(to).searchParams.get('RelayState') === 'idp-state',
          'RelayState returned',
          'idp-state',
          new URL(to).searchParams.get('RelayState'),
        );
        for (const [name, b] of [
          ['laptop', laptop],
          ['phone', phone],
        ] as const) {
          const r = await b.send('GET', '/app/protected');
          check(r.status !== 200, `${name} after IdP logout`, 'signed out', r.status);
        }
        await checkSignedIn(other, 'another user after IdP logout');
      }),
  );

  add('IdP-initiated logout over SOAP answers with a SOAP LogoutResponse', (h) =>
    withApp(h, {}, async (env) => {
      await login(env, env.browser, '', { nameId: 'alice@example.com', sessionIndex: 'idx-s' });
      const message = await env.idp.logoutRequest({
        spSloUrl: `${CONFORMANCE_SP_BASE}/saml/slo`,
        nameId: 'alice@example.com',
        sessionIndexes: ['idx-s'],
        binding: 'soap',
      });
      const res = await env.newBrowser().deliver(message, false);
      check(res.status === 200, 'SOAP answer status', 200, res.status);
      checkContentType(res, 'text/xml', 'SOAP content type');
      const { response } = await env.idp.readLogoutResponse(await res.text());
      check(
        response.inResponseTo === message.id,
        'SOAP LogoutResponse InResponseTo',
        message.id,
        response.inResponseTo,
      );
      check(
        response.status.success,
        'SOAP LogoutResponse status',
        'Success',
        response.status.codes.join(' '),
      );
      const r = await env.browser.send('GET', '/app/protected');
      check(r.status !== 200, 'browser after SOAP logout', 'signed out', r.status);
    }),
  );

  add('an unsigned IdP LogoutRequest is refused and ends nothing', (h) =>
    withApp(h, {}, async (env) => {
      await login(env, env.browser, '', { nameId: 'alice@example.com' });
      const message = await env.idp.logoutRequest({
        spSloUrl: `${CONFORMANCE_SP_BASE}/saml/slo`,
        nameId: 'alice@example.com',
        binding: 'redirect',
      });
      const url = new URL((message as { url: string }).url);
      url.searchParams.delete('Signature');
      url.searchParams.delete('SigAlg');
      const res = await env.browser.send('GET', url.toString());
      check(res.status === 403, 'unsigned LogoutRequest status', 403, res.status);
      await checkSignedIn(env.browser, 'session after a refused logout');
    }),
  );

  add('IdP-initiated logout over the POST binding answers on the binding it came in on', (h) =>
    withApp(h, {}, async (env) => {
      await followFinish(
        env.browser,
        await login(env, env.browser, '', { nameId: 'alice@example.com' }),
      );
      await protectedJson(env.browser); // signed in
      const message = await env.idp.logoutRequest({
        spSloUrl: `${CONFORMANCE_SP_BASE}/saml/slo`,
        nameId: 'alice@example.com',
        binding: 'post',
        relayState: 'post-state',
      });
      const res = await env.browser.deliver(message, false); // a cross-site POST: no cookie
      check(res.status === 200, 'SLO answer status', 200, res.status);
      const { response } = await env.idp.readLogoutResponse(await res.text());
      check(
        response.inResponseTo === message.id && response.status.success,
        'POST LogoutResponse',
        `Success in response to ${message.id}`,
        `${response.status.codes.join(' ')} in response to ${response.inResponseTo}`,
      );
      const r = await env.browser.send('GET', '/app/protected');
      check(r.status !== 200, 'browser after POST logout', 'signed out', r.status);
    }),
  );
}
