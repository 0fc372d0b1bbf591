// The application under test of the ACS end-to-end benchmark (src/acs-e2e.ts starts it as a child
// process, so the load generator never shares this process's CPU): one samlkit adapter mounted
// as its getting-started guide shows (docs/getting-started-<adapter>.md), the memory store,
// listening on 127.0.0.1 on a free port. The parent talks to it over the IPC channel:
//   { type: 'start', config } → { type: 'ready', url, server }
//   { type: 'stats', profile? } → { type: 'stats', cpu_us, gc_ms, logged } (profile: start/stop the
//                                profiler, with ACS_PROFILE_DIR)
//   { type: 'baseline', items } → { type: 'baseline', cpu_us, gc_ms, validated }: validateResponse alone
//                                on each item's Response (same keys, same process), its CPU time
// and it closes its server and exits when the channel closes (the parent ended or let it go).
// Usage: spawned with an 'ipc' stdio entry: node --import tsx src/acs-e2e-server.ts <adapter>

import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import {
  type ServiceProviderLogger,
  type ServiceProviderOptions,
  validateResponse,
} from '@samlkit/core';
import { fetchListener, nodeCryptoProvider } from '@samlkit/node-bridge';
import { acsServiceProviderOptions, acsValidationOptions, type ServerConfig } from './acs-sp.js';
import { ACS_ADAPTERS, type AcsAdapter } from './plans.js';
import { packageVersion } from './versions.js';

export type { ServerConfig } from './acs-sp.js';

/** A Response (XML) and the request ID it answers, for the validateResponse baseline. */
export interface BaselineItem {
  readonly xml: string;
  readonly inResponseTo: string;
}

export type ToServer =
  | { type: 'start'; config: ServerConfig }
  | { type: 'stats'; profile?: 'start' | 'stop' }
  | { type: 'baseline'; items: readonly BaselineItem[] };
export type FromServer =
  | { type: 'ready'; url: string; server: string }
  | { type: 'baseline'; cpu_us: number; gc_ms: number; validated: number }
  | { type: 'stats'; cpu_us: number; gc_ms: number; logged: Record<string, number> }
  | { type: 'failed'; error: string };

interface Running {
  readonly url: string;
  /** The framework and its version, e.g. `express 5.2.1`. */
  readonly server: string;
  stop(): Promise<void>;
}

/** Counts what samlkit logs (by level and error code) instead of printing it per request. */
const logged: Record<string, number> = {};
function count(level: string, details: Record<string, unknown> | undefined): void {
  const code = typeof details?.['code'] === 'string' ? details['code'] : 'no code';
  const key = `${level} ${code}`;
  logged[key] = (logged[key] ?? 0) + 1;
}
const logger: ServiceProviderLogger = {
  warn: (_message, details) => count('warn', details),
  error: (message, details) => {
    count('error', details);
    // Server-side failures (500s) are never expected here: show them.
    process.stderr.write(`acs-e2e server: samlkit error: ${message} ${JSON.stringify(details)}\n`);
  },
};

function options(c: ServerConfig): ServiceProviderOptions {
  return acsServiceProviderOptions(c, logger);
}

async function listening(server: Server): Promise<string> {
  if (!server.listening) {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
  }
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((err) => (err ? reject(err) : resolve()));
    });
}

/**
 * The framework floor: `POST /floor`, mounted beside samlkit's routes in the same app, reads the
 * same form body and answers the ACS's 303 (same headers, no cookie) without samlkit. Its CPU per
 * request is what the HTTP server and the framework cost for an IdP POST whatever the SAML library;
 * the driver times it after each ACS round (src/acs-e2e.ts, `framework_floor_cpu_ms_per_request`).
 */
const FLOOR_PATH = '/floor';
const FLOOR_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  location: '/saml/acs?finish=floor',
};

/** Reads a Node request body whole (the floor routes' body read). */
function drain(req: import('node:http').IncomingMessage): Promise<number> {
  return new Promise((resolve, reject) => {
    let n = 0;
    req.on('data', (chunk: Buffer) => {
      n += chunk.length;
    });
    req.on('end', () => resolve(n));
    req.on('error', reject);
  });
}

async function startExpress(o: ServiceProviderOptions): Promise<Running> {
  const { createSamlExpress } = await import('@samlkit/express');
  const { default: express } = await import('express');
  const saml = createSamlExpress(o);
  const app = express();
  app.use(saml.routes);
  app.get('/profile', saml.requireSession(), (req, res) => {
    res.json({ user: req.samlSession!.nameId });
  });
  app.post(FLOOR_PATH, async (req, res) => {
    await drain(req);
    res.status(303).set(FLOOR_HEADERS).end();
  });
  const server = app.listen(0, '127.0.0.1');
  return {
    url: await listening(server),
    server: `express ${packageVersion('express')}`,
    stop: closer(server),
  };
}

async function startKoa(o: ServiceProviderOptions): Promise<Running> {
  const { createSamlKoa } = await import('@samlkit/koa');
  const { default: Koa } = await import('koa');
  const saml = createSamlKoa(o);
  const app = new Koa();
  app.use(saml.middleware);
  // The guide routes /profile with @koa/router; a plain middleware does the same here.
  const requireSession = saml.requireSession();
  app.use(async (ctx, next) => {
    if (ctx.path !== FLOOR_PATH || ctx.method !== 'POST') return next();
    await drain(ctx.req);
    ctx.status = 303;
    ctx.set(FLOOR_HEADERS);
  });
  app.use(async (ctx, next) => {
    if (ctx.path !== '/profile') return next();
    await requireSession(ctx, async () => {
      ctx.body = { user: ctx.state.samlSession!.nameId };
    });
  });
  const server = app.listen(0, '127.0.0.1');
  return {
    url: await listening(server),
    server: `koa ${packageVersion('koa')}`,
    stop: closer(server),
  };
}

async function startFastify(o: ServiceProviderOptions): Promise<Running> {
  const { samlkit } = await import('@samlkit/fastify');
  const { default: Fastify } = await import('fastify');
  // The guide's `Fastify({ logger: true })` logs every request; no adapter here logs requests.
  const app = Fastify();
  await app.register(samlkit, o);
  app.get('/profile', { preHandler: app.saml.requireSession() }, async (request) => ({
    user: request.samlSession!.nameId,
  }));
  // Its own scope: a form parser that hands over the bytes, as samlkit's plugin reads its forms.
  await app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'buffer' },
      (_request, body, done) => done(null, body),
    );
    scope.post(FLOOR_PATH, async (_request, reply) =>
      reply.code(303).headers(FLOOR_HEADERS).send(),
    );
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, server: `fastify ${packageVersion('fastify')}`, stop: () => app.close() };
}

/**
 * The Fetch handlers served by node:http through the repository's Node ⇄ Web bridge (what
 * `@hono/node-server` and similar servers do): the body streamed, as samlkit reads it.
 */
async function startFetch(o: ServiceProviderOptions): Promise<Running> {
  const { createSamlHandlers } = await import('@samlkit/fetch');
  const saml = createSamlHandlers(o);
  const profile = saml.protect(async (_request, session) =>
    Response.json({ user: session.nameId }),
  );
  const handler = async (request: Request): Promise<Response> => {
    const { pathname } = new URL(request.url);
    if (pathname.startsWith('/saml/')) return saml.fetch(request);
    if (pathname === '/profile') return profile(request);
    if (pathname === FLOOR_PATH) {
      await request.arrayBuffer();
      return new Response(null, { status: 303, headers: FLOOR_HEADERS });
    }
    return new Response('Not found', { status: 404 });
  };
  const server = createServer(
    fetchListener(handler, (err) => {
      process.stderr.write(`acs-e2e server: bridge failure: ${String(err)}\n`);
    }),
  );
  server.listen(0, '127.0.0.1');
  return {
    url: await listening(server),
    server: `node:http ${process.version} (Fetch bridge)`,
    stop: closer(server),
  };
}

const STARTERS: Record<AcsAdapter, (o: ServiceProviderOptions) => Promise<Running>> = {
  express: startExpress,
  koa: startKoa,
  fastify: startFastify,
  fetch: startFetch,
};

/**
 * validateResponse alone on each item, one after the other, with the SP's keys and names: what
 * the ACS would cost if HTTP, the form, the store and the finish code were free. CPU time of this
 * process, like the ACS figure. It uses the crypto provider the adapter's ACS uses: the Node
 * adapters' own (node:crypto digests and signature checks), and for the Fetch handlers core's
 * default, the runtime's WebCrypto.
 */
async function baseline(
  adapter: AcsAdapter,
  c: ServerConfig,
  items: readonly BaselineItem[],
): Promise<FromServer> {
  const crypto = adapter === 'fetch' ? undefined : nodeCryptoProvider();
  const gcBefore = gcMs;
  const start = process.cpuUsage();
  let validated = 0;
  for (const item of items) {
    await validateResponse(item.xml, acsValidationOptions(c, item.inResponseTo, crypto));
    validated++;
  }
  const cpu = process.cpuUsage(start);
  // GC entries are delivered in a later task: a batch that never yielded has not seen its own.
  await new Promise((resolve) => setTimeout(resolve, 20));
  return { type: 'baseline', cpu_us: cpu.user + cpu.system, gc_ms: gcMs - gcBefore, validated };
}

/**
 * With ACS_PROFILE_DIR set, the V8 CPU profiler runs during each round of the timed run (the
 * stats request before a round starts it, the one after stops it and writes
 * `<dir>/<adapter>-<round>.cpuprofile`): where the server's time goes, without the logins prepared
 * before or the validateResponse baseline. Summarise with src/profile-summary.ts.
 */
let profiling: Session | undefined;
let profileCount = 0;
function profileToggle(action: 'start' | 'stop' | undefined): void {
  const dir = process.env['ACS_PROFILE_DIR'];
  if (!dir || !action || (action === 'start') === (profiling !== undefined)) return;
  void (async () => {
    if (action === 'start') {
      const session = new Session();
      profiling = session;
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 200 });
      await session.post('Profiler.start');
    } else if (profiling) {
      const session = profiling;
      profiling = undefined;
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${process.argv[2]}-${profileCount++}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
    }
  })();
}

/** Garbage-collection pauses of this process so far (ms), from the `gc` performance entries. */
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
}).observe({ entryTypes: ['gc'] });

function send(message: FromServer): void {
  process.send?.(message);
}

function main(): void {
  const adapter = process.argv[2] as AcsAdapter;
  if (!ACS_ADAPTERS.includes(adapter) || !process.send) {
    process.stderr.write('usage: acs-e2e-server.ts <express|koa|fastify|fetch> (with IPC)\n');
    process.exitCode = 2;
    return;
  }
  let running: Promise<Running> | undefined;
  let config: ServerConfig | undefined;
  process.on('message', (m: ToServer) => {
    if (m.type === 'baseline' && config) {
      baseline(adapter, config, m.items).then(send, (e: unknown) =>
        send({ type: 'failed', error: String((e as Error).stack ?? e) }),
      );
    } else if (m.type === 'start' && !running) {
      config = m.config;
      running = STARTERS[adapter](options(m.config));
      running.then(
        (r) => send({ type: 'ready', url: r.url, server: r.server }),
        (e: unknown) => send({ type: 'failed', error: String((e as Error).stack ?? e) }),
      );
    } else if (m.type === 'stats') {
      profileToggle(m.profile);
      const cpu = process.cpuUsage();
      send({ type: 'stats', cpu_us: cpu.user + cpu.system, gc_ms: gcMs, logged: { ...logged } });
    }
  });
  // The parent closed the channel (it is done, or it died): close the server and leave.
  process.once('disconnect', () => {
    const stopped = running ? running.then((r) => r.stop()) : Promise.resolve();
    const limit = setTimeout(() => process.exit(0), 5000);
    limit.unref();
    stopped.then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

main();
