import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createSpMetadata,
  loadPrivateKey,
  RESEARCH_AND_SCHOLARSHIP,
  type ServiceProviderConfig,
  SIRTFI,
  type SpMetadataOptions,
} from '@samlkit/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childElements, NS, parseXml } from '../../src/lib/xml.js';
import { xmlsec1Available } from '../support/xmlsec1.js';
import { loadXsdOrder } from '../support/xsd-order.js';
import { makeCert, type TestCert } from './fixtures.js';

const MDUI = 'urn:oasis:names:tc:SAML:metadata:ui';
const MDATTR = 'urn:oasis:names:tc:SAML:metadata:attribute';
const REMD = 'http://refeds.org/metadata';
const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const EPPN = 'urn:oid:1.3.6.1.4.1.5923.1.1.1.6';
const SCOPED_AFFILIATION = 'urn:oid:1.3.6.1.4.1.5923.1.1.1.9';

// The OASIS SAML 2.0 metadata schema (saml-schema-metadata-2.0.xsd), as published.
const schema = loadXsdOrder(new URL('./schema/saml-schema-metadata-2.0.xsd', import.meta.url));
const haveXmlsec1 = xmlsec1Available('the signed federation SP metadata cross-check');

let cert: TestCert;
let sp: ServiceProviderConfig;
let dir: string;

beforeAll(async () => {
  cert = await makeCert('sp-fed');
  sp = {
    entityId: 'https://research.example.edu/shibboleth',
    assertionConsumerServices: [
      { binding: 'post', location: 'https://research.example.edu/saml/acs' },
    ],
    singleLogoutServices: [
      { binding: 'redirect', location: 'https://research.example.edu/saml/slo' },
    ],
    signingKeys: [{ privateKey: loadPrivateKey(cert.keyPem), certificate: cert.pem }],
    decryptionKeys: [{ privateKey: loadPrivateKey(cert.keyPem), certificate: cert.pem }],
    nameIdFormats: ['urn:oasis:names:tc:SAML:2.0:nameid-format:persistent'],
  };
  dir = mkdtempSync(join(tmpdir(), 'samlkit-spfed-'));
  writeFileSync(join(dir, 'cert.pem'), cert.pem);
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const federation: SpMetadataOptions = {
  uiInfo: {
    displayName: { en: 'Research Portal', de: 'Forschungsportal' },
    description: { en: 'Data & papers <for> researchers' },
    informationUrl: 'https://research.example.edu/about',
    privacyStatementUrl: { en: 'https://research.example.edu/privacy?lang=en&v=2' },
    logos: [{ url: 'https://research.example.edu/logo.png', width: 80, height: 60 }],
  },
  discoveryResponseUrls: ['https://research.example.edu/saml/login'],
  requestedAttributes: [
    { name: EPPN, friendlyName: 'eduPersonPrincipalName', isRequired: true },
    { name: SCOPED_AFFILIATION, friendlyName: 'eduPersonScopedAffiliation' },
  ],
  entityAttributes: {
    entityCategories: [RESEARCH_AND_SCHOLARSHIP],
    assuranceCertifications: [SIRTFI],
  },
  organization: { name: 'Example University', url: 'https://www.example.edu' },
  contacts: [
    { contactType: 'technical', givenName: 'Ann', emailAddresses: ['ops@example.edu'] },
    { contactType: 'security', givenName: 'CSIRT', emailAddresses: ['abuse@example.edu'] },
  ],
};

const names = (el: Element) => childElements(el).map((c) => `${c.prefix}:${c.localName}`);

describe('createSpMetadata for federations', () => {
  it('writes UIInfo, DiscoveryResponse, RequestedAttributes, EntityAttributes and a security contact in schema order', async () => {
    const xml = await createSpMetadata(sp, federation);
    const root = parseXml(xml).documentElement;
    expect(schema.check(root)).toEqual([]);
    expect(names(root)).toEqual([
      'md:Extensions',
      'md:SPSSODescriptor',
      'md:Organization',
      'md:ContactPerson',
      'md:ContactPerson',
    ]);
    const d = childElements(root, NS.md, 'SPSSODescriptor')[0]!;
    expect(names(d)).toEqual([
      'md:Extensions',
      'md:KeyDescriptor',
      'md:KeyDescriptor',
      'md:SingleLogoutService',
      'md:NameIDFormat',
      'md:AssertionConsumerService',
      'md:AttributeConsumingService',
    ]);
    const ext = childElements(d, NS.md, 'Extensions')[0]!;
    expect(names(ext)).toEqual(['mdui:UIInfo', 'idpdisc:DiscoveryResponse']);
    const ui = childElements(ext, MDUI, 'UIInfo')[0]!;
    const localized = (local: string) =>
      childElements(ui, MDUI, local).map((e) => [e.getAttributeNS(XML_NS, 'lang'), e.textContent]);
    expect(localized('DisplayName')).toEqual([
      ['en', 'Research Portal'],
      ['de', 'Forschungsportal'],
    ]);
    expect(localized('Description')).toEqual([['en', 'Data & papers <for> researchers']]);
    expect(localized('InformationURL')).toEqual([['en', 'https://research.example.edu/about']]);
    expect(localized('PrivacyStatementURL')).toEqual([
      ['en', 'https://research.example.edu/privacy?lang=en&v=2'],
    ]);
    const logo = childElements(ui, MDUI, 'Logo')[0]!;
    expect([logo.getAttribute('width'), logo.getAttribute('height'), logo.textContent]).toEqual([
      '80',
      '60',
      'https://research.example.edu/logo.png',
    ]);

    const acs = childElements(d, NS.md, 'AttributeConsumingService')[0]!;
    expect([acs.getAttribute('index'), acs.getAttribute('isDefault')]).toEqual(['0', 'true']);
    expect(
      childElements(acs, NS.md, 'ServiceName').map((e) => [
        e.getAttributeNS(XML_NS, 'lang'),
        e.textContent,
      ]),
    ).toEqual([
      ['en', 'Research Portal'],
      ['de', 'Forschungsportal'],
    ]);
    expect(
      childElements(acs, NS.md, 'RequestedAttribute').map((e) =>
        ['Name', 'NameFormat', 'FriendlyName', 'isRequired'].map((a) => e.getAttribute(a)),
      ),
    ).toEqual([
      [EPPN, 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri', 'eduPersonPrincipalName', 'true'],
      [
        SCOPED_AFFILIATION,
        'urn:oasis:names:tc:SAML:2.0:attrname-format:uri',
        'eduPersonScopedAffiliation',
        null,
      ],
    ]);

    const ea = childElements(
      childElements(root, NS.md, 'Extensions')[0]!,
      MDATTR,
      'EntityAttributes',
    )[0]!;
    expect(
      childElements(ea, NS.saml, 'Attribute').map((a) => [
        a.getAttribute('Name'),
        childElements(a, NS.saml, 'AttributeValue').map((v) => v.textContent),
      ]),
    ).toEqual([
      ['http://macedir.org/entity-category', [RESEARCH_AND_SCHOLARSHIP]],
      ['urn:oasis:names:tc:SAML:attribute:assurance-certification', [SIRTFI]],
    ]);

    const security = childElements(root, NS.md, 'ContactPerson')[1]!;
    expect(security.getAttribute('contactType')).toBe('other');
    expect(security.getAttributeNS(REMD, 'contactType')).toBe(
      'http://refeds.org/metadata/contactType/security',
    );
    expect(childElements(security, NS.md, 'EmailAddress')[0]!.textContent).toBe(
      'mailto:abuse@example.edu',
    );
  });

  it('the schema check itself refuses misplaced elements', async () => {
    // Guard against a checker that passes everything: move each Extensions after its siblings.
    const doc = parseXml(await createSpMetadata(sp, federation));
    const root = doc.documentElement;
    root.appendChild(childElements(root, NS.md, 'Extensions')[0]!);
    expect(schema.check(root)).toEqual([expect.stringMatching(/^EntityDescriptor: children/)]);
    const fresh = parseXml(await createSpMetadata(sp, federation)).documentElement;
    const d = childElements(fresh, NS.md, 'SPSSODescriptor')[0]!;
    d.insertBefore(childElements(d, NS.md, 'AttributeConsumingService')[0]!, d.firstChild);
    expect(schema.check(fresh)).toEqual([
      expect.stringMatching(/^EntityDescriptor\/SPSSODescriptor: children/),
    ]);
  });

  it.runIf(haveXmlsec1)(
    'signed: the signature comes first, the order stays schema-valid, and xmlsec1 verifies it',
    async () => {
      const xml = await createSpMetadata(sp, { ...federation, sign: true });
      const root = parseXml(xml).documentElement;
      expect(names(root).slice(0, 3)).toEqual([
        'ds:Signature',
        'md:Extensions',
        'md:SPSSODescriptor',
      ]);
      expect(schema.check(root)).toEqual([]);
      const file = join(dir, 'metadata.xml');
      writeFileSync(file, xml);
      const args = [
        '--verify',
        '--pubkey-cert-pem',
        join(dir, 'cert.pem'),
        '--id-attr:ID',
        'urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor',
      ];
      const ok = spawnSync('xmlsec1', [...args, file], { encoding: 'utf8' });
      expect(ok.status, ok.stderr).toBe(0);
      // A changed DisplayName breaks it: xmlsec1 really checked the signed content.
      writeFileSync(file, xml.replace('Forschungsportal', 'Forschungsp0rtal'));
      const bad = spawnSync('xmlsec1', [...args, file], { encoding: 'utf8' });
      expect(bad.status).not.toBe(0);
    },
  );

  it('refuses SIRTFI without a security contact, and unusable UIInfo or requested attributes', async () => {
    const code = async (options: SpMetadataOptions) => {
      try {
        await createSpMetadata(sp, options);
        return 'accepted';
      } catch (e) {
        return (e as { code?: string }).code;
      }
    };
    const technicalOnly = federation.contacts!.filter((c) => c.contactType !== 'security');
    expect(await code({ ...federation, contacts: technicalOnly })).toBe('CONFIG_INVALID');
    expect(
      await code({
        ...federation,
        contacts: [...technicalOnly, { contactType: 'security', givenName: 'No mail' }],
      }),
    ).toBe('CONFIG_INVALID');
    expect(await code({ ...federation, contacts: technicalOnly, entityAttributes: {} })).toBe(
      'accepted',
    );
    const ui = federation.uiInfo!;
    expect(await code({ uiInfo: { ...ui, informationUrl: '/about' } })).toBe('CONFIG_INVALID');
    expect(await code({ uiInfo: { ...ui, informationUrl: 'javascript:alert(1)' } })).toBe(
      'CONFIG_INVALID',
    );
    expect(await code({ uiInfo: { displayName: { 'en us': 'x' } } })).toBe('CONFIG_INVALID');
    expect(await code({ uiInfo: { displayName: { en: ' ' } } })).toBe('CONFIG_INVALID');
    expect(await code({ uiInfo: { displayName: {} } })).toBe('CONFIG_INVALID');
    expect(
      await code({ uiInfo: { logos: [{ url: 'https://x.example/l.png', width: 0, height: 1 }] } }),
    ).toBe('CONFIG_INVALID');
    expect(
      await code({
        uiInfo: { logos: [{ url: 'https://x.example/l.png', width: 1.5, height: 1 }] },
      }),
    ).toBe('CONFIG_INVALID');
    // RequestedAttribute+ needs a ServiceName (metadata §2.4.4.1): from uiInfo, organization, or given.
    expect(await code({ requestedAttributes: [{ name: EPPN }] })).toBe('CONFIG_INVALID');
    expect(await code({ requestedAttributes: [{ name: EPPN }], serviceName: 'Portal' })).toBe(
      'accepted',
    );
    expect(
      await code({
        requestedAttributes: [{ name: EPPN }],
        organization: { name: 'Org', url: 'https://org.example' },
      }),
    ).toBe('accepted');
    expect(
      await code({ requestedAttributes: [{ name: EPPN }, { name: EPPN }], serviceName: 'P' }),
    ).toBe('CONFIG_INVALID');
    expect(await code({ requestedAttributes: [{ name: '' }], serviceName: 'P' })).toBe(
      'CONFIG_INVALID',
    );
    // Nothing federation-specific given: no Extensions, no AttributeConsumingService.
    const plain = parseXml(await createSpMetadata(sp, { requestedAttributes: [] })).documentElement;
    expect(names(plain)).toEqual(['md:SPSSODescriptor']);
  });

  it('property: any text round-trips through the metadata and samlkit’s parser unchanged', async () => {
    // XML 1.0 §2.2 Char, less what xmldom cannot keep: text made only of such characters.
    const text = fc.string({ minLength: 1, maxLength: 40, unit: 'binary' }).filter(
      (s) =>
        s.trim() !== '' &&
        [...s].every((ch) => {
          const c = ch.codePointAt(0)!;
          return (
            (c >= 0x20 || c === 0x9 || c === 0xa || c === 0xd) &&
            c !== 0xfffe &&
            c !== 0xffff &&
            (c < 0xd800 || c > 0xdfff)
          );
        }),
    );
    const lang = fc.constantFrom('en', 'de', 'fr-CA', 'sv', 'x-klingon');
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(lang, text, { minKeys: 1 }),
        text,
        text,
        text,
        text,
        async (displayName, description, friendlyName, category, given) => {
          const xml = await createSpMetadata(sp, {
            uiInfo: { displayName, description },
            requestedAttributes: [{ name: EPPN, friendlyName }],
            entityAttributes: { entityCategories: [category] },
            contacts: [{ contactType: 'security', givenName: given, emailAddresses: [given] }],
          });
          const root = parseXml(xml).documentElement;
          expect(schema.check(root)).toEqual([]);
          const ui = root.getElementsByTagNameNS(MDUI, 'UIInfo')[0]!;
          expect(
            Object.fromEntries(
              childElements(ui, MDUI, 'DisplayName').map((e) => [
                e.getAttributeNS(XML_NS, 'lang'),
                e.textContent,
              ]),
            ),
          ).toEqual(displayName);
          expect(childElements(ui, MDUI, 'Description')[0]!.textContent).toBe(description);
          const req = root.getElementsByTagNameNS(NS.md, 'RequestedAttribute')[0]!;
          expect(req.getAttribute('FriendlyName')).toBe(friendlyName);
          const value = root.getElementsByTagNameNS(NS.saml, 'AttributeValue')[0]!;
          expect(value.textContent).toBe(category);
          const contact = root.getElementsByTagNameNS(NS.md, 'ContactPerson')[0]!;
          expect(childElements(contact, NS.md, 'GivenName')[0]!.textContent).toBe(given);
        },
      ),
      { numRuns: 30 },
    );
  });
});
