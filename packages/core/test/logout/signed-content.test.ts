import {
  createLogoutResponse,
  MemoryStore,
  type PendingRequest,
  takePendingLogout,
  validateLogoutRequest,
  validateLogoutResponse,
} from '@samlkit/core';
import { buildLogoutRequest, generateTestKeys, type TestKeys } from '@samlkit/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { deliver, expectCode, IDP, NOW, SLO } from './support.js';

// Logout messages: only signed content decides, nothing one-time is consumed before the
// signature checks, and lookups keyed by message values are own-property only.

let idp: TestKeys;
let attacker: TestKeys;
beforeAll(async () => {
  [idp, attacker] = await Promise.all([
    generateTestKeys({ subject: 'idp' }),
    generateTestKeys({ subject: 'attacker' }),
  ]);
});

const common = {
  sp: { singleLogoutServices: [{ binding: 'redirect' as const, location: SLO }] },
  idp: { entityId: IDP, signingKeys: [] as TestKeys['publicKey'][] },
  now: NOW,
};
const opts = () => ({ ...common, idp: { entityId: IDP, signingKeys: [idp.publicKey] } });

const pending = (id: string): PendingRequest => ({
  id,
  kind: 'logout',
  createdAt: NOW,
  idpEntityId: IDP,
});

async function storeWith(id: string): Promise<MemoryStore> {
  const store = new MemoryStore({ now: () => NOW });
  await store.putPendingRequest(id, pending(id), NOW + 600_000);
  return store;
}

const response = (inResponseTo: string, code = 'Success') =>
  createLogoutResponse({ issuer: IDP, destination: SLO, inResponseTo, now: NOW, status: { code } })
    .xml;

describe('LogoutResponse', () => {
  it('a forged (badly signed) response naming a pending logout consumes nothing', async () => {
    const store = await storeWith('_lo-1');
    for (const binding of ['redirect', 'post'] as const) {
      const forged = await deliver(binding, 'SAMLResponse', response('_lo-1'), attacker.privateKey);
      await expect(
        validateLogoutResponse(forged, { ...opts(), inResponseTo: '_lo-1' }),
      ).rejects.toMatchObject({ code: expect.stringMatching(/^SIGNATURE_/) });
    }
    const genuine = await deliver('redirect', 'SAMLResponse', response('_lo-1'), idp.privateKey);
    const r = await validateLogoutResponse(genuine, { ...opts(), inResponseTo: '_lo-1' });
    expect((await takePendingLogout(store, r))?.id).toBe('_lo-1');
    expect(r.status.success).toBe(true);
  });

  it('an unsigned response (allowUnsignedLogout) takes no pending logout and has no signature', async () => {
    const store = await storeWith('_lo-2');
    const unsigned = await deliver('redirect', 'SAMLResponse', response('_lo-2'), undefined);
    const r = await validateLogoutResponse(unsigned, {
      ...opts(),
      inResponseTo: '_lo-2',
      allowUnsignedLogout: true,
    });
    expect(r.signature).toBeUndefined();
    expect(await takePendingLogout(store, r)).toBeUndefined();
    // The pending logout is still there for the signed answer.
    expect((await store.takePendingRequest('_lo-2'))?.id).toBe('_lo-2');
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])(
    'StatusCode %s is a plain non-success status',
    async (code) => {
      const input = await deliver('post', 'SAMLResponse', response('_lo-3', code), idp.privateKey);
      const r = await validateLogoutResponse(input, { ...opts(), inResponseTo: '_lo-3' });
      expect(r.status.success).toBe(false);
      expect(r.status.code).toBe(`urn:oasis:names:tc:SAML:2.0:status:${code}`);
    },
  );
});

describe('Redirect SigAlg and query parameters', () => {
  const NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];
  const SHORT = ['rsa-sha256', 'rsa-sha1', 'ecdsa-sha256'];

  it.each([...NAMES, ...SHORT])('SigAlg %s is SIGNATURE_ALGORITHM_UNSUPPORTED', async (alg) => {
    const d = await buildLogoutRequest({
      idpEntityId: IDP,
      spSloUrl: SLO,
      nameId: { value: 'alice' },
      binding: 'redirect',
      signingKey: idp,
      now: NOW,
    });
    const url = String((d.incoming as { query: string }).query).replace(
      /SigAlg=[^&]*/,
      `SigAlg=${encodeURIComponent(alg)}`,
    );
    await expectCode(
      validateLogoutRequest({ binding: 'redirect', query: url }, opts()),
      'SIGNATURE_ALGORITHM_UNSUPPORTED',
    );
  });

  it.each(NAMES)('a query parameter named %s is ignored like any unknown one', async (name) => {
    const d = await buildLogoutRequest({
      idpEntityId: IDP,
      spSloUrl: SLO,
      nameId: { value: 'alice' },
      binding: 'redirect',
      signingKey: idp,
      now: NOW,
    });
    const url = `${String((d.incoming as { query: string }).query)}&${name}=x`;
    const r = await validateLogoutRequest({ binding: 'redirect', query: url }, opts());
    expect(r.nameId.value).toBe('alice');
  });

  it.each(NAMES)('a POST form field named %s is ignored like any unknown one', async (name) => {
    const d = await buildLogoutRequest({
      idpEntityId: IDP,
      spSloUrl: SLO,
      nameId: { value: 'alice' },
      binding: 'post',
      signingKey: idp,
      now: NOW,
    });
    const form = Object.fromEntries([
      ...Object.entries((d.incoming as { form: Record<string, string> }).form),
      [name, 'x'],
    ]);
    const r = await validateLogoutRequest({ binding: 'post', form }, opts());
    expect(r.nameId.value).toBe('alice');
  });
});
