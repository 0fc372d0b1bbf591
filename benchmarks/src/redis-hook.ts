// Store round trips on Redis: @samlkit/redis against a redis-server started here on loopback
// (a random free port, no persistence) and stopped when the benchmark ends. Skipped, with the
// reason recorded, when redis-server or a built @samlkit/redis is not available.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import type { Fixtures } from './fixtures.js';
import type { TimedTask } from './timing.js';

interface StoreLike {
  putPendingRequest(id: string, record: object, expiresAt: number): Promise<void>;
  takePendingRequest(id: string): Promise<unknown>;
  rememberOnce(key: string, expiresAt: number): Promise<boolean>;
  putSession(session: object): Promise<void>;
  getSession(id: string): Promise<unknown>;
  deleteSession(id: string): Promise<boolean>;
  close?(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('redis-server did not start in 10 s')), 10_000);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return child;
}

export async function redisStoreTasks(
  f: Fixtures,
  now: number,
): Promise<{
  tasks: (TimedTask & { description: string })[];
  notRun: Record<string, string>;
  stop: () => Promise<void>;
}> {
  const name = 'store (Redis)';
  const none = async () => {};
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    return { tasks: [], notRun: { [name]: 'redis-server is not installed' }, stop: none };
  }
  let RedisStore: new (o: { url: string }) => StoreLike;
  try {
    const mod = (await import('@samlkit/redis')) as unknown as { RedisStore?: typeof RedisStore };
    if (typeof mod.RedisStore !== 'function') throw new Error('no RedisStore export');
    RedisStore = mod.RedisStore;
  } catch (e) {
    return {
      tasks: [],
      notRun: {
        [name]: `@samlkit/redis is not available (${(e as Error).message.split('\n')[0]})`,
      },
      stop: none,
    };
  }
  const port = await freePort();
  const server = await startRedis(port);
  const store = new RedisStore({ url: `redis://127.0.0.1:${port}` });
  const stop = async () => {
    await store.close?.().catch(() => {});
    server.kill('SIGTERM');
  };
  let n = 0;
  const tasks: (TimedTask & { description: string })[] = [
    {
      name: 'store (Redis): put + take pending request',
      description: 'RedisStore putPendingRequest then takePendingRequest, loopback redis-server',
      fn: async () => {
        const id = `_r${n++}`;
        await store.putPendingRequest(
          id,
          { id, kind: 'authn', createdAt: now, idpEntityId: f.idpEntityId },
          Date.now() + 600_000,
        );
        if (!(await store.takePendingRequest(id))) throw new Error('pending request lost');
      },
    },
    {
      name: 'store (Redis): rememberOnce',
      description: 'RedisStore rememberOnce of a new replay-cache key, loopback redis-server',
      fn: async () => {
        if (
          !(await store.rememberOnce(`assertion:${f.idpEntityId}:_a${n++}`, Date.now() + 600_000))
        ) {
          throw new Error('rememberOnce refused a new key');
        }
      },
    },
    {
      name: 'store (Redis): put + get + delete session',
      description: 'RedisStore putSession, getSession, deleteSession, loopback redis-server',
      fn: async () => {
        const id = `s${n++}`;
        await store.putSession({
          id,
          issuer: f.idpEntityId,
          nameId: f.nameId,
          sessionIndex: id,
          attributes: { mail: [f.nameId] },
          createdAt: now,
          expiresAt: Date.now() + 3_600_000,
        });
        if (!(await store.getSession(id))) throw new Error('session lost');
        await store.deleteSession(id);
      },
    },
  ];
  return { tasks, notRun: {}, stop };
}
