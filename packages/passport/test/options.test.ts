// passport-saml option names → samlkit's service-provider options, and the profile mapping.
import { isSamlError, type SamlProfile } from '@samlkit/core';
import {
  MAIL_OID,
  mapSamlOptions,
  PROFILE_FIELDS,
  SamlStrategy,
  type SamlStrategyOptions,
  toPassportProfile,
  UNSUPPORTED_OPTIONS,
} from '@samlkit/passport';
import { generateTestKeys, type TestKeys } from '@samlkit/testkit';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

let idpKeys: TestKeys;
let spKeys: TestKeys;
let base: SamlStrategyOptions;

beforeAll(async () => {
  idpKeys = await generateTestKeys({ subject: 'options idp' });
  spKeys = await generateTestKeys({ subject: 'options sp' });
  base = {
    callbackUrl: 'https://app.example.com/login/callback',
    issuer: 'https://app.example.com/metadata',
    entryPoint: 'https://idp.example.com/sso',
    idpIssuer: 'https://idp.example.com',
    idpCert: idpKeys.certificatePem,
  };
});

function configError(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    if (isSamlError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a SamlError');
}

describe('mapSamlOptions', () => {
  it('maps the core options: ACS URL, path and origin; entity IDs; IdP endpoints and keys', () => {
    const { serviceProvider: sp, login } = mapSamlOptions({
      ...base,
      logoutCallbackUrl: 'https://app.example.com/logout/callback',
      logoutUrl: 'https://idp.example.com/slo',
    });
    expect(sp.sp.entityId).toBe('https://app.example.com/metadata');
    expect(sp.sp.assertionConsumerServices).toEqual([
      { binding: 'post', location: 'https://app.example.com/login/callback' },
    ]);
    expect(sp.sp.singleLogoutServices).toEqual([
      { binding: 'redirect', location: 'https://app.example.com/logout/callback' },
    ]);
    expect(sp.baseUrl).toBe('https://app.example.com');
    expect(sp.paths).toEqual({ acs: '/login/callback', slo: '/logout/callback' });
    const idp = sp.idps as {
      entityId: string;
      singleSignOnServices: unknown;
      singleLogoutServices: unknown;
      signingKeys: unknown[];
    };
    expect(idp.entityId).toBe('https://idp.example.com');
    expect(idp.singleSignOnServices).toEqual([
      { binding: 'redirect', location: 'https://idp.example.com/sso' },
    ]);
    expect(idp.singleLogoutServices).toEqual([
      { binding: 'redirect', location: 'https://idp.example.com/slo' },
    ]);
    expect(idp.signingKeys).toHaveLength(1);
    expect(login).toEqual({});
    // Defaults stay samlkit's: InResponseTo required, no relaxation.
    expect(sp.allowUnsolicited).toBeUndefined();
    expect(sp.allowSha1).toBeUndefined();
  });

  it('defaults logoutUrl to entryPoint, as passport-saml does', () => {
    const idp = mapSamlOptions(base).serviceProvider.idps as { singleLogoutServices: unknown };
    expect(idp.singleLogoutServices).toEqual([
      { binding: 'redirect', location: 'https://idp.example.com/sso' },
    ]);
  });

  it('maps keys, algorithms, formats, clock, bindings, InResponseTo policy and signature requirements', () => {
    const { serviceProvider: sp, login } = mapSamlOptions({
      ...base,
      idpCert: [idpKeys.certificatePem, spKeys.certificatePem],
      privateKey: spKeys.privateKeyPem,
      publicCert: spKeys.certificatePem,
      decryptionPvk: spKeys.privateKeyPem,
      signatureAlgorithm: 'sha512',
      identifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      acceptedClockSkewMs: 5000,
      authnRequestBinding: 'HTTP-POST',
      validateInResponseTo: 'ifPresent',
      requestIdExpirationPeriodMs: 60_000,
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: true,
      forceAuthn: true,
      passive: true,
      authnContext: ['urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport'],
      racComparison: 'minimum',
    });
    expect(sp.sp.signingKeys).toHaveLength(1);
    expect(sp.sp.signingKeys![0]!.certificate).toBe(spKeys.certificatePem);
    expect(sp.sp.decryptionKeys).toHaveLength(1);
    expect(sp.sp.signatureAlgorithm).toBe('rsa-sha512');
    expect(sp.sp.nameIdFormats).toEqual(['urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress']);
    expect((sp.idps as unknown as { signingKeys: unknown[] }).signingKeys).toHaveLength(2);
    expect((sp.idps as unknown as { singleSignOnServices: unknown }).singleSignOnServices).toEqual([
      { binding: 'post', location: 'https://idp.example.com/sso' },
    ]);
    expect(sp.clockSkewMs).toBe(5000);
    expect(sp.authnRequestBinding).toBe('post');
    expect(sp.allowUnsolicited).toBe(true);
    expect(sp.requestTtlMs).toBe(60_000);
    expect(sp.requireAssertionSignature).toBe(true);
    expect(sp.requireResponseSignature).toBe(true);
    expect(login).toEqual({
      forceAuthn: true,
      isPassive: true,
      requestedAuthnContext: {
        classRefs: ['urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport'],
        comparison: 'minimum',
      },
    });
  });

  it('sends no RequestedAuthnContext with disableRequestedAuthnContext, and no NameIDPolicy Format for null', () => {
    const { serviceProvider: sp, login } = mapSamlOptions({
      ...base,
      authnContext: ['urn:x'],
      disableRequestedAuthnContext: true,
      identifierFormat: null,
    });
    expect(login).toEqual({});
    expect(sp.sp.nameIdFormats).toBeUndefined();
  });

  it('refuses every passport-saml option samlkit lacks, naming what replaces it', () => {
    for (const [name, reason] of Object.entries(UNSUPPORTED_OPTIONS)) {
      if (name === 'idpCertCallback') continue;
      const error = configError(() =>
        mapSamlOptions({ ...base, [name]: 'x' } as SamlStrategyOptions),
      );
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toContain(name);
      expect(error.message).toContain(reason);
    }
    expect(
      configError(() => mapSamlOptions({ ...base, cacheProvider: {} } as never)).message,
    ).toContain('store');
  });

  it('refuses unknown options, relaxations it cannot honour and missing facts', () => {
    // `undefined` values are cases too: an option given as undefined must be refused like a missing one.
    const cases: [
      { [K in keyof SamlStrategyOptions]?: SamlStrategyOptions[K] | undefined } & Record<
        string,
        unknown
      >,
      string,
    ][] = [
      [{ entityId: 'x' }, 'entityId'],
      [{ callbackUrl: '/login/callback' }, 'callbackUrl'],
      [{ callbackUrl: 'ftp://app.example.com/cb' }, 'callbackUrl'],
      [{ issuer: '' }, 'issuer'],
      [{ idpIssuer: undefined }, 'idpIssuer'],
      [{ idpCert: undefined }, 'idpCert'],
      [{ idpCert: (() => undefined) as never }, 'metadata source'],
      [{ cert: 'x' }, 'cert'],
      [{ signatureAlgorithm: 'sha1' }, 'SHA-1'],
      [{ acceptedClockSkewMs: -1 }, 'always checked'],
      [{ audience: 'https://other.example.com' }, 'audience'],
      [{ validateInResponseTo: 'sometimes' as never }, 'validateInResponseTo'],
      [{ authnRequestBinding: 'HTTP-Artifact' as never }, 'authnRequestBinding'],
      [{ racComparison: 'most' as never, authnContext: ['urn:x'] }, 'racComparison'],
      [{ authnContext: [] }, 'authnContext'],
      [{ privateKey: spKeys.privateKeyPem }, 'publicCert'],
      [{ decryptionPvk: spKeys.privateKeyPem }, 'decryptionCert'],
      [{ logoutCallbackUrl: 'https://app.example.com/login/callback' }, 'two endpoints'],
      [{ logoutCallbackUrl: 'https://other.example.com/slo' }, 'origin'],
      [{ idp: { entityId: 'x', singleSignOnServices: [], signingKeys: [] } }, 'both'],
    ];
    for (const [overrides, mention] of cases) {
      const error = configError(() =>
        mapSamlOptions({ ...base, ...overrides } as SamlStrategyOptions),
      );
      expect(error.code, mention).toBe('CONFIG_INVALID');
      expect(error.message, mention).toContain(mention);
    }
  });

  it('accepts a samlkit IdP configuration instead of the flat options', () => {
    const idp = {
      entityId: 'https://idp.example.com',
      singleSignOnServices: [
        { binding: 'redirect' as const, location: 'https://idp.example.com/sso' },
      ],
      signingKeys: [],
    };
    const { serviceProvider } = mapSamlOptions({
      callbackUrl: base.callbackUrl,
      issuer: base.issuer,
      idp,
    });
    expect(serviceProvider.idps).toBe(idp);
  });

  it('the strategy refuses a bad configuration when it is built, not at the first login', () => {
    type Plain = SamlStrategyOptions & { readonly passReqToCallback?: false };
    const withPath = { ...base, path: '/cb' } as unknown as Plain;
    expect(() => new SamlStrategy(withPath, (_p, done) => done(null, {}))).toThrow(
      /CONFIG_INVALID/,
    );
    expect(() => new SamlStrategy(base as Plain, undefined as never)).toThrow(TypeError);
  });
});

const samlProfile = (
  attributes: Record<string, readonly string[]>,
  nameId = 'alice',
): SamlProfile => ({
  issuer: 'https://idp.example.com',
  idpKey: 'https://idp.example.com',
  userId: nameId,
  nameId: { value: nameId, format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent' },
  sessionIndex: 's1',
  attributes,
  attributeList: [],
  assertionId: '_a1',
});

describe('toPassportProfile', () => {
  it("has passport-saml's fields, attributes at the top level and in `attributes`, mail from its OID", () => {
    const profile = toPassportProfile(
      samlProfile({ [MAIL_OID]: ['alice@example.com'], groups: ['a', 'b'], uid: ['alice'] }),
    );
    expect(profile).toMatchObject({
      issuer: 'https://idp.example.com',
      nameID: 'alice',
      nameIDFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
      sessionIndex: 's1',
      ID: '_a1',
      mail: 'alice@example.com',
      email: 'alice@example.com',
      groups: ['a', 'b'],
      uid: 'alice',
      attributes: { [MAIL_OID]: 'alice@example.com', groups: ['a', 'b'], uid: 'alice' },
    });
  });

  it('never lets an attribute replace a profile field (property)', () => {
    const name = fc.oneof(fc.constantFrom(...PROFILE_FIELDS), fc.string({ maxLength: 12 }));
    const values = fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 });
    fc.assert(
      fc.property(
        fc.dictionary(name, values, { maxKeys: 8 }),
        fc.string({ minLength: 1, maxLength: 10 }),
        (attrs, nameId) => {
          const profile = toPassportProfile(samlProfile(attrs, nameId));
          expect(profile.nameID).toBe(nameId);
          expect(profile.issuer).toBe('https://idp.example.com');
          expect(profile.sessionIndex).toBe('s1');
          expect(profile.ID).toBe('_a1');
          expect(Object.getPrototypeOf(profile)).toBe(Object.prototype);
          // Every attribute is in `attributes`, one value as a string, several as an array.
          expect(Object.keys(profile.attributes).sort()).toEqual(Object.keys(attrs).sort());
          for (const [k, v] of Object.entries(attrs)) {
            expect(profile.attributes[k]).toEqual(v.length === 1 ? v[0] : v);
            if (!PROFILE_FIELDS.has(k)) expect(profile[k]).toEqual(v.length === 1 ? v[0] : v);
          }
          // The profile survives Passport's JSON session round trip.
          expect(JSON.parse(JSON.stringify(profile)).nameID).toBe(nameId);
        },
      ),
    );
  });
});
