import {
  createSpMetadata,
  loadPrivateKey,
  loadPublicKey,
  SamlError,
  type ServiceProviderConfig,
} from '@samlkit/core';
import { verifyElementSignature } from '@samlkit/core/xml';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { equalBytes, fromBase64 } from '../../src/lib/bytes.js';
import { childElements, NS, parseXml } from '../../src/lib/xml.js';
import { makeCert, type TestCert } from './fixtures.js';

let active: TestCert;
let next: TestCert;
let enc: TestCert;
let sp: ServiceProviderConfig;

beforeAll(async () => {
  [active, next, enc] = await Promise.all([
    makeCert('sp-2026'),
    makeCert('sp-2027'),
    makeCert('sp-enc'),
  ]);
  sp = {
    entityId: 'https://app.example.com/saml/metadata',
    assertionConsumerServices: [
      { binding: 'post', location: 'https://app.example.com/saml/acs' },
      {
        binding: 'redirect',
        location: 'https://app.example.com/saml/acs?x=1&y=2',
        isDefault: true,
      },
    ],
    singleLogoutServices: [
      { binding: 'redirect', location: 'https://app.example.com/saml/slo' },
      {
        binding: 'post',
        location: 'https://app.example.com/saml/slo',
        responseLocation: 'https://app.example.com/saml/slo/response',
      },
    ],
    signingKeys: [
      { privateKey: loadPrivateKey(next.keyPem), certificate: next.pem },
      { privateKey: loadPrivateKey(active.keyPem), certificate: active.pem, active: true },
    ],
    decryptionKeys: [{ privateKey: loadPrivateKey(enc.keyPem), certificate: enc.pem }],
    nameIdFormats: ['urn:oasis:names:tc:SAML:2.0:nameid-format:persistent'],
  };
});

const els = (parent: Element, name: string) => childElements(parent, NS.md, name);

describe('createSpMetadata', () => {
  it('announces everything an IdP needs, in schema order', async () => {
    const xml = await createSpMetadata(sp, {
      validUntil: Date.parse('2027-01-01T00:00:00Z'),
      cacheDuration: 'PT6H',
      organization: { name: 'Example & Co', url: 'https://example.com' },
      contacts: [
        { contactType: 'technical', givenName: 'Ann', emailAddresses: ['ops@example.com'] },
      ],
    });
    const root = parseXml(xml).documentElement;
    expect(root.localName).toBe('EntityDescriptor');
    expect(root.getAttribute('entityID')).toBe(sp.entityId);
    expect(root.getAttribute('validUntil')).toBe('2027-01-01T00:00:00.000Z');
    expect(root.getAttribute('cacheDuration')).toBe('PT6H');
    const d = els(root, 'SPSSODescriptor')[0]!;
    expect(d.getAttribute('protocolSupportEnumeration')).toBe(
      'urn:oasis:names:tc:SAML:2.0:protocol',
    );
    expect(d.getAttribute('AuthnRequestsSigned')).toBe('true');
    expect(d.getAttribute('WantAssertionsSigned')).toBe('true');
    expect(childElements(d).map((e) => e.localName)).toEqual([
      'KeyDescriptor',
      'KeyDescriptor',
      'KeyDescriptor',
      'SingleLogoutService',
      'SingleLogoutService',
      'NameIDFormat',
      'AssertionConsumerService',
      'AssertionConsumerService',
    ]);
    const kds = els(d, 'KeyDescriptor');
    expect(kds.map((k) => k.getAttribute('use'))).toEqual(['signing', 'signing', 'encryption']);
    // Both signing certificates (the next one announced before use) and the encryption one.
    const certOf = (kd: Element) =>
      loadPublicKey(
        fromBase64(kd.getElementsByTagNameNS(NS.ds, 'X509Certificate')[0]!.textContent!),
      );
    expect(equalBytes(certOf(kds[0]!).spki, loadPublicKey(next.pem).spki)).toBe(true);
    expect(equalBytes(certOf(kds[1]!).spki, loadPublicKey(active.pem).spki)).toBe(true);
    expect(equalBytes(certOf(kds[2]!).spki, loadPublicKey(enc.pem).spki)).toBe(true);
    expect(els(kds[2]!, 'EncryptionMethod').length).toBeGreaterThan(0);
    expect(els(kds[0]!, 'EncryptionMethod')).toHaveLength(0);
    const acs = els(d, 'AssertionConsumerService');
    expect(acs.map((a) => [a.getAttribute('index'), a.getAttribute('isDefault')])).toEqual([
      ['0', null],
      ['1', 'true'],
    ]);
    expect(acs[1]!.getAttribute('Location')).toBe('https://app.example.com/saml/acs?x=1&y=2');
    expect(acs[1]!.getAttribute('Binding')).toBe(
      'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
    );
    const slo = els(d, 'SingleLogoutService');
    expect(slo[1]!.getAttribute('ResponseLocation')).toBe(
      'https://app.example.com/saml/slo/response',
    );
    expect(childElements(root).map((e) => e.localName)).toEqual([
      'SPSSODescriptor',
      'Organization',
      'ContactPerson',
    ]);
    expect(els(els(root, 'Organization')[0]!, 'OrganizationName')[0]!.textContent).toBe(
      'Example & Co',
    );
    expect(els(els(root, 'ContactPerson')[0]!, 'EmailAddress')[0]!.textContent).toBe(
      'mailto:ops@example.com',
    );
  });

  it('signs with the active key, signature first, verifiable with its certificate only', async () => {
    const xml = await createSpMetadata(sp, { sign: true });
    const root = parseXml(xml).documentElement;
    expect(childElements(root)[0]!.localName).toBe('Signature');
    const v = await verifyElementSignature(root, { keys: [loadPublicKey(active.pem)] });
    expect(v?.element).toBe(root);
    await expect(
      verifyElementSignature(parseXml(xml).documentElement, { keys: [loadPublicKey(next.pem)] }),
    ).rejects.toBeInstanceOf(SamlError);
  });

  it('without a signing key: AuthnRequestsSigned is false and signing is refused', async () => {
    const bare = { ...sp, signingKeys: [], decryptionKeys: [] };
    const root = parseXml(await createSpMetadata(bare)).documentElement;
    expect(els(root, 'SPSSODescriptor')[0]!.getAttribute('AuthnRequestsSigned')).toBe('false');
    await expect(createSpMetadata(bare, { sign: true })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });

  it('refuses duplicate ACS indexes, several defaults, a bad duration and a bad certificate', async () => {
    const dup = {
      ...sp,
      assertionConsumerServices: [
        { binding: 'post' as const, location: 'https://a.example/acs', index: 1 },
        { binding: 'post' as const, location: 'https://a.example/acs2', index: 1 },
      ],
    };
    await expect(createSpMetadata(dup)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    const twoDefaults = {
      ...sp,
      assertionConsumerServices: [
        { binding: 'post' as const, location: 'https://a.example/acs', isDefault: true },
        { binding: 'post' as const, location: 'https://a.example/acs2', isDefault: true },
      ],
    };
    await expect(createSpMetadata(twoDefaults)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(createSpMetadata(sp, { cacheDuration: '6 hours' })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
    const badCert = {
      ...sp,
      signingKeys: [{ privateKey: loadPrivateKey(active.keyPem), certificate: 'not a pem' }],
    };
    await expect(createSpMetadata(badCert)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('property: any entity ID and locations round-trip through the XML unchanged', async () => {
    const text = fc.string({ minLength: 1, maxLength: 30 }).filter(
      (s) =>
        s.trim() !== '' &&
        [...s].every((ch) => {
          const c = ch.codePointAt(0)!;
          return c >= 0x20 && c !== 0xfffe && c !== 0xffff && (c < 0xd800 || c > 0xdfff);
        }),
    );
    await fc.assert(
      fc.asyncProperty(text, text, async (entity, path) => {
        const location = `https://app.example.com/${encodeURIComponent(path)}?q=${path.length}&r=<>`;
        const xml = await createSpMetadata({
          entityId: entity,
          assertionConsumerServices: [{ binding: 'post', location }],
        });
        const root = parseXml(xml).documentElement;
        expect(root.getAttribute('entityID')).toBe(entity);
        const acs = els(els(root, 'SPSSODescriptor')[0]!, 'AssertionConsumerService')[0]!;
        expect(acs.getAttribute('Location')).toBe(location);
      }),
      { numRuns: 50 },
    );
  });
});
