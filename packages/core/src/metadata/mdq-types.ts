// The public types of the MDQ client (mdq.ts): its options, events and interface.
import type { PublicKey } from '../crypto/keys.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type { XmlLimits } from '../lib/xml.js';
import type { IdpResolver } from '../sp/idp-resolver.js';
import type { SamlStore } from '../store/types.js';
import type { IdpMetadata } from './idp.js';
import type { MdqNewEntityBudget } from './mdq-budget.js';
import type { MetadataRefreshBounds, Sleep } from './refresher.js';
import type { MetadataEvent } from './source-types.js';

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
    }
  | {
      /**
       * A lookup of an entity not held was refused without a request: `newEntityBudget` is spent
       * until `retryAt` (epoch ms).
       */
      readonly type: 'mdq-budget-exceeded';
      readonly mdqEntityId: string;
      readonly url: string;
      readonly retryAt: number;
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
  /**
   * Entities held in memory at most (default 10 000). To make room, entities without a verified
   * copy (lookups still running or failed) are dropped first, oldest first; then the least
   * recently used verified ones.
   */
  readonly maxEntities?: number;
  /**
   * The budget of MDQ requests for entities this node does not hold (a token bucket; default
   * 100 per minute, at most 100 at once). Over it, a lookup of such an entity is refused at
   * once (`METADATA_FETCH_FAILED`, event `mdq-budget-exceeded`) unless the store has a copy;
   * entities held keep being served and refreshed, and 404s already remembered cost nothing.
   * It bounds what a flood of made-up entity IDs (Responses with random Issuers, forged
   * discovery answers, `?idp=`) makes the SP send. Per process, and per kind of lookup: logins
   * (`?idp=`, discovery answers) and messages (the Issuer of a Response or logout message) each
   * have a budget of this size, so a flood of one kind cannot starve the other;
   * `{ requests: Infinity, perMs: 1 }` switches it off.
   */
  readonly newEntityBudget?: MdqNewEntityBudget;
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

/**
 * What a lookup is for, which decides the `newEntityBudget` it spends: `login` (a user's login or
 * discovery answer names the IdP) or `message` (a Response or logout message names it).
 */
export type MdqLookupPurpose = 'login' | 'message';

/** IdP metadata looked up per entity from an MDQ service. */
export interface MdqSource {
  /**
   * The entity's verified metadata: the copy held (a due refresh runs in the background), or a
   * download waited for at most `lookupWaitMs`.
   * @throws SamlError `METADATA_ENTITY_NOT_FOUND` (404, remembered), `METADATA_FETCH_FAILED`
   *   (unreachable, no answer within `lookupWaitMs`, or an entity not held with
   *   `newEntityBudget` spent), `METADATA_INVALID` (unsigned, or not
   *   signed by the pinned key), `METADATA_EXPIRED`
   */
  get(entityId: string, purpose?: MdqLookupPurpose): Promise<IdpMetadata>;
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
