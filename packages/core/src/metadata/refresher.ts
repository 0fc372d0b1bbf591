// The refresh rules every metadata cache in samlkit follows, apart from what it caches and where
// it downloads from: when a refresh is due, how often a download may start, one refresh at a time,
// and how long a caller may wait for one. A metadata source holds one of these per URL; a
// per-entity lookup (MDQ) holds one per entity.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Bounds on how often metadata is downloaded. All values in milliseconds. */
export interface MetadataRefreshBounds {
  /** Interval when the metadata has no `cacheDuration` (default 6 hours). */
  readonly defaultInterval?: number;
  /** Never refresh on schedule more often than this (default 5 minutes). */
  readonly minInterval?: number;
  /** Refresh at least this often, whatever `cacheDuration` says (default 24 hours). */
  readonly maxInterval?: number;
  /** After a failed download, try again after this long (default 5 minutes). */
  readonly retryInterval?: number;
  /**
   * At most one download per this period for one IdP, across the whole cluster when a store is
   * shared — also for the refreshes that a Response signed by an unknown key triggers (default
   * 5 seconds). Forged Responses so cannot make the SP fetch more than once per period, while a
   * second genuine key rollover soon after a first costs at most this long of failed logins.
   */
  readonly rateLimit?: number;
}

/** {@link MetadataRefreshBounds} with every default filled in. @internal */
export interface RefreshPolicy {
  readonly defaultInterval: number;
  readonly minInterval: number;
  readonly maxInterval: number;
  readonly retryInterval: number;
  readonly rateLimit: number;
}

/** The default of {@link MetadataRefreshBounds.rateLimit}: 5 seconds. */
export const DEFAULT_REFRESH_RATE_LIMIT_MS: number = 5 * SECOND;

/** The default time a login waits for a refresh after a signature by an unknown key: 2 seconds. */
export const DEFAULT_ROLLOVER_WAIT_MS: number = 2 * SECOND;

function duration(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`refresh.${name} must be a number of milliseconds ≥ 0`);
  }
  return value;
}

/**
 * Fills in the defaults of {@link MetadataRefreshBounds}.
 * @throws TypeError for a value that is not a number ≥ 0
 * @internal
 */
export function resolveRefreshPolicy(bounds: MetadataRefreshBounds = {}): RefreshPolicy {
  const minInterval = duration('minInterval', bounds.minInterval, 5 * MINUTE);
  return {
    minInterval,
    maxInterval: Math.max(duration('maxInterval', bounds.maxInterval, DAY), minInterval),
    defaultInterval: duration('defaultInterval', bounds.defaultInterval, 6 * HOUR),
    retryInterval: duration('retryInterval', bounds.retryInterval, 5 * MINUTE),
    rateLimit: duration('rateLimit', bounds.rateLimit, DEFAULT_REFRESH_RATE_LIMIT_MS),
  };
}

/**
 * When metadata confirmed current at `checkedAt` is due for its next scheduled refresh: after its
 * `cacheDuration` (or the default interval) within the bounds, and at the latest half way to its
 * `validUntil`, after which it must not be used (SAML metadata §2.3.1).
 * @internal
 */
export function nextScheduledRefresh(
  policy: RefreshPolicy,
  checkedAt: number,
  metadata: { readonly cacheDuration?: number; readonly validUntil?: number },
): number {
  let interval = Math.min(
    Math.max(metadata.cacheDuration ?? policy.defaultInterval, policy.minInterval),
    policy.maxInterval,
  );
  if (metadata.validUntil !== undefined) {
    interval = Math.min(
      interval,
      Math.max((metadata.validUntil - checkedAt) / 2, policy.minInterval),
    );
  }
  return checkedAt + interval;
}

/** How to wait: resolves after `ms`, or at once when `signal` aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** `setTimeout`, cancelled when the signal aborts (so no timer outlives a wait that ended). */
export const defaultSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', done);
      resolve();
    }, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/** What {@link Refresher.waitAtMost} found. @internal */
export type WaitOutcome<T> =
  | { readonly settled: true; readonly value: T }
  | { readonly settled: true; readonly error: unknown }
  | { readonly settled: false };

/**
 * The refresh state of one cached metadata document (one URL, or one entity of a lookup
 * service): one refresh at a time (callers that ask while one runs join it), a rate limit on
 * downloads, and a bounded wait.
 * @internal
 */
export class Refresher<T> {
  readonly #rateLimit: number;
  readonly #sleep: Sleep;
  readonly #now: () => number;
  readonly #staleAfter: number;
  #inflight: Promise<T> | undefined;
  #inflightSince = 0;
  #lastAttemptAt = Number.NEGATIVE_INFINITY;

  /**
   * @param options - `rateLimit`: the least time between two download starts; `sleep`: how to
   *   wait; `now`: the clock; `staleAfter`: a refresh still unsettled this long after it started is
   *   taken as lost (a runtime that froze or cancelled work left after a response), and the next
   *   caller starts a new one instead of joining it forever (default: never).
   */
  constructor(options: {
    readonly rateLimit: number;
    readonly sleep?: Sleep;
    readonly now?: () => number;
    readonly staleAfter?: number;
  }) {
    this.#rateLimit = options.rateLimit;
    this.#sleep = options.sleep ?? defaultSleep;
    this.#now = options.now ?? Date.now;
    this.#staleAfter = options.staleAfter ?? Number.POSITIVE_INFINITY;
  }

  /** Whether a refresh is running. */
  get running(): boolean {
    return this.#inflight !== undefined;
  }

  /** When the last download started (−∞ before the first). */
  get lastAttemptAt(): number {
    return this.#lastAttemptAt;
  }

  /** The earliest time the next download may start. */
  get nextAllowedAt(): number {
    return this.#lastAttemptAt + this.#rateLimit;
  }

  /**
   * Records the start of a download at `t` if the rate limit allows one; false when the last one
   * started less than `rateLimit` ago.
   */
  tryStartDownload(t: number): boolean {
    if (t - this.#lastAttemptAt < this.#rateLimit) return false;
    this.#lastAttemptAt = t;
    return true;
  }

  /**
   * Starts a download at `t` if the rate limit allows one; otherwise, when the window reopens
   * within `waitMs`, waits for it and starts the download then. Resolves to when the download
   * started, or undefined when it may not start within `waitMs` (nothing is waited for then).
   *
   * For a login that met a signature by an unknown key (the IdP rolled its key twice within the
   * rate limit): the download it needs is only moments away, and the caller bounds the whole wait
   * anyway (`rolloverWaitMs`). Downloads still start at most once per `rateLimit`.
   */
  async startDownloadWithin(t: number, waitMs: number): Promise<number | undefined> {
    if (this.tryStartDownload(t)) return t;
    const gap = this.nextAllowedAt - t;
    if (!(gap <= waitMs)) return undefined;
    await this.#sleep(gap);
    // A timer may fire a moment before the clock shows the time it waited for: the download
    // starts when the window reopened, and one another caller started meanwhile still counts.
    const after = Math.max(this.#now(), this.nextAllowedAt);
    return this.tryStartDownload(after) ? after : undefined;
  }

  /**
   * Runs `task` unless a refresh is already running, in which case its result is shared — unless
   * that one started more than `staleAfter` ago and is taken as lost.
   */
  run(task: () => Promise<T>): Promise<T> {
    const t = this.#now();
    if (this.#inflight && t - this.#inflightSince <= this.#staleAfter) return this.#inflight;
    const started: Promise<T> = task().finally(() => {
      // A lost refresh that settles late must not clear the one that replaced it.
      if (this.#inflight === started) this.#inflight = undefined;
    });
    this.#inflight = started;
    this.#inflightSince = t;
    return started;
  }

  /**
   * Starts (or joins) a refresh and does not wait for it: for scheduled refreshes, which must
   * never hold up a login. A failure is the task's to report; it is not thrown here.
   */
  runInBackground(task: () => Promise<T>): void {
    this.run(task).catch(() => {});
  }

  /** Resolves once no refresh is running. */
  async idle(): Promise<void> {
    for (let p = this.#inflight; p; p = this.#inflight) await p.catch(() => {});
  }

  /**
   * Waits for `promise` at most `ms` milliseconds. When the time runs out first, the promise
   * carries on (its rejection is then handled here, so it cannot go unobserved).
   */
  async waitAtMost<V>(promise: Promise<V>, ms: number): Promise<WaitOutcome<V>> {
    const stop = new AbortController();
    const outcome = promise.then(
      (value): WaitOutcome<V> => ({ settled: true, value }),
      (error: unknown): WaitOutcome<V> => ({ settled: true, error }),
    );
    const timeUp = this.#sleep(ms, stop.signal).then((): WaitOutcome<V> => ({ settled: false }));
    try {
      return await Promise.race([outcome, timeUp]);
    } finally {
      stop.abort();
    }
  }
}
