import type { PublicKey } from '../crypto/keys.js';
import { describeValue, isSamlError, SamlError } from '../errors.js';
import { equalBytes } from '../lib/bytes.js';
import { DEFAULT_MAX_REDIRECTS } from '../lib/outbound.js';
import { DEFAULT_XML_LIMITS } from '../lib/xml.js';
import { findExpiryWarnings } from './expiry.js';
import { fetchMetadataXml, isLoopbackHost } from './fetch.js';
import { type IdpMetadata, parseIdpMetadata } from './idp.js';
import type {
  MetadataEvent,
  MetadataRefreshReason,
  MetadataSource,
  MetadataSourceOptions,
  MetadataSourceStatus,
} from './source-types.js';

export type {
  MetadataEvent,
  MetadataRefreshBounds,
  MetadataRefreshReason,
  MetadataSource,
  MetadataSourceOptions,
  MetadataSourceStatus,
} from './source-types.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

interface Copy {
  readonly xml: string;
  readonly fetchedAt: number;
}

interface Current extends Copy {
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
 * Refreshes happen inside {@link MetadataSource.get} when they are due, so the source needs no
 * timers and works the same in every runtime.
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
  const bounds = options.refresh ?? {};
  const minInterval = bounds.minInterval ?? 5 * MINUTE;
  const maxInterval = Math.max(bounds.maxInterval ?? DAY, minInterval);
  const defaultInterval = bounds.defaultInterval ?? 6 * HOUR;
  const retryInterval = bounds.retryInterval ?? 5 * MINUTE;
  const rateLimit = bounds.rateLimit ?? MINUTE;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const peerWaitAttempts = options.peerWaitAttempts ?? 5;
  const peerWaitMs = options.peerWaitMs ?? 400;
  const sleep =
    options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
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
  let lastAttemptAt = Number.NEGATIVE_INFINITY;
  let lastError: SamlError | undefined;
  let inflight: Promise<IdpMetadata> | undefined;

  const emit = (event: MetadataEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      // an event sink must not break logins
    }
  };

  const schedule = (fetchedAt: number, idp: IdpMetadata): number => {
    let interval = Math.min(
      Math.max(idp.cacheDuration ?? defaultInterval, minInterval),
      maxInterval,
    );
    if (idp.validUntil !== undefined) {
      // Refresh well before validUntil: by then the metadata must not be used (metadata §2.3.1).
      interval = Math.min(interval, Math.max((idp.validUntil - fetchedAt) / 2, minInterval));
    }
    return fetchedAt + interval;
  };

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
    current = { ...copy, idp, nextRefreshAt: schedule(copy.fetchedAt, idp) };
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

  const readStore = async (): Promise<Copy | undefined> => {
    if (!store) return undefined;
    try {
      const raw = await store.getValue(valueKey);
      if (raw === undefined) return undefined;
      const v = JSON.parse(raw) as Partial<Copy>;
      if (typeof v.xml !== 'string' || typeof v.fetchedAt !== 'number') return undefined;
      return { xml: v.xml, fetchedAt: v.fetchedAt };
    } catch (error) {
      emit({ type: 'store-error', url, error });
      return undefined;
    }
  };

  /** Adopts the store's copy when it is newer than ours and usable; true when adopted. */
  const tryStore = async (reason: MetadataRefreshReason, t: number): Promise<boolean> => {
    const stored = await readStore();
    if (!stored || (current && stored.fetchedAt <= current.fetchedAt)) return false;
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
        ...(current ? { lastGoodFetchedAt: current.fetchedAt } : {}),
      });
      return false;
    }
  };

  const download = (): Promise<string> =>
    fetchMetadataXml(url, {
      fetch: options.fetch,
      timeoutMs,
      maxSize,
      maxRedirects,
      // The URL itself was vetted above (https, loopback, signed, or the development option).
      signatureChecked: true,
      ...(devHttp ? { allowInsecureHttpForDevelopment: true } : {}),
    });

  const fail = (error: SamlError, reason: MetadataRefreshReason, t: number): IdpMetadata => {
    lastError = error;
    const usable = current && (current.idp.validUntil === undefined || current.idp.validUntil > t);
    if (current && usable) current.nextRefreshAt = t + retryInterval;
    emit({
      type: 'metadata-refresh-failed',
      url,
      reason,
      error,
      ...(current ? { lastGoodFetchedAt: current.fetchedAt } : {}),
      ...(current && usable ? { retryAt: current.nextRefreshAt } : {}),
    });
    if (current && usable) return current.idp;
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
    // 2. Rate limit on this node (the lock below does it for the cluster).
    if (t - lastAttemptAt < rateLimit) {
      emit({ type: 'metadata-refresh-skipped', url, reason, why: 'rate-limited' });
      if (current) {
        current.nextRefreshAt = Math.max(current.nextRefreshAt, lastAttemptAt + rateLimit);
        if (current.idp.validUntil === undefined || current.idp.validUntil > t) return current.idp;
      }
      if (lastError) throw lastError;
    }
    // 3. Single flight across the cluster.
    if (store) {
      let locked: boolean;
      try {
        locked = await store.rememberOnce(lockKey, t + rateLimit);
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
            t + Math.min(rateLimit, retryInterval),
          );
          if (current.idp.validUntil === undefined || current.idp.validUntil > t)
            return current.idp;
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
    lastAttemptAt = t;
    let xml: string;
    let idp: IdpMetadata;
    try {
      xml = await download();
      idp = await parse(xml, t);
    } catch (e) {
      return fail(toSamlError(e, url), reason, t);
    }
    adopt({ xml, fetchedAt: t }, idp, 'fetch', reason, t);
    if (store) {
      // Keep the shared copy as long as it may be used: until validUntil, or 30 days.
      const expiresAt = idp.validUntil ?? t + 30 * DAY;
      try {
        await store.setValue(valueKey, JSON.stringify({ xml, fetchedAt: t }), expiresAt);
      } catch (error) {
        emit({ type: 'store-error', url, error });
      }
    }
    return idp;
  };

  const refreshOnce = (reason: MetadataRefreshReason): Promise<IdpMetadata> => {
    inflight ??= doRefresh(reason).finally(() => {
      inflight = undefined;
    });
    return inflight;
  };

  const get = async (): Promise<IdpMetadata> => {
    const t = now();
    if (
      current &&
      t < current.nextRefreshAt &&
      (current.idp.validUntil === undefined || current.idp.validUntil > t)
    ) {
      return current.idp;
    }
    return refreshOnce(current ? 'scheduled' : 'initial');
  };

  return Object.freeze({
    url,
    get,
    refresh: () => refreshOnce(current ? 'manual' : 'initial'),
    async withRollover<T>(fn: (idp: IdpMetadata) => Promise<T>): Promise<T> {
      const idp = await get();
      try {
        return await fn(idp);
      } catch (e) {
        if (!isSamlError(e, 'SIGNATURE_INVALID') && !isSamlError(e, 'SIGNATURE_KEY_UNTRUSTED')) {
          throw e;
        }
        const fresh = await refreshOnce('signature');
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
            fetchedAt: current.fetchedAt,
            nextRefreshAt: current.nextRefreshAt,
          }
        : {}),
      ...(lastError ? { lastError } : {}),
    }),
  });
}
