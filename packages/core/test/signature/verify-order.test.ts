// XML Signature Best Practices, BP 1 (authenticate before doing dangerous operations): the
// SignatureValue over SignedInfo is checked with the pinned keys before the referenced element is
// canonicalized and digested. Each test here fails when the digest is checked first.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createSelfSignedCertificate,
  type GeneratedCertificate,
} from '../../src/crypto/certificate.js';
import { isSamlError, type SamlErrorCode } from '../../src/errors.js';
import { NS, parseXml, serializeXml } from '../../src/lib/xml.js';
import { signElement } from '../../src/signature/sign.js';
import { verifyElementSignature } from '../../src/signature/verify.js';

const DOC = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r1" Version="2.0" IssueInstant="2024-01-01T00:00:00Z"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">https://idp.example</saml:Issuer><saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a1" Version="2.0" IssueInstant="2024-01-01T00:00:00Z"><saml:Issuer>https://idp.example</saml:Issuer><saml:Subject><saml:NameID>alice@example.com</saml:NameID></saml:Subject></saml:Assertion></samlp:Response>`;

let idp: GeneratedCertificate;
let attacker: GeneratedCertificate;
let signedByIdp: string;
let signedByAttacker: string;

beforeAll(async () => {
  idp = await createSelfSignedCertificate({ subject: 'idp.example', days: 30 });
  attacker = await createSelfSignedCertificate({ subject: 'idp.example', days: 30 });
  signedByIdp = await sign(idp);
  signedByAttacker = await sign(attacker);
});

async function sign(cert: GeneratedCertificate): Promise<string> {
  const doc = parseXml(DOC);
  await signElement(assertionOf(doc), { key: cert.privateKey, certificate: cert.certificatePem });
  return serializeXml(doc);
}

function assertionOf(doc: Document): Element {
  return doc.getElementsByTagNameNS(NS.saml, 'Assertion')[0] as unknown as Element;
}

/** A SignatureValue of the right length that no key made. */
function corruptSignatureValue(xml: string): string {
  return xml.replace(
    /<ds:SignatureValue>(.)/,
    (_m, c: string) => `<ds:SignatureValue>${c === 'A' ? 'B' : 'A'}`,
  );
}

async function codeOf(p: Promise<unknown>): Promise<SamlErrorCode | 'accepted'> {
  try {
    await p;
    return 'accepted';
  } catch (e) {
    if (isSamlError(e)) return e.code;
    throw e;
  }
}

/**
 * Counts reads of the NameID's text: only canonicalizing the assertion reads it (the structural
 * checks before the signature check walk elements and read ds:* text only).
 */
function watchNameIdText(doc: Document): { reads: number } {
  const watch = { reads: 0 };
  const nameId = doc.getElementsByTagNameNS(NS.saml, 'NameID')[0] as unknown as Element;
  const text = nameId.firstChild as CharacterData;
  const value = text.data;
  Object.defineProperty(text, 'data', {
    get() {
      watch.reads++;
      return value;
    },
  });
  return watch;
}

describe('the SignatureValue is checked before the referenced element is canonicalized', () => {
  it('a wrong SignatureValue: refused with SIGNATURE_INVALID, the assertion never canonicalized', async () => {
    const doc = parseXml(corruptSignatureValue(signedByIdp));
    const watch = watchNameIdText(doc);
    expect(await codeOf(verifyElementSignature(assertionOf(doc), { keys: [idp.publicKey] }))).toBe(
      'SIGNATURE_INVALID',
    );
    expect(watch.reads).toBe(0);
  });

  it('the same watch sees the canonicalization when the signature verifies (control)', async () => {
    const doc = parseXml(signedByIdp);
    const watch = watchNameIdText(doc);
    const v = await verifyElementSignature(assertionOf(doc), { keys: [idp.publicKey] });
    expect(v).not.toBeNull();
    expect(watch.reads).toBeGreaterThan(0);
  });

  it('tampered content signed by another key is SIGNATURE_INVALID, not SIGNATURE_DIGEST_MISMATCH', async () => {
    const xml = signedByAttacker.replace('alice@example.com', 'admin@example.com');
    const doc = parseXml(xml);
    const watch = watchNameIdText(doc);
    expect(await codeOf(verifyElementSignature(assertionOf(doc), { keys: [idp.publicKey] }))).toBe(
      'SIGNATURE_INVALID',
    );
    expect(watch.reads).toBe(0);
  });

  it('a referenced element the canonicalizer refuses, under a wrong SignatureValue: SIGNATURE_INVALID', async () => {
    // A relative namespace URI deep in the assertion makes canonicalizing it fail with
    // XML_INVALID_VALUE (Canonical XML 1.0 §2); checked first, the bad signature wins.
    const hostile = corruptSignatureValue(signedByIdp).replace(
      '<saml:Subject>',
      '<saml:Subject><x:e xmlns:x="not/absolute"/>',
    );
    expect(
      await codeOf(
        verifyElementSignature(assertionOf(parseXml(hostile)), { keys: [idp.publicKey] }),
      ),
    ).toBe('SIGNATURE_INVALID');
    // With the signature intact, the content is then reached and refused.
    const reached = signedByIdp.replace(
      '<saml:Subject>',
      '<saml:Subject><x:e xmlns:x="not/absolute"/>',
    );
    expect(
      await codeOf(
        verifyElementSignature(assertionOf(parseXml(reached)), { keys: [idp.publicKey] }),
      ),
    ).toBe('XML_INVALID_VALUE');
  });

  it('a valid signature over modified content is still SIGNATURE_DIGEST_MISMATCH', async () => {
    const xml = signedByIdp.replace('alice@example.com', 'admin@example.com');
    expect(
      await codeOf(verifyElementSignature(assertionOf(parseXml(xml)), { keys: [idp.publicKey] })),
    ).toBe('SIGNATURE_DIGEST_MISMATCH');
  });
});

describe('structural limits on SignedInfo hold before any key is tried', () => {
  const EXC = 'http://www.w3.org/2001/10/xml-exc-c14n#';
  const withList = (xml: string, list: string) =>
    xml.replace(
      `<ds:Transform Algorithm="${EXC}"/>`,
      `<ds:Transform Algorithm="${EXC}"><ec:InclusiveNamespaces xmlns:ec="${EXC}" PrefixList="${list}"/></ds:Transform>`,
    );
  it('a PrefixList longer than 64 prefixes: SIGNATURE_TRANSFORM_FORBIDDEN', async () => {
    const list = Array.from({ length: 65 }, (_, i) => `p${i}`).join(' ');
    const xml = withList(signedByIdp, list);
    expect(xml).not.toBe(signedByIdp);
    expect(
      await codeOf(verifyElementSignature(assertionOf(parseXml(xml)), { keys: [idp.publicKey] })),
    ).toBe('SIGNATURE_TRANSFORM_FORBIDDEN');
    // at the bound it is read (and the signature, made without it, no longer verifies)
    const atBound = withList(signedByIdp, Array.from({ length: 64 }, (_, i) => `p${i}`).join(' '));
    expect(
      await codeOf(
        verifyElementSignature(assertionOf(parseXml(atBound)), { keys: [idp.publicKey] }),
      ),
    ).toBe('SIGNATURE_INVALID');
  });
  it('two InclusiveNamespaces, or parameters on inclusive c14n: SIGNATURE_TRANSFORM_FORBIDDEN', async () => {
    const two = signedByIdp.replace(
      `<ds:Transform Algorithm="${EXC}"/>`,
      `<ds:Transform Algorithm="${EXC}"><ec:InclusiveNamespaces xmlns:ec="${EXC}" PrefixList="a"/><ec:InclusiveNamespaces xmlns:ec="${EXC}" PrefixList="b"/></ds:Transform>`,
    );
    expect(
      await codeOf(verifyElementSignature(assertionOf(parseXml(two)), { keys: [idp.publicKey] })),
    ).toBe('SIGNATURE_TRANSFORM_FORBIDDEN');
    const INC = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315';
    const onInclusive = signedByIdp.replace(
      `<ds:Transform Algorithm="${EXC}"/>`,
      `<ds:Transform Algorithm="${INC}"><ec:InclusiveNamespaces xmlns:ec="${EXC}" PrefixList="a"/></ds:Transform>`,
    );
    expect(
      await codeOf(
        verifyElementSignature(assertionOf(parseXml(onInclusive)), { keys: [idp.publicKey] }),
      ),
    ).toBe('SIGNATURE_TRANSFORM_FORBIDDEN');
  });
});
