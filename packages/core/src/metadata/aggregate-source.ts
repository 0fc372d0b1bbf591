// A federation aggregate as a live trust source: loaded once, refreshed in the background by the
// rules of every metadata cache (refresher.ts), the last good copy served meanwhile and kept when
// a refresh fails. Only one verified aggregate is held at a time, as its text and index (never a
// DOM); a new one replaces it the moment it verifies.
import type { PublicKey } from '../crypto/keys.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { SamlError } from '../errors.js';
import { DEFAULT_MAX_REDIRECTS } from '../lib/outbound.js';
import type { XmlLimits } from '../lib/xml.js';
import type { IdpDefinition, IdpLookup, IdpResolver } from '../sp/idp-resolver.js';
import { loadAggregate } from './aggregate.js';
import { forgetLastMatch, withoutText } from './aggregate-detach.js';
import type {
  AggregateEntitySummary,
  AggregateTrust,
  FederationAggregate,
} from './aggregate-types.js';
import { fetchMetadataDocument, type MetadataValidators } from './fetch.js';
import {
  type MetadataRefreshBounds,
  nextScheduledRefresh,
  Refresher,
  resolveRefreshPolicy,
} from './refresher.js';

/** Why an aggregate source loaded (or tried to). */
export type AggregateRefreshReason = 'initial' | 'scheduled' | 'manual';

/** What an aggregate source reports to `onEvent`. */
export type AggregateEvent =
  | {
      /** A new aggregate verified and is in force; the previous one was dropped. */
      readonly type: 'aggregate-updated';
      readonly reason: AggregateRefreshReason;
      /** When it was loaded (epoch ms). */
      readonly fetchedAt: number;
      /** How long download + verification + indexing took (ms, by the source's clock). */
      readonly loadMs: number;
      readonly counts: FederationAggregate['counts'];
      readonly validUntil?: number;
      /** When the next scheduled refresh is due (epoch ms). */
      readonly nextRefreshAt: number;
    }
  | {
      /** The server answered 304 to a conditional request: the aggregate in force stays. */
      readonly type: 'aggregate-not-modified';
      readonly reason: AggregateRefreshReason;
      readonly checkedAt: number;
      readonly nextRefreshAt: number;
    }
  | {
      /** A refresh failed; the last good aggregate (if any) stays in force. */
      readonly type: 'aggregate-refresh-failed';
      readonly reason: AggregateRefreshReason;
      readonly error: SamlError;
      /** When the aggregate still in force was loaded, if there is one. */
      readonly lastGoodFetchedAt?: number;
      /** When the next attempt is due (epoch ms), if an aggregate is in force. */
      readonly retryAt?: number;
    }
  | {
      /** A refresh was asked for within `refresh.rateLimit` of the last download: not done. */
      readonly type: 'aggregate-refresh-skipped';
      readonly reason: AggregateRefreshReason;
      readonly why: 'rate-limited';
    };

/** Options of {@link createAggregateSource}. Give `url` (with `fetch`) or `load`. */
export interface AggregateSourceOptions {
  /**
   * The aggregate's URL. Plain http is allowed: the signature is checked with the pinned `keys`.
   * Redirects are followed only to https.
   */
  readonly url?: string;
  /** The `fetch` to download `url` with. */
  readonly fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /** Instead of `url`: reads the aggregate (a file, an object store). Called for every refresh. */
  readonly load?: () => Promise<string>;
  /** The federation's pinned metadata-signing keys. Only these verify the aggregate. */
  readonly keys: readonly PublicKey[];
  /** Which IdPs of the aggregate are trusted (default `{}`: every IdP in it). */
  readonly trust?: AggregateTrust;
  /** Refresh intervals and rate limit (the rules of single-IdP metadata sources). */
  readonly refresh?: MetadataRefreshBounds;
  /** Parsing limits. Default `maxSize` 128 MiB, as {@link loadAggregate}. */
  readonly limits?: XmlLimits;
  /** Abort a download after this many milliseconds (default 60 000). */
  readonly timeoutMs?: number;
  /** Follow at most this many redirects (default 5). */
  readonly maxRedirects?: number;
  /** Accept a SHA-1 based signature on the aggregate. **Weakens security.** */
  readonly allowSha1?: boolean;
  /** The WebCrypto provider. */
  readonly crypto?: CryptoProvider;
  /** The clock (default `Date.now`). */
  readonly now?: () => number;
  /** Receives load, refresh and failure events. Exceptions it throws are ignored. */
  readonly onEvent?: (event: AggregateEvent) => void;
}

/** The state of an aggregate source, for health checks. */
export interface AggregateSourceStatus {
  /** When the aggregate in force was loaded (epoch ms). */
  readonly fetchedAt?: number;
  /** When it was last confirmed current (a load, or a 304), epoch ms. */
  readonly checkedAt?: number;
  /** When the next scheduled refresh is due (epoch ms). */
  readonly nextRefreshAt?: number;
  /** The aggregate's `validUntil` (epoch ms). */
  readonly validUntil?: number;
  /** The counts of the aggregate in force. */
  readonly counts?: FederationAggregate['counts'];
  /** The last refresh failure since an aggregate was last adopted. */
  readonly lastError?: SamlError;
  /** Whether a refresh is running. */
  readonly refreshing: boolean;
}

/** Options of {@link AggregateSource.entities}. */
export interface AggregateEntitiesOptions {
  /** List the IdPs that carry the REFEDS hide-from-discovery category too (default false). */
  readonly includeHidden?: boolean;
}

/** A federation aggregate kept current in the background. */
export interface AggregateSource {
  /**
   * The aggregate in force. Never waits for a scheduled refresh (it starts in the background);
   * waits only when there is no usable aggregate (none yet, or past its `validUntil`).
   * @throws SamlError `METADATA_FETCH_FAILED`, `METADATA_INVALID`, `METADATA_EXPIRED`, `XML_*`
   *   only when no usable aggregate is held
   */
  get(): Promise<FederationAggregate>;
  /** Refreshes now (rate-limited, single flight); the last good aggregate when that fails. */
  refresh(): Promise<FederationAggregate>;
  /**
   * The trusted IdPs as the SP's `idps` option: purpose `message` answers the IdP whose entity
   * ID the message names, purpose `login` the IdP whose entity ID `idp` names — when it is a
   * SAML 2.0 IdP of the aggregate and `trust` admits it; `undefined` otherwise.
   */
  readonly resolver: IdpResolver;
  /**
   * The trusted IdPs' summaries, in document order, for a discovery page. IdPs hidden from
   * discovery are left out unless `includeHidden`.
   */
  entities(options?: AggregateEntitiesOptions): Promise<readonly AggregateEntitySummary[]>;
  /** The source's state, for health checks. */
  status(): AggregateSourceStatus;
  /** Resolves once no refresh is running. */
  idle(): Promise<void>;
}

interface Current {
  readonly aggregate: FederationAggregate;
  readonly fetchedAt: number;
  checkedAt: number;
  validators: MetadataValidators;
  nextRefreshAt: number;
}

/** Resolves in a later macrotask, in every runtime. */
const nextMacrotask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** The aggregate's validity as the refresh schedule reads it. */
function validity(a: FederationAggregate): { cacheDuration?: number; validUntil?: number } {
  return {
    ...(a.cacheDuration !== undefined && { cacheDuration: a.cacheDuration }),
    ...(a.validUntil !== undefined && { validUntil: a.validUntil }),
  };
}

/** SAML metadata §2.3.1: past validUntil, the aggregate held must not be used. */
function expired(current: Current, error: SamlError): SamlError {
  return new SamlError(
    'METADATA_EXPIRED',
    'The federation aggregate has expired and could not be refreshed.',
    {
      expected: 'a fresh aggregate from the federation',
      found: `validUntil ${new Date(current.aggregate.validUntil!).toISOString()}; the refresh failed with ${error.code}`,
      hint: `fix the aggregate download (${error.message})`,
      cause: error,
    },
  );
}

function toSamlError(e: unknown): SamlError {
  if (e instanceof SamlError) return e;
  return new SamlError('METADATA_FETCH_FAILED', 'The aggregate could not be loaded.', {
    expected: 'the federation aggregate',
    found: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
    hint: 'check that this server can reach the aggregate URL (DNS, proxy, firewall, TLS trust), or the load function',
    cause: e,
  });
}

/**
 * Creates a live trust source over a signed federation aggregate (eduGAIN, InCommon, …): loads
 * and verifies it with {@link loadAggregate}, refreshes it in the background when its
 * `cacheDuration` (within `refresh` bounds, and at the latest half way to its `validUntil`) has
 * passed, and keeps serving the last good copy while a refresh runs and when one fails
 * (`aggregate-refresh-failed` events). Downloads are conditional (`If-None-Match` /
 * `If-Modified-Since`) and start at most once per `refresh.rateLimit`.
 *
 * Memory: the aggregate is held as its text and an index of byte ranges and summaries, never as
 * a DOM. During a refresh the old aggregate keeps serving logins while the new text is verified;
 * it is dropped as soon as the new one verifies, so at most two texts and one canonical buffer are
 * alive at once (figures: `benchmarks/results/latest.json` → `federation.refresh`). Nothing kept
 * after that (summaries, `lastError`) refers to an old or refused text. Every pass over the text
 * runs in slices with a macrotask between them: lookups go on while an aggregate is verified.
 *
 * @param options - where the aggregate comes from, the pinned keys, the trust rules, the bounds
 * @returns the source; pass `source.resolver` as the SP's `idps` option
 * @throws TypeError when neither `url` (with `fetch`) nor `load` is given, or `keys` is empty
 * @example
 * ```ts
 * const federation = createAggregateSource({
 *   url: 'https://mds.edugain.org/edugain-v2.xml',
 *   fetch,
 *   keys: [loadPublicKey(edugainSigningCertPem)],
 *   trust: { entityCategories: ['http://refeds.org/category/research-and-scholarship'] },
 *   onEvent: (e) => logger.info(e.type, e),
 * });
 * const saml = createServiceProvider({ sp, idps: federation.resolver, store, baseUrl });
 * ```
 * @see SAML metadata §2.3.1 (validUntil, cacheDuration), §4.1 (publication and resolution)
 */
export function createAggregateSource(options: AggregateSourceOptions): AggregateSource {
  if (!options || typeof options !== 'object')
    throw new TypeError('createAggregateSource: options are required');
  const { url, load } = options;
  if ((url === undefined) === (load === undefined))
    throw new TypeError('createAggregateSource: give either url (with fetch) or load');
  if (url !== undefined && typeof options.fetch !== 'function')
    throw new TypeError('createAggregateSource: options.fetch must be a function with url');
  if (load !== undefined && typeof load !== 'function')
    throw new TypeError('createAggregateSource: options.load must be a function');
  if (!Array.isArray(options.keys) || options.keys.length === 0)
    throw new TypeError('createAggregateSource: options.keys must list the pinned keys');
  const now = options.now ?? Date.now;
  const policy = resolveRefreshPolicy(options.refresh);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const trust = options.trust ?? {};
  const maxSize = options.limits?.maxSize ?? 128 * 1024 * 1024;
  const refresher = new Refresher<FederationAggregate>({
    rateLimit: policy.rateLimit,
    now,
    staleAfter: timeoutMs + 10 * 60_000,
  });
  let current: Current | undefined;
  let lastError: SamlError | undefined;

  const emit = (event: AggregateEvent): void => {
    try {
      options.onEvent?.(event);
    } catch {
      // an event sink must not break logins
    }
  };

  // SAML metadata §2.3.1: an aggregate must not be used after its validUntil.
  const usable = (c: Current | undefined, t: number): c is Current =>
    c !== undefined && (c.aggregate.validUntil === undefined || c.aggregate.validUntil > t);

  const fail = (
    refusal: SamlError,
    reason: AggregateRefreshReason,
    t: number,
  ): FederationAggregate => {
    // Kept until the next success and handed to onEvent: without the refused text, so that only
    // the aggregate in force is held.
    const error = withoutText(refusal);
    lastError = error;
    const ok = usable(current, t);
    if (ok) current!.nextRefreshAt = t + policy.retryInterval;
    emit({
      type: 'aggregate-refresh-failed',
      reason,
      error,
      ...(current && { lastGoodFetchedAt: current.fetchedAt }),
      ...(ok && { retryAt: current!.nextRefreshAt }),
    });
    if (ok) return current!.aggregate;
    if (current) throw expired(current, error);
    throw error;
  };

  const doRefresh = async (reason: AggregateRefreshReason): Promise<FederationAggregate> => {
    const t = now();
    if (!refresher.tryStartDownload(t)) {
      emit({ type: 'aggregate-refresh-skipped', reason, why: 'rate-limited' });
      if (current) {
        current.nextRefreshAt = Math.max(current.nextRefreshAt, refresher.nextAllowedAt);
        if (usable(current, t)) return current.aggregate;
        if (lastError) throw expired(current, lastError);
      }
      throw (
        lastError ??
        new SamlError('METADATA_FETCH_FAILED', 'The aggregate was loaded moments ago.', {
          expected: 'a usable federation aggregate',
          found: `none, and the next load is allowed at ${new Date(refresher.nextAllowedAt).toISOString()}`,
          hint: 'retry in a few seconds; see the aggregate-refresh-failed events',
        })
      );
    }
    const held = current;
    let aggregate: FederationAggregate;
    let validators: MetadataValidators = {};
    try {
      let xml: string;
      if (url !== undefined) {
        const got = await fetchMetadataDocument(url, {
          fetch: options.fetch!,
          timeoutMs,
          maxSize,
          maxRedirects: options.maxRedirects ?? DEFAULT_MAX_REDIRECTS,
          // Any scheme is fine for the first hop: the signature is checked with pinned keys.
          signatureChecked: true,
          ...(held &&
            (held.validators.etag !== undefined || held.validators.lastModified !== undefined) && {
              validators: held.validators,
            }),
        });
        if (!got.modified) {
          // RFC 9110 §15.4.5: the copy held is still current.
          if (!usable(held, t)) {
            return fail(
              new SamlError(
                'METADATA_EXPIRED',
                'The federation still serves an expired aggregate.',
                {
                  expected: `an aggregate valid at ${new Date(t).toISOString()}`,
                  found: 'HTTP 304 Not Modified for the aggregate held, past its validUntil',
                  hint: 'check the aggregate URL; the federation may have moved it',
                },
              ),
              reason,
              t,
            );
          }
          held.checkedAt = t;
          held.validators = { ...held.validators, ...got.validators };
          held.nextRefreshAt = nextScheduledRefresh(policy, t, validity(held.aggregate));
          lastError = undefined;
          emit({
            type: 'aggregate-not-modified',
            reason,
            checkedAt: t,
            nextRefreshAt: held.nextRefreshAt,
          });
          return held.aggregate;
        }
        xml = got.xml;
        validators = got.validators;
      } else {
        xml = await load!();
      }
      // The aggregate in force keeps serving while this one is verified; no DOM of either.
      aggregate = await loadAggregate(xml, {
        keys: options.keys,
        now: t,
        ...(options.limits && { limits: { ...options.limits, maxSize } }),
        ...(options.allowSha1 !== undefined && { allowSha1: options.allowSha1 }),
        ...(options.crypto && { crypto: options.crypto }),
      });
    } catch (e) {
      forgetLastMatch(); // nothing may keep the refused text alive
      return fail(toSamlError(e), reason, t);
    }
    // The previous aggregate (text, index, parsed IdPs) becomes garbage here.
    const done = now();
    current = {
      aggregate,
      fetchedAt: t,
      checkedAt: t,
      validators,
      nextRefreshAt: nextScheduledRefresh(policy, t, validity(aggregate)),
    };
    lastError = undefined;
    emit({
      type: 'aggregate-updated',
      reason,
      fetchedAt: t,
      loadMs: done - t,
      counts: aggregate.counts,
      ...(aggregate.validUntil !== undefined && { validUntil: aggregate.validUntil }),
      nextRefreshAt: current.nextRefreshAt,
    });
    return aggregate;
  };

  const refreshNow = (reason: AggregateRefreshReason): Promise<FederationAggregate> =>
    refresher.run(() => doRefresh(reason));

  const get = async (): Promise<FederationAggregate> => {
    const t = now();
    if (usable(current, t)) {
      // A login never waits for a scheduled refresh: the aggregate in force serves meanwhile.
      // The refresh itself starts in a later macrotask, after this caller has its answer.
      if (t >= current.nextRefreshAt)
        refresher.runInBackground(() => nextMacrotask().then(() => doRefresh('scheduled')));
      return current.aggregate;
    }
    return refreshNow(current ? 'scheduled' : 'initial');
  };

  const lookup = async (l: IdpLookup): Promise<IdpDefinition | undefined> => {
    if (!l || (l.purpose !== 'login' && l.purpose !== 'message')) {
      throw new TypeError('IdP resolver: lookup.purpose must be "login" or "message"');
    }
    const entityId = l.purpose === 'message' ? l.entityId : l.idp;
    if (entityId === undefined || entityId === '') return undefined;
    const aggregate = await get();
    const summary = aggregate.summary(entityId);
    // Only SAML 2.0 IdPs the trust rules admit are answered; anything else is unknown.
    if (!summary?.idp || !aggregate.isTrusted(entityId, trust)) return undefined;
    return { idp: await aggregate.idp(entityId, { now: now(), trust }) };
  };

  const resolver: IdpResolver = Object.freeze({
    lookup,
    // Nothing is cached apart from the aggregate: invalidating makes its refresh due now.
    invalidate: async (): Promise<void> => {
      if (current) current.nextRefreshAt = now();
    },
    // One federation, the same trust for every tenant.
    forTenant: (tenant: string): IdpResolver => {
      if (typeof tenant !== 'string' || tenant === '') {
        throw new TypeError('IdpResolver.forTenant: tenant must be a non-empty string');
      }
      return resolver;
    },
  });

  return Object.freeze({
    get,
    refresh: () => refreshNow(current ? 'manual' : 'initial'),
    resolver,
    async entities(o: AggregateEntitiesOptions = {}): Promise<readonly AggregateEntitySummary[]> {
      const aggregate = await get();
      return aggregate
        .entities()
        .filter(
          (s) =>
            s.idp &&
            (o.includeHidden === true || !s.hiddenFromDiscovery) &&
            aggregate.isTrusted(s.entityId, trust),
        );
    },
    status: (): AggregateSourceStatus => ({
      ...(current && {
        fetchedAt: current.fetchedAt,
        checkedAt: current.checkedAt,
        nextRefreshAt: current.nextRefreshAt,
        counts: current.aggregate.counts,
        ...(current.aggregate.validUntil !== undefined && {
          validUntil: current.aggregate.validUntil,
        }),
      }),
      ...(lastError && { lastError }),
      refreshing: refresher.running,
    }),
    idle: (): Promise<void> => refresher.idle(),
  });
}
