// closeGracefully from @samlkit/koa on a Koa app's server: a request in flight is answered after
// shutdown began, and the store is closed after it.
import { request as httpRequest } from 'node:http';
import { closeGracefully } from '@samlkit/koa';
import Koa from 'koa';
import { expect, test } from 'vitest';

test('a Koa server stops accepting, answers the request in flight, then closes the store', async () => {
  let release: () => void = () => {};
  const order: string[] = [];
  const app = new Koa();
  app.use(async (ctx) => {
    ctx.res.once('finish', () => order.push('answered'));
    // Busy until the test lets it answer.
    await new Promise<void>((resolve) => {
      release = resolve;
    });
    ctx.body = 'done';
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const started = new Promise<void>((resolve) => server.once('request', () => resolve()));
  const answer = new Promise<string>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.once('end', () => resolve(`${res.statusCode} ${body}`));
    });
    req.once('error', reject);
    req.end();
  });
  await started;
  const closing = closeGracefully(server, {
    deadlineMs: 30_000,
    store: { close: () => void order.push('store') },
  });
  await new Promise((r) => setTimeout(r, 50));
  expect(server.listening).toBe(false);
  release();
  expect(await answer).toBe('200 done');
  expect(await closing).toEqual({ drained: true, cut: 0 });
  expect(order).toEqual(['answered', 'store']);
});
