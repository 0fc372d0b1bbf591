/**
 * The store interface: every piece of login and logout state samlkit keeps lives behind it, so
 * that any node of a cluster can finish what another node began.
 *
 * All methods are async and all times are epoch milliseconds on the application's clock. Records
 * are plain JSON values (strings, finite numbers, booleans, arrays, plain objects): a store may
 * serialise them, and what it returns must be equal (deeply) to what was put.
 *
 * Four kinds of state, each in its own key space (the same string used as a pending-request ID, a
 * `rememberOnce` key, a session ID and a value key names four unrelated entries):
 *
 * | state | operations | guarantee |
 * | --- | --- | --- |
 * | pending requests | `putPendingRequest`, `takePendingRequest` | a request ID is taken at most once across all nodes, even when nodes race; a conditional take leaves a record that does not match intact |
 * | replay cache | `rememberOnce` | a key is accepted (`true`) at most once until it expires, even when nodes race |
 * | sessions + SLO index | `putSession`, `getSession`, `touchSession`, `deleteSession`, `findSessions` | lookups by (issuer, NameID[, SessionIndex]) see exactly the live sessions |
 * | small shared values | `getValue`, `setValue` | last write wins; expired values are never returned |
 *
 * Common rules for every implementation:
 * - An entry whose `expiresAt` is at or before the store's current time is never returned, and
 *   putting one with such an `expiresAt` stores nothing observable.
 * - A backend that cannot be reached, or does not answer within the store's timeout, makes the
 *   operation reject with `SamlError('STORE_UNAVAILABLE')`; no operation hangs, and the store
 *   recovers by itself once the backend is back.
 * - Arguments of the wrong type (a non-string ID, a non-finite `expiresAt`) are a `TypeError`.
 *
 * `@samlkit/testkit` exports `runStoreConformance`, which checks all of this (races included)
 * against any implementation.
 *
 * @see SAML 2.0 profiles §4.1.4.5 (one-time use of bearer assertions), §4.4 (Single Logout)
 */

import type { BindingName } from '../config.js';

/** Which request a {@link PendingRequest} stands for. */
export type PendingRequestKind = 'authn' | 'logout';

/**
 * `<samlp:RequestedAuthnContext>` as it was sent, so the response can be checked against it.
 * @see SAML 2.0 core §3.3.2.2.1
 */
export interface RequestedAuthnContextRecord {
  /** `Comparison` attribute; SAML's default is `exact`. */
  readonly comparison?: 'exact' | 'minimum' | 'maximum' | 'better';
  /** `AuthnContextClassRef` values, in order of preference. */
  readonly classRefs: readonly string[];
}

/**
 * What the SP remembers about a request it sent (an AuthnRequest or a LogoutRequest) until the
 * answer comes back, keyed by the request's `ID`; the answer's `InResponseTo` takes it.
 *
 * It carries everything the node that receives the answer needs, so the answer may land on any
 * node, and no cookie is needed to correlate it (the browser may not send one on the IdP's
 * cross-site POST).
 *
 * @see SAML 2.0 core §3.2.2 (`InResponseTo`), §3.4 (AuthnRequest), §3.7 (LogoutRequest)
 */
export interface PendingRequest {
  /** The request's `ID` attribute (the value the answer's `InResponseTo` must carry). */
  readonly id: string;
  /** `authn` for an AuthnRequest, `logout` for a LogoutRequest. */
  readonly kind: PendingRequestKind;
  /** When the request was created (epoch ms). */
  readonly createdAt: number;
  /** Entity ID of the IdP the request was sent to; the answer's Issuer must equal it. */
  readonly idpEntityId: string;
  /** The RelayState sent with the request, if any. */
  readonly relayState?: string;
  /** The same-site URL (path) to send the browser to once the answer is processed. */
  readonly returnTo?: string;
  /**
   * The existing session this request belongs to: for step-up re-authentication, the session to
   * keep (and upgrade) rather than replace; for a logout, the session being ended.
   */
  readonly sessionId?: string;
  /** Whether `ForceAuthn="true"` was sent. */
  readonly forceAuthn?: boolean;
  /** Whether `IsPassive="true"` was sent. */
  readonly isPassive?: boolean;
  /** The `<samlp:RequestedAuthnContext>` that was sent, if any. */
  readonly requestedAuthnContext?: RequestedAuthnContextRecord;
  /** The binding the request was sent with. */
  readonly binding?: BindingName;
  /** The `AssertionConsumerServiceURL` (authn) or SLO endpoint (logout) the answer must target. */
  readonly destination?: string;
  /** For a logout: the NameID that was sent. */
  readonly nameId?: string;
  /** For a logout: the SessionIndex values that were sent. */
  readonly sessionIndexes?: readonly string[];
  /** Anything else the application wants back with the answer (JSON values only). */
  readonly data?: Readonly<Record<string, unknown>>;
  /**
   * For an SP-initiated login: the SHA-256 (base64url) of the random nonce the login cookie of
   * the browser that started it holds. The login completes only in a browser that presents the
   * nonce (no login CSRF). Absent for logout requests.
   */
  readonly browserBindingHash?: string;
}

/**
 * The condition of a conditional {@link SamlStore.takePendingRequest}: the record is taken only
 * when its `kind` and `idpEntityId` equal these (compared exactly, as strings). samlkit passes the
 * kind of the verified answer and its Issuer, so a message from one IdP can never consume a
 * request that was sent to another (SAML profiles §4.1.4.2, §4.4.4.2: the answer comes from the
 * IdP the request went to). `matchesPendingRequest` is the predicate.
 */
export interface PendingRequestMatch {
  /** The kind of request the answer is for (`authn` for a Response, `logout` for a LogoutResponse). */
  readonly kind: PendingRequestKind;
  /** The verified Issuer of the answer: the request must have been sent to this IdP. */
  readonly idpEntityId: string;
}

/**
 * A signed-in user's session: who they are (as the IdP said), and until when.
 *
 * The `id` is opaque and unguessable (see {@link createSessionId}); it is what the session cookie
 * carries. The SLO index finds sessions by (`issuer`, `nameId`) and by (`issuer`, `nameId`,
 * `sessionIndex`).
 *
 * @see SAML 2.0 core §2.2.3 (NameID), §2.7.2 (AuthnStatement, SessionIndex)
 */
export interface SessionRecord {
  /** Opaque, unguessable session ID (≥ 128 random bits). */
  readonly id: string;
  /** Entity ID of the IdP that authenticated the user (the assertion's Issuer). */
  readonly issuer: string;
  /** The `<saml:NameID>` value. */
  readonly nameId: string;
  /**
   * The user id: the NameID value, or the value of the IdP's `userIdAttribute` (absent in
   * sessions stored by older versions).
   */
  readonly userId?: string;
  /** The NameID `Format` attribute. */
  readonly nameIdFormat?: string;
  /** The NameID `NameQualifier` attribute. */
  readonly nameQualifier?: string;
  /** The NameID `SPNameQualifier` attribute. */
  readonly spNameQualifier?: string;
  /** The AuthnStatement's `SessionIndex`, needed to log this session out at the IdP. */
  readonly sessionIndex?: string;
  /** Attributes by name, each with all its values. */
  readonly attributes: Readonly<Record<string, readonly string[]>>;
  /** The AuthnStatement's `AuthnInstant` (epoch ms). */
  readonly authnInstant?: number;
  /** The AuthnStatement's `AuthnContextClassRef` (how the user authenticated, e.g. with MFA). */
  readonly authnContextClassRef?: string;
  /** When the session was created (epoch ms). */
  readonly createdAt: number;
  /** When the session ends (epoch ms); the store forgets it then. */
  readonly expiresAt: number;
  /**
   * With an inactivity timeout: the absolute end no use can extend the session past (epoch ms).
   * `expiresAt` is then the inactivity deadline.
   */
  readonly absoluteExpiresAt?: number;
  /** The application's own data (JSON values only). */
  readonly data?: Readonly<Record<string, unknown>>;
}

/**
 * A query on the SLO index. Without `sessionIndex` it finds every session of that NameID at that
 * IdP; with it, only the sessions with that SessionIndex.
 * @see SAML 2.0 core §3.7.1 (LogoutRequest: NameID and optional SessionIndex)
 */
export interface SessionQuery {
  /** The IdP's entity ID (the LogoutRequest's Issuer). */
  readonly issuer: string;
  /** The NameID value. */
  readonly nameId: string;
  /** Restrict to sessions with this SessionIndex. */
  readonly sessionIndex?: string;
}

/**
 * What {@link SamlStore.endSessions} did.
 * @see SAML 2.0 core §3.7.3.2 (a session authority that cannot end every session answers
 * `PartialLogout`)
 */
export interface EndSessionsResult {
  /** The sessions that were live and are now deleted, ordered by `createdAt`, then `id`. */
  readonly ended: SessionRecord[];
  /**
   * How many sessions the SLO index listed that could not be ended (the backend failed or timed
   * out part-way; they may still be live). 0 when every matching session ended.
   */
  readonly failed: number;
}

/**
 * A replay cache: set-if-absent with expiry. `validateResponse` and `validateLogoutRequest` take
 * one as `replayCache`; every {@link SamlStore} is one.
 */
export interface ReplayCache {
  /**
   * Returns `true` the first time `key` is seen and remembers it until `expiresAt` (epoch ms);
   * `false` while it is remembered. Of concurrent calls with the same key, exactly one gets `true`.
   * @param key - what to remember
   * @param expiresAt - epoch ms until which the key is remembered
   * @returns `true` when the key was absent (and is now remembered), `false` otherwise
   */
  rememberOnce(key: string, expiresAt: number): Promise<boolean>;
}

/**
 * Shared state for login, logout and replay protection. Implement it to keep samlkit's state
 * anywhere; `MemoryStore` (one process) and `RedisStore` from `@samlkit/redis` (clusters) are
 * provided. Prove an implementation with `runStoreConformance` from `@samlkit/testkit`.
 *
 * Every method rejects with `SamlError('STORE_UNAVAILABLE')` when the backend cannot be reached
 * in time, and with a `TypeError` on an argument of the wrong type.
 *
 * @example Keeping login state in a store
 * ```ts
 * const store: SamlStore = new MemoryStore();
 * await store.putPendingRequest(request.id, record, now + 10 * 60_000);
 * // … later, on any node, when the verified Response arrives: once only, and only a login that
 * // was sent to the IdP that answered (another IdP's answer leaves it intact)
 * const pending = await store.takePendingRequest(response.inResponseTo, {
 *   kind: 'authn',
 *   idpEntityId: response.issuer,
 * });
 * ```
 */
export interface SamlStore extends ReplayCache {
  /**
   * Stores a pending request under its ID until `expiresAt`, replacing any entry with that ID.
   * @param id - the request's `ID`
   * @param record - what to hand back to {@link SamlStore.takePendingRequest}
   * @param expiresAt - epoch ms after which the request is forgotten
   * @throws SamlError `STORE_UNAVAILABLE`
   */
  putPendingRequest(id: string, record: PendingRequest, expiresAt: number): Promise<void>;

  /**
   * Atomically gets and deletes a pending request: of any number of concurrent calls with the
   * same ID, on any nodes, exactly one gets the record; the others (and every later call) get
   * `undefined`. Expired requests are `undefined`.
   *
   * With `expect` (a conditional take) the record is taken only when
   * `matchesPendingRequest(record, expect)` holds; otherwise the call returns `undefined`
   * and leaves the record exactly as it was (same record, same expiry), for the answer it is
   * waiting for. The check and the delete are one atomic step: a mismatching call racing a
   * matching one never makes the matching one miss. samlkit always passes `expect` when it takes
   * a request named by an IdP's answer. A store written before `expect` existed ignores it;
   * samlkit then puts a mismatching record back with the lifetime it had left (see
   * docs/security.md for the narrow window that leaves), so implement it.
   * @param id - the answer's `InResponseTo`
   * @param expect - take the record only if it is this kind of request, sent to this IdP
   * @returns the record, or `undefined` when absent, expired, already taken or not matching
   * @throws SamlError `STORE_UNAVAILABLE`
   */
  takePendingRequest(id: string, expect?: PendingRequestMatch): Promise<PendingRequest | undefined>;

  /**
   * Set-if-absent with expiry: returns `true` the first time a key is seen and remembers it until
   * `expiresAt`; returns `false` while it is remembered (the expiry is not extended). Of any
   * number of concurrent calls with the same key, on any nodes, exactly one gets `true`.
   * Replay checks use `assertion:<issuer>:<ID>`; single-flight locks use `lock:<name>`.
   * @param key - what to remember
   * @param expiresAt - epoch ms until which the key is remembered
   * @returns `true` when the key was absent (and is now remembered), `false` otherwise
   * @throws SamlError `STORE_UNAVAILABLE`
   */
  rememberOnce(key: string, expiresAt: number): Promise<boolean>;

  /**
   * Creates or replaces a session (keyed by `session.id`) until `session.expiresAt`, and updates
   * the SLO index: after it resolves, {@link SamlStore.findSessions} finds the session under its
   * (new) issuer/NameID/SessionIndex and no longer under the ones it replaced.
   * @param session - the session record
   * @throws SamlError `STORE_UNAVAILABLE`
   */
  putSession(session: SessionRecord): Promise<void>;

  /**
   * Reads a live session.
   * @param id - the session ID
   * @returns the record, or `undefined` when absent, deleted or expired
   * @throws SamlError `STORE_UNAVAILABLE`
   */
  getSession(id: string): Promise<SessionRecord | undefined>;

  /**
   * Moves a live session's expiry to `expiresAt` (the returned records then carry it).
   * @param id - the session ID
   * @param expiresAt - the new expiry (epoch ms)
   * @returns `true` when the session was live and is updated, `false` when absent or expired
   * @throws SamlError `STORE_UNAVAILABLE`
   */
  touchSession(id: string, expiresAt: number): Promise<boolean>;

  /**
   * Deletes a session and its SLO index entries.
   * @param id - the session ID
   * @returns `true` when a live session was deleted, `false` when there was none
   * @throws SamlError `STORE_UNAVAILABLE`
   */
  deleteSession(id: string): Promise<boolean>;

  /**
   * The SLO index: every live session of a NameID at an IdP, optionally only those with a given
   * SessionIndex. Deleted, replaced and expired sessions are never returned. Ordered by
   * `createdAt`, then `id`.
   * @param query - issuer, NameID and optional SessionIndex (all compared exactly)
   * @returns the matching sessions (possibly none)
   * @throws SamlError `STORE_UNAVAILABLE`
   */
  findSessions(query: SessionQuery): Promise<SessionRecord[]>;

  /**
   * Optional bulk logout: deletes every live session {@link SamlStore.findSessions} would return
   * for `query`, and drops index entries of sessions that have expired or are gone. A store that
   * has it lets an IdP-initiated logout end thousands of sessions of one user in a few round
   * trips instead of one per session; without it samlkit finds the sessions and deletes them one
   * by one.
   *
   * It may end some sessions and fail on others (for example when the backend stops answering
   * part-way): what ended is in `ended`, the number that could not be ended in `failed`, and the
   * logout is then answered with `PartialLogout`. It rejects (ending nothing) when the sessions
   * cannot even be listed.
   * @param query - issuer, NameID and optional SessionIndex (as for `findSessions`)
   * @returns the sessions ended and how many could not be
   * @throws SamlError `STORE_UNAVAILABLE`
   */
  endSessions?(query: SessionQuery): Promise<EndSessionsResult>;

  /**
   * Reads a small shared value (for example cached IdP metadata).
   * @param key - the value's key
   * @returns the value, or `undefined` when absent or expired
   * @throws SamlError `STORE_UNAVAILABLE`
   */
  getValue(key: string): Promise<string | undefined>;

  /**
   * Writes a small shared value until `expiresAt` (last write wins).
   * @param key - the value's key
   * @param value - the value
   * @param expiresAt - epoch ms after which the value is forgotten
   * @throws SamlError `STORE_UNAVAILABLE`
   */
  setValue(key: string, value: string, expiresAt: number): Promise<void>;
}
