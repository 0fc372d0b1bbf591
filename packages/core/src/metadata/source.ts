import { isSamlError, SamlError } from '../errors.js';
import { DEFAULT_MAX_REDIRECTS } from '../lib/outbound.js';
import { DEFAULT_XML_LIMITS } from '../lib/xml.js';
import { findExpiryWarnings } from './expiry.js';
import { fetchMetadataDocument, type MetadataDownload, type MetadataValidators } from './fetch.js';
import { type IdpMetadata, parseIdpMetadata } from './idp.js';
import {
  DEFAULT_ROLLOVER_WAIT_MS,
  defaultSleep,
  nextScheduledRefresh,
  Refresher,
  resolveRefreshPolicy,
} from './refresher.js';
import {
  type Copy,
  type Current,
  checkMetadataUrl,
  readStoredCopy,
  sameKeys,
  toSamlError,
  writeStoredCopy,
} from './source-copy.js';
import type {
  MetadataEvent,
  MetadataRefreshReason,
  MetadataSource,
  MetadataSourceOptions,
  MetadataSourceStatus,
} from './source-types.js';

export type { MetadataRefreshBounds } from './refresher.js';
export type {
  MetadataEvent,
  MetadataRefreshReason,
  MetadataSource,
  MetadataSourceOptions,
  MetadataSourceStatus,
} from './source-types.js';

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
  checkMetadataUrl(url, options);

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
  const storeError = (error: unknown): void => emit({ type: 'store-error', url, error });
  const readStore = (): Promise<Copy | undefined> => readStoredCopy(store, valueKey, storeError);
  const writeStore = (copy: Copy, idp: IdpMetadata, t: number): Promise<void> =>
    writeStoredCopy(store, valueKey, copy, idp, t, storeError);

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
    const t = now();
    const before = current;
    // 1. Another node may already have refreshed: its copy is as good as ours would be.
    if (await tryStore(reason, t)) {
      const keysChanged = !before || !sameKeys(before.idp.signingKeys, current!.idp.signingKeys);
      if (reason !== 'signature' || keysChanged) return current!.idp;
    }
    // 2. Rate limit on this node (the lock below does it for the cluster): whatever asks for it —
    //    a schedule, or a flood of forged Responses — one download per rateLimit at most.
    if (!refresher.tryStartDownload(t)) {
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
