import { MemoryStore, SamlError, type SamlStore } from '@samlkit/core';
import { createSamlHandlers } from '@samlkit/fetch';
import { createTestIdp, generateTestKeys } from '@samlkit/testkit';
import { beforeAll, describe, expect, it } from 'vitest';

const BASE = 'https://app.test';
let options: Parameters<typeof createSamlHandlers>[0];

beforeAll(async () => {
  const idp = await createTestIdp();
  const keys = await generateTestKeys({ subject: 'fetch sp' });
  options = {
    sp: {
      entityId: `${BASE}/saml/metadata`,
      assertionConsumerServices: [{ binding: 'post', location: `${BASE}/saml/acs` }],
      singleLogoutServices: [{ binding: 'redirect', location: `${BASE}/saml/slo` }],
      signingKeys: [{ privateKey: keys.privateKey, certificate: keys.certificatePem }],
    },
    idps: idp.config,
    logger: { warn() {}, error() {} },
  };
});

describe('createSamlHandlers', () => {
  it('routes the SAML paths and answers 404 for others', async () => {
    const saml = createSamlHandlers(options);
    const meta = await saml.fetch(new Request(`${BASE}/saml/metadata`));
    expect(meta.status).toBe(200);
    const login = await saml.fetch(new Request(`${BASE}/saml/login`));
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toMatch(/^https:\/\/idp\.test\/sso\?SAMLRequest=/);
    const other = await saml.fetch(new Request(`${BASE}/saml/other`));
    expect(other.status).toBe(404);
  });

  it('protect() passes extra arguments through and runs the handler only with a session', async () => {
    const saml = createSamlHandlers(options);
    let ran = false;
    const handler = saml.protect(async (_req, _session, ctx: { params: string }) => {
      ran = ctx.params === 'p';
      return new Response('ok');
    });
    const res = await handler(new Request(`${BASE}/private`), { params: 'p' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/saml/login?returnTo=%2Fprivate');
    expect(ran).toBe(false);
  });

  it('answers 503 with STORE_UNAVAILABLE when the store is down', async () => {
    const down = new MemoryStore();
    const failing: SamlStore = Object.assign(Object.create(down) as SamlStore, {
      getSession: async () => {
        throw new SamlError('STORE_UNAVAILABLE', 'down', { expected: 'a store', found: 'none' });
      },
    });
    const saml = createSamlHandlers({ ...options, store: failing });
    const res = await saml.protect(async () => new Response('ok'))(
      new Request(`${BASE}/private`, {
        headers: {
          cookie: '__Host-samlkit_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
          accept: 'application/json',
        },
      }),
    );
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      'STORE_UNAVAILABLE',
    );
  });
});
