import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSamlKoa } from '@samlkit/koa';
import { runAdapterConformance } from '@samlkit/testkit';
import Koa from 'koa';
import { describe, test } from 'vitest';

async function listen(app: Koa): Promise<{ url: string; stop(): Promise<void> }> {
  const server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
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

describe('Koa 3', () => {
  runAdapterConformance(
    {
      async start(options) {
        const saml = createSamlKoa(options);
        const app = new Koa();
        app.silent = true;
        app.use(saml.middleware);
        const guard = saml.requireSession();
        app.use(async (ctx, next) => {
          if (ctx.path === '/app/public') {
            ctx.body = 'public';
            return;
          }
          if (ctx.path !== '/app/protected') return next();
          await guard(ctx, async () => {
            // ctx.state.samlSession is typed (declaration merging on Koa's DefaultState).
            ctx.body = ctx.state.samlSession;
          });
        });
        return listen(app);
      },
    },
    { test },
  );
});
