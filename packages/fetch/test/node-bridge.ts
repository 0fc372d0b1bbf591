import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchListener } from '@samlkit/node-bridge';

/**
 * Serves a Fetch-API handler with node:http on 127.0.0.1, port 0, through the repository's one
 * Node ⇄ Web bridge (what `@hono/node-server` and friends do), so the adapter is tested over real
 * HTTP.
 */
export async function serveFetch(
  handler: (request: Request) => Promise<Response>,
): Promise<{ url: string; stop(): Promise<void> }> {
  const server = createServer(fetchListener(handler));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
