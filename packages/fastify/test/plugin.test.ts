// What the Fastify plugin adds besides the conformance suite: its form and SOAP parsers stay in
// its own context, it respects encapsulation, and its decorators are typed.
import type { ServiceProviderOptions } from '@samlkit/core';
import { samlkit } from '@samlkit/fastify';
import { createTestIdp, generateTestKeys } from '@samlkit/testkit';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const BASE = 'https://app.test';
let options: ServiceProviderOptions;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  const idp = await createTestIdp();
  const keys = await generateTestKeys({ subject: 'fastify sp' });
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
  for (const app of apps.splice(0)) await app.close();
});

function newApp(): FastifyInstance {
  const app = Fastify();
  apps.push(app);
  return app;
}

describe('@samlkit/fastify plugin', () => {
  it('is named and decorates the instance it is registered in', async () => {
    const app = newApp();
    await app.register(samlkit, options);
    await app.ready();
    expect(app.hasPlugin('@samlkit/fastify')).toBe(true);
    expect(app.hasDecorator('saml')).toBe(true);
    expect(app.hasRequestDecorator('samlSession')).toBe(true);
    expect(app.saml.provider.paths.acs).toBe('/saml/acs');
  });

  it('leaves the body limit to samlkit: an over-limit body is its 400 XML_TOO_LARGE, not a bare 413', async () => {
    const app = newApp();
    await app.register(samlkit, options);
    app.post('/app/echo', async () => 'ok');
    const res = await app.inject({
      method: 'POST',
      url: '/saml/acs',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      payload: `SAMLResponse=${'A'.repeat(2 * 1024 * 1024 + 1)}`,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'XML_TOO_LARGE' } });
    // The application's own routes keep Fastify's handling.
    const own = await app.inject({
      method: 'POST',
      url: '/app/echo',
      headers: { 'content-type': 'application/json' },
      payload: `"${'A'.repeat(2 * 1024 * 1024)}"`,
    });
    expect(own.statusCode).toBe(413);
  });

  it('keeps its form parser to its own routes', async () => {
    const app = newApp();
    await app.register(samlkit, options);
    app.post('/app/form', async (request) => ({ body: request.body }));
    const own = await app.inject({
      method: 'POST',
      url: '/saml/acs',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      payload: 'SAMLResponse=%25%25%25',
    });
    expect(own.statusCode).toBe(400);
    expect(own.json()).toMatchObject({ error: { code: 'BASE64_INVALID' } });
    const other = await app.inject({
      method: 'POST',
      url: '/app/form',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'a=1',
    });
    expect(other.statusCode).toBe(415); // Fastify's default: the application registered no parser
  });

  it('coexists with an application that has its own form parser', async () => {
    const app = newApp();
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    await app.register(samlkit, options);
    app.post('/app/form', async (request) => ({ body: request.body }));
    const other = await app.inject({
      method: 'POST',
      url: '/app/form',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'a=1',
    });
    expect(other.json()).toEqual({ body: { a: '1' } });
    const own = await app.inject({
      method: 'POST',
      url: '/saml/acs',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      payload: 'SAMLResponse=%25%25%25',
    });
    expect(own.json()).toMatchObject({ error: { code: 'BASE64_INVALID' } });
  });

  it('hands a body of another type (JSON) to samlkit, which answers with its own error', async () => {
    const app = newApp();
    await app.register(samlkit, options);
    const res = await app.inject({
      method: 'POST',
      url: '/saml/acs',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      payload: '{"SAMLResponse":"x"}',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'BINDING_INVALID' } });
  });

  it('respects encapsulation: registered in a child context, invisible to its parent', async () => {
    const app = newApp();
    await app.register(async (child) => {
      await child.register(samlkit, options);
      child.get('/inside', { preHandler: child.saml.loadSession() }, async (request) => ({
        signedIn: request.samlSession !== null,
      }));
    });
    await app.ready();
    expect(app.hasDecorator('saml')).toBe(false);
    const inside = await app.inject({ method: 'GET', url: '/inside' });
    expect(inside.json()).toEqual({ signedIn: false });
    const meta = await app.inject({ method: 'GET', url: '/saml/metadata' });
    expect(meta.statusCode).toBe(200);
  });

  it('requireSession answers 401 JSON to API clients and redirects browsers with returnTo', async () => {
    const app = newApp();
    await app.register(samlkit, options);
    app.get('/api/me', { preHandler: app.saml.requireSession() }, async (request) => ({
      user: request.samlSession?.nameId,
    }));
    const api = await app.inject({
      method: 'GET',
      url: '/api/me',
      headers: { accept: 'application/json' },
    });
    expect(api.statusCode).toBe(401);
    const browser = await app.inject({ method: 'GET', url: '/api/me?x=1' });
    expect(browser.statusCode).toBe(303);
    expect(browser.headers.location).toBe('/saml/login?returnTo=%2Fapi%2Fme%3Fx%3D1');
  });
});
