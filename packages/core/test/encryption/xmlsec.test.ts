// Cross-checks with xmlsec1 (the reference XML Encryption implementation), both ways:
// xmlsec1 --encrypt → decryptElement, and encryptElement → xmlsec1 --decrypt.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataEncryptionAlgorithmName, GeneratedCertificate } from '@samlkit/core';
import { decryptElement, encryptElement } from '@samlkit/core/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalize } from '../../src/lib/c14n.js';
import { serializeXml } from '../../src/lib/xml.js';
import { xmlsec1Available } from '../support/xmlsec1.js';
import { first, parse, responseXml, SAML, spKeyPair, XENC, XENC11 } from './helpers.js';

const haveXmlsec = xmlsec1Available('the encryption cross-checks with xmlsec1');

const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
const DATA: Array<[DataEncryptionAlgorithmName, string, string]> = [
  ['aes128-cbc', `${XENC}aes128-cbc`, 'aes-128'],
  ['aes192-cbc', `${XENC}aes192-cbc`, 'aes-192'],
  ['aes256-cbc', `${XENC}aes256-cbc`, 'aes-256'],
  ['aes128-gcm', `${XENC11}aes128-gcm`, 'aes-128'],
  ['aes192-gcm', `${XENC11}aes192-gcm`, 'aes-192'],
  ['aes256-gcm', `${XENC11}aes256-gcm`, 'aes-256'],
];
// xmlsec1 1.2.x implements rsa-oaep-mgf1p (with OAEPparams) but not xmlenc11#rsa-oaep.
const TRANSPORTS: Array<[string, string]> = [
  ['rsa-oaep-mgf1p', `<xenc:EncryptionMethod Algorithm="${XENC}rsa-oaep-mgf1p"/>`],
  [
    'rsa-oaep-mgf1p + DigestMethod sha1',
    `<xenc:EncryptionMethod Algorithm="${XENC}rsa-oaep-mgf1p"><ds:DigestMethod Algorithm="${DSIG}sha1"/></xenc:EncryptionMethod>`,
  ],
  [
    'rsa-oaep-mgf1p + OAEPparams',
    `<xenc:EncryptionMethod Algorithm="${XENC}rsa-oaep-mgf1p"><xenc:OAEPparams>c2FtbGtpdA==</xenc:OAEPparams></xenc:EncryptionMethod>`,
  ],
];

let dir = '';
let sp: GeneratedCertificate;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'samlkit-xmlsec-'));
  sp = await spKeyPair('xmlsec');
  writeFileSync(join(dir, 'sp-key.pem'), sp.privateKeyPem);
  writeFileSync(join(dir, 'sp-cert.pem'), sp.certificatePem);
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function xmlsec(args: string[]): string {
  const r = spawnSync('xmlsec1', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`xmlsec1 ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

/** The data document xmlsec1 encrypts in place: an Assertion inside an EncryptedAssertion. */
function dataDocument(): { xml: string; expected: string } {
  const doc = parse(responseXml());
  const assertion = first(doc, SAML, 'Assertion');
  const expected = canonicalize(assertion, { exclusive: true });
  // The QName prefixes (xs, xsi) stay declared on the container only, as on a Response root.
  const xml =
    `<saml:EncryptedAssertion xmlns:saml="${SAML}" xmlns:xs="http://www.w3.org/2001/XMLSchema" ` +
    `xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">${serializeXml(assertion)}</saml:EncryptedAssertion>`;
  return { xml, expected };
}

function template(dataUri: string, keyMethod: string): string {
  return (
    `<xenc:EncryptedData xmlns:xenc="${XENC}" Type="${XENC}Element">` +
    `<xenc:EncryptionMethod Algorithm="${dataUri}"/><ds:KeyInfo xmlns:ds="${DSIG}">` +
    `<xenc:EncryptedKey>${keyMethod}<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedKey>` +
    '</ds:KeyInfo><xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedData>'
  );
}

function xmlsecEncrypt(dataUri: string, keyMethod: string, sessionKey: string) {
  const { xml, expected } = dataDocument();
  writeFileSync(join(dir, 'data.xml'), xml);
  writeFileSync(join(dir, 'tmpl.xml'), template(dataUri, keyMethod));
  xmlsec([
    '--encrypt',
    '--pubkey-cert-pem',
    'sp-cert.pem',
    '--session-key',
    sessionKey,
    '--xml-data',
    'data.xml',
    '--node-name',
    `${SAML}:Assertion`,
    '--output',
    'out.xml',
    'tmpl.xml',
  ]);
  const out = readFileSync(join(dir, 'out.xml'), 'utf8');
  return { container: parse(out).documentElement as unknown as Element, expected, out };
}

describe.skipIf(!haveXmlsec)('xmlsec1 --encrypt → decryptElement', () => {
  const cases = TRANSPORTS.flatMap(([t, m]) =>
    DATA.map(([n, uri, s]) => [t, n, m, uri, s] as const),
  );

  it.each(cases)('%s with %s', async (_t, _n, keyMethod, dataUri, sessionKey) => {
    const { container, expected, out } = xmlsecEncrypt(dataUri, keyMethod, sessionKey);
    expect(out).not.toContain('alice@example.com');
    const assertion = await decryptElement(container, [sp.privateKey]);
    expect(canonicalize(assertion, { exclusive: true })).toBe(expected);
    // xs is declared only on the container: the QName in xsi:type="xs:string" keeps its meaning,
    // as a signature with InclusiveNamespaces PrefixList="xs" needs.
    expect(out).not.toMatch(/<saml:Assertion[^>]*xmlns:xs=/);
    expect(first(assertion, SAML, 'AttributeValue').lookupNamespaceURI('xs')).toBe(
      'http://www.w3.org/2001/XMLSchema',
    );
    expect(canonicalize(assertion, { exclusive: true, inclusivePrefixes: ['xs'] })).toContain(
      'xmlns:xs="http://www.w3.org/2001/XMLSchema"',
    );
  });

  it('rsa-1_5 from xmlsec1 is refused with ENCRYPTION_ALGORITHM_UNSUPPORTED', async () => {
    const { container } = xmlsecEncrypt(
      `${XENC}aes256-cbc`,
      `<xenc:EncryptionMethod Algorithm="${XENC}rsa-1_5"/>`,
      'aes-256',
    );
    await expect(decryptElement(container, [sp.privateKey])).rejects.toMatchObject({
      code: 'ENCRYPTION_ALGORITHM_UNSUPPORTED',
    });
  });

  it('tripledes-cbc from xmlsec1 is refused with ENCRYPTION_ALGORITHM_UNSUPPORTED', async () => {
    const { container } = xmlsecEncrypt(
      `${XENC}tripledes-cbc`,
      `<xenc:EncryptionMethod Algorithm="${XENC}rsa-oaep-mgf1p"/>`,
      'des-192',
    );
    await expect(decryptElement(container, [sp.privateKey])).rejects.toMatchObject({
      code: 'ENCRYPTION_ALGORITHM_UNSUPPORTED',
    });
  });

  it('the wrong SP key is refused with DECRYPTION_FAILED', async () => {
    const { container } = xmlsecEncrypt(
      `${XENC}aes256-cbc`,
      `<xenc:EncryptionMethod Algorithm="${XENC}rsa-oaep-mgf1p"/>`,
      'aes-256',
    );
    const other = await spKeyPair('xmlsec-other');
    await expect(decryptElement(container, [other.privateKey])).rejects.toMatchObject({
      code: 'DECRYPTION_FAILED',
    });
  });
});

describe.skipIf(!haveXmlsec)('encryptElement → xmlsec1 --decrypt', () => {
  const cases = DATA.flatMap(([n]) =>
    (['keyinfo', 'retrieval-method'] as const).map((p) => [n, p] as const),
  );

  it.each(cases)('%s, EncryptedKey placement %s', async (dataAlgorithm, keyPlacement) => {
    const doc = parse(responseXml());
    const assertion = first(doc, SAML, 'Assertion');
    const expected = canonicalize(assertion, { exclusive: true });
    await encryptElement(assertion, sp.publicKey, {
      dataAlgorithm,
      keyTransport: 'rsa-oaep-mgf1p',
      keyPlacement,
    });
    writeFileSync(join(dir, 'ours.xml'), serializeXml(doc));
    xmlsec([
      '--decrypt',
      '--privkey-pem',
      'sp-key.pem',
      '--id-attr:Id',
      `${XENC}:EncryptedKey`,
      '--output',
      'ours-dec.xml',
      'ours.xml',
    ]);
    const decrypted = parse(readFileSync(join(dir, 'ours-dec.xml'), 'utf8'));
    expect(canonicalize(first(decrypted, SAML, 'Assertion'), { exclusive: true })).toBe(expected);
  });
});
