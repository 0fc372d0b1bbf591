// validateResponse with encrypted assertions: every algorithm end to end, requireEncryption, and
// the ways an attacker can wrap or swap an EncryptedAssertion. Anyone can encrypt to the SP's
// public key, so encryption proves nothing about origin: only the signature does.
import { type ValidateResponseOptions, validateResponse } from '@samlkit/core';
import { decryptElement, encryptElement } from '@samlkit/core/xml';
import {
  buildResponse,
  ENCRYPTION_COMBINATIONS,
  encryptAssertionTo,
  encryptInXml,
  generateTestKeys,
  type TestKeys,
} from '@samlkit/testkit';
import { XMLSerializer } from '@xmldom/xmldom';
import { beforeAll, describe, expect, it } from 'vitest';
import { refusalCode, responseSetup } from '../support/response-setup.js';
import { first, parse, SAML, SAMLP, XENC } from './helpers.js';

const DS = 'http://www.w3.org/2000/09/xmldsig#';

let idp: TestKeys;
let sp: TestKeys;
let spOld: TestKeys;

beforeAll(async () => {
  [idp, sp, spOld] = await Promise.all([
    generateTestKeys({ subject: 'idp' }),
    generateTestKeys({ subject: 'sp' }),
    generateTestKeys({ subject: 'sp-old' }),
  ]);
});

const { base, options } = responseSetup(
  () => idp,
  () => ({ decryptionKeys: [spOld.privateKey, sp.privateKey] }),
);

function refusedWith(xml: string, opts: Partial<ValidateResponseOptions> = {}) {
  return refusalCode(validateResponse(xml, options(opts)));
}

const serialize = (doc: Document) => new XMLSerializer().serializeToString(doc as never);

/** A legitimately signed assertion (IdP key), as an element of its Response document. */
async function legitSignedResponse(): Promise<{ doc: Document; assertion: Element }> {
  const doc = parse(await buildResponse(base()));
  return { doc, assertion: first(doc, SAML, 'Assertion') };
}

/** An attacker-made assertion for another user: well-formed, unsigned. */
async function evilAssertion(): Promise<Element> {
  const doc = parse(
    await buildResponse(
      base({ sign: 'none', assertionId: '_evil', nameId: { value: 'admin@example.com' } }),
    ),
  );
  return first(doc, SAML, 'Assertion');
}

describe('every encryption algorithm the test IdP offers validates end to end', () => {
  it.each(ENCRYPTION_COMBINATIONS.map((c) => [JSON.stringify(c), c] as const))(
    '%s',
    async (_name, combo) => {
      const xml = await buildResponse(base({ encrypt: encryptAssertionTo(sp.publicKey, combo) }));
      expect(xml).not.toContain('alice@example.com');
      const r = await validateResponse(xml, options({ requireEncryption: true }));
      expect(r.encrypted).toBe(true);
      expect(r.signature.assertion).toBe(true);
      expect(r.userId).toBe('alice@example.com');
    },
  );

  it('the same with an EncryptedID inside the encrypted assertion', async () => {
    const unsigned = await buildResponse(base({ sign: 'none', assertionId: '_a' }));
    const withEncryptedId = await encryptInXml(unsigned, sp.publicKey, 'NameID', {
      dataAlgorithm: 'aes128-cbc',
      keyTransport: 'rsa-oaep',
      digest: 'sha256',
    });
    const doc = parse(withEncryptedId);
    const { signElement } = await import('@samlkit/core/xml');
    await signElement(first(doc, SAML, 'Assertion'), { key: idp.privateKey });
    await encryptElement(first(doc, SAML, 'Assertion'), sp.publicKey, {
      dataAlgorithm: 'aes256-gcm',
      keyTransport: 'rsa-oaep-mgf1p',
      keyPlacement: 'retrieval-method',
    });
    const r = await validateResponse(serialize(doc), options({ requireEncryption: true }));
    expect(r.nameId?.value).toBe('alice@example.com');
  });
});

describe('requireEncryption', () => {
  it('refuses a signed plaintext assertion and accepts the same encrypted', async () => {
    expect(await refusedWith(await buildResponse(base()), { requireEncryption: true })).toBe(
      'ENCRYPTION_REQUIRED',
    );
    expect(
      await refusedWith(await buildResponse(base({ sign: 'both' })), { requireEncryption: true }),
    ).toBe('ENCRYPTION_REQUIRED');
    const enc = await buildResponse(base({ encrypt: encryptAssertionTo(sp.publicKey) }));
    expect((await validateResponse(enc, options({ requireEncryption: true }))).encrypted).toBe(
      true,
    );
  });
});

describe('decryptionKeys takes the SP key pairs of ServiceProviderConfig as well as bare keys', () => {
  it('decrypts with { privateKey, certificate } entries, and refuses the wrong pair', async () => {
    const enc = await buildResponse(base({ encrypt: encryptAssertionTo(sp.publicKey) }));
    const pairs = [
      { privateKey: spOld.privateKey, certificate: spOld.certificatePem },
      { privateKey: sp.privateKey, certificate: sp.certificatePem },
    ];
    const r = await validateResponse(enc, options({ decryptionKeys: pairs }));
    expect(r.userId).toBe('alice@example.com');
    const wrong = [{ privateKey: spOld.privateKey, certificate: spOld.certificatePem }];
    expect(await refusedWith(enc, { decryptionKeys: wrong })).toBe('DECRYPTION_FAILED');
  });
});

describe('an encrypted assertion wrapped by an attacker is refused', () => {
  it('a signed plaintext Assertion moved next to an EncryptedAssertion', async () => {
    const { doc, assertion } = await legitSignedResponse();
    const evil = await evilAssertion();
    const imported = doc.importNode(evil, true) as Element;
    assertion.parentNode!.insertBefore(imported, assertion);
    await encryptElement(imported, sp.publicKey, {
      dataAlgorithm: 'aes256-gcm',
      keyTransport: 'rsa-oaep-mgf1p',
    });
    expect(await refusedWith(serialize(doc))).toBe('ASSERTION_MULTIPLE');
    expect(await refusedWith(serialize(doc), { requireEncryption: true })).toBe(
      'ASSERTION_MULTIPLE',
    );
  });

  it('an EncryptedAssertion hidden in the Response Extensions next to a signed plaintext one', async () => {
    const { doc, assertion } = await legitSignedResponse();
    const ext = doc.createElementNS(SAMLP, 'samlp:Extensions');
    const evil = doc.importNode(await evilAssertion(), true) as Element;
    ext.appendChild(evil);
    doc.documentElement.insertBefore(ext, first(doc, SAMLP, 'Status'));
    await encryptElement(evil, sp.publicKey, {
      dataAlgorithm: 'aes256-cbc',
      keyTransport: 'rsa-oaep-mgf1p',
    });
    expect(assertion.parentNode).toBe(doc.documentElement);
    expect(await refusedWith(serialize(doc))).toBe('ASSERTION_MULTIPLE');
  });

  it('the decrypted Assertion is not the one whose signature verifies (signed one nested inside)', async () => {
    const { doc, assertion } = await legitSignedResponse();
    const evil = doc.importNode(await evilAssertion(), true) as Element;
    // The legitimately signed assertion rides inside the attacker's, in Advice and in Subject.
    const advice = doc.createElementNS(SAML, 'saml:Advice');
    advice.appendChild(assertion.cloneNode(true));
    evil.appendChild(advice);
    first(evil, SAML, 'Subject').appendChild(assertion.cloneNode(true));
    doc.documentElement.replaceChild(evil, assertion);
    const container = await encryptElement(evil, sp.publicKey, {
      dataAlgorithm: 'aes256-gcm',
      keyTransport: 'rsa-oaep-mgf1p',
    });
    // The decryptor hands back the attacker's assertion, not the signed one inside it …
    const decrypted = await decryptElement(container, [sp.privateKey]);
    expect(decrypted.getAttribute('ID')).toBe('_evil');
    // … and the validator reads only that node, which no signature covers.
    expect(await refusedWith(serialize(doc))).toBe('SIGNATURE_MISSING');
  });

  it("the signed assertion's Signature transplanted onto the attacker's assertion", async () => {
    const { doc, assertion } = await legitSignedResponse();
    const evil = doc.importNode(await evilAssertion(), true) as Element;
    evil.setAttribute('ID', assertion.getAttribute('ID')!);
    const sig = first(assertion, DS, 'Signature');
    evil.insertBefore(sig.cloneNode(true), first(evil, SAML, 'Issuer').nextSibling);
    doc.documentElement.replaceChild(evil, assertion);
    await encryptElement(evil, sp.publicKey, {
      dataAlgorithm: 'aes128-gcm',
      keyTransport: 'rsa-oaep-mgf1p',
    });
    expect(await refusedWith(serialize(doc))).toBe('SIGNATURE_DIGEST_MISMATCH');
  });

  it("a signed Response's EncryptedAssertion swapped for one the attacker encrypted", async () => {
    const doc = parse(
      await buildResponse(base({ sign: 'response', encrypt: encryptAssertionTo(sp.publicKey) })),
    );
    expect((await validateResponse(serialize(doc), options())).signature.response).toBe(true);
    const original = first(doc, SAML, 'EncryptedAssertion');
    const evil = doc.importNode(await evilAssertion(), true) as Element;
    doc.documentElement.replaceChild(evil, original);
    await encryptElement(evil, sp.publicKey, {
      dataAlgorithm: 'aes256-gcm',
      keyTransport: 'rsa-oaep-mgf1p',
    });
    expect(await refusedWith(serialize(doc))).toBe('SIGNATURE_DIGEST_MISMATCH');
  });

  it('tampered CBC ciphertext in a signed Response is refused by the signature before decryption', async () => {
    const doc = parse(
      await buildResponse(
        base({
          sign: 'response',
          encrypt: encryptAssertionTo(sp.publicKey, { dataAlgorithm: 'aes256-cbc' }),
        }),
      ),
    );
    const data = first(doc, XENC, 'EncryptedData');
    const values = data.getElementsByTagNameNS(XENC, 'CipherValue');
    const cv = values[values.length - 1] as unknown as Element;
    const bytes = Uint8Array.from(atob(cv.textContent!), (c) => c.charCodeAt(0));
    bytes[bytes.length - 17]! ^= 0x01;
    cv.textContent = btoa(String.fromCharCode(...bytes));
    expect(await refusedWith(serialize(doc))).toBe('SIGNATURE_DIGEST_MISMATCH');
  });

  it('an unsigned assertion the attacker encrypted is refused even when it decrypts', async () => {
    const xml = await buildResponse(
      base({
        sign: 'none',
        nameId: { value: 'admin@example.com' },
        encrypt: encryptAssertionTo(sp.publicKey),
      }),
    );
    expect(await refusedWith(xml, { requireEncryption: true })).toBe('SIGNATURE_MISSING');
  });
});
