// Bun entry.
import { createApp } from './app.js';

declare const Bun: {
  serve(options: {
    hostname: string;
    port: number;
    fetch: (request: Request) => Promise<Response>;
  }): { port: number };
};
declare const SAMLKIT_RUNTIME_PORT: number;

const server = Bun.serve({ hostname: '127.0.0.1', port: SAMLKIT_RUNTIME_PORT, fetch: createApp() });
console.log(`listening ${server.port}`);
