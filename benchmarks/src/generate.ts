// Generates the benchmark documents at bench time with samlkit's own signing (testkit's
// buildResponse → signXml) and encryption (encryptElement). Written once to a JSON file that
// every benchmark process reads, so all of them validate byte-identical documents.

import { loadPublicKey } from '@samlkit/core';
import { encryptElement } from '@samlkit/core/xml';
import { buildResponse, generateTestKeys, type TestAttribute } from '@samlkit/testkit';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import {
  byteLength,
  type DocumentPair,
  type Fixtures,
  NAME_ID,
  type SizeName,
  type VariantName,
} from './fixtures.js';

const TAMPERED_NAME_ID = 'mallory.benchmark@example.com';
const URI = 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri';
/** Documents stay valid this long, for the peers that read the real clock. */
export const VALIDITY_MS = 3 * 60 * 60 * 1000;

/** The attribute statement per size: ~4 KB, ~20 KB and ~200 KB documents. */
export function attributesFor(size: SizeName): TestAttribute[] {
  const base: TestAttribute[] = [
    {
      name: 'urn:oid:0.9.2342.19200300.100.1.3',
      friendlyName: 'mail',
      nameFormat: URI,
      values: ['alice@example.com'],
    },
    { name: 'urn:oid:2.5.4.42', friendlyName: 'givenName', nameFormat: URI, values: ['Alice'] },
    { name: 'urn:oid:2.5.4.4', friendlyName: 'sn', nameFormat: URI, values: ['Benchmark'] },
  ];
  if (size === 'small') return base;
  if (size === 'medium') {
    const extra: TestAttribute[] = [];
    for (let i = 0; i < 47; i++) {
      extra.push({
        name: `https://idp.bench.example/attributes/profile-claim-${String(i).padStart(2, '0')}`,
        friendlyName: `profileClaim${i}`,
        nameFormat: URI,
        values: [
          `value ${i} of a typical enterprise directory claim, e.g. department or cost centre`,
        ],
      });
    }
    return [...base, ...extra];
  }
  // large: one group-membership attribute with ~1000 values, as directories send for power users.
  const groups: string[] = [];
  for (let i = 0; i < 997; i++) {
    groups.push(
      `CN=application-access-group-${String(i).padStart(4, '0')},OU=Application Access Groups,OU=Security Groups,OU=Corporate,DC=bench,DC=example,DC=com`,
    );
  }
  return [
    ...base,
    {
      name: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups',
      friendlyName: 'memberOf',
      nameFormat: URI,
      values: groups,
    },
  ];
}

function countValues(attrs: readonly TestAttribute[]): number {
  return attrs.reduce((n, a) => n + a.values.length, 0);
}

/**
 * Generates every document for the given sizes: keys, then per size and variant a valid Response
 * and a tampered copy (NameID changed after signing; for the encrypted variant, changed inside the
 * signed assertion and re-encrypted to the SP, as an attacker holding the SP's public key can).
 */
export async function generateFixtures(sizes: readonly SizeName[]): Promise<Fixtures> {
  const generatedAt = Date.now();
  const now = generatedAt;
  const idpRsa = await generateTestKeys({
    alg: 'rsa2048',
    subject: 'bench idp rsa',
    now: new Date(now - 86_400_000),
  });
  const idpEc = await generateTestKeys({
    alg: 'p256',
    subject: 'bench idp ec',
    now: new Date(now - 86_400_000),
  });
  const sp = await generateTestKeys({
    alg: 'rsa2048',
    subject: 'bench sp',
    now: new Date(now - 86_400_000),
  });
  const spPublic = loadPublicKey(sp.certificatePem);
  const idpEntityId = 'https://idp.bench.example/metadata';
  const spEntityId = 'https://sp.bench.example/saml/metadata';
  const acsUrl = 'https://sp.bench.example/saml/acs';
  const requestId = '_bench-request-5f1c0e7a9d2b4c3e8a6f';

  const encryptTo = async (assertionXml: string): Promise<string> => {
    const doc = new DOMParser().parseFromString(assertionXml, 'text/xml');
    const container = await encryptElement(doc.documentElement as unknown as Element, spPublic, {
      dataAlgorithm: 'aes256-gcm',
      keyTransport: 'rsa-oaep-mgf1p',
    });
    return new XMLSerializer().serializeToString(container as never);
  };
  const tamper = (xml: string): string => {
    const out = xml.replace(`>${NAME_ID}</saml:NameID>`, `>${TAMPERED_NAME_ID}</saml:NameID>`);
    if (out === xml) throw new Error('tampering failed: NameID not found');
    return out;
  };

  const documents: Fixtures['documents'] = {};
  const attributeValues: Record<string, number> = {};
  for (const size of sizes) {
    const attributes = attributesFor(size);
    attributeValues[size] = countValues(attributes);
    const common = {
      idpEntityId,
      spEntityId,
      acsUrl,
      now,
      inResponseTo: requestId,
      nameId: { value: NAME_ID, format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' },
      attributes,
      notOnOrAfter: now + VALIDITY_MS,
      subjectConfirmation: { notOnOrAfter: now + VALIDITY_MS },
    } as const;
    const rsaKey = { privateKey: idpRsa.privateKey, certificatePem: idpRsa.certificatePem };
    const ecKey = { privateKey: idpEc.privateKey, certificatePem: idpEc.certificatePem };
    const pairs: Partial<Record<VariantName, DocumentPair>> = {};

    const a = await buildResponse({ ...common, sign: 'assertion', signingKey: rsaKey });
    pairs['rsa-assertion'] = { valid: a, tampered: tamper(a), bytes: byteLength(a) };
    const b = await buildResponse({ ...common, sign: 'both', signingKey: rsaKey });
    pairs['rsa-response-and-assertion'] = { valid: b, tampered: tamper(b), bytes: byteLength(b) };
    const c = await buildResponse({ ...common, sign: 'assertion', signingKey: ecKey });
    pairs['ecdsa-assertion'] = { valid: c, tampered: tamper(c), bytes: byteLength(c) };
    const d = await buildResponse({
      ...common,
      sign: 'assertion',
      signingKey: rsaKey,
      encrypt: encryptTo,
    });
    const dBad = await buildResponse({
      ...common,
      sign: 'assertion',
      signingKey: rsaKey,
      encrypt: (signed) => encryptTo(tamper(signed)),
    });
    pairs['rsa-encrypted'] = { valid: d, tampered: dBad, bytes: byteLength(d) };
    documents[size] = pairs;
  }
  return {
    generatedAt,
    now,
    idpEntityId,
    spEntityId,
    acsUrl,
    requestId,
    nameId: NAME_ID,
    idpRsaCertPem: idpRsa.certificatePem,
    idpRsaPrivateKeyPem: idpRsa.privateKeyPem,
    idpEcCertPem: idpEc.certificatePem,
    spPrivateKeyPem: sp.privateKeyPem,
    spCertPem: sp.certificatePem,
    documents,
    attributeValues,
  };
}
