import { MemoryStore } from '@samlkit/core';
import { describe, expect, it } from 'vitest';
import { fullLogin, req, sessionCookie, setup } from './support.js';

const MIN = 60_000;

async function idleSetup(options: { idle?: number; max?: number }) {
  let now = Date.now();
  const s = await setup({
    store: new MemoryStore({ now: () => now }),
    now: () => now,
    ...(options.idle !== undefined && { sessionIdleTimeoutMs: options.idle }),
    ...(options.max !== undefined && { sessionMaxAgeMs: options.max }),
  });
  const res = await fullLogin(s, { now });
  const cookie = sessionCookie(res)!;
  const t0 = now;
  return {
    s,
    t0,
    at: (t: number) => {
      now = t0 + t;
    },
    session: () => s.sp.getSession(req('/', { cookie })),
  };
}

describe('session inactivity timeout (sessionIdleTimeoutMs)', () => {
  it('ends a session left unused for the timeout, and use extends it', async () => {
    const { at, session, t0 } = await idleSetup({ idle: 10 * MIN });
    expect((await session())?.expiresAt).toBe(t0 + 10 * MIN);
    at(9 * MIN);
    expect((await session())?.expiresAt).toBe(t0 + 19 * MIN);
    at(18 * MIN);
    expect(await session()).toBeDefined();
    at(29 * MIN);
    expect(await session()).toBeUndefined();
  });

  it('never extends a session past its absolute end', async () => {
    const { at, session, t0 } = await idleSetup({ idle: 10 * MIN, max: 25 * MIN });
    for (const t of [8, 16, 24]) {
      at(t * MIN);
      expect(await session()).toBeDefined();
    }
    expect((await session())?.expiresAt).toBe(t0 + 25 * MIN);
    expect((await session())?.absoluteExpiresAt).toBe(t0 + 25 * MIN);
    at(25 * MIN + 1);
    expect(await session()).toBeUndefined();
  });

  it('without the option, sessions end only at their absolute end', async () => {
    const { at, session, t0 } = await idleSetup({ max: 60 * MIN });
    expect((await session())?.expiresAt).toBe(t0 + 60 * MIN);
    at(59 * MIN);
    expect(await session()).toBeDefined();
  });
});
