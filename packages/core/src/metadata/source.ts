import type { PublicKey } from '../crypto/keys.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { describeValue, isSamlError, SamlError } from '../errors.js';
import { equalBytes } from '../lib/bytes.js';
import { DEFAULT_MAX_REDIRECTS } from '../lib/outbound.js';
import { DEFAULT_XML_LIMITS, type XmlLimits } from '../lib/xml.js';
import type { SamlStore } from '../store/types.js';
import { type ExpiryWarning, findExpiryWarnings } from './expiry.js';
import {
  fetchMetadataDocument,
  isLoopbackHost,
  type MetadataDownload,
  type MetadataValidators,
} from './fetch.js';
import { type IdpMetadata, type ParseIdpMetadataOptions, parseIdpMetadata } from './idp.js';
import {
  DEFAULT_ROLLOVER_WAIT_MS,
  defaultSleep,
  type MetadataRefreshBounds,
  nextScheduledRefresh,
  Refresher,
  resolveRefreshPolicy,
  type Sleep,
} from './refresher.js';

export type { MetadataRefreshBounds } from './refresher.js';

const DAY = 24 * 60 * 60_000;

/** Why a metadata source refreshed (or tried to). */
export type MetadataRefreshReason = 'initial' | 'scheduled' | 'signature' | 'manual';

/** What a metadata source reports to `onEvent`: feed these into your logs and alerts. */
export type MetadataEvent =
  | {
      /** New metadata is in force. */
      readonly type: 'metadata-updated';
      readonly url: string;
      readonly entityId: string;
      /** `fetch`: this node downloaded it; `store`: another node did and shared it. */
      readonly source: 'fetch' | 'store';
      readonly reason: MetadataRefreshReason;
      /** When it was downloaded (epoch ms). */
      readonly fetchedAt: number;
      /** Whether the set of IdP signing keys changed (an IdP certificate rollover). */
      readonly signingKeysChanged: boolean;
      /** When the next scheduled refresh is due (epoch ms). */
      readonly nextRefreshAt: number;
    }
  | {
      /**
       * A conditional request found the metadata unchanged (HTTP 304 to `If-None-Match` /
       * `If-Modified-Since`): the copy in force stays, and its next refresh moves on.
       */
      readonly type: 'metadata-not-modified';
      readonly url: string;
      readonly reason: MetadataRefreshReason;
      /** When the copy was confirmed current (epoch ms). */
      readonly checkedAt: number;
      /** When the next scheduled refresh is due (epoch ms). */
      readonly nextRefreshAt: number;
    }
  | {
      /**
       * A login that met a signature by an unknown key stopped waiting for the refresh after
       * `rolloverWaitMs`: it failed with the signature error, and the refresh carries on in the
       * background (the next login uses its result).
       */
      readonly type: 'metadata-wait-exceeded';
      readonly url: string;
      readonly reason: MetadataRefreshReason;
      /** How long the login waited (the `rolloverWaitMs` option), in milliseconds. */
      readonly waitedMs: number;
    }
  | {
      /** A refresh failed; the last good metadata (if any) stays in force. */
      readonly type: 'metadata-refresh-failed';
      readonly url: string;
      readonly reason: MetadataRefreshReason;
      readonly error: SamlError;
      /** When the metadata still in force was downloaded, if there is any. */
      readonly lastGoodFetchedAt?: number;
      /** When the next attempt is due (epoch ms), if there is metadata in force. */
      readonly retryAt?: number;
    }
  | {
      /** A refresh was asked for but not done. */
      readonly type: 'metadata-refresh-skipped';
      readonly url: string;
      readonly reason: MetadataRefreshReason;
      /** `rate-limited`: a fetch happened too recently; `peer-refreshing`: another node holds the lock. */
      readonly why: 'rate-limited' | 'peer-refreshing';
    }
  | {
      /** A certificate or the metadata expires soon (see {@link findExpiryWarnings}). */
      readonly type: 'expiry-warning';
      readonly url: string;
      readonly warning: ExpiryWarning;
    }
  | {
      /** The shared store failed; the source carries on with what this node has. */
      readonly type: 'store-error';
      readonly url: string;
      readonly error: unknown;
    };

/** Options for {@link createMetadataSource}. */
export interface MetadataSourceOptions {
  /**
   * The IdP's metadata URL: https. Plain http only for a loopback host, for signed metadata
   * (`verify`), or with `allowInsecureHttpForDevelopment`; a redirect never leads from https to
   * http.
   */
  readonly url: string;
  /** The `fetch` to download with (the runtime's global `fetch`, or one with a proxy/agent). */
  readonly fetch: (url: string, init: RequestInit) => Promise<Response>;
  /**
   * The IdP to pick (required for a federation aggregate). When omitted, the entityID of the
   * first metadata adopted is pinned: later documents naming another entity are refused.
   */
  readonly entityId?: string;
  /** Verify the metadata's signature against pinned keys (see {@link parseIdpMetadata}). */
  readonly verify?: ParseIdpMetadataOptions['verify'];
  /** Size and depth limits for the document (aggregates need a larger `maxSize`). */
  readonly limits?: XmlLimits;
  /** The WebCrypto provider. */
  readonly crypto?: CryptoProvider;
  /**
   * The shared store: with it, the last good metadata is shared by every node and one node
   * downloads for all (single flight). Without it, each process keeps its own copy.
   */
  readonly store?: Pick<SamlStore, 'getValue' | 'setValue' | 'rememberOnce'>;
  /** The clock (default `Date.now`). */
  readonly now?: () => number;
  /** Refresh intervals and rate limit. */
  readonly refresh?: MetadataRefreshBounds;
  /**
   * Abort a download after this many milliseconds (default 10 000). Logins do not wait for it:
   * scheduled refreshes run in the background, and a login waits at most `rolloverWaitMs`.
   */
  readonly timeoutMs?: number;
  /**
   * When a Response or logout message is signed by a key the metadata in force does not list
   * (the IdP may have rolled its certificate), {@link MetadataSource.withRollover} starts a
   * refresh and waits for it at most this many milliseconds (default 2000) before failing with
   * the signature error; the refresh then finishes in the background. 0 never waits. When the
   * rate limit (`refresh.rateLimit`) holds that download back and lets it start within this time
   * (a second rollover moments after the first), the refresh waits for the window.
   */
  readonly rolloverWaitMs?: number;
  /**
   * When another node holds the refresh lock, look for its result in the store this many times
   * (default 5), `peerWaitMs` apart (default 400 ms), before carrying on with the current copy.
   */
  readonly peerWaitAttempts?: number;
  readonly peerWaitMs?: number;
  /**
   * How to wait, for the looks above and for `rolloverWaitMs` (default `setTimeout`). It should
   * resolve early when `signal` aborts, so that no timer outlives a wait that ended.
   */
  readonly sleep?: Sleep;
  /** Emit `expiry-warning` events for certificates expiring within this many days (default 30). */
  readonly expiryWarningDays?: number;
  /**
   * Follow at most this many redirects (default 5). Every hop must be https (a redirect from https
   * to plain http is refused), unless `allowInsecureHttpForDevelopment` is set.
   */
  readonly maxRedirects?: number;
  /**
   * **Development only.** Allow plain http: a metadata URL to any host without signature
   * verification, and redirects to http. Anyone on the network path can then replace the IdP's
   * certificates and log in as anyone. Never set it in production.
   */
  readonly allowInsecureHttpForDevelopment?: boolean;
  /** Receives refresh, failure and expiry events. Exceptions it throws are ignored. */
  readonly onEvent?: (event: MetadataEvent) => void;
}

/** The state of a metadata source, for health checks. */
export interface MetadataSourceStatus {
  readonly url: string;
  /** The entity in force, once metadata has been adopted. */
  readonly entityId?: string;
  /** When the metadata in force was downloaded (epoch ms). */
  readonly fetchedAt?: number;
  /** When the next scheduled refresh is due (epoch ms). */
  readonly nextRefreshAt?: number;
  /** When the metadata in force was last confirmed current (a download or a 304), epoch ms. */
  readonly checkedAt?: number;
  /** The last refresh failure since metadata was last adopted, if any. */
  readonly lastError?: SamlError;
  /** Whether a refresh is running (in the background, or one a login waits for). */
  readonly refreshing: boolean;
}

/** A cached, self-refreshing source of one IdP's metadata. */
export interface MetadataSource {
  /** The metadata URL. */
  readonly url: string;
  /**
   * The metadata in force. It never waits for a scheduled refresh: when one is due it starts in
   * the background and the last good copy is returned at once. Only when there is no usable
   * copy (none yet, or past its `validUntil`) does it wait for the download.
   * @throws SamlError `METADATA_FETCH_FAILED`, `METADATA_INVALID`, `METADATA_EXPIRED`, … only when
   *   there is no usable metadata at all
   */
  get(): Promise<IdpMetadata>;
  /**
   * Refreshes now (rate-limited, single flight) and returns the metadata in force afterwards —
   * the last good copy when the download fails.
   */
  refresh(): Promise<IdpMetadata>;
  /**
   * Runs `fn` with the metadata in force; when it fails with `SIGNATURE_INVALID` or
   * `SIGNATURE_KEY_UNTRUSTED`, refreshes once (rate-limited, waiting at most `rolloverWaitMs`)
   * and, if the IdP's signing keys changed, runs `fn` again with the new metadata. An IdP
   * certificate rollover so needs no admin action. `fn` must not consume one-time state (pending
   * requests, replay cache) before the signature check, as it may run twice.
   */
  withRollover<T>(fn: (idp: IdpMetadata) => Promise<T>): Promise<T>;
  /** The source's state, for health checks. */
  status(): MetadataSourceStatus;
  /** Resolves once no refresh is running (for a graceful shutdown, and for tests). */
  idle(): Promise<void>;
}

interface Copy extends MetadataValidators {
  readonly xml: string;
  /** When this document was downloaded. */
  readonly fetchedAt: number;
  /** When it was last confirmed current (a download, or a 304 to a conditional request). */
  readonly checkedAt: number;
}

interface Current {
  copy: Copy;
  readonly idp: IdpMetadata;
  nextRefreshAt: number;
}

function sameKeys(a: readonly PublicKey[], b: readonly PublicKey[]): boolean {
  return a.length === b.length && a.every((k) => b.some((o) => equalBytes(k.spki, o.spki)));
}

function toSamlError(e: unknown, url: string): SamlError {
  if (e instanceof SamlError) return e;
  return new SamlError('METADATA_FETCH_FAILED', 'The metadata could not be downloaded.', {
    expected: `a 200 response with SAML metadata from ${url}`,
    found: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
    hint: 'check that this server can reach the URL (DNS, proxy, firewall, TLS trust)',
    cause: e,
  });
}

/**
 * Creates a source of one IdP's metadata from its URL: downloads it through the given `fetch`,
 * caches it, refreshes it on a schedule derived from `cacheDuration`/`validUntil` (within
 * bounds), refreshes at once (rate-limited) when a Response's signature does not verify with the
 * known keys, and keeps the last good copy when a download fails or returns garbage — reporting
 * each of these through `onEvent` and {@link MetadataSource.status}.
 *
 * With a `store`, the whole cluster shares one copy: the last good metadata lives under
 * `metadata:<url>`, and a refresh takes the lock `lock:metadata:<url>` (`rememberOnce`, held for
 * `refresh.rateLimit`) so that 20 nodes download once, not 20 times. Whatever comes from the
 * network or the store is adopted only after it parsed (and, with `verify`, its signature
 * verified): a new IdP signing certificate never enters through a broken or unsigned document.
 *
 * Refreshes start inside {@link MetadataSource.get} when they are due and run in the background
 * while the last good copy keeps serving logins, so the source needs no interval timers and works
 * the same in every runtime. Refreshes are conditional requests (`If-None-Match` /
 * `If-Modified-Since`), so a check of unchanged metadata costs a 304. Downloads for one URL start
 * at most once per `refresh.rateLimit` (5 s), whatever triggers them.
 *
 * @param options - URL, fetch, store, clock, bounds, verification and event sink
 * @returns the source
 * @throws SamlError `CONFIG_INVALID` when the URL is not usable; TypeError on wrong arguments
 *
 * @example One IdP from its metadata URL, shared by the cluster
 * ```ts
 * const source = createMetadataSource({
 *   url: 'https://login.microsoftonline.com/<tenant>/federationmetadata/2007-06/federationmetadata.xml?appid=<app>',
 *   fetch,
 *   store,
 *   onEvent: (e) => logger.info(e.type, e),
 * });
 * const result = await source.withRollover((idp) => validateResponse(body, { idp, sp, … }));
 * ```
 *
 * @see SAML 2.0 metadata §2.3.1 (validUntil, cacheDuration), §4.1 (publication and resolution)
 */
export function createMetadataSource(options: MetadataSourceOptions): MetadataSource {
  if (!options || typeof options !== 'object')
    throw new TypeError('createMetadataSource: options are required');
  if (typeof options.fetch !== 'function')
    throw new TypeError('createMetadataSource: options.fetch must be a function');
  const url = options.url;
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(url);
  } catch {
    throw new SamlError('CONFIG_INVALID', 'The metadata URL is not a URL.', {
      expected: 'an absolute https URL',
      found: describeValue(String(url)),
      hint: 'paste the IdP’s metadata URL exactly as its admin console shows it',
    });
  }
  if (parsedUrl.protocol !== 'https:' && parsedUrl.protocol !== 'http:') {
    throw new SamlError('CONFIG_INVALID', 'The metadata URL must use https.', {
      expected: 'an https URL',
      found: describeValue(url),
    });
  }
  if (
    parsedUrl.protocol === 'http:' &&
    !options.verify &&
    !options.allowInsecureHttpForDevelopment &&
    !isLoopbackHost(parsedUrl.hostname)
  ) {
    throw new SamlError('CONFIG_INVALID', 'The metadata URL uses plain http.', {
      expected: 'an https URL (or signed metadata with verify.keys)',
      found: describeValue(url),
      hint: 'over http anyone on the path can swap the IdP certificate; use https (allowInsecureHttpForDevelopment allows http, for local development only)',
    });
  }

  const now = options.now ?? Date.now;
  const policy = resolveRefreshPolicy(options.refresh);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const rolloverWaitMs = options.rolloverWaitMs ?? DEFAULT_ROLLOVER_WAIT_MS;
  if (
    typeof rolloverWaitMs !== 'number' ||
    !Number.isFinite(rolloverWaitMs) ||
    rolloverWaitMs < 0
  ) {
    throw new TypeError(
      'createMetadataSource: rolloverWaitMs must be a number of milliseconds ≥ 0',
    );
  }
  const peerWaitAttempts = options.peerWaitAttempts ?? 5;
  const peerWaitMs = options.peerWaitMs ?? 400;
  const sleep = options.sleep ?? defaultSleep;
  const maxSize = options.limits?.maxSize ?? DEFAULT_XML_LIMITS.maxSize;
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  if (!Number.isInteger(maxRedirects) || maxRedirects < 0) {
    throw new TypeError('createMetadataSource: maxRedirects must be a whole number ≥ 0');
  }
  const devHttp = options.allowInsecureHttpForDevelopment === true;
  const store = options.store;
  const valueKey = `metadata:${url}`;
  const lockKey = `lock:metadata:${url}`;

  let current: Current | undefined;
  let pinnedEntityId = options.entityId;
  let lastError: SamlError | undefined;
  const refresher = new Refresher<IdpMetadata>({
    rateLimit: policy.rateLimit,
    sleep,
    now,
    // A refresh lasts at most the download timeout plus the looks for a peer's copy, plus store
    // calls. One still unsettled a minute beyond that was lost (a runtime that freezes or cancels
    // work left after a response does that): the next due refresh starts afresh.
    staleAfter: timeoutMs + peerWaitAttempts * peerWaitMs + 60_000,
  });

  const emit = (event: MetadataEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      // an event sink must not break logins
    }
  };

  // SAML metadata §2.3.1: metadata must not be used after its validUntil.
  const usable = (c: Current | undefined, t: number): boolean =>
    c !== undefined && (c.idp.validUntil === undefined || c.idp.validUntil > t);

  const parse = (xml: string, t: number) =>
    parseIdpMetadata(xml, {
      now: t,
      ...(pinnedEntityId !== undefined ? { entityId: pinnedEntityId } : {}),
      ...(options.verify ? { verify: options.verify } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.crypto ? { crypto: options.crypto } : {}),
    });

  const adopt = (
    copy: Copy,
    idp: IdpMetadata,
    source: 'fetch' | 'store',
    reason: MetadataRefreshReason,
    t: number,
  ) => {
    const signingKeysChanged = !current || !sameKeys(current.idp.signingKeys, idp.signingKeys);
    current = { copy, idp, nextRefreshAt: nextScheduledRefresh(policy, copy.checkedAt, idp) };
    pinnedEntityId ??= idp.entityId;
    lastError = undefined;
    emit({
      type: 'metadata-updated',
      url,
      entityId: idp.entityId,
      source,
      reason,
      fetchedAt: copy.fetchedAt,
      signingKeysChanged,
      nextRefreshAt: current.nextRefreshAt,
    });
    for (const warning of findExpiryWarnings({
      idp,
      now: t,
      withinDays: options.expiryWarningDays ?? 30,
    })) {
      emit({ type: 'expiry-warning', url, warning });
    }
  };

  /** The copy already confirmed at a later time (a 304): keep the document, move its schedule. */
  const confirm = (c: Current, copy: Copy) => {
    c.copy = copy;
    c.nextRefreshAt = nextScheduledRefresh(policy, copy.checkedAt, c.idp);
    lastError = undefined;
  };

  const readStore = async (): Promise<Copy | undefined> => {
    if (!store) return undefined;
    try {
      const raw = await store.getValue(valueKey);
      if (raw === undefined) return undefined;
      const v = JSON.parse(raw) as Partial<Record<keyof Copy, unknown>>;
      if (typeof v.xml !== 'string' || typeof v.fetchedAt !== 'number') return undefined;
      return {
        xml: v.xml,
        fetchedAt: v.fetchedAt,
        checkedAt:
          typeof v.checkedAt === 'number' && v.checkedAt > v.fetchedAt ? v.checkedAt : v.fetchedAt,
        ...(typeof v.etag === 'string' && { etag: v.etag }),
        ...(typeof v.lastModified === 'string' && { lastModified: v.lastModified }),
      };
    } catch (error) {
      emit({ type: 'store-error', url, error });
      return undefined;
    }
  };

  const writeStore = async (copy: Copy, idp: IdpMetadata, t: number): Promise<void> => {
    if (!store) return;
    // Keep the shared copy as long as it may be used: until validUntil, or 30 days.
    const expiresAt = idp.validUntil ?? t + 30 * DAY;
    try {
      await store.setValue(valueKey, JSON.stringify(copy), expiresAt);
    } catch (error) {
      emit({ type: 'store-error', url, error });
    }
  };

  /**
   * Takes the store's copy when it is newer than ours and usable (true), or the same document
   * confirmed by another node more recently (true, without a parse); false otherwise.
   */
  const tryStore = async (reason: MetadataRefreshReason, t: number): Promise<boolean> => {
    const stored = await readStore();
    if (!stored) return false;
    if (current && stored.fetchedAt <= current.copy.fetchedAt) {
      if (
        stored.fetchedAt === current.copy.fetchedAt &&
        stored.checkedAt > current.copy.checkedAt &&
        stored.xml === current.copy.xml
      ) {
        confirm(current, stored);
        return true;
      }
      return false;
    }
    try {
      adopt(stored, await parse(stored.xml, t), 'store', reason, t);
      return true;
    } catch (e) {
      // A copy that does not parse or verify is never adopted, whoever wrote it.
      emit({
        type: 'metadata-refresh-failed',
        url,
        reason,
        error: toSamlError(e, url),
        ...(current ? { lastGoodFetchedAt: current.copy.fetchedAt } : {}),
      });
      return false;
    }
  };

  const download = (validators: MetadataValidators | undefined): Promise<MetadataDownload> =>
    fetchMetadataDocument(url, {
      fetch: options.fetch,
      timeoutMs,
      maxSize,
      maxRedirects,
      // The URL itself was vetted above (https, loopback, signed, or the development option).
      signatureChecked: true,
      ...(devHttp ? { allowInsecureHttpForDevelopment: true } : {}),
      ...(validators !== undefined && { validators }),
    });

  const fail = (error: SamlError, reason: MetadataRefreshReason, t: number): IdpMetadata => {
    lastError = error;
    const ok = usable(current, t);
    if (current && ok) current.nextRefreshAt = t + policy.retryInterval;
    emit({
      type: 'metadata-refresh-failed',
      url,
      reason,
      error,
      ...(current ? { lastGoodFetchedAt: current.copy.fetchedAt } : {}),
      ...(current && ok ? { retryAt: current.nextRefreshAt } : {}),
    });
    if (current && ok) return current.idp;
    if (current) {
      throw new SamlError(
        'METADATA_EXPIRED',
        'The cached metadata has expired and could not be refreshed.',
        {
          expected: 'fresh metadata from the IdP',
          found: `validUntil ${new Date(current.idp.validUntil!).toISOString()}; the refresh failed with ${error.code}`,
          hint: `fix the download of ${url} (${error.message})`,
          cause: error,
        },
      );
    }
    throw error;
  };

  const doRefresh = async (reason: MetadataRefreshReason): Promise<IdpMetadata> => {
    let t = now();
    const before = current;
    // 1. Another node may already have refreshed: its copy is as good as ours would be.
    if (await tryStore(reason, t)) {
      const keysChanged = !before || !sameKeys(before.idp.signingKeys, current!.idp.signingKeys);
      if (reason !== 'signature' || keysChanged) return current!.idp;
    }
    // 2. Rate limit on this node (the lock below does it for the cluster): whatever asks for it —
    //    a schedule, or a flood of forged Responses — one download per rateLimit at most.
    //    A login that met an unknown key waits for the window when it reopens within
    //    rolloverWaitMs (a second rollover moments after the first).
    const startedAt = await refresher.startDownloadWithin(
      t,
      reason === 'signature' ? rolloverWaitMs : 0,
    );
    if (startedAt === undefined) {
      emit({ type: 'metadata-refresh-skipped', url, reason, why: 'rate-limited' });
      if (current) {
        current.nextRefreshAt = Math.max(current.nextRefreshAt, refresher.nextAllowedAt);
        if (usable(current, t)) return current.idp;
      }
      throw (
        lastError ??
        new SamlError('METADATA_FETCH_FAILED', 'The metadata was downloaded moments ago.', {
          expected: `a usable copy of ${url}`,
          found: `none, and the next download is allowed at ${new Date(refresher.nextAllowedAt).toISOString()}`,
          hint: 'retry in a few seconds; see the metadata-refresh-failed events for why the last copy was not usable',
        })
      );
    }
    t = startedAt;
    // 3. Single flight across the cluster: one download per rateLimit for all nodes.
    if (store) {
      let locked: boolean;
      try {
        locked = await store.rememberOnce(lockKey, t + policy.rateLimit);
      } catch (error) {
        emit({ type: 'store-error', url, error });
        locked = true; // the store is down: each node fetches for itself rather than not at all
      }
      if (!locked) {
        for (let i = 0; i < peerWaitAttempts; i++) {
          await sleep(peerWaitMs);
          if (await tryStore(reason, now())) return current!.idp;
        }
        emit({ type: 'metadata-refresh-skipped', url, reason, why: 'peer-refreshing' });
        if (current) {
          current.nextRefreshAt = Math.max(
            current.nextRefreshAt,
            t + Math.min(policy.rateLimit, policy.retryInterval),
          );
          if (usable(current, t)) return current.idp;
        }
        return fail(
          new SamlError('METADATA_FETCH_FAILED', 'Another node is downloading the metadata.', {
            expected: `metadata for ${url} in the shared store`,
            found: 'none yet (the refresh lock is held by another node)',
            hint: 'retry shortly; if this persists, check the other nodes’ metadata-refresh-failed events',
          }),
          reason,
          t,
        );
      }
    }
    // 4. A conditional request when a copy is held: an unchanged document costs a 304.
    const held = current;
    const validators: MetadataValidators | undefined =
      held && (held.copy.etag !== undefined || held.copy.lastModified !== undefined)
        ? {
            ...(held.copy.etag !== undefined && { etag: held.copy.etag }),
            ...(held.copy.lastModified !== undefined && { lastModified: held.copy.lastModified }),
          }
        : undefined;
    let got: MetadataDownload;
    let idp: IdpMetadata;
    try {
      got = await download(validators);
      if (!got.modified) {
        if (!held) throw new TypeError('a 304 without a held copy'); // validators imply one
        const copy: Copy = {
          xml: held.copy.xml,
          fetchedAt: held.copy.fetchedAt,
          checkedAt: t,
          // A 304 may carry updated validators (RFC 9110 §15.4.5); keep the old ones otherwise.
          ...((got.validators.etag ?? held.copy.etag) !== undefined && {
            etag: (got.validators.etag ?? held.copy.etag)!,
          }),
          ...((got.validators.lastModified ?? held.copy.lastModified) !== undefined && {
            lastModified: (got.validators.lastModified ?? held.copy.lastModified)!,
          }),
        };
        if (!usable(held, t)) {
          return fail(
            new SamlError('METADATA_EXPIRED', 'The IdP still serves metadata that has expired.', {
              expected: `metadata valid at ${new Date(t).toISOString()}`,
              found: `HTTP 304 Not Modified for metadata with validUntil ${new Date(held.idp.validUntil!).toISOString()}`,
              hint: 'ask the IdP administrator to republish its metadata with a later validUntil',
            }),
            reason,
            t,
          );
        }
        confirm(held, copy);
        emit({
          type: 'metadata-not-modified',
          url,
          reason,
          checkedAt: t,
          nextRefreshAt: held.nextRefreshAt,
        });
        await writeStore(copy, held.idp, t);
        return held.idp;
      }
      idp = await parse(got.xml, t);
    } catch (e) {
      return fail(toSamlError(e, url), reason, t);
    }
    const copy: Copy = { xml: got.xml, fetchedAt: t, checkedAt: t, ...got.validators };
    adopt(copy, idp, 'fetch', reason, t);
    await writeStore(copy, idp, t);
    return idp;
  };

  const refreshNow = (reason: MetadataRefreshReason): Promise<IdpMetadata> =>
    refresher.run(() => doRefresh(reason));

  const get = async (): Promise<IdpMetadata> => {
    const t = now();
    if (current && usable(current, t)) {
      // Never make a login wait for a scheduled refresh: serve the copy in force meanwhile.
      if (t >= current.nextRefreshAt) refresher.runInBackground(() => doRefresh('scheduled'));
      return current.idp;
    }
    return refreshNow(current ? 'scheduled' : 'initial');
  };

  return Object.freeze({
    url,
    get,
    refresh: () => refreshNow(current ? 'manual' : 'initial'),
    async withRollover<T>(fn: (idp: IdpMetadata) => Promise<T>): Promise<T> {
      const idp = await get();
      try {
        return await fn(idp);
      } catch (e) {
        if (!isSamlError(e, 'SIGNATURE_INVALID') && !isSamlError(e, 'SIGNATURE_KEY_UNTRUSTED')) {
          throw e;
        }
        // One refresh, awaited for a bounded time: a hanging metadata server must not hold the
        // login longer than rolloverWaitMs.
        const outcome = await refresher.waitAtMost(refreshNow('signature'), rolloverWaitMs);
        if (!outcome.settled) {
          emit({
            type: 'metadata-wait-exceeded',
            url,
            reason: 'signature',
            waitedMs: rolloverWaitMs,
          });
          throw e;
        }
        if ('error' in outcome) throw outcome.error;
        const fresh = outcome.value;
        // Same keys: the signature is bad, not unknown; retrying could not help.
        if (sameKeys(fresh.signingKeys, idp.signingKeys)) throw e;
        return fn(fresh);
      }
    },
    status: (): MetadataSourceStatus => ({
      url,
      ...(current
        ? {
            entityId: current.idp.entityId,
            fetchedAt: current.copy.fetchedAt,
            checkedAt: current.copy.checkedAt,
            nextRefreshAt: current.nextRefreshAt,
          }
        : {}),
      ...(lastError ? { lastError } : {}),
      refreshing: refresher.running,
    }),
    idle: (): Promise<void> => refresher.idle(),
  });
}
