import {
  createLogoutRequest,
  createLogoutResponse,
  type LogoutValidationOptions,
  parseLogoutRequest,
  parseLogoutResponse,
  validateLogoutRequest,
  validateLogoutResponse,
} from '@samlkit/core';
import { generateTestKeys, type TestKeys } from '@samlkit/testkit';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALL_BINDINGS, deliver, expectCode, IDP, IDP_SLO, NOW, SLO, SP } from './support.js';

let idp: TestKeys;
let ecIdp: TestKeys;

beforeAll(async () => {
  [idp, ecIdp] = await Promise.all([
    generateTestKeys({ subject: 'idp' }),
    generateTestKeys({ subject: 'idp-ec', alg: 'p256' }),
  ]);
});

function options(extra: Partial<LogoutValidationOptions> = {}): LogoutValidationOptions {
  return {
    sp: { singleLogoutServices: [{ binding: 'redirect', location: SLO }] },
    idp: { entityId: IDP, signingKeys: [idp.publicKey, ecIdp.publicKey] },
    now: NOW,
    ...extra,
  };
}

// Text that survives XML: printable, no outer whitespace (values are read back trimmed).
const text = fc
  .string({
    unit: fc.constantFrom(...'abcXYZ019 @._-:/<>&"\'é€'.split('')),
    minLength: 1,
    maxLength: 24,
  })
  .map((s) => s.trim())
  .filter((s) => s.length > 0);
const uri = fc.constantFrom(
  'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
);
const nameIdArb = fc.record(
  { value: text, format: uri, nameQualifier: text, spNameQualifier: text, spProvidedId: text },
  { requiredKeys: ['value'] },
);
const sessionIndexes = fc.array(fc.stringMatching(/^_[a-f0-9]{4,40}$/), { maxLength: 3 });
const relay = fc.option(fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/), { nil: undefined });
const bindingArb = fc.constantFrom(...ALL_BINDINGS);
const runs = { numRuns: 24 };

describe('LogoutRequest round trip', () => {
  it('create → parse gives back the same data', async () => {
    await fc.assert(
      fc.asyncProperty(
        nameIdArb,
        sessionIndexes,
        fc.option(text, { nil: undefined }),
        async (nameId, si, reason) => {
          const created = await createLogoutRequest({
            issuer: IDP,
            destination: SLO,
            nameId,
            sessionIndexes: si,
            now: NOW,
            notOnOrAfter: NOW + 60_000,
            ...(reason !== undefined ? { reason } : {}),
          });
          expect(parseLogoutRequest(created.xml)).toEqual({ ...created.request });
          expect(created.request.nameId).toEqual(nameId);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('signed, on every binding, validates to what was built', async () => {
    await fc.assert(
      fc.asyncProperty(
        bindingArb,
        fc.boolean(),
        nameIdArb,
        sessionIndexes,
        relay,
        async (binding, ec, nameId, si, relayState) => {
          const created = await createLogoutRequest({
            issuer: IDP,
            destination: SLO,
            nameId,
            sessionIndexes: si,
            now: NOW - 1000,
            notOnOrAfter: NOW + 60_000,
          });
          const key = (ec ? ecIdp : idp).privateKey;
          const input = await deliver(binding, 'SAMLRequest', created.xml, key, relayState);
          const result = await validateLogoutRequest(input, options());
          expect(result.binding).toBe(binding);
          expect(result.id).toBe(created.id);
          expect(result.issuer).toBe(IDP);
          expect(result.nameId).toEqual(nameId);
          expect(result.sessionIndexes).toEqual(si);
          expect(result.notOnOrAfter).toBe(NOW + 60_000);
          expect(result.signature?.method).toBe(
            binding === 'redirect' ? 'query' : binding === 'simpleSign' ? 'simpleSign' : 'xml',
          );
          expect(result.relayState).toBe(binding === 'soap' ? undefined : relayState);
        },
      ),
      runs,
    );
  });

  it('unsigned is refused on every binding, and accepted on Redirect only with allowUnsignedLogout', async () => {
    await fc.assert(
      fc.asyncProperty(bindingArb, nameIdArb, sessionIndexes, async (binding, nameId, si) => {
        const created = await createLogoutRequest({
          issuer: IDP,
          destination: SLO,
          nameId,
          sessionIndexes: si,
          now: NOW,
        });
        const input = await deliver(binding, 'SAMLRequest', created.xml, undefined);
        await expectCode(validateLogoutRequest(input, options()), 'SIGNATURE_MISSING');
        const relaxed = validateLogoutRequest(input, { ...options(), allowUnsignedLogout: true });
        if (binding === 'redirect') {
          const result = await relaxed;
          expect(result.signature).toBeUndefined();
          expect(result.nameId).toEqual(nameId);
        } else {
          await expectCode(relaxed, 'SIGNATURE_MISSING');
        }
      }),
      runs,
    );
  });
});

const statusArb = fc.record(
  {
    code: fc.constantFrom('Success', 'Requester', 'Responder'),
    subCode: fc.constantFrom('PartialLogout', 'UnknownPrincipal', 'RequestDenied'),
    message: text,
  },
  { requiredKeys: [] },
);

describe('LogoutResponse round trip', () => {
  it('create → parse gives back the same data', () => {
    fc.assert(
      fc.property(statusArb, fc.stringMatching(/^_[a-f0-9]{8,40}$/), (status, irt) => {
        const created = createLogoutResponse({
          issuer: IDP,
          destination: SLO,
          inResponseTo: irt,
          status,
          now: NOW,
        });
        const parsed = parseLogoutResponse(created.xml);
        expect(parsed).toEqual(created.response);
        expect(parsed.status.success).toBe((status.code ?? 'Success') === 'Success');
        expect(parsed.status.partial).toBe(status.subCode === 'PartialLogout');
        if (status.message !== undefined) expect(parsed.status.message).toBe(status.message);
      }),
      { numRuns: 200 },
    );
  });

  it('signed, on every binding, validates with InResponseTo and status intact', async () => {
    await fc.assert(
      fc.asyncProperty(bindingArb, statusArb, relay, async (binding, status, relayState) => {
        const created = createLogoutResponse({
          issuer: IDP,
          destination: SLO,
          inResponseTo: '_req-1',
          status,
          now: NOW,
        });
        const input = await deliver(
          binding,
          'SAMLResponse',
          created.xml,
          idp.privateKey,
          relayState,
        );
        const result = await validateLogoutResponse(input, {
          ...options(),
          inResponseTo: '_req-1',
        });
        expect(result.binding).toBe(binding);
        expect(result.inResponseTo).toBe('_req-1');
        expect(result.status).toEqual(created.response.status);
        expect(result.relayState).toBe(binding === 'soap' ? undefined : relayState);
      }),
      runs,
    );
  });

  it('unsigned is refused unless allowed, and then only on Redirect', async () => {
    await fc.assert(
      fc.asyncProperty(bindingArb, statusArb, async (binding, status) => {
        const created = createLogoutResponse({
          issuer: IDP,
          destination: SLO,
          inResponseTo: '_req-1',
          status,
          now: NOW,
        });
        const input = await deliver(binding, 'SAMLResponse', created.xml, undefined);
        const opts = { ...options(), inResponseTo: '_req-1' };
        await expectCode(validateLogoutResponse(input, opts), 'SIGNATURE_MISSING');
        const relaxed = validateLogoutResponse(input, { ...opts, allowUnsignedLogout: true });
        if (binding === 'redirect') expect((await relaxed).signature).toBeUndefined();
        else await expectCode(relaxed, 'SIGNATURE_MISSING');
      }),
      runs,
    );
  });
});

describe('responses to the IdP', () => {
  it('a LogoutResponse the SP builds for the IdP carries the request ID back', () => {
    const { xml, response } = createLogoutResponse({
      issuer: SP,
      destination: IDP_SLO,
      inResponseTo: '_idp-req',
      now: NOW,
    });
    expect(response.status.success).toBe(true);
    expect(parseLogoutResponse(xml).inResponseTo).toBe('_idp-req');
  });
});

describe('logout builders refuse what XML cannot carry', () => {
  // XML 1.0 §2.2 Char: a C0 control, U+FFFE or a lone surrogate cannot appear even escaped.
  const forbidden = ['a\u0001b', 'a\ufffeb', 'a\ud800b', 'a\udc00b'];

  it('createLogoutRequest refuses it in the NameID', async () => {
    for (const value of forbidden) {
      await expect(
        (async () =>
          createLogoutRequest({ issuer: IDP, destination: SLO, nameId: { value }, now: NOW }))(),
      ).rejects.toThrow(/character XML cannot carry/);
    }
  });

  it('createLogoutResponse refuses it in the status message', () => {
    for (const message of forbidden) {
      expect(() =>
        createLogoutResponse({
          issuer: IDP,
          destination: SLO,
          inResponseTo: '_abcdef12',
          status: { code: 'Requester', message },
          now: NOW,
        }),
      ).toThrow(/character XML cannot carry/);
    }
  });
});
