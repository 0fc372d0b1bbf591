// Graceful shutdown of a Node HTTP server serving samlkit: stop accepting, let the requests in
// flight finish within a deadline, then close the store.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** What {@link closeGracefully} needs to close after the server (a `SamlStore` has it). */
export interface ClosableStore {
  /** Closes the store's connections (`RedisStore.close`); called once the server has drained. */
  close(): Promise<void> | void;
}

/** Options of {@link closeGracefully}. */
export interface CloseGracefullyOptions {
  /**
   * The most time, in ms, the requests in flight get to finish; whatever is still open then is
   * cut. Default 10 000 — keep it below the orchestrator's grace period (Kubernetes'
   * `terminationGracePeriodSeconds` is 30 s by default, systemd's `TimeoutStopSec` 90 s).
   */
  readonly deadlineMs?: number;
  /** Closed once the server is (after the last request in flight has been answered, or cut). */
  readonly store?: ClosableStore;
}

/** What {@link closeGracefully} did. */
export interface CloseGracefullyResult {
  /** Whether every request in flight was answered before the deadline. */
  readonly drained: boolean;
  /** Connections still busy at the deadline and therefore cut (0 when drained). */
  readonly cut: number;
}

const DEFAULT_DEADLINE_MS = 10_000;

/**
 * Shuts a Node HTTP server down without dropping the requests it is answering (a SIGTERM during a
 * login would otherwise lose that login: the IdP's POST gets a connection reset and the pending
 * request may already be spent). In order: the server stops accepting connections; idle
 * keep-alive connections are closed at once, and busy ones as soon as their response is sent
 * (a request that arrives on a kept-alive connection meanwhile is answered with
 * `Connection: close`); once none is left — or at `deadlineMs`, when the ones still busy are cut —
 * the store is closed. Works for any `node:http`/`node:https` server:
 * Express's and Koa's `app.listen()` return one. (Fastify's `app.close()` already drains; close
 * the store in an `onClose` hook there.)
 *
 * @param server - the server `app.listen()` returned
 * @param options - the deadline and the store to close afterwards
 * @returns whether everything in flight was answered, and how many connections were cut
 * @example On SIGTERM
 * ```ts
 * const server = app.listen(3000);
 * process.once('SIGTERM', async () => {
 *   const { drained } = await closeGracefully(server, { deadlineMs: 10_000, store });
 *   process.exit(drained ? 0 : 1);
 * });
 * ```
 */
export async function closeGracefully(
  server: Server,
  options: CloseGracefullyOptions = {},
): Promise<CloseGracefullyResult> {
  const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  if (!Number.isFinite(deadlineMs) || deadlineMs < 0) {
    throw new TypeError('deadlineMs must be a number of milliseconds, 0 or more');
  }
  // Every request answered from now on closes its connection, so a keep-alive client cannot keep
  // the server open by sending one request after another.
  const closeAfter = (_req: IncomingMessage, res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('connection', 'close');
  };
  server.on('request', closeAfter);
  let busy = 0;
  const closed = new Promise<void>((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
  // server.close() closes the idle connections once; a busy one becomes idle when its response
  // is sent (and then closes itself: no keep-alive), but a client may also have opened one and
  // not sent anything yet: sweep until the deadline.
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(() => resolve('deadline'), deadlineMs);
  });
  let drained = true;
  try {
    if ((await Promise.race([closed, deadline])) === 'deadline') {
      drained = false;
      busy = await connectionCount(server);
      server.closeAllConnections();
      await closed;
    }
  } finally {
    clearInterval(sweep);
    clearTimeout(timer);
    server.off('request', closeAfter);
  }
  await options.store?.close();
  return { drained, cut: busy };
}

function connectionCount(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.getConnections((err, count) => resolve(err ? 0 : count));
  });
}
