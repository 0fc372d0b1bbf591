// The store's connection to Redis: opening it (or adopting a client), the wait for the first
// connection, the per-operation deadline, outage reporting and STORE_UNAVAILABLE.
import { SamlError } from '@samlkit/core';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { describeNode, redactUrl } from './checks.js';
import type { RedisClient, RedisStoreOptions } from './options.js';

class TimeoutError extends Error {}

/** The timeouts {@link RedisConnection} runs with, already checked. */
export interface ConnectionTimeouts {
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
}

/** One store's client and what it knows of the connection's state. @internal */
export class RedisConnection {
  readonly client: RedisClient;
  readonly #owned: boolean;
  readonly #commandTimeoutMs: number;
  readonly #connectTimeoutMs: number;
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
   * @param options - the store's options (the connection and `onConnectionError` are read here)
   * @param timeouts - the command and connect timeouts, already checked
   * @throws TypeError when the options are not one of the three shapes
   */
  constructor(options: RedisStoreOptions, timeouts: ConnectionTimeouts) {
    this.#commandTimeoutMs = timeouts.commandTimeoutMs;
    this.#connectTimeoutMs = timeouts.connectTimeoutMs;
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
      this.client = options.client;
      this.#owned = false;
      this.#target = 'the given client';
    } else if (options.url !== undefined) {
      if (typeof options.url !== 'string') throw new TypeError('options.url must be a string');
      this.#target = redactUrl(options.url);
      this.client = new Redis(options.url, own);
      this.#owned = true;
    } else {
      const nodes = options.clusterNodes;
      if (!Array.isArray(nodes) || nodes.length === 0) {
        throw new TypeError('options.clusterNodes must be a non-empty array');
      }
      this.#target = `cluster ${nodes.map(describeNode).join(', ')}`;
      this.client = new Cluster([...nodes], {
        redisOptions: own,
        enableOfflineQueue: false,
        clusterRetryStrategy: (times) => Math.min(times * 100, 1000),
        slotsRefreshTimeout: this.#connectTimeoutMs,
      });
      this.#owned = true;
    }
    if (this.client.status === 'ready') this.#wasReady = true;
    this.client.on('error', this.#onError);
    this.client.on('ready', this.#onReady);
    this.client.on('close', this.#onClose);
  }

  /** Whether the client is a Redis Cluster (sessions then live in different slots). */
  get isCluster(): boolean {
    return this.client instanceof Cluster;
  }

  /**
   * Closes the connection the store opened (a client passed in is left open). Operations after
   * `close()` reject with `STORE_UNAVAILABLE`.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.client.off('ready', this.#onReady);
    this.client.off('close', this.#onClose);
    if (!this.#owned) {
      this.client.off('error', this.#onError);
      return;
    }
    try {
      await withTimeout(this.client.quit(), this.#commandTimeoutMs);
    } catch {
      // Not connected or not answering: drop the socket instead.
    }
    // The error listener stays: late socket errors of a closed connection are swallowed.
    this.client.disconnect();
  }

  /** Runs one store operation: connection gate, overall deadline, errors mapped. */
  async run<T>(operation: string, body: (c: RedisClient) => Promise<T>): Promise<T> {
    if (this.#closed) {
      throw this.#unavailable(operation, 'the store was closed', undefined);
    }
    try {
      await this.#connected();
      return await withTimeout(body(this.client), this.#commandTimeoutMs);
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
    const c = this.client;
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

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
