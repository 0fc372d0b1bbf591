// The Metadata Query Protocol (draft-young-md-query, and its SAML profile
// draft-young-md-query-saml): IdP metadata fetched per entity from a federation's MDQ service,
// its signature checked with the service's pinned key. Each entity is one metadata source
// (source.ts), so it follows the rules of single-IdP metadata: background refresh by
// validUntil/cacheDuration, conditional requests, a per-entity rate limit, the last good copy kept
// on failure, and the verified document shared through the store (one download for a cluster).
import { resolveCrypto } from '../crypto/provider.js';
import { describeValue, SamlError } from '../errors.js';
import type { IdpDefinition, IdpLookup, IdpResolver } from '../sp/idp-resolver.js';
import type { IdpMetadata } from './idp.js';
import {
  budgetExceeded,
  createTokenBucket,
  DEFAULT_MDQ_NEW_ENTITY_BUDGET,
  type TokenBucket,
} from './mdq-budget.js';
import type { MdqEvent, MdqLookupPurpose, MdqSource, MdqSourceOptions } from './mdq-types.js';
import { defaultSleep } from './refresher.js';
import { createMetadataSource } from './source.js';
import type { MetadataSource } from './source-types.js';

export type { MdqEvent, MdqLookupPurpose, MdqSource, MdqSourceOptions } from './mdq-types.js';

/** Per source: how many late 404 answers are held until a lookup reads them. @internal */
const held404 = new WeakMap<MdqSource, () => number>();

/** The number of 404 answers a source holds for lookups still to read them. @internal */
export function mdqHeld404Count(source: MdqSource): number {
  return held404.get(source)?.() ?? 0;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Creates an MDQ client: each lookup GETs `{baseUrl}/entities/{URL-encoded entityID}` (or the
 * `{sha1}` form) with `Accept: application/samlmetadata+xml`, verifies the response's signature
 * with the pinned `keys`, and caches it — in memory and, with a `store`, for the whole cluster —
 * until its `cacheDuration`/`validUntil` say to refresh, which then happens in the background while
 * the copy held keeps serving. Refreshes are conditional requests; downloads of one entity start
 * at most once per `refresh.rateLimit`; a 404 is remembered for `negativeCacheMs`; a lookup never
 * waits for the service longer than `lookupWaitMs`. Requests for entities not held are bounded by
 * `newEntityBudget`.
 *
 * @param options - the service, its pinned keys, the store, the bounds
 * @returns the source; pass `source.resolver` as the SP's `idps` option
 * @throws SamlError `CONFIG_INVALID` for a base URL that is not a URL; TypeError on wrong arguments
 *   (a budget that is not positive numbers, among them)
 * @example
 * ```ts
 * const mdq = createMdqSource({
 *   baseUrl: 'https://mdq.incommon.org',
 *   fetch,
 *   keys: [loadPublicKey(incommonMdqCertPem)],
 *   store,
 * });
 * const saml = createServiceProvider({ sp, idps: mdq.resolver, store, baseUrl });
 * ```
 * @see draft-young-md-query §3 (request), §4 (response); draft-young-md-query-saml §2 (identifiers,
 *   signing); SAML metadata §2.3.1 (validUntil, cacheDuration)
 */
export function createMdqSource(options: MdqSourceOptions): MdqSource {
  if (!options || typeof options !== 'object')
    throw new TypeError('createMdqSource: options are required');
  if (typeof options.fetch !== 'function')
    throw new TypeError('createMdqSource: options.fetch must be a function');
  if (!Array.isArray(options.keys) || options.keys.length === 0)
    throw new TypeError('createMdqSource: options.keys must list the pinned MDQ signing keys');
  let base: URL;
  try {
    base = new URL(options.baseUrl);
  } catch {
    throw new SamlError('CONFIG_INVALID', 'The MDQ base URL is not a URL.', {
      expected: 'an absolute https URL such as https://mdq.example.org',
      found: describeValue(String(options.baseUrl)),
      hint: 'use the MDQ service URL the federation publishes',
    });
  }
  if (base.search !== '' || base.hash !== '') {
    throw new SamlError('CONFIG_INVALID', 'The MDQ base URL has a query or fragment.', {
      expected: 'a base URL that /entities/{ID} can be appended to',
      found: describeValue(options.baseUrl),
    });
  }
  const baseUrl = base.href.replace(/\/+$/, '');
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const negativeCacheMs = options.negativeCacheMs ?? 10 * 60_000;
  const lookupWaitMs = options.lookupWaitMs ?? 3000;
  const maxEntities = options.maxEntities ?? 10_000;
  for (const [name, v] of [
    ['negativeCacheMs', negativeCacheMs],
    ['lookupWaitMs', lookupWaitMs],
    ['maxEntities', maxEntities],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new TypeError(`createMdqSource: ${name} must be a number ≥ 0`);
  }
  const budget = options.newEntityBudget ?? DEFAULT_MDQ_NEW_ENTITY_BUDGET;
  // One bucket per kind of lookup: made-up Issuers posted to the ACS (messages) cannot spend
  // what users' logins and discovery answers need, and the other way round.
  const buckets: Readonly<Record<MdqLookupPurpose, TokenBucket>> = {
    login: createTokenBucket(budget, now()),
    message: createTokenBucket(budget, now()),
  };
  const store = options.store;
  const sources = new Map<string, MetadataSource>();
  // The entities of `sources` without a verified copy, oldest first: dropped first to make room,
  // so that made-up entity IDs cannot push verified entities out of memory.
  const unverified = new Set<string>();
  // The per-entity sources that hold (or held) a verified copy: their refreshes are not counted.
  const verified = new WeakSet<MetadataSource>();
  const drop = (entityId: string): void => {
    sources.delete(entityId);
    unverified.delete(entityId);
  };
  const misses = new Map<string, number>();
  // Entities whose last download was answered 404.
  // Bounded like `misses`: a 404 arriving after its lookup gave up is read by no one.
  const answered404 = new Set<string>();
  const remember404 = (entityId: string): void => {
    answered404.delete(entityId);
    answered404.add(entityId);
    while (answered404.size > Math.max(1, maxEntities))
      answered404.delete(answered404.values().next().value as string);
  };

  const emit = (event: MdqEvent): void => {
    try {
      options.onEvent?.(event);
    } catch {
      // an event sink must not break logins
    }
  };

  const urlFor = async (entityId: string): Promise<string> => {
    if (options.identifier === 'sha1') {
      // draft-young-md-query-saml §2.1: "{sha1}" followed by the hex SHA-1 of the entity ID.
      const digest = new Uint8Array(
        await resolveCrypto(options.crypto).subtle.digest(
          'SHA-1',
          new TextEncoder().encode(entityId),
        ),
      );
      let hex = '';
      for (const b of digest) hex += HEX[b];
      return `${baseUrl}/entities/${encodeURIComponent(`{sha1}${hex}`)}`;
    }
    // draft-young-md-query §3.2: the identifier is percent-encoded into one path segment. "."
    // and ".." are left as they are by percent-encoding, and a URL parser (WHATWG URL §4.4, also
    // for "%2e") takes them as dot segments: {base}/entities/ (the whole listing) or {base}/.
    // No entity is named so; the lookup is refused without a request.
    if (entityId === '.' || entityId === '..') {
      throw new SamlError(
        'METADATA_ENTITY_NOT_FOUND',
        'The entity ID is a dot segment that cannot be sent to the MDQ service.',
        {
          expected: 'an entity ID (a URI) naming one entity',
          found: describeValue(entityId),
          hint: 'check the entity ID the request or message names',
        },
      );
    }
    return `${baseUrl}/entities/${encodeURIComponent(entityId)}`;
  };

  const notFound = (entityId: string): SamlError =>
    new SamlError('METADATA_ENTITY_NOT_FOUND', 'The MDQ service does not know this entity.', {
      expected: `metadata for ${describeValue(entityId)} from ${baseUrl}`,
      found: 'HTTP 404 (remembered for a while)',
      hint: 'check the entity ID; an IdP registered moments ago is found once the negative cache expires',
    });

  const missKey = (url: string): string => `mdq-miss:${url}`;

  const rememberMiss = (entityId: string, until: number): void => {
    misses.set(entityId, until);
    // Unknown entity IDs come from whoever sends messages: the memory they take is bounded too.
    while (misses.size > maxEntities) misses.delete(misses.keys().next().value as string);
  };

  /** Whether a 404 for this entity is still remembered, here or (with a store) by the cluster. */
  const isMissing = async (entityId: string, url: string, t: number): Promise<boolean> => {
    const local = misses.get(entityId);
    if (local !== undefined) {
      if (local > t) return true;
      misses.delete(entityId);
    }
    if (!store) return false;
    try {
      const until = Number(await store.getValue(missKey(url)));
      if (Number.isFinite(until) && until > t) {
        rememberMiss(entityId, until);
        return true;
      }
    } catch {
      // the store is down: ask the service
    }
    return false;
  };

  /**
   * Keeps at most `maxEntities` in memory: drops the oldest entity without a verified copy, else
   * the least recently used verified one. The entity being looked up (`adding`) is not dropped for
   * a verified one: it is held beyond the bound until it has a verified copy (then the least
   * recently used goes) or is dropped itself, so made-up entity IDs never push verified ones out.
   */
  const makeRoom = (adding?: string): void => {
    while (sources.size > maxEntities) {
      let victim: string | undefined;
      for (const id of unverified) {
        if (id !== adding) {
          victim = id;
          break;
        }
      }
      if (victim === undefined) {
        if (adding !== undefined && unverified.has(adding)) return;
        victim = sources.keys().next().value as string;
      }
      drop(victim);
      answered404.delete(victim);
    }
  };

  const sourceFor = (entityId: string, url: string, bucket: TokenBucket): MetadataSource => {
    const held = sources.get(entityId);
    if (held) {
      // Least recently used last out: a hit moves the entity to the end.
      sources.delete(entityId);
      sources.set(entityId, held);
      return held;
    }
    const source = createMetadataSource({
      url,
      entityId,
      fetch: async (u, init) => {
        // A download for an entity without a verified copy here spends the budget (the check in
        // `get` lets lookups through while it lasts; this one is exact under concurrency). Only
        // its first request does: a redirect hop (to another URL) belongs to the same download.
        if (u === url && !verified.has(source) && !bucket.take(now())) {
          const retryAt = bucket.nextAt(now());
          emit({ type: 'mdq-budget-exceeded', mdqEntityId: entityId, url, retryAt });
          throw budgetExceeded(entityId, budget, baseUrl, retryAt);
        }
        const res = await options.fetch(u, init);
        // draft-young-md-query §4.2: 404, the service has no metadata for this identifier.
        if (res.status === 404) remember404(entityId);
        else answered404.delete(entityId);
        return res;
      },
      verify: {
        keys: options.keys,
        ...(options.allowSha1 !== undefined && { allowSha1: options.allowSha1 }),
      },
      now,
      sleep,
      ...(store && { store }),
      ...(options.refresh && { refresh: options.refresh }),
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
      ...(options.limits && { limits: options.limits }),
      ...(options.crypto && { crypto: options.crypto }),
      onEvent: (e) => {
        if (e.type === 'metadata-updated') {
          verified.add(source);
          if (sources.get(entityId) === source) {
            unverified.delete(entityId);
            makeRoom();
          }
        }
        emit({ ...e, mdqEntityId: entityId });
      },
    });
    sources.set(entityId, source);
    unverified.add(entityId);
    makeRoom(entityId);
    return source;
  };

  const get = async (
    entityId: string,
    purpose: MdqLookupPurpose = 'login',
  ): Promise<IdpMetadata> => {
    if (purpose !== 'login' && purpose !== 'message')
      throw new TypeError('MdqSource.get: purpose must be "login" or "message"');
    const bucket = buckets[purpose];
    if (typeof entityId !== 'string' || entityId === '')
      throw new TypeError('MdqSource.get: entityId must be a non-empty string');
    const url = await urlFor(entityId);
    const t = now();
    if (await isMissing(entityId, url, t)) throw notFound(entityId);
    const held = sources.get(entityId);
    if ((held === undefined || !verified.has(held)) && !bucket.available(t)) {
      // Over the budget, an entity not held here is looked up only when the cluster has a copy
      // (reading the store sends no request); nothing is added to the memory held.
      let shared = false;
      if (store) {
        try {
          // The key under which the per-entity source shares its copy (source.ts).
          shared = (await store.getValue(`metadata:${url}`)) !== null;
        } catch {
          shared = false;
        }
      }
      if (!shared) {
        const retryAt = bucket.nextAt(t);
        emit({ type: 'mdq-budget-exceeded', mdqEntityId: entityId, url, retryAt });
        throw budgetExceeded(entityId, budget, baseUrl, retryAt);
      }
    }
    const pending = sourceFor(entityId, url, bucket).get();
    const stop = new AbortController();
    const timeUp = sleep(lookupWaitMs, stop.signal).then(() => undefined);
    let outcome: { ok: IdpMetadata } | { error: unknown } | undefined;
    try {
      outcome = await Promise.race([
        pending.then(
          (ok) => ({ ok }),
          (error: unknown) => ({ error }),
        ),
        timeUp,
      ]);
    } finally {
      stop.abort();
    }
    if (outcome === undefined) {
      pending.catch(() => {}); // finishes in the background, for the next lookup
      emit({ type: 'mdq-wait-exceeded', mdqEntityId: entityId, url, waitedMs: lookupWaitMs });
      throw new SamlError('METADATA_FETCH_FAILED', 'The MDQ service did not answer in time.', {
        expected: `metadata for ${describeValue(entityId)} within ${lookupWaitMs} ms`,
        found: 'no answer yet (the download carries on for the next lookup)',
        hint: `check that this server can reach ${baseUrl}; raise lookupWaitMs if the service is slow`,
      });
    }
    if ('ok' in outcome) return outcome.ok;
    if (answered404.has(entityId)) {
      answered404.delete(entityId);
      const until = now() + negativeCacheMs;
      rememberMiss(entityId, until);
      drop(entityId);
      emit({ type: 'mdq-not-found', mdqEntityId: entityId, url, until });
      if (store) {
        try {
          await store.setValue(missKey(url), String(until), until);
        } catch {
          // remembered on this node only
        }
      }
      throw notFound(entityId);
    }
    throw outcome.error;
  };

  const lookup = async (l: IdpLookup): Promise<IdpDefinition | undefined> => {
    if (!l || (l.purpose !== 'login' && l.purpose !== 'message')) {
      throw new TypeError('IdP resolver: lookup.purpose must be "login" or "message"');
    }
    const entityId = l.purpose === 'message' ? l.entityId : l.idp;
    if (entityId === undefined || entityId === '') return undefined;
    try {
      return { idp: await get(entityId, l.purpose) };
    } catch (e) {
      // An entity the service does not know (or not as an IdP) is an unknown IdP.
      if (e instanceof SamlError && e.code === 'METADATA_ENTITY_NOT_FOUND') return undefined;
      throw e;
    }
  };

  const resolver: IdpResolver = Object.freeze({
    lookup,
    invalidate: async (target?: { readonly entityId?: string }): Promise<void> => {
      // Drops the copies held here (and remembered 404s); the store's copies are re-verified
      // when read again.
      if (target?.entityId !== undefined) {
        drop(target.entityId);
        misses.delete(target.entityId);
      } else {
        sources.clear();
        unverified.clear();
        misses.clear();
      }
    },
    forTenant: (tenant: string): IdpResolver => {
      if (typeof tenant !== 'string' || tenant === '') {
        throw new TypeError('IdpResolver.forTenant: tenant must be a non-empty string');
      }
      return resolver;
    },
  });

  const mdqSource: MdqSource = Object.freeze({
    get,
    resolver,
    urlFor,
    idle: async (): Promise<void> => {
      await Promise.all([...sources.values()].map((s) => s.idle()));
    },
  });
  held404.set(mdqSource, () => answered404.size);
  return mdqSource;
}
