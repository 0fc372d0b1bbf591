// Tenants on a two-node cluster sharing one real Redis: each node has its own memory (its own
// IdP cache and tenant cache) and its own connection; every login, pending request and
// invalidation goes through Redis. IdPs are added, changed and removed on one node while the
// other keeps serving, with a cache TTL far longer than the test.
import {
  createIdpResolver,
  createTenantServiceProviders,
  type IdpDefinition,
  type IdpResolver,
  type TenantServiceProviders,
} from '@samlkit/core';
import { RedisStore } from '@samlkit/redis';
import { createTestIdp, generateTestKeys, type TestIdp } from '@samlkit/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  hasRedisServer,
  type RedisServer,
  skipLoudly,
  startRedis,
} from '../../../test/support/redis.js';

const skip = !hasRedisServer() && skipLoudly('tenants on a Redis cluster', 'redis-server');
const BASE = 'https://app.test';
const HOUR = 3_600_000;

interface Node {
  readonly saml: TenantServiceProviders;
  readonly idps: IdpResolver;
  readonly store: RedisStore;
}

describe.skipIf(skip)('tenants on two nodes sharing Redis', () => {
  let server: RedisServer;
  let idpA: TestIdp;
  let idpB: TestIdp;
  const nodes: Node[] = [];
  /** The application's database: tenant → entity ID → IdP. */
  const db = new Map<string, Map<string, IdpDefinition>>();

  async function node(prefix: string): Promise<Node> {
    const { privateKey, certificatePem } = await generateTestKeys({ subject: 'tenant sp' });
    const store = new RedisStore({
      url: server.url,
      keyPrefix: prefix,
      commandTimeoutMs: 10_000,
      onConnectionError: () => {},
    });
    // A TTL far beyond the test: only the invalidation marks in Redis can refresh another node.
    const idps = createIdpResolver({
      store,
      ttlMs: HOUR,
      resolve: async ({ tenant, entityId, idp }) => {
        const table = db.get(tenant ?? '');
        const key = entityId ?? idp;
        return key !== undefined ? table?.get(key) : table?.values().next().value;
      },
    });
    const saml = createTenantServiceProviders({
      baseUrl: BASE,
      store,
      idps,
      sp: { signingKeys: [{ privateKey, certificate: certificatePem }] },
      tenants: (id) => (db.has(id) ? { id } : undefined),
      cacheTtlMs: HOUR,
      logger: { warn() {}, error() {} },
    });
    const n = { saml, idps, store };
    nodes.push(n);
    return n;
  }

  /** Two nodes sharing `prefix`, and the tenants (id → the IdP it trusts) in the database. */
  async function cluster(prefix: string, tenants: Record<string, TestIdp>): Promise<[Node, Node]> {
    const pair: [Node, Node] = [await node(prefix), await node(prefix)];
    for (const [id, idp] of Object.entries(tenants)) {
      db.set(id, new Map([[idp.entityId, { idp: idp.config }]]));
    }
    return pair;
  }

  beforeAll(async () => {
    server = await startRedis({ ignoreEnv: true });
    idpA = await createTestIdp({ entityId: 'https://idp-a.redis.test' });
    idpB = await createTestIdp({ entityId: 'https://idp-b.redis.test' });
  });

  afterAll(async () => {
    for (const n of nodes) await n.store.close();
    await server?.stop();
  });

  async function send(n: Node, request: Request): Promise<Response> {
    const res = await n.saml.handle(request);
    if (!res) throw new Error(`no endpoint for ${request.url}`);
    return res;
  }

  /** Starts a login at tenant `t` on `n`; the login cookie and the IdP's answer (POST form body). */
  async function begin(n: Node, t: string, idp: TestIdp) {
    const start = await send(n, new Request(`${BASE}/t/${t}/saml/login`));
    if (start.status !== 303) return { start };
    const cookie = start.headers
      .getSetCookie()
      .find((c) => c.startsWith(`__Host-samlkit_${t}_login=`))!
      .split(';')[0]!;
    const { request, relayState } = await idp.readAuthnRequest(start.headers.get('location')!);
    const delivery = await idp.answerLogin(request, relayState, { nameId: 'ann' });
    if (delivery.binding !== 'post') throw new Error('expected a POST delivery');
    return { start, cookie, body: delivery.form.toString() };
  }

  /** The IdP's POST of `body` to tenant `t`'s ACS. */
  function acsPost(t: string, body: string): Request {
    return new Request(`${BASE}/t/${t}/saml/acs`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  }

  /** Starts a login at tenant `t` on `first`, delivers the Response to `second`, finishes on `first`. */
  async function login(first: Node, second: Node, t: string, idp: TestIdp, acsTenant = t) {
    const { start, cookie, body } = await begin(first, t, idp);
    if (body === undefined) return start;
    const acs = await send(second, acsPost(acsTenant, body));
    if (acs.status !== 303) return acs;
    return send(
      first,
      new Request(`${BASE}${acs.headers.get('location')}`, { headers: { cookie } }),
    );
  }

  test('logins cross nodes; IdPs added, changed and removed on one node reach the other at once', async () => {
    const [n1, n2] = await cluster('tenants1:', { a: idpA, b: idpB });

    // Started on node 1, answered on node 2, finished on node 1.
    expect((await login(n1, n2, 'a', idpA)).status).toBe(303);
    expect((await login(n2, n1, 'b', idpB)).status).toBe(303);

    // Node 2 has IdP B cached (for an hour). The admin removes it through node 1.
    db.get('b')!.delete(idpB.entityId);
    await n1.idps.invalidate({ tenant: 'b' });
    const removed = await send(n2, new Request(`${BASE}/t/b/saml/login`));
    expect(removed.status).toBe(400);
    expect(await removed.text()).toContain('IDP_UNKNOWN');
    // Tenant a is untouched on both nodes.
    expect((await login(n2, n1, 'a', idpA)).status).toBe(303);

    // The admin configures IdP B again, now with a rolled certificate, through node 1.
    const rolled = await createTestIdp({
      entityId: idpB.entityId,
      keys: await generateTestKeys({ subject: 'idp b rolled' }),
    });
    db.get('b')!.set(idpB.entityId, { idp: rolled.config });
    await n1.idps.invalidate({ tenant: 'b', entityId: idpB.entityId });
    expect((await login(n2, n2, 'b', rolled)).status).toBe(303);
    // The old key no longer verifies on either node.
    const old = await login(n1, n2, 'b', idpB);
    expect(old.status).toBe(403);
  });

  test('a Response for tenant a delivered to tenant b on the other node is refused; a’s login stays intact', async () => {
    const [n1, n2] = await cluster('tenants2:', { a: idpA, b: idpA });
    const { body } = await begin(n1, 'a', idpA);
    const post = (tenant: string) => acsPost(tenant, body!);
    expect((await send(n2, post('b'))).status).toBe(403);
    const ok = await send(n2, post('a'));
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toMatch(/^\/t\/a\/saml\/acs\?finish=/);
  });
});
