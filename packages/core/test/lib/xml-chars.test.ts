import { createAuthnRequest, parseAuthnRequest, signXml } from '@samlkit/core';
import { verifyElementSignature } from '@samlkit/core/xml';
import { describe, expect, it } from 'vitest';
import { SamlError } from '../../src/errors.js';
import { parseXml, serializeXml } from '../../src/lib/xml.js';
import { generateTestKeyPair } from '../support/generated-keys.js';

// Characters @xmldom/xmldom treats specially when they appear literally: U+0085, U+2028 and
// U+2029 become a line feed in text and a space in attributes (XML 1.1 §2.11 line-end handling),
// and U+FFFD draws a "source encoding" warning. All four are legal XML 1.0 characters (§2.2).
const TRICKY = 'a\u0085b\u2028c\u2029d\ufffde';

describe('characters the parser rewrites or flags', () => {
  it('survive serialize → parse as character references', () => {
    const doc = parseXml('<r a="&#x2028;&#x85;"><t>&#x2029;&#xfffd;</t></r>');
    expect(doc.documentElement.getAttribute('a')).toBe('\u2028\u0085');
    const again = parseXml(serializeXml(doc));
    expect(again.documentElement.getAttribute('a')).toBe('\u2028\u0085');
    expect(again.documentElement.textContent).toBe('\u2029\ufffd');
  });

  it('survive signing: a signed request still parses, verifies and keeps its values', async () => {
    const keys = await generateTestKeyPair('rsa');
    const { xml } = createAuthnRequest({
      issuer: 'https://sp.example.com/metadata',
      destination: 'https://idp.example.org/sso',
      now: Date.now(),
      providerName: TRICKY,
      nameIdPolicy: { spNameQualifier: TRICKY },
    });
    const signed = await signXml(xml, { key: keys.privateKey });
    expect(signed).not.toMatch(/[\u0085\u2028\u2029\ufffd]/);
    const root = parseXml(signed).documentElement;
    expect(await verifyElementSignature(root, { keys: [keys.publicKey] })).not.toBeNull();
    const parsed = parseAuthnRequest(signed);
    expect(parsed.providerName).toBe(TRICKY);
    expect(parsed.nameIdPolicy?.spNameQualifier).toBe(TRICKY);
  });

  it('accepts a literal U+FFFD from a peer: a legal character, not an encoding error here', () => {
    const doc = parseXml('<r>bad\ufffddata</r>');
    expect(doc.documentElement.textContent).toBe('bad\ufffddata');
  });

  it('refuses characters XML forbids, which xmldom alone would let through', () => {
    for (const [bad, cp] of [
      ['\u0001', 'U+0001'],
      ['\u001f', 'U+001F'],
      ['\ufffe', 'U+FFFE'],
      ['\ud800x', 'U+D800'],
      ['x\udc00', 'U+DC00'],
      ['&#x1;', 'U+0001'],
      ['&#0;', 'U+0000'],
      ['&#xFFFE;', 'U+FFFE'],
      ['&#xD800;', 'U+D800'],
      ['&#55296;', 'U+D800'],
      ['&#x110000;', 'U+110000'],
    ] as const) {
      const err = (() => {
        try {
          parseXml(`<r a="1">${bad}</r>`);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(SamlError);
      expect((err as SamlError).code).toBe('XML_PARSE_ERROR');
      expect((err as SamlError).details.found).toContain(cp);
    }
    // A proper pair (U+1F600) is a character like any other.
    expect(parseXml('<r>\ud83d\ude00</r>').documentElement.textContent).toBe('\u{1F600}');
    expect(parseXml('<r>&#x1F600;&#9;</r>').documentElement.textContent).toBe('\u{1F600}\t');
  });
});
