import { createServer, type Server, type Socket } from 'node:net';
import { isSamlError, type SamlError, type SessionRecord } from '@samlkit/core';
import { RedisStore } from '@samlkit/redis';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, test, vi } from 'vitest';
import {
  freePort,
  hasRedisServer,
  type RedisServer,
  skipLoudly,
  startRedis,
} from '../../../test/support/redis.js';

// Faults against a redis-server this file starts and stops itself (REDIS_URL is not used: the
// test must be able to stop the server).
const skip = !hasRedisServer() && skipLoudly('Redis store faults', 'redis-server');

const LONG = 60 * 60_000;

function session(now: number): SessionRecord {
  return {
    id: `s-${crypto.randomUUID()}`,
    issuer: 'https://idp.example.com/',
    nameId: 'alice',
    sessionIndex: '_i1',
    attributes: { mail: ['alice@example.com'] },
    createdAt: now,
    expiresAt: now + LONG,
  };
}

async function unavailable(promise: Promise<unknown>): Promise<SamlError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isSamlError(err), `expected a SamlError, got ${String(err)}`).toBe(true);
  const e = err as SamlError;
  expect(e.code).toBe('STORE_UNAVAILABLE');
  expect(e.details.expected).toMatch(/^Redis at /);
  expect(typeof e.details.found).toBe('string');
  expect(e.details.hint).toMatch(/reachable/);
  return e;
}

/** Every operation of the store, each as a thunk. */
function everyOperation(store: RedisStore, now: number) {
  const s = session(now);
  return {
    putPendingRequest: () =>
      store.putPendingRequest(
        'r1',
        { id: 'r1', kind: 'authn', createdAt: now, idpEntityId: 'x' },
        now + LONG,
      ),
    takePendingRequest: () => store.takePendingRequest('r1'),
    rememberOnce: () => store.rememberOnce('assertion:x:1', now + LONG),
    putSession: () => store.putSession(s),
    getSession: () => store.getSession(s.id),
    touchSession: () => store.touchSession(s.id, now + LONG),
    deleteSession: () => store.deleteSession(s.id),
    findSessions: () => store.findSessions({ issuer: s.issuer, nameId: s.nameId }),
    getValue: () => store.getValue('k'),
    setValue: () => store.setValue('k', 'v', now + LONG),
    ping: () => store.ping(),
  };
}

describe.skipIf(skip)('RedisStore faults (real redis-server)', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  test('Redis stopped mid-run: every operation fails fast with STORE_UNAVAILABLE; Redis back: the same store works again', async () => {
    let server: RedisServer = await startRedis({ ignoreEnv: true });
    cleanup.push(() => server.stop());
    const connectionErrors: Error[] = [];
    // Timeouts far above the test's own time limit: the operations below can only pass by
    // failing fast on the lost connection, not by waiting for a timeout.
    const store = new RedisStore({
      url: server.url,
      commandTimeoutMs: 120_000,
      connectTimeoutMs: 120_000,
      onConnectionError: (e) => connectionErrors.push(e),
    });
    cleanup.push(() => store.close());

    const now = Date.now();
    expect(await store.rememberOnce('assertion:x:before', now + LONG)).toBe(true);
    await store.putSession(session(now));

    await server.stop();
    for (const [name, op] of Object.entries(everyOperation(store, Date.now()))) {
      const err = await unavailable(op());
      expect(err.details.operation).toBe(name);
      expect(err.message).toContain(name);
    }
    // Reported once per outage. The report follows the client's 'close' event, which ioredis
    // emits on a later tick than the status change the fast failures above read: wait for it.
    await vi.waitFor(() => expect(connectionErrors.length).toBe(1), { timeout: 5000 });

    server = await startRedis({ port: server.port, ignoreEnv: true });
    // The store reconnects by itself; wait until it has (bounded), then everything works.
    for (let i = 0; ; i++) {
      try {
        await store.ping();
        break;
      } catch (err) {
        expect((err as SamlError).code).toBe('STORE_UNAVAILABLE');
        if (i > 200) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const later = Date.now();
    expect(await store.rememberOnce('assertion:x:after', later + LONG)).toBe(true);
    expect(await store.rememberOnce('assertion:x:after', later + LONG)).toBe(false);
    const s = session(later);
    await store.putSession(s);
    expect(await store.getSession(s.id)).toEqual(s);
    expect(await store.findSessions({ issuer: s.issuer, nameId: s.nameId })).toEqual([s]);
    // One report for the outage, not one per reconnect attempt.
    expect(connectionErrors.map((e) => e.message)).toEqual(['connection lost']);
  });

  test('Redis that never answers: the first operation fails with STORE_UNAVAILABLE after connectTimeoutMs', async () => {
    // A loopback TCP server that accepts connections and never says anything.
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    const port = await freePort();
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
    cleanup.push(
      () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          silent.close(() => resolve());
        }),
    );
    const store = new RedisStore({
      url: `redis://user:s3cret@127.0.0.1:${port}`,
      connectTimeoutMs: 300,
      commandTimeoutMs: 300,
      onConnectionError: () => {},
    });
    cleanup.push(() => store.close());
    const err = await unavailable(store.takePendingRequest('r1'));
    expect(err.details.found).toMatch(/not connected after 300 ms/);
    expect(err.message).not.toContain('s3cret');
    expect(err.details.expected).toContain(`redis://127.0.0.1:${port}`);
  });

  test('nothing listening at all: STORE_UNAVAILABLE naming the connection error, no crash', async () => {
    const port = await freePort();
    const store = new RedisStore({
      url: `redis://127.0.0.1:${port}`,
      connectTimeoutMs: 300,
      onConnectionError: () => {},
    });
    cleanup.push(() => store.close());
    const err = await unavailable(store.rememberOnce('k', Date.now() + LONG));
    expect(err.details.found).toMatch(/ECONNREFUSED/);
  });

  test('a command Redis does not answer in time fails with STORE_UNAVAILABLE after commandTimeoutMs', async () => {
    const server = await startRedis({ ignoreEnv: true });
    cleanup.push(() => server.stop());
    const store = new RedisStore({ url: server.url, commandTimeoutMs: 200 });
    cleanup.push(() => store.close());
    await store.ping();
    const admin = new Redis(server.url);
    cleanup.push(async () => {
      admin.disconnect();
    });
    // CLIENT PAUSE holds every client's commands for 3 s; the store must not wait that long.
    await admin.call('CLIENT', 'PAUSE', '3000', 'ALL');
    cleanup.push(async () => {
      await admin.call('CLIENT', 'UNPAUSE');
    });
    const err = await unavailable(store.getValue('k'));
    expect(err.details.found).toBe('no answer within 200 ms');
  });

  test('operations after close() fail with STORE_UNAVAILABLE; a client passed in stays open', async () => {
    const server = await startRedis({ ignoreEnv: true });
    cleanup.push(() => server.stop());
    const client = new Redis(server.url);
    cleanup.push(async () => {
      client.disconnect();
    });
    const store = new RedisStore({ client, keyPrefix: 'closing:' });
    await store.setValue('k', 'v', Date.now() + LONG);
    await store.close();
    const err = await unavailable(store.getValue('k'));
    expect(err.details.found).toBe('the store was closed');
    expect(await client.get('closing:val:k')).toBe('v');
  });
});
