// HTTP-Artifact, HTTP-POST-SimpleSign and IsPassive at the ACS: every adapter hands the ACS
// request to core unchanged (an artifact in the query or a form, the SimpleSign form fields) and
// answers a NoPassive as "not signed in" in the same way.
import {
  type AdapterHarnessOptions,
  type AddCase,
  type Browser,
  CONFORMANCE_SP_BASE,
  check,
  conformanceIdp,
  conformanceSpConfig,
  type Env,
  followFinish,
  location,
  protectedJson,
  SESSION_COOKIE,
  withApp,
} from './harness.js';

async function acsWith(
  binding: 'artifact' | 'simpleSign',
): Promise<Partial<AdapterHarnessOptions>> {
  const sp = await conformanceSpConfig();
  const idp = await conformanceIdp();
  return {
    sp: {
      ...sp,
      assertionConsumerServices: [
        ...sp.assertionConsumerServices,
        { binding, location: `${CONFORMANCE_SP_BASE}/saml/acs`, index: 5 },
      ],
    },
    responseBinding: binding,
    fetch: idp.artifactFetch,
  };
}

async function startAt(env: Env, browser: Browser, query: string) {
  const start = await browser.send('GET', `/saml/login${query}`);
  check(start.status === 303, 'login answers with a redirect to the IdP', 303, start.status);
  return env.idp.readAuthnRequest(location(start));
}

function setsSession(res: Response): boolean {
  return res.headers
    .getSetCookie()
    .some((c) => c.startsWith(`${SESSION_COOKIE}=`) && !c.startsWith(`${SESSION_COOKIE}=;`));
}

async function errorPageCode(res: Response): Promise<string> {
  return /<code>([A-Z_]+)<\/code>/.exec(await res.text())?.[1] ?? `HTTP ${res.status}`;
}

/** HTTP-Artifact and SimpleSign at the ACS, and IsPassive answered with NoPassive. */
export function acsBindingCases(add: AddCase): void {
  for (const binding of ['artifact', 'artifactPost'] as const) {
    const how = binding === 'artifact' ? 'GET' : 'POST';
    add(
      `HTTP-Artifact ACS (${how}) resolves the artifact at the IdP and signs in; a replay is refused`,
      async (h) =>
        withApp(h, await acsWith('artifact'), async (env) => {
          const { request, relayState } = await startAt(
            env,
            env.browser,
            '?returnTo=%2Fapp%2Fprotected',
          );
          const delivery = await env.idp.answerLogin(request, relayState, {
            binding,
            nameId: 'artifact@example.com',
          });
          const done = await followFinish(env.browser, await env.browser.deliver(delivery, false));
          check(
            done.status === 303,
            'artifact login',
            303,
            `${done.status} ${await errorPageCode(done.clone())}`,
          );
          check(
            location(done) === '/app/protected',
            'ACS Location',
            '/app/protected',
            location(done),
          );
          const session = await protectedJson(env.browser);
          check(
            session.nameId === 'artifact@example.com',
            'session nameId',
            'artifact@example.com',
            session.nameId,
          );
          // SAML bindings §3.6.4: the artifact is one-time.
          const again = await env.newBrowser().deliver(delivery, false);
          const code = await errorPageCode(again);
          check(
            again.status === 403 && code === 'REPLAY_DETECTED',
            'replayed artifact',
            '403 REPLAY_DETECTED',
            `${again.status} ${code}`,
          );
        }),
    );
  }

  add('HTTP-POST-SimpleSign ACS signs in; a form changed after signing is refused', async (h) =>
    withApp(h, await acsWith('simpleSign'), async (env) => {
      const first = await startAt(env, env.browser, '?returnTo=%2Fapp%2Fprotected');
      const delivery = await env.idp.answerLogin(first.request, first.relayState, {
        binding: 'simpleSign',
        nameId: 'simple@example.com',
      });
      check(delivery.binding === 'post', 'SimpleSign delivery', 'a form', delivery.binding);
      if (delivery.binding !== 'post') return;
      // The same form with another user's name in it: the signature no longer matches.
      const tampered = new URLSearchParams(delivery.form);
      tampered.set(
        'SAMLResponse',
        btoa(
          atob(delivery.form.get('SAMLResponse')!).replace(
            'simple@example.com',
            'mallory@example.com',
          ),
        ),
      );
      const forged = await env.browser.deliver({ ...delivery, form: tampered }, false);
      const code = await errorPageCode(forged);
      check(
        forged.status === 403 && code === 'SIGNATURE_INVALID',
        'tampered SimpleSign form',
        '403 SIGNATURE_INVALID',
        `${forged.status} ${code}`,
      );
      // Nothing was spent: the genuine form still signs in.
      const done = await followFinish(env.browser, await env.browser.deliver(delivery, false));
      check(
        done.status === 303 && setsSession(done),
        'SimpleSign login',
        '303 with a session',
        done.status,
      );
      const session = await protectedJson(env.browser);
      check(
        session.nameId === 'simple@example.com',
        'session nameId',
        'simple@example.com',
        session.nameId,
      );
    }),
  );

  add(
    'IsPassive: a signed NoPassive returns to returnTo with samlkit_passive=none and no session; an unsigned one spends nothing',
    (h) =>
      withApp(h, {}, async (env) => {
        const passive = await startAt(env, env.browser, '?isPassive=1&returnTo=%2Fapp%2Fpublic');
        check(
          passive.request.isPassive === true,
          'AuthnRequest IsPassive',
          true,
          passive.request.isPassive,
        );
        // Unsigned: believed in nothing, no login state touched.
        const unsigned = await env.idp.answerNoPassive(passive.request, passive.relayState, {
          signed: false,
        });
        const res1 = await env.browser.deliver(unsigned, false);
        check(
          res1.status === 303 && location(res1) === '/?samlkit_passive=none',
          'unsigned NoPassive',
          '303 to /?samlkit_passive=none',
          `${res1.status} ${res1.headers.get('location')}`,
        );
        // Signed: the pending login ends, the application learns nobody is signed in.
        const signed = await env.idp.answerNoPassive(passive.request, passive.relayState);
        const res2 = await env.browser.deliver(signed, false);
        check(
          res2.status === 303 && location(res2) === '/app/public?samlkit_passive=none',
          'signed NoPassive',
          '303 to /app/public?samlkit_passive=none',
          `${res2.status} ${res2.headers.get('location')}`,
        );
        check(
          !setsSession(res2),
          'NoPassive',
          'no session cookie',
          res2.headers.getSetCookie().join(' | '),
        );
        const guarded = await env.browser.send('GET', '/app/protected', {
          headers: { accept: 'application/json' },
        });
        check(guarded.status === 401, 'protected route after NoPassive', 401, guarded.status);
      }),
  );
}
