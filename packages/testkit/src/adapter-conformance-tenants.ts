import {
  createIdpResolver,
  createTenantServiceProviders,
  type IdpDefinition,
  MemoryStore,
  type ServiceProviderLogger,
  type TenantServiceProviders,
} from '@samlkit/core';
import type { AdapterApp, AdapterConformanceCase, AdapterHarness } from './adapter-conformance.js';
import { createTestIdp, type TestDelivery, type TestIdp } from './idp.js';
import { generateTestKeys, type TestKeys } from './keys.js';
import { buildResponse, toPostBinding } from './response.js';

/** The public origins of the two tenants (host routing; each app listens on 127.0.0.1). */
const ORIGIN = { a: 'https://a.sp.test', b: 'https://b.sp.test' } as const;
type TenantId = keyof typeof ORIGIN;

class TenantConformanceError extends Error {
  constructor(what: string, expected: unknown, found: unknown) {
    super(`${what}: expected ${String(expected)}, found ${String(found)}`);
    this.name = 'TenantConformanceError';
  }
}

function check(ok: boolean, what: string, expected: unknown, found: unknown): void {
  if (!ok) throw new TenantConformanceError(what, expected, found);
}

interface Shared {
  readonly idpA: TestIdp;
  readonly idpB: TestIdp;
  readonly spKeys: TestKeys;
}
let shared: Promise<Shared> | undefined;
function sharedParts(): Promise<Shared> {
  shared ??= (async () => ({
    idpA: await createTestIdp({ entityId: 'https://idp-a.conformance.test' }),
    idpB: await createTestIdp({ entityId: 'https://idp-b.conformance.test' }),
    spKeys: await generateTestKeys({ subject: 'samlkit tenant conformance sp' }),
  }))();
  return shared;
}

/** A browser with one cookie jar per public origin, sending each origin to its tenant's app. */
class TenantBrowser {
  readonly jars = new Map<string, Map<string, string>>();
  private readonly apps: Readonly<Record<TenantId, AdapterApp>>;
  constructor(apps: Readonly<Record<TenantId, AdapterApp>>) {
    this.apps = apps;
  }

  async send(
    method: string,
    url: string,
    init: { body?: string; headers?: Record<string, string>; cookies?: boolean } = {},
  ): Promise<Response> {
    const target = new URL(url);
    const tenant = (Object.keys(ORIGIN) as TenantId[]).find((t) => ORIGIN[t] === target.origin);
    if (!tenant) throw new Error(`no tenant app for ${url}`);
    const app = this.apps[tenant];
    const jar = this.jars.get(target.origin) ?? new Map<string, string>();
    this.jars.set(target.origin, jar);
    const headers = new Headers(init.headers);
    if (init.cookies !== false && jar.size > 0) {
      headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    }
    const request = new Request(app.url + target.pathname + target.search, {
      method,
      headers,
      ...(init.body !== undefined ? { body: init.body } : {}),
      redirect: 'manual',
    });
    const response = await (app.fetch ? app.fetch(request) : fetch(request));
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === '' || attrs.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a))) jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  }

  /** A tenant-relative path or an absolute URL, resolved against the tenant's origin. */
  at(tenant: TenantId, pathOrUrl: string): string {
    return new URL(pathOrUrl, ORIGIN[tenant]).href;
  }

  /** Delivers what an IdP produced (a cross-site POST brings no Lax cookie), to `url` if given. */
  deliver(d: TestDelivery, url = d.url): Promise<Response> {
    if (d.binding === 'redirect') return this.send('GET', url);
    if (d.binding === 'post') {
      return this.send('POST', url, {
        body: d.form.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        cookies: false,
      });
    }
    return this.send('POST', url, {
      body: d.body,
      headers: { 'content-type': 'text/xml; charset=utf-8' },
      cookies: false,
    });
  }

  /** Posts a Response document to an ACS URL, as an IdP's form would. */
  postResponse(url: string, xml: string): Promise<Response> {
    return this.send('POST', url, {
      body: new URLSearchParams({ SAMLResponse: toPostBinding(xml) }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      cookies: false,
    });
  }

  /** Follows the ACS's same-site finish redirect, when it answered with one. */
  async finish(tenant: TenantId, res: Response): Promise<Response> {
    const to = res.status === 303 ? res.headers.get('location') : null;
    if (!to || !/[?&]finish=/.test(to)) return res;
    return this.send('GET', this.at(tenant, to));
  }
}

interface TenantEnv {
  readonly browser: TenantBrowser;
  readonly saml: TenantServiceProviders;
  readonly idpA: TestIdp;
  readonly idpB: TestIdp;
  /** The application's IdP table: tenant → entity ID → IdP. */
  readonly db: Map<TenantId, Map<string, IdpDefinition>>;
  /** Tells samlkit that tenant's IdPs changed (what the settings page does after a save). */
  changed(tenant: TenantId): Promise<void>;
}

/** Starts one app per tenant (host routing, one shared store) and runs `body`. */
async function withTenants(
  harness: AdapterHarness,
  rows: (s: Shared) => Record<TenantId, readonly TestIdp[]>,
  body: (env: TenantEnv) => Promise<void>,
): Promise<void> {
  const parts = await sharedParts();
  const db = new Map<TenantId, Map<string, IdpDefinition>>();
  for (const [t, list] of Object.entries(rows(parts)) as [TenantId, readonly TestIdp[]][]) {
    db.set(t, new Map(list.map((i) => [i.entityId, { idp: i.config }])));
  }
  const store = new MemoryStore();
  const quiet: ServiceProviderLogger = { warn() {}, error() {} };
  const idps = createIdpResolver({
    store,
    resolve: async ({ tenant, entityId, idp }) => {
      const table = db.get(tenant as TenantId);
      const key = entityId ?? idp;
      return key !== undefined ? table?.get(key) : table?.values().next().value;
    },
  });
  const saml = createTenantServiceProviders({
    routing: 'host',
    tenantOfHost: (host) => /^([ab])\.sp\.test$/.exec(host)?.[1],
    tenants: (id) => (id === 'a' || id === 'b' ? { id, baseUrl: ORIGIN[id] } : undefined),
    sp: {
      signingKeys: [
        { privateKey: parts.spKeys.privateKey, certificate: parts.spKeys.certificatePem },
      ],
    },
    idps,
    store,
    logger: quiet,
  });
  const optionsA = await saml.optionsFor('a');
  const optionsB = await saml.optionsFor('b');
  check(
    optionsA !== undefined && optionsB !== undefined,
    'options of both tenants',
    'present',
    'none',
  );
  const a = await harness.start(optionsA!);
  let b: AdapterApp | undefined;
  try {
    b = await harness.start(optionsB!);
    await body({
      browser: new TenantBrowser({ a, b }),
      saml,
      idpA: parts.idpA,
      idpB: parts.idpB,
      db,
      changed: (tenant) => idps.invalidate({ tenant }),
    });
  } finally {
    await a.stop();
    await b?.stop();
  }
}

/** Starts a login at a tenant; returns the AuthnRequest as `idp` reads it. */
async function startAt(env: TenantEnv, tenant: TenantId, idp: TestIdp) {
  const start = await env.browser.send('GET', env.browser.at(tenant, '/saml/login'));
  check(start.status === 303, `login at tenant ${tenant}`, 303, start.status);
  return idp.readAuthnRequest(start.headers.get('location') ?? '');
}

/** A whole login at a tenant with `idp`; returns the finish step's answer. */
async function loginAt(env: TenantEnv, tenant: TenantId, idp: TestIdp): Promise<Response> {
  const { request, relayState } = await startAt(env, tenant, idp);
  const delivery = await idp.answerLogin(request, relayState, { nameId: 'ann' });
  return env.browser.finish(tenant, await env.browser.deliver(delivery));
}

async function signedIn(env: TenantEnv, tenant: TenantId): Promise<boolean> {
  const res = await env.browser.send('GET', env.browser.at(tenant, '/app/protected'), {
    headers: { accept: 'application/json' },
  });
  return res.status === 200;
}

async function codeOf(res: Response): Promise<string | undefined> {
  const text = await res.text();
  return /"code":"([A-Z_]+)"/.exec(text)?.[1] ?? /<code>([A-Z_]+)<\/code>/.exec(text)?.[1];
}

/**
 * The tenant cases of the adapter conformance suite: two tenants on their own hosts, each app
 * built by the adapter from `createTenantServiceProviders(...).optionsFor(id)` over one shared
 * store, with IdPs from a resolver the "application" feeds from its table. Isolation is checked
 * both ways, and IdPs are added and removed while the apps run.
 * @returns the cases
 */
export function tenantConformanceCases(): AdapterConformanceCase[] {
  const cases: AdapterConformanceCase[] = [];
  const add = (name: string, run: (h: AdapterHarness) => Promise<void>) =>
    cases.push({ name: `tenants: ${name}`, run });

  add('each tenant signs in with its own IdP; a session of one tenant is none at the other', (h) =>
    withTenants(
      h,
      (p) => ({ a: [p.idpA], b: [p.idpB] }),
      async (env) => {
        const done = await loginAt(env, 'a', env.idpA);
        check(done.status === 303, 'login at tenant a', 303, done.status);
        check(await signedIn(env, 'a'), 'signed in at tenant a', true, false);
        check(!(await signedIn(env, 'b')), 'signed in at tenant b', false, true);
        // Tenant a's session cookie, presented to tenant b under b's own cookie name.
        const jarA = env.browser.jars.get(ORIGIN.a)!;
        const jarB = env.browser.jars.get(ORIGIN.b) ?? new Map<string, string>();
        env.browser.jars.set(ORIGIN.b, jarB);
        const nameA = [...jarA.keys()].find((k) => !k.endsWith('_login'))!;
        jarB.set(nameA.replace(/_a$/, '_b'), jarA.get(nameA)!);
        jarB.set(nameA, jarA.get(nameA)!);
        check(
          !(await signedIn(env, 'b')),
          'tenant a’s session id at tenant b',
          'refused',
          'accepted',
        );
        const other = await loginAt(env, 'b', env.idpB);
        check(other.status === 303, 'login at tenant b', 303, other.status);
        check(await signedIn(env, 'b'), 'signed in at tenant b', true, false);
      },
    ),
  );

  add(
    'a Response for tenant A posted to tenant B’s ACS is refused there; A’s login stays intact',
    (h) =>
      withTenants(
        h,
        // Both tenants trust IdP A: only the addressing tells them apart.
        (p) => ({ a: [p.idpA], b: [p.idpA] }),
        async (env) => {
          const { request, relayState } = await startAt(env, 'a', env.idpA);
          const delivery = await env.idpA.answerLogin(request, relayState, { nameId: 'ann' });
          const wrong = await env.browser.deliver(delivery, env.browser.at('b', '/saml/acs'));
          check(wrong.status === 403, 'tenant b’s ACS', 403, wrong.status);
          check(!(await signedIn(env, 'b')), 'signed in at tenant b', false, true);
          const right = await env.browser.finish('a', await env.browser.deliver(delivery));
          check(right.status === 303, 'the same Response at tenant a', 303, right.status);
          check(await signedIn(env, 'a'), 'signed in at tenant a', true, false);
        },
      ),
  );

  add('an IdP of tenant A can never log a user into tenant B', (h) =>
    withTenants(
      h,
      (p) => ({ a: [p.idpA], b: [p.idpB] }),
      async (env) => {
        const { request } = await startAt(env, 'b', env.idpB);
        // IdP A answers tenant B's request, addressed to B in every respect.
        const xml = await buildResponse({
          idpEntityId: env.idpA.entityId,
          spEntityId: `${ORIGIN.b}/saml/metadata`,
          acsUrl: `${ORIGIN.b}/saml/acs`,
          now: Date.now(),
          inResponseTo: request.id,
          nameId: { value: 'mallory' },
          signingKey: env.idpA.keys,
        });
        const res = await env.browser.postResponse(env.browser.at('b', '/saml/acs'), xml);
        check(res.status === 400, 'IdP A at tenant b', 400, res.status);
        check((await codeOf(res)) === 'IDP_UNKNOWN', 'error code', 'IDP_UNKNOWN', 'another');
        check(!(await signedIn(env, 'b')), 'signed in at tenant b', false, true);
      },
    ),
  );

  add('a LogoutRequest at tenant B ends no session of tenant A (same IdP, same user)', (h) =>
    withTenants(
      h,
      (p) => ({ a: [p.idpA], b: [p.idpA] }),
      async (env) => {
        const done = await loginAt(env, 'a', env.idpA);
        check(done.status === 303, 'login at tenant a', 303, done.status);
        const atB = await env.idpA.logoutRequest({
          spSloUrl: `${ORIGIN.b}/saml/slo`,
          nameId: 'ann',
          binding: 'soap',
        });
        await env.browser.deliver(atB);
        check(await signedIn(env, 'a'), 'still signed in at tenant a', true, false);
        const atA = await env.idpA.logoutRequest({
          spSloUrl: `${ORIGIN.a}/saml/slo`,
          nameId: 'ann',
          binding: 'soap',
        });
        const ended = await env.browser.deliver(atA);
        check(ended.status === 200, 'SOAP logout at tenant a', 200, ended.status);
        check(!(await signedIn(env, 'a')), 'signed in at tenant a after its logout', false, true);
      },
    ),
  );

  add('IdPs added and removed at run time, without a restart', (h) =>
    withTenants(
      h,
      (p) => ({ a: [p.idpA], b: [] }),
      async (env) => {
        const none = await env.browser.send('GET', env.browser.at('b', '/saml/login'));
        check(none.status === 400, 'login at tenant b without an IdP', 400, none.status);
        // The customer's admin saves IdP B in tenant b's settings.
        env.db.get('b')!.set(env.idpB.entityId, { idp: env.idpB.config });
        await env.changed('b');
        const added = await loginAt(env, 'b', env.idpB);
        check(added.status === 303, 'login at tenant b after the IdP was added', 303, added.status);
        // A login in flight when the admin removes the IdP is refused when the Response arrives.
        const { request, relayState } = await startAt(env, 'b', env.idpB);
        env.db.get('b')!.delete(env.idpB.entityId);
        await env.changed('b');
        const late = await env.browser.deliver(
          await env.idpB.answerLogin(request, relayState, { nameId: 'ann' }),
        );
        check(late.status === 400, 'Response of a removed IdP', 400, late.status);
        // Tenant a was not affected.
        check(
          (await loginAt(env, 'a', env.idpA)).status === 303,
          'login at tenant a',
          303,
          'other',
        );
      },
    ),
  );

  return cases;
}
