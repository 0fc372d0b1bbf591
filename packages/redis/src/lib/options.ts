// The options of RedisStore: the connection (one of three shapes) and what every store takes.
import type { Cluster, ClusterNode, Redis } from 'ioredis';

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
