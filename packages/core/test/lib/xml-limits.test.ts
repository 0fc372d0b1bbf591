import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SamlError } from '../../src/errors.js';
import {
  DEFAULT_XML_LIMITS,
  escapeXml,
  parseXml,
  resolveXmlLimits,
  serializeXml,
  type XmlLimits,
} from '../../src/lib/xml.js';

function refusal(xml: string, limits?: XmlLimits): SamlError {
  try {
    parseXml(xml, limits);
  } catch (e) {
    expect(e).toBeInstanceOf(SamlError);
    return e as SamlError;
  }
  throw new Error(`accepted: ${xml.slice(0, 80)}`);
}

describe('structural limits (checked before any DOM is built)', () => {
  it('refuses each limit with its own code, and accepts the document at the limit', () => {
    const cases: Array<[string, XmlLimits, string, string]> = [
      // [document, limits, code, the same document one step smaller]
      [
        `<r>${'<a/>'.repeat(10)}</r>`,
        { maxNodes: 10 },
        'XML_TOO_MANY_NODES',
        `<r>${'<a/>'.repeat(9)}</r>`,
      ],
      [
        '<r a="1" b="1" c="1"/>',
        { maxAttributes: 2 },
        'XML_TOO_MANY_ATTRIBUTES',
        '<r a="1" b="1"/>',
      ],
      [
        '<r xmlns:a="u" xmlns:b="u" xmlns="u"/>',
        { maxNamespaceDeclarations: 2 },
        'XML_TOO_MANY_NAMESPACES',
        '<r xmlns:a="u" xmlns="u"/>',
      ],
      ['<r>abcd</r>', { maxTextLength: 3 }, 'XML_TEXT_TOO_LARGE', '<r>abc</r>'],
      [
        '<r>a<![CDATA[bc]]>d</r>',
        { maxTextLength: 3 },
        'XML_TEXT_TOO_LARGE',
        '<r>a<![CDATA[b]]>d</r>',
      ],
      [
        '<r>&amp;&amp;&#x41;&lt;</r>',
        { maxTextLength: 3 },
        'XML_TEXT_TOO_LARGE',
        '<r>&amp;&#x41;&lt;</r>',
      ],
      ['<r a="abcd"/>', { maxAttributeLength: 3 }, 'XML_ATTRIBUTE_TOO_LARGE', '<r a="abc"/>'],
      [
        '<r a="&amp;">&#xD;&lt;</r>',
        { maxReferences: 2 },
        'XML_TOO_MANY_REFERENCES',
        '<r a="&amp;">&#xD;</r>',
      ],
      ['<a><b><c/></b></a>', { maxDepth: 2 }, 'XML_TOO_DEEP', '<a><b></b></a>'],
      ['<r>abcd</r>', { maxSize: 10 }, 'XML_TOO_LARGE', '<r>abc</r>'],
    ];
    for (const [xml, limits, code, smaller] of cases) {
      expect(refusal(xml, limits).code, xml).toBe(code);
      expect(parseXml(smaller, limits).documentElement).toBeTruthy();
    }
  });

  it('counts attributes, comments, processing instructions and CDATA sections as nodes', () => {
    // 1 element + 2 attributes + comment + PI + CDATA = 6 nodes
    const xml = '<r a="1" xmlns:p="u"><!--c--><?pi x?><![CDATA[d]]></r>';
    expect(parseXml(xml, { maxNodes: 6 })).toBeTruthy();
    expect(refusal(xml, { maxNodes: 5 }).code).toBe('XML_TOO_MANY_NODES');
  });

  it('counts nothing inside comments, CDATA, PIs or quoted values as markup', () => {
    const xml = `<r a="x>y/>" b='<!--'><!-- <a><a><a> --><![CDATA[<a><a>]]><?p <a><a>?></r>`;
    expect(() =>
      parseXml(xml.replace("'<!--'", "'x'"), { maxDepth: 1, maxNodes: 6 }),
    ).not.toThrow();
  });

  it('the defaults are documented values and a raised maxSize raises the two count limits', () => {
    expect(DEFAULT_XML_LIMITS).toEqual({
      maxSize: 1048576,
      maxDepth: 64,
      maxNodes: 32768,
      maxAttributes: 64,
      maxNamespaceDeclarations: 32,
      maxTextLength: 262144,
      maxAttributeLength: 65536,
      maxReferences: 32768,
      maxSignatureReferences: 4,
      maxTransforms: 4,
    });
    const big = resolveXmlLimits({ maxSize: 64 * 1024 * 1024 });
    expect(big.maxNodes).toBe(2 * 1024 * 1024);
    expect(big.maxReferences).toBe(2 * 1024 * 1024);
    expect(big.maxTextLength).toBe(DEFAULT_XML_LIMITS.maxTextLength);
    expect(resolveXmlLimits({ maxSize: 64 * 1024 * 1024, maxNodes: 5 }).maxNodes).toBe(5);
    expect(() => resolveXmlLimits({ maxNodes: Number.NaN })).toThrow(TypeError);
    expect(() => resolveXmlLimits({ maxSize: 0 })).toThrow(TypeError);
  });

  it('a dense document over the default node count parses once maxSize is raised (aggregates)', () => {
    const entity = (i: number) =>
      `<md:EntityDescriptor entityID="https://idp${i}.example/"><md:Extensions a="1"/><md:IDPSSODescriptor protocolSupportEnumeration="x"/></md:EntityDescriptor>`;
    const parts: string[] = [];
    for (let i = 0; i < 6000; i++) parts.push(entity(i));
    const xml = `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">${parts.join('')}</md:EntitiesDescriptor>`;
    expect(xml.length).toBeLessThan(DEFAULT_XML_LIMITS.maxSize);
    expect(refusal(xml).code).toBe('XML_TOO_MANY_NODES');
    expect(parseXml(xml, { maxSize: 4 * 1024 * 1024 }).documentElement.childNodes.length).toBe(
      6000,
    );
  });
});

describe('not-well-formed input xmldom alone accepts (XML 1.0 §2.4, §3.1, §4.1)', () => {
  it.each([
    ['<r>a & b</r>', "bare '&'"],
    ['<r>a &b c</r>', 'without'],
    ['<r a="a & b"/>', "bare '&'"],
    ['<r>a ]]> b</r>', ']]>'],
    ['<r>]]></r>', ']]>'],
    ['<r a="x<y"/>', "'<'"],
    ['<r>&nbsp;</r>', 'undeclared entity'],
    ['<r>&#x41</r>', 'CharRef'],
    ['<r>&#X41;</r>', 'CharRef'],
    ['<r a=x/>', 'quoted'],
    ['<r a="1"b="2"/>', 'white space'],
    ['<r><!-- a -- b --></r>', "'--'"],
    ['<r/><r/>', 'after the root'],
    ['<r/>x', 'after the root'],
    ['x<r/>', 'before the root'],
    ['<r><a></b></r>', 'Element Type Match'],
    ['<r>', 'still open'],
    ['<r><?xml version="1.0"?></r>', 'XML declaration'],
    [' <?xml version="1.0"?><r/>', 'XML declaration'],
    ['<?xml version="1.1"?><r/>', '1.1'],
  ])('%s', (xml, found) => {
    const err = refusal(xml);
    expect(err.code).toBe('XML_PARSE_ERROR');
    expect(`${err.details.found} ${err.details.expected}`).toContain(found);
  });

  it('still refuses any DTD before parsing', () => {
    expect(refusal('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>').code).toBe(
      'XML_DOCTYPE_FORBIDDEN',
    );
  });

  it('accepts what the grammar allows around them', () => {
    const doc = parseXml(
      "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<!-- c --><?pi d?>\n" +
        '<r a=\'"&gt;\' b="]]>" >a > b ]] > c &amp;&lt;&gt;&apos;&quot;&#65;&#x1F600;<![CDATA[ ]]&]]></r >\n<!---->\n',
    );
    const r = doc.documentElement;
    expect(r.getAttribute('a')).toBe('">');
    expect(r.getAttribute('b')).toBe(']]>');
    expect(r.textContent).toBe('a > b ]] > c &<>\'"A\u{1F600} ]]&');
  });
});

describe('XML declaration, encodings and byte order mark', () => {
  it('accepts the usual declaration, a BOM, and ASCII documents declared in an ASCII superset', () => {
    expect(
      parseXml('<?xml version="1.0" encoding="UTF-8"?><r>x</r>').documentElement.textContent,
    ).toBe('x');
    expect(
      parseXml('\ufeff<?xml version="1.0" encoding="UTF-8"?><r>x</r>').documentElement.nodeName,
    ).toBe('r');
    expect(parseXml('\ufeff<r/>').documentElement.nodeName).toBe('r');
    expect(
      parseXml('<?xml version="1.0" encoding="UTF-16"?><r>é</r>').documentElement.textContent,
    ).toBe('é');
    expect(parseXml('<?xml version="1.0" encoding="ISO-8859-1"?><r>x</r>')).toBeTruthy();
  });

  it('refuses a declared single-byte encoding once the text holds characters beyond ASCII, and unknown encodings', () => {
    expect(refusal('<?xml version="1.0" encoding="ISO-8859-1"?><r>é</r>').details.found).toContain(
      'ISO-8859-1',
    );
    expect(refusal('<?xml version="1.0" encoding="EBCDIC-US"?><r>x</r>').code).toBe(
      'XML_PARSE_ERROR',
    );
  });
});

describe('the DOM holds exactly the characters of the document', () => {
  it('keeps literal U+0085, U+2028, U+2029 in text and attribute values (XML 1.0 has no such line ends)', () => {
    const doc = parseXml('<r a="x\u0085\u2028\u2029y">x\u0085\u2028\u2029y</r>');
    expect(doc.documentElement.getAttribute('a')).toBe('x\u0085\u2028\u2029y');
    expect(doc.documentElement.textContent).toBe('x\u0085\u2028\u2029y');
  });

  it('still normalizes CR LF and lone CR to LF (§2.11), and whitespace in attributes to spaces (§3.3.3)', () => {
    const doc = parseXml('<r a="1\r\n2\r3\t4">1\r\n2\r3\r\u00854</r>');
    expect(doc.documentElement.getAttribute('a')).toBe('1 2 3 4');
    expect(doc.documentElement.textContent).toBe('1\n2\n3\n\u00854');
  });

  it('serializes a CR in text as &#xD; and whitespace in attributes as references, so parse → serialize → parse keeps them', () => {
    const doc = parseXml('<r a="&#xD;&#xA;&#x9;\u2028">a&#xD;b&#xD;\nc<s>\u0085</s></r>');
    const xml = serializeXml(doc);
    expect(xml).toContain('a&#xD;b&#xD;\nc');
    const again = parseXml(xml).documentElement;
    expect(again.textContent).toBe('a\rb\r\nc\u0085');
    expect(again.getAttribute('a')).toBe('\r\n\t\u2028');
  });

  // XML 1.0 §2.2 Char, surrogate pairs included.
  const xmlChar = fc.oneof(
    fc.constantFrom(
      '\t',
      '\n',
      '\r',
      '\u0085',
      '\u2028',
      '\u2029',
      '\ufffd',
      '&',
      '<',
      '>',
      '"',
      "'",
      ']]>',
    ),
    fc.integer({ min: 0x20, max: 0xd7ff }).map((c) => String.fromCharCode(c)),
    fc.integer({ min: 0xe000, max: 0xfffd }).map((c) => String.fromCharCode(c)),
    fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
  );
  const xmlString = fc.array(xmlChar, { maxLength: 40 }).map((a) => a.join(''));

  it('any string of XML characters, escaped into text or an attribute, parses back to exactly itself (property)', () => {
    fc.assert(
      fc.property(xmlString, xmlString, (text, value) => {
        const root = parseXml(`<r a="${escapeXml(value)}">${escapeXml(text)}</r>`).documentElement;
        expect(root.textContent).toBe(text);
        expect(root.getAttribute('a')).toBe(value);
        // and what serializeXml writes reads back the same
        const again = parseXml(serializeXml(root.ownerDocument)).documentElement;
        expect(again.textContent).toBe(text);
        expect(again.getAttribute('a')).toBe(value);
      }),
      { numRuns: 300 },
    );
  });
});
