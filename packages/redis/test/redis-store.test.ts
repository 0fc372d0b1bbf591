import type { SessionRecord } from '@samlkit/core';
import { RedisStore } from '@samlkit/redis';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  hasRedisServer,
  type RedisServer,
  skipLoudly,
  startRedis,
} from '../../../test/support/redis.js';
import { escapeKeyPart, keyBuilder } from '../src/lib/keys.js';
import { INDEX_ADD, SESSION_PUT, SESSION_TAKE, SESSION_TOUCH } from '../src/lib/scripts.js';

const LONG = 60 * 60_000;

describe('key layout', () => {
  test('escaped key parts never contain a hash-tag brace, a separator or whitespace', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (s) => {
        expect(escapeKeyPart(s)).not.toMatch(/[{}:\s]/);
      }),
    );
  });

  test('escaping is injective (distinct parts give distinct keys)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 64 }),
        fc.string({ unit: 'binary', maxLength: 64 }),
        (a, b) => {
          fc.pre(a !== b);
          expect(escapeKeyPart(a)).not.toBe(escapeKeyPart(b));
        },
      ),
    );
    expect(escapeKeyPart('a%3Ab')).not.toBe(escapeKeyPart('a:b'));
  });

  test('the SLO index key keeps issuer and NameID apart', () => {
    const k = keyBuilder('p:');
    expect(k.index('a:b', 'c')).not.toBe(k.index('a', 'b:c'));
    expect(k.index('https://idp/{x}', 'u')).toBe('p:slo:https%3a//idp/%7bx%7d:u');
  });

  test('every Lua script names exactly one key (so each runs in one Cluster slot)', () => {
    for (const script of [INDEX_ADD, SESSION_PUT, SESSION_TAKE, SESSION_TOUCH]) {
      const keys = new Set(script.source.match(/KEYS\[\d+\]/g));
      expect([...keys], script.name).toEqual(['KEYS[1]']);
      // No command that lists keys.
      expect(script.source).not.toMatch(/'(KEYS|SCAN)'/);
    }
  });
});

describe('options and arguments', () => {
  test('misuse is a TypeError', async () => {
    expect(() => new RedisStore({} as never)).toThrow(TypeError);
    expect(
      () => new RedisStore({ url: 'redis://127.0.0.1:1', clusterNodes: ['x'] } as never),
    ).toThrow(/exactly one/);
    expect(() => new RedisStore({ client: {} as never })).toThrow(/ioredis/);
    expect(() => new RedisStore({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 0 })).toThrow(
      /commandTimeoutMs/,
    );
    const store = new RedisStore({
      url: 'redis://127.0.0.1:1',
      connectTimeoutMs: 50,
      onConnectionError: () => {},
    });
    try {
      await expect(store.takePendingRequest('')).rejects.toThrow(TypeError);
      for (const bad of [null, 'authn', { kind: 'authn' }, { kind: 1, idpEntityId: 'i' }]) {
        await expect(store.takePendingRequest('r', bad as never)).rejects.toThrow(TypeError);
      }
      await expect(store.rememberOnce('k', Number.NaN)).rejects.toThrow(TypeError);
      await expect(store.setValue('k', 1 as never, 1)).rejects.toThrow(TypeError);
      await expect(store.putSession({ id: 'x' } as never)).rejects.toThrow(TypeError);
      await expect(store.findSessions({ issuer: 'i' } as never)).rejects.toThrow(TypeError);
      // findSessions and endSessions check a query alike.
      for (const bad of [null, { nameId: 'n' }, { issuer: 'i', nameId: 'n', sessionIndex: '' }]) {
        await expect(store.findSessions(bad as never)).rejects.toThrow(TypeError);
        await expect(store.endSessions(bad as never)).rejects.toThrow(TypeError);
      }
    } finally {
      await store.close();
    }
  });
});

const skip =
  !process.env.REDIS_URL && !hasRedisServer() && skipLoudly('Redis store', 'redis-server');

describe.skipIf(skip)('RedisStore on a real Redis', () => {
  let server: RedisServer;
  let admin: Redis;
  beforeAll(async () => {
    server = await startRedis();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });

  test('a conditional take of a record Lua cannot decode (a lone surrogate in its data) still works', async () => {
    const store = new RedisStore({ url: server.url, keyPrefix: `sur-${crypto.randomUUID()}:` });
    try {
      const now = Date.now();
      const idp = 'https://idp.example.com/';
      // JSON.stringify writes a lone surrogate as \ud800, which Redis's cjson refuses to decode.
      const record = {
        id: '_sur',
        kind: 'authn' as const,
        createdAt: now,
        idpEntityId: idp,
        data: { note: 'half a pair: \ud800' },
      };
      await store.putPendingRequest('_sur', record, now + 600_000);
      expect(
        await store.takePendingRequest('_sur', {
          kind: 'authn',
          idpEntityId: 'https://other.example/',
        }),
      ).toBeUndefined();
      expect(
        await store.takePendingRequest('_sur', { kind: 'logout', idpEntityId: idp }),
      ).toBeUndefined();
      const taken = await store.takePendingRequest('_sur', { kind: 'authn', idpEntityId: idp });
      expect(taken).toEqual(record);
      expect(
        await store.takePendingRequest('_sur', { kind: 'authn', idpEntityId: idp }),
      ).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  test('every key a login and logout writes has a TTL, and the keys follow the documented layout', async () => {
    const keyPrefix = `ttl-${crypto.randomUUID()}:`;
    const store = new RedisStore({ url: server.url, keyPrefix });
    try {
      const now = Date.now();
      const s: SessionRecord = {
        id: 'sid',
        issuer: 'https://idp.example.com/',
        nameId: 'alice',
        sessionIndex: '_i',
        attributes: {},
        createdAt: now,
        expiresAt: now + LONG,
      };
      await store.putPendingRequest(
        '_req',
        { id: '_req', kind: 'authn', createdAt: now, idpEntityId: s.issuer },
        now + 600_000,
      );
      await store.rememberOnce('assertion:https://idp.example.com/:_a1', now + 300_000);
      await store.putSession(s);
      await store.touchSession(s.id, now + 2 * LONG);
      await store.setValue('metadata:https://idp.example.com/', '<md/>', now + LONG);
      await store.putPendingRequest(
        '_logout',
        { id: '_logout', kind: 'logout', createdAt: now, idpEntityId: s.issuer },
        now + 600_000,
      );

      // Test-only key listing (the store itself never lists keys).
      const keys = (await admin.keys(`${keyPrefix}*`)).sort();
      expect(keys).toEqual(
        [
          `${keyPrefix}once:assertion%3ahttps%3a//idp.example.com/%3a_a1`,
          `${keyPrefix}req:_logout`,
          `${keyPrefix}req:_req`,
          `${keyPrefix}sess:sid`,
          `${keyPrefix}slo:https%3a//idp.example.com/:alice`,
          `${keyPrefix}val:metadata%3ahttps%3a//idp.example.com/`,
        ].sort(),
      );
      for (const key of keys) {
        const ttl = await admin.pttl(key);
        expect(ttl, key).toBeGreaterThan(0);
      }
      // The index lives at least until the (touched) session's expiresAt.
      const indexTtl = await admin.pttl(`${keyPrefix}slo:https%3a//idp.example.com/:alice`);
      expect(indexTtl).toBeGreaterThanOrEqual(now + 2 * LONG - Date.now());

      await store.deleteSession(s.id);
      expect(await admin.zcard(`${keyPrefix}slo:https%3a//idp.example.com/:alice`)).toBe(0);
    } finally {
      await store.close();
    }
  });

  test('expiry is judged on the application clock, not only by the Redis TTL', async () => {
    let now = Date.now();
    const keyPrefix = `clock-${crypto.randomUUID()}:`;
    const store = new RedisStore({ url: server.url, keyPrefix, now: () => now });
    try {
      await store.putPendingRequest(
        '_r',
        { id: '_r', kind: 'authn', createdAt: now, idpEntityId: 'i' },
        now + 60_000,
      );
      await store.putSession({
        id: 's',
        issuer: 'i',
        nameId: 'n',
        attributes: {},
        createdAt: now,
        expiresAt: now + 60_000,
      });
      now += 60_000; // the application's clock reached expiresAt; Redis still holds the keys
      expect(await admin.exists(`${keyPrefix}req:_r`, `${keyPrefix}sess:s`)).toBe(2);
      expect(await store.takePendingRequest('_r')).toBeUndefined();
      expect(await store.getSession('s')).toBeUndefined();
      expect(await store.findSessions({ issuer: 'i', nameId: 'n' })).toEqual([]);
      expect(await store.touchSession('s', now + 60_000)).toBe(false);
    } finally {
      await store.close();
    }
  });

  test('a client passed in is used with the prefix, and scripts load again after SCRIPT FLUSH', async () => {
    const client = new Redis(server.url);
    const store = new RedisStore({ client, keyPrefix: `own-${crypto.randomUUID()}:` });
    try {
      const now = Date.now();
      const s: SessionRecord = {
        id: 'a',
        issuer: 'i',
        nameId: 'n',
        attributes: {},
        createdAt: now,
        expiresAt: now + LONG,
      };
      await store.putSession(s);
      await admin.script('FLUSH');
      expect(await store.touchSession('a', now + 2 * LONG)).toBe(true);
      expect(await store.findSessions({ issuer: 'i', nameId: 'n' })).toEqual([
        { ...s, expiresAt: now + 2 * LONG },
      ]);
    } finally {
      await store.close();
      expect(client.status).toBe('ready');
      client.disconnect();
    }
  });
});

describe.skipIf(skip)('RedisStore start-up', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('operations issued before the first connection wait for it together', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const store = new RedisStore({ url: server.url, keyPrefix: `startup-${crypto.randomUUID()}:` });
    try {
      const key = 'assertion:x:_1';
      const results = await Promise.all(
        Array.from({ length: 50 }, () => store.rememberOnce(key, Date.now() + LONG)),
      );
      expect(results.filter((r) => r).length).toBe(1);
      await new Promise((r) => setImmediate(r));
      expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
      await store.close();
    }
  });
});
