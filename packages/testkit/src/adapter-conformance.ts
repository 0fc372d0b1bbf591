import {
  type IdentityProviderConfig,
  MemoryStore,
  type ServiceProviderConfig,
  type ServiceProviderLogger,
  type ServiceProviderOptions,
} from '@samlkit/core';
import { tenantConformanceCases } from './adapter-conformance-tenants.js';
import { createTestIdp, type TestDelivery, type TestIdp } from './idp.js';
import { generateTestKeys, type TestKeys } from './keys.js';

/** A running application under test. */
export interface AdapterApp {
  /** Where it listens, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  readonly url: string;
  /** Stops it (closes the server). Called even when a case fails. */
  stop(): Promise<void>;
  /**
   * Sends a request to the app in-process instead of over the network (optional; default: the
   * global `fetch` to `url`).
   */
  readonly fetch?: (request: Request) => Promise<Response>;
}

/**
 * How the conformance suite starts an application built with an adapter.
 *
 * The application must serve, with the given options:
 * - the samlkit endpoints at their default paths (`/saml/login`, `/saml/acs`, `/saml/logout`,
 *   `/saml/slo`, `/saml/metadata`), and 404 for any other path under `/saml`;
 * - `GET /app/protected`: guarded by the adapter's `requireSession`; when signed in it answers
 *   200 with the session record as JSON (`JSON.stringify(session)`);
 * - `GET /app/public`: 200 with the text `public`.
 */
export interface AdapterHarness {
  /** Starts the app on 127.0.0.1 port 0 with these samlkit options. */
  start(options: ServiceProviderOptions): Promise<AdapterApp>;
}

/** One named conformance case. */
export interface AdapterConformanceCase {
  readonly name: string;
  /** Runs the case against the adapter the harness starts; rejects when it fails. */
  run(harness: AdapterHarness): Promise<void>;
}

/** How {@link runAdapterConformance} registers cases with a test framework. */
export interface AdapterConformanceOptions {
  /** The framework's `test`/`it`. */
  readonly test: (name: string, body: () => Promise<void>) => void;
  /** Run only the cases whose name includes one of these strings. */
  readonly only?: readonly string[];
}

/** The public base URL the SP is configured with (the app actually listens on 127.0.0.1). */
export const CONFORMANCE_SP_BASE = 'https://sp.test';

/** samlkit's default cookie names on an https base URL. */
const SESSION_COOKIE = '__Host-samlkit_session';
const LOGIN_COOKIE = '__Host-samlkit_session_login';

class AdapterConformanceError extends Error {
  constructor(what: string, expected: unknown, found: unknown) {
    super(`${what}: expected ${String(expected)}, found ${String(found)}`);
    this.name = 'AdapterConformanceError';
  }
}

function check(ok: boolean, what: string, expected: unknown, found: unknown): void {
  if (!ok) throw new AdapterConformanceError(what, expected, found);
}

interface Shared {
  readonly idp: TestIdp;
  readonly spKeys: TestKeys;
}

let shared: Promise<Shared> | undefined;
function sharedKeys(): Promise<Shared> {
  shared ??= (async () => ({
    idp: await createTestIdp(),
    spKeys: await generateTestKeys({ subject: 'samlkit conformance sp' }),
  }))();
  return shared;
}

function spConfig(keys: TestKeys): ServiceProviderConfig {
  const base = CONFORMANCE_SP_BASE;
  return {
    entityId: `${base}/saml/metadata`,
    assertionConsumerServices: [
      { binding: 'post', location: `${base}/saml/acs`, index: 0, isDefault: true },
      { binding: 'redirect', location: `${base}/saml/acs`, index: 1 },
    ],
    singleLogoutServices: [
      { binding: 'redirect', location: `${base}/saml/slo` },
      { binding: 'post', location: `${base}/saml/slo` },
      { binding: 'soap', location: `${base}/saml/slo` },
    ],
    signingKeys: [{ privateKey: keys.privateKey, certificate: keys.certificatePem }],
  };
}

/** A browser: a cookie jar, no automatic redirects, and the SP's public URLs mapped to the app. */
class Browser {
  readonly jar = new Map<string, string>();
  private readonly app: AdapterApp;
  constructor(app: AdapterApp) {
    this.app = app;
  }

  local(url: string): string {
    if (url.startsWith(CONFORMANCE_SP_BASE))
      return this.app.url + url.slice(CONFORMANCE_SP_BASE.length);
    if (url.startsWith('/')) return this.app.url + url;
    return url;
  }

  async send(
    method: string,
    url: string,
    init: {
      body?: string | URLSearchParams;
      headers?: Record<string, string>;
      cookies?: boolean;
    } = {},
  ): Promise<Response> {
    const headers = new Headers(init.headers);
    if (init.cookies !== false && this.jar.size > 0) {
      headers.set('cookie', [...this.jar].map(([k, v]) => `${k}=${v}`).join('; '));
    }
    let body: string | undefined;
    if (init.body instanceof URLSearchParams) {
      body = init.body.toString();
      headers.set('content-type', 'application/x-www-form-urlencoded');
    } else if (init.body !== undefined) {
      body = init.body;
    }
    const request = new Request(this.local(url), {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      redirect: 'manual',
    });
    const response = await (this.app.fetch ? this.app.fetch(request) : fetch(request));
    for (const line of response.headers.getSetCookie()) this.store(line);
    return response;
  }

  private store(line: string): void {
    const [pair, ...attrs] = line.split(';');
    const eq = pair!.indexOf('=');
    const name = pair!.slice(0, eq).trim();
    const value = pair!.slice(eq + 1).trim();
    const expired = attrs.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a));
    if (expired || value === '') this.jar.delete(name);
    else this.jar.set(name, value);
  }

  /** Delivers what the IdP produced, as the browser would (a cross-site POST brings no Lax cookie). */
  deliver(d: TestDelivery, sameSiteCookies: boolean): Promise<Response> {
    if (d.binding === 'redirect') return this.send('GET', d.url);
    if (d.binding === 'post')
      return this.send('POST', d.url, { body: d.form, cookies: sameSiteCookies });
    return this.send('POST', d.url, {
      body: d.body,
      headers: {
        'content-type': 'text/xml; charset=utf-8',
        soapaction: 'http://www.oasis-open.org/committees/security',
      },
      cookies: false,
    });
  }
}

interface Env {
  readonly app: AdapterApp;
  readonly browser: Browser;
  readonly idp: TestIdp;
  readonly options: ServiceProviderOptions;
  readonly logs: { level: string; message: string; details?: Record<string, unknown> }[];
  newBrowser(): Browser;
}

async function withApp(
  harness: AdapterHarness,
  overrides: Partial<ServiceProviderOptions>,
  body: (env: Env) => Promise<void>,
): Promise<void> {
  const { idp, spKeys } = await sharedKeys();
  const logs: Env['logs'] = [];
  const logger: ServiceProviderLogger = {
    warn: (message, details) =>
      logs.push({ level: 'warn', message, ...(details ? { details } : {}) }),
    error: (message, details) =>
      logs.push({ level: 'error', message, ...(details ? { details } : {}) }),
  };
  const options: ServiceProviderOptions = {
    sp: spConfig(spKeys),
    idps: idp.config as IdentityProviderConfig,
    store: new MemoryStore(),
    baseUrl: CONFORMANCE_SP_BASE,
    logger,
    ...overrides,
  };
  const app = await harness.start(options);
  try {
    await body({
      app,
      browser: new Browser(app),
      idp,
      options,
      logs,
      newBrowser: () => new Browser(app),
    });
  } finally {
    await app.stop();
  }
}

function location(response: Response): string {
  const value = response.headers.get('location');
  check(value !== null, 'a Location header', 'present', 'none');
  return value!;
}

/**
 * Runs a whole SP-initiated login in `browser`: the IdP's cross-site POST without cookies, then
 * the same-site finish GET with them; returns the finish step's answer.
 */
async function login(
  env: Env,
  browser: Browser,
  query = '',
  answer: Parameters<TestIdp['answerLogin']>[2] = {},
): Promise<Response> {
  const start = await browser.send('GET', `/saml/login${query}`);
  check(start.status === 303, 'login answers with a redirect to the IdP', 303, start.status);
  const { request, relayState } = await env.idp.readAuthnRequest(location(start));
  const delivery = await env.idp.answerLogin(request, relayState, answer);
  // The IdP's POST is cross-site: a SameSite=Lax cookie is not sent with it.
  return followFinish(browser, await browser.deliver(delivery, false));
}

/** Follows the ACS's same-site finish step (`<acs>?finish=<code>`) when the SP answers with one. */
async function followFinish(
  browser: Browser,
  res: Response,
  headers?: Record<string, string>,
): Promise<Response> {
  const to = res.status === 303 ? res.headers.get('location') : null;
  if (!to || !/[?&]finish=/.test(to)) return res;
  return browser.send('GET', to, headers ? { headers } : {});
}

async function protectedJson(browser: Browser): Promise<Record<string, unknown>> {
  const res = await browser.send('GET', '/app/protected');
  check(res.status === 200, 'GET /app/protected when signed in', 200, res.status);
  return (await res.json()) as Record<string, unknown>;
}

const EVIL_RETURN_TO = [
  'https://evil.example/x',
  '//evil.example/x',
  '/\\evil.example/x',
  '\\\\evil.example',
  '/%2F%2Fevil.example',
  '%2F%2Fevil.example',
  '/%5Cevil.example',
  '/%252F%252Fevil.example',
  'javascript:alert(1)',
  '/\t/evil.example',
  '/\r\n/evil.example',
  'http:evil.example',
];

/**
 * The cases every adapter must pass, framework-agnostic: login redirect, POST and Redirect ACS
 * without cookies, returnTo safety, the protected route, step-up keeping the session, SP- and
 * IdP-initiated logout (Redirect and SOAP), metadata, error pages and cookie attributes.
 * @returns the cases
 * @example Listing the case names
 * ```ts
 * for (const c of adapterConformanceCases()) console.log(c.name);
 * ```
 */
export function adapterConformanceCases(): AdapterConformanceCase[] {
  const cases: AdapterConformanceCase[] = [];
  const add = (name: string, run: (h: AdapterHarness) => Promise<void>) =>
    cases.push({ name, run });

  add('metadata is served as SAML metadata with the SP entity ID', (h) =>
    withApp(h, {}, async ({ browser }) => {
      const res = await browser.send('GET', '/saml/metadata');
      check(res.status === 200, 'metadata status', 200, res.status);
      check(
        (res.headers.get('content-type') ?? '').startsWith('application/samlmetadata+xml'),
        'metadata content type',
        'application/samlmetadata+xml',
        res.headers.get('content-type'),
      );
      const xml = await res.text();
      check(
        xml.includes(`entityID="${CONFORMANCE_SP_BASE}/saml/metadata"`),
        'metadata entityID',
        'the SP entity ID',
        xml.slice(0, 200),
      );
    }),
  );

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
        const cookie = res.headers
          .getSetCookie()
          .find((c) => c.startsWith('__Host-samlkit_session='));
        check(
          cookie !== undefined,
          'session Set-Cookie',
          '__Host-samlkit_session=…',
          res.headers.getSetCookie().join(' | '),
        );
        for (const attr of ['HttpOnly', 'Secure', 'SameSite=Lax', 'Path=/']) {
          check(cookie!.split(/;\s*/).includes(attr), `cookie attribute ${attr}`, attr, cookie);
        }
        const session = await protectedJson(env.browser);
        check(
          session.nameId === 'alice@example.com',
          'session nameId',
          'alice@example.com',
          session.nameId,
        );
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
      const session = await protectedJson(env.browser);
      check(
        session.nameId === 'bob@example.com',
        'session nameId',
        'bob@example.com',
        session.nameId,
      );
    }),
  );

  add('the session ID is rotated at every login (no fixation)', (h) =>
    withApp(h, {}, async (env) => {
      env.browser.jar.set('__Host-samlkit_session', 'attacker-chosen-value-0123456789');
      await login(env, env.browser, '', { nameId: 'alice@example.com' });
      const first = env.browser.jar.get('__Host-samlkit_session');
      check(
        first !== 'attacker-chosen-value-0123456789',
        'session ID after login',
        'a fresh ID',
        first,
      );
      await login(env, env.browser, '', { nameId: 'carol@example.com' });
      const second = env.browser.jar.get('__Host-samlkit_session');
      check(second !== first, 'session ID after a login as another user', 'a fresh ID', second);
      const session = await protectedJson(env.browser);
      check(
        session.nameId === 'carol@example.com',
        'session user',
        'carol@example.com',
        session.nameId,
      );
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
      const id = env.browser.jar.get('__Host-samlkit_session');
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
        env.browser.jar.get('__Host-samlkit_session') === id,
        'session ID after step-up',
        id,
        env.browser.jar.get('__Host-samlkit_session'),
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
        !acs.headers.getSetCookie().some((c) => c.startsWith('__Host-samlkit_session=')),
        'session cookie from the ACS POST',
        'none (the session is created at the finish step)',
        acs.headers.getSetCookie().join(' | '),
      );
      const res = await followFinish(victim, acs);
      check(res.status === 403, 'finish status in the victim’s browser', 403, res.status);
      const html = await res.text();
      check(
        html.includes('LOGIN_BINDING_MISMATCH'),
        'error page code',
        'LOGIN_BINDING_MISMATCH',
        html.slice(0, 300),
      );
      check(
        !victim.jar.has('__Host-samlkit_session'),
        'victim session cookie',
        'none',
        victim.jar.get('__Host-samlkit_session'),
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
      const session = await protectedJson(tabs);
      check(
        session.nameId === 'alice@example.com',
        'session after two tabs',
        'alice@example.com',
        session.nameId,
      );
    }),
  );

  add('a cross-site request to the logout endpoint ends nothing and asks to confirm', (h) =>
    withApp(h, {}, async (env) => {
      await login(env, env.browser, '', { nameId: 'alice@example.com' });
      const forged = await env.browser.send('GET', '/saml/logout', {
        headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' },
      });
      check(forged.status === 200, 'cross-site logout status', 200, forged.status);
      const page = await forged.text();
      check(page.includes('method="post"'), 'confirmation page', 'a POST form', page.slice(0, 300));
      const still = await env.browser.send('GET', '/app/protected');
      check(
        still.status === 200,
        'session after a cross-site logout',
        'still signed in',
        still.status,
      );
      const confirmed = await env.browser.send('POST', '/saml/logout', {
        headers: { 'sec-fetch-site': 'same-origin', origin: CONFORMANCE_SP_BASE },
      });
      check(confirmed.status === 303, 'confirmed logout status', 303, confirmed.status);
      const after = await env.browser.send('GET', '/app/protected');
      check(after.status !== 200, 'session after the confirmed logout', 'ended', after.status);
    }),
  );

  add('malformed input gets a 400 page, or JSON when asked, and unknown methods 405', (h) =>
    withApp(h, {}, async ({ browser }) => {
      const form = new URLSearchParams({ SAMLResponse: '%%%not base64<script>' });
      const res = await browser.send('POST', '/saml/acs', { body: form });
      check(res.status === 400, 'status for garbage', 400, res.status);
      check(
        (res.headers.get('content-type') ?? '').startsWith('text/html'),
        'content type',
        'text/html',
        res.headers.get('content-type'),
      );
      const html = await res.text();
      check(!html.includes('<script>'), 'error page escaping', 'no raw input', html.slice(0, 300));
      const api = await browser.send('POST', '/saml/acs', {
        body: form,
        headers: { accept: 'application/json' },
      });
      check(api.status === 400, 'JSON status', 400, api.status);
      const json = (await api.json()) as { error?: { code?: string } };
      check(
        json.error?.code === 'BASE64_INVALID',
        'JSON error code',
        'BASE64_INVALID',
        json.error?.code,
      );
      const put = await browser.send('PUT', '/saml/acs', { body: 'x' });
      check(put.status === 405, 'PUT /saml/acs', 405, put.status);
      const missing = await browser.send('GET', '/saml/nothing-here');
      check(missing.status === 404, 'unknown SAML path', 404, missing.status);
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
          !env.browser.jar.has('__Host-samlkit_session'),
          'session cookie after logout',
          'cleared',
          env.browser.jar.get('__Host-samlkit_session'),
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
        const still = await other.send('GET', '/app/protected');
        check(
          still.status === 200,
          'another user after IdP logout',
          'still signed in',
          still.status,
        );
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
      check(
        (res.headers.get('content-type') ?? '').startsWith('text/xml'),
        'SOAP content type',
        'text/xml',
        res.headers.get('content-type'),
      );
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
      const still = await env.browser.send('GET', '/app/protected');
      check(
        still.status === 200,
        'session after a refused logout',
        'still signed in',
        still.status,
      );
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
        check(
          html.includes('LOGIN_REFUSED'),
          'error page code',
          'LOGIN_REFUSED',
          html.slice(0, 300),
        );
        check(
          html.includes('Accounts &lt;b&gt;like yours&lt;/b&gt; are not allowed here.') &&
            !html.includes('<b>'),
          'refusal message',
          'shown, HTML-escaped',
          html.slice(0, 400),
        );
        check(
          !env.browser.jar.has('__Host-samlkit_session'),
          'session cookie after a refused login',
          'none',
          env.browser.jar.get('__Host-samlkit_session'),
        );
        const other = env.newBrowser();
        const ok = await followFinish(
          other,
          await login(env, other, '', { nameId: 'alice@example.com' }),
        );
        check(ok.status === 303, 'another user signs in', 303, ok.status);
        check(
          other.jar.has('__Host-samlkit_session'),
          'session cookie of the other user',
          'set',
          'none',
        );
      },
    ),
  );

  add('Host and X-Forwarded-* headers are ignored unless trustProxy is set', (h) =>
    withApp(h, {}, async (env) => {
      const forged = {
        host: 'evil.example',
        'x-forwarded-host': 'evil.example',
        'x-forwarded-proto': 'https',
      };
      const start = await env.browser.send('GET', '/saml/login?returnTo=/app/protected', {
        headers: forged,
      });
      check(start.status === 303, 'login status', 303, start.status);
      const { request, relayState } = await env.idp.readAuthnRequest(location(start));
      check(
        request.assertionConsumerServiceUrl === `${CONFORMANCE_SP_BASE}/saml/acs`,
        'ACS URL with forged headers',
        `${CONFORMANCE_SP_BASE}/saml/acs`,
        request.assertionConsumerServiceUrl,
      );
      const delivery = await env.idp.answerLogin(request, relayState);
      if (delivery.binding !== 'post') throw new Error('expected the POST binding');
      const res = await followFinish(
        env.browser,
        await env.browser.send('POST', delivery.url, {
          body: delivery.form,
          headers: forged,
          cookies: false,
        }),
        forged,
      );
      check(res.status === 303, 'ACS status with forged headers', 303, res.status);
      check(
        location(res) === '/app/protected',
        'ACS Location with forged headers',
        '/app/protected',
        location(res),
      );
      const guarded = await env.newBrowser().send('GET', '/app/protected?x=1', { headers: forged });
      const to = location(guarded);
      check(
        to.startsWith('/saml/login?'),
        'protected-route redirect with forged headers',
        'a same-origin path',
        to,
      );
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
        check(
          html.includes('LOGIN_BINDING_MISMATCH'),
          'error page code',
          'LOGIN_BINDING_MISMATCH',
          html.slice(0, 300),
        );
        check(
          !res.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`)),
          'session cookie after the finish with two login cookies',
          'none',
          res.headers.getSetCookie().join(' | '),
        );
      }),
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

  return cases;
}

/**
 * Registers every adapter conformance case with a test framework. Each case starts the app with
 * fresh options (a new MemoryStore), drives it with a cookie-jar client and an in-process test
 * IdP, and stops it.
 *
 * @param harness - starts the adapter's app (see {@link AdapterHarness} for the routes it serves)
 * @param options - the framework's `test` function and an optional filter
 * @example Running the suite against an adapter
 * ```ts
 * import { test } from 'vitest';
 * runAdapterConformance({ start: async (options) => startMyApp(options) }, { test });
 * ```
 */
export function runAdapterConformance(
  harness: AdapterHarness,
  options: AdapterConformanceOptions,
): void {
  for (const c of [...adapterConformanceCases(), ...tenantConformanceCases()]) {
    if (options.only && !options.only.some((s) => c.name.includes(s))) continue;
    options.test(c.name, () => c.run(harness));
  }
}
