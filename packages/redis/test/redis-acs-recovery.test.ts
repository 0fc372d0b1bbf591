// A store failure in the middle of a login, on a real redis-server: Redis refuses one step of the
// ACS (an ACL without the keys that step writes), after the pending request was taken. The login
// is spent — a re-post of the same Response can only be refused — so the error page must not say
// "try again": it offers "Sign in again", a fresh login back to the original return address, and
// that login succeeds once Redis accepts the writes again.
import { RedisStore } from '@samlkit/redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  hasRedisServer,
  type RedisServer,
  skipLoudly,
  startRedis,
} from '../../../test/support/redis.js';
import {
  deliverLogin,
  deliveryRequest,
  req,
  setup,
  startLogin,
} from '../../core/test/sp/support.js';

const skip = !hasRedisServer() && skipLoudly('ACS recovery after a store failure', 'redis-server');

/** The "Sign in again" link of an error page, decoded from its HTML. */
function signInAgainLink(html: string): string | undefined {
  return /<a href="([^"]+)">Sign in again<\/a>/.exec(html)?.[1]?.replace(/&amp;/g, '&');
}

describe.skipIf(skip)('a Redis failure during the ACS step', () => {
  let server: RedisServer;
  let admin: Redis;
  const stores: RedisStore[] = [];
  let userNo = 0;

  beforeAll(async () => {
    server = await startRedis({ ignoreEnv: true });
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    admin?.disconnect();
    await server?.stop();
  });

  /** A store whose Redis user may only touch the keys `patterns` name (prefix included). */
  async function restrictedStore(patterns: (prefix: string) => string[]) {
    const user = `sp${userNo++}`;
    const prefix = `${user}:`;
    await admin.call(
      'ACL',
      'SETUSER',
      user,
      'on',
      '>pw',
      '+@all',
      ...patterns(prefix).map((p) => `~${p}`),
    );
    const store = new RedisStore({
      url: `redis://${user}:pw@127.0.0.1:${server.port}`,
      keyPrefix: prefix,
      commandTimeoutMs: 10_000,
      onConnectionError: () => {},
    });
    stores.push(store);
    const heal = () => admin.call('ACL', 'SETUSER', user, 'allkeys');
    return { store, heal };
  }

  for (const step of [
    {
      name: 'the finish record cannot be written (after the replay cache was)',
      // Pending requests (IDs start with _) and the replay cache: yes; finish records: no.
      patterns: (p: string) => [`${p}req:_*`, `${p}once:*`, `${p}sess:*`, `${p}slo:*`],
    },
    {
      name: 'the replay cache cannot be written',
      patterns: (p: string) => [`${p}req:*`, `${p}sess:*`, `${p}slo:*`],
    },
  ]) {
    test(`${step.name}: 503 with "Sign in again" to the original page, which then works`, async () => {
      const { store, heal } = await restrictedStore(step.patterns);
      const s = await setup({ store });
      const wanted = '/reports/42?tab=costs';
      const first = await startLogin(s.sp, s.idp, `?returnTo=${encodeURIComponent(wanted)}`);
      const delivery = await s.idp.answerLogin(first.request, first.relayState);

      const failed = await s.sp.acs(deliveryRequest(delivery));
      expect(failed.status).toBe(503);
      const page = await failed.text();
      expect(page).toContain('<code>STORE_UNAVAILABLE</code>');
      expect(page).not.toMatch(/try again/i);
      const link = signInAgainLink(page);
      expect(link).toBe(`/saml/login?returnTo=${encodeURIComponent(wanted)}`);

      // The login is spent: posting the same Response again is refused — and that page, too,
      // offers a fresh login rather than "try again".
      const again = await s.sp.acs(deliveryRequest(delivery));
      expect(again.status).toBe(403);
      const againPage = await again.text();
      expect(againPage).not.toMatch(/try again/i);
      expect(signInAgainLink(againPage)).toMatch(/^\/saml\/login\?returnTo=/);

      // Redis accepts the writes again: the offered link is a fresh login that lands on the page
      // the user first asked for.
      await heal();
      const fresh = await s.sp.login(req(link!, { cookie: first.browserCookie }));
      expect(fresh.status).toBe(303);
      const read = await s.idp.readAuthnRequest(fresh.headers.get('location')!);
      const login = fresh.headers
        .getSetCookie()
        .find((c) => c.startsWith('__Host-samlkit_session_login='))
        ?.split(';')[0];
      const done = await deliverLogin(
        s.sp,
        await s.idp.answerLogin(read.request, read.relayState),
        login,
      );
      expect(done.status).toBe(303);
      expect(done.headers.get('location')).toBe(wanted);
    });
  }

  test('JSON clients get the link as signInAgain', async () => {
    const { store } = await restrictedStore((p) => [`${p}req:_*`, `${p}once:*`]);
    const s = await setup({ store });
    const first = await startLogin(s.sp, s.idp, '?returnTo=%2Fhere');
    const delivery = await s.idp.answerLogin(first.request, first.relayState);
    const request = deliveryRequest(delivery);
    request.headers.set('accept', 'application/json');
    const res = await s.sp.acs(request);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      error: {
        code: 'STORE_UNAVAILABLE',
        message:
          'Sign-in could not be completed because a service is temporarily unavailable. Please sign in again in a moment.',
        signInAgain: '/saml/login?returnTo=%2Fhere',
      },
    });
  });
});
