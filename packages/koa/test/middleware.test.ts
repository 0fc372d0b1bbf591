// Koa-specific behaviour besides the conformance suite: loadSession, store outages, and answers
// written through Koa's response so upstream middleware sees them.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createSessionId,
  MemoryStore,
  SamlError,
  type SamlStore,
  type ServiceProviderOptions,
} from '@samlkit/core';
import { createSamlKoa } from '@samlkit/koa';
import { createTestIdp, generateTestKeys } from '@samlkit/testkit';
import Koa from 'koa';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const BASE = 'https://app.test';
let options: ServiceProviderOptions;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const idp = await createTestIdp();
  const keys = await generateTestKeys({ subject: 'koa sp' });
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

async function serve(app: Koa): Promise<string> {
  const server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stops.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function signedInStore(): Promise<{ store: MemoryStore; cookie: string }> {
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
  return { store, cookie: `__Host-samlkit_session=${id}` };
}

describe('@samlkit/koa', () => {
  it('loadSession sets ctx.state.samlSession only for a signed-in request', async () => {
    const { store, cookie } = await signedInStore();
    const saml = createSamlKoa({ ...options, store });
    const app = new Koa();
    app.use(saml.loadSession());
    app.use((ctx) => {
      ctx.body = { user: ctx.state.samlSession?.nameId ?? null };
    });
    const url = await serve(app);
    expect(await (await fetch(url, { headers: { cookie } })).json()).toEqual({
      user: 'alice@example.com',
    });
    expect(await (await fetch(url)).json()).toEqual({ user: null });
  });

  it('answers 503 STORE_UNAVAILABLE when the store is down, without throwing into the app', async () => {
    const failing: SamlStore = Object.assign(Object.create(new MemoryStore()) as SamlStore, {
      getSession: async () => {
        throw new SamlError('STORE_UNAVAILABLE', 'down', { expected: 'a store', found: 'none' });
      },
    });
    const saml = createSamlKoa({ ...options, store: failing });
    const app = new Koa();
    app.silent = true;
    const errors: unknown[] = [];
    app.on('error', (err) => errors.push(err));
    app.use(saml.loadSession());
    app.use((ctx) => {
      ctx.body = 'should not run';
    });
    const url = await serve(app);
    const cookie = `__Host-samlkit_session=${createSessionId()}`;
    for (const path of ['/', '/protected']) {
      const res = await fetch(`${url}${path}`, {
        headers: { cookie, accept: 'application/json' },
      });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
        'STORE_UNAVAILABLE',
      );
    }
    expect(errors).toEqual([]);
  });

  it('writes through Koa, so upstream middleware sees the status and headers', async () => {
    const saml = createSamlKoa(options);
    const app = new Koa();
    const seen: string[] = [];
    app.use(async (ctx, next) => {
      await next();
      const h = ctx.response;
      seen.push(`${ctx.status} ${h.get('location').slice(0, 21)} ${h.get('cache-control')}`);
    });
    app.use(saml.middleware);
    const url = await serve(app);
    const res = await fetch(`${url}/saml/login`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(seen).toEqual(['303 https://idp.test/sso? no-store']);
  });
});
