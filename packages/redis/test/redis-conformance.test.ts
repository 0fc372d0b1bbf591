import type { SamlStore } from '@samlkit/core';
import { RedisStore } from '@samlkit/redis';
import { runStoreConformance } from '@samlkit/testkit';
import { afterAll, beforeAll, describe, test } from 'vitest';
import {
  hasRedisServer,
  type RedisServer,
  skipLoudly,
  startRedis,
} from '../../../test/support/redis.js';

// The store conformance suite against a real redis-server (spawned on a free loopback port, or
// REDIS_URL). Redis expires keys in real time, so `advance` waits and TTLs are short.
const skip =
  !process.env.REDIS_URL &&
  !hasRedisServer() &&
  skipLoudly('Redis store conformance', 'redis-server');

describe.skipIf(skip)('RedisStore conformance (real Redis)', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.stop();
  });

  runStoreConformance(
    {
      open: async (nodes) => {
        const keyPrefix = `conformance:${crypto.randomUUID()}:`;
        const stores = Array.from(
          { length: nodes },
          () => new RedisStore({ url: server.url, keyPrefix }),
        );
        await Promise.all(stores.map((s) => s.ping()));
        return stores;
      },
      close: async (stores: readonly SamlStore[]) => {
        await Promise.all(stores.map((s) => (s as RedisStore).close()));
      },
      now: Date.now,
      // Redis counts a TTL from when the command arrives: wait a little past it.
      advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms + 50)),
      // Long enough that a busy CI machine never lets a "still live" check see it expire.
      ttlMs: 1000,
    },
    { test },
  );
});
