import {
  isSamlError,
  type SamlErrorCode,
  type ValidateResponseOptions,
  validateResponse,
} from '@samlkit/core';
import { buildResponse, generateTestKeys, type TestKeys } from '@samlkit/testkit';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { SamlError } from '../../src/errors.js';
import {
  DEFAULT_XML_LIMITS,
  parseXml,
  resolveXmlLimits,
  type XmlLimits,
} from '../../src/lib/xml.js';
import { scanXml } from '../../src/lib/xml-scan.js';

// The signature-shape limits of the pre-parse scan: References per ds:SignedInfo and Transforms
// per ds:Transforms, recognised by namespace URI (Namespaces in XML 1.0 §6), refused before any
// DOM exists.

const DS = 'http://www.w3.org/2000/09/xmldsig#';
const OTHER = 'urn:example:not-dsig';
const EXC = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

/** The code `parseXml` refuses `xml` with, or `null` when it parses. */
function parseCode(xml: string, limits?: XmlLimits): string | null {
  try {
    parseXml(xml, limits);
    return null;
  } catch (e) {
    expect(e).toBeInstanceOf(SamlError);
    return (e as SamlError).code;
  }
}

/** The code the scan alone (no DOM) refuses `xml` with, or `null`. */
function scanCode(xml: string, limits?: XmlLimits): string | null {
  try {
    scanXml(xml, resolveXmlLimits(limits));
    return null;
  } catch (e) {
    expect(e).toBeInstanceOf(SamlError);
    return (e as SamlError).code;
  }
}

const refs = (n: number, p = 'ds:') =>
  `<${p}Reference URI="#a"><${p}DigestMethod Algorithm="x"/></${p}Reference>`.repeat(n);
const signedInfo = (n: number, open = '<ds:SignedInfo>', p = 'ds:', close = '</ds:SignedInfo>') =>
  `${open}<${p}CanonicalizationMethod Algorithm="${EXC}"/><${p}SignatureMethod Algorithm="x"/>${refs(n, p)}${close}`;
const transforms = (n: number, open = '<ds:Transforms>', p = 'ds:', close = '</ds:Transforms>') =>
  `${open}${`<${p}Transform Algorithm="${ENVELOPED}"/>`.repeat(n)}${close}`;
const inDs = (inner: string) => `<r xmlns:ds="${DS}">${inner}</r>`;

describe('References per ds:SignedInfo and Transforms per ds:Transforms (the scan)', () => {
  it('defaults: 4 and 4', () => {
    expect(DEFAULT_XML_LIMITS.maxSignatureReferences).toBe(4);
    expect(DEFAULT_XML_LIMITS.maxTransforms).toBe(4);
  });

  it('refuses one more than the limit, from the scan alone, and accepts the limit', () => {
    expect(scanCode(inDs(signedInfo(4)))).toBeNull();
    expect(scanCode(inDs(signedInfo(5)))).toBe('XML_TOO_MANY_SIGNATURE_REFERENCES');
    expect(parseCode(inDs(signedInfo(5)))).toBe('XML_TOO_MANY_SIGNATURE_REFERENCES');
    expect(scanCode(inDs(transforms(4)))).toBeNull();
    expect(scanCode(inDs(transforms(5)))).toBe('XML_TOO_MANY_TRANSFORMS');
    expect(parseCode(inDs(transforms(5)))).toBe('XML_TOO_MANY_TRANSFORMS');
    expect(parseCode(inDs(signedInfo(1)), { maxSignatureReferences: 1 })).toBeNull();
    expect(parseCode(inDs(signedInfo(2)), { maxSignatureReferences: 1 })).toBe(
      'XML_TOO_MANY_SIGNATURE_REFERENCES',
    );
    expect(parseCode(inDs(transforms(2)), { maxTransforms: 2 })).toBeNull();
    expect(parseCode(inDs(transforms(3)), { maxTransforms: 2 })).toBe('XML_TOO_MANY_TRANSFORMS');
  });

  it('counts element children whatever their names, and only children', () => {
    // Foreign elements in SignedInfo count as References would.
    const foreign = `<ds:SignedInfo>${'<x/>'.repeat(7)}</ds:SignedInfo>`;
    expect(parseCode(inDs(foreign))).toBe('XML_TOO_MANY_SIGNATURE_REFERENCES');
    // Grandchildren, text, comments and PIs do not.
    const deep = `<ds:SignedInfo><a>${'<x/>'.repeat(20)}</a><!--c--><?p?>text</ds:SignedInfo>`;
    expect(parseCode(inDs(deep))).toBeNull();
    // Each SignedInfo and each Transforms is counted on its own.
    expect(parseCode(inDs(signedInfo(4).repeat(3)))).toBeNull();
    expect(parseCode(inDs(transforms(4).repeat(3)))).toBeNull();
  });

  it('finds the elements by namespace URI, not by prefix', () => {
    // The default namespace.
    expect(parseCode(signedInfo(5, `<SignedInfo xmlns="${DS}">`, '', '</SignedInfo>'))).toBe(
      'XML_TOO_MANY_SIGNATURE_REFERENCES',
    );
    expect(parseCode(transforms(5, `<Transforms xmlns="${DS}">`, '', '</Transforms>'))).toBe(
      'XML_TOO_MANY_TRANSFORMS',
    );
    // Another prefix bound to XML-DSig.
    expect(
      parseCode(signedInfo(5, `<sig:SignedInfo xmlns:sig="${DS}">`, 'sig:', '</sig:SignedInfo>')),
    ).toBe('XML_TOO_MANY_SIGNATURE_REFERENCES');
    // The URI written with character and entity references (XML 1.0 §4.1; the parser reads it).
    const escaped = 'http&#x3A;//www.w3.org/2000/09/xmldsig&#35;';
    expect(
      parseCode(signedInfo(5, `<s:SignedInfo xmlns:s="${escaped}">`, 's:', '</s:SignedInfo>')),
    ).toBe('XML_TOO_MANY_SIGNATURE_REFERENCES');
    // Declared on an ancestor.
    expect(
      parseCode(
        `<a xmlns="${DS}"><b>${transforms(5, '<Transforms>', '', '</Transforms>')}</b></a>`,
      ),
    ).toBe('XML_TOO_MANY_TRANSFORMS');
  });

  it('leaves elements of other namespaces alone, and ends a binding with its element', () => {
    const cases = [
      // no namespace
      signedInfo(9, '<SignedInfo>', '', '</SignedInfo>'),
      // ds bound to another namespace, here or on an ancestor
      signedInfo(9, `<ds:SignedInfo xmlns:ds="${OTHER}">`),
      `<r xmlns:ds="${DS}"><q xmlns:ds="${OTHER}">${transforms(9)}</q></r>`,
      // the default namespace undeclared below an XML-DSig one
      `<r xmlns="${DS}"><q xmlns="">${transforms(9, '<Transforms>', '', '</Transforms>')}</q></r>`,
      // a binding on a sibling (closed, or empty) is out of scope afterwards
      `<r xmlns:ds="${OTHER}"><a xmlns:ds="${DS}"></a><b xmlns:ds="${DS}"/>${transforms(9)}</r>`,
      // a value that only resembles the URI: XML 1.0 §3.3.3 turns the literal tab into a space
      signedInfo(9, `<ds:SignedInfo xmlns:ds="${DS}\t">`),
    ];
    for (const xml of cases) expect(parseCode(xml), xml).toBeNull();
  });

  it('an unbound prefix counts as XML-DSig (the parser refuses it anyway)', () => {
    expect(scanCode(`<r>${signedInfo(5)}</r>`)).toBe('XML_TOO_MANY_SIGNATURE_REFERENCES');
    expect(parseCode(`<r>${signedInfo(1)}</r>`)).toBe('XML_PARSE_ERROR');
  });

  it('agrees with the DOM on random namespace layouts (property)', () => {
    const LIMIT_R = 1;
    const LIMIT_T = 2;
    // Values a declaration may take; written literally or with references.
    const uri = fc.constantFrom(DS, OTHER, 'urn:x');
    type Decl = { prefix: string; uri: string; escaped: boolean; empty: boolean };
    const decl: fc.Arbitrary<Decl> = fc.record({
      prefix: fc.constantFrom('', 'ds', 'a'),
      uri,
      escaped: fc.boolean(),
      empty: fc.boolean(),
    });
    const withReferences = (u: string) =>
      u.replace(/[:#]/g, (c) => (c === ':' ? '&#x3A;' : '&#35;'));
    type Node = { name: string; prefix: string; decls: Decl[]; kids: Node[] };
    const { tree } = fc.letrec<{ tree: Node }>((tie) => ({
      tree: fc.record({
        name: fc.constantFrom('SignedInfo', 'Transforms', 'Reference', 'x'),
        prefix: fc.constantFrom('', 'ds', 'a'),
        decls: fc.array(decl, { maxLength: 2 }),
        kids: fc.oneof(
          { depthSize: 'small', withCrossShrink: true },
          fc.constant([]),
          fc.array(tie('tree'), { maxLength: 4 }),
        ),
      }) as fc.Arbitrary<Node>,
    }));
    const render = (node: Node): string => {
      const seen = new Set<string>();
      let attrs = '';
      for (const d of node.decls) {
        if (seen.has(d.prefix)) continue; // an attribute occurs once per tag (XML 1.0 §3.1)
        seen.add(d.prefix);
        // xmlns="" undeclares the default namespace; a prefix cannot be undeclared in XML 1.0.
        const value = d.empty && d.prefix === '' ? '' : d.escaped ? withReferences(d.uri) : d.uri;
        attrs += ` ${d.prefix === '' ? 'xmlns' : `xmlns:${d.prefix}`}="${value}"`;
      }
      const tag = node.prefix ? `${node.prefix}:${node.name}` : node.name;
      return `<${tag}${attrs}>${node.kids.map(render).join('')}</${tag}>`;
    };
    fc.assert(
      fc.property(fc.array(tree, { minLength: 1, maxLength: 3 }), (kids) => {
        // The root binds both prefixes, so every document is namespace-well-formed.
        const xml = `<root xmlns:ds="${DS}" xmlns:a="${OTHER}">${kids.map(render).join('')}</root>`;
        const doc = parseXml(xml, { maxSignatureReferences: 1e6, maxTransforms: 1e6 });
        const over = new Set<string>();
        const walk = (el: Element) => {
          let n = 0;
          for (let c = el.firstChild; c; c = c.nextSibling) {
            if (c.nodeType === 1) {
              n++;
              walk(c as Element);
            }
          }
          if (el.namespaceURI === DS && el.localName === 'SignedInfo' && n > LIMIT_R + 2) {
            over.add('XML_TOO_MANY_SIGNATURE_REFERENCES');
          }
          if (el.namespaceURI === DS && el.localName === 'Transforms' && n > LIMIT_T) {
            over.add('XML_TOO_MANY_TRANSFORMS');
          }
        };
        walk(doc.documentElement);
        const code = parseCode(xml, { maxSignatureReferences: LIMIT_R, maxTransforms: LIMIT_T });
        if (over.size === 0) expect(code, xml).toBeNull();
        else expect([...over], xml).toContain(code);
      }),
      { numRuns: 400 },
    );
  });
});

describe('the hostile signature shapes are refused by validateResponse before the DOM', () => {
  const IDP = 'https://idp.example.org/saml';
  const SP = 'https://sp.example.com/saml/metadata';
  const ACS = 'https://sp.example.com/saml/acs';
  const NOW = Date.UTC(2031, 4, 6, 12, 0, 0);
  let idp: TestKeys;
  let signed: string;
  beforeAll(async () => {
    idp = await generateTestKeys({ subject: 'idp' });
    signed = await buildResponse({
      idpEntityId: IDP,
      spEntityId: SP,
      acsUrl: ACS,
      now: NOW,
      inResponseTo: '_r1',
      nameId: { value: 'alice@example.com' },
      signingKey: idp,
      sign: 'assertion',
    });
  });
  const options = (): ValidateResponseOptions => ({
    sp: { entityId: SP, acsUrl: ACS },
    idp: { entityId: IDP, signingKeys: [idp.publicKey] },
    now: NOW,
    inResponseTo: '_r1',
  });
  async function code(xml: string): Promise<SamlErrorCode | 'accepted'> {
    try {
      await validateResponse(xml, options());
      return 'accepted';
    } catch (e) {
      if (!isSamlError(e)) throw e;
      return e.code;
    }
  }
  const reference = () => /<ds:Reference [\s\S]*?<\/ds:Reference>/.exec(signed)![0];
  const exclusive = `<ds:Transform Algorithm="${EXC}"/>`;

  it('the unedited Response is accepted', async () => {
    expect(await code(signed)).toBe('accepted');
  });

  it('many References: XML_TOO_MANY_SIGNATURE_REFERENCES from the scan; two: the verifier', async () => {
    const many = signed.replace(reference(), reference().repeat(200));
    expect(scanCode(many)).toBe('XML_TOO_MANY_SIGNATURE_REFERENCES');
    expect(await code(many)).toBe('XML_TOO_MANY_SIGNATURE_REFERENCES');
    expect(await code(signed.replace(reference(), reference().repeat(2)))).toBe(
      'SIGNATURE_REFERENCE_INVALID',
    );
  });

  it('many Transforms: XML_TOO_MANY_TRANSFORMS from the scan; three: the verifier', async () => {
    expect(signed).toContain(exclusive);
    const many = signed.replace(exclusive, exclusive.repeat(500));
    expect(scanCode(many)).toBe('XML_TOO_MANY_TRANSFORMS');
    expect(await code(many)).toBe('XML_TOO_MANY_TRANSFORMS');
    expect(await code(signed.replace(exclusive, exclusive.repeat(2)))).toBe(
      'SIGNATURE_TRANSFORM_FORBIDDEN',
    );
  });
});
