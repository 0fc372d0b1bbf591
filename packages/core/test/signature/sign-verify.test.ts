import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Crypto as PeculiarCrypto } from '@peculiar/webcrypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSelfSignedCertificate,
  type GeneratedCertificate,
} from '../../src/crypto/certificate.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { isSamlError, type SamlErrorCode } from '../../src/errors.js';
import { NS, parseXml, serializeXml } from '../../src/lib/xml.js';
import { signElement, signXml } from '../../src/signature/sign.js';
import { verifyElementSignature } from '../../src/signature/verify.js';
import { xmlsec1Available } from '../support/xmlsec1.js';

const haveXmlsec = xmlsec1Available('the signature cross-checks with xmlsec1');

const DOC = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r1" Version="2.0" IssueInstant="2024-01-01T00:00:00Z"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">https://idp.example</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="_a1" Version="2.0" IssueInstant="2024-01-01T00:00:00Z"><saml:Issuer>https://idp.example</saml:Issuer><saml:Subject><saml:NameID>alice@example.com</saml:NameID></saml:Subject><saml:AttributeStatement><saml:Attribute Name="role"><saml:AttributeValue xsi:type="xs:string">admin &amp; &lt;ops&gt;</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion></samlp:Response>`;

let rsa: GeneratedCertificate;
let ec: GeneratedCertificate;
let attacker: GeneratedCertificate;
let dir: string;

beforeAll(async () => {
  rsa = await createSelfSignedCertificate({ subject: 'idp.example', days: 30 });
  ec = await createSelfSignedCertificate({ subject: 'idp-ec.example', days: 30, alg: 'p256' });
  attacker = await createSelfSignedCertificate({ subject: 'idp.example', days: 30 });
  dir = mkdtempSync(join(tmpdir(), 'samlkit-sig-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function assertionOf(doc: Document): Element {
  return doc.getElementsByTagNameNS(NS.saml, 'Assertion')[0] as unknown as Element;
}

async function signedAssertionDoc(
  cert = rsa,
  extra: Partial<Parameters<typeof signElement>[1]> = {},
) {
  const doc = parseXml(DOC);
  await signElement(assertionOf(doc), {
    key: cert.privateKey,
    certificate: cert.certificatePem,
    ...extra,
  });
  return serializeXml(doc);
}

async function expectCode(p: Promise<unknown>, code: SamlErrorCode) {
  await expect(p).rejects.toSatisfy((e) => {
    if (!isSamlError(e, code)) throw new Error(`expected ${code}, got ${String(e)}`);
    return true;
  });
}

describe('signing and verifying', () => {
  const algs = [
    ['rsa', 'rsa-sha256', 'sha256'],
    ['rsa', 'rsa-sha384', 'sha384'],
    ['rsa', 'rsa-sha512', 'sha512'],
    ['ec', 'ecdsa-sha256', 'sha256'],
    ['ec', 'ecdsa-sha384', 'sha384'],
    ['ec', 'ecdsa-sha512', 'sha512'],
  ] as const;
  it.each(algs)('%s %s / %s verifies here and with xmlsec1', async (kind, algorithm, digest) => {
    const cert = kind === 'rsa' ? rsa : ec;
    const xml = await signedAssertionDoc(cert, { algorithm, digest });
    const doc = parseXml(xml);
    const a = assertionOf(doc);
    const v = await verifyElementSignature(a, { keys: [cert.publicKey] });
    expect(v?.element).toBe(a);
    expect(v?.algorithm.name).toBe(algorithm);
    // the signature sits right after the Issuer (SAML schema order)
    expect((a.childNodes[1] as Element).localName).toBe('Signature');
    if (haveXmlsec) {
      writeFileSync(join(dir, 'cert.pem'), cert.certificatePem);
      writeFileSync(join(dir, 'signed.xml'), xml);
      execFileSync(
        'xmlsec1',
        [
          '--verify',
          '--enabled-key-data',
          'rsa,ecdsa',
          '--pubkey-cert-pem',
          join(dir, 'cert.pem'),
          '--id-attr:ID',
          'urn:oasis:names:tc:SAML:2.0:assertion:Assertion',
          join(dir, 'signed.xml'),
        ],
        { stdio: 'pipe' },
      );
    }
  });

  it('returns null for an unsigned element', async () => {
    const doc = parseXml(DOC);
    expect(await verifyElementSignature(assertionOf(doc), { keys: [rsa.publicKey] })).toBeNull();
  });

  it('signXml signs the root or the element with the given ID', async () => {
    const signed = await signXml(DOC, { key: rsa.privateKey, id: '_a1' });
    const doc = parseXml(signed);
    expect(
      await verifyElementSignature(assertionOf(doc), { keys: [rsa.publicKey] }),
    ).not.toBeNull();
    expect(await verifyElementSignature(doc.documentElement, { keys: [rsa.publicKey] })).toBeNull();
  });

  it('works with @peculiar/webcrypto as the injected provider (the crypto seam)', async () => {
    const provider = new PeculiarCrypto() as unknown as CryptoProvider;
    const cert = await createSelfSignedCertificate({ subject: 'seam', days: 1, crypto: provider });
    const doc = parseXml(DOC);
    await signElement(assertionOf(doc), { key: cert.privateKey, crypto: provider });
    const again = parseXml(serializeXml(doc));
    const v = await verifyElementSignature(assertionOf(again), {
      keys: [cert.publicKey],
      crypto: provider,
    });
    expect(v).not.toBeNull();
  });

  it('signs concurrently with different providers', async () => {
    const peculiar = new PeculiarCrypto() as unknown as CryptoProvider;
    const cert = await createSelfSignedCertificate({ subject: 'seam', days: 1, crypto: peculiar });
    const jobs = Array.from({ length: 12 }, (_, i) => {
      const doc = parseXml(DOC);
      const onPeculiar = i % 2 === 0;
      const key = onPeculiar ? cert.privateKey : rsa.privateKey;
      const done = signElement(assertionOf(doc), {
        key,
        ...(onPeculiar ? { crypto: peculiar } : {}),
      });
      return done.then(async () => {
        const again = parseXml(serializeXml(doc));
        return verifyElementSignature(assertionOf(again), {
          keys: [onPeculiar ? cert.publicKey : rsa.publicKey],
          ...(onPeculiar ? { crypto: peculiar } : {}),
        });
      });
    });
    for (const v of await Promise.all(jobs)) expect(v).not.toBeNull();
  });
});

describe.skipIf(!haveXmlsec)('signatures made by xmlsec1', () => {
  async function xmlsecSign(c14n: string, transformC14n: string | null, prefixList?: string) {
    const inc = prefixList
      ? `<ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="${prefixList}"/>`
      : '';
    const t2 = transformC14n
      ? `<ds:Transform Algorithm="${transformC14n}">${inc}</ds:Transform>`
      : '';
    const sig = `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="${c14n}"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#_a1"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>${t2}</ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/></ds:Signature>`;
    const tmpl = DOC.replace(
      'https://idp.example</saml:Issuer><saml:Subject>',
      `https://idp.example</saml:Issuer>${sig}<saml:Subject>`,
    );
    writeFileSync(join(dir, 'tmpl.xml'), tmpl);
    writeFileSync(join(dir, 'key.pem'), rsa.privateKeyPem);
    return execFileSync('xmlsec1', [
      '--sign',
      '--privkey-pem',
      join(dir, 'key.pem'),
      '--id-attr:ID',
      'urn:oasis:names:tc:SAML:2.0:assertion:Assertion',
      join(dir, 'tmpl.xml'),
    ]).toString();
  }
  const EXC = 'http://www.w3.org/2001/10/xml-exc-c14n#';
  const INC = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315';
  it.each([
    ['exclusive', EXC, EXC, undefined],
    ['exclusive with PrefixList', EXC, EXC, 'xs #default'],
    ['inclusive', INC, INC, undefined],
    ['inclusive SignedInfo, exclusive reference', INC, EXC, undefined],
    ['enveloped only (implicit inclusive)', EXC, null, undefined],
  ])('%s', async (_n, c14n, t, prefixes) => {
    const xml = await xmlsecSign(c14n, t, prefixes);
    const doc = parseXml(xml);
    expect(
      await verifyElementSignature(assertionOf(doc), { keys: [rsa.publicKey] }),
    ).not.toBeNull();
  });
});

describe('refusals (each fails without its defence)', () => {
  it('a signature by a key that is not configured (KeyInfo key substitution)', async () => {
    // The attacker signs with their own key and embeds their own certificate in KeyInfo.
    const xml = await signedAssertionDoc(attacker);
    await expectCode(
      verifyElementSignature(assertionOf(parseXml(xml)), { keys: [rsa.publicKey] }),
      'SIGNATURE_INVALID',
    );
  });
  it('an RSA signature when only EC keys are configured', async () => {
    const xml = await signedAssertionDoc(rsa);
    await expectCode(
      verifyElementSignature(assertionOf(parseXml(xml)), { keys: [ec.publicKey] }),
      'SIGNATURE_KEY_UNTRUSTED',
    );
  });
  it('modified content', async () => {
    const xml = (await signedAssertionDoc()).replace('alice@example.com', 'admin@example.com');
    await expectCode(
      verifyElementSignature(assertionOf(parseXml(xml)), { keys: [rsa.publicKey] }),
      'SIGNATURE_DIGEST_MISMATCH',
    );
  });
  it('modified SignedInfo (the SignatureValue is checked first)', async () => {
    const xml = (await signedAssertionDoc()).replace(
      /<ds:DigestValue>[^<]+/,
      '<ds:DigestValue>AAAA',
    );
    await expectCode(
      verifyElementSignature(assertionOf(parseXml(xml)), { keys: [rsa.publicKey] }),
      'SIGNATURE_INVALID',
    );
  });
  it('SHA-1 unless allowSha1', async () => {
    const xml = await signedAssertionDoc(rsa, { algorithm: 'rsa-sha1', digest: 'sha1' });
    const a = assertionOf(parseXml(xml));
    await expectCode(
      verifyElementSignature(a, { keys: [rsa.publicKey] }),
      'SIGNATURE_ALGORITHM_FORBIDDEN',
    );
    expect(
      await verifyElementSignature(a, { keys: [rsa.publicKey], allowSha1: true }),
    ).not.toBeNull();
  });
  it('SHA-1 digest with a SHA-256 signature unless allowSha1', async () => {
    const xml = await signedAssertionDoc(rsa, { digest: 'sha1' });
    await expectCode(
      verifyElementSignature(assertionOf(parseXml(xml)), { keys: [rsa.publicKey] }),
      'SIGNATURE_ALGORITHM_FORBIDDEN',
    );
  });
  const mutate = (name: string, code: SamlErrorCode, f: (xml: string) => string) =>
    it(name, async () => {
      const xml = f(await signedAssertionDoc());
      await expectCode(
        verifyElementSignature(assertionOf(parseXml(xml)), { keys: [rsa.publicKey] }),
        code,
      );
    });
  mutate('HMAC signature method', 'SIGNATURE_ALGORITHM_FORBIDDEN', (x) =>
    x.replace(
      'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      'http://www.w3.org/2000/09/xmldsig#hmac-sha1',
    ),
  );
  mutate('unknown signature method', 'SIGNATURE_ALGORITHM_UNSUPPORTED', (x) =>
    x.replace(
      'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      'http://www.w3.org/2000/09/xmldsig#dsa-sha1',
    ),
  );
  mutate('empty Reference URI', 'SIGNATURE_REFERENCE_INVALID', (x) =>
    x.replace('URI="#_a1"', 'URI=""'),
  );
  mutate('xpointer Reference URI', 'SIGNATURE_REFERENCE_INVALID', (x) =>
    x.replace('URI="#_a1"', `URI="#xpointer(id('_a1'))"`),
  );
  mutate('Reference to another element', 'SIGNATURE_REFERENCE_INVALID', (x) =>
    x.replace('URI="#_a1"', 'URI="#_r1"'),
  );
  mutate('two References', 'SIGNATURE_REFERENCE_INVALID', (x) =>
    x.replace(/(<ds:Reference[\s\S]*?<\/ds:Reference>)/, '$1$1'),
  );
  mutate('XPath transform', 'SIGNATURE_TRANSFORM_FORBIDDEN', (x) =>
    x.replace(
      '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>',
      '<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath>not(ancestor-or-self::ds:Signature)</ds:XPath></ds:Transform>',
    ),
  );
  mutate('XSLT transform', 'SIGNATURE_TRANSFORM_FORBIDDEN', (x) =>
    x.replace(
      '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>',
      '<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116"/>',
    ),
  );
  mutate('three transforms', 'SIGNATURE_TRANSFORM_FORBIDDEN', (x) =>
    x.replace(
      '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>',
      '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>',
    ),
  );
  mutate('canonicalization WithComments', 'SIGNATURE_TRANSFORM_FORBIDDEN', (x) =>
    x.replace(
      '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>',
      '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#WithComments"/>',
    ),
  );
  mutate('two signatures on one element', 'SIGNATURE_STRUCTURE_INVALID', (x) =>
    x.replace(/(<ds:Signature[\s\S]*?<\/ds:Signature>)/, '$1$1'),
  );
  mutate('duplicate ID elsewhere in the document', 'SIGNATURE_DUPLICATE_ID', (x) =>
    x.replace(
      '<samlp:Status>',
      '<samlp:Extensions><x:y xmlns:x="urn:x" ID="_a1"/></samlp:Extensions><samlp:Status>',
    ),
  );
  mutate('missing SignatureValue', 'XML_MISSING_ELEMENT', (x) =>
    x.replace(/<ds:SignatureValue>[^<]*<\/ds:SignatureValue>/, ''),
  );
});

describe('property: no single mutation of signed content verifies', () => {
  it('changing any one character of text or attribute values inside the assertion is refused', async () => {
    const xml = await signedAssertionDoc();
    const start = xml.indexOf('<saml:Assertion');
    const end = xml.indexOf('</saml:Assertion>');
    const sigStart = xml.indexOf('<ds:Signature');
    const sigEnd = xml.indexOf('</ds:Signature>') + '</ds:Signature>'.length;
    // Positions of characters in text content or attribute values outside the signature.
    const positions: number[] = [];
    let inTag = false;
    let inQuote = false;
    for (let i = start; i < end; i++) {
      if (i >= sigStart && i < sigEnd) continue;
      const c = xml[i]!;
      if (!inTag && c === '<') inTag = true;
      else if (inTag && c === '"') inQuote = !inQuote;
      else if (inTag && !inQuote && c === '>') inTag = false;
      else if ((!inTag || inQuote) && /[A-Za-z0-9@.:_-]/.test(c)) positions.push(i);
    }
    // Namespace declarations that nothing visibly uses are outside what exclusive c14n signs
    // (exc-c14n §3), so their values are left out of the mutation space.
    const unsigned = [...xml.matchAll(/xmlns:xs="[^"]*"/g)].map((m) => [
      m.index!,
      m.index! + m[0].length,
    ]);
    const signedPositions = positions.filter((p) => !unsigned.some(([a, b]) => p >= a! && p < b!));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...signedPositions),
        fc.constantFrom('x', 'Z', '0', '_'),
        async (pos, ch) => {
          fc.pre(xml[pos] !== ch);
          const mutated = xml.slice(0, pos) + ch + xml.slice(pos + 1);
          let doc: Document;
          try {
            doc = parseXml(mutated);
          } catch (e) {
            return isSamlError(e);
          }
          const a = assertionOf(doc);
          if (!a) return true;
          try {
            await verifyElementSignature(a, { keys: [rsa.publicKey] });
            return false;
          } catch (e) {
            return isSamlError(e);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
