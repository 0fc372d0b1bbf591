import {
  type AddCase,
  CONFORMANCE_SP_BASE,
  check,
  followFinish,
  location,
  protectedJson,
  withApp,
} from './harness.js';

/** The test IdP's entity ID (the harness's IdP). */
const IDP = 'https://idp.test/metadata';

/**
 * IdP discovery: the SAML IdP Discovery Service Protocol towards an external service
 * (sstc-saml-idp-discovery §2.4), the built-in page and the DiscoFeed.
 */
export function discoveryCases(add: AddCase): void {
  add(
    'discovery: login without an IdP goes to the discovery service, whose trusted answer logs in to returnTo',
    (h) =>
      withApp(h, { discovery: { service: 'https://ds.test/ds' } }, async (env) => {
        const { browser, idp } = env;
        const start = await browser.send('GET', '/saml/login?returnTo=%2Fapp%2Fprotected');
        check(start.status === 303, 'login status', 303, start.status);
        const ds = new URL(location(start));
        check(
          ds.origin === 'https://ds.test',
          'redirect to the service',
          'https://ds.test',
          ds.href,
        );
        check(
          ds.searchParams.get('entityID') === `${CONFORMANCE_SP_BASE}/saml/metadata`,
          'entityID parameter',
          'the SP entity ID',
          ds.searchParams.get('entityID'),
        );
        const back = new URL(ds.searchParams.get('return') ?? '');
        check(
          back.origin === CONFORMANCE_SP_BASE && back.pathname === '/saml/login',
          'return parameter',
          'the SP’s own login URL',
          back.href,
        );
        // The service answers with an IdP the SP does not trust: refused.
        const evil = new URL(back);
        evil.searchParams.set('entityID', 'https://evil.example/idp');
        const refused = await browser.send('GET', evil.href);
        check(refused.status === 400, 'untrusted IdP refused', 400, refused.status);
        back.searchParams.set('entityID', IDP);
        const toIdp = await browser.send('GET', back.href);
        check(toIdp.status === 303, 'login after discovery', 303, toIdp.status);
        check(
          location(toIdp).startsWith('https://idp.test/sso?'),
          'login Location',
          'the IdP SSO URL',
          location(toIdp),
        );
        const { request, relayState } = await idp.readAuthnRequest(location(toIdp));
        const delivery = await idp.answerLogin(request, relayState, { nameId: 'dora@example.com' });
        const done = await followFinish(browser, await browser.deliver(delivery, false));
        check(done.status === 303, 'ACS status', 303, done.status);
        check(
          location(done) === '/app/protected',
          'returnTo kept through discovery',
          '/app/protected',
          location(done),
        );
        const session = await protectedJson(browser);
        check(
          session.nameId === 'dora@example.com',
          'signed in',
          'dora@example.com',
          session.nameId,
        );
      }),
  );

  add('discovery: the built-in page, its JSON search and the DiscoFeed are served', (h) =>
    withApp(
      h,
      {
        discovery: {
          idps: [{ entityId: IDP, displayNames: [{ value: 'The Test IdP', lang: 'en' }] }],
        },
      },
      async ({ browser }) => {
        const start = await browser.send('GET', '/saml/login?returnTo=%2Fapp%2Fprotected');
        check(
          location(start) === '/saml/discovery?returnTo=%2Fapp%2Fprotected',
          'login without an IdP',
          'the discovery page',
          location(start),
        );
        const page = await browser.send('GET', '/saml/discovery?q=test');
        check(page.status === 200, 'discovery page status', 200, page.status);
        const html = await page.text();
        check(
          html.includes(`value="${IDP}"`) && html.includes('The Test IdP'),
          'discovery page lists the IdP',
          IDP,
          html.slice(0, 200),
        );
        const csp = page.headers.get('content-security-policy') ?? '';
        check(csp.includes("script-src 'sha256-"), 'page CSP', "script-src 'sha256-…'", csp);
        const json = await browser.send('GET', '/saml/discovery?q=test', {
          headers: { accept: 'application/json' },
        });
        const found = (await json.json()) as { results: { entityId: string }[] };
        check(found.results[0]?.entityId === IDP, 'JSON search', IDP, JSON.stringify(found));
        const feed = await browser.send('GET', '/saml/discofeed');
        const entries = (await feed.json()) as { entityID: string }[];
        check(
          entries.length === 1 && entries[0]?.entityID === IDP,
          'DiscoFeed',
          `[{ entityID: ${IDP} }]`,
          JSON.stringify(entries),
        );
        const chosen = await browser.send(
          'GET',
          `/saml/login?SAMLDS=1&returnTo=%2Fapp%2Fprotected&entityID=${encodeURIComponent(IDP)}`,
        );
        check(
          location(chosen).startsWith('https://idp.test/sso?'),
          'choice from the page',
          'the IdP SSO URL',
          location(chosen),
        );
      },
    ),
  );
}
