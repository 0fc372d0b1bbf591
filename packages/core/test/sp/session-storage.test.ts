// The `session` option's pieces: the check of the option, where the session ID is read from, and
// how the session cookie samlkit writes becomes the application's `set` calls.
import { createServiceProvider, type SessionIdStorage } from '@samlkit/core';
import { describe, expect, it } from 'vitest';
import { serializeCookie } from '../../src/sp/cookie.js';
import {
  checkSessionStorage,
  keepSessionInStorage,
  sessionIdOf,
} from '../../src/sp/session-storage.js';
import { resolveSettings } from '../../src/sp/settings.js';
import { BASE, keys, spConfig } from './support.js';

async function settings() {
  const { idp, spKeys } = await keys();
  return resolveSettings({ sp: spConfig(spKeys), idps: idp.config, baseUrl: BASE });
}

/** A storage that records its calls and answers `get` with `held`. */
function recording(held?: string | null) {
  const calls: (string | null)[] = [];
  const storage: SessionIdStorage = {
    get: () => held,
    set: (_request, id) => {
      calls.push(id);
    },
  };
  return { storage, calls };
}

describe('the session option', () => {
  it('must have get and set functions', async () => {
    expect(checkSessionStorage(undefined)).toBeUndefined();
    for (const bad of [null, {}, { get() {} }, { set() {} }, { get: 1, set: 2 }, 'x']) {
      expect(() => checkSessionStorage(bad)).toThrow(TypeError);
    }
    const { idp, spKeys } = await keys();
    expect(() =>
      createServiceProvider({
        sp: spConfig(spKeys),
        idps: idp.config,
        baseUrl: BASE,
        session: { get: () => undefined } as unknown as SessionIdStorage,
      }),
    ).toThrow(/session must have get\(request\) and set\(request, id\)/);
  });

  it('reads the ID from the storage only, never from the cookie, when set', async () => {
    const s = await settings();
    const request = new Request(`${BASE}/app`, {
      headers: { cookie: `${s.cookie.name}=from-the-cookie-0123456789` },
    });
    expect(await sessionIdOf(s, undefined, request)).toBe('from-the-cookie-0123456789');
    expect(await sessionIdOf(s, recording('from-the-library').storage, request)).toBe(
      'from-the-library',
    );
    for (const none of [undefined, null, '']) {
      expect(await sessionIdOf(s, recording(none).storage, request)).toBeUndefined();
    }
  });

  it('turns the session cookie into set(id) and its clearing into set(null); other cookies stay', async () => {
    const s = await settings();
    const request = new Request(`${BASE}/saml/acs?finish=x`);
    const other = `${s.cookie.name}_login=; Path=/; Max-Age=0`;
    const { storage, calls } = recording();
    const login = new Response('body', {
      status: 303,
      headers: [
        ['location', '/app'],
        ['set-cookie', serializeCookie(s.cookie, 'the-new-session-id-0123')],
        ['set-cookie', other],
      ],
    });
    const kept = await keepSessionInStorage(s, storage, request, login);
    expect(calls).toEqual(['the-new-session-id-0123']);
    expect(kept.status).toBe(303);
    expect(kept.headers.get('location')).toBe('/app');
    expect(kept.headers.getSetCookie()).toEqual([other]);
    expect(await kept.text()).toBe('body');

    const logout = new Response(null, {
      status: 303,
      headers: [['set-cookie', serializeCookie(s.cookie, null)]],
    });
    const out = await keepSessionInStorage(s, storage, request, logout);
    expect(calls).toEqual(['the-new-session-id-0123', null]);
    expect(out.headers.getSetCookie()).toEqual([]);

    // Without the option, or without a session cookie, the response is left as it is.
    const untouched = new Response(null, { headers: [['set-cookie', other]] });
    expect(await keepSessionInStorage(s, storage, request, untouched)).toBe(untouched);
    expect(await keepSessionInStorage(s, undefined, request, login)).toBe(login);
  });
});
