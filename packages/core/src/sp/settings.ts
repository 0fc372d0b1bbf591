import {
  defineIdentityProvider,
  defineServiceProvider,
  type Endpoint,
  type IdentityProviderConfig,
  pickEndpoint,
  type ServiceProviderConfig,
  type SpKeyPair,
} from '../config.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { describeValue, SamlError } from '../errors.js';
import { DEFAULT_CLOCK_SKEW_MS } from '../lib/checks.js';
import type { IdpRegistry, ResolvedIdp } from '../metadata/registry.js';
import { MemoryStore } from '../store/memory.js';
import type { SamlStore } from '../store/types.js';
import { type CookieSettings, resolveCookie } from './cookie.js';
import { type EffectivePolicy, effectivePolicy, type IdpPolicy } from './idp-policy.js';
import { type IdpResolver, isIdpResolver } from './idp-resolver.js';
import { defaultLogger } from './log.js';
import { safeReturnTo } from './return-to.js';
import type { ServiceProviderLogger, ServiceProviderOptions } from './types.js';

/** Everything the handlers need, resolved and checked once. @internal */
export interface Settings {
  readonly options: ServiceProviderOptions;
  readonly sp: ServiceProviderConfig;
  /** IdPs by application key, in configuration order (empty when a registry is used). */
  readonly idps: ReadonlyMap<string, IdentityProviderConfig>;
  /** Finds IdPs for logins and messages (static configurations or an IdP registry). */
  readonly directory: IdpDirectory;
  readonly store: SamlStore;
  readonly base: URL;
  readonly paths: {
    readonly prefix: string;
    readonly login: string;
    readonly acs: string;
    readonly logout: string;
    readonly slo: string;
    readonly metadata: string;
  };
  readonly cookie: CookieSettings;
  readonly sessionMaxAgeMs: number;
  /** Inactivity timeout (ms), when set. */
  readonly sessionIdleMs: number | undefined;
  readonly requestTtlMs: number;
  readonly now: () => number;
  readonly clockSkewMs: number;
  readonly crypto: CryptoProvider | undefined;
  readonly logger: ServiceProviderLogger;
  /** Every ACS location (Destination and Recipient must be one of them). */
  readonly acsUrls: readonly string[];
  /** Where LogoutRequests and LogoutResponses to us must be addressed. */
  readonly sloUrls: readonly string[];
  /** The key that signs AuthnRequests and logout messages. */
  readonly signingKey: SpKeyPair | undefined;
  /**
   * Every assertion must carry its own signature (for every IdP): what SP metadata announces as
   * WantAssertionsSigned.
   */
  readonly requireAssertionSignature: boolean;
  readonly defaultReturnTo: string;
  readonly logoutComplete: string;
  readonly logoutPartial: string;
}

function configError(what: string, expected: string, found: string): SamlError {
  return new SamlError('CONFIG_INVALID', `The service provider has an invalid ${what}.`, {
    expected,
    found,
    hint: `fix ${what} in the createServiceProvider options`,
  });
}

/** @internal */
export function normalizePath(value: string | undefined, fallback: string, what: string): string {
  const path = value ?? fallback;
  if (typeof path !== 'string' || !/^\/[A-Za-z0-9._~!$&'()*+,;=:@/%-]*$/.test(path)) {
    throw configError(what, 'a path starting with /', describeValue(String(path)));
  }
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

function positive(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw configError(what, 'a positive number of milliseconds', describeValue(String(v)));
  }
  return v;
}

/** An IdP chosen for a login or a message. @internal */
export interface IdpChoice {
  /** The application key (static configuration) or the entity ID (registry). */
  readonly key: string;
  readonly idp: IdentityProviderConfig;
  /** Extra AuthnRequest query parameters (registry entries may set them). */
  readonly authnRequestParams?: Readonly<Record<string, string>>;
  /** The IdP's own policy (registry entries and resolver answers may set it). */
  readonly policy?: IdpPolicy;
}

/** Where the handlers find IdPs. @internal */
export interface IdpDirectory {
  /** For a login: by app key or entity ID (or, with a registry, an email address); default the first. */
  forLogin(hint: string | undefined): Promise<IdpChoice>;
  /**
   * For an incoming message: the IdP the pending request went to, else the one the (unverified)
   * Issuer names. Validation then checks the Issuer against it.
   */
  forMessage(issuer: string | undefined, requestedEntityId?: string): Promise<IdpChoice>;
  /** Runs a validation with the IdP's keys; a metadata source retries once after a key rollover. */
  withRollover<T>(choice: IdpChoice, fn: (idp: IdentityProviderConfig) => Promise<T>): Promise<T>;
}

function isRegistry(value: unknown): value is IdpRegistry {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as IdpRegistry).forMessage === 'function' &&
    typeof (value as IdpRegistry).resolve === 'function'
  );
}

function staticDirectory(idps: ReadonlyMap<string, IdentityProviderConfig>): IdpDirectory {
  const find = (key: string | undefined): IdpChoice => findIdpIn(idps, key);
  return {
    forLogin: async (hint) => find(hint),
    forMessage: async (issuer, requested) => {
      if (requested !== undefined) return find(requested);
      // With one IdP, validation reports a wrong Issuer precisely (ISSUER_MISMATCH).
      return idps.size === 1 ? find(undefined) : find(issuer ?? '');
    },
    withRollover: (choice, fn) => fn(choice.idp),
  };
}

function registryDirectory(registry: IdpRegistry): IdpDirectory {
  const choice = (r: ResolvedIdp): IdpChoice => ({
    key: r.entityId,
    idp: r.idp,
    authnRequestParams: r.authnRequestParams,
    ...(r.policy !== undefined && { policy: r.policy }),
  });
  return {
    async forLogin(hint) {
      const first = registry.entityIds[0];
      if (hint === undefined) {
        if (first === undefined)
          throw configError('idps', 'at least one IdP in the registry', 'none');
        return choice(await registry.resolve({ entityId: first }));
      }
      if (registry.has(hint)) return choice(await registry.resolve({ entityId: hint }));
      return choice(await registry.resolve(hint.includes('@') ? { email: hint } : { key: hint }));
    },
    async forMessage(issuer, requested) {
      return choice(await registry.forMessage(issuer ?? requested ?? '', requested));
    },
    withRollover: (c, fn) => registry.withRollover(c.idp.entityId, fn),
  };
}

function resolverDirectory(resolver: IdpResolver): IdpDirectory {
  const unknown = (what: string, value: string | undefined): SamlError =>
    new SamlError('IDP_UNKNOWN', `No IdP is configured for this ${what}.`, {
      expected: 'an IdP the application’s resolver knows (for this tenant)',
      found: value === undefined ? 'no IdP named, and no default IdP' : describeValue(value),
      hint: `check the IdP settings of this tenant, or the ${what} the login or message names`,
    });
  return {
    async forLogin(hint) {
      const def = await resolver.lookup({
        purpose: 'login',
        ...(hint !== undefined && { idp: hint }),
      });
      if (!def) throw unknown('login', hint);
      return {
        key: def.key ?? def.idp.entityId,
        idp: def.idp,
        ...(def.authnRequestParams !== undefined && { authnRequestParams: def.authnRequestParams }),
        ...(def.policy !== undefined && { policy: def.policy }),
      };
    },
    async forMessage(issuer, requested) {
      // The IdP the request went to when the message answers one, else the claimed Issuer;
      // validation then checks the (signed) Issuer against the IdP chosen here.
      const entityId = requested ?? issuer;
      if (entityId === undefined || entityId === '') throw unknown('message Issuer', entityId);
      const def = await resolver.lookup({ purpose: 'message', entityId });
      if (!def) throw unknown('message Issuer', entityId);
      return {
        key: def.key ?? def.idp.entityId,
        idp: def.idp,
        ...(def.policy !== undefined && { policy: def.policy }),
      };
    },
    withRollover: (choice, fn) => fn(choice.idp),
  };
}

/**
 * The policy in force for an IdP: its own fields over the SP options over the defaults.
 * @internal
 */
export function policyFor(s: Settings, choice: IdpChoice): EffectivePolicy {
  const o = s.options;
  return effectivePolicy(
    choice.policy,
    {
      clockSkewMs: s.clockSkewMs,
      ...(o.allowSha1 !== undefined && { allowSha1: o.allowSha1 }),
      ...(o.allowUnsolicited !== undefined && { allowUnsolicited: o.allowUnsolicited }),
      ...(o.userIdAttribute !== undefined && { userIdAttribute: o.userIdAttribute }),
      ...(o.requireEncryption !== undefined && { requireEncryption: o.requireEncryption }),
      ...(s.sp.nameIdFormats?.[0] !== undefined && { nameIdFormat: s.sp.nameIdFormats[0] }),
      ...(o.authnRequestBinding !== undefined && { authnRequestBinding: o.authnRequestBinding }),
      ...(o.responseBinding !== undefined && { responseBinding: o.responseBinding }),
      requireAssertionSignature: s.requireAssertionSignature,
      ...(o.requireResponseSignature !== undefined && {
        requireResponseSignature: o.requireResponseSignature,
      }),
      ...(o.scopedAttributes !== undefined && { scopedAttributes: o.scopedAttributes }),
    },
    choice.idp.entityId,
  );
}

/**
 * Finds a configured IdP by application key or entity ID (the first when `key` is undefined).
 * @throws SamlError `IDP_UNKNOWN`
 * @internal
 */
export function findIdpIn(
  idps: ReadonlyMap<string, IdentityProviderConfig>,
  key: string | undefined,
): IdpChoice {
  if (key === undefined) {
    const [first] = idps.entries();
    return { key: first![0], idp: first![1] };
  }
  const direct = idps.get(key);
  if (direct) return { key, idp: direct };
  for (const [k, idp] of idps) if (idp.entityId === key) return { key: k, idp };
  throw new SamlError('IDP_UNKNOWN', 'The identity provider is not configured.', {
    expected: `one of ${[...idps.keys()].map((k) => describeValue(k)).join(', ')}`,
    found: describeValue(key),
    hint: 'add the IdP to the idps option, or fix the idp parameter / the message Issuer',
  });
}

function collectIdps(idps: ServiceProviderOptions['idps']): Map<string, IdentityProviderConfig> {
  const map = new Map<string, IdentityProviderConfig>();
  if (isRegistry(idps) || isIdpResolver(idps)) return map;
  if (!idps || typeof idps !== 'object') {
    throw configError(
      'idps',
      'an IdP configuration, a list of them, or a record of them',
      typeof idps,
    );
  }
  if (Array.isArray(idps)) {
    for (const idp of idps as readonly IdentityProviderConfig[]) {
      map.set(idp.entityId, defineIdentityProvider(idp));
    }
  } else if ('entityId' in idps && typeof idps.entityId === 'string') {
    const idp = idps as IdentityProviderConfig;
    map.set(idp.entityId, defineIdentityProvider(idp));
  } else {
    for (const [key, idp] of Object.entries(idps as Record<string, IdentityProviderConfig>)) {
      map.set(key, defineIdentityProvider(idp));
    }
  }
  const seen = new Set<string>();
  for (const idp of map.values()) {
    if (seen.has(idp.entityId)) {
      throw configError('idps', 'each IdP entity ID once', describeValue(idp.entityId));
    }
    seen.add(idp.entityId);
  }
  return map;
}

function activeKey(keys: readonly SpKeyPair[] | undefined): SpKeyPair | undefined {
  return keys?.find((k) => k.active) ?? keys?.[0];
}

/**
 * Checks and resolves {@link ServiceProviderOptions}.
 * @throws SamlError `CONFIG_INVALID`; TypeError for malformed cookie options
 * @internal
 */
export function resolveSettings(options: ServiceProviderOptions): Settings {
  if (!options || typeof options !== 'object') {
    throw new TypeError('createServiceProvider: options must be an object');
  }
  const sp = defineServiceProvider(options.sp);
  const idps = collectIdps(options.idps);
  if (idps.size === 0 && !isRegistry(options.idps) && !isIdpResolver(options.idps)) {
    throw configError('idps', 'at least one IdP', 'none');
  }
  const defaultAcs = pickEndpoint(sp.assertionConsumerServices) as Endpoint;
  let base: URL;
  try {
    base = new URL(options.baseUrl ?? new URL(defaultAcs.location).origin);
  } catch {
    throw configError('baseUrl', 'an absolute http(s) URL', describeValue(String(options.baseUrl)));
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') {
    throw configError('baseUrl', 'an http: or https: URL', describeValue(base.href));
  }
  const prefix = normalizePath(options.paths?.prefix, '/saml', 'paths.prefix');
  const under = (name: string) => (prefix === '/' ? `/${name}` : `${prefix}/${name}`);
  const paths = {
    prefix,
    login: normalizePath(options.paths?.login, under('login'), 'paths.login'),
    acs: normalizePath(options.paths?.acs, under('acs'), 'paths.acs'),
    logout: normalizePath(options.paths?.logout, under('logout'), 'paths.logout'),
    slo: normalizePath(options.paths?.slo, under('slo'), 'paths.slo'),
    metadata: normalizePath(options.paths?.metadata, under('metadata'), 'paths.metadata'),
  };
  const acsUrls = sp.assertionConsumerServices.map((e) => e.location);
  if (!acsUrls.some((u) => new URL(u).pathname === paths.acs)) {
    throw configError(
      'paths.acs',
      `the path of one of the SP's AssertionConsumerService URLs (${acsUrls.join(', ')})`,
      describeValue(paths.acs),
    );
  }
  const sloUrls = (sp.singleLogoutServices ?? []).map((e) => e.location);
  const origin = base.origin;
  const page = (value: string | undefined, fallback: string, what: string): string => {
    const p = value === undefined ? fallback : safeReturnTo(value, origin);
    if (p === undefined)
      throw configError(what, 'a same-origin path such as /', describeValue(value));
    return p;
  };
  const defaultReturnTo = page(options.defaultReturnTo, '/', 'defaultReturnTo');
  const logoutComplete = page(options.logoutPages?.complete, '/', 'logoutPages.complete');
  const logoutPartial = page(options.logoutPages?.partial, logoutComplete, 'logoutPages.partial');
  const signingKey = activeKey(sp.signingKeys);
  for (const idp of idps.values()) {
    if (idp.wantAuthnRequestsSigned && !signingKey) {
      throw configError(
        'sp.signingKeys',
        `a signing key: IdP ${idp.entityId} wants signed AuthnRequests`,
        'none',
      );
    }
  }
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new TypeError('createServiceProvider: now must be a function returning epoch ms');
  }
  return {
    options,
    sp,
    idps,
    directory: isRegistry(options.idps)
      ? registryDirectory(options.idps)
      : isIdpResolver(options.idps)
        ? resolverDirectory(options.idps)
        : staticDirectory(idps),
    store: options.store ?? new MemoryStore(),
    base,
    paths,
    cookie: resolveCookie(options.cookie, base),
    sessionMaxAgeMs: positive(options.sessionMaxAgeMs, 8 * 3600_000, 'sessionMaxAgeMs'),
    sessionIdleMs:
      options.sessionIdleTimeoutMs === undefined
        ? undefined
        : positive(options.sessionIdleTimeoutMs, 0, 'sessionIdleTimeoutMs'),
    requestTtlMs: positive(options.requestTtlMs, 15 * 60_000, 'requestTtlMs'),
    now: options.now ?? Date.now,
    clockSkewMs: options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS,
    crypto: options.crypto,
    logger: options.logger ?? defaultLogger,
    acsUrls,
    sloUrls,
    signingKey,
    requireAssertionSignature:
      options.requireAssertionSignature ?? options.metadata?.wantAssertionsSigned === true,
    defaultReturnTo,
    logoutComplete,
    logoutPartial,
  };
}

/**
 * The public origin of a request: the configured base URL, or with `trustProxy` the one the proxy
 * forwarded.
 * @internal
 */
export function publicOrigin(s: Settings, request: Request): string {
  if (!s.options.trustProxy) return s.base.origin;
  const first = (name: string) => request.headers.get(name)?.split(',')[0]?.trim() || undefined;
  const proto = first('x-forwarded-proto') ?? new URL(request.url).protocol.replace(':', '');
  const host = first('x-forwarded-host') ?? first('host');
  if (!host || (proto !== 'http' && proto !== 'https')) return s.base.origin;
  try {
    return new URL(`${proto}://${host}`).origin;
  } catch {
    return s.base.origin;
  }
}

/**
 * A same-origin return path that is not one of the SAML endpoints (which would loop), or undefined.
 * @internal
 */
export function returnPath(s: Settings, value: unknown): string | undefined {
  const path = safeReturnTo(value, s.base.origin);
  if (path === undefined) return undefined;
  const pathname = path.replace(/[?#].*$/, '');
  const saml = [s.paths.login, s.paths.acs, s.paths.logout, s.paths.slo];
  return saml.includes(pathname) ? undefined : path;
}
