// The public types of a metadata source: its options, events, status and interface.
import type { CryptoProvider } from '../crypto/provider.js';
import type { SamlError } from '../errors.js';
import type { XmlLimits } from '../lib/xml.js';
import type { SamlStore } from '../store/types.js';
import type { ExpiryWarning } from './expiry.js';
import type { IdpMetadata, ParseIdpMetadataOptions } from './idp.js';
import type { MetadataRefreshBounds, Sleep } from './refresher.js';

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
   * the signature error; the refresh then finishes in the background. 0 never waits.
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
