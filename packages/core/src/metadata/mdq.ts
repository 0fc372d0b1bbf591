// The Metadata Query Protocol (draft-young-md-query, and its SAML profile
// draft-young-md-query-saml): IdP metadata fetched per entity from a federation's MDQ service,
// its signature checked with the service's pinned key. Each entity is one metadata source
// (source.ts), so it follows the rules of single-IdP metadata: background refresh by
// validUntil/cacheDuration, conditional requests, a per-entity rate limit, the last good copy kept
// on failure, and the verified document shared through the store (one download for a cluster).
import type { PublicKey } from '../crypto/keys.js';
import { type CryptoProvider, resolveCrypto } from '../crypto/provider.js';
import { describeValue, SamlError } from '../errors.js';
import type { XmlLimits } from '../lib/xml.js';
import type { IdpDefinition, IdpLookup, IdpResolver } from '../sp/idp-resolver.js';
import type { SamlStore } from '../store/types.js';
import type { IdpMetadata } from './idp.js';
import { defaultSleep, type MetadataRefreshBounds, type Sleep } from './refresher.js';
import { createMetadataSource } from './source.js';
import type { MetadataEvent, MetadataSource } from './source-types.js';

/** What an MDQ source reports to `onEvent`. */
export type MdqEvent =
  | (MetadataEvent & {
      /** The entity the per-entity source serves. */
      readonly mdqEntityId: string;
    })
  | {
      /** The MDQ service answered 404: the entity is unknown, remembered for `negativeCacheMs`. */
      readonly type: 'mdq-not-found';
      readonly mdqEntityId: string;
      readonly url: string;
      /** Until when lookups of this entity are answered "unknown" without a request (epoch ms). */
      readonly until: number;
    }
  | {
      /** A lookup stopped waiting for the MDQ service after `lookupWaitMs`; the download carries on. */
      readonly type: 'mdq-wait-exceeded';
      readonly mdqEntityId: string;
      readonly url: string;
      readonly waitedMs: number;
    };

/** Options of {@link createMdqSource}. */
export interface MdqSourceOptions {
  /**
   * The MDQ service's base URL, e.g. `https://mdq.incommon.org`: requests go to
   * `{baseUrl}/entities/{identifier}`. https, or http with the signature checked by `keys`.
   */
  readonly baseUrl: string;
  /** The `fetch` to query the service with. */
  readonly fetch: (url: string, init: RequestInit) => Promise<Response>;
  /** The MDQ service's pinned metadata-signing keys: every response must be signed by one. */
  readonly keys: readonly PublicKey[];
  /**
   * How an entity ID is written in the request path: `entity-id` (default) URL-encodes it;
   * `sha1` sends the transformed identifier `{sha1}` + hex SHA-1 of the entity ID
   * (draft-young-md-query-saml §2.1), for services that ask for it.
   */
  readonly identifier?: 'entity-id' | 'sha1';
  /**
   * The shared store: each verified document is kept there (`setValue`), so a cluster downloads
   * each entity once, and so are "not found" answers. Without it each process keeps its own.
   */
  readonly store?: Pick<SamlStore, 'getValue' | 'setValue' | 'rememberOnce'>;
  /** Refresh intervals and the per-entity rate limit (the rules of single-IdP metadata). */
  readonly refresh?: MetadataRefreshBounds;
  /** How long a 404 is remembered (ms, default 10 minutes). */
  readonly negativeCacheMs?: number;
  /**
   * The longest a lookup waits for the MDQ service when it has no usable copy of the entity
   * (ms, default 3000). The download carries on afterwards, for the next lookup.
   */
  readonly lookupWaitMs?: number;
  /** Abort one download after this many milliseconds (default 10 000). */
  readonly timeoutMs?: number;
  /** Entities held in memory at most; the least recently used are dropped (default 10 000). */
  readonly maxEntities?: number;
  /** Accept a SHA-1 based signature. **Weakens security.** */
  readonly allowSha1?: boolean;
  /** Size and depth limits for each document. */
  readonly limits?: XmlLimits;
  /** The WebCrypto provider (signature checks, and the SHA-1 of `{sha1}` identifiers). */
  readonly crypto?: CryptoProvider;
  /** The clock (default `Date.now`). */
  readonly now?: () => number;
  /** How to wait (default `setTimeout`); it should resolve early when `signal` aborts. */
  readonly sleep?: Sleep;
  /** Receives per-entity refresh, failure and lookup events. Exceptions it throws are ignored. */
  readonly onEvent?: (event: MdqEvent) => void;
}

/** IdP metadata looked up per entity from an MDQ service. */
export interface MdqSource {
  /**
   * The entity's verified metadata: the copy held (a due refresh runs in the background), or a
   * download waited for at most `lookupWaitMs`.
   * @throws SamlError `METADATA_ENTITY_NOT_FOUND` (404, remembered), `METADATA_FETCH_FAILED`
   *   (unreachable, or no answer within `lookupWaitMs`), `METADATA_INVALID` (unsigned, or not
   *   signed by the pinned key), `METADATA_EXPIRED`
   */
  get(entityId: string): Promise<IdpMetadata>;
  /**
   * The SP's `idps` option: purpose `message` answers the IdP the message names, purpose `login`
   * the IdP whose entity ID `idp` names; `undefined` for an entity the service does not know.
   */
  readonly resolver: IdpResolver;
  /**
   * The request URL for an entity ID.
   * @throws SamlError `METADATA_ENTITY_NOT_FOUND` for `.` and `..`, which no URL can carry as a
   *   path segment
   */
  urlFor(entityId: string): Promise<string>;
  /** Resolves once no download is running. */
  idle(): Promise<void>;
}

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
 * waits for the service longer than `lookupWaitMs`.
 *
 * @param options - the service, its pinned keys, the store, the bounds
 * @returns the source; pass `source.resolver` as the SP's `idps` option
 * @throws SamlError `CONFIG_INVALID` for a base URL that is not a URL; TypeError on wrong arguments
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
  const store = options.store;
  const sources = new Map<string, MetadataSource>();
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

  const sourceFor = (entityId: string, url: string): MetadataSource => {
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
      onEvent: (e) => emit({ ...e, mdqEntityId: entityId }),
    });
    sources.set(entityId, source);
    while (sources.size > maxEntities) {
      const oldest = sources.keys().next().value as string;
      sources.delete(oldest);
      answered404.delete(oldest);
    }
    return source;
  };

  const get = async (entityId: string): Promise<IdpMetadata> => {
    if (typeof entityId !== 'string' || entityId === '')
      throw new TypeError('MdqSource.get: entityId must be a non-empty string');
    const url = await urlFor(entityId);
    const t = now();
    if (await isMissing(entityId, url, t)) throw notFound(entityId);
    const pending = sourceFor(entityId, url).get();
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
      sources.delete(entityId);
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
      return { idp: await get(entityId) };
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
        sources.delete(target.entityId);
        misses.delete(target.entityId);
      } else {
        sources.clear();
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
