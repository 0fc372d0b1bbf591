import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import xpath from 'xpath';
import { describeValue, SamlError } from '../errors.js';
import { isXmlName } from './xml-grammar.js';
import { resolveXmlLimits, type XmlLimits } from './xml-limits.js';
import { scanXml } from './xml-scan.js';

export { formatDateTime, parseDateTime } from './datetime.js';
export { DEFAULT_XML_LIMITS, resolveXmlLimits, type XmlLimits } from './xml-limits.js';

/** Namespace URIs used across SAML 2.0, XML-DSig and XML-Enc. @internal */
export const NS = {
  samlp: 'urn:oasis:names:tc:SAML:2.0:protocol',
  saml: 'urn:oasis:names:tc:SAML:2.0:assertion',
  md: 'urn:oasis:names:tc:SAML:2.0:metadata',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  dsig11: 'http://www.w3.org/2009/xmldsig11#',
  xenc: 'http://www.w3.org/2001/04/xmlenc#',
  xenc11: 'http://www.w3.org/2009/xmlenc11#',
  soap: 'http://schemas.xmlsoap.org/soap/envelope/',
  xs: 'http://www.w3.org/2001/XMLSchema',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  ec: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  mdrpi: 'urn:oasis:names:tc:SAML:metadata:rpi',
  idpdisc: 'urn:oasis:names:tc:SAML:profiles:SSO:idp-discovery-protocol',
} as const;

const ELEMENT_NODE = 1;
const ATTRIBUTE_NODE = 2;
const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;
const PROCESSING_INSTRUCTION_NODE = 7;
const COMMENT_NODE = 8;

/**
 * XML 1.0 §2.11 end-of-line handling: CR LF and a CR not followed by LF become LF. Nothing else:
 * @xmldom/xmldom's default also turns U+0085, U+2028 and U+2029 into LF, which only XML 1.1 does
 * (XML 1.1 §2.11); in XML 1.0 they are ordinary characters, and a signature covers them as such.
 */
function normalizeLineEndings(text: string): string {
  return text.indexOf('\r') === -1 ? text : text.replace(/\r\n?/g, '\n');
}

/**
 * Parses untrusted XML safely: refuses DTDs (so no entity expansion on any parser), checks the
 * whole text against the grammar and the limits in one linear scan before building the DOM,
 * and turns every parser warning or error into a {@link SamlError}. The DOM holds exactly the
 * characters of the document (XML 1.0, line ends normalized per §2.11). A leading byte order
 * mark is skipped (XML 1.0 §4.3.3, Appendix F).
 *
 * @param input - the XML text
 * @param limits - the limits (defaults in {@link DEFAULT_XML_LIMITS})
 * @returns the parsed document
 * @throws SamlError `XML_TOO_LARGE`, `XML_DOCTYPE_FORBIDDEN`, `XML_PARSE_ERROR`, `XML_TOO_DEEP`,
 *   `XML_TOO_MANY_NODES`, `XML_TOO_MANY_ATTRIBUTES`, `XML_TOO_MANY_NAMESPACES`,
 *   `XML_TEXT_TOO_LARGE`, `XML_ATTRIBUTE_TOO_LARGE`, `XML_TOO_MANY_REFERENCES`,
 *   `XML_TOO_MANY_SIGNATURE_REFERENCES`, `XML_TOO_MANY_TRANSFORMS`
 * @internal
 */
export function parseXml(input: string, limits: XmlLimits = {}): Document {
  if (typeof input !== 'string') throw new TypeError('parseXml: input must be a string');
  const resolved = resolveXmlLimits(limits);
  const { maxSize } = resolved;
  if (input.length > maxSize) {
    throw new SamlError('XML_TOO_LARGE', 'The XML document is larger than the configured limit.', {
      expected: `at most ${maxSize} characters`,
      found: `${input.length} characters`,
      hint: 'raise limits.maxSize only if a legitimate IdP sends documents this large',
    });
  }
  // SAML messages never carry a DTD (SAML core §1.3: schemas only). Any DOCTYPE or markup
  // declaration is refused before parsing, so no parser anywhere can expand an entity (XXE,
  // billion laughs) – Chromium's native parser would.
  const dtd = /<!(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i.exec(input);
  if (dtd) {
    throw new SamlError('XML_DOCTYPE_FORBIDDEN', 'The XML document contains a DTD declaration.', {
      expected: 'no <!DOCTYPE> or other markup declaration',
      found: `<!${dtd[1]} at offset ${dtd.index}`,
      hint: 'SAML messages never need a DTD; this input was crafted or corrupted',
      raw: input,
    });
  }
  // XML 1.0 §4.3.3 and Appendix F: a byte order mark is an encoding signature, not a character
  // of the document.
  const bom = input.charCodeAt(0) === 0xfeff ? 1 : 0;
  const text = bom ? input.slice(1) : input;
  scanXml(text, resolved, bom);
  let firstError: string | undefined;
  const parser = new DOMParser({
    normalizeLineEndings,
    onError: (level, message) => {
      // U+FFFD is a legal character (XML 1.0 §2.2); xmldom warns about it once per document as a
      // hint at a decoding problem. samlkit decodes message bytes as strict UTF-8 (invalid
      // sequences are refused before parsing), so a U+FFFD here was sent as such.
      if (level === 'warning' && message.startsWith('Unicode replacement character detected')) {
        return;
      }
      firstError ??= `${level}: ${message}`;
      // Stop at the first problem of any level: a warning in a security token is not benign.
      throw new Error(message);
    },
  });
  let doc: Document;
  try {
    doc = parser.parseFromString(text, 'text/xml') as unknown as Document;
  } catch (cause) {
    throw new SamlError('XML_PARSE_ERROR', 'The input is not well-formed XML.', {
      expected: 'a well-formed XML document',
      found: describeValue(firstError ?? (cause instanceof Error ? cause.message : String(cause))),
      hint: 'if the value came from a URL or form, check that it was decoded exactly once',
      cause,
      raw: input,
    });
  }
  if (!doc?.documentElement) {
    throw new SamlError('XML_PARSE_ERROR', 'The input has no root element.', {
      expected: 'a well-formed XML document',
      found: describeValue(input.slice(0, 60)),
      raw: input,
    });
  }
  // xmldom keeps the XML declaration as a processing instruction named xml. It is not one
  // (XML 1.0 §2.6 reserves the name; the XPath data model, and so c14n, has no such node), and a
  // well-formed serialization refuses it: drop it, so the DOM is the document's content.
  const first = doc.firstChild;
  if (first && first.nodeType === PROCESSING_INSTRUCTION_NODE && first.nodeName === 'xml') {
    doc.removeChild(first);
  }
  return doc;
}

// XML 1.0 §2.2 Char. The fast expression also matches every surrogate half; only then does the
// exact one (which knows pairs) run, so the common case is one cheap scan.
const MAYBE_NON_CHAR = /[^\t\n\r\x20-\ud7ff\ue000-\ufffd]/;
const NON_CHAR = /[^\t\n\r\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

/**
 * Whether `value` holds a character XML 1.0 cannot carry at all, even escaped (§2.2 Char): what
 * the message builders refuse in their arguments. @internal
 */
export function hasNonXmlChar(value: string): boolean {
  return MAYBE_NON_CHAR.test(value) && NON_CHAR.test(value);
}

const serializer = new XMLSerializer();

// Characters a text node must not carry literally. CR: the next reader's end-of-line handling
// (XML 1.0 §2.11) would turn it into LF, so the content read is not the content signed
// (exclusive c14n writes it as &#xD; for the same reason, xml-c14n §1.1 / §2.3). U+0085, U+2028,
// U+2029: XML 1.1 processors, and @xmldom/xmldom with its default settings, take them for line
// ends. U+FFFD: such parsers take it for a decoding error.
const TEXT_REWRITTEN = /[\r\u0085\u2028\u2029\ufffd]/;
const TEXT_ESCAPED = /[<>&\r\u0085\u2028\u2029\ufffd]/g;
// In attribute values xmldom itself writes tab, LF and CR as references (attribute-value
// normalization, XML 1.0 §3.3.3, would turn them into spaces); the rest as for text.
const ATTR_REWRITTEN = /[\u0085\u2028\u2029\ufffd]/;
const ATTR_ESCAPED = /[<>&"\t\n\r\u0085\u2028\u2029\ufffd]/g;

/**
 * Writes text and attribute values that hold one of the characters above with those characters
 * as references; everything else is left to xmldom (which then checks well-formedness itself).
 */
function referenceFilter(node: Node): Node | string {
  if (node.nodeType === TEXT_NODE) {
    const data = (node as Text).data;
    if (!TEXT_REWRITTEN.test(data) || hasNonXmlChar(data)) return node;
    return data.replace(TEXT_ESCAPED, (c) => XML_ESCAPES[c]!);
  }
  if (node.nodeType === ATTRIBUTE_NODE) {
    const { name, value } = node as Attr;
    if (!ATTR_REWRITTEN.test(value) || hasNonXmlChar(value) || !isXmlName(name)) return node;
    return ` ${name}="${value.replace(ATTR_ESCAPED, (c) => XML_ESCAPES[c]!)}"`;
  }
  return node;
}

/**
 * Serializes a node, refusing to produce anything that is not well-formed. What the result
 * parses back to is exactly this DOM: a CR in text is written `&#xD;` (xmldom's serializer writes
 * it raw, and the next parser's end-of-line handling would make it LF), and tab, LF and CR in
 * attribute values as references. @internal
 */
export function serializeXml(node: Node): string {
  return serializer.serializeToString(node as never, {
    requireWellFormed: true,
    nodeFilter: referenceFilter as never,
  });
}

/** Whether `node` is an element with this namespace URI and local name. @internal */
export function isElement(node: Node | null | undefined, ns: string, localName: string): boolean {
  return (
    !!node &&
    node.nodeType === ELEMENT_NODE &&
    (node as Element).namespaceURI === ns &&
    (node as Element).localName === localName
  );
}

/** Direct element children, optionally filtered by namespace URI and local name. @internal */
export function childElements(parent: Node, ns?: string, localName?: string): Element[] {
  const out: Element[] = [];
  for (let c = parent.firstChild; c; c = c.nextSibling) {
    if (c.nodeType !== ELEMENT_NODE) continue;
    const el = c as Element;
    if (ns !== undefined && el.namespaceURI !== ns) continue;
    if (localName !== undefined && el.localName !== localName) continue;
    out.push(el);
  }
  return out;
}

/**
 * The single direct child with this name, or undefined when absent.
 * @throws SamlError `XML_UNEXPECTED_ELEMENT` when there are several
 * @internal
 */
export function optionalChild(parent: Element, ns: string, localName: string): Element | undefined {
  const found = childElements(parent, ns, localName);
  if (found.length > 1) {
    throw new SamlError(
      'XML_UNEXPECTED_ELEMENT',
      `<${parent.localName}> has several <${localName}>.`,
      {
        expected: `at most one <${localName}> in <${parent.localName}>`,
        found: `${found.length}`,
      },
    );
  }
  return found[0];
}

/**
 * The single direct child with this name.
 * @throws SamlError `XML_MISSING_ELEMENT` when absent, `XML_UNEXPECTED_ELEMENT` when repeated
 * @internal
 */
export function requiredChild(parent: Element, ns: string, localName: string): Element {
  const el = optionalChild(parent, ns, localName);
  if (!el) {
    throw new SamlError('XML_MISSING_ELEMENT', `<${parent.localName}> lacks <${localName}>.`, {
      expected: `one <${localName}> (namespace ${ns}) inside <${parent.localName}>`,
      found: 'none',
    });
  }
  return el;
}

/**
 * The text of a simple-content element: every text and CDATA child joined. Comments are skipped
 * (so `admin@evil.com<!---->.victim.com` reads as the whole string, which is what a signature
 * computed without comments covers); child elements are refused.
 *
 * @throws SamlError `XML_UNEXPECTED_ELEMENT` when the element has element children
 * @internal
 */
export function textOf(el: Element): string {
  let text = '';
  for (let c = el.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === TEXT_NODE || c.nodeType === CDATA_SECTION_NODE) {
      text += (c as CharacterData).data;
    } else if (c.nodeType === ELEMENT_NODE) {
      throw new SamlError('XML_UNEXPECTED_ELEMENT', `<${el.localName}> must hold only text.`, {
        expected: `text inside <${el.localName}>`,
        found: `element <${c.nodeName}>`,
      });
    } else if (c.nodeType !== COMMENT_NODE) {
      // processing instructions and anything else have no place in SAML simple content
      throw new SamlError('XML_UNEXPECTED_ELEMENT', `<${el.localName}> holds unexpected markup.`, {
        expected: `text inside <${el.localName}>`,
        found: `node of type ${c.nodeType}`,
      });
    }
  }
  return text;
}

/** Trimmed text of a child element, or undefined when the child is absent. @internal */
export function childText(parent: Element, ns: string, localName: string): string | undefined {
  const el = optionalChild(parent, ns, localName);
  return el ? textOf(el).trim() : undefined;
}

/** An attribute without namespace, or undefined when absent. @internal */
export function attr(el: Element, name: string): string | undefined {
  return el.hasAttribute(name) ? (el.getAttribute(name) ?? undefined) : undefined;
}

/**
 * A required unqualified attribute.
 * @throws SamlError `XML_MISSING_ELEMENT` when absent or empty
 * @internal
 */
export function requiredAttr(el: Element, name: string): string {
  const v = attr(el, name);
  if (v === undefined || v === '') {
    throw new SamlError('XML_MISSING_ELEMENT', `<${el.localName}> lacks the ${name} attribute.`, {
      expected: `a non-empty ${name} attribute on <${el.localName}>`,
      found: v === undefined ? 'none' : 'an empty value',
    });
  }
  return v;
}

/**
 * Escapes text for element content or a double-quoted attribute value. U+0085, U+2028 and U+2029
 * become character references too: @xmldom/xmldom turns them, written literally, into a line feed
 * (text) or a space (attributes), as XML 1.1 §2.11 would; and U+FFFD, which it takes as a sign of
 * an encoding error. A reference keeps the character itself (XML 1.0 §4.1). @internal
 */
export function escapeXml(value: string): string {
  return value.replace(/[&<>"'\r\n\t\u0085\u2028\u2029\ufffd]/g, (c) => XML_ESCAPES[c]!);
}

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\r': '&#xD;',
  '\n': '&#xA;',
  '\t': '&#x9;',
  '\u0085': '&#x85;',
  '\u2028': '&#x2028;',
  '\u2029': '&#x2029;',
  '\ufffd': '&#xfffd;',
};

const selectNs = xpath.useNamespaces(NS);

/**
 * Namespace-aware XPath with the fixed {@link NS} prefixes. Values must be passed as variables,
 * never interpolated. Not for hot paths (xpath on xmldom is super-linear on large documents).
 * @internal
 */
export function selectElements(
  expression: string,
  context: Node,
  variables?: Record<string, string>,
): Element[] {
  // xpath's runtime exports parse() (for variables) but its typings omit it.
  const api = xpath as unknown as {
    parse(e: string): {
      select(o: { node: unknown; namespaces: object; variables: object }): unknown;
    };
  };
  const result = variables
    ? api.parse(expression).select({ node: context, namespaces: NS, variables })
    : selectNs(expression, context as never);
  if (!Array.isArray(result)) return [];
  return (result as unknown as Node[]).filter((n) => n.nodeType === ELEMENT_NODE) as Element[];
}

/**
 * Walks the whole document once, depth first in document order, without recursion.
 * @internal
 */
export function* walkElements(root: Element): Generator<Element> {
  const stack: Element[] = [root];
  while (stack.length > 0) {
    const el = stack.pop()!;
    yield el;
    const kids: Element[] = [];
    for (let c = el.firstChild; c; c = c.nextSibling) {
      if (c.nodeType === ELEMENT_NODE) kids.push(c as Element);
    }
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!);
  }
}
