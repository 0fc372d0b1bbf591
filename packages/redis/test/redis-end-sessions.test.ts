import type { SessionRecord } from '@samlkit/core';
import { RedisStore } from '@samlkit/redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  hasRedisServer,
  type RedisServer,
  skipLoudly,
  startRedis,
} from '../../../test/support/redis.js';
import { deliveryRequest, fullLogin, setup } from '../../core/test/sp/support.js';
import { keyBuilder } from '../src/lib/keys.js';

// Bulk logout (SamlStore.endSessions) against a real redis-server on a free loopback port.
const skip = !hasRedisServer() && skipLoudly('Redis store endSessions', 'redis-server');

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 60 * 60_000;
const ISSUER = 'https://idp.example.com/';

function session(
  id: string,
  nameId: string,
  expiresAt: number,
  extra: Partial<SessionRecord> = {},
): SessionRecord {
  return { id, issuer: ISSUER, nameId, attributes: {}, createdAt: T0, expiresAt, ...extra };
}

/** Puts sessions 200 at a time (concurrently), so big fixtures are quick to make. */
async function putAll(store: RedisStore, sessions: readonly SessionRecord[]): Promise<void> {
  for (let i = 0; i < sessions.length; i += 200) {
    await Promise.all(sessions.slice(i, i + 200).map((s) => store.putSession(s)));
  }
}

describe.skipIf(skip)('RedisStore.endSessions', () => {
  let server: RedisServer;
  let raw: Redis;
  let prefixNo = 0;
  let now = T0;
  const stores: RedisStore[] = [];

  function newStore(): { store: RedisStore; prefix: string } {
    const prefix = `end${prefixNo++}:`;
    const store = new RedisStore({
      url: server.url,
      keyPrefix: prefix,
      // Functional checks, not timing: a loaded CI machine must not turn them into timeouts.
      commandTimeoutMs: 10_000,
      now: () => now,
      onConnectionError: () => {},
    });
    stores.push(store);
    return { store, prefix };
  }

  beforeAll(async () => {
    server = await startRedis({ ignoreEnv: true });
    raw = new Redis(server.url, { lazyConnect: false });
  });

  afterAll(async () => {
    for (const s of stores) await s.close();
    raw?.disconnect();
    await server?.stop();
  });

  test('10 000 sessions of one user end in one call (all chunks); others and expired ones handled', async () => {
    now = T0;
    const { store, prefix } = newStore();
    const alice = Array.from({ length: 10_000 }, (_, i) =>
      session(`a-${String(i).padStart(5, '0')}`, 'alice', T0 + HOUR + i),
    );
    const expired = Array.from({ length: 50 }, (_, i) => session(`x-${i}`, 'alice', T0 + 10));
    const bob = [session('b-1', 'bob', T0 + HOUR)];
    await putAll(store, [...alice, ...expired, ...bob]);
    const index = keyBuilder(prefix).index(ISSUER, 'alice');
    expect(await raw.zcard(index)).toBe(10_050);

    now = T0 + 10; // the 50 have expired; their index members are still there
    const result = await store.endSessions({ issuer: ISSUER, nameId: 'alice' });
    expect(result.failed).toBe(0);
    expect(result.ended).toHaveLength(10_000);
    expect(result.ended.map((s) => s.id)).toEqual(alice.map((s) => s.id));
    expect(result.ended[0]?.expiresAt).toBe(T0 + HOUR);
    expect(await store.findSessions({ issuer: ISSUER, nameId: 'alice' })).toEqual([]);
    // Expired members and ended ones are gone from the index (the key with them).
    expect(await raw.exists(index)).toBe(0);
    expect(await raw.exists(keyBuilder(prefix).session('a-00000'))).toBe(0);
    expect((await store.getSession('b-1'))?.nameId).toBe('bob');
  });

  test('with a SessionIndex only those sessions end; the others stay listed', async () => {
    now = T0;
    const { store } = newStore();
    await putAll(store, [
      session('s1', 'alice', T0 + HOUR, { sessionIndex: 'one' }),
      session('s2', 'alice', T0 + HOUR, { sessionIndex: 'two' }),
      session('s3', 'alice', T0 + HOUR, { sessionIndex: 'one' }),
    ]);
    const r = await store.endSessions({ issuer: ISSUER, nameId: 'alice', sessionIndex: 'one' });
    expect(r).toEqual({
      ended: [expect.objectContaining({ id: 's1' }), expect.objectContaining({ id: 's3' })],
      failed: 0,
    });
    const left = await store.findSessions({ issuer: ISSUER, nameId: 'alice' });
    expect(left.map((s) => s.id)).toEqual(['s2']);
  });

  test('a stale index entry never ends a session that now belongs to another user', async () => {
    now = T0;
    const { store, prefix } = newStore();
    await store.putSession(session('moved', 'carol', T0 + HOUR));
    // As if the clean-up of a replace had failed: alice's index still lists the session.
    await raw.zadd(keyBuilder(prefix).index(ISSUER, 'alice'), T0 + HOUR, 'moved');
    const r = await store.endSessions({ issuer: ISSUER, nameId: 'alice' });
    expect(r).toEqual({ ended: [], failed: 0 });
    expect((await store.getSession('moved'))?.nameId).toBe('carol');
    expect(await raw.zcard(keyBuilder(prefix).index(ISSUER, 'alice'))).toBe(0);
  });

  test('a session Redis refuses to end is counted as failed, never hidden; the others end', async () => {
    now = T0;
    const { store, prefix } = newStore();
    const k = keyBuilder(prefix);
    await putAll(
      store,
      Array.from({ length: 1200 }, (_, i) => session(`p-${i}`, 'alice', T0 + HOUR + i)),
    );
    // A key of the wrong type where the last chunk's first session should be: Redis refuses the
    // script for it (WRONGTYPE), a real error from Redis in the middle of the logout.
    await raw.del(k.session('p-1000'));
    await raw.set(k.session('p-1000'), 'not a hash');
    const r = await store.endSessions({ issuer: ISSUER, nameId: 'alice' });
    expect(r.failed).toBe(1);
    expect(r.ended).toHaveLength(1199);
    expect(r.ended.some((s) => s.id === 'p-1000')).toBe(false);
    // What failed is still there (and still listed) for a retry.
    expect(await raw.get(k.session('p-1000'))).toBe('not a hash');
    expect(await raw.zscore(k.index(ISSUER, 'alice'), 'p-1000')).not.toBeNull();
  });

  test('scripts are sent again when Redis lost them (SCRIPT FLUSH)', async () => {
    now = T0;
    const { store } = newStore();
    await putAll(store, [session('f1', 'alice', T0 + HOUR), session('f2', 'alice', T0 + HOUR)]);
    await raw.script('FLUSH');
    const r = await store.endSessions({ issuer: ISSUER, nameId: 'alice' });
    expect(r.ended.map((s) => s.id)).toEqual(['f1', 'f2']);
  });

  test('IdP-initiated logout through the SP: Success when all ended, PartialLogout when not', async () => {
    now = Date.now();
    const { store, prefix } = newStore();
    // The SP's clock is the real one here; the store shares it.
    const realNow = { now: () => Date.now() };
    now = realNow.now();
    const s = await setup({ store });
    await fullLogin(s, { nameId: 'alice@example.com' });
    await fullLogin(s, { nameId: 'alice@example.com' });
    const issuer = s.idp.entityId;
    const logout = async () => {
      now = Date.now();
      const message = await s.idp.logoutRequest({
        spSloUrl: 'https://sp.test/saml/slo',
        nameId: 'alice@example.com',
        binding: 'redirect',
      });
      const res = await s.sp.slo(deliveryRequest(message));
      return (await s.idp.readLogoutResponse(res.headers.get('location')!)).response;
    };
    const ok = await logout();
    expect(ok.status.success).toBe(true);
    expect(ok.status.partial).toBe(false);
    expect(await store.findSessions({ issuer, nameId: 'alice@example.com' })).toEqual([]);

    await fullLogin(s, { nameId: 'alice@example.com' });
    const extra = Array.from({ length: 700 }, (_, i) => ({
      ...session(`e-${i}`, 'alice@example.com', Date.now() + HOUR + i),
      issuer,
    }));
    now = Date.now();
    await putAll(store, extra);
    const k = keyBuilder(prefix);
    await raw.del(k.session('e-600'));
    await raw.set(k.session('e-600'), 'not a hash');
    const partial = await logout();
    expect(partial.status.partial).toBe(true);
    expect(partial.status.codes[1]).toBe('urn:oasis:names:tc:SAML:2.0:status:PartialLogout');
    expect(s.logs.some((l) => l.message === 'slo: some sessions could not be ended')).toBe(true);
  });
});
