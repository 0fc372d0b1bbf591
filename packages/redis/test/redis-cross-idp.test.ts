// A multi-IdP SP on a real redis-server: a correctly signed answer from IdP B naming a request
// pending at IdP A is refused and leaves it in Redis (the conditional take's Lua script), so A's
// genuine answer still completes (SAML profiles §4.1.4.2, §4.4.4.2).
import { createIdpRegistry, createServiceProvider, type ServiceProvider } from '@samlkit/core';
import { RedisStore } from '@samlkit/redis';
import { createTestIdp, type TestIdp } from '@samlkit/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  hasRedisServer,
  type RedisServer,
  skipLoudly,
  startRedis,
} from '../../../test/support/redis.js';
import {
  BASE,
  deliverLogin,
  deliveryRequest,
  errorCode,
  keys,
  req,
  sessionCookie,
  spConfig,
  startLogin,
} from '../../core/test/sp/support.js';

const skip = !hasRedisServer() && skipLoudly('cross-IdP answers on Redis', 'redis-server');

describe.skipIf(skip)('a pending request sent to IdP A, answered by IdP B, on Redis', () => {
  let server: RedisServer;
  let store: RedisStore;
  let a: TestIdp;
  let b: TestIdp;
  let sp: ServiceProvider;

  beforeAll(async () => {
    server = await startRedis({ ignoreEnv: true });
    store = new RedisStore({ url: server.url, keyPrefix: `cross:${crypto.randomUUID()}:` });
    a = await createTestIdp({ entityId: 'https://idp-a.test', baseUrl: 'https://idp-a.test' });
    b = await createTestIdp({ entityId: 'https://idp-b.test', baseUrl: 'https://idp-b.test' });
    const { spKeys } = await keys();
    sp = createServiceProvider({
      sp: spConfig(spKeys),
      idps: createIdpRegistry([
        { entityId: a.entityId, idp: a.config, keys: ['a'] },
        { entityId: b.entityId, idp: b.config, keys: ['b'] },
      ]),
      store,
      baseUrl: BASE,
      logger: { warn() {}, error() {} },
    });
  });
  afterAll(async () => {
    await store?.close();
    await server?.stop();
  });

  test('login: B’s signed Response is refused, A’s completes; logout: likewise', async () => {
    const login = await startLogin(sp, a, '?idp=a&returnTo=%2Fpage');
    const fromB = await b.answerLogin(login.request, login.relayState);
    const refused = await deliverLogin(sp, fromB, login.browserCookie);
    expect(await errorCode(refused)).toBe('IN_RESPONSE_TO_MISMATCH');
    const done = await deliverLogin(
      sp,
      await a.answerLogin(login.request, login.relayState),
      login.browserCookie,
    );
    expect(done.headers.get('location'), await done.clone().text()).toBe('/page');
    const cookie = sessionCookie(done)!;

    const out = await sp.logout(req('/saml/logout?returnTo=/later', { cookie }));
    const { request, relayState } = await a.readLogoutRequest(out.headers.get('location')!);
    const spSloUrl = `${BASE}/saml/slo`;
    const logoutFromB = await sp.slo(
      deliveryRequest(await b.answerLogout(request, relayState, { spSloUrl })),
    );
    expect(await errorCode(logoutFromB)).toBe('IN_RESPONSE_TO_MISMATCH');
    const logoutDone = await sp.slo(
      deliveryRequest(await a.answerLogout(request, relayState, { spSloUrl })),
    );
    expect(logoutDone.headers.get('location')).toBe('/later');
  });
});
