import {
  type EndSessionsResult,
  type PendingRequest,
  SamlError,
  type SamlStore,
  type SessionQuery,
  type SessionRecord,
} from '@samlkit/core';
import { Cluster, type ClusterNode, Redis, type RedisOptions, ReplyError } from 'ioredis';
import { type KeyBuilder, keyBuilder } from './lib/keys.js';
import {
  INDEX_ADD,
  INDEX_LIVE,
  type LuaScript,
  SESSION_END,
  SESSION_PUT,
  SESSION_TAKE,
  SESSION_TOUCH,
  SESSIONS_END,
} from './lib/scripts.js';

/** A connected ioredis client: a single Redis (or a Sentinel-managed one) or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/** Options every {@link RedisStore} takes, whatever the connection. */
export interface RedisStoreCommonOptions {
  /**
   * Prefix of every key, so several applications can share one Redis. Default `samlkit:`. A
   * prefix holding a hash tag (`{app}:`) puts every key of the store in one Cluster slot.
   */
  readonly keyPrefix?: string;
  /**
   * The most time one store operation may take, all its round trips included, before it rejects
   * with `STORE_UNAVAILABLE`. Default 1000 ms.
   */
  readonly commandTimeoutMs?: number;
  /**
   * How long the first operation waits for the initial connection before it rejects with
   * `STORE_UNAVAILABLE`; also the socket connect timeout of connections the store opens.
   * Default 2000 ms. Once connected, an operation issued while the connection is down fails at
   * once (it does not wait for the reconnect).
   */
  readonly connectTimeoutMs?: number;
  /** The application's clock (epoch ms). Default `Date.now`. */
  readonly now?: () => number;
  /**
   * Told about connection errors (at most once per outage). Default: `console.warn`. Operations
   * still reject with `STORE_UNAVAILABLE` while Redis is unreachable.
   */
  readonly onConnectionError?: (error: Error) => void;
}

/** Connect the store to a client you created (and close yourself). */
export interface RedisStoreClientOptions extends RedisStoreCommonOptions {
  /** An ioredis `Redis` or `Cluster`; `close()` leaves it open. */
  readonly client: RedisClient;
  readonly url?: never;
  readonly clusterNodes?: never;
}

/** Let the store open (and close) one connection to a single Redis. */
export interface RedisStoreUrlOptions extends RedisStoreCommonOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` for TLS. */
  readonly url: string;
  readonly client?: never;
  readonly clusterNodes?: never;
}

/** Let the store open (and close) a Redis Cluster connection. */
export interface RedisStoreClusterOptions extends RedisStoreCommonOptions {
  /** Some of the cluster's nodes (`redis://host:port`, `host:port` or `{ host, port }`). */
  readonly clusterNodes: readonly ClusterNode[];
  readonly client?: never;
  readonly url?: never;
}

/** Options for {@link RedisStore}: the connection (one of three) plus the common options. */
export type RedisStoreOptions =
  | RedisStoreClientOptions
  | RedisStoreUrlOptions
  | RedisStoreClusterOptions;

const DEFAULT_PREFIX = 'samlkit:';
const DEFAULT_COMMAND_TIMEOUT_MS = 1000;
const DEFAULT_CONNECT_TIMEOUT_MS = 2000;
/** Sessions ended per script call on a single Redis by {@link RedisStore.endSessions}. */
const END_SESSIONS_CHUNK = 2000;
/** Sessions ended per pipeline (and per `commandTimeoutMs`) on Redis Cluster. */
const END_SESSIONS_CLUSTER_CHUNK = 500;

class TimeoutError extends Error {}

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

function assertMs(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new TypeError(`options.${name} must be a positive number of milliseconds`);
  }
  return value;
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

/** A URL fit for error messages: no user name or password. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return 'an unparseable Redis URL';
  }
}

function describeNode(node: ClusterNode): string {
  if (typeof node === 'string') return node.includes('://') ? redactUrl(node) : node;
  if (typeof node === 'number') return `127.0.0.1:${node}`;
  return `${node.host ?? '127.0.0.1'}:${node.port ?? 6379}`;
}

function bySessionOrder(a: SessionRecord, b: SessionRecord): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * The store on Redis or Redis Cluster: any node of a cluster can finish a login or logout that
 * another began. Pending requests are taken once with `GETDEL`, replay keys are remembered with
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
  readonly #client: RedisClient;
  readonly #owned: boolean;
  readonly #keys: KeyBuilder;
  readonly #commandTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  readonly #now: () => number;
  readonly #target: string;
  readonly #onConnectionError: (error: Error) => void;
  readonly #onError = (error: Error) => this.#connectionError(error);
  readonly #onClose = () => {
    if (this.#wasReady && !this.#closed) this.#connectionError(new Error('connection lost'));
  };
  readonly #onReady = () => {
    this.#wasReady = true;
    this.#outageReported = false;
  };
  #wasReady = false;
  #outageReported = false;
  #lastError: Error | undefined;
  #closed = false;
  #firstConnection: Promise<void> | undefined;

  /**
   * @param options - the connection (`client`, `url` or `clusterNodes`) and the common options
   * @throws TypeError when the options are not one of the three shapes, or a time is not positive
   */
  constructor(options: RedisStoreOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError('options must be { client } | { url } | { clusterNodes }');
    }
    this.#commandTimeoutMs = assertMs(
      options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
      'commandTimeoutMs',
    );
    this.#connectTimeoutMs = assertMs(
      options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      'connectTimeoutMs',
    );
    const prefix = options.keyPrefix ?? DEFAULT_PREFIX;
    if (typeof prefix !== 'string') throw new TypeError('options.keyPrefix must be a string');
    this.#keys = keyBuilder(prefix);
    this.#now = options.now ?? Date.now;
    this.#onConnectionError =
      options.onConnectionError ??
      ((error) =>
        console.warn(
          `samlkit RedisStore: cannot reach Redis at ${this.#target}: ${error.message}`,
        ));

    const own = {
      connectTimeout: this.#connectTimeoutMs,
      commandTimeout: this.#commandTimeoutMs,
      // Fail fast while disconnected instead of queueing; the store's own gate waits for the
      // first connection.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times: number) => Math.min(times * 100, 1000),
    } satisfies RedisOptions;
    const count = [options.client, options.url, options.clusterNodes].filter(
      (v) => v !== undefined,
    ).length;
    if (count !== 1) {
      throw new TypeError('options must have exactly one of client, url and clusterNodes');
    }
    if (options.client !== undefined) {
      if (!(options.client instanceof Redis) && !(options.client instanceof Cluster)) {
        throw new TypeError('options.client must be an ioredis Redis or Cluster');
      }
      this.#client = options.client;
      this.#owned = false;
      this.#target = 'the given client';
    } else if (options.url !== undefined) {
      if (typeof options.url !== 'string') throw new TypeError('options.url must be a string');
      this.#target = redactUrl(options.url);
      this.#client = new Redis(options.url, own);
      this.#owned = true;
    } else {
      const nodes = options.clusterNodes;
      if (!Array.isArray(nodes) || nodes.length === 0) {
        throw new TypeError('options.clusterNodes must be a non-empty array');
      }
      this.#target = `cluster ${nodes.map(describeNode).join(', ')}`;
      this.#client = new Cluster([...nodes], {
        redisOptions: own,
        enableOfflineQueue: false,
        clusterRetryStrategy: (times) => Math.min(times * 100, 1000),
        slotsRefreshTimeout: this.#connectTimeoutMs,
      });
      this.#owned = true;
    }
    if (this.#client.status === 'ready') this.#wasReady = true;
    this.#client.on('error', this.#onError);
    this.#client.on('ready', this.#onReady);
    this.#client.on('close', this.#onClose);
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
    if (this.#closed) return;
    this.#closed = true;
    this.#client.off('ready', this.#onReady);
    this.#client.off('close', this.#onClose);
    if (!this.#owned) {
      this.#client.off('error', this.#onError);
      return;
    }
    try {
      await this.#withTimeout(this.#client.quit(), this.#commandTimeoutMs);
    } catch {
      // Not connected or not answering: drop the socket instead.
    }
    // The error listener stays: late socket errors of a closed connection are swallowed.
    this.#client.disconnect();
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
  async takePendingRequest(id: string): Promise<PendingRequest | undefined> {
    assertKey(id, 'id');
    const key = this.#keys.pending(id);
    return this.#run('takePendingRequest', async (c) => {
      const json = await c.getdel(key);
      if (json === null) return undefined;
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
      await this.#eval(c, INDEX_ADD, index, [session.id, session.expiresAt, now]);
      const old = (await this.#eval(c, SESSION_PUT, key, [json, session.expiresAt, ttl])) as
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
      return this.#sessionOf(r ?? null, e ?? null, this.#now());
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
      const current = this.#sessionOf(r ?? null, e ?? null, now);
      if (!current) return false;
      const ttl = Math.ceil(expiresAt - now);
      if (ttl <= 0) return this.#deleteSession(c, id, now);
      // Extend the index first, so it never expires before the session it lists.
      const index = this.#keys.index(current.issuer, current.nameId);
      await this.#eval(c, INDEX_ADD, index, [id, expiresAt, now]);
      return (await this.#eval(c, SESSION_TOUCH, key, [expiresAt, ttl])) === 1;
    });
  }

  /** {@inheritDoc @samlkit/core!index.SamlStore.deleteSession} */
  async deleteSession(id: string): Promise<boolean> {
    assertKey(id, 'id');
    return this.#run('deleteSession', (c) => this.#deleteSession(c, id, this.#now()));
  }

  /** {@inheritDoc @samlkit/core!index.SamlStore.findSessions} */
  async findSessions(query: SessionQuery): Promise<SessionRecord[]> {
    if (typeof query !== 'object' || query === null) {
      throw new TypeError('query must be { issuer, nameId, sessionIndex? }');
    }
    assertKey(query.issuer, 'query.issuer');
    assertKey(query.nameId, 'query.nameId');
    if (query.sessionIndex !== undefined) assertKey(query.sessionIndex, 'query.sessionIndex');
    const index = this.#keys.index(query.issuer, query.nameId);
    return this.#run('findSessions', async (c) => {
      const now = this.#now();
      const ids = await c.zrangebyscore(index, `(${now}`, '+inf');
      // One HMGET per session: sessions live in different Cluster slots.
      const rows = await Promise.all(ids.map((id) => c.hmget(this.#keys.session(id), 'r', 'e')));
      const found: SessionRecord[] = [];
      for (const [r, e] of rows) {
        const s = this.#sessionOf(r ?? null, e ?? null, now);
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
    if (typeof query !== 'object' || query === null) {
      throw new TypeError('query must be { issuer, nameId, sessionIndex? }');
    }
    assertKey(query.issuer, 'query.issuer');
    assertKey(query.nameId, 'query.nameId');
    if (query.sessionIndex !== undefined) assertKey(query.sessionIndex, 'query.sessionIndex');
    const index = this.#keys.index(query.issuer, query.nameId);
    const ids = (await this.#run('endSessions', (c) =>
      this.#eval(c, INDEX_LIVE, index, [this.#now()]),
    )) as string[];
    const args = [
      query.issuer,
      query.nameId,
      query.sessionIndex === undefined ? '0' : '1',
      query.sessionIndex ?? '',
    ];
    // One chunk at a time, each its own round trip with a commandTimeoutMs of its own (ioredis
    // times every command from when it is sent, so chunks queued behind others would time out).
    const size = this.#client instanceof Cluster ? END_SESSIONS_CLUSTER_CHUNK : END_SESSIONS_CHUNK;
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
    const rows =
      c instanceof Cluster
        ? await this.#evalEach(c, SESSION_END, keys, [...args, now])
        : ((await this.#evalKeys(
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
        const s = this.#sessionOf(r ?? null, e ?? null, now);
        if (s) out.ended.push(s);
      }
      if (status !== 2) drop.push(chunk[i] as string);
    });
    if (c instanceof Cluster && drop.length > 0) {
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
    const [r, e] = (await this.#eval(c, SESSION_TAKE, this.#keys.session(id), [])) as [
      string | null,
      string | null,
    ];
    if (r === null) return false;
    const old = JSON.parse(r) as SessionRecord;
    await c.zrem(this.#keys.index(old.issuer, old.nameId), id);
    return Number(e) > now;
  }

  #sessionOf(r: string | null, e: string | null, now: number): SessionRecord | undefined {
    if (r === null || e === null) return undefined;
    const expiresAt = Number(e);
    // Redis expires the key a moment after expiresAt (the TTL counts from when it arrived).
    if (!(expiresAt > now)) return undefined;
    return { ...(JSON.parse(r) as SessionRecord), expiresAt };
  }

  async #eval(
    c: RedisClient,
    script: LuaScript,
    key: string,
    args: readonly (string | number)[],
  ): Promise<unknown> {
    try {
      return await c.evalsha(script.sha1, 1, key, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return c.eval(script.source, 1, key, ...args);
    }
  }

  /**
   * Runs one single-key script on each of `keys`, all sent at once: one pipeline on a single
   * Redis; on a Cluster (where one pipeline cannot span nodes) every command is written without
   * waiting for the others. Results in the order of `keys`; a key for which Redis answered an
   * error has that `Error` in its place. Rejects when the connection fails (no answer at all).
   */
  async #evalEach(
    c: RedisClient,
    script: LuaScript,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown[]> {
    if (c instanceof Cluster) {
      const settled = await Promise.allSettled(keys.map((k) => this.#eval(c, script, k, args)));
      return settled.map((r) => {
        if (r.status === 'fulfilled') return r.value;
        if (r.reason instanceof ReplyError) return r.reason;
        throw r.reason;
      });
    }
    const send = async (source: boolean, which: readonly number[]) => {
      const p = c.pipeline();
      for (const i of which) {
        const key = keys[i] as string;
        if (source) p.eval(script.source, 1, key, ...args);
        else p.evalsha(script.sha1, 1, key, ...args);
      }
      const out = await p.exec();
      if (out === null) throw new Error('the pipeline was discarded');
      return out;
    };
    const results: unknown[] = new Array(keys.length);
    const first = await send(
      false,
      keys.map((_, i) => i),
    );
    const again: number[] = [];
    first.forEach(([err, value], i) => {
      if (err?.message.startsWith('NOSCRIPT')) again.push(i);
      else results[i] = err ?? value;
    });
    if (again.length > 0) {
      // Redis lost its script cache (restart, SCRIPT FLUSH): send the source for those only.
      const second = await send(true, again);
      second.forEach(([err, value], j) => {
        results[again[j] as number] = err ?? value;
      });
    }
    return results;
  }

  /** {@link RedisStore.#eval} with many keys (a single Redis only: Cluster needs one slot). */
  async #evalKeys(
    c: RedisClient,
    script: LuaScript,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    try {
      return await c.evalsha(script.sha1, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return c.eval(script.source, keys.length, ...keys, ...args);
    }
  }

  /** Runs one store operation: connection gate, overall deadline, errors mapped. */
  async #run<T>(operation: string, body: (c: RedisClient) => Promise<T>): Promise<T> {
    if (this.#closed) {
      throw this.#unavailable(operation, 'the store was closed', undefined);
    }
    try {
      await this.#connected();
      return await this.#withTimeout(body(this.#client), this.#commandTimeoutMs);
    } catch (err) {
      if (err instanceof SamlError) throw err;
      const found =
        err instanceof TimeoutError || (err instanceof Error && err.message === 'Command timed out')
          ? `no answer within ${this.#commandTimeoutMs} ms`
          : err instanceof SyntaxError
            ? `a stored record that is not JSON (${err.message})`
            : `${err instanceof Error ? err.message : String(err)}`;
      throw this.#unavailable(operation, found, err);
    }
  }

  /** Waits for the first connection (up to connectTimeoutMs); fails at once after an outage. */
  async #connected(): Promise<void> {
    const c = this.#client;
    if (c.status === 'ready') return;
    if (this.#wasReady || c.status === 'end') {
      throw new Error(
        `not connected (${c.status}${this.#lastError ? `; last error: ${this.#lastError.message}` : ''})`,
      );
    }
    if (c.status === 'wait') c.connect().catch(() => {});
    // One shared wait (and one 'ready' listener), however many operations arrive meanwhile.
    this.#firstConnection ??= new Promise<void>((resolve, reject) => {
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        c.off('ready', onReady);
        reject(
          new Error(
            `not connected after ${this.#connectTimeoutMs} ms (${c.status}${
              this.#lastError ? `; last error: ${this.#lastError.message}` : ''
            })`,
          ),
        );
      }, this.#connectTimeoutMs);
      c.once('ready', onReady);
    }).finally(() => {
      this.#firstConnection = undefined;
    });
    await this.#firstConnection;
  }

  #withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError()), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  #connectionError(error: Error): void {
    this.#lastError = error;
    if (this.#outageReported || this.#closed) return;
    this.#outageReported = true;
    try {
      this.#onConnectionError(error);
    } catch {
      // A failing logger must not take the store down.
    }
  }

  #unavailable(operation: string, found: string, cause: unknown): SamlError {
    return new SamlError('STORE_UNAVAILABLE', `The Redis store could not complete ${operation}.`, {
      expected: `Redis at ${this.#target} answering within ${this.#commandTimeoutMs} ms`,
      found,
      hint:
        'Check that Redis is running and reachable from this node (URL, credentials, TLS, ' +
        'firewall); the store reconnects by itself once it is. Raise commandTimeoutMs if Redis ' +
        'is only slow.',
      cause,
      operation,
    });
  }
}
