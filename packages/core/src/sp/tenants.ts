import type { ServiceProviderConfig, SpKeyPair } from '../config.js';
import { describeValue, SamlError } from '../errors.js';
import { MemoryStore } from '../store/memory.js';
import type { SamlStore } from '../store/types.js';
import { type IdpResolver, isIdpResolver } from './idp-resolver.js';
import { createServiceProvider } from './service-provider.js';
import { tenantStore } from './tenant-store.js';
import type { ServiceProvider, ServiceProviderOptions, SessionCookieOptions } from './types.js';

/** The SP options a tenant may set for itself (each falls back to the shared options). */
export type TenantOverrides = Partial<
  Pick<
    ServiceProviderOptions,
    | 'allowSha1'
    | 'allowUnsolicited'
    | 'userIdAttribute'
    | 'requireEncryption'
    | 'requireAssertionSignature'
    | 'requireResponseSignature'
    | 'clockSkewMs'
    | 'authnRequestBinding'
    | 'responseBinding'
    | 'authnContexts'
    | 'sessionMaxAgeMs'
  >
>;

/** One tenant (customer) of a SaaS application, as the application's `tenants` lookup answers it. */
export interface TenantConfig {
  /** The tenant's ID: 1–64 characters of `A–Z a–z 0–9 _ -` (it appears in paths and cookie names). */
  readonly id: string;
  /**
   * Host routing: the tenant's public origin, e.g. `https://acme.app.example`. Path routing: not
   * used (the shared `baseUrl` serves every tenant).
   */
  readonly baseUrl?: string;
  /**
   * The tenant's SP entity ID. Default `<tenant base>/saml/metadata` (`<baseUrl>/t/<id>/saml/metadata`
   * with path routing).
   */
  readonly entityId?: string;
  /** The tenant's own SP signing keys. Default the shared `sp.signingKeys`. */
  readonly signingKeys?: readonly SpKeyPair[];
  /** The tenant's own SP decryption keys. Default the shared `sp.decryptionKeys`. */
  readonly decryptionKeys?: readonly SpKeyPair[];
  /**
   * The tenant's IdPs. Default the shared `idps` resolver, asked with this tenant's ID
   * (`IdpLookup.tenant`). A resolver given here is scoped to this tenant too.
   */
  readonly idps?: ServiceProviderOptions['idps'];
  /** Per-tenant SP options (policy defaults for the tenant's IdPs, session lifetime). */
  readonly options?: TenantOverrides;
  /** The tenant's own {@link TenantServiceProvidersOptions.acsBindings}. Default the shared one. */
  readonly acsBindings?: readonly ('artifact' | 'simpleSign')[];
}

/** Options for {@link createTenantServiceProviders}. */
export interface TenantServiceProvidersOptions
  extends Omit<ServiceProviderOptions, 'sp' | 'idps' | 'baseUrl' | 'paths' | 'cookie' | 'store'> {
  /**
   * Finds a tenant by ID (typically in the application's database); `undefined` for no such
   * tenant (its URLs then answer nothing: `handle` returns `undefined`).
   */
  readonly tenants: (id: string) => Promise<TenantConfig | undefined> | TenantConfig | undefined;
  /**
   * `path` (default): tenant `acme` lives under `<baseUrl>/t/acme/` (`pathPrefix`), its SAML
   * endpoints under `/t/acme/saml/`. `host`: each tenant has its own origin (`TenantConfig.baseUrl`)
   * and its SAML endpoints under `/saml/`; `tenantOfHost` says which tenant a host name is.
   */
  readonly routing?: 'path' | 'host';
  /** Path routing: the public base URL shared by every tenant, e.g. `https://app.example.com`. */
  readonly baseUrl?: string;
  /** Path routing: the segment before the tenant ID. Default `/t`. */
  readonly pathPrefix?: string;
  /** Host routing: the tenant ID of a host name (e.g. `acme.app.example` → `acme`). */
  readonly tenantOfHost?: (host: string) => string | undefined;
  /** SP settings shared by every tenant (keys, NameID formats, signing algorithm). */
  readonly sp?: Omit<
    Partial<ServiceProviderConfig>,
    'entityId' | 'assertionConsumerServices' | 'singleLogoutServices'
  >;
  /**
   * The IdPs: a resolver (`createIdpResolver`) every tenant shares, each lookup made for the
   * tenant the request arrived at. Optional when every tenant names its own `idps`.
   */
  readonly idps?: IdpResolver;
  /** The shared store; each tenant sees its own namespace of it (`tenantStore`). Default a new `MemoryStore`. */
  readonly store?: SamlStore;
  /** Cookie attributes; the name is per tenant (`<name>_<tenant id>`). */
  readonly cookie?: SessionCookieOptions;
  /** How long a tenant's configuration is reused before `tenants` is asked again (ms). Default 1 minute. */
  readonly cacheTtlMs?: number;
  /**
   * Response bindings accepted at every tenant's ACS besides HTTP-POST and HTTP-Redirect:
   * `artifact` (HTTP-Artifact) and/or `simpleSign` (HTTP-POST-SimpleSign). Each becomes an
   * AssertionConsumerService of the tenant (announced in its metadata); `responseBinding` asks
   * the IdPs for one. Default none.
   */
  readonly acsBindings?: readonly ('artifact' | 'simpleSign')[];
}

/** The service providers of every tenant of one application. */
export interface TenantServiceProviders {
  /** The tenant a request is addressed to (by its path or host), whether or not it exists. */
  tenantOf(request: Request): string | undefined;
  /** The service provider of a tenant, or `undefined` when the `tenants` lookup does not know it. */
  forTenant(id: string): Promise<ServiceProvider | undefined>;
  /**
   * The service-provider options of a tenant (its SP configuration, paths, cookie, store
   * namespace and IdPs), for the framework adapters: `createSamlExpress(await saml.optionsFor(id))`.
   * `undefined` for an unknown tenant.
   */
  optionsFor(id: string): Promise<ServiceProviderOptions | undefined>;
  /** The service provider of the tenant a request is addressed to. */
  forRequest(request: Request): Promise<ServiceProvider | undefined>;
  /**
   * Routes a request to its tenant's SAML endpoint; `undefined` for any other path, and for an
   * unknown tenant.
   */
  handle(request: Request): Promise<Response | undefined>;
  /** Forgets a tenant's cached configuration (or every tenant's): call it after a change. */
  invalidate(id?: string): void;
}

const TENANT_ID = /^[A-Za-z0-9_-]{1,64}$/;

function configError(what: string, expected: string, found: string): SamlError {
  return new SamlError('CONFIG_INVALID', `The tenant configuration has an invalid ${what}.`, {
    expected,
    found,
    hint: `fix ${what} in the createTenantServiceProviders options or the tenants lookup`,
  });
}

/**
 * Serves many tenants (customers) from one application, each with its own SP entity ID, ACS and
 * SLO URLs and metadata (path- or host-based), optionally its own SP keys, and its own IdPs.
 *
 * Tenants are isolated by construction: each tenant's service provider has its own audience and
 * endpoint URLs (a Response or LogoutRequest addressed to tenant A fails the Destination,
 * Recipient and Audience checks at tenant B), its own namespace of the shared store (a pending
 * login, finish code or session of tenant A does not exist for tenant B), its own session cookie
 * name, and resolves IdPs for itself only (an IdP of tenant A is unknown at tenant B).
 *
 * Tenants are added, changed and removed without a restart: `tenants` is asked again after
 * `cacheTtlMs` or `invalidate`.
 *
 * @param options - the tenants lookup, routing, shared SP settings, IdP resolver and store, plus
 *   the usual service-provider options (hooks, logger, policy defaults)
 * @returns the tenants' service providers
 * @throws SamlError `CONFIG_INVALID` for an unusable routing setup
 * @example Path-based tenants with IdPs from the application's database
 * ```ts
 * const saml = createTenantServiceProviders({
 *   baseUrl: 'https://app.example.com',
 *   store,
 *   sp: { signingKeys: [spKey] },
 *   idps: createIdpResolver({ store, resolve: ({ tenant, entityId, idp }) => db.findIdp(tenant, entityId ?? idp) }),
 *   tenants: async (id) => ((await db.tenants.exists(id)) ? { id } : undefined),
 * });
 * // any Fetch-API runtime:
 * export default { fetch: async (req: Request) => (await saml.handle(req)) ?? app(req) };
 * ```
 * @see SAML 2.0 core §2.5.1.4 (Audience), §3.2.1 (Destination); profiles §4.1.4.3
 */
export function createTenantServiceProviders(
  options: TenantServiceProvidersOptions,
): TenantServiceProviders {
  if (!options || typeof options.tenants !== 'function') {
    throw new TypeError('createTenantServiceProviders: tenants must be a function');
  }
  const routing = options.routing ?? 'path';
  if (routing !== 'path' && routing !== 'host') {
    throw configError('routing', '"path" or "host"', describeValue(String(routing)));
  }
  const prefix = options.pathPrefix ?? '/t';
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(prefix)) {
    throw configError('pathPrefix', 'a path such as /t', describeValue(String(prefix)));
  }
  let sharedBase: URL | undefined;
  if (routing === 'path') {
    try {
      sharedBase = new URL(options.baseUrl ?? '');
    } catch {
      throw configError(
        'baseUrl',
        'an absolute http(s) URL',
        describeValue(String(options.baseUrl)),
      );
    }
  } else if (typeof options.tenantOfHost !== 'function') {
    throw configError('tenantOfHost', 'a function from host name to tenant ID', 'none');
  }
  if (options.idps !== undefined && !isIdpResolver(options.idps)) {
    throw configError('idps', 'an IdP resolver (createIdpResolver)', typeof options.idps);
  }
  const ttl = options.cacheTtlMs ?? 60_000;
  const now = options.now ?? Date.now;
  const store = options.store ?? new MemoryStore();
  const {
    tenants: _tenants,
    routing: _routing,
    baseUrl: _baseUrl,
    pathPrefix: _pathPrefix,
    tenantOfHost: _tenantOfHost,
    sp: sharedSp,
    idps: sharedIdps,
    store: _store,
    cookie,
    cacheTtlMs: _cacheTtlMs,
    acsBindings: sharedAcsBindings,
    ...common
  } = options;
  const cache = new Map<string, { at: number; sp: Promise<ServiceProvider | undefined> }>();

  function tenantOf(request: Request): string | undefined {
    const url = new URL(request.url);
    if (routing === 'host') {
      const host = options.trustProxy
        ? (request.headers.get('x-forwarded-host')?.split(',')[0]?.trim() ?? url.host)
        : url.host;
      const id = options.tenantOfHost!(host.toLowerCase());
      return id !== undefined && TENANT_ID.test(id) ? id : undefined;
    }
    const rest = url.pathname.startsWith(`${prefix}/`) ? url.pathname.slice(prefix.length + 1) : '';
    const id = rest.split('/')[0] ?? '';
    return TENANT_ID.test(id) ? id : undefined;
  }

  async function optionsFor(id: string): Promise<ServiceProviderOptions | undefined> {
    if (typeof id !== 'string' || !TENANT_ID.test(id)) return undefined;
    const t = await options.tenants(id);
    if (t === undefined) return undefined;
    if (!t || t.id !== id) {
      throw configError('tenant', `the tenant ${describeValue(id)}`, describeValue(String(t?.id)));
    }
    let base: string;
    let samlPrefix: string;
    let home: string;
    if (routing === 'host') {
      if (!t.baseUrl) throw configError('tenant baseUrl', 'the tenant’s public origin', 'none');
      base = new URL(t.baseUrl).origin;
      samlPrefix = '/saml';
      home = '/';
    } else {
      base = sharedBase!.origin;
      samlPrefix = `${prefix}/${id}/saml`;
      home = `${prefix}/${id}/`;
    }
    const idps = t.idps ?? sharedIdps;
    if (idps === undefined) {
      throw configError(
        'idps',
        `IdPs for tenant ${describeValue(id)} (shared resolver or its own)`,
        'none',
      );
    }
    const https = base.startsWith('https:');
    const cookieName = cookie?.name ?? (https ? '__Host-samlkit' : 'samlkit');
    const sp: ServiceProviderConfig = {
      ...(sharedSp ?? {}),
      entityId: t.entityId ?? `${base}${samlPrefix}/metadata`,
      assertionConsumerServices: [
        { binding: 'post', location: `${base}${samlPrefix}/acs`, index: 0, isDefault: true },
        { binding: 'redirect', location: `${base}${samlPrefix}/acs`, index: 1 },
        // Opt-in response bindings (SAML bindings §3.6, SimpleSign): enabled by being listed.
        ...(t.acsBindings ?? sharedAcsBindings ?? []).map((binding, i) => ({
          binding,
          location: `${base}${samlPrefix}/acs`,
          index: 2 + i,
        })),
      ],
      singleLogoutServices: [
        { binding: 'redirect', location: `${base}${samlPrefix}/slo` },
        { binding: 'post', location: `${base}${samlPrefix}/slo` },
        { binding: 'soap', location: `${base}${samlPrefix}/slo` },
      ],
      ...(t.signingKeys !== undefined && { signingKeys: t.signingKeys }),
      ...(t.decryptionKeys !== undefined && { decryptionKeys: t.decryptionKeys }),
    };
    return {
      defaultReturnTo: home,
      logoutPages: { complete: home },
      ...common,
      ...(t.options ?? {}),
      sp,
      idps: isIdpResolver(idps) ? idps.forTenant(id) : idps,
      baseUrl: base,
      paths: { prefix: samlPrefix },
      store: tenantStore(store, id),
      cookie: { ...(cookie ?? {}), name: `${cookieName}_${id}` },
    };
  }

  async function build(id: string): Promise<ServiceProvider | undefined> {
    const o = await optionsFor(id);
    return o === undefined ? undefined : createServiceProvider(o);
  }

  async function forTenant(id: string): Promise<ServiceProvider | undefined> {
    if (typeof id !== 'string' || !TENANT_ID.test(id)) return undefined;
    const hit = cache.get(id);
    if (hit && now() - hit.at < ttl) return hit.sp;
    const sp = build(id);
    cache.set(id, { at: now(), sp });
    // A failed or unknown tenant is not cached: it may be fixed or added a moment later.
    sp.then(
      (v) => {
        if (v === undefined && cache.get(id)?.sp === sp) cache.delete(id);
      },
      () => {
        if (cache.get(id)?.sp === sp) cache.delete(id);
      },
    );
    return sp;
  }

  const forRequest = async (request: Request): Promise<ServiceProvider | undefined> => {
    const id = tenantOf(request);
    return id === undefined ? undefined : forTenant(id);
  };

  return Object.freeze({
    tenantOf,
    forTenant,
    optionsFor,
    forRequest,
    async handle(request: Request): Promise<Response | undefined> {
      const sp = await forRequest(request);
      return sp ? sp.handle(request) : undefined;
    },
    invalidate(id?: string): void {
      if (id === undefined) cache.clear();
      else cache.delete(id);
    },
  });
}
