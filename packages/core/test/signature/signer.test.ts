// The signer builds ds:Signature on the document's own DOM and canonicalizes with the code that
// verifies. Each named case below broke a signer that serialized and canonicalized differently.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createSelfSignedCertificate,
  type GeneratedCertificate,
} from '../../src/crypto/certificate.js';
import { isSamlError, type SamlErrorCode } from '../../src/errors.js';
import { canonicalize } from '../../src/lib/c14n.js';
import { NS, parseXml, serializeXml, walkElements } from '../../src/lib/xml.js';
import { type SignOptions, signElement, signXml } from '../../src/signature/sign.js';
import { C14N, verifyElementSignature } from '../../src/signature/verify.js';
import { signableDocument } from './doc-arbitrary.js';

let rsa: GeneratedCertificate;
beforeAll(async () => {
  rsa = await createSelfSignedCertificate({ subject: 'signer.example', days: 30 });
});

function byId(doc: Document, id: string): Element {
  for (const el of walkElements(doc.documentElement)) if (el.getAttribute('ID') === id) return el;
  throw new Error(`no element with ID ${id}`);
}

/** Signs with signXml, parses the result afresh and verifies it there. */
async function signAndVerify(xml: string, id = '_1', extra: Partial<SignOptions> = {}) {
  const signed = await signXml(xml, { key: rsa.privateKey, id, ...extra });
  const doc = parseXml(signed);
  const verified = await verifyElementSignature(byId(doc, id), { keys: [rsa.publicKey] });
  expect(verified?.element).toBe(byId(doc, id));
  return { signed, doc };
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

describe('signer classes that went wrong when signing did not use samlkit’s canonicalizer', () => {
  it('signXml signs a document that starts with an XML declaration, and keeps it', async () => {
    const { signed } = await signAndVerify(
      '<?xml version="1.0" encoding="UTF-8"?>\n<r ID="_1"><a>x</a></r>',
    );
    expect(signed.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<r ID="_1">')).toBe(true);
  });

  it('no superfluous xmlns="" is signed (none is rendered where no default namespace is)', async () => {
    await signAndVerify('<r ID="_1"><a xmlns=""><b/></a></r>');
    await signAndVerify('<p:r xmlns:p="urn:p" ID="_1"><a xmlns=""/></p:r>');
  });

  it('no xmlns="" is written into the signature under a default namespace', async () => {
    const { signed } = await signAndVerify('<r xmlns="urn:d" ID="_1"><a/></r>');
    expect(signed).not.toContain('xmlns=""');
    expect(signed).toContain('<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">');
  });

  it('a non-ASCII prefix declaration stays a prefix declaration (not a default namespace)', async () => {
    const { doc } = await signAndVerify('<r xmlns:é="urn:e" ID="_1"><é:a/></r>');
    const c14n = canonicalize(byId(doc, '_1'), {
      exclusive: true,
      exclude: byId(doc, '_1').getElementsByTagNameNS(NS.ds, 'Signature')[0] as never,
    });
    expect(c14n).toBe('<r ID="_1"><é:a xmlns:é="urn:e"></é:a></r>');
  });

  it('the signed element’s own binding of a prefix is used, not the outer one', async () => {
    await signAndVerify(
      '<o:outer xmlns:o="urn:outer"><o:r xmlns:o="urn:inner" ID="_1"><o:a/></o:r></o:outer>',
    );
    await signAndVerify(
      '<o:outer xmlns:o="urn:outer"><r xmlns:o="urn:inner" ID="_1"><o:a o:b="1"/></r></o:outer>',
      '_1',
      { canonicalization: 'inclusive' },
    );
  });

  it('ds bound to another namespace on or around the signed element', async () => {
    for (const xml of [
      '<ds:r xmlns:ds="urn:not-dsig" ID="_1"><ds:a/></ds:r>',
      '<x xmlns:ds="urn:not-dsig"><ds:r ID="_1"><ds:a ds:b="1"/></ds:r></x>',
    ]) {
      for (const canonicalization of ['exclusive', 'inclusive'] as const) {
        const { doc } = await signAndVerify(xml, '_1', { canonicalization });
        // the signature is a real ds:Signature, declared on itself
        const sig = byId(doc, '_1').getElementsByTagNameNS(NS.ds, 'Signature')[0] as Element;
        expect(sig.getAttribute('xmlns:ds')).toBe(NS.ds);
        expect(sig.parentNode).toBe(byId(doc, '_1'));
      }
    }
  });

  it('the ds prefix is declared on ds:Signature itself, whatever the document declares', async () => {
    const { signed } = await signAndVerify(
      '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" ID="_1" entityID="e"/>',
    );
    expect(signed).toContain('<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">');
  });
});

describe('SignOptions: canonicalization and inclusiveNamespacePrefixes', () => {
  const DOC =
    '<r xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="_1"><v xsi:type="xs:string">x</v></r>';

  it('exclusive by default, on SignedInfo and on the Reference', async () => {
    const { doc } = await signAndVerify(DOC);
    const methods = [...walkElements(doc.documentElement)].filter(
      (e) => e.localName === 'CanonicalizationMethod' || e.localName === 'Transform',
    );
    expect(methods.map((m) => m.getAttribute('Algorithm'))).toEqual([
      C14N.exclusive,
      'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
      C14N.exclusive,
    ]);
  });

  it("canonicalization: 'inclusive' uses Canonical XML 1.0 for both", async () => {
    const { doc } = await signAndVerify(DOC, '_1', { canonicalization: 'inclusive' });
    const algs = [...walkElements(doc.documentElement)]
      .filter((e) => e.localName === 'CanonicalizationMethod' || e.localName === 'Transform')
      .map((m) => m.getAttribute('Algorithm'));
    expect(algs).toEqual([
      C14N.inclusive,
      'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
      C14N.inclusive,
    ]);
  });

  it('inclusiveNamespacePrefixes: one PrefixList on the CanonicalizationMethod and the transform', async () => {
    const { doc, signed } = await signAndVerify(DOC, '_1', {
      inclusiveNamespacePrefixes: ['xs', '#default', 'xs'],
    });
    const lists = [...walkElements(doc.documentElement)].filter(
      (e) => e.namespaceURI === NS.ec && e.localName === 'InclusiveNamespaces',
    );
    expect(
      lists.map((l) => [(l.parentNode as Element).localName, l.getAttribute('PrefixList')]),
    ).toEqual([
      ['CanonicalizationMethod', 'xs #default'],
      ['Transform', 'xs #default'],
    ]);
    // xs is used only inside a value (xsi:type="xs:string"): listed, its binding is signed
    const rebind = (xml: string) =>
      xml.replace('xmlns:xs="http://www.w3.org/2001/XMLSchema"', 'xmlns:xs="urn:evil"');
    expect(
      await codeOf(
        verifyElementSignature(byId(parseXml(rebind(signed)), '_1'), { keys: [rsa.publicKey] }),
      ),
    ).toBe('SIGNATURE_INVALID');
    const unlisted = await signXml(DOC, { key: rsa.privateKey, id: '_1' });
    expect(
      await codeOf(
        verifyElementSignature(byId(parseXml(rebind(unlisted)), '_1'), { keys: [rsa.publicKey] }),
      ),
    ).toBe('accepted');
  });

  it('refuses a PrefixList with inclusive c14n, over 64 prefixes, or entries that are no prefix', async () => {
    const sign = (extra: Partial<SignOptions>) =>
      codeOf(signXml(DOC, { key: rsa.privateKey, ...extra }));
    expect(await sign({ canonicalization: 'inclusive', inclusiveNamespacePrefixes: ['xs'] })).toBe(
      'CONFIG_INVALID',
    );
    expect(
      await sign({ inclusiveNamespacePrefixes: Array.from({ length: 65 }, (_, i) => `p${i}`) }),
    ).toBe('CONFIG_INVALID');
    expect(
      await sign({ inclusiveNamespacePrefixes: Array.from({ length: 64 }, (_, i) => `p${i}`) }),
    ).toBe('accepted');
    for (const bad of ['a b', '', 'p:q', 'xmlns', '1x', '#all']) {
      expect(await sign({ inclusiveNamespacePrefixes: [bad] })).toBe('CONFIG_INVALID');
    }
    expect(await sign({ canonicalization: 'c14n11' as never })).toBe('CONFIG_INVALID');
  });

  it('refuses a relative namespace URI and leaves the element unsigned', async () => {
    const doc = parseXml('<r ID="_1"><p:a xmlns:p="relative"/></r>');
    const before = serializeXml(doc);
    expect(await codeOf(signElement(doc.documentElement, { key: rsa.privateKey }))).toBe(
      'XML_INVALID_VALUE',
    );
    expect(serializeXml(doc)).toBe(before);
  });
});

describe('property: whatever the document, what samlkit signs samlkit verifies', () => {
  it('exclusive, exclusive with a PrefixList, and inclusive', async () => {
    await fc.assert(
      fc.asyncProperty(
        signableDocument,
        fc.constantFrom<Partial<SignOptions>>(
          {},
          { inclusiveNamespacePrefixes: ['a', 'ds', '#default', 'é'] },
          { canonicalization: 'inclusive' },
        ),
        async (xml, extra) => {
          await signAndVerify(xml, '_s', extra);
        },
      ),
      { numRuns: 150 },
    );
  });
});
