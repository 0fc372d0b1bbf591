import type { SamlStore } from '@samlkit/core';
import { RedisStore } from '@samlkit/redis';
import { runStoreConformance } from '@samlkit/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  hasRedisCli,
  hasRedisServer,
  type RedisClusterServer,
  skipLoudly,
  startRedisCluster,
} from '../../../test/support/redis.js';

// The conformance suite against a real 3-node Redis Cluster on loopback, created with
// `redis-cli --cluster create`. Every store handle is its own ioredis Cluster connection.
const skip =
  (!hasRedisServer() && skipLoudly('Redis Cluster conformance', 'redis-server')) ||
  (!hasRedisCli() && skipLoudly('Redis Cluster conformance', 'redis-cli'));

describe.skipIf(skip)('RedisStore conformance on a 3-node Redis Cluster', () => {
  let cluster: RedisClusterServer;
  const prefixes: string[] = [];
  beforeAll(async () => {
    cluster = await startRedisCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  runStoreConformance(
    {
      open: async (nodes) => {
        const keyPrefix = `cluster:${crypto.randomUUID()}:`;
        prefixes.push(keyPrefix);
        const stores = Array.from(
          { length: nodes },
          () => new RedisStore({ clusterNodes: cluster.nodes, keyPrefix }),
        );
        await Promise.all(stores.map((s) => s.ping()));
        return stores;
      },
      close: async (stores: readonly SamlStore[]) => {
        await Promise.all(stores.map((s) => (s as RedisStore).close()));
      },
      now: Date.now,
      advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms + 50)),
      // Long enough that a busy CI machine never lets a "still live" check see it expire.
      ttlMs: 1000,
    },
    { test },
  );

  test('the keys the suite wrote are spread over every node of the cluster', async () => {
    const store = new RedisStore({ clusterNodes: cluster.nodes, keyPrefix: 'spread:' });
    try {
      const now = Date.now();
      for (let i = 0; i < 60; i++) {
        await store.rememberOnce(`assertion:x:${i}`, now + 60_000);
        await store.putSession({
          id: `s${i}`,
          issuer: 'https://idp/',
          nameId: `user${i % 7}`,
          attributes: {},
          createdAt: now,
          expiresAt: now + 60_000,
        });
      }
      for (const port of cluster.ports) {
        const node = new Redis({ host: '127.0.0.1', port });
        try {
          expect(await node.dbsize(), `keys on node ${port}`).toBeGreaterThan(0);
        } finally {
          node.disconnect();
        }
      }
      expect((await store.findSessions({ issuer: 'https://idp/', nameId: 'user3' })).length).toBe(
        9,
      );
    } finally {
      await store.close();
    }
  });

  test('endSessions on the cluster: more than one chunk of sessions, spread over every node', async () => {
    const store = new RedisStore({ clusterNodes: cluster.nodes, keyPrefix: 'bulk:' });
    try {
      const now = Date.now();
      const ids = Array.from({ length: 620 }, (_, i) => `b${i}`);
      for (let i = 0; i < ids.length; i += 100) {
        await Promise.all(
          ids.slice(i, i + 100).map((id) =>
            store.putSession({
              id,
              issuer: 'https://idp/',
              nameId: 'bulk-user',
              attributes: {},
              createdAt: now,
              expiresAt: now + 60_000,
            }),
          ),
        );
      }
      await store.putSession({
        id: 'other',
        issuer: 'https://idp/',
        nameId: 'someone-else',
        attributes: {},
        createdAt: now,
        expiresAt: now + 60_000,
      });
      const r = await store.endSessions({ issuer: 'https://idp/', nameId: 'bulk-user' });
      expect(r.failed).toBe(0);
      expect(r.ended.map((s) => s.id).sort()).toEqual([...ids].sort());
      expect(await store.findSessions({ issuer: 'https://idp/', nameId: 'bulk-user' })).toEqual([]);
      expect((await store.getSession('other'))?.nameId).toBe('someone-else');
    } finally {
      await store.close();
    }
  });
});
