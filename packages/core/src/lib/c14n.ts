// Canonical XML for signature verification, in one pass over the DOM:
// - Exclusive XML Canonicalization 1.0 (https://www.w3.org/TR/xml-exc-c14n/), with an
//   InclusiveNamespaces PrefixList (§3).
// - Canonical XML 1.0 (https://www.w3.org/TR/xml-c14n/) of a document subset whose apex is an
//   element (§2.4: in-scope namespaces and xml:* attributes of ancestors are rendered on the apex).
// Comments are always omitted (the "without comments" variants are the only ones samlkit accepts).
// One node (the enveloped ds:Signature, XML-DSig §6.6.4) can be excluded with its subtree.

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;
const PROCESSING_INSTRUCTION_NODE = 7;
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';
const XML_NS = 'http://www.w3.org/XML/1998/namespace';

/** Canonicalization options. @internal */
export interface C14nOptions {
  /** Exclusive (true) or inclusive Canonical XML 1.0 (false). */
  readonly exclusive: boolean;
  /** Exclusive only: prefixes treated inclusively (`#default` is the default namespace). */
  readonly inclusivePrefixes?: readonly string[];
  /** A node left out of the output together with its subtree. */
  readonly exclude?: Node;
}

/** Rendered namespace context: prefix ('' for default) → URI, with parent links. */
type NsContext = Map<string, string>;

/**
 * Canonicalizes the subtree rooted at `apex`.
 * @internal
 */
export function canonicalize(apex: Element, options: C14nOptions): string {
  const out: string[] = [];
  const inclusive = new Set(
    (options.inclusivePrefixes ?? []).map((p) => (p === '#default' ? '' : p)),
  );
  const apexNs = options.exclusive ? undefined : inScopeNamespaces(apex);
  writeElement(apex, new Map([['', '']]), true);
  return out.join('');

  function writeElement(el: Element, rendered: NsContext, isApex: boolean): void {
    const name = el.nodeName;
    out.push('<', name);

    // Namespace axis. `next` is the context passed to the children: copied only when this
    // element declares something (most elements declare nothing).
    const decls: Array<[string, string]> = [];
    let next: NsContext = rendered;
    const consider = (prefix: string, uri: string): void => {
      if (prefix === 'xml') return;
      if (rendered.get(prefix) === uri) return;
      if (prefix === '' && uri === '' && !rendered.has('')) return;
      for (let i = 0; i < decls.length; i++) if (decls[i]![0] === prefix) return;
      decls.push([prefix, uri]);
      if (next === rendered) next = new Map(rendered);
      next.set(prefix, uri);
    };
    if (options.exclusive) {
      // Visibly utilized prefixes (exc-c14n §3): the element's own and its attributes'.
      const ownPrefix = el.prefix ?? '';
      const ownUri = el.namespaceURI ?? '';
      if (rendered.get(ownPrefix) !== ownUri) consider(ownPrefix, ownUri);
      const attrs = el.attributes;
      for (let i = 0; i < attrs.length; i++) {
        const a = attrs[i]!;
        if (a.prefix && a.namespaceURI !== XMLNS_NS) consider(a.prefix, a.namespaceURI ?? '');
      }
      // InclusiveNamespaces PrefixList: rendered per Canonical XML rules where in scope.
      if (inclusive.size > 0) {
        for (const p of inclusive) {
          const uri = isApex ? lookupInScope(el, p) : ownDeclaration(el, p);
          if (uri !== undefined) consider(p, uri);
        }
      }
    } else if (isApex) {
      for (const [p, uri] of apexNs!) consider(p, uri);
    } else {
      const attrs = el.attributes;
      for (let i = 0; i < attrs.length; i++) {
        const a = attrs[i]!;
        if (a.namespaceURI !== XMLNS_NS) continue;
        consider(a.prefix ? a.localName : '', a.value);
      }
    }
    if (decls.length > 1) decls.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const [p, uri] of decls) {
      out.push(p ? ` xmlns:${p}="` : ' xmlns="', escapeAttr(uri), '"');
    }

    // Attribute axis: sorted by namespace URI then local name, unqualified first (c14n §2.2).
    const attrList: Attr[] = [];
    const attrs = el.attributes;
    for (let i = 0; i < attrs.length; i++) {
      const a = attrs[i]!;
      if (a.namespaceURI !== XMLNS_NS) attrList.push(a);
    }
    if (isApex && !options.exclusive) addInheritedXmlAttributes(el, attrList);
    if (attrList.length > 1) attrList.sort(compareAttributes);
    for (const a of attrList) out.push(' ', a.name, '="', escapeAttr(a.value), '"');
    out.push('>');

    for (let c = el.firstChild; c; c = c.nextSibling) {
      if (c === options.exclude) continue;
      switch (c.nodeType) {
        case ELEMENT_NODE:
          writeElement(c as Element, next, false);
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
    out.push('</', name, '>');
  }
}

function ownDeclaration(el: Element, prefix: string): string | undefined {
  const attrs = el.attributes;
  for (let i = 0; i < attrs.length; i++) {
    const a = attrs[i]!;
    if (a.namespaceURI !== XMLNS_NS) continue;
    if ((a.prefix ? a.localName : '') === prefix) return a.value;
  }
  return undefined;
}

function lookupInScope(el: Element, prefix: string): string | undefined {
  for (let n: Node | null = el; n && n.nodeType === ELEMENT_NODE; n = n.parentNode) {
    const v = ownDeclaration(n as Element, prefix);
    if (v !== undefined) return v;
  }
  return undefined;
}

function inScopeNamespaces(apex: Element): Map<string, string> {
  const ns = new Map<string, string>();
  for (let n: Node | null = apex; n && n.nodeType === ELEMENT_NODE; n = n.parentNode) {
    const attrs = (n as Element).attributes;
    for (let i = 0; i < attrs.length; i++) {
      const a = attrs[i]!;
      if (a.namespaceURI !== XMLNS_NS) continue;
      const p = a.prefix ? a.localName : '';
      if (!ns.has(p)) ns.set(p, a.value);
    }
  }
  // An empty default namespace is the absence of one.
  if (ns.get('') === '') ns.delete('');
  return ns;
}

function addInheritedXmlAttributes(apex: Element, list: Attr[]): void {
  const seen = new Set(list.filter((a) => a.namespaceURI === XML_NS).map((a) => a.localName));
  for (let n = apex.parentNode; n && n.nodeType === ELEMENT_NODE; n = n.parentNode) {
    const attrs = (n as Element).attributes;
    for (let i = 0; i < attrs.length; i++) {
      const a = attrs[i]!;
      if (a.namespaceURI === XML_NS && !seen.has(a.localName)) {
        seen.add(a.localName);
        list.push(a);
      }
    }
  }
}

function compareAttributes(a: Attr, b: Attr): number {
  const an = a.namespaceURI ?? '';
  const bn = b.namespaceURI ?? '';
  if (an !== bn) return an < bn ? -1 : 1;
  return a.localName < b.localName ? -1 : a.localName > b.localName ? 1 : 0;
}

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
