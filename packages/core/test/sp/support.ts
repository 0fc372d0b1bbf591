import {
  createServiceProvider,
  MemoryStore,
  type SamlStore,
  type ServiceProvider,
  type ServiceProviderConfig,
  type ServiceProviderOptions,
} from '@samlkit/core';
import {
  createTestIdp,
  generateTestKeys,
  type TestDelivery,
  type TestIdp,
  type TestKeys,
} from '@samlkit/testkit';

export const BASE = 'https://sp.test';

let shared: Promise<{ idp: TestIdp; spKeys: TestKeys }> | undefined;
export function keys(): Promise<{ idp: TestIdp; spKeys: TestKeys }> {
  shared ??= (async () => ({
    idp: await createTestIdp(),
    spKeys: await generateTestKeys({ subject: 'sp unit tests' }),
  }))();
  return shared;
}

export function spConfig(spKeys: TestKeys, base = BASE): ServiceProviderConfig {
  return {
    entityId: `${base}/saml/metadata`,
    assertionConsumerServices: [{ binding: 'post', location: `${base}/saml/acs`, isDefault: true }],
    singleLogoutServices: [
      { binding: 'redirect', location: `${base}/saml/slo` },
      { binding: 'post', location: `${base}/saml/slo` },
      { binding: 'soap', location: `${base}/saml/slo` },
    ],
    signingKeys: [{ privateKey: spKeys.privateKey, certificate: spKeys.certificatePem }],
  };
}

export interface Logged {
  level: string;
  message: string;
  details?: Record<string, unknown>;
}

export interface Setup {
  sp: ServiceProvider;
  idp: TestIdp;
  store: SamlStore;
  logs: Logged[];
  options: ServiceProviderOptions;
}

export async function setup(overrides: Partial<ServiceProviderOptions> = {}): Promise<Setup> {
  const { idp, spKeys } = await keys();
  const logs: Logged[] = [];
  const store = overrides.store ?? new MemoryStore();
  const options: ServiceProviderOptions = {
    sp: spConfig(spKeys),
    idps: idp.config,
    store,
    baseUrl: BASE,
    logger: {
      warn: (message, details) =>
        logs.push({ level: 'warn', message, ...(details ? { details } : {}) }),
      error: (message, details) =>
        logs.push({ level: 'error', message, ...(details ? { details } : {}) }),
    },
    ...overrides,
  };
  return { sp: createServiceProvider(options), idp, store, logs, options };
}

/** A Request for the SP at its public URL. */
export function req(path: string, init: RequestInit & { cookie?: string } = {}): Request {
  const headers = new Headers(init.headers);
  if (init.cookie) headers.set('cookie', init.cookie);
  return new Request(path.startsWith('http') ? path : `${BASE}${path}`, { ...init, headers });
}

/** Turns a delivery from the test IdP into the Request the browser would send (no cookie). */
export function deliveryRequest(d: TestDelivery, cookie?: string): Request {
  if (d.binding === 'redirect') return req(d.url, cookie ? { cookie } : {});
  if (d.binding === 'post') {
    return req(d.url, {
      method: 'POST',
      body: d.form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      ...(cookie ? { cookie } : {}),
    });
  }
  return req(d.url, { method: 'POST', body: d.body, headers: { 'content-type': 'text/xml' } });
}

export function sessionCookie(response: Response): string | undefined {
  const line = response.headers.getSetCookie().find((c) => c.startsWith('__Host-samlkit_session='));
  const value = line?.split(';')[0]?.slice('__Host-samlkit_session='.length);
  return value ? `__Host-samlkit_session=${value}` : undefined;
}

/** The `name=value` pairs a response sets (without attributes), joined for a Cookie header. */
export function cookiesSet(response: Response, name: string): string | undefined {
  const line = response.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  const pair = line?.split(';')[0];
  return pair && pair !== `${name}=` ? pair : undefined;
}

/**
 * Starts a login on `sp` and returns the AuthnRequest as the IdP reads it, plus the Cookie header
 * the browser then holds (its login cookie, and `cookie` if given).
 */
export async function startLogin(sp: ServiceProvider, idp: TestIdp, query = '', cookie?: string) {
  const res = await sp.login(req(`/saml/login${query}`, cookie ? { cookie } : {}));
  if (res.status !== 303) throw new Error(`login answered ${res.status}: ${await res.text()}`);
  const login = cookiesSet(res, '__Host-samlkit_session_login');
  const browserCookie = [cookie, login].filter(Boolean).join('; ');
  return { ...(await idp.readAuthnRequest(res.headers.get('location')!)), browserCookie };
}

/**
 * Delivers the IdP's answer as a browser does: the cross-site POST without cookies, then the
 * 303 to the same-site finish URL with the browser's cookies. Returns the finish answer (or the
 * ACS answer when it did not redirect to a finish URL).
 */
export async function deliverLogin(
  sp: ServiceProvider,
  delivery: TestDelivery,
  browserCookie: string | undefined,
): Promise<Response> {
  const acs = await sp.acs(deliveryRequest(delivery));
  const to = acs.headers.get('location');
  if (acs.status !== 303 || !to?.startsWith('/saml/acs?finish=')) return acs;
  return sp.acs(req(to, browserCookie ? { cookie: browserCookie } : {}));
}

/** A whole login: returns the ACS response. */
export async function fullLogin(
  s: Pick<Setup, 'sp' | 'idp'>,
  answer: Parameters<TestIdp['answerLogin']>[2] = {},
  query = '',
  cookie?: string,
): Promise<Response> {
  const { request, relayState, browserCookie } = await startLogin(s.sp, s.idp, query, cookie);
  const delivery = await s.idp.answerLogin(request, relayState, answer);
  return deliverLogin(s.sp, delivery, browserCookie);
}

/**
 * A login begun at `sp` for `idp` (with `query` on the login route) and answered by `answering`
 * (another IdP under the same entity ID, e.g. one with a rolled key; default `idp`), delivered as
 * a browser does. Returns the finish answer (or the ACS answer when it did not redirect).
 */
export async function loginAnsweredBy(
  sp: ServiceProvider,
  idp: TestIdp,
  answering: TestIdp = idp,
  answer: Parameters<TestIdp['answerLogin']>[2] = {},
  query = '',
): Promise<Response> {
  const { request, relayState, browserCookie } = await startLogin(sp, idp, query);
  const delivery = await answering.answerLogin(request, relayState, answer);
  return deliverLogin(sp, delivery, browserCookie);
}

export async function errorCode(res: Response): Promise<string | undefined> {
  const html = await res.text();
  return /<code>([A-Z_]+)<\/code>/.exec(html)?.[1];
}

/** A store that delegates to `inner`, with some methods replaced (fault injection). */
export function wrapStore(inner: SamlStore, overrides: Partial<SamlStore>): SamlStore {
  return {
    putPendingRequest: (...a) => inner.putPendingRequest(...a),
    takePendingRequest: (...a) => inner.takePendingRequest(...a),
    rememberOnce: (...a) => inner.rememberOnce(...a),
    putSession: (...a) => inner.putSession(...a),
    getSession: (...a) => inner.getSession(...a),
    touchSession: (...a) => inner.touchSession(...a),
    deleteSession: (...a) => inner.deleteSession(...a),
    findSessions: (...a) => inner.findSessions(...a),
    getValue: (...a) => inner.getValue(...a),
    setValue: (...a) => inner.setValue(...a),
    ...overrides,
  };
}
