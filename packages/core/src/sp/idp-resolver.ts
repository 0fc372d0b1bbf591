import { defineIdentityProvider, type IdentityProviderConfig } from '../config.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { createSessionId } from '../store/session-id.js';
import type { SamlStore } from '../store/types.js';
import type { IdpPolicy } from './idp-policy.js';

/**
 * What the service provider asks an {@link IdpResolver} for.
 *
 * - `purpose: 'login'`: a user starts a login. `idp` is the raw `?idp=` value of the login
 *   endpoint (or `LoginOptions.idp`): a key, an entity ID or an email address, as the application
 *   chose to offer; absent when the login names no IdP (answer the tenant's default IdP, if any).
 * - `purpose: 'message'`: a Response or logout message arrived; `entityId` is the IdP it claims
 *   to come from (or, for a reply, the IdP the request went to). Answer that IdP's configuration,
 *   or `undefined` when this tenant does not trust it. The message is then verified with the keys
 *   you answer, never with keys it brings.
 *
 * `tenant` is the tenant the request arrived at, when the SP serves tenants
 * ({@link createTenantServiceProviders}); answer only IdPs of that tenant.
 */
export interface IdpLookup {
  readonly purpose: 'login' | 'message';
  readonly tenant?: string;
  readonly idp?: string;
  readonly entityId?: string;
}

/** One IdP as the application's resolver describes it (typically a row of its database). */
export interface IdpDefinition {
  /** The IdP's configuration: entity ID, endpoints and signing keys (e.g. from `parseIdpMetadata`). */
  readonly idp: IdentityProviderConfig;
  /** How the SP treats this IdP (each field falls back to the SP options). */
  readonly policy?: IdpPolicy;
  /**
   * Extra query parameters for AuthnRequests to this IdP, e.g. `{ domain_hint: 'contoso.com' }`
   * (Entra ID) or `{ whr: '…' }` (AD FS). Sent on the HTTP-Redirect binding.
   */
  readonly authnRequestParams?: Readonly<Record<string, string>>;
  /** The application's key for this IdP, reported as `SamlProfile.idpKey`. Default its entity ID. */
  readonly key?: string;
}

/** Options for {@link createIdpResolver}. */
export interface IdpResolverOptions {
  /**
   * Finds an IdP, typically in the application's database. Answer `undefined` when nothing
   * matches. Called again after `ttlMs`, after `invalidate`, and never for a lookup that is
   * already in flight (concurrent lookups share one call).
   */
  readonly resolve: (lookup: IdpLookup) => Promise<IdpDefinition | undefined>;
  /**
   * Where invalidations are published so that every node of a cluster sees them: pass the SP's
   * store (`RedisStore` in a cluster). Each cached answer is checked against the store's
   * invalidation marks before use (reads only). Without a store, `invalidate` reaches this
   * process only and other nodes follow after `ttlMs`.
   */
  readonly store?: Pick<SamlStore, 'getValue' | 'setValue'>;
  /** How long an answer is reused without asking `resolve` again (ms). Default 5 minutes. */
  readonly ttlMs?: number;
  /** The clock (epoch ms). Default `Date.now`. */
  readonly now?: () => number;
  /** The random source for invalidation marks (default the runtime's WebCrypto). */
  readonly crypto?: CryptoProvider;
}

/** What to drop from the cache: everything, one tenant's IdPs, or one IdP (of one tenant). */
export interface IdpInvalidation {
  readonly tenant?: string;
  readonly entityId?: string;
}

/**
 * IdPs resolved at run time by the application, with a cache. Pass it as the `idps` option of
 * `createServiceProvider` (or of {@link createTenantServiceProviders}).
 */
export interface IdpResolver {
  /** The IdP for a lookup, from the cache or the application's `resolve`. */
  lookup(lookup: IdpLookup): Promise<IdpDefinition | undefined>;
  /**
   * Forgets cached answers, on this node at once and (with a store) on every node sharing the
   * store at their next lookup. Call it after an IdP was added, changed or removed.
   * @throws SamlError `STORE_UNAVAILABLE` when the mark cannot be written (the local cache is
   *   cleared anyway)
   */
  invalidate(target?: IdpInvalidation): Promise<void>;
  /** The same resolver and cache, with every lookup made for `tenant`. */
  forTenant(tenant: string): IdpResolver;
}

interface Cached {
  readonly def: IdpDefinition;
  readonly tenant: string;
  readonly entityId: string;
  readonly at: number;
  readonly marks: readonly (string | undefined)[];
}

const MARK_PREFIX = 'samlkit:idp-inval:';

/**
 * The store key of an invalidation mark: `undefined` tenant or entity ID means "any". An answer
 * cached for (tenant, entityId) is stale when any of the four marks that cover it changed.
 */
function markKey(tenant: string | undefined, entityId: string | undefined): string {
  const part = (v: string | undefined) => (v === undefined ? '*' : `=${encodeURIComponent(v)}`);
  return `${MARK_PREFIX}${part(tenant)}:${part(entityId)}`;
}

function markKeys(tenant: string, entityId: string): readonly string[] {
  return [
    markKey(undefined, undefined),
    markKey(tenant, undefined),
    markKey(undefined, entityId),
    markKey(tenant, entityId),
  ];
}

function checkDefinition(def: IdpDefinition, lookup: IdpLookup): IdpDefinition {
  if (!def || typeof def !== 'object' || !def.idp) {
    throw new TypeError('IdP resolver: resolve must answer { idp, policy? } or undefined');
  }
  // Check (and freeze) the configuration as createServiceProvider does for static IdPs.
  const idp = defineIdentityProvider(def.idp);
  if (
    lookup.purpose === 'message' &&
    lookup.entityId !== undefined &&
    idp.entityId !== lookup.entityId
  ) {
    // An answer for another IdP would verify the message with the wrong keys: treat as unknown.
    return { ...def, idp, key: '\u0000mismatch' };
  }
  return { ...def, idp };
}

/**
 * Creates a cached IdP resolver: the SaaS shape, where each customer configures its own IdP in the
 * application's settings page and the application stores it in its own database. IdPs are added,
 * changed and removed without a restart: answers are cached for `ttlMs`, and `invalidate` drops
 * them at once on this node and, through the store, on every node of a cluster.
 *
 * Negative answers (`undefined`) are never cached, so an IdP added a moment ago is found at once.
 *
 * @param options - the application's `resolve`, the store that carries invalidations, the TTL
 * @returns the resolver
 * @throws TypeError when `resolve` is not a function or `ttlMs` is not a positive number
 * @example IdPs kept in the application's database
 * ```ts
 * const idps = createIdpResolver({
 *   store,
 *   resolve: async ({ purpose, tenant, idp, entityId }) => {
 *     const row = purpose === 'message'
 *       ? await db.idps.findOne({ tenant, entityId })
 *       : await db.idps.findOne({ tenant, ...(idp ? { slug: idp } : { isDefault: true }) });
 *     return row && { idp: parseIdpMetadata(row.metadataXml), policy: row.policy };
 *   },
 * });
 * const saml = createServiceProvider({ sp, idps, store, baseUrl });
 * // after the settings page saved a change:
 * await idps.invalidate({ entityId: row.entityId });
 * ```
 * @see SAML 2.0 profiles §4.1.4.2 (the Issuer decides whose keys verify a Response)
 */
export function createIdpResolver(options: IdpResolverOptions): IdpResolver {
  if (!options || typeof options.resolve !== 'function') {
    throw new TypeError('createIdpResolver: resolve must be a function');
  }
  const ttlMs = options.ttlMs ?? 5 * 60_000;
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new TypeError('createIdpResolver: ttlMs must be a positive number of milliseconds');
  }
  const now = options.now ?? Date.now;
  const store = options.store;
  const cache = new Map<string, Cached>();
  const inFlight = new Map<string, Promise<IdpDefinition | undefined>>();
  // Bumped by every local invalidate: an answer fetched across one is not cached.
  let localEpoch = 0;

  const cacheKey = (l: IdpLookup): string =>
    JSON.stringify([l.purpose, l.tenant ?? '', l.idp ?? null, l.entityId ?? null]);

  async function readMarks(tenant: string, entityId: string): Promise<(string | undefined)[]> {
    if (!store) return [];
    return Promise.all(markKeys(tenant, entityId).map((k) => store.getValue(k)));
  }

  async function fetchFresh(l: IdpLookup, key: string): Promise<IdpDefinition | undefined> {
    const epoch = localEpoch;
    const tenant = l.tenant ?? '';
    // Marks are read before asking the application: an invalidation that lands while `resolve`
    // runs changes a mark after this read, so the answer is refetched at the next lookup.
    const before = l.entityId !== undefined ? await readMarks(tenant, l.entityId) : undefined;
    const answer = await options.resolve(l);
    if (answer === undefined) return undefined;
    const def = checkDefinition(answer, l);
    if (def.key === '\u0000mismatch') return undefined;
    const marks = before ?? (await readMarks(tenant, def.idp.entityId));
    if (epoch === localEpoch) {
      cache.set(key, { def, tenant, entityId: def.idp.entityId, at: now(), marks });
    }
    return def;
  }

  async function lookup(l: IdpLookup): Promise<IdpDefinition | undefined> {
    if (!l || (l.purpose !== 'login' && l.purpose !== 'message')) {
      throw new TypeError('IdP resolver: lookup.purpose must be "login" or "message"');
    }
    const key = cacheKey(l);
    const hit = cache.get(key);
    if (hit && now() - hit.at < ttlMs) {
      const marks = await readMarks(hit.tenant, hit.entityId);
      if (marks.every((m, i) => m === hit.marks[i])) return hit.def;
    }
    cache.delete(key);
    const running = inFlight.get(key);
    if (running) return running;
    const p = fetchFresh(l, key).finally(() => inFlight.delete(key));
    inFlight.set(key, p);
    return p;
  }

  async function invalidate(target: IdpInvalidation = {}): Promise<void> {
    localEpoch++;
    const tenant = target.tenant;
    const entityId = target.entityId;
    for (const [k, c] of cache) {
      if (tenant !== undefined && c.tenant !== tenant) continue;
      if (entityId !== undefined && c.entityId !== entityId) continue;
      cache.delete(k);
    }
    inFlight.clear();
    if (!store) return;
    // A mark lives as long as any answer cached before it could (ttlMs), plus a margin; an
    // expired mark reads as "changed" for answers cached under it, which only refetches.
    await store.setValue(
      markKey(tenant, entityId),
      createSessionId(options.crypto),
      now() + ttlMs + 60_000,
    );
  }

  const make = (fixed: string | undefined): IdpResolver =>
    Object.freeze({
      lookup: (l: IdpLookup) => lookup(fixed === undefined ? l : { ...l, tenant: fixed }),
      invalidate: (t?: IdpInvalidation) =>
        invalidate(fixed === undefined ? t : { ...(t ?? {}), tenant: fixed }),
      forTenant: (tenant: string) => {
        if (typeof tenant !== 'string' || tenant === '') {
          throw new TypeError('IdpResolver.forTenant: tenant must be a non-empty string');
        }
        return make(tenant);
      },
    });
  return make(undefined);
}

/** Whether `value` is an {@link IdpResolver}. @internal */
export function isIdpResolver(value: unknown): value is IdpResolver {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as IdpResolver).lookup === 'function' &&
    typeof (value as IdpResolver).invalidate === 'function' &&
    typeof (value as IdpResolver).forTenant === 'function'
  );
}
