import { createSamlHandlers } from '@samlkit/fetch';
import { runAdapterConformance } from '@samlkit/testkit';
import { test } from 'vitest';
import { serveFetch } from './node-bridge.js';

// The shared adapter suite over real HTTP: the Fetch handlers behind a node:http bridge on
// 127.0.0.1, driven by the suite's cookie-jar client and in-process test IdP.
runAdapterConformance(
  {
    async start(options) {
      const saml = createSamlHandlers(options);
      const profile = saml.protect((_request, session) => Response.json(session));
      return serveFetch(async (request) => {
        const { pathname } = new URL(request.url);
        if (pathname.startsWith('/saml/')) return saml.fetch(request);
        if (pathname === '/app/protected') return profile(request);
        if (pathname === '/app/public') return new Response('public');
        return new Response('Not found', { status: 404 });
      });
    },
  },
  { test },
);
