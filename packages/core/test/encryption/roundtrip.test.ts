import { type DataEncryptionAlgorithmName, isSamlError, type PrivateKey } from '@samlkit/core';
import { decryptElement, type EncryptOptions, encryptElement } from '@samlkit/core/xml';
import { describe, expect, it } from 'vitest';
import { canonicalize } from '../../src/lib/c14n.js';
import {
  editCipherValue,
  first,
  parse,
  rawEncryptedAssertion,
  responseXml,
  SAML,
  spKeyPair,
  XENC,
  XENC11,
} from './helpers.js';

const DATA: DataEncryptionAlgorithmName[] = [
  'aes128-cbc',
  'aes192-cbc',
  'aes256-cbc',
  'aes128-gcm',
  'aes192-gcm',
  'aes256-gcm',
];

type Transport = Pick<EncryptOptions, 'keyTransport' | 'digest' | 'mgf'>;
const TRANSPORTS: Array<[string, Transport]> = [
  ['rsa-oaep-mgf1p', { keyTransport: 'rsa-oaep-mgf1p' }],
  ['rsa-oaep-mgf1p + DigestMethod sha1', { keyTransport: 'rsa-oaep-mgf1p', digest: 'sha1' }],
  [
    'xmlenc11 rsa-oaep sha1/mgf1sha1',
    { keyTransport: 'rsa-oaep', digest: 'sha1', mgf: 'mgf1sha1' },
  ],
  ['xmlenc11 rsa-oaep sha256/mgf1sha256', { keyTransport: 'rsa-oaep', digest: 'sha256' }],
  [
    'xmlenc11 rsa-oaep sha384/mgf1sha384',
    { keyTransport: 'rsa-oaep', digest: 'sha384', mgf: 'mgf1sha384' },
  ],
  [
    'xmlenc11 rsa-oaep sha512/mgf1sha512',
    { keyTransport: 'rsa-oaep', digest: 'sha512', mgf: 'mgf1sha512' },
  ],
];

const COMBOS = TRANSPORTS.flatMap(([tName, t]) => DATA.map((d) => [tName, d, t] as const));

async function expectCode(p: Promise<unknown>, code: string): Promise<Error> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isSamlError(err), String(err)).toBe(true);
  expect((err as { code: string }).code).toBe(code);
  return err as Error;
}

/** Encrypts the Assertion of a fresh Response in place; returns the document and originals. */
async function encryptedResponse(options: Omit<EncryptOptions, 'crypto'>, keyName = 'a') {
  const { publicKey } = await spKeyPair(keyName);
  const doc = parse(responseXml());
  const assertion = first(doc, SAML, 'Assertion');
  const expected = canonicalize(assertion, { exclusive: true });
  const container = await encryptElement(assertion, publicKey, options);
  return { doc, container, expected };
}

describe('encryptElement → decryptElement, every key transport × data algorithm', () => {
  it.each(COMBOS)('%s with %s', async (_t, dataAlgorithm, transport) => {
    const { doc, container, expected } = await encryptedResponse({ dataAlgorithm, ...transport });
    expect(first(doc, SAML, 'EncryptedAssertion')).toBe(container);
    expect(doc.getElementsByTagNameNS(SAML, 'Assertion').length).toBe(0);
    const { privateKey } = await spKeyPair('a');
    const out = await decryptElement(container, [privateKey]);
    expect(out.localName).toBe('Assertion');
    expect(out.ownerDocument.documentElement).toBe(out);
    // Exclusive c14n (what the assertion's signature covers) is unchanged, QName values included.
    expect(canonicalize(out, { exclusive: true })).toBe(expected);
    expect(canonicalize(out, { exclusive: true, inclusivePrefixes: ['xs', 'xsi'] })).toContain(
      'xmlns:xs="http://www.w3.org/2001/XMLSchema"',
    );
  });
});

describe('content fidelity', () => {
  it('carriage returns in text and CDATA sections survive (XML 1.0 §2.11 line-end handling)', async () => {
    const { publicKey, privateKey } = await spKeyPair('a');
    const doc = parse(responseXml('<saml:Advice>a&#13;b</saml:Advice>'));
    first(doc, SAML, 'Advice').appendChild(doc.createCDATASection('c\r<d>'));
    const assertion = first(doc, SAML, 'Assertion');
    const expected = canonicalize(assertion, { exclusive: true });
    expect(expected).toContain('a&#xD;bc&#xD;&lt;d&gt;');
    const container = await encryptElement(assertion, publicKey, {
      dataAlgorithm: 'aes256-gcm',
      keyTransport: 'rsa-oaep-mgf1p',
    });
    const out = await decryptElement(container, [privateKey]);
    expect(canonicalize(out, { exclusive: true })).toBe(expected);
  });
});

describe('EncryptedKey placements', () => {
  it.each(['keyinfo', 'retrieval-method', 'key-name'] as const)(
    '%s decrypts and has the documented shape',
    async (keyPlacement) => {
      const { container, expected } = await encryptedResponse({
        dataAlgorithm: 'aes256-gcm',
        keyTransport: 'rsa-oaep-mgf1p',
        keyPlacement,
      });
      const data = first(container, XENC, 'EncryptedData');
      const sibling = Array.from(container.childNodes).filter(
        (n) => (n as Element).localName === 'EncryptedKey',
      );
      expect(sibling.length).toBe(keyPlacement === 'keyinfo' ? 0 : 1);
      if (keyPlacement === 'retrieval-method') {
        expect(
          data.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'RetrievalMethod')
            .length,
        ).toBe(1);
      }
      const { privateKey } = await spKeyPair('a');
      const out = await decryptElement(container, [privateKey]);
      expect(canonicalize(out, { exclusive: true })).toBe(expected);
    },
  );

  it('a RetrievalMethod resolves only inside the container, never elsewhere in the document', async () => {
    const { doc, container } = await encryptedResponse({
      dataAlgorithm: 'aes256-gcm',
      keyTransport: 'rsa-oaep-mgf1p',
      keyPlacement: 'retrieval-method',
    });
    // Move the referenced EncryptedKey out of the container, to the Response root.
    const ek = first(container, XENC, 'EncryptedKey');
    doc.documentElement.appendChild(ek);
    const { privateKey } = await spKeyPair('a');
    await expectCode(decryptElement(container, [privateKey]), 'XML_MISSING_ELEMENT');
  });
});

describe('EncryptedID and EncryptedAttribute', () => {
  it('NameID → EncryptedID → NameID', async () => {
    const { publicKey, privateKey } = await spKeyPair('a');
    const doc = parse(responseXml());
    const nameId = first(doc, SAML, 'NameID');
    const container = await encryptElement(nameId, publicKey, {
      dataAlgorithm: 'aes128-gcm',
      keyTransport: 'rsa-oaep',
    });
    expect(container.localName).toBe('EncryptedID');
    expect(container.parentNode).toBe(first(doc, SAML, 'Subject'));
    const out = await decryptElement(container, [privateKey]);
    expect(out.localName).toBe('NameID');
    expect(out.textContent).toBe('alice@example.com');
  });

  it('Attribute → EncryptedAttribute → Attribute, with its xsi:type prefixes intact', async () => {
    const { publicKey, privateKey } = await spKeyPair('a');
    const doc = parse(responseXml());
    const attribute = first(doc, SAML, 'Attribute');
    const container = await encryptElement(attribute, publicKey, {
      dataAlgorithm: 'aes256-cbc',
      keyTransport: 'rsa-oaep-mgf1p',
    });
    expect(container.localName).toBe('EncryptedAttribute');
    const out = await decryptElement(container, [privateKey]);
    const value = first(out, SAML, 'AttributeValue');
    expect(value.lookupNamespaceURI('xs')).toBe('http://www.w3.org/2001/XMLSchema');
  });

  it('a container that decrypts to the wrong kind of element is refused', async () => {
    const { publicKey, privateKey } = await spKeyPair('a');
    const doc = parse(responseXml());
    const container = await encryptElement(first(doc, SAML, 'NameID'), publicKey, {
      dataAlgorithm: 'aes256-gcm',
      keyTransport: 'rsa-oaep-mgf1p',
    });
    // Relabel EncryptedID as EncryptedAssertion: the NameID inside is not an Assertion.
    const fake = doc.createElementNS(SAML, 'saml:EncryptedAssertion');
    while (container.firstChild) fake.appendChild(container.firstChild);
    await expectCode(decryptElement(fake, [privateKey]), 'XML_UNEXPECTED_ELEMENT');
  });
});

describe('key rollover', () => {
  it('finds the right key among several configured ones, in any order', async () => {
    const { container, expected } = await encryptedResponse(
      { dataAlgorithm: 'aes256-gcm', keyTransport: 'rsa-oaep-mgf1p' },
      'new',
    );
    const keys = await Promise.all(['old', 'other', 'new'].map(spKeyPair));
    const all = keys.map((k) => k.privateKey);
    for (const order of [all, [...all].reverse()]) {
      const out = await decryptElement(container, order);
      expect(canonicalize(out, { exclusive: true })).toBe(expected);
    }
  });

  it('tries every EncryptedKey (an IdP encrypting for the old and the new SP certificate)', async () => {
    const { container, expected } = await encryptedResponse(
      { dataAlgorithm: 'aes128-cbc', keyTransport: 'rsa-oaep-mgf1p', keyPlacement: 'key-name' },
      'new',
    );
    // Add a decoy EncryptedKey for an unrelated key before the real one, carrying the same name.
    const real = first(container, XENC, 'EncryptedKey');
    const decoy = real.cloneNode(true) as Element;
    editCipherValue(first(decoy, XENC, 'CipherValue'), (b) => {
      b[10]! ^= 0xff;
    });
    container.insertBefore(decoy, real);
    const { privateKey } = await spKeyPair('new');
    const out = await decryptElement(container, [privateKey]);
    expect(canonicalize(out, { exclusive: true })).toBe(expected);
  });

  it('EC keys are skipped; with no RSA key at all the configuration is refused', async () => {
    const ec = await (await import('@samlkit/core')).createSelfSignedCertificate({
      subject: 'ec.example.com',
      days: 1,
      alg: 'p256',
    });
    const { container } = await encryptedResponse({
      dataAlgorithm: 'aes256-gcm',
      keyTransport: 'rsa-oaep-mgf1p',
    });
    await expectCode(decryptElement(container, [ec.privateKey]), 'KEY_ALGORITHM_UNSUPPORTED');
    const { privateKey } = await spKeyPair('a');
    const out = await decryptElement(container, [ec.privateKey, privateKey]);
    expect(out.localName).toBe('Assertion');
  });
});

describe('refusals: wrong key, tampering, no padding oracle', () => {
  const failures: string[] = [];

  it('wrong key → DECRYPTION_FAILED', async () => {
    const { container } = await encryptedResponse({
      dataAlgorithm: 'aes256-gcm',
      keyTransport: 'rsa-oaep-mgf1p',
    });
    const { privateKey } = await spKeyPair('other');
    failures.push(
      (await expectCode(decryptElement(container, [privateKey]), 'DECRYPTION_FAILED')).message,
    );
  });

  it('tampered GCM tag → DECRYPTION_FAILED', async () => {
    const { container } = await encryptedResponse({
      dataAlgorithm: 'aes256-gcm',
      keyTransport: 'rsa-oaep-mgf1p',
    });
    const data = first(container, XENC, 'EncryptedData');
    const cv = Array.from(data.getElementsByTagNameNS(XENC, 'CipherValue')).at(
      -1,
    ) as unknown as Element;
    editCipherValue(cv, (b) => {
      b[b.length - 1]! ^= 0x01;
    });
    const { privateKey } = await spKeyPair('a');
    failures.push(
      (await expectCode(decryptElement(container, [privateKey]), 'DECRYPTION_FAILED')).message,
    );
  });

  it('tampered GCM ciphertext → DECRYPTION_FAILED', async () => {
    const { container } = await encryptedResponse({
      dataAlgorithm: 'aes128-gcm',
      keyTransport: 'rsa-oaep-mgf1p',
    });
    const data = first(container, XENC, 'EncryptedData');
    const cv = Array.from(data.getElementsByTagNameNS(XENC, 'CipherValue')).at(
      -1,
    ) as unknown as Element;
    editCipherValue(cv, (b) => {
      b[20]! ^= 0x20;
    });
    const { privateKey } = await spKeyPair('a');
    await expectCode(decryptElement(container, [privateKey]), 'DECRYPTION_FAILED');
  });

  it.each([
    ['last block (breaks the padding)', (b: Uint8Array) => (b[b.length - 17]! ^= 0x5a)],
    ['IV (changes the first plaintext block)', (b: Uint8Array) => (b[1]! ^= 0x3c)],
    ['a middle block', (b: Uint8Array) => (b[40]! ^= 0x80)],
  ])('tampered CBC ciphertext, %s → DECRYPTION_FAILED', async (_w, edit) => {
    const { container } = await encryptedResponse({
      dataAlgorithm: 'aes256-cbc',
      keyTransport: 'rsa-oaep-mgf1p',
    });
    const data = first(container, XENC, 'EncryptedData');
    const cv = Array.from(data.getElementsByTagNameNS(XENC, 'CipherValue')).at(
      -1,
    ) as unknown as Element;
    editCipherValue(cv, (b) => {
      edit(b);
    });
    const { privateKey } = await spKeyPair('a');
    failures.push(
      (await expectCode(decryptElement(container, [privateKey]), 'DECRYPTION_FAILED')).message,
    );
  });

  it('tampered EncryptedKey → DECRYPTION_FAILED', async () => {
    const { container } = await encryptedResponse({
      dataAlgorithm: 'aes256-cbc',
      keyTransport: 'rsa-oaep-mgf1p',
    });
    editCipherValue(first(first(container, XENC, 'EncryptedKey'), XENC, 'CipherValue'), (b) => {
      b[100]! ^= 0x01;
    });
    const { privateKey } = await spKeyPair('a');
    failures.push(
      (await expectCode(decryptElement(container, [privateKey]), 'DECRYPTION_FAILED')).message,
    );
  });

  it('truncated CBC ciphertext (not whole blocks) → DECRYPTION_FAILED', async () => {
    const { container } = await encryptedResponse({
      dataAlgorithm: 'aes192-cbc',
      keyTransport: 'rsa-oaep-mgf1p',
    });
    const data = first(container, XENC, 'EncryptedData');
    const cv = Array.from(data.getElementsByTagNameNS(XENC, 'CipherValue')).at(
      -1,
    ) as unknown as Element;
    cv.textContent = btoa(atob(cv.textContent ?? '').slice(0, -5));
    const { privateKey } = await spKeyPair('a');
    await expectCode(decryptElement(container, [privateKey]), 'DECRYPTION_FAILED');
  });

  it('OAEPparams (the label) is honoured: changing it breaks decryption', async () => {
    const label = new TextEncoder().encode('samlkit-label');
    const { container, expected } = await encryptedResponse({
      dataAlgorithm: 'aes256-gcm',
      keyTransport: 'rsa-oaep',
      digest: 'sha256',
      oaepLabel: label,
    });
    const { privateKey } = await spKeyPair('a');
    const out = await decryptElement(container, [privateKey]);
    expect(canonicalize(out, { exclusive: true })).toBe(expected);
    const params = first(container, XENC, 'OAEPparams');
    params.textContent = btoa('another-label');
    await expectCode(decryptElement(container, [privateKey]), 'DECRYPTION_FAILED');
    params.parentNode!.removeChild(params);
    await expectCode(decryptElement(container, [privateKey]), 'DECRYPTION_FAILED');
  });

  it('every key and padding failure carries the same message', () => {
    expect(failures.length).toBeGreaterThanOrEqual(5);
    expect(new Set(failures).size).toBe(1);
  });
});

describe('algorithms refused with ENCRYPTION_ALGORITHM_UNSUPPORTED', () => {
  async function withKeyAlgorithm(edit: (method: Element) => void) {
    const { container } = await encryptedResponse({
      dataAlgorithm: 'aes256-gcm',
      keyTransport: 'rsa-oaep-mgf1p',
    });
    edit(first(first(container, XENC, 'EncryptedKey'), XENC, 'EncryptionMethod'));
    const { privateKey } = await spKeyPair('a');
    return expectCode(decryptElement(container, [privateKey]), 'ENCRYPTION_ALGORITHM_UNSUPPORTED');
  }

  it('rsa-1_5 key transport, explaining the padding oracle and what to configure', async () => {
    const err = await withKeyAlgorithm((m) => m.setAttribute('Algorithm', `${XENC}rsa-1_5`));
    expect(err.message).toContain('rsa-1_5');
    expect(err.message).toMatch(/padding-oracle/);
    expect(err.message).toMatch(/RSA-OAEP/);
  });

  it('tripledes-cbc content encryption', async () => {
    const { container } = await encryptedResponse({
      dataAlgorithm: 'aes256-cbc',
      keyTransport: 'rsa-oaep-mgf1p',
    });
    first(first(container, XENC, 'EncryptedData'), XENC, 'EncryptionMethod').setAttribute(
      'Algorithm',
      `${XENC}tripledes-cbc`,
    );
    const { privateKey } = await spKeyPair('a');
    const err = await expectCode(
      decryptElement(container, [privateKey]),
      'ENCRYPTION_ALGORITHM_UNSUPPORTED',
    );
    expect(err.message).toContain('tripledes-cbc');
    expect(err.message).toMatch(/AES-256-GCM/);
  });

  it('rsa-oaep-mgf1p with a SHA-256 digest (MGF1 stays SHA-1)', async () => {
    await withKeyAlgorithm((m) => {
      const dm = m.ownerDocument.createElementNS(
        'http://www.w3.org/2000/09/xmldsig#',
        'ds:DigestMethod',
      );
      dm.setAttribute('Algorithm', `${XENC}sha256`);
      m.appendChild(dm);
    });
  });

  it('xmlenc11 rsa-oaep with a SHA-256 digest but MGF1-SHA1 (the default MGF)', async () => {
    await withKeyAlgorithm((m) => {
      m.setAttribute('Algorithm', `${XENC11}rsa-oaep`);
      const dm = m.ownerDocument.createElementNS(
        'http://www.w3.org/2000/09/xmldsig#',
        'ds:DigestMethod',
      );
      dm.setAttribute('Algorithm', `${XENC}sha256`);
      m.appendChild(dm);
    });
  });

  it('the encryptor refuses the same mixed pairs', async () => {
    const { publicKey } = await spKeyPair('a');
    const doc = parse(responseXml());
    await expectCode(
      encryptElement(first(doc, SAML, 'Assertion'), publicKey, {
        dataAlgorithm: 'aes256-gcm',
        keyTransport: 'rsa-oaep',
        digest: 'sha256',
        mgf: 'mgf1sha1',
      }),
      'ENCRYPTION_ALGORITHM_UNSUPPORTED',
    );
    await expectCode(
      encryptElement(first(doc, SAML, 'Assertion'), publicKey, {
        dataAlgorithm: 'aes256-gcm',
        keyTransport: 'rsa-oaep-mgf1p',
        digest: 'sha256',
      }),
      'ENCRYPTION_ALGORITHM_UNSUPPORTED',
    );
  });
});

describe('the plaintext is hostile input', () => {
  async function decryptRaw(plaintext: string, mode: 'AES-GCM' | 'AES-CBC', key?: PrivateKey) {
    const pair = await spKeyPair('a');
    const xml = await rawEncryptedAssertion(plaintext, pair.publicKey.spki, mode);
    const container = parse(xml).documentElement;
    return decryptElement(container, [key ?? pair.privateKey], {
      limits: { maxDepth: 20, maxAttributes: 8 },
    });
  }
  const assertion = (inner: string) =>
    `<saml:Assertion xmlns:saml="${SAML}" ID="_x" Version="2.0" IssueInstant="2024-01-01T00:00:00Z">${inner}</saml:Assertion>`;
  const deep = assertion(`${'<a>'.repeat(30)}${'</a>'.repeat(30)}`);
  const doctype = `<!DOCTYPE x [<!ENTITY e "boom">]>${assertion('&e;')}`;

  it('a well-formed plaintext decrypts (control case)', async () => {
    expect((await decryptRaw(assertion(''), 'AES-GCM')).localName).toBe('Assertion');
    expect((await decryptRaw(assertion(''), 'AES-CBC')).localName).toBe('Assertion');
  });

  it('a DOCTYPE is refused (GCM: XML_DOCTYPE_FORBIDDEN)', async () => {
    await expectCode(decryptRaw(doctype, 'AES-GCM'), 'XML_DOCTYPE_FORBIDDEN');
  });

  it('excessive depth is refused with the configured limits (GCM: XML_TOO_DEEP)', async () => {
    await expectCode(decryptRaw(deep, 'AES-GCM'), 'XML_TOO_DEEP');
  });

  it('the other configured limits reach the decrypted XML too (GCM: XML_TOO_MANY_ATTRIBUTES)', async () => {
    const wide = assertion(`<a${Array.from({ length: 9 }, (_, i) => ` a${i}="1"`).join('')}/>`);
    await expectCode(decryptRaw(wide, 'AES-GCM'), 'XML_TOO_MANY_ATTRIBUTES');
  });

  it('with CBC (unauthenticated) every plaintext fault is the one DECRYPTION_FAILED', async () => {
    const messages = new Set<string>();
    for (const bad of [
      doctype,
      deep,
      '<saml:Assertion',
      '\u00ff\u00fe',
      `${assertion('')}${assertion('')}`,
    ]) {
      messages.add((await expectCode(decryptRaw(bad, 'AES-CBC'), 'DECRYPTION_FAILED')).message);
    }
    const pair = await spKeyPair('other');
    messages.add(
      (await expectCode(decryptRaw(assertion(''), 'AES-CBC', pair.privateKey), 'DECRYPTION_FAILED'))
        .message,
    );
    expect(messages.size).toBe(1);
  });

  it('two elements, or text beside the element, are refused (GCM: XML_UNEXPECTED_ELEMENT)', async () => {
    await expectCode(
      decryptRaw(`${assertion('')}${assertion('')}`, 'AES-GCM'),
      'XML_UNEXPECTED_ELEMENT',
    );
    await expectCode(decryptRaw(`text${assertion('')}`, 'AES-GCM'), 'XML_UNEXPECTED_ELEMENT');
    await expectCode(decryptRaw(`${assertion('')}<!--c-->`, 'AES-GCM'), 'XML_UNEXPECTED_ELEMENT');
  });

  it('a plaintext cannot close the wrapper it is parsed in', async () => {
    await expectCode(decryptRaw(`${assertion('')}</w><w>`, 'AES-GCM'), 'XML_PARSE_ERROR');
  });

  it('an element in a look-alike namespace is not an Assertion', async () => {
    await expectCode(
      decryptRaw('<saml:Assertion xmlns:saml="urn:evil">x</saml:Assertion>', 'AES-GCM'),
      'XML_UNEXPECTED_ELEMENT',
    );
  });

  it('a stray element beside EncryptedData in the container is refused', async () => {
    const { doc, container } = await encryptedResponse({
      dataAlgorithm: 'aes256-gcm',
      keyTransport: 'rsa-oaep-mgf1p',
    });
    container.appendChild(doc.createElementNS(SAML, 'saml:Assertion'));
    const { privateKey } = await spKeyPair('a');
    await expectCode(decryptElement(container, [privateKey]), 'XML_UNEXPECTED_ELEMENT');
  });

  it('EncryptedData of Type #Content and remote CipherReference are refused', async () => {
    const { container } = await encryptedResponse({
      dataAlgorithm: 'aes256-gcm',
      keyTransport: 'rsa-oaep-mgf1p',
    });
    const data = first(container, XENC, 'EncryptedData');
    const { privateKey } = await spKeyPair('a');
    data.setAttribute('Type', `${XENC}Content`);
    await expectCode(decryptElement(container, [privateKey]), 'XML_INVALID_VALUE');
    data.removeAttribute('Type');
    const cipherData = Array.from(data.childNodes).find(
      (n) => (n as Element).localName === 'CipherData',
    ) as Element;
    while (cipherData.firstChild) cipherData.removeChild(cipherData.firstChild);
    const ref = cipherData.ownerDocument.createElementNS(XENC, 'xenc:CipherReference');
    ref.setAttribute('URI', 'http://127.0.0.1:1/x');
    cipherData.appendChild(ref);
    await expectCode(decryptElement(container, [privateKey]), 'XML_UNEXPECTED_ELEMENT');
  });
});

describe('caller misuse', () => {
  it('throws TypeError for a non-element or no keys', async () => {
    const { privateKey, publicKey } = await spKeyPair('a');
    await expect(decryptElement('x' as unknown as Element, [privateKey])).rejects.toThrow(
      TypeError,
    );
    const { container } = await encryptedResponse({
      dataAlgorithm: 'aes256-gcm',
      keyTransport: 'rsa-oaep-mgf1p',
    });
    await expect(decryptElement(container, [])).rejects.toThrow(TypeError);
    const doc = parse(responseXml());
    await expect(
      encryptElement(first(doc, SAML, 'Issuer'), publicKey, {
        dataAlgorithm: 'aes256-gcm',
        keyTransport: 'rsa-oaep-mgf1p',
      }),
    ).rejects.toThrow(TypeError);
  });
});
