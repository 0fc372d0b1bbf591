import { createServiceProvider } from '@samlkit/core';
import { runAdapterConformance } from '@samlkit/testkit';
import { test } from 'vitest';

// The shared adapter suite, run in-process against the core handlers: a Request goes straight
// to `handle`, the two application routes are answered here.
runAdapterConformance(
  {
    async start(options) {
      const sp = createServiceProvider(options);
      const app = async (request: Request): Promise<Response> => {
        const handled = await sp.handle(request);
        if (handled) return handled;
        const { pathname } = new URL(request.url);
        if (pathname === '/app/protected') {
          const result = await sp.requireSession(request);
          return result.response ?? Response.json(result.session);
        }
        if (pathname === '/app/public') return new Response('public');
        return new Response('Not found', { status: 404 });
      };
      return { url: 'https://sp.test', fetch: app, stop: async () => {} };
    },
  },
  { test },
);
