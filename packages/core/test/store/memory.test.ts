import {
  type CryptoProvider,
  createSessionId,
  MemoryStore,
  type MemoryStoreEvictionEvent,
  type SessionRecord,
} from '@samlkit/core';
import { describe, expect, test, vi } from 'vitest';

const T0 = Date.UTC(2026, 0, 1);

function clock() {
  let now = T0;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

function session(id: string, nameId: string, expiresAt: number): SessionRecord {
  return { id, issuer: 'https://idp/', nameId, attributes: {}, createdAt: T0, expiresAt };
}

describe('MemoryStore bounds', () => {
  test('when full, the oldest live entry is evicted and reported', async () => {
    const c = clock();
    const events: MemoryStoreEvictionEvent[] = [];
    const store = new MemoryStore({ maxEntries: 3, now: c.now, onEvict: (e) => events.push(e) });
    expect(await store.rememberOnce('a', T0 + 1000)).toBe(true);
    await store.setValue('b', 'B', T0 + 1000);
    await store.putSession(session('s', 'u', T0 + 1000));
    expect(events).toEqual([]);
    await store.setValue('d', 'D', T0 + 1000);
    expect(events).toEqual([
      {
        kind: 'rememberOnce',
        key: 'a',
        expiresAt: T0 + 1000,
        reason: 'capacity',
        maxEntries: 3,
        evictedTotal: 1,
      },
    ]);
    expect(store.size).toBe(3);
    // The evicted key is forgotten (the replay window the event warns about).
    expect(await store.rememberOnce('a', T0 + 1000)).toBe(true);
    expect(events.map((e) => [e.kind, e.key, e.evictedTotal])).toEqual([
      ['rememberOnce', 'a', 1],
      ['value', 'b', 2],
    ]);
  });

  test('expired entries make room before any live entry is evicted', async () => {
    const c = clock();
    const onEvict = vi.fn();
    const store = new MemoryStore({ maxEntries: 3, now: c.now, onEvict });
    await store.setValue('old-live', '1', T0 + 10_000);
    await store.setValue('short', '2', T0 + 10);
    await store.setValue('live', '3', T0 + 10_000);
    c.advance(10);
    await store.setValue('new', '4', T0 + 10_000);
    expect(onEvict).not.toHaveBeenCalled();
    expect(await store.getValue('old-live')).toBe('1');
    expect(await store.getValue('new')).toBe('4');
  });

  test('an evicted session leaves the SLO index', async () => {
    const c = clock();
    const store = new MemoryStore({ maxEntries: 2, now: c.now, onEvict: () => {} });
    await store.putSession(session('s1', 'u', T0 + 1000));
    await store.putSession(session('s2', 'u', T0 + 1000));
    await store.putSession(session('s3', 'v', T0 + 1000));
    expect(
      (await store.findSessions({ issuer: 'https://idp/', nameId: 'u' })).map((s) => s.id),
    ).toEqual(['s2']);
  });

  test('replacing an entry makes it the newest', async () => {
    const c = clock();
    const evicted: string[] = [];
    const store = new MemoryStore({
      maxEntries: 2,
      now: c.now,
      onEvict: (e) => evicted.push(e.key),
    });
    await store.setValue('a', '1', T0 + 1000);
    await store.setValue('b', '1', T0 + 1000);
    await store.setValue('a', '2', T0 + 1000);
    await store.setValue('c', '1', T0 + 1000);
    expect(evicted).toEqual(['b']);
  });

  test('the default eviction report is a console warning on the first eviction', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const store = new MemoryStore({ maxEntries: 1 });
      await store.setValue('a', '1', Date.now() + 1000);
      await store.setValue('b', '1', Date.now() + 1000);
      await store.setValue('c', '1', Date.now() + 1000);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[0])).toMatch(/maxEntries 1.*replay/s);
    } finally {
      warn.mockRestore();
    }
  });
});

describe('MemoryStore records and arguments', () => {
  test('returned records are copies: mutating one does not change the store', async () => {
    const store = new MemoryStore();
    const s = { ...session('s', 'u', Date.now() + 1000), attributes: { a: ['1'] } };
    await store.putSession(s);
    const read = (await store.getSession('s')) as unknown as {
      attributes: Record<string, string[]>;
    };
    read.attributes.a?.push('2');
    (s.attributes.a as string[]).push('3');
    expect((await store.getSession('s'))?.attributes).toEqual({ a: ['1'] });
  });

  test('misuse is a TypeError', async () => {
    expect(() => new MemoryStore({ maxEntries: 0 })).toThrow(TypeError);
    const store = new MemoryStore();
    await expect(store.takePendingRequest(1 as never)).rejects.toThrow(TypeError);
    for (const bad of [null, 'authn', { kind: 'authn' }, { kind: 1, idpEntityId: 'i' }]) {
      await expect(store.takePendingRequest('r', bad as never)).rejects.toThrow(TypeError);
    }
    await expect(store.rememberOnce('k', Number.POSITIVE_INFINITY)).rejects.toThrow(TypeError);
    await expect(store.putSession({ id: 's' } as never)).rejects.toThrow(TypeError);
    await expect(store.findSessions({ nameId: 'u' } as never)).rejects.toThrow(TypeError);
    await expect(
      store.putPendingRequest('r', { data: { n: 1n } } as never, Date.now() + 1000),
    ).rejects.toThrow(TypeError); // not JSON
  });
});

describe('createSessionId', () => {
  test('is 256 random bits as unpadded base64url', () => {
    const ones: CryptoProvider = {
      subtle: globalThis.crypto.subtle,
      getRandomValues: <T extends ArrayBufferView | null>(a: T): T => {
        if (a) new Uint8Array(a.buffer, a.byteOffset, a.byteLength).fill(0xff);
        return a;
      },
    };
    // 256 one-bits: 42 sextets of 111111 ('_') and 4 bits 1111 padded with 00 ('8').
    expect(createSessionId(ones)).toBe(`${'_'.repeat(42)}8`);
    const ids = new Set(Array.from({ length: 1000 }, () => createSessionId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
