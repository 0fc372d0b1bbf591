// Every real-IdP Response with an EncryptedAssertion in ../shared/interop decrypts to exactly the
// Assertion xmlsec1 produced, and that Assertion's own signature verifies against the IdP
// certificate (which proves the namespace context of the plaintext was carried over correctly).
import { loadPrivateKey, loadPublicKeys } from '@samlkit/core';
import { decryptElement, verifyElementSignature } from '@samlkit/core/xml';
import { expect, it } from 'vitest';
import { describeWithFixtures, sharedFixtures } from '../../../../test/support/fixtures.js';
import { canonicalize } from '../../src/lib/c14n.js';
import { childElements, NS, parseXml } from '../../src/lib/xml.js';

const fx = sharedFixtures('interop', ['manifest.json']);

interface Entry {
  file: string;
  encrypted_assertion?: boolean;
  sp_private_key?: { file: string };
  decrypted_file?: string;
  cert_file?: string;
  requires_allow_sha1?: boolean;
  encryption?: Array<{ encrypted_key_location: string; retrieval_method: boolean }>;
  signatures?: Array<{ signs: string; inside_encrypted_assertion?: boolean }>;
}

interface Manifest {
  responses: Entry[];
  extras: Entry[];
  local_simplesamlphp: Entry[];
}

const read = (path: string) => fx.read(path);

function assertionChild(doc: Document, local: string): Element {
  const found = childElements(doc.documentElement, NS.saml, local);
  expect(found.length).toBe(1);
  return found[0]!;
}

describeWithFixtures(fx, 'real IdP EncryptedAssertions', () => {
  const manifest = fx.json<Manifest>('manifest.json');
  const entries: Entry[] = [
    ...manifest.responses,
    ...manifest.extras,
    ...manifest.local_simplesamlphp,
  ].filter((e: Entry) => e.encrypted_assertion);

  it('the corpus has the encrypted responses the manifest promises, with both key placements', () => {
    expect(manifest.responses.filter((e: Entry) => e.encrypted_assertion).length).toBe(9);
    const placements = new Set(
      entries.flatMap((e) => e.encryption!.map((x) => x.encrypted_key_location)),
    );
    expect(placements).toEqual(
      new Set(['inside EncryptedData/KeyInfo', 'sibling of EncryptedData']),
    );
  });

  it.each(entries.map((e) => [e.file, e] as const))('%s', async (_f, entry) => {
    const doc = parseXml(read(entry.file));
    const container = assertionChild(doc, 'EncryptedAssertion');
    const key = loadPrivateKey(read(entry.sp_private_key!.file));
    const assertion = await decryptElement(container, [key]);

    // xmlsec1 --decrypt replaces EncryptedData in place: the Assertion sits in EncryptedAssertion.
    const decrypted = assertionChild(parseXml(read(entry.decrypted_file!)), 'EncryptedAssertion');
    const expected = childElements(decrypted, NS.saml, 'Assertion');
    expect(expected.length).toBe(1);
    expect(canonicalize(assertion, { exclusive: true })).toBe(
      canonicalize(expected[0]!, { exclusive: true }),
    );
    expect(assertion.getAttribute('ID')).toBe(expected[0]!.getAttribute('ID'));

    const signedInside = entry.signatures!.some((s) => s.inside_encrypted_assertion);
    if (signedInside) {
      const verified = await verifyElementSignature(assertion, {
        keys: loadPublicKeys(read(entry.cert_file!)),
        allowSha1: entry.requires_allow_sha1 === true,
      });
      expect(verified?.element).toBe(assertion);
    }
  });

  it('with every SP key of the corpus configured (rollover), each response still decrypts', async () => {
    const allKeys = fx
      .list('certs/')
      .filter((f) => f.includes('sp-private-key'))
      .sort()
      .map((f) => loadPrivateKey(read(`certs/${f}`)));
    expect(allKeys.length).toBeGreaterThan(5);
    for (const entry of entries) {
      const container = assertionChild(parseXml(read(entry.file)), 'EncryptedAssertion');
      const assertion = await decryptElement(container, allKeys);
      expect(assertion.localName).toBe('Assertion');
    }
  });

  it('without the right SP key, each response is refused with DECRYPTION_FAILED', async () => {
    for (const entry of entries) {
      const container = assertionChild(parseXml(read(entry.file)), 'EncryptedAssertion');
      const other = entries.find(
        (e) => read(e.sp_private_key!.file) !== read(entry.sp_private_key!.file),
      )!;
      await expect(
        decryptElement(container, [loadPrivateKey(read(other.sp_private_key!.file))]),
      ).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
    }
  });
});
