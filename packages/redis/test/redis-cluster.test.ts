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
});
