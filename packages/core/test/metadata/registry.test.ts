import {
  createDiscoveryRedirect,
  createIdpRegistry,
  createMetadataSource,
  findExpiryWarnings,
  type IdentityProviderConfig,
  loadPrivateKey,
  loadPublicKey,
  parseDiscoveryResponse,
  parseIdpMetadata,
  SamlError,
} from '@samlkit/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeCert, okta, type TestCert } from './fixtures.js';

let ca: TestCert;
let cb: TestCert;
let contoso: IdentityProviderConfig;
let fabrikam: IdentityProviderConfig;

beforeAll(async () => {
  [ca, cb] = await Promise.all([makeCert('contoso-idp'), makeCert('fabrikam-idp')]);
  contoso = {
    entityId: 'https://sts.windows.net/contoso/',
    singleSignOnServices: [
      { binding: 'redirect', location: 'https://login.example/contoso/saml2' },
    ],
    signingKeys: [loadPublicKey(ca.pem)],
  };
  fabrikam = {
    entityId: 'http://www.okta.com/fabrikam',
    singleSignOnServices: [{ binding: 'post', location: 'https://fabrikam.okta.example/sso' }],
    signingKeys: [loadPublicKey(cb.pem)],
  };
});

const registry = () =>
  createIdpRegistry([
    {
      entityId: contoso.entityId,
      idp: contoso,
      keys: ['contoso', 'Contoso.com'],
      authnRequestParams: { domain_hint: 'contoso.com' },
    },
    { entityId: fabrikam.entityId, idp: fabrikam, keys: ['fabrikam.com'] },
  ]);

describe('several IdPs per SP', () => {
  it('resolves by entityID, by app key and by email domain (home-realm discovery)', async () => {
    const r = registry();
    expect((await r.resolve({ entityId: fabrikam.entityId })).idp).toBe(fabrikam);
    expect((await r.resolve({ key: 'CONTOSO' })).idp).toBe(contoso);
    const byMail = await r.resolve({ email: 'Ann@contoso.COM' });
    expect(byMail.idp).toBe(contoso);
    expect(byMail.authnRequestParams).toEqual({ domain_hint: 'contoso.com' });
    expect((await r.resolve({ email: 'bob@fabrikam.com' })).authnRequestParams).toEqual({});
    await expect(r.resolve({ email: 'eve@unknown.example' })).rejects.toMatchObject({
      code: 'IDP_UNKNOWN',
    });
    await expect(r.resolve({ key: 'nope' })).rejects.toMatchObject({ code: 'IDP_UNKNOWN' });
  });

  it('checks each message against the IdP it claims and the IdP the request went to', async () => {
    const r = registry();
    expect((await r.forMessage(contoso.entityId, contoso.entityId)).idp).toBe(contoso);
    // Unsolicited: the Issuer picks the IdP (its signature must then verify with that IdP's keys).
    expect((await r.forMessage(fabrikam.entityId)).idp).toBe(fabrikam);
    // A trusted IdP answering a request sent to another IdP is refused.
    await expect(r.forMessage(fabrikam.entityId, contoso.entityId)).rejects.toMatchObject({
      code: 'ISSUER_MISMATCH',
    });
    await expect(r.forMessage('https://evil.example/idp')).rejects.toMatchObject({
      code: 'IDP_UNKNOWN',
    });
  });

  it('refuses ambiguous configurations', () => {
    expect(() =>
      createIdpRegistry([
        { entityId: contoso.entityId, idp: contoso, keys: ['shared.com'] },
        { entityId: fabrikam.entityId, idp: fabrikam, keys: ['SHARED.com'] },
      ]),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() =>
      createIdpRegistry([
        { entityId: contoso.entityId, idp: contoso },
        { entityId: contoso.entityId, idp: contoso },
      ]),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => createIdpRegistry([{ entityId: 'https://other', idp: contoso }])).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });

  it('takes IdPs from metadata sources and checks they describe the entity configured', async () => {
    const xml = okta(ca.b64);
    const fetchStub = async () => new Response(xml, { status: 200 });
    const source = createMetadataSource({
      url: 'https://example.okta.com/app/exk1abcdEFGH/sso/saml/metadata',
      fetch: fetchStub,
      now: () => Date.parse('2026-06-01T00:00:00Z'),
    });
    const r = createIdpRegistry([
      { entityId: 'http://www.okta.com/exk1abcdEFGH', idp: source, keys: ['acme'] },
    ]);
    const got = await r.resolve({ key: 'acme' });
    expect(got.idp.entityId).toBe('http://www.okta.com/exk1abcdEFGH');
    const wrong = createIdpRegistry([{ entityId: 'http://www.okta.com/other', idp: source }]);
    await expect(wrong.resolve({ entityId: 'http://www.okta.com/other' })).rejects.toMatchObject({
      code: 'METADATA_ENTITY_NOT_FOUND',
    });
    expect(
      await r.withRollover('http://www.okta.com/exk1abcdEFGH', async (idp) => idp.entityId),
    ).toBe('http://www.okta.com/exk1abcdEFGH');
  });
});

describe('SAML IdP discovery', () => {
  it('builds the discovery request and reads back only trusted choices', () => {
    const url = new URL(
      createDiscoveryRedirect({
        discoveryUrl: 'https://ds.federation.example/ds?lang=en',
        spEntityId: 'https://app.example.com/saml/metadata',
        returnUrl: 'https://app.example.com/saml/login?next=/x',
        isPassive: false,
      }),
    );
    expect(url.searchParams.get('lang')).toBe('en');
    expect(url.searchParams.get('entityID')).toBe('https://app.example.com/saml/metadata');
    expect(url.searchParams.get('return')).toBe('https://app.example.com/saml/login?next=/x');
    expect(url.searchParams.get('isPassive')).toBe('false');

    const trusted = registry().entityIds;
    const back = `https://app.example.com/saml/login?entityID=${encodeURIComponent(contoso.entityId)}`;
    expect(parseDiscoveryResponse(back, { trusted })).toBe(contoso.entityId);
    expect(
      parseDiscoveryResponse('https://app.example.com/saml/login', { trusted }),
    ).toBeUndefined();
    expect(() =>
      parseDiscoveryResponse('https://app.example.com/saml/login?entityID=https%3A%2F%2Fevil', {
        trusted,
      }),
    ).toThrow(expect.objectContaining({ code: 'IDP_UNKNOWN' }));
    expect(() => createDiscoveryRedirect({ discoveryUrl: '/ds', spEntityId: 'x' })).toThrow(
      SamlError,
    );
  });
});

describe('expiry warnings', () => {
  it('warns about IdP and SP certificates inside the window, soonest first', async () => {
    const now = Date.parse('2026-06-01T00:00:00Z');
    const [soon, later, spSoon] = await Promise.all([
      makeCert('idp-soon', 13, new Date(now - 86_400_000)), // 12 days left
      makeCert('idp-later', 400, new Date(now)),
      makeCert('sp-soon', 6, new Date(now - 86_400_000)), // 5 days left
    ]);
    const idp = await parseIdpMetadata(
      okta(soon.b64).replace(
        '</md:KeyDescriptor>',
        `</md:KeyDescriptor><md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${later.b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`,
      ),
      { now },
    );
    const warnings = findExpiryWarnings({
      idp,
      sp: {
        entityId: 'https://app.example.com',
        assertionConsumerServices: [{ binding: 'post', location: 'https://app.example.com/acs' }],
        signingKeys: [{ privateKey: loadPrivateKey(spSoon.keyPem), certificate: spSoon.pem }],
      },
      now,
      withinDays: 30,
    });
    expect(warnings.map((w) => [w.kind, w.daysRemaining])).toEqual([
      ['certificate', 5],
      ['certificate', 12],
    ]);
    expect(warnings[1]!.message).toContain('IdP signing certificate CN=idp-soon');
    expect(warnings[1]!.message).toContain('expires in 12 days');
    expect(findExpiryWarnings({ idp, now, withinDays: 7 })).toEqual([]);
    expect(findExpiryWarnings({ idp, now: now + 20 * 86_400_000 })[0]).toMatchObject({
      expired: true,
    });
  });

  it('warns when metadata nears validUntil', async () => {
    const now = Date.parse('2026-06-01T00:00:00Z');
    const idp = await parseIdpMetadata(
      okta(ca.b64).replace(
        '<md:EntityDescriptor ',
        '<md:EntityDescriptor validUntil="2026-06-01T12:00:00Z" ',
      ),
      { now },
    );
    const [w] = findExpiryWarnings({ idp, now, withinDays: 0 });
    expect(w).toMatchObject({ kind: 'metadata', daysRemaining: 0, expired: false });
  });
});
