import {
  type EndSessionsResult,
  matchesPendingRequest,
  type PendingRequest,
  type PendingRequestMatch,
  type SamlStore,
  type SessionQuery,
  type SessionRecord,
} from '@samlkit/core';
import {
  assertKey,
  assertMs,
  assertPendingMatch,
  assertQuery,
  assertSession,
  assertTime,
  bySessionOrder,
  sessionOf,
} from './lib/checks.js';
import { RedisConnection } from './lib/connection.js';
import { evalEach, evalKeys, evalScript } from './lib/eval.js';
import { type KeyBuilder, keyBuilder } from './lib/keys.js';
import type { RedisClient, RedisStoreOptions } from './lib/options.js';
import {
  INDEX_ADD,
  INDEX_LIVE,
  PENDING_TAKE_EXACT,
  PENDING_TAKE_IF,
  SESSION_END,
  SESSION_PUT,
  SESSION_TAKE,
  SESSION_TOUCH,
  SESSIONS_END,
} from './lib/scripts.js';

const DEFAULT_PREFIX = 'samlkit:';
const DEFAULT_COMMAND_TIMEOUT_MS = 1000;
const DEFAULT_CONNECT_TIMEOUT_MS = 2000;
/** Sessions ended per script call on a single Redis by {@link RedisStore.endSessions}. */
const END_SESSIONS_CHUNK = 2000;
/** Sessions ended per pipeline (and per `commandTimeoutMs`) on Redis Cluster. */
const END_SESSIONS_CLUSTER_CHUNK = 500;

/**
 * The store on Redis or Redis Cluster: any node of a cluster can finish a login or logout that
 * another began. Pending requests are taken once with `GETDEL` (a conditional take, which leaves a
 * record of another kind or IdP, with one single-key Lua script), replay keys are remembered with
 * `SET NX PX`, sessions and the SLO index are kept by single-key Lua scripts; every key has a TTL
 * and no hot path lists keys (no `KEYS`, no `SCAN`). Each script touches one key, so the store
 * works on Redis Cluster as it is. Needs Redis 6.2 or later.
 *
 * Every operation settles within `commandTimeoutMs`; when Redis is unreachable it rejects with
 * `SamlError('STORE_UNAVAILABLE')` (never crashes the process), and the store reconnects by
 * itself when Redis is back.
 *
 * @example One Redis, from an environment variable
 * ```ts
 * import { RedisStore } from '@samlkit/redis';
 *
 * const store = new RedisStore({ url: process.env.REDIS_URL!, keyPrefix: 'myapp:saml:' });
 * // … pass `store` to samlkit; on shutdown:
 * await store.close();
 * ```
 * @example Redis Cluster
 * ```ts
 * const store = new RedisStore({ clusterNodes: ['redis://10.0.0.1:6379', 'redis://10.0.0.2:6379'] });
 * ```
 * @see SamlStore in `@samlkit/core` for the guarantees of each operation
 */
export class RedisStore implements SamlStore {
  readonly #connection: RedisConnection;
  readonly #keys: KeyBuilder;
  readonly #now: () => number;

  /**
   * @param options - the connection (`client`, `url` or `clusterNodes`) and the common options
   * @throws TypeError when the options are not one of the three shapes, or a time is not positive
   */
  constructor(options: RedisStoreOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError('options must be { client } | { url } | { clusterNodes }');
    }
    const commandTimeoutMs = assertMs(
      options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
      'commandTimeoutMs',
    );
    const connectTimeoutMs = assertMs(
      options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      'connectTimeoutMs',
    );
    const prefix = options.keyPrefix ?? DEFAULT_PREFIX;
    if (typeof prefix !== 'string') throw new TypeError('options.keyPrefix must be a string');
    this.#keys = keyBuilder(prefix);
    this.#now = options.now ?? Date.now;
    this.#connection = new RedisConnection(options, { commandTimeoutMs, connectTimeoutMs });
  }

  /**
   * Checks that Redis answers (a `PING`), for health checks and start-up.
   * @throws SamlError `STORE_UNAVAILABLE`
   */
  async ping(): Promise<void> {
    await this.#run('ping', (c) => c.ping());
  }

  /**
   * Closes the connection the store opened (a client passed in is left open). Operations after
   * `close()` reject with `STORE_UNAVAILABLE`.
   */
  async close(): Promise<void> {
    await this.#connection.close();
  }

  /** {@inheritDoc @samlkit/core!index.SamlStore.putPendingRequest} */
  async putPendingRequest(id: string, record: PendingRequest, expiresAt: number): Promise<void> {
    assertKey(id, 'id');
    assertTime(expiresAt, 'expiresAt');
    if (typeof record !== 'object' || record === null) {
      throw new TypeError('record must be a PendingRequest object');
    }
    // The expiry travels with the record: Redis drops the key a moment after expiresAt (its TTL
    // counts from when the command arrived), and a take in that moment must still miss.
    const json = JSON.stringify({ e: expiresAt, r: record });
    const key = this.#keys.pending(id);
    await this.#run('putPendingRequest', async (c) => {
      const ttl = Math.ceil(expiresAt - this.#now());
      if (ttl > 0) await c.set(key, json, 'PX', ttl);
      else await c.del(key);
    });
  }

  /** {@inheritDoc @samlkit/core!index.SamlStore.takePendingRequest} */
  async takePendingRequest(
    id: string,
    expect?: PendingRequestMatch,
  ): Promise<PendingRequest | undefined> {
    assertKey(id, 'id');
    assertPendingMatch(expect);
    const key = this.#keys.pending(id);
    return this.#run('takePendingRequest', async (c) => {
      // A conditional take compares and deletes in one script (atomic on the key's node): a
      // record of another kind or IdP stays, with its TTL, for the answer it waits for.
      let json =
        expect === undefined
          ? await c.getdel(key)
          : ((await evalScript(c, PENDING_TAKE_IF, key, [expect.kind, expect.idpEntityId])) as
              | string
              | number
              | null);
      if (json === 0 && expect !== undefined) {
        // A record the script's JSON decoder cannot read: compared here, taken only if unchanged.
        const raw = await c.get(key);
        const record = raw === null ? undefined : (JSON.parse(raw) as { r: PendingRequest }).r;
        json =
          raw !== null &&
          record !== undefined &&
          matchesPendingRequest(record, expect) &&
          (await evalScript(c, PENDING_TAKE_EXACT, key, [raw])) === 1
            ? raw
            : null;
      }
      if (json === null || typeof json !== 'string') return undefined;
      const stored = JSON.parse(json) as { e: number; r: PendingRequest };
      return stored.e > this.#now() ? stored.r : undefined;
    });
  }

  /** {@inheritDoc @samlkit/core!index.SamlStore.rememberOnce} */
  async rememberOnce(key: string, expiresAt: number): Promise<boolean> {
    assertKey(key, 'key');
    assertTime(expiresAt, 'expiresAt');
    const k = this.#keys.once(key);
    return this.#run('rememberOnce', async (c) => {
      const ttl = Math.ceil(expiresAt - this.#now());
      if (ttl <= 0) return (await c.exists(k)) === 0;
      return (await c.set(k, '1', 'PX', ttl, 'NX')) === 'OK';
    });
  }

  /** {@inheritDoc @samlkit/core!index.SamlStore.putSession} */
  async putSession(session: SessionRecord): Promise<void> {
    assertSession(session);
    const json = JSON.stringify(session);
    const key = this.#keys.session(session.id);
    const index = this.#keys.index(session.issuer, session.nameId);
    await this.#run('putSession', async (c) => {
      const now = this.#now();
      const ttl = Math.ceil(session.expiresAt - now);
      if (ttl <= 0) {
        await this.#deleteSession(c, session.id, now);
        return;
      }
      // The index is written before the session and cleaned after it, so it always lists every
      // live session; a member without a live session is filtered out on read and drops out of
      // the index when its score passes.
      await evalScript(c, INDEX_ADD, index, [session.id, session.expiresAt, now]);
      const old = (await evalScript(c, SESSION_PUT, key, [json, session.expiresAt, ttl])) as
        | string
        | null;
      if (old !== null) {
        const previous = JSON.parse(old) as SessionRecord;
        const oldIndex = this.#keys.index(previous.issuer, previous.nameId);
        if (oldIndex !== index) await c.zrem(oldIndex, session.id);
      }
    });
  }

  /** {@inheritDoc @samlkit/core!index.SamlStore.getSession} */
  async getSession(id: string): Promise<SessionRecord | undefined> {
    assertKey(id, 'id');
    const key = this.#keys.session(id);
    return this.#run('getSession', async (c) => {
      const [r, e] = await c.hmget(key, 'r', 'e');
      return sessionOf(r ?? null, e ?? null, this.#now());
    });
  }

  /** {@inheritDoc @samlkit/core!index.SamlStore.touchSession} */
  async touchSession(id: string, expiresAt: number): Promise<boolean> {
    assertKey(id, 'id');
    assertTime(expiresAt, 'expiresAt');
    const key = this.#keys.session(id);
    return this.#run('touchSession', async (c) => {
      const now = this.#now();
      const [r, e] = await c.hmget(key, 'r', 'e');
      const current = sessionOf(r ?? null, e ?? null, now);
      if (!current) return false;
      const ttl = Math.ceil(expiresAt - now);
      if (ttl <= 0) return this.#deleteSession(c, id, now);
      // Extend the index first, so it never expires before the session it lists.
      const index = this.#keys.index(current.issuer, current.nameId);
      await evalScript(c, INDEX_ADD, index, [id, expiresAt, now]);
      return (await evalScript(c, SESSION_TOUCH, key, [expiresAt, ttl])) === 1;
    });
  }

  /** {@inheritDoc @samlkit/core!index.SamlStore.deleteSession} */
  async deleteSession(id: string): Promise<boolean> {
    assertKey(id, 'id');
    return this.#run('deleteSession', (c) => this.#deleteSession(c, id, this.#now()));
  }

  /** {@inheritDoc @samlkit/core!index.SamlStore.findSessions} */
  async findSessions(query: SessionQuery): Promise<SessionRecord[]> {
    assertQuery(query);
    const index = this.#keys.index(query.issuer, query.nameId);
    return this.#run('findSessions', async (c) => {
      const now = this.#now();
      const ids = await c.zrangebyscore(index, `(${now}`, '+inf');
      // One HMGET per session: sessions live in different Cluster slots.
      const rows = await Promise.all(ids.map((id) => c.hmget(this.#keys.session(id), 'r', 'e')));
      const found: SessionRecord[] = [];
      for (const [r, e] of rows) {
        const s = sessionOf(r ?? null, e ?? null, now);
        // A member can outlive a replace that moved the session to another NameID (if the
        // clean-up failed): check the record itself.
        if (!s || s.issuer !== query.issuer || s.nameId !== query.nameId) continue;
        if (query.sessionIndex !== undefined && s.sessionIndex !== query.sessionIndex) continue;
        found.push(s);
      }
      return found.sort(bySessionOrder);
    });
  }

  /**
   * Deletes every live session of `query` (see `SamlStore.endSessions` in `@samlkit/core`).
   * One round trip lists the SLO index and drops the members whose sessions have expired. On a
   * single Redis the sessions are then ended in chunks of 2 000, one script call per chunk that
   * also removes the ended (and vanished) sessions from the index, each chunk one round trip with
   * a `commandTimeoutMs` of its own: ending 10 000 sessions of one user costs six round trips. On Redis Cluster (sessions spread over slots)
   * they are ended in chunks of 500, one script call per session, all of a chunk sent together.
   * Each session is ended by a script that checks, in Redis, that the record still belongs to this
   * issuer and NameID (and SessionIndex), so a stale index entry never ends another user's
   * session. When a chunk fails or times out, its sessions and all later ones count as `failed`
   * (some of them may have ended; none is reported as ended unless Redis said so) and no later
   * chunk is sent.
   * @param query - issuer, NameID and optional SessionIndex (all compared exactly)
   * @returns the sessions ended and how many could not be
   * @throws SamlError `STORE_UNAVAILABLE` when the sessions cannot even be listed
   */
  async endSessions(query: SessionQuery): Promise<EndSessionsResult> {
    assertQuery(query);
    const index = this.#keys.index(query.issuer, query.nameId);
    const ids = (await this.#run('endSessions', (c) =>
      evalScript(c, INDEX_LIVE, index, [this.#now()]),
    )) as string[];
    const args = [
      query.issuer,
      query.nameId,
      query.sessionIndex === undefined ? '0' : '1',
      query.sessionIndex ?? '',
    ];
    // One chunk at a time, each its own round trip with a commandTimeoutMs of its own (ioredis
    // times every command from when it is sent, so chunks queued behind others would time out).
    const size = this.#connection.isCluster ? END_SESSIONS_CLUSTER_CHUNK : END_SESSIONS_CHUNK;
    const ended: SessionRecord[] = [];
    let failed = 0;
    for (let at = 0; at < ids.length; at += size) {
      const chunk = ids.slice(at, at + size);
      try {
        const r = await this.#run('endSessions', (c) => this.#endChunk(c, index, chunk, args));
        ended.push(...r.ended);
        failed += r.failed;
      } catch {
        // Stop at the first failure: Redis is down or too slow, and every later chunk would wait
        // for its own timeout. What is left is reported, so the logout says PartialLogout.
        failed += ids.length - at;
        break;
      }
    }
    return { ended: ended.sort(bySessionOrder), failed };
  }

  /** Ends one chunk of {@link RedisStore.endSessions}; the index loses the members that can go. */
  async #endChunk(
    c: RedisClient,
    index: string,
    chunk: readonly string[],
    args: readonly string[],
  ): Promise<{ ended: SessionRecord[]; failed: number }> {
    const now = this.#now();
    const keys = chunk.map((id) => this.#keys.session(id));
    const out = { ended: [] as SessionRecord[], failed: 0 };
    const drop: string[] = [];
    // A single Redis holds every key: one script call per chunk, which also tidies the index. A
    // Cluster spreads the sessions over slots: one script call per session, all sent at once.
    const rows = this.#connection.isCluster
      ? await evalEach(c, SESSION_END, keys, [...args, now])
      : ((await evalKeys(
          c,
          SESSIONS_END,
          [index, ...keys],
          [...args, now, ...chunk],
        )) as unknown[]);
    rows.forEach((row, i) => {
      // Redis refused the script for this one key (say, a key of another type): that session is
      // not ended, the others are.
      if (row instanceof Error || (row as number[])[0] === -1) {
        out.failed += 1;
        return;
      }
      const [status, r, e] = row as [number, string?, string?];
      if (status === 3) {
        const s = sessionOf(r ?? null, e ?? null, now);
        if (s) out.ended.push(s);
      }
      if (status !== 2) drop.push(chunk[i] as string);
    });
    if (this.#connection.isCluster && drop.length > 0) {
      // Tidying only: a member left behind is filtered on read and expires with its score.
      await c.zrem(index, ...drop).catch(() => {});
    }
    return out;
  }

  /** {@inheritDoc @samlkit/core!index.SamlStore.getValue} */
  async getValue(key: string): Promise<string | undefined> {
    assertKey(key, 'key');
    const k = this.#keys.value(key);
    return this.#run('getValue', async (c) => (await c.get(k)) ?? undefined);
  }

  /** {@inheritDoc @samlkit/core!index.SamlStore.setValue} */
  async setValue(key: string, value: string, expiresAt: number): Promise<void> {
    assertKey(key, 'key');
    if (typeof value !== 'string') throw new TypeError('value must be a string');
    assertTime(expiresAt, 'expiresAt');
    const k = this.#keys.value(key);
    await this.#run('setValue', async (c) => {
      const ttl = Math.ceil(expiresAt - this.#now());
      if (ttl > 0) await c.set(k, value, 'PX', ttl);
      else await c.del(k);
    });
  }

  async #deleteSession(c: RedisClient, id: string, now: number): Promise<boolean> {
    const [r, e] = (await evalScript(c, SESSION_TAKE, this.#keys.session(id), [])) as [
      string | null,
      string | null,
    ];
    if (r === null) return false;
    const old = JSON.parse(r) as SessionRecord;
    await c.zrem(this.#keys.index(old.issuer, old.nameId), id);
    return Number(e) > now;
  }

  /** Runs one store operation: connection gate, overall deadline, errors mapped. */
  #run<T>(operation: string, body: (c: RedisClient) => Promise<T>): Promise<T> {
    return this.#connection.run(operation, body);
  }
}
