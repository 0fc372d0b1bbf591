// Express-specific behaviour besides the conformance suite: loadSession, store outages, and
// requests that are not SAML endpoints passing through untouched.
import type { AddressInfo } from 'node:net';
import {
  createSessionId,
  MemoryStore,
  SamlError,
  type SamlStore,
  type ServiceProviderOptions,
} from '@samlkit/core';
import { createSamlExpress } from '@samlkit/express';
import { createTestIdp, generateTestKeys } from '@samlkit/testkit';
import express from 'express';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const BASE = 'https://app.test';
let options: ServiceProviderOptions;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const idp = await createTestIdp();
  const keys = await generateTestKeys({ subject: 'express sp' });
  options = {
    sp: {
      entityId: `${BASE}/saml/metadata`,
      assertionConsumerServices: [{ binding: 'post', location: `${BASE}/saml/acs` }],
      signingKeys: [{ privateKey: keys.privateKey, certificate: keys.certificatePem }],
    },
    idps: idp.config,
    baseUrl: BASE,
    logger: { warn() {}, error() {} },
  };
});

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

async function serve(app: express.Express): Promise<string> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  stops.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('@samlkit/express', () => {
  it('loadSession sets req.samlSession only for a signed-in request', async () => {
    const store = new MemoryStore();
    const id = createSessionId();
    const now = Date.now();
    await store.putSession({
      id,
      issuer: 'https://idp.test/metadata',
      nameId: 'alice@example.com',
      attributes: {},
      createdAt: now,
      expiresAt: now + 60_000,
    });
    const saml = createSamlExpress({ ...options, store });
    const app = express();
    app.get('/', saml.loadSession(), (req, res) => {
      res.json({ user: req.samlSession?.nameId ?? null });
    });
    const url = await serve(app);
    const me = await fetch(url, { headers: { cookie: `__Host-samlkit_session=${id}` } });
    expect(await me.json()).toEqual({ user: 'alice@example.com' });
    expect(await (await fetch(url)).json()).toEqual({ user: null });
  });

  it('answers 503 STORE_UNAVAILABLE when the store is down; the route never runs', async () => {
    const failing: SamlStore = Object.assign(Object.create(new MemoryStore()) as SamlStore, {
      getSession: async () => {
        throw new SamlError('STORE_UNAVAILABLE', 'down', { expected: 'a store', found: 'none' });
      },
    });
    const saml = createSamlExpress({ ...options, store: failing });
    const app = express();
    let ran = 0;
    app.get('/load', saml.loadSession(), (_req, res) => {
      ran++;
      res.send('ran');
    });
    app.get('/require', saml.requireSession(), (_req, res) => {
      ran++;
      res.send('ran');
    });
    const url = await serve(app);
    const cookie = `__Host-samlkit_session=${createSessionId()}`;
    for (const path of ['/load', '/require']) {
      const res = await fetch(`${url}${path}`, {
        headers: { cookie, accept: 'application/json' },
      });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
        'STORE_UNAVAILABLE',
      );
    }
    expect(ran).toBe(0);
  });

  it('passes other requests on without reading their bodies', async () => {
    const saml = createSamlExpress(options);
    const app = express();
    app.use(saml.routes);
    app.post('/saml/other', express.text({ type: '*/*' }), (req, res) => {
      res.send(`got ${String(req.body)}`);
    });
    const url = await serve(app);
    const res = await fetch(`${url}/saml/other`, { method: 'POST', body: 'hello' });
    expect(await res.text()).toBe('got hello');
  });
  it('serves the DiscoFeed to another origin (CORS) and answers its preflight', async () => {
    const saml = createSamlExpress({
      ...options,
      store: new MemoryStore(),
      discovery: {
        idps: [{ entityId: 'https://idp.test/metadata', displayNames: [{ value: 'Test IdP' }] }],
        feedCors: ['https://cdn.ds.example'],
      },
    });
    const app = express();
    app.use(saml.routes);
    const url = await serve(app);
    const origin = { origin: 'https://cdn.ds.example' };
    const res = await fetch(`${url}/saml/discofeed`, { headers: origin });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://cdn.ds.example');
    expect(res.headers.get('vary')).toBe('Origin');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect(((await res.json()) as { entityID: string }[])[0]!.entityID).toBe(
      'https://idp.test/metadata',
    );
    const preflight = await fetch(`${url}/saml/discofeed`, {
      method: 'OPTIONS',
      headers: { ...origin, 'access-control-request-method': 'GET' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET, HEAD');
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://cdn.ds.example');
    const other = await fetch(`${url}/saml/discofeed`, {
      headers: { origin: 'https://evil.example' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
