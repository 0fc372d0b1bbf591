import { bodyParser } from '@koa/bodyparser';
import { createSamlKoa } from '@samlkit/koa';
import { runAdapterConformance } from '@samlkit/testkit';
import Koa from 'koa';
import Koa2 from 'koa2';
import { describe, test } from 'vitest';
import { serve } from '../../../test/support/servers.js';

// The same suite on Koa 3, on Koa 2 (the peer range samlkit supports), and on Koa 3 with a body
// parser mounted before samlkit, as many applications have: samlkit must read the form it parsed.
const variants = [
  { name: 'Koa 3', Koa, bodyParser: false },
  { name: 'Koa 2', Koa: Koa2 as unknown as typeof Koa, bodyParser: false },
  { name: 'Koa 3 behind @koa/bodyparser', Koa, bodyParser: true },
] as const;

for (const variant of variants) {
  describe(variant.name, () => {
    runAdapterConformance(
      {
        async start(options) {
          const saml = createSamlKoa(options);
          const app = new variant.Koa();
          app.silent = true;
          if (variant.bodyParser) app.use(bodyParser());
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
          return serve(app.callback());
        },
      },
      { test },
    );
  });
}
