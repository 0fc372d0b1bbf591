// HTTP servers the tests start on 127.0.0.1: a request listener (an Express 4 or 5 app, a Koa
// app's callback()) served on a free port, and stopped with its open connections cut, so that a
// kept-alive client cannot hold it open.
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running test server. */
export interface TestServer {
  /** Its origin, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Closes it, cutting the connections still open. */
  stop(): Promise<void>;
}

/** Serves `listener` on a free port of 127.0.0.1. */
export async function serve(listener: (req: never, res: never) => void): Promise<TestServer> {
  const server = createServer(listener as unknown as RequestListener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** What {@link testServers} returns. */
export interface TestServers {
  /** Serves `listener` (see {@link serve}) until the next `closeAll`; resolves to its origin. */
  listen(listener: (req: never, res: never) => void): Promise<string>;
  /** Stops every server `listen` started since the last call (for an `afterEach`). */
  closeAll(): Promise<void>;
}

/**
 * The servers of one test file, stopped together.
 *
 * @example
 * ```ts
 * const servers = testServers();
 * afterEach(() => servers.closeAll());
 * const url = await servers.listen(app);
 * ```
 */
export function testServers(): TestServers {
  const running: TestServer[] = [];
  return {
    async listen(listener) {
      const server = await serve(listener);
      running.push(server);
      return server.url;
    },
    async closeAll() {
      for (const server of running.splice(0)) await server.stop();
    },
  };
}
