import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SignatureAlgorithmName, validateResponse } from '@samlkit/core';
import { buildResponse, generateTestKeys, type TestKeys } from '@samlkit/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xmlsec1Available } from '../support/xmlsec1.js';

// Cross-checks with an independent XML-DSig implementation (xmlsec1): what testkit signs,
// xmlsec1 verifies; what xmlsec1 signs, validateResponse accepts. A bug shared by our signer and
// our verifier cannot hide here.

const haveXmlsec1 = xmlsec1Available('the Response cross-checks with xmlsec1');

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

let dir: string;
let rsa: TestKeys;
let ec: TestKeys;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'samlkit-xmlsec1-'));
  [rsa, ec] = await Promise.all([generateTestKeys(), generateTestKeys({ alg: 'p256' })]);
  writeFileSync(join(dir, 'rsa-cert.pem'), rsa.certificatePem);
  writeFileSync(join(dir, 'rsa-key.pem'), rsa.privateKeyPem);
  writeFileSync(join(dir, 'ec-cert.pem'), ec.certificatePem);
  writeFileSync(join(dir, 'ec-key.pem'), ec.privateKeyPem);
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function xmlsec1(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync('xmlsec1', args, { cwd: dir, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

function verifyWithXmlsec1(
  xml: string,
  cert: string,
  n: number,
): { status: number | null; stderr: string } {
  writeFileSync(join(dir, 'in.xml'), xml);
  return xmlsec1([
    '--verify',
    '--enabled-key-data',
    'rsa,ecdsa',
    '--pubkey-cert-pem',
    cert,
    '--node-xpath',
    `(//*[local-name()='Signature' and namespace-uri()='http://www.w3.org/2000/09/xmldsig#'])[${n}]`,
    ...ID_ATTRS,
    'in.xml',
  ]);
}

const CASES: [string, 'rsa' | 'ec', SignatureAlgorithmName, 'sha256' | 'sha384' | 'sha512'][] = [
  ['rsa-sha256', 'rsa', 'rsa-sha256', 'sha256'],
  ['rsa-sha384', 'rsa', 'rsa-sha384', 'sha384'],
  ['rsa-sha512', 'rsa', 'rsa-sha512', 'sha512'],
  ['ecdsa-sha256', 'ec', 'ecdsa-sha256', 'sha256'],
  ['ecdsa-sha384', 'ec', 'ecdsa-sha384', 'sha384'],
  ['ecdsa-sha512', 'ec', 'ecdsa-sha512', 'sha512'],
];

describe.skipIf(!haveXmlsec1)('testkit signatures verify with xmlsec1', () => {
  it.each(CASES)('%s, Response and Assertion signed', async (_n, kind, algorithm, digest) => {
    const keys = kind === 'rsa' ? rsa : ec;
    const xml = await buildResponse({
      idpEntityId: IDP,
      spEntityId: SP,
      acsUrl: ACS,
      now: NOW,
      signingKey: keys,
      sign: 'both',
      algorithm,
      digest,
      attributes: [{ name: 'mail', values: ['a@example.com'] }],
    });
    const cert = `${kind}-cert.pem`;
    // Signature 1 is the Response's, 2 the Assertion's (document order).
    for (const n of [1, 2]) {
      const r = verifyWithXmlsec1(xml, cert, n);
      expect(r.stderr).toContain('OK');
      expect(r.status).toBe(0);
    }
    // Negative control: the other key must not verify.
    expect(
      verifyWithXmlsec1(xml, kind === 'rsa' ? 'ec-cert.pem' : 'rsa-cert.pem', 1).status,
    ).not.toBe(0);
  });
});

/** An unsigned Response with a ds:Signature template in the Assertion, for xmlsec1 --sign. */
function template(xml: string, assertionId: string, sigAlg: string, digestAlg: string): string {
  const sig =
    '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>' +
    '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>' +
    `<ds:SignatureMethod Algorithm="${sigAlg}"/>` +
    `<ds:Reference URI="#${assertionId}"><ds:Transforms>` +
    '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>' +
    '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>' +
    `</ds:Transforms><ds:DigestMethod Algorithm="${digestAlg}"/><ds:DigestValue/></ds:Reference>` +
    '</ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>';
  return xml.replace(/(<saml:Assertion[^>]*>\s*<saml:Issuer>[^<]*<\/saml:Issuer>)/, `$1${sig}`);
}

describe.skipIf(!haveXmlsec1)('xmlsec1 signatures are accepted by validateResponse', () => {
  it.each([
    [
      'rsa-sha256',
      'rsa',
      'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      'http://www.w3.org/2001/04/xmlenc#sha256',
    ],
    [
      'rsa-sha512',
      'rsa',
      'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
      'http://www.w3.org/2001/04/xmlenc#sha512',
    ],
    [
      'ecdsa-sha256',
      'ec',
      'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256',
      'http://www.w3.org/2001/04/xmlenc#sha256',
    ],
  ] as const)('%s', async (_n, kind, sigAlg, digestAlg) => {
    const keys = kind === 'rsa' ? rsa : ec;
    const unsigned = await buildResponse({
      idpEntityId: IDP,
      spEntityId: SP,
      acsUrl: ACS,
      now: NOW,
      sign: 'none',
      assertionId: '_xmlsec1assertion',
      nameId: { value: 'signed-by-xmlsec1@example.com' },
      attributes: [{ name: 'role', values: ['x', 'y'] }],
    });
    writeFileSync(
      join(dir, 'tmpl.xml'),
      template(unsigned, '_xmlsec1assertion', sigAlg, digestAlg),
    );
    const r = xmlsec1([
      '--sign',
      '--privkey-pem',
      `${kind}-key.pem,${kind}-cert.pem`,
      ...ID_ATTRS,
      '--output',
      'signed.xml',
      'tmpl.xml',
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const signed = readFileSync(join(dir, 'signed.xml'), 'utf8');
    const result = await validateResponse(signed, {
      sp: { entityId: SP, acsUrl: ACS },
      idp: { entityId: IDP, signingKeys: [keys.publicKey] },
      now: NOW,
      allowUnsolicited: true,
    });
    expect(result.userId).toBe('signed-by-xmlsec1@example.com');
    expect(result.attributes['role']).toEqual(['x', 'y']);
    expect(result.signature.assertion).toBe(true);
  });
});
