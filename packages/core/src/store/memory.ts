import { ownString } from '../lib/own-string.js';
import { assertPendingMatch, matchesPendingRequest } from './take-matching.js';
import type {
  EndSessionsResult,
  PendingRequest,
  PendingRequestMatch,
  SamlStore,
  SessionQuery,
  SessionRecord,
} from './types.js';

/** Which key space an evicted entry belonged to. */
export type MemoryStoreEntryKind = 'pendingRequest' | 'rememberOnce' | 'session' | 'value';

/** Told to {@link MemoryStoreOptions.onEvict} when a live entry is dropped to make room. */
export interface MemoryStoreEvictionEvent {
  /** The key space of the evicted entry. */
  readonly kind: MemoryStoreEntryKind;
  /** The entry's key (request ID, `rememberOnce` key, session ID or value key). */
  readonly key: string;
  /** When the entry would have expired (epoch ms). */
  readonly expiresAt: number;
  /** Always `capacity`: the store held `maxEntries` live entries. */
  readonly reason: 'capacity';
  /** The configured bound. */
  readonly maxEntries: number;
  /** How many live entries this store has evicted so far, this one included. */
  readonly evictedTotal: number;
}

/** Options for {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * The most entries (pending requests, remembered keys, sessions and values together) kept at
   * once; when full, expired entries go first, then the oldest live entry (by insertion or last
   * replacement) is evicted and reported to `onEvict`. Default 100 000.
   *
   * Evicting a remembered assertion ID re-opens it to replay, and evicting a session logs a user
   * out: size this above the peak number of live entries, and watch `onEvict`.
   */
  readonly maxEntries?: number;
  /** The clock (epoch ms). Default `Date.now`. Tests inject a fake one. */
  readonly now?: () => number;
  /**
   * Called for every live entry evicted to make room. Default: `console.warn` on the first
   * eviction and then on every 1000th.
   */
  readonly onEvict?: (event: MemoryStoreEvictionEvent) => void;
}

interface Entry {
  readonly kind: MemoryStoreEntryKind;
  /** JSON for records, a copy of the string for values, '' for remembered keys. */
  readonly value: string;
  expiresAt: number;
  /** For sessions: the SLO index key the session is listed under. */
  readonly indexKey?: string;
}

const DEFAULT_MAX_ENTRIES = 100_000;

/**
 * How many entries every operation looks at for expiry. Each write adds at most one entry, so
 * the sweep passes over the whole store within `size / (SWEEP_STEP - 1)` writes, however large.
 */
const SWEEP_STEP = 4;

/** The entry's own key (request ID, `rememberOnce` key, session ID or value key). */
function keyOf(full: string): string {
  return full.slice(2);
}

const PREFIX: Record<MemoryStoreEntryKind, string> = {
  pendingRequest: 'p\u0000',
  rememberOnce: 'o\u0000',
  session: 's\u0000',
  value: 'v\u0000',
};

function defaultOnEvict(event: MemoryStoreEvictionEvent): void {
  if (event.evictedTotal === 1 || event.evictedTotal % 1000 === 0) {
    console.warn(
      `samlkit MemoryStore is full (maxEntries ${event.maxEntries}): evicted the oldest live ` +
        `${event.kind} entry (${event.evictedTotal} so far). Raise maxEntries or use a shared ` +
        'store (@samlkit/redis); evicted replay-cache entries re-open assertions to replay.',
    );
  }
}

function assertKey(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`${name} must be a non-empty string`);
  }
}

function assertTime(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`${name} must be a finite number of epoch milliseconds`);
  }
}

function assertSession(session: unknown): asserts session is SessionRecord {
  if (typeof session !== 'object' || session === null) {
    throw new TypeError('session must be a SessionRecord object');
  }
  const s = session as Partial<SessionRecord>;
  assertKey(s.id, 'session.id');
  assertKey(s.issuer, 'session.issuer');
  assertKey(s.nameId, 'session.nameId');
  if (s.sessionIndex !== undefined) assertKey(s.sessionIndex, 'session.sessionIndex');
  assertTime(s.createdAt, 'session.createdAt');
  assertTime(s.expiresAt, 'session.expiresAt');
  if (typeof s.attributes !== 'object' || s.attributes === null) {
    throw new TypeError('session.attributes must be an object of string arrays');
  }
}

function indexKeyOf(issuer: string, nameId: string): string {
  return JSON.stringify([issuer, nameId]);
}

function bySessionOrder(a: SessionRecord, b: SessionRecord): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * The embedded store: all state in this process's memory. Right for a single process; a cluster
 * needs a shared store such as `RedisStore` from `@samlkit/redis`.
 *
 * Expired entries are never returned, and are dropped as the store is used: every operation
 * looks at the next few entries in turn (O(1) per operation) and drops those that have expired,
 * so memory follows the live entries, not every entry ever stored. Keys and values are copied
 * on the way in, so an entry never keeps the SAML message it was read from
 * alive. Size is bounded by `maxEntries`: when full, expired entries are dropped first, then the
 * oldest live entry is evicted and reported to `onEvict`. Every
 * operation runs to completion without yielding, so concurrent calls within the process are
 * atomic (one `takePendingRequest` and one `rememberOnce` win a race; a conditional take checks
 * the record's kind and IdP and deletes it in the same step). Records are stored as
 * JSON, so what comes back is a copy, exactly as a networked store would return it.
 *
 * @example The default store, with evictions logged to your logger
 * ```ts
 * const store = new MemoryStore({
 *   maxEntries: 50_000,
 *   onEvict: (e) => logger.warn({ kind: e.kind, evicted: e.evictedTotal }, 'SAML store full'),
 * });
 * ```
 * @see SamlStore for the guarantees of each operation
 */
export class MemoryStore implements SamlStore {
  readonly #entries = new Map<string, Entry>();
  /** SLO index: JSON [issuer, nameId] → session IDs. */
  readonly #index = new Map<string, Set<string>>();
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #onEvict: (event: MemoryStoreEvictionEvent) => void;
  #evicted = 0;
  #insertsSinceSweep = Number.POSITIVE_INFINITY;
  /** Where the incremental sweep goes on from (a Map iterator survives inserts and deletes). */
  #sweep: Iterator<[string, Entry]> | undefined;

  /**
   * @param options - size bound, clock and eviction callback
   * @throws TypeError when `maxEntries` is not a positive integer
   */
  constructor(options: MemoryStoreOptions = {}) {
    const max = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new TypeError('options.maxEntries must be a positive integer');
    }
    this.#maxEntries = max;
    this.#now = options.now ?? Date.now;
    this.#onEvict = options.onEvict ?? defaultOnEvict;
  }

  /** How many entries are held, expired ones not yet dropped included. */
  get size(): number {
    return this.#entries.size;
  }

  /** {@inheritDoc SamlStore.putPendingRequest} */
  async putPendingRequest(id: string, record: PendingRequest, expiresAt: number): Promise<void> {
    assertKey(id, 'id');
    assertTime(expiresAt, 'expiresAt');
    if (typeof record !== 'object' || record === null) {
      throw new TypeError('record must be a PendingRequest object');
    }
    this.#set('pendingRequest', id, JSON.stringify(record), expiresAt);
  }

  /** {@inheritDoc SamlStore.takePendingRequest} */
  async takePendingRequest(
    id: string,
    expect?: PendingRequestMatch,
  ): Promise<PendingRequest | undefined> {
    assertKey(id, 'id');
    assertPendingMatch(expect);
    const entry = this.#live('pendingRequest', id);
    if (!entry) return undefined;
    const record = JSON.parse(entry.value) as PendingRequest;
    // A conditional take leaves a record that is not the one the answer is for (no await between
    // the check and the delete: atomic within the process).
    if (expect !== undefined && !matchesPendingRequest(record, expect)) return undefined;
    this.#remove(PREFIX.pendingRequest + id, entry);
    return record;
  }

  /** {@inheritDoc SamlStore.rememberOnce} */
  async rememberOnce(key: string, expiresAt: number): Promise<boolean> {
    assertKey(key, 'key');
    assertTime(expiresAt, 'expiresAt');
    if (this.#live('rememberOnce', key)) return false;
    this.#set('rememberOnce', key, '', expiresAt);
    return true;
  }

  /** {@inheritDoc SamlStore.putSession} */
  async putSession(session: SessionRecord): Promise<void> {
    assertSession(session);
    this.#set('session', session.id, JSON.stringify(session), session.expiresAt, {
      indexKey: indexKeyOf(session.issuer, session.nameId),
    });
  }

  /** {@inheritDoc SamlStore.getSession} */
  async getSession(id: string): Promise<SessionRecord | undefined> {
    assertKey(id, 'id');
    const entry = this.#live('session', id);
    return entry ? this.#sessionOf(entry) : undefined;
  }

  /** {@inheritDoc SamlStore.touchSession} */
  async touchSession(id: string, expiresAt: number): Promise<boolean> {
    assertKey(id, 'id');
    assertTime(expiresAt, 'expiresAt');
    const entry = this.#live('session', id);
    if (!entry) return false;
    if (expiresAt <= this.#now()) {
      this.#remove(PREFIX.session + id, entry);
    } else {
      entry.expiresAt = expiresAt;
    }
    return true;
  }

  /** {@inheritDoc SamlStore.deleteSession} */
  async deleteSession(id: string): Promise<boolean> {
    assertKey(id, 'id');
    this.#sweepSome();
    const full = PREFIX.session + id;
    const entry = this.#entries.get(full);
    if (!entry) return false;
    const wasLive = entry.expiresAt > this.#now();
    this.#remove(full, entry);
    return wasLive;
  }

  /** {@inheritDoc SamlStore.findSessions} */
  async findSessions(query: SessionQuery): Promise<SessionRecord[]> {
    return this.#find(query);
  }

  /**
   * Deletes every live session of `query` (see {@link SamlStore.endSessions}). In memory nothing
   * can fail part-way: `failed` is always 0.
   * @param query - issuer, NameID and optional SessionIndex (all compared exactly)
   * @returns the sessions ended, and `failed: 0`
   */
  async endSessions(query: SessionQuery): Promise<EndSessionsResult> {
    const ended = this.#find(query);
    for (const session of ended) {
      const full = PREFIX.session + session.id;
      const entry = this.#entries.get(full);
      if (entry) this.#remove(full, entry);
    }
    return { ended, failed: 0 };
  }

  #find(query: SessionQuery): SessionRecord[] {
    if (typeof query !== 'object' || query === null) {
      throw new TypeError('query must be { issuer, nameId, sessionIndex? }');
    }
    assertKey(query.issuer, 'query.issuer');
    assertKey(query.nameId, 'query.nameId');
    if (query.sessionIndex !== undefined) assertKey(query.sessionIndex, 'query.sessionIndex');
    const ids = this.#index.get(indexKeyOf(query.issuer, query.nameId));
    if (!ids) return [];
    const found: SessionRecord[] = [];
    for (const id of [...ids]) {
      const entry = this.#live('session', id);
      if (!entry) continue;
      const session = this.#sessionOf(entry);
      if (query.sessionIndex === undefined || session.sessionIndex === query.sessionIndex) {
        found.push(session);
      }
    }
    return found.sort(bySessionOrder);
  }

  /** {@inheritDoc SamlStore.getValue} */
  async getValue(key: string): Promise<string | undefined> {
    assertKey(key, 'key');
    return this.#live('value', key)?.value;
  }

  /** {@inheritDoc SamlStore.setValue} */
  async setValue(key: string, value: string, expiresAt: number): Promise<void> {
    assertKey(key, 'key');
    if (typeof value !== 'string') throw new TypeError('value must be a string');
    assertTime(expiresAt, 'expiresAt');
    this.#set('value', key, ownString(value), expiresAt);
  }

  #sessionOf(entry: Entry): SessionRecord {
    const stored = JSON.parse(entry.value) as SessionRecord;
    return { ...stored, expiresAt: entry.expiresAt };
  }

  /** The live entry for a key, dropping it (and its index entry) when it has expired. */
  #live(kind: MemoryStoreEntryKind, key: string): Entry | undefined {
    this.#sweepSome();
    const full = PREFIX[kind] + key;
    const entry = this.#entries.get(full);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#remove(full, entry);
      return undefined;
    }
    return entry;
  }

  #set(
    kind: MemoryStoreEntryKind,
    key: string,
    value: string,
    expiresAt: number,
    extra: { indexKey?: string } = {},
  ): void {
    this.#sweepSome();
    // A copy: `key` may be a view into a SAML message (an assertion ID), which would keep the
    // whole message alive as long as the entry.
    const full = ownString(PREFIX[kind] + key);
    const old = this.#entries.get(full);
    // Replacing moves the entry to the newest end of the eviction order.
    if (old) this.#remove(full, old);
    if (expiresAt <= this.#now()) return;
    this.#makeRoom();
    const entry: Entry = { kind, value, expiresAt, ...extra };
    this.#entries.set(full, entry);
    if (entry.indexKey !== undefined) {
      let ids = this.#index.get(entry.indexKey);
      if (!ids) {
        ids = new Set();
        this.#index.set(entry.indexKey, ids);
      }
      ids.add(keyOf(full));
    }
  }

  /**
   * The incremental sweep: looks at the next {@link SWEEP_STEP} entries in insertion order and
   * drops the expired ones, going round again from the start once it reaches the end.
   */
  #sweepSome(): void {
    if (this.#entries.size === 0) return;
    const now = this.#now();
    for (let i = 0; i < SWEEP_STEP; i++) {
      this.#sweep ??= this.#entries.entries();
      const next = this.#sweep.next();
      if (next.done) {
        this.#sweep = undefined;
        return;
      }
      const [full, entry] = next.value;
      if (entry.expiresAt <= now) this.#remove(full, entry);
    }
  }

  #remove(full: string, entry: Entry): void {
    this.#entries.delete(full);
    if (entry.indexKey === undefined) return;
    const ids = this.#index.get(entry.indexKey);
    if (!ids) return;
    ids.delete(keyOf(full));
    if (ids.size === 0) this.#index.delete(entry.indexKey);
  }

  /**
   * Frees one slot when full: a sweep of every expired entry (at most once per `maxEntries / 8`
   * insertions, so a store full of live entries stays O(1) amortised), then expired entries at
   * the oldest end, then the oldest live entry, which is reported.
   */
  #makeRoom(): void {
    this.#insertsSinceSweep += 1;
    if (this.#entries.size < this.#maxEntries) return;
    const now = this.#now();
    if (this.#insertsSinceSweep >= Math.ceil(this.#maxEntries / 8)) {
      this.#insertsSinceSweep = 0;
      for (const [full, entry] of this.#entries) {
        if (entry.expiresAt <= now) this.#remove(full, entry);
      }
      if (this.#entries.size < this.#maxEntries) return;
    }
    for (const [full, entry] of this.#entries) {
      this.#remove(full, entry);
      if (entry.expiresAt <= now) {
        if (this.#entries.size < this.#maxEntries) return;
        continue;
      }
      this.#evicted += 1;
      this.#onEvict({
        kind: entry.kind,
        key: keyOf(full),
        expiresAt: entry.expiresAt,
        reason: 'capacity',
        maxEntries: this.#maxEntries,
        evictedTotal: this.#evicted,
      });
      return;
    }
  }
}
