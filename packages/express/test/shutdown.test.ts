// closeGracefully against a real Node HTTP server and real sockets: requests in flight are
// answered, new connections are refused, the store is closed last, and the deadline is kept.
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { closeGracefully } from '@samlkit/express';
import express from 'express';
import { describe, expect, test } from 'vitest';

/** A server whose POST /slow answers with the body it read (so it is busy until the body ends). */
async function startServer() {
  const app = express();
  app.post('/slow', express.text({ type: '*/*' }), (req, res) => {
    res.type('text').send(`got ${String(req.body)}`);
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { server, port };
}

/** Starts a POST whose headers the server has seen (100-continue), body not yet finished. */
async function startPost(port: number) {
  const req = httpRequest({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/slow',
    headers: { 'content-type': 'text/plain', 'content-length': '10', expect: '100-continue' },
  });
  const answer = new Promise<{ status: number; body: string } | Error>((resolve) => {
    req.once('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('error', (err) => resolve(err));
  });
  // The server answers 100 Continue once it has the request: it is now in flight there.
  await new Promise<void>((resolve) => req.once('continue', () => resolve()));
  req.write('hello');
  return { finish: () => req.end('world'), answer };
}

/** Whether a new TCP connection to the port is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('closeGracefully', () => {
  test('answers every request in flight, refuses new connections, then closes the store', async () => {
    const { server, port } = await startServer();
    const posts = await Promise.all(Array.from({ length: 5 }, () => startPost(port)));
    const events: string[] = [];
    const store = {
      close: async () => {
        events.push('store closed');
      },
    };
    const closing = closeGracefully(server, { deadlineMs: 30_000, store }).then((r) => {
      events.push('closed');
      return r;
    });
    // Not accepting any more, while the five are still in flight.
    while (!(await refused(port))) await new Promise((r) => setTimeout(r, 10));
    expect(events).toEqual([]);
    for (const p of posts) p.finish();
    const answers = await Promise.all(posts.map((p) => p.answer));
    expect(answers).toEqual(Array(5).fill({ status: 200, body: 'got helloworld' }));
    expect(await closing).toEqual({ drained: true, cut: 0 });
    expect(events).toEqual(['store closed', 'closed']);
  });

  test('at the deadline the connections still busy are cut, and the store is closed anyway', async () => {
    const { server, port } = await startServer();
    const stuck = await startPost(port); // its body never ends
    let storeClosed = false;
    const result = await closeGracefully(server, {
      deadlineMs: 200,
      store: {
        close: () => {
          storeClosed = true;
        },
      },
    });
    expect(result).toEqual({ drained: false, cut: 1 });
    expect(storeClosed).toBe(true);
    expect(await stuck.answer).toBeInstanceOf(Error);
    expect(server.listening).toBe(false);
  });

  test('a keep-alive connection does not hold the server open after its request', async () => {
    const { server, port } = await startServer();
    const { Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true });
    const get = () =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/slow', agent });
        req.once('response', (res) => {
          res.resume();
          res.once('end', () => resolve(res.statusCode ?? 0));
        });
        req.once('error', reject);
        req.end('x');
      });
    expect(await get()).toBe(200);
    // The agent keeps the socket open; the server must still close well before the deadline.
    const result = await closeGracefully(server, { deadlineMs: 20_000 });
    expect(result.drained).toBe(true);
    agent.destroy();
  });

  test('refuses a deadline that is not a number of milliseconds', async () => {
    const { server } = await startServer();
    await expect(closeGracefully(server, { deadlineMs: Number.NaN })).rejects.toThrow(TypeError);
    await closeGracefully(server, { deadlineMs: 1000 });
  });
});
