import { samlkit } from '@samlkit/fastify';
import { runAdapterConformance } from '@samlkit/testkit';
import Fastify from 'fastify';
import { describe, test } from 'vitest';

describe('Fastify 5', () => {
  runAdapterConformance(
    {
      async start(options) {
        const app = Fastify();
        await app.register(samlkit, options);
        app.get('/app/protected', { preHandler: app.saml.requireSession() }, async (request) => {
          return request.samlSession; // typed SessionRecord | null by declaration merging
        });
        app.get('/app/public', async (_request, reply) => reply.type('text/plain').send('public'));
        const url = await app.listen({ host: '127.0.0.1', port: 0 });
        return { url, stop: () => app.close() };
      },
    },
    { test },
  );
});
