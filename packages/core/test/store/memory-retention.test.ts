import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MemoryStore } from '@samlkit/core';
import { describe, expect, test } from 'vitest';

const T0 = Date.UTC(2026, 0, 1);

// A real collector: V8's own gc(), exposed at run time (no --expose-gc needed on the command
// line; the flag only has to be set before the new context is made).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapBytes(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

const MESSAGES = 256;
const MESSAGE_CHARS = 256 * 1024;

/**
 * A "message" of MESSAGE_CHARS characters, unique per `i`. The first slice taken flattens it into
 * one string, and every slice is then a view into that string, as values read out of a decoded
 * Response are.
 */
function message(i: number): string {
  const head = `<samlp:Response ID="_r${String(i).padStart(6, '0')}abcdefghijklmnop" Issuer="https://idp.example.org/${i}/metadata">`;
  return head + 'x'.repeat(MESSAGE_CHARS - head.length - 8) + String(i).padStart(8, '0');
}

describe('MemoryStore keeps no message text alive', () => {
  // 256 messages of 256 Ki characters are 64 MiB at one byte a character: kept alive by their
  // slices, the heap grows by that much; copied out, by the entries alone (well under 8 MiB).
  test('keys and values taken from big strings leave those strings collectable', async () => {
    const store = new MemoryStore({ now: () => T0 });
    const before = heapBytes();
    for (let i = 0; i < MESSAGES; i++) {
      const xml = message(i);
      const id = xml.slice(20, 44);
      const issuer = xml.slice(54, 54 + xml.slice(54).indexOf('"'));
      expect(id.length).toBeGreaterThan(13); // long enough for V8 to make a slice, not a copy
      // As response.ts builds its replay key.
      expect(await store.rememberOnce(`assertion:${issuer}:${id}`, T0 + 60_000)).toBe(true);
      await store.putPendingRequest(
        id,
        { id, kind: 'authn', createdAt: T0, idpEntityId: issuer },
        T0 + 60_000,
      );
      await store.setValue(`v:${id}`, issuer, T0 + 60_000);
      await store.putSession({
        id: `s${id}`,
        issuer,
        nameId: id,
        sessionIndex: id,
        attributes: { id: [id] },
        createdAt: T0,
        expiresAt: T0 + 60_000,
      });
    }
    const grown = heapBytes() - before;
    expect(store.size).toBe(MESSAGES * 4);
    expect(grown).toBeLessThan(8 * 1024 * 1024);
    // Still all there and equal to what went in.
    const xml = message(7);
    const id = xml.slice(20, 44);
    expect(
      await store.rememberOnce(`assertion:https://idp.example.org/7/metadata:${id}`, T0 + 1),
    ).toBe(false);
    expect(await store.getValue(`v:${id}`)).toBe('https://idp.example.org/7/metadata');
    expect((await store.takePendingRequest(id))?.idpEntityId).toBe(
      'https://idp.example.org/7/metadata',
    );
  });
});

describe('MemoryStore sweeps expired entries as it goes', () => {
  test('writes drop expired entries long before the store is full', async () => {
    let now = T0;
    const store = new MemoryStore({ now: () => now });
    for (let i = 0; i < 1000; i++) await store.rememberOnce(`old-${i}`, T0 + 10);
    expect(store.size).toBe(1000);
    now = T0 + 10;
    // 400 writes of live keys: each looks at a few entries, so every expired one is gone.
    for (let i = 0; i < 400; i++) await store.rememberOnce(`new-${i}`, T0 + 60_000);
    expect(store.size).toBe(400);
  });

  test('reads sweep too, sessions (and their index) included', async () => {
    let now = T0;
    const store = new MemoryStore({ now: () => now });
    for (let i = 0; i < 300; i++) {
      await store.putSession({
        id: `s-${i}`,
        issuer: 'https://idp/',
        nameId: `user-${i % 7}`,
        attributes: {},
        createdAt: T0,
        expiresAt: T0 + 10 + (i % 2) * 60_000,
      });
    }
    now = T0 + 10;
    for (let i = 0; i < 200; i++) expect(await store.getValue(`absent-${i}`)).toBeUndefined();
    expect(store.size).toBe(150);
    const live = await store.findSessions({ issuer: 'https://idp/', nameId: 'user-1' });
    expect(live.every((s) => s.expiresAt === T0 + 60_010)).toBe(true);
    expect(live.length).toBeGreaterThan(0);
  });

  test('a value with lone surrogates is copied exactly', async () => {
    const store = new MemoryStore({ now: () => T0 });
    const odd = `a\ud800b\udc00c${'z'.repeat(40)}`;
    await store.setValue(odd.slice(1), odd.slice(2), T0 + 1000);
    expect(await store.getValue(odd.slice(1))).toBe(odd.slice(2));
    expect(await store.getValue(`\ufffd${odd.slice(2)}`)).toBeUndefined();
  });
});
