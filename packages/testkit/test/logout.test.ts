import {
  type IncomingSamlMessage,
  MemoryStore,
  validateLogoutRequest,
  validateLogoutResponse,
} from '@samlkit/core';
import {
  buildLogoutRequest,
  buildLogoutResponse,
  generateTestKeys,
  type TestHttpRequest,
  type TestKeys,
} from '@samlkit/testkit';
import { beforeAll, describe, expect, it } from 'vitest';

const IDP = 'https://idp.test/saml';
const SLO = 'https://app.test/saml/slo';
const NOW = Date.UTC(2031, 0, 2, 3, 4, 5);
let idp: TestKeys;
let sp: TestKeys;

beforeAll(async () => {
  [idp, sp] = await Promise.all([generateTestKeys(), generateTestKeys({ subject: 'sp' })]);
});

/** What an SLO endpoint would build from the HTTP request alone. */
function fromHttp(http: TestHttpRequest): IncomingSamlMessage {
  if (http.method === 'GET') return { binding: 'redirect', query: http.url };
  if (http.contentType?.startsWith('text/xml')) return { binding: 'soap', body: http.body! };
  const form = Object.fromEntries(new URLSearchParams(http.body));
  return { binding: form.Signature ? 'simpleSign' : 'post', form };
}

const options = {
  sp: {
    singleLogoutServices: [{ binding: 'redirect' as const, location: SLO }],
    decryptionKeys: [] as { privateKey: TestKeys['privateKey']; certificate: string }[],
  },
  now: NOW,
};

describe('buildLogoutRequest / buildLogoutResponse', () => {
  for (const binding of ['redirect', 'post', 'simpleSign', 'soap'] as const) {
    it(`deliver messages the SP validates on ${binding}, from the HTTP request alone`, async () => {
      const req = await buildLogoutRequest({
        idpEntityId: IDP,
        spSloUrl: SLO,
        nameId: { value: 'alice', format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent' },
        sessionIndexes: ['_s1'],
        binding,
        signingKey: idp,
        relayState: 'rs 1',
        now: NOW,
        encryptTo: sp.publicKey,
      });
      const idpConfig = { entityId: IDP, signingKeys: [idp.publicKey] };
      const sp2 = {
        ...options.sp,
        decryptionKeys: [{ privateKey: sp.privateKey, certificate: sp.certificatePem }],
      };
      for (const incoming of [req.incoming, fromHttp(req.http)]) {
        const got = await validateLogoutRequest(incoming, {
          ...options,
          sp: sp2,
          idp: idpConfig,
          replayCache: new MemoryStore(),
        });
        expect(got).toMatchObject({
          id: req.id,
          binding,
          encryptedId: true,
          nameId: { value: 'alice' },
          sessionIndexes: ['_s1'],
        });
        expect(got.relayState).toBe(binding === 'soap' ? undefined : 'rs 1');
      }
      const res = await buildLogoutResponse({
        idpEntityId: IDP,
        spSloUrl: SLO,
        inResponseTo: '_sp-req',
        binding,
        signingKey: idp,
        status: { code: 'Success', subCode: 'PartialLogout' },
        now: NOW,
      });
      const answer = await validateLogoutResponse(fromHttp(res.http), {
        ...options,
        idp: idpConfig,
        inResponseTo: '_sp-req',
      });
      expect(answer.status.partial).toBe(true);
    });
  }

  it('builds unsigned and misaddressed variants for refusal tests', async () => {
    const unsigned = await buildLogoutRequest({
      idpEntityId: IDP,
      spSloUrl: SLO,
      nameId: { value: 'a' },
      binding: 'post',
      now: NOW,
    });
    const idpConfig = { entityId: IDP, signingKeys: [idp.publicKey] };
    await expect(
      validateLogoutRequest(unsigned.incoming, { ...options, idp: idpConfig }),
    ).rejects.toMatchObject({ code: 'SIGNATURE_MISSING' });
    const elsewhere = await buildLogoutRequest({
      idpEntityId: IDP,
      spSloUrl: SLO,
      nameId: { value: 'a' },
      binding: 'redirect',
      signingKey: idp,
      now: NOW,
      destination: 'https://other.test/slo',
    });
    await expect(
      validateLogoutRequest(elsewhere.incoming, { ...options, idp: idpConfig }),
    ).rejects.toMatchObject({ code: 'DESTINATION_MISMATCH' });
  });
});
