// Deno entry: run with `deno run --allow-net=127.0.0.1:<port>` and nothing else.
import { createApp } from './app.js';

declare const Deno: {
  serve(
    options: { hostname: string; port: number; onListen?: (addr: { port: number }) => void },
    handler: (request: Request) => Promise<Response>,
  ): unknown;
};
declare const SAMLKIT_RUNTIME_PORT: number;

Deno.serve(
  {
    hostname: '127.0.0.1',
    port: SAMLKIT_RUNTIME_PORT,
    onListen: ({ port }) => console.log(`listening ${port}`),
  },
  createApp(),
);
