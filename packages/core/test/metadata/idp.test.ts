import {
  BINDINGS,
  loadPrivateKey,
  loadPublicKey,
  parseIdpMetadata,
  SamlError,
  signXml,
} from '@samlkit/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeWithFixtures, sharedFixtures } from '../../../../test/support/fixtures.js';
import { equalBytes } from '../../src/lib/bytes.js';
import {
  adfs,
  aggregate,
  B,
  entra,
  keycloak,
  makeCert,
  okta,
  shibboleth,
  type TestCert,
} from './fixtures.js';

const NOW = Date.parse('2026-06-01T00:00:00Z');

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    // Metadata signature failures are METADATA_INVALID with the check's code in the details.
    if (e instanceof SamlError && typeof e.details.signatureCode === 'string')
      return `${e.code}/${e.details.signatureCode}`;
    if (e instanceof SamlError) return e.code;
    throw e;
  }
  throw new Error('expected a SamlError');
}

let c1: TestCert;
let c2: TestCert;
let c3: TestCert;
beforeAll(async () => {
  [c1, c2, c3] = await Promise.all([
    makeCert('idp-sign'),
    makeCert('idp-next'),
    makeCert('idp-enc'),
  ]);
});

const spki = (pem: string) => loadPublicKey(pem).spki;
const hasKey = (keys: readonly { spki: Uint8Array }[], pem: string) =>
  keys.some((k) => equalBytes(k.spki, spki(pem)));

describe('IdP metadata in the shapes vendors publish', () => {
  it('AD FS: IdP role picked past WS-Fed and SP roles; signing vs encryption keys', async () => {
    const idp = await parseIdpMetadata(adfs(c1.b64, c3.b64), { now: NOW });
    expect(idp.entityId).toBe('http://adfs.contoso.test/adfs/services/trust');
    expect(idp.singleSignOnServices).toEqual([
      { binding: 'redirect', location: 'https://adfs.contoso.test/adfs/ls/' },
      { binding: 'post', location: 'https://adfs.contoso.test/adfs/ls/' },
    ]);
    expect(idp.singleLogoutServices.map((e) => e.binding)).toEqual(['redirect', 'post']);
    expect(idp.signingKeys).toHaveLength(1);
    expect(hasKey(idp.signingKeys, c1.pem)).toBe(true);
    // An encryption-only key must never verify signatures.
    expect(hasKey(idp.signingKeys, c3.pem)).toBe(false);
    expect(hasKey(idp.encryptionKeys, c3.pem)).toBe(true);
    expect(idp.nameIdFormats).toHaveLength(3);
    expect(idp.wantAuthnRequestsSigned).toBe(false);
    expect(idp.signatureVerified).toBe(false);
  });

  it('Entra ID: both certificates of a rollover are trusted', async () => {
    const idp = await parseIdpMetadata(entra(c1.b64, c2.b64), { now: NOW });
    expect(idp.signingKeys).toHaveLength(2);
    expect(hasKey(idp.signingKeys, c1.pem) && hasKey(idp.signingKeys, c2.pem)).toBe(true);
    expect(idp.encryptionKeys).toEqual([]);
    expect(idp.nameIdFormats).toEqual([]);
    expect(idp.singleLogoutServices).toEqual([
      {
        binding: 'redirect',
        location: 'https://login.microsoftonline.com/00000000-1111-2222-3333-444444444444/saml2',
      },
    ]);
  });

  it('Okta: md: prefix, WantAuthnRequestsSigned=false, no SLO', async () => {
    const idp = await parseIdpMetadata(okta(c1.b64), { now: NOW });
    expect(idp.entityId).toBe('http://www.okta.com/exk1abcdEFGH');
    expect(idp.singleSignOnServices.map((e) => e.binding)).toEqual(['post', 'redirect']);
    expect(idp.singleLogoutServices).toEqual([]);
    expect(idp.wantAuthnRequestsSigned).toBe(false);
    expect(idp.nameIdFormats).toEqual([
      'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
      'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    ]);
  });

  it('Keycloak: an EntitiesDescriptor with one IdP, KeyName, artifact and SOAP endpoints', async () => {
    const idp = await parseIdpMetadata(keycloak(c1.b64), { now: NOW });
    expect(idp.entityId).toBe('https://kc.example.test/realms/acme');
    expect(idp.wantAuthnRequestsSigned).toBe(true);
    expect(idp.singleSignOnServices.map((e) => e.binding)).toEqual([
      'post',
      'redirect',
      'soap',
      'artifact',
    ]);
    expect(idp.singleLogoutServices.map((e) => e.binding)).toEqual([
      'post',
      'redirect',
      'artifact',
      'soap',
    ]);
    expect(idp.artifactResolutionServices).toEqual([
      {
        binding: 'soap',
        location: 'https://kc.example.test/realms/acme/protocol/saml/resolve',
        index: 0,
      },
    ]);
    expect(hasKey(idp.signingKeys, c1.pem)).toBe(true);
    // No `use`… here it is "signing", so it is not an encryption key.
    expect(idp.encryptionKeys).toEqual([]);
  });

  it('Shibboleth: SAML 1 endpoints skipped, wrapped base64, validUntil and cacheDuration', async () => {
    const idp = await parseIdpMetadata(shibboleth(c1.b64, c2.b64, c3.b64), { now: NOW });
    expect(idp.entityId).toBe('https://idp.uni.example/idp/shibboleth');
    expect(idp.singleSignOnServices.map((e) => e.binding)).toEqual([
      'post',
      'simpleSign',
      'redirect',
    ]);
    expect(idp.artifactResolutionServices).toEqual([
      {
        binding: 'soap',
        location: 'https://idp.uni.example:8443/idp/profile/SAML2/SOAP/ArtifactResolution',
        index: 2,
      },
    ]);
    expect(idp.signingKeys).toHaveLength(2);
    expect(hasKey(idp.encryptionKeys, c3.pem)).toBe(true);
    expect(hasKey(idp.signingKeys, c3.pem)).toBe(false);
    expect(idp.validUntil).toBe(Date.parse('2100-01-01T00:00:00Z'));
    expect(idp.cacheDuration).toBe(6 * 3600_000);
  });

  it('a KeyDescriptor without use serves signing and encryption', async () => {
    const xml = okta(c1.b64).replace(' use="signing"', '');
    const idp = await parseIdpMetadata(xml, { now: NOW });
    expect(hasKey(idp.signingKeys, c1.pem)).toBe(true);
    expect(hasKey(idp.encryptionKeys, c1.pem)).toBe(true);
  });

  it('reads a bare RSA key from ds:KeyValue', async () => {
    const rsa = (await crypto.subtle.generateKey(
      {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      },
      true,
      ['sign', 'verify'],
    )) as CryptoKeyPair;
    const jwk = await crypto.subtle.exportKey('jwk', rsa.publicKey);
    const b64 = (s: string) => s.replaceAll('-', '+').replaceAll('_', '/');
    const xml = okta(c1.b64).replace(
      /<ds:X509Data>.*<\/ds:X509Data>/,
      `<ds:KeyValue><ds:RSAKeyValue><ds:Modulus>${b64(jwk.n!)}</ds:Modulus><ds:Exponent>${b64(jwk.e!)}</ds:Exponent></ds:RSAKeyValue></ds:KeyValue>`,
    );
    const idp = await parseIdpMetadata(xml, { now: NOW });
    const spkiDer = new Uint8Array(await crypto.subtle.exportKey('spki', rsa.publicKey));
    expect(equalBytes(idp.signingKeys[0]!.spki, spkiDer)).toBe(true);
  });

  it('takes the leaf of a certificate chain in one X509Data', async () => {
    // Two unrelated self-signed certificates are not one chain: refused.
    const xml = okta(c1.b64).replace(
      '</ds:X509Certificate>',
      `</ds:X509Certificate><ds:X509Certificate>${c2.b64}</ds:X509Certificate>`,
    );
    expect(await code(parseIdpMetadata(xml, { now: NOW }))).toBe('METADATA_INVALID');
  });
});

describe('aggregates and entity selection', () => {
  const agg = () =>
    aggregate([
      { entityId: 'https://idp-a.example/idp', cert: c1.b64 },
      { entityId: 'https://idp-b.example/idp', cert: c2.b64 },
    ]);

  it('picks the IdP by entityID out of nested EntitiesDescriptors', async () => {
    const idp = await parseIdpMetadata(agg(), { now: NOW, entityId: 'https://idp-b.example/idp' });
    expect(idp.entityId).toBe('https://idp-b.example/idp');
    expect(hasKey(idp.signingKeys, c2.pem)).toBe(true);
    expect(hasKey(idp.signingKeys, c1.pem)).toBe(false);
  });

  it('refuses to guess among several IdPs, and names the missing one', async () => {
    expect(await code(parseIdpMetadata(agg(), { now: NOW }))).toBe('METADATA_ENTITY_NOT_FOUND');
    expect(await code(parseIdpMetadata(agg(), { now: NOW, entityId: 'https://nope' }))).toBe(
      'METADATA_ENTITY_NOT_FOUND',
    );
    expect(
      await code(parseIdpMetadata(okta(c1.b64), { now: NOW, entityId: 'https://other' })),
    ).toBe('METADATA_ENTITY_NOT_FOUND');
  });

  it('refuses an SP entity picked as IdP', async () => {
    expect(
      await code(parseIdpMetadata(agg(), { now: NOW, entityId: 'https://sp.example/sp' })),
    ).toBe('METADATA_INVALID');
  });

  it('refuses an entityID listed twice', async () => {
    const xml = aggregate([
      { entityId: 'https://idp-a.example/idp', cert: c1.b64 },
      { entityId: 'https://idp-a.example/idp', cert: c2.b64 },
    ]);
    expect(
      await code(parseIdpMetadata(xml, { now: NOW, entityId: 'https://idp-a.example/idp' })),
    ).toBe('METADATA_INVALID');
  });

  it('applies the aggregate root validUntil to every entity', async () => {
    const xml = aggregate(
      [{ entityId: 'https://idp-a.example/idp', cert: c1.b64 }],
      ' validUntil="2026-05-01T00:00:00Z"',
    );
    expect(await code(parseIdpMetadata(xml, { now: NOW }))).toBe('METADATA_EXPIRED');
    const ok = await parseIdpMetadata(xml, { now: Date.parse('2026-04-30T00:00:00Z') });
    expect(ok.validUntil).toBe(Date.parse('2026-05-01T00:00:00Z'));
  });

  it('takes the earliest validUntil and the shortest cacheDuration on the way down', async () => {
    const xml = aggregate(
      [{ entityId: 'https://idp-a.example/idp', cert: c1.b64, validUntil: '2026-07-01T00:00:00Z' }],
      ' validUntil="2027-01-01T00:00:00Z" cacheDuration="P1D"',
    ).replace('Name="nested"', 'Name="nested" cacheDuration="PT1H"');
    const idp = await parseIdpMetadata(xml, { now: NOW });
    expect(idp.validUntil).toBe(Date.parse('2026-07-01T00:00:00Z'));
    expect(idp.cacheDuration).toBe(3600_000);
  });
});

describe('refusals', () => {
  it('refuses expired metadata', async () => {
    const xml = shibboleth(c1.b64, c2.b64, c3.b64, '2026-05-31T23:59:59Z');
    expect(await code(parseIdpMetadata(xml, { now: NOW }))).toBe('METADATA_EXPIRED');
    // validUntil is exclusive: at that very instant the metadata is no longer usable.
    expect(await code(parseIdpMetadata(xml, { now: Date.parse('2026-05-31T23:59:59Z') }))).toBe(
      'METADATA_EXPIRED',
    );
  });

  it('refuses documents that are not metadata', async () => {
    expect(
      await code(
        parseIdpMetadata('<html xmlns="http://www.w3.org/1999/xhtml"><body>login</body></html>', {
          now: NOW,
        }),
      ),
    ).toBe('METADATA_INVALID');
    expect(await code(parseIdpMetadata('<EntityDescriptor entityID="x"/>', { now: NOW }))).toBe(
      'METADATA_INVALID',
    );
  });

  it('refuses a DTD', async () => {
    const xml = `<!DOCTYPE x [<!ENTITY e "e">]>${okta(c1.b64).replace(/^<\?xml[^>]*>/, '')}`;
    expect(await code(parseIdpMetadata(xml, { now: NOW }))).toBe('XML_DOCTYPE_FORBIDDEN');
  });

  it('refuses IdP metadata without a signing key or without a usable SSO endpoint', async () => {
    const encOnly = okta(c1.b64).replace('use="signing"', 'use="encryption"');
    expect(await code(parseIdpMetadata(encOnly, { now: NOW }))).toBe('METADATA_INVALID');
    const saml1Only = okta(c1.b64)
      .replaceAll(B.post, 'urn:mace:shibboleth:1.0:profiles:AuthnRequest')
      .replaceAll(B.redirect, 'urn:mace:shibboleth:1.0:profiles:AuthnRequest');
    expect(await code(parseIdpMetadata(saml1Only, { now: NOW }))).toBe('METADATA_INVALID');
  });

  it('refuses a SAML 1.1-only IDPSSODescriptor', async () => {
    const xml = okta(c1.b64).replace(
      'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"',
      'protocolSupportEnumeration="urn:oasis:names:tc:SAML:1.1:protocol"',
    );
    expect(await code(parseIdpMetadata(xml, { now: NOW }))).toBe('METADATA_ENTITY_NOT_FOUND');
  });

  it('refuses a corrupted certificate, a bad boolean, a bad duration, a relative endpoint', async () => {
    expect(await code(parseIdpMetadata(okta('MIIBAAAA'), { now: NOW }))).toBe('METADATA_INVALID');
    expect(
      await code(
        parseIdpMetadata(
          okta(c1.b64).replace('WantAuthnRequestsSigned="false"', 'WantAuthnRequestsSigned="yes"'),
          { now: NOW },
        ),
      ),
    ).toBe('METADATA_INVALID');
    expect(
      await code(
        parseIdpMetadata(
          okta(c1.b64).replace('<md:EntityDescriptor ', '<md:EntityDescriptor cacheDuration="6h" '),
          { now: NOW },
        ),
      ),
    ).toBe('XML_INVALID_VALUE');
    expect(
      await code(
        parseIdpMetadata(okta(c1.b64).replaceAll('https://example.okta.com/', '/'), { now: NOW }),
      ),
    ).toBe('METADATA_INVALID');
  });

  it('wants options.now', async () => {
    await expect(parseIdpMetadata(okta(c1.b64), {} as never)).rejects.toThrow(TypeError);
  });
});

describe('metadata signature against a pinned certificate', () => {
  const sign = (xml: string, cert: TestCert) =>
    signXml(xml.replace(/^<\?xml[^>]*>/, ''), {
      key: loadPrivateKey(cert.keyPem),
      certificate: cert.pem,
    });

  it('verifies a signed EntityDescriptor', async () => {
    const signed = await sign(
      okta(c1.b64).replace('<md:EntityDescriptor ', '<md:EntityDescriptor ID="_m1" '),
      c2,
    );
    const idp = await parseIdpMetadata(signed, {
      now: NOW,
      verify: { keys: [loadPublicKey(c2.pem)] },
    });
    expect(idp.signatureVerified).toBe(true);
  });

  it('verifies a signed aggregate and picks the entity inside it', async () => {
    const signed = await sign(
      aggregate([
        { entityId: 'https://idp-a.example/idp', cert: c1.b64 },
        { entityId: 'https://idp-b.example/idp', cert: c2.b64 },
      ]),
      c3,
    );
    const idp = await parseIdpMetadata(signed, {
      now: NOW,
      entityId: 'https://idp-a.example/idp',
      verify: { keys: [loadPublicKey(c3.pem)] },
    });
    expect(idp.signatureVerified && hasKey(idp.signingKeys, c1.pem)).toBe(true);
  });

  it('refuses unsigned metadata when a pinned key is configured', async () => {
    expect(
      await code(
        parseIdpMetadata(okta(c1.b64), { now: NOW, verify: { keys: [loadPublicKey(c2.pem)] } }),
      ),
    ).toBe('METADATA_INVALID/SIGNATURE_MISSING');
  });

  it('refuses metadata whose signing certificate was swapped after signing', async () => {
    const signed = await sign(
      okta(c1.b64).replace('<md:EntityDescriptor ', '<md:EntityDescriptor ID="_m1" '),
      c2,
    );
    const swapped = signed.replace(c1.b64, c3.b64);
    const c = await code(
      parseIdpMetadata(swapped, { now: NOW, verify: { keys: [loadPublicKey(c2.pem)] } }),
    );
    expect(c).toBe('METADATA_INVALID/SIGNATURE_DIGEST_MISMATCH');
  });

  it('refuses metadata signed by a key other than the pinned one', async () => {
    const signed = await sign(
      okta(c1.b64).replace('<md:EntityDescriptor ', '<md:EntityDescriptor ID="_m1" '),
      c1,
    );
    const c = await code(
      parseIdpMetadata(signed, { now: NOW, verify: { keys: [loadPublicKey(c2.pem)] } }),
    );
    expect([
      'METADATA_INVALID/SIGNATURE_INVALID',
      'METADATA_INVALID/SIGNATURE_KEY_UNTRUSTED',
    ]).toContain(c);
  });
});

// ---- Real IdP metadata documents from shared/interop ----
const fx = sharedFixtures('interop', ['manifest.json']);

interface MetadataEntry {
  file: string;
  entity_id: string;
  valid_until: string | null;
  sso: Array<{ binding: string; location: string }>;
  slo: Array<{ binding: string; location: string }>;
  nameid_formats: string[];
  signing_certs: string[];
  signed: boolean;
  signature?: { cert_file: string };
}

const known = new Set<string>(Object.values(BINDINGS));

describeWithFixtures(fx, 'real IdP metadata (shared/interop)', () => {
  const entries: MetadataEntry[] = fx.json<{ metadata: MetadataEntry[] }>('manifest.json').metadata;
  it.each(entries.map((e) => [e.file, e] as const))('%s', async (_file, e) => {
    const xml = fx.read(e.file);
    const now = e.valid_until ? Date.parse(e.valid_until) - 86_400_000 : NOW;
    const verify =
      e.signed && e.signature
        ? { keys: [loadPublicKey(fx.read(e.signature.cert_file))] }
        : undefined;
    const idp = await parseIdpMetadata(xml, {
      now,
      entityId: e.entity_id,
      ...(verify ? { verify } : {}),
    });
    expect(idp.entityId).toBe(e.entity_id);
    const uri = (b: string) => BINDINGS[b as keyof typeof BINDINGS];
    expect(
      idp.singleSignOnServices.map((s) => ({ binding: uri(s.binding), location: s.location })),
    ).toEqual(e.sso.filter((s) => known.has(s.binding)));
    expect(
      idp.singleLogoutServices.map((s) => ({ binding: uri(s.binding), location: s.location })),
    ).toEqual(e.slo.filter((s) => known.has(s.binding)));
    expect(idp.nameIdFormats).toEqual(e.nameid_formats);
    expect(idp.signingKeys).toHaveLength(e.signing_certs.length);
    for (const f of e.signing_certs) {
      expect(hasKey(idp.signingKeys, fx.read(f))).toBe(true);
    }
    expect(idp.signatureVerified).toBe(!!verify);
    if (e.valid_until) expect(idp.validUntil).toBe(Date.parse(e.valid_until));
  });

  it('refuses the expired Google metadata at its real age', async () => {
    const e = entries.find(
      (x) => x.valid_until && Date.parse(x.valid_until) < Date.parse('2026-01-01'),
    );
    if (!e) throw new Error('the manifest lists no metadata that expired before 2026');
    const xml = fx.read(e.file);
    expect(await code(parseIdpMetadata(xml, { now: Date.parse('2026-01-01') }))).toBe(
      'METADATA_EXPIRED',
    );
  });
});
