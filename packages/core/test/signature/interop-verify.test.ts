import { expect, it } from 'vitest';
import { describeWithFixtures, sharedFixtures } from '../../../../test/support/fixtures.js';
import { loadPublicKeys } from '../../src/crypto/keys.js';
import { isSamlError } from '../../src/errors.js';
import { NS, parseXml, walkElements } from '../../src/lib/xml.js';
import { verifyElementSignature } from '../../src/signature/verify.js';

const fx = sharedFixtures('interop', ['manifest.json']);

interface Sig {
  signs: 'Response' | 'Assertion';
  signed_element_id: string;
  inside_encrypted_assertion?: boolean;
}
interface Entry {
  file: string;
  cert_file: string;
  signatures: Sig[];
  requires_allow_sha1?: boolean;
  decrypted_file?: string;
}

function byId(doc: Document, id: string): Element {
  for (const el of walkElements(doc.documentElement)) if (el.getAttribute('ID') === id) return el;
  throw new Error(`no element ${id}`);
}

describeWithFixtures(fx, 'signatures made by real IdPs verify with the pinned certificate', () => {
  const manifest = fx.json<{ responses: Entry[] }>('manifest.json');
  const cases = manifest.responses.flatMap((r) =>
    r.signatures.map(
      (s) =>
        [
          `${r.file} ${s.signs}${s.inside_encrypted_assertion ? ' (decrypted)' : ''}`,
          r,
          s,
        ] as const,
    ),
  );
  it.each(cases)('%s', async (_name, r, s) => {
    const file = s.inside_encrypted_assertion ? r.decrypted_file! : r.file;
    const doc = parseXml(fx.read(file));
    const keys = loadPublicKeys(fx.read(r.cert_file));
    const el = byId(doc, s.signed_element_id);
    const allowSha1 = r.requires_allow_sha1 ?? false;
    const verified = await verifyElementSignature(el, { keys, allowSha1 });
    expect(verified?.element).toBe(el);
    expect(verified?.key).toBe(keys[0]);
    if (allowSha1) {
      await expect(verifyElementSignature(el, { keys })).rejects.toSatisfy((e) =>
        isSamlError(e, 'SIGNATURE_ALGORITHM_FORBIDDEN'),
      );
    }
    // Any other certificate from the corpus must not verify it.
    const other = manifest.responses.find((o) => o.cert_file !== r.cert_file)!;
    const otherKeys = loadPublicKeys(fx.read(other.cert_file));
    await expect(verifyElementSignature(el, { keys: otherKeys, allowSha1 })).rejects.toSatisfy(
      (e) => isSamlError(e, 'SIGNATURE_INVALID') || isSamlError(e, 'SIGNATURE_KEY_UNTRUSTED'),
    );
    expect(el.namespaceURI === NS.saml || el.namespaceURI === NS.samlp).toBe(true);
  });
});
