import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateResponse } from '@samlkit/core';
import { buildResponse, generateTestKeys, type TestKeys } from '@samlkit/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseXml, serializeXml } from '../../src/lib/xml.js';
import { xmlsec1Available } from '../support/xmlsec1.js';

// Literal U+0085, U+2028 and U+2029 are ordinary XML 1.0 characters (§2.2; only XML 1.1 §2.11
// makes them line ends), and a CR written &#xD; is a CR (§4.1), not a line end. A signature made
// by an independent implementation (xmlsec1, libxml2) over such a document must verify here,
// and still verify after samlkit has parsed and serialized the document.

const haveXmlsec1 = xmlsec1Available('the XML character cross-checks');

const IDP = 'https://idp.example.org/saml';
const SP = 'https://sp.example.com/saml/metadata';
const ACS = 'https://sp.example.com/saml/acs';
const NOW = Date.UTC(2031, 4, 6, 12, 0, 0);
const ID_ATTRS = [
  '--id-attr:ID',
  'urn:oasis:names:tc:SAML:2.0:protocol:Response',
  '--id-attr:ID',
  'urn:oasis:names:tc:SAML:2.0:assertion:Assertion',
];
const VALUE = 'a\u0085b\u2028c\u2029d\re';
const FRIENDLY = 'x\u0085y\u2028z\u2029w';

let dir: string;
let keys: TestKeys;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'samlkit-xmlchars-'));
  keys = await generateTestKeys();
  writeFileSync(join(dir, 'cert.pem'), keys.certificatePem);
  writeFileSync(join(dir, 'key.pem'), keys.privateKeyPem);
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function xmlsec1(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync('xmlsec1', args, { cwd: dir, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

/**
 * References to U+0085, U+2028 and U+2029, however written (testkit writes &#x85;, libxml2
 * &#133;), replaced by the literal characters: the same characters, so the same signed content.
 * CR stays a reference.
 */
function literalRefs(xml: string): string {
  return xml.replace(/&#(x[0-9a-fA-F]+|[0-9]+);/g, (ref, n: string) => {
    const cp = n.startsWith('x') ? Number.parseInt(n.slice(1), 16) : Number(n);
    return cp === 0x85 || cp === 0x2028 || cp === 0x2029 ? String.fromCharCode(cp) : ref;
  });
}

function literal(xml: string): string {
  return literalRefs(xml).replace(
    '<saml:Attribute Name="role"',
    `<saml:Attribute FriendlyName="${FRIENDLY}" Name="role"`,
  );
}

async function validate(xml: string) {
  return validateResponse(xml, {
    sp: { entityId: SP, acsUrl: ACS },
    idp: { entityId: IDP, signingKeys: [keys.publicKey] },
    now: NOW,
    allowUnsolicited: true,
  });
}

function friendlyName(xml: string): string | null {
  for (const el of Array.from(parseXml(xml).getElementsByTagNameNS('*', 'Attribute'))) {
    if (el.getAttribute('Name') === 'role') return el.getAttribute('FriendlyName');
  }
  return null;
}

describe.skipIf(!haveXmlsec1)('XML 1.0 characters and signatures, against xmlsec1', () => {
  it('xmlsec1 signs literal U+0085/U+2028/U+2029 and &#xD; in text and attributes; samlkit verifies, before and after serializeXml', async () => {
    const unsigned = await buildResponse({
      idpEntityId: IDP,
      spEntityId: SP,
      acsUrl: ACS,
      now: NOW,
      sign: 'none',
      assertionId: '_chars',
      nameId: { value: 'user@example.com' },
      attributes: [{ name: 'role', values: [VALUE] }],
    });
    const sig =
      '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>' +
      '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>' +
      '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>' +
      '<ds:Reference URI="#_chars"><ds:Transforms>' +
      '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>' +
      '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>' +
      '</ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>' +
      '<ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/></ds:Signature>';
    const template = literal(unsigned).replace(
      /(<saml:Assertion[^>]*>\s*<saml:Issuer>[^<]*<\/saml:Issuer>)/,
      `$1${sig}`,
    );
    expect(template).toContain('\u2028');
    expect(template).toContain('&#xD;');
    writeFileSync(join(dir, 'tmpl.xml'), template);
    const r = xmlsec1([
      '--sign',
      '--privkey-pem',
      'key.pem',
      ...ID_ATTRS,
      '--output',
      'signed.xml',
      'tmpl.xml',
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const signed = literalRefs(readFileSync(join(dir, 'signed.xml'), 'utf8'));
    expect(signed).toContain('\u0085');

    const result = await validate(signed);
    expect(result.signature.assertion).toBe(true);
    expect(result.attributes['role']).toEqual([VALUE]);
    expect(friendlyName(signed)).toBe(FRIENDLY);

    // What samlkit writes back out is the same document: it still verifies, here and in xmlsec1.
    const rewritten = serializeXml(parseXml(signed));
    expect(rewritten).toContain('&#xD;');
    expect((await validate(rewritten)).attributes['role']).toEqual([VALUE]);
    writeFileSync(join(dir, 'rewritten.xml'), rewritten);
    const again = xmlsec1([
      '--verify',
      '--pubkey-cert-pem',
      'cert.pem',
      ...ID_ATTRS,
      'rewritten.xml',
    ]);
    expect(again.stderr).toContain('OK');
    expect(again.status).toBe(0);
  });

  it('samlkit signs the same values; the literal form of the document verifies here and in xmlsec1', async () => {
    const signed = await buildResponse({
      idpEntityId: IDP,
      spEntityId: SP,
      acsUrl: ACS,
      now: NOW,
      signingKey: keys,
      sign: 'assertion',
      assertionId: '_chars2',
      nameId: { value: 'user@example.com' },
      attributes: [{ name: 'role', values: [VALUE] }],
    });
    // references and literal characters are the same characters: the signature covers both forms
    const asLiteral = literalRefs(signed);
    expect(asLiteral).toContain('\u2029');
    for (const xml of [signed, asLiteral, serializeXml(parseXml(asLiteral))]) {
      expect((await validate(xml)).attributes['role']).toEqual([VALUE]);
      writeFileSync(join(dir, 'ours.xml'), xml);
      const r = xmlsec1(['--verify', '--pubkey-cert-pem', 'cert.pem', ...ID_ATTRS, 'ours.xml']);
      expect(r.stderr).toContain('OK');
      expect(r.status).toBe(0);
    }
  });
});
