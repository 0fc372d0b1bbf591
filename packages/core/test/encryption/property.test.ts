// Property: for any element content, encryptElement → decryptElement is the identity on what a
// signature covers (the exclusive canonical form), for every data algorithm.
import { decryptElement, encryptElement } from '@samlkit/core/xml';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalize } from '../../src/lib/c14n.js';
import { parse, SAML, spKeyPair } from './helpers.js';

// XML 1.0 Char production (§2.2): everything else cannot appear in a document at all. U+0085,
// U+2028, U+2029 and U+FFFD stay in: the serializer writes them as character references, which
// the parser keeps unchanged.
const xmlText = fc
  .string({ unit: 'binary', maxLength: 40 })
  .map((s) => s.replace(/[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, ''));
const ncName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,8}$/);

interface Node {
  name: string;
  attrs: Array<[string, string]>;
  text: string;
  children: Node[];
}
function tree(depth: number): fc.Arbitrary<Node> {
  return fc.record({
    name: ncName,
    attrs: fc.uniqueArray(fc.tuple(ncName, xmlText), { maxLength: 3, selector: ([k]) => k }),
    text: xmlText,
    children: depth > 0 ? fc.array(tree(depth - 1), { maxLength: 3 }) : fc.constant([]),
  });
}

function build(doc: Document, parent: Element, node: Node, ns: string, prefix: string): void {
  const el = doc.createElementNS(ns, prefix ? `${prefix}:${node.name}` : node.name);
  for (const [k, v] of node.attrs) el.setAttribute(k, v);
  if (node.text) el.appendChild(doc.createTextNode(node.text));
  for (const c of node.children) build(doc, el, c, ns, prefix);
  parent.appendChild(el);
}

describe('encrypt → decrypt is the identity', () => {
  it('for arbitrary content, attributes and text, in every AES mode', async () => {
    const { publicKey, privateKey } = await spKeyPair('property');
    await fc.assert(
      fc.asyncProperty(
        fc.array(tree(3), { maxLength: 3 }),
        xmlText,
        fc.constantFrom(
          'aes128-cbc',
          'aes192-cbc',
          'aes256-cbc',
          'aes128-gcm',
          'aes192-gcm',
          'aes256-gcm',
        ) as fc.Arbitrary<'aes128-cbc'>,
        fc.boolean(),
        async (children, text, dataAlgorithm, foreignNs) => {
          const doc = parse(
            `<r xmlns:saml="${SAML}" xmlns:x="urn:x"><saml:Assertion ID="_a" Version="2.0"/></r>`,
          );
          const assertion = doc.documentElement.firstChild as Element;
          if (text) assertion.appendChild(doc.createTextNode(text));
          for (const c of children) {
            // Content in SAML's namespace, or in one declared only on an ancestor.
            build(doc, assertion, c, foreignNs ? 'urn:x' : SAML, foreignNs ? 'x' : 'saml');
          }
          const before = canonicalize(assertion, { exclusive: true });
          const container = await encryptElement(assertion, publicKey, {
            dataAlgorithm,
            keyTransport: 'rsa-oaep-mgf1p',
          });
          const out = await decryptElement(container, [privateKey]);
          expect(canonicalize(out, { exclusive: true })).toBe(before);
        },
      ),
      { numRuns: 150 },
    );
  });
});
