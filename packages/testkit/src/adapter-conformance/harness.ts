// The adapter conformance suite's harness: the app under test, the browser, the shared IdP and
// keys, and the steps the cases share. The cases live beside it, one file per area.
import {
  type IdentityProviderConfig,
  MemoryStore,
  type ServiceProviderConfig,
  type ServiceProviderLogger,
  type ServiceProviderOptions,
  type SessionOption,
} from '@samlkit/core';
import { CookieJar } from '../cookie-jar.js';
import { createTestIdp, type TestDelivery, type TestIdp } from '../idp.js';
import { generateTestKeys, type TestKeys } from '../keys.js';

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

/** What the request object of every adapter carries: its headers (web `Headers` or Node's). */
export interface HeaderCarrier {
  readonly headers: Headers | Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * The options an app under test is started with: samlkit's, with the `session` option (when a
 * case sets one) written against any request object that carries headers, so each adapter's own
 * (Express `req`, Koa `ctx`, Fastify `request`, the web `Request`) fits it. Pass them on whole.
 */
export type AdapterHarnessOptions = ServiceProviderOptions & SessionOption<HeaderCarrier>;

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
  start(options: AdapterHarnessOptions): Promise<AdapterApp>;
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
export const SESSION_COOKIE = '__Host-samlkit_session';
export const LOGIN_COOKIE = '__Host-samlkit_session_login';

class AdapterConformanceError extends Error {
  constructor(what: string, expected: unknown, found: unknown) {
    super(`${what}: expected ${String(expected)}, found ${String(found)}`);
    this.name = 'AdapterConformanceError';
  }
}

export function check(ok: boolean, what: string, expected: unknown, found: unknown): void {
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

/** The SP configuration every case starts from (its signing key shared across cases). */
export async function conformanceSpConfig(): Promise<ServiceProviderConfig> {
  return spConfig((await sharedKeys()).spKeys);
}

/** The test IdP every case talks to. */
export async function conformanceIdp(): Promise<TestIdp> {
  return (await sharedKeys()).idp;
}

/** A browser: a cookie jar, no automatic redirects, and the SP's public URLs mapped to the app. */
export class Browser {
  readonly jar: CookieJar = new CookieJar();
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
    if (init.cookies !== false && this.jar.size > 0) headers.set('cookie', this.jar.header());
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
    return this.jar.take(await (this.app.fetch ? this.app.fetch(request) : fetch(request)));
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

export interface Env {
  readonly app: AdapterApp;
  readonly browser: Browser;
  readonly idp: TestIdp;
  readonly options: AdapterHarnessOptions;
  readonly logs: { level: string; message: string; details?: Record<string, unknown> }[];
  newBrowser(): Browser;
}

export async function withApp(
  harness: AdapterHarness,
  overrides: Partial<AdapterHarnessOptions>,
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
  const options: AdapterHarnessOptions = {
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

export function location(response: Response): string {
  const value = response.headers.get('location');
  check(value !== null, 'a Location header', 'present', 'none');
  return value!;
}

/**
 * Runs a whole SP-initiated login in `browser`: the IdP's cross-site POST without cookies, then
 * the same-site finish GET with them; returns the finish step's answer.
 */
export async function login(
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
export async function followFinish(
  browser: Browser,
  res: Response,
  headers?: Record<string, string>,
): Promise<Response> {
  const to = res.status === 303 ? res.headers.get('location') : null;
  if (!to || !/[?&]finish=/.test(to)) return res;
  return browser.send('GET', to, headers ? { headers } : {});
}

export async function protectedJson(browser: Browser): Promise<Record<string, unknown>> {
  const res = await browser.send('GET', '/app/protected');
  check(res.status === 200, 'GET /app/protected when signed in', 200, res.status);
  return (await res.json()) as Record<string, unknown>;
}

/** Checks that the browser's session is `nameId`'s; returns what the protected route showed. */
export async function checkSessionUser(
  browser: Browser,
  nameId: string,
  what: string,
): Promise<Record<string, unknown>> {
  const session = await protectedJson(browser);
  check(session.nameId === nameId, what, nameId, session.nameId);
  return session;
}

/** Checks that the browser still has a session: the protected route answers 200. */
export async function checkSignedIn(browser: Browser, what: string): Promise<void> {
  const res = await browser.send('GET', '/app/protected');
  check(res.status === 200, what, 'still signed in', res.status);
}

/** Checks that a response's content type starts with `type`. */
export function checkContentType(res: Response, type: string, what: string): void {
  const found = res.headers.get('content-type');
  check((found ?? '').startsWith(type), what, type, found);
}

/** Checks that an error page names the error code `code`. */
export function checkErrorCode(html: string, code: string): void {
  check(html.includes(code), 'error page code', code, html.slice(0, 300));
}

export const EVIL_RETURN_TO: readonly string[] = [
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

/** Registers one case (see {@link adapterConformanceCases}). */
export type AddCase = (name: string, run: (harness: AdapterHarness) => Promise<void>) => void;
