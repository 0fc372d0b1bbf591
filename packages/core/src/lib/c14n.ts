// Canonical XML for signing and verifying, in one pass over the DOM:
// - Exclusive XML Canonicalization 1.0 (https://www.w3.org/TR/xml-exc-c14n/), with an
//   InclusiveNamespaces PrefixList (§3).
// - Canonical XML 1.0 (https://www.w3.org/TR/xml-c14n/) of a document subset whose apex is an
//   element (§2.4: in-scope namespaces and xml:* attributes of ancestors are rendered on the apex).
// Comments are always omitted (the "without comments" variants are the only ones samlkit accepts).
// One node (the enveloped ds:Signature, XML-DSig §6.6.4) can be excluded with its subtree.
//
// The work is linear in the size of the subtree (plus the apex's ancestors), whatever its shape:
// the namespace context is one map with an undo log, so an element costs what its own attributes
// and declarations cost, never what is in scope; the walk is iterative (no recursion depth).

import { describeValue, SamlError } from '../errors.js';

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;
const PROCESSING_INSTRUCTION_NODE = 7;
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';
const XML_NS = 'http://www.w3.org/XML/1998/namespace';

/**
 * The most tokens an InclusiveNamespaces PrefixList may hold. Real signers list a handful
 * (`xs`, `xsi`, `#default`, `saml`); a long list only makes canonicalization costlier.
 * @internal
 */
export const MAX_INCLUSIVE_PREFIXES = 64;

/** Canonicalization options. @internal */
export interface C14nOptions {
  /** Exclusive (true) or inclusive Canonical XML 1.0 (false). */
  readonly exclusive: boolean;
  /** Exclusive only: prefixes treated inclusively (`#default` is the default namespace). */
  readonly inclusivePrefixes?: readonly string[];
  /** A node left out of the output together with its subtree. */
  readonly exclude?: Node;
  /**
   * Counts the elementary steps taken (attributes and children visited, namespace bindings made
   * and undone, comparisons while sorting), so tests can check that the work grows linearly with
   * the input without timing anything.
   */
  readonly meter?: { steps: number };
}

/**
 * The namespace prefixes rendered by the output ancestors of the element being written
 * (prefix, `''` for the default namespace → URI): one map, changed in place, with an undo log so
 * leaving an element restores its parent's view in as many steps as the element made changes.
 */
class RenderedNamespaces {
  private readonly map = new Map<string, string>([['', '']]);
  // (prefix, previous URI or undefined when unbound) pairs, newest last.
  private readonly undo: Array<string | undefined> = [];

  get(prefix: string): string | undefined {
    return this.map.get(prefix);
  }

  set(prefix: string, uri: string): void {
    this.undo.push(prefix, this.map.get(prefix));
    this.map.set(prefix, uri);
  }

  mark(): number {
    return this.undo.length;
  }

  /** Undoes every binding made since `mark`; returns how many were undone. */
  rollback(mark: number): number {
    const n = (this.undo.length - mark) / 2;
    while (this.undo.length > mark) {
      const previous = this.undo.pop();
      const prefix = this.undo.pop()!;
      if (previous === undefined) this.map.delete(prefix);
      else this.map.set(prefix, previous);
    }
    return n;
  }
}

interface Frame {
  readonly el: Element;
  readonly mark: number;
  next: Node | null;
}

/**
 * Canonicalizes the subtree rooted at `apex`.
 * @throws SamlError `XML_INVALID_VALUE` when a namespace URI is relative (Canonical XML 1.0 §2)
 * @internal
 */
export function canonicalize(apex: Element, options: C14nOptions): string {
  const exclusive = options.exclusive;
  const exclude = options.exclude;
  const meter = options.meter ?? { steps: 0 };
  const inclusive = new Set<string>();
  if (exclusive) {
    for (const p of options.inclusivePrefixes ?? []) inclusive.add(p === '#default' ? '' : p);
  }
  const rendered = new RenderedNamespaces();
  const out: string[] = [];
  // Declarations rendered on the element being opened, as [prefix, URI] pairs.
  const decls: Array<[string, string]> = [];
  const stack: Frame[] = [];

  open(apex, true);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const c = frame.next;
    if (c === null) {
      out.push('</', frame.el.nodeName, '>');
      meter.steps += rendered.rollback(frame.mark) + 1;
      stack.pop();
      continue;
    }
    frame.next = c.nextSibling;
    meter.steps++;
    if (c === exclude) continue;
    switch (c.nodeType) {
      case ELEMENT_NODE:
        open(c as Element, false);
        break;
      case TEXT_NODE:
      case CDATA_SECTION_NODE:
        out.push(escapeText((c as CharacterData).data));
        break;
      case PROCESSING_INSTRUCTION_NODE: {
        const pi = c as ProcessingInstruction;
        out.push('<?', pi.target, pi.data ? ` ${pi.data}` : '', '?>');
        break;
      }
      default:
        // comments are omitted; nothing else can occur inside an element
        break;
    }
  }
  return out.join('');

  /**
   * Renders a namespace node unless the output ancestors rendered the same binding already
   * (c14n §2.3 / §4.7: "superfluous namespace declarations" are removed; exc-c14n §3 for the
   * visibly utilized ones). The in-place map makes a repeated prefix on one element a no-op.
   */
  function consider(prefix: string, uri: string): void {
    meter.steps++;
    if (prefix === 'xml') return; // the xml namespace is never declared (c14n §4.6)
    // The map starts with '' → '', so xmlns="" is only rendered where an output ancestor rendered
    // a non-empty default namespace (c14n §4.7 and exc-c14n §3: an empty default is none).
    if (rendered.get(prefix) === uri) return;
    checkAbsolute(uri);
    rendered.set(prefix, uri);
    decls.push([prefix, uri]);
  }

  function open(el: Element, isApex: boolean): void {
    const mark = rendered.mark();
    decls.length = 0;
    out.push('<', el.nodeName);

    const attrList: Attr[] = [];
    const attrs = el.attributes;
    for (let i = 0; i < attrs.length; i++) {
      meter.steps++;
      const a = attrs[i]!;
      if (a.namespaceURI === XMLNS_NS) {
        const prefix = a.prefix ? a.localName : '';
        // Canonical XML 1.0 §2: a relative namespace URI is an error, rendered or not (as in
        // libxml2, which checks each element's own declarations).
        checkAbsolute(a.value);
        // Inclusive: every binding in scope is a namespace node of the element, so below the apex
        // only the element's own declarations can differ from its parent's (c14n §2.3, §4.7).
        // Exclusive: the same, for the prefixes on the PrefixList (exc-c14n §3).
        if (!isApex && (!exclusive || inclusive.has(prefix))) consider(prefix, a.value);
      } else {
        attrList.push(a);
      }
    }
    if (isApex && (!exclusive || inclusive.size > 0)) {
      // The apex renders the namespaces in scope there (c14n §2.4; exc-c14n §3 for the
      // PrefixList), found in one walk up its ancestors.
      const inScope = inScopeNamespaces(el, meter);
      if (!exclusive) {
        for (const [prefix, uri] of inScope) consider(prefix, uri);
      } else {
        for (const prefix of inclusive) {
          const uri = inScope.get(prefix);
          if (uri !== undefined) consider(prefix, uri);
        }
      }
    }
    // Visibly utilized prefixes: the element's own and those of its attributes (exc-c14n §3).
    // Under inclusive c14n of a parsed document these are in scope and rendered already (so this
    // changes nothing); it keeps a DOM built in code, whose bindings may lack declarations,
    // canonicalizing as its serialization will parse.
    consider(el.prefix ?? '', el.namespaceURI ?? '');
    for (const a of attrList) if (a.prefix) consider(a.prefix, a.namespaceURI ?? '');

    // Namespace axis: by prefix, the default namespace first (c14n §2.2: by local name, and the
    // default namespace node has none), in UCS code point order.
    if (decls.length > 1) {
      decls.sort((x, y) => {
        meter.steps++;
        return compareCodePoints(x[0], y[0]);
      });
    }
    for (const [p, uri] of decls) {
      out.push(p ? ` xmlns:${p}="` : ' xmlns="', escapeAttr(uri), '"');
    }

    // Attribute axis: by namespace URI, then local name, unqualified first (c14n §2.2), in UCS
    // code point order (c14n §2.2 "lexicographic order with namespace URI as the primary key").
    if (isApex && !exclusive) addInheritedXmlAttributes(el, attrList, meter);
    if (attrList.length > 1) {
      attrList.sort((a, b) => {
        meter.steps++;
        return compareAttributes(a, b);
      });
    }
    for (const a of attrList) out.push(' ', a.name, '="', escapeAttr(a.value), '"');
    out.push('>');
    stack.push({ el, mark, next: el.firstChild });
  }
}

/**
 * Canonical XML 1.0 §2 (data model): "a relative namespace URI ... is an error": its meaning would
 * depend on a base URI the canonical form does not carry. Absolute means it starts with a scheme
 * (RFC 3986 §3.1). The empty URI (`xmlns=""`) undeclares and is allowed.
 */
function checkAbsolute(uri: string): void {
  if (uri === '' || ABSOLUTE_URI.test(uri)) return;
  throw new SamlError('XML_INVALID_VALUE', 'A namespace URI is relative.', {
    expected: 'absolute namespace URIs (with a scheme, like urn: or https:)',
    found: describeValue(uri),
    hint: 'Canonical XML 1.0 §2 makes relative namespace URIs an error; fix the document producer',
  });
}

const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/** The namespace bindings in scope at `el` (prefix → URI), nearest declaration first. */
function inScopeNamespaces(el: Element, meter: { steps: number }): Map<string, string> {
  const ns = new Map<string, string>();
  for (let n: Node | null = el; n && n.nodeType === ELEMENT_NODE; n = n.parentNode) {
    const attrs = (n as Element).attributes;
    for (let i = 0; i < attrs.length; i++) {
      meter.steps++;
      const a = attrs[i]!;
      if (a.namespaceURI !== XMLNS_NS) continue;
      const p = a.prefix ? a.localName : '';
      if (!ns.has(p)) ns.set(p, a.value);
    }
  }
  return ns;
}

function addInheritedXmlAttributes(apex: Element, list: Attr[], meter: { steps: number }): void {
  const seen = new Set(list.filter((a) => a.namespaceURI === XML_NS).map((a) => a.localName));
  for (let n = apex.parentNode; n && n.nodeType === ELEMENT_NODE; n = n.parentNode) {
    const attrs = (n as Element).attributes;
    for (let i = 0; i < attrs.length; i++) {
      meter.steps++;
      const a = attrs[i]!;
      if (a.namespaceURI === XML_NS && !seen.has(a.localName)) {
        seen.add(a.localName);
        list.push(a);
      }
    }
  }
}

function compareAttributes(a: Attr, b: Attr): number {
  return (
    compareCodePoints(a.namespaceURI ?? '', b.namespaceURI ?? '') ||
    compareCodePoints(a.localName, b.localName)
  );
}

/**
 * Compares two strings by Unicode code point, as c14n requires (XML strings are sequences of UCS
 * characters), not by UTF-16 code unit as `<` does: the two differ when a character above U+FFFF
 * (a surrogate pair, units D800–DFFF) meets one in U+E000–U+FFFF. At the first differing unit,
 * moving surrogates above E000–FFFF restores code point order.
 * @internal
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

// c14n §2.3 "Character Modifications and Character References": text escapes &, <, > and CR;
// attribute values (namespace URIs included) escape &, <, ", TAB, LF and CR.
function escapeText(s: string): string {
  if (!/[&<>\r]/.test(s)) return s;
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r/g, '&#xD;');
}

function escapeAttr(s: string): string {
  if (!/[&<"\t\n\r]/.test(s)) return s;
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#x9;')
    .replace(/\n/g, '&#xA;')
    .replace(/\r/g, '&#xD;');
}
