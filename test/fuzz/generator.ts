// Random SAML-shaped documents that stress canonicalization, for the differential test against
// xmlsec1. A document is built as a small tree (so a failing one can be minimized node by node) and
// serialized to legal XML 1.0 (XML 1.0 §2.1 document, no DTD) that is namespace-well-formed
// (Namespaces in XML 1.0 §5: every prefix declared, no two attributes with one expanded name).

/** A seeded PRNG (mulberry32): the same seed gives the same document everywhere. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

export interface GAttr {
  /** Qualified name as written (`xml:lang`, `p:x`, `x`). */
  readonly name: string;
  /** The value as written between double quotes: already escaped, may hold references. */
  readonly raw: string;
}
export interface GElement {
  readonly kind: 'el';
  readonly prefix: string;
  readonly local: string;
  /** Namespace declarations in document order: prefix ('' for the default namespace) → URI. */
  ns: Array<[string, string]>;
  attrs: GAttr[];
  children: GNode[];
  /** The element that carries the ID and is signed. */
  readonly target?: boolean;
}
export type GNode =
  | GElement
  | { readonly kind: 'text'; raw: string }
  | { readonly kind: 'comment'; readonly text: string }
  | { readonly kind: 'pi'; readonly target: string; readonly data: string }
  | { readonly kind: 'cdata'; readonly text: string };

export const SAML_NS = {
  saml: 'urn:oasis:names:tc:SAML:2.0:assertion',
  samlp: 'urn:oasis:names:tc:SAML:2.0:protocol',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  xs: 'http://www.w3.org/2001/XMLSchema',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
} as const;

/** A generated document: its tree, and what is signed. */
export interface GDoc {
  readonly root: GElement;
  /** Namespace URI and local name of the signed element (for xmlsec1's --id-attr). */
  readonly targetNs: string;
  readonly targetLocal: string;
  readonly id: string;
}

// Namespace names must be absolute URI references (Namespaces in XML 1.0 §2.2): libxml2's
// canonicalizer refuses others, as the c14n specs allow (c14n §2.3 relative namespace URIs). Some
// are prefixes of one another so that sorting and inheritance are exercised.
const URIS = [
  'urn:x',
  'urn:x:y',
  'urn:x:y:z',
  'urn:x:yz',
  'urn:X',
  'http://a.example/ns',
  'http://a.example/ns/',
  'http://a.example/ns/b',
  'http://a.example/ns?q=1&amp;r=2',
  'urn:%C3%A9t%C3%A9',
  'urn:x%F0%9F%98%80',
  SAML_NS.saml,
  SAML_NS.samlp,
  SAML_NS.ds,
  SAML_NS.xs,
  SAML_NS.xsi,
];

// Name characters: ASCII, Latin-1, BMP above U+E000 (NameStartChar #xF900-#xFDCF, #xFDF0-#xFFFD)
// and astral ones (#x10000-#xEFFFF), XML 1.0 fifth edition §2.3. Code-point order and UTF-16
// order disagree between the last two groups, which is what attribute sorting must get right.
const NAME_START_ASCII = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_';
const NAME_START_OTHER = ['é', 'Ω', 'ж', '中', '\uF900', '\uFA00', '\uFDF0', '𐀀', '𝐀', '\u{E0100}'];
const NAME_CHAR_EXTRA = ['-', '.', '0', '9', '\u00B7', '\u0300'];

const PREFIXES = ['saml', 'samlp', 'ds', 'xs', 'xsi', 'a', 'b', 'ns1', 'é', 'p\uFA00', 'p𐀀', '中'];

function nameStart(rng: Rng): string {
  return rng.chance(0.75) ? rng.pick([...NAME_START_ASCII]) : rng.pick(NAME_START_OTHER);
}

/** A random NCName (Namespaces in XML 1.0 §3). */
export function ncName(rng: Rng): string {
  let s = nameStart(rng);
  const n = rng.int(4);
  for (let i = 0; i < n; i++) {
    s += rng.chance(0.2) ? rng.pick(NAME_CHAR_EXTRA) : nameStart(rng);
  }
  // U+FFFD is a name character too (#xFDF0-#xFFFD), and rarer in real names.
  return rng.chance(0.003) ? `${s}\uFFFD` : s;
}

// Text pieces, as written. No ']' so that ']]>' cannot occur; '>' alone is legal (XML 1.0 §2.4).
const TEXT_PIECES = [
  'alice',
  'x y',
  ' ',
  '  ',
  '\n',
  '\n  ',
  '\t',
  '\r\n',
  '\r',
  '&amp;',
  '&lt;',
  '&gt;',
  '&quot;',
  '&apos;',
  '>',
  "'",
  '"',
  '&#xD;',
  '&#13;',
  '&#x9;',
  '&#xA;',
  '&#x85;',
  '&#x2028;',
  '&#x1F600;',
  '&#xE000;',
  '&#xFFFD;',
  '\u0085',
  '\u2028',
  '\u2029',
  '\uE000',
  '\uFFFD',
  '😀',
  '\u{10FFFD}',
  'é',
  '中文',
];
// Attribute values, as written between double quotes: literal whitespace is normalized to spaces
// by the parser (XML 1.0 §3.3.3), character references are not.
const ATTR_PIECES = [
  'v',
  'a b',
  ' ',
  '\t',
  '\n',
  '\r\n',
  '&amp;',
  '&lt;',
  '&gt;',
  '&quot;',
  "'",
  '>',
  '&#x9;',
  '&#xA;',
  '&#xD;',
  '&#13;',
  '&#x85;',
  '&#x2028;',
  '\u0085',
  '\u2028',
  '\u2029',
  '\uE000',
  '\uFFFD',
  '😀',
  '&#x10000;',
  'é',
];

function rawText(rng: Rng, pieces: readonly string[], max: number): string {
  let s = '';
  const n = 1 + rng.int(max);
  for (let i = 0; i < n; i++) s += rng.pick(pieces);
  return s;
}

interface Scope {
  /** prefix ('' default) → URI ('' for no namespace). */
  readonly ns: Map<string, string>;
}

/** Options of the generator. */
export interface GenerateOptions {
  readonly maxDepth?: number;
}

/** Generates the document for `seed`. */
export function generateDocument(seed: number, options: GenerateOptions = {}): GDoc {
  const rng = new Rng(seed);
  const maxDepth = options.maxDepth ?? 5;
  const id = `_${(seed >>> 0).toString(16)}${rng.chance(0.3) ? '.a-b' : ''}`;
  const usedXmlIds = new Set<string>([id]);

  // Signed element: an Assertion inside a Response, or the Response itself.
  const signResponse = rng.chance(0.3);
  const targetNs = signResponse ? SAML_NS.samlp : SAML_NS.saml;
  const targetLocal = signResponse ? 'Response' : 'Assertion';

  function declare(el: GElement, scope: Scope, prefix: string, uri: string): void {
    if (el.ns.some(([p]) => p === prefix)) return;
    el.ns.push([prefix, uri]);
    scope.ns.set(prefix, uri);
  }

  function randomDecls(el: GElement, scope: Scope): void {
    const n = rng.int(3);
    for (let i = 0; i < n; i++) {
      if (rng.chance(0.25)) {
        // default namespace: an undeclaration (xmlns="") or a URI
        declare(el, scope, '', rng.chance(0.5) ? '' : rng.pick(URIS));
      } else {
        declare(el, scope, rng.pick(PREFIXES), rng.pick(URIS));
      }
    }
  }

  function attributes(el: GElement, scope: Scope): void {
    const expanded = new Set<string>();
    const qnames = new Set<string>(el.attrs.map((a) => a.name));
    for (const a of el.attrs) expanded.add(`|${a.name}`);
    const add = (prefix: string, local: string, raw: string): void => {
      const uri =
        prefix === ''
          ? ''
          : prefix === 'xml'
            ? 'http://www.w3.org/XML/1998/namespace'
            : scope.ns.get(prefix)!;
      const qname = prefix ? `${prefix}:${local}` : local;
      // ID/Id/id are the signature-reference attributes; only the signed element has one.
      if (/^(ID|Id|id)$/.test(local)) return;
      if (qnames.has(qname) || expanded.has(`${uri}|${local}`)) return;
      qnames.add(qname);
      expanded.add(`${uri}|${local}`);
      el.attrs.push({ name: qname, raw });
    };
    if (rng.chance(0.15)) add('xml', 'lang', rng.pick(['en', 'fr-CA', '', 'é']));
    if (rng.chance(0.1)) add('xml', 'space', rng.pick(['preserve', 'default']));
    if (rng.chance(0.08)) {
      const xid = `x${rng.int(1e6)}`;
      if (!usedXmlIds.has(xid)) {
        usedXmlIds.add(xid);
        add('xml', 'id', xid);
      }
    }
    const n = rng.int(4);
    const bound = [...scope.ns].filter(([p, u]) => p !== '' && u !== '').map(([p]) => p);
    // Stems shared between attributes so that names differ only late (sorting).
    const stem = ncName(rng);
    for (let i = 0; i < n; i++) {
      const local = rng.chance(0.4)
        ? stem + rng.pick(['a', 'Z', 'é', '\uFA00', '\uFFEE', '𐀀', '𝐀'])
        : ncName(rng);
      const prefix = bound.length > 0 && rng.chance(0.5) ? rng.pick(bound) : '';
      add(prefix, local, rawText(rng, ATTR_PIECES, 4));
    }
  }

  function element(
    scope: Scope,
    depth: number,
    forced?: { prefix: string; local: string; uri: string },
  ): GElement {
    const el: GElement = { kind: 'el', prefix: '', local: '', ns: [], attrs: [], children: [] };
    const inner: Scope = { ns: new Map(scope.ns) };
    randomDecls(el, inner);
    let prefix: string;
    let local: string;
    if (forced) {
      local = forced.local;
      prefix = forced.prefix;
      if (inner.ns.get(prefix) !== forced.uri) {
        // rebinding: drop a conflicting declaration made above, then declare
        el.ns = el.ns.filter(([p]) => p !== prefix);
        el.ns.push([prefix, forced.uri]);
        inner.ns.set(prefix, forced.uri);
      }
    } else {
      local = rng.chance(0.5)
        ? rng.pick(['Issuer', 'Subject', 'NameID', 'Attribute', 'AttributeValue', 'Conditions'])
        : ncName(rng);
      const bound = [...inner.ns].filter(([p, u]) => p !== '' && u !== '').map(([p]) => p);
      prefix = bound.length > 0 && rng.chance(0.7) ? rng.pick(bound) : '';
    }
    const out: GElement = { ...el, prefix, local, ns: el.ns };
    attributes(out, inner);
    children(out, inner, depth);
    return out;
  }

  function leaf(): GNode {
    const r = rng.int(10);
    if (r < 5) return { kind: 'text', raw: rawText(rng, TEXT_PIECES, 5) };
    if (r < 7) return { kind: 'comment', text: rng.pick([' c ', '', 'a-b', ' é 😀 ', '\n']) };
    if (r < 9) {
      let target = ncName(rng);
      if (/^xml/i.test(target)) target = `p${target}`;
      return { kind: 'pi', target, data: rng.pick(['', 'd', ' lead', 'a="1" b', 'x\ty ', 'é😀']) };
    }
    return { kind: 'cdata', text: rng.pick(['', '<a>&amp;', 'x]y', '\r\n', ' ', '😀\u0085']) };
  }

  function children(el: GElement, scope: Scope, depth: number): void {
    const n = depth >= maxDepth ? rng.int(2) : rng.int(5);
    for (let i = 0; i < n; i++) {
      if (depth < maxDepth && rng.chance(0.45)) el.children.push(element(scope, depth + 1));
      else el.children.push(leaf());
    }
  }

  // Root.
  const rootScope: Scope = { ns: new Map([['', '']]) };
  const targetPrefix = rng.pick(['saml', 'samlp', 'a', 'é', 'p𐀀', '']);
  let root: GElement;
  let target: GElement;
  const makeTarget = (scope: Scope, depth: number): GElement => {
    const t = element(scope, depth, {
      prefix: targetPrefix,
      local: targetLocal,
      uri: targetNs,
    });
    const withId: GElement = { ...t, target: true, attrs: [{ name: 'ID', raw: id }, ...t.attrs] };
    // The Issuer first, as SAML core §2.3.3 has it (the signature goes after it).
    if (rng.chance(0.7)) {
      const issuerPrefix = rng.pick(['saml', 'i']);
      const issuer: GElement = {
        kind: 'el',
        prefix: issuerPrefix,
        local: 'Issuer',
        ns: [[issuerPrefix, SAML_NS.saml]],
        attrs: [],
        children: [{ kind: 'text', raw: rawText(rng, TEXT_PIECES, 2) }],
      };
      withId.children.unshift(issuer);
    }
    return withId;
  };
  if (signResponse) {
    root = makeTarget(rootScope, 0);
    target = root;
  } else {
    const outer = element(rootScope, 0, {
      prefix: rng.pick(['samlp', 'saml', 'r', '']),
      local: 'Response',
      uri: SAML_NS.samlp,
    });
    // Place the target somewhere below the root, possibly under a wrapper element.
    const scopeAt = (path: GElement[]): Scope => {
      const ns = new Map<string, string>([['', '']]);
      for (const e of path) for (const [p, u] of e.ns) ns.set(p, u);
      return { ns };
    };
    let parent = outer;
    const path = [outer];
    if (rng.chance(0.4)) {
      const wrappers = parent.children.filter((c): c is GElement => c.kind === 'el');
      if (wrappers.length > 0) {
        parent = rng.pick(wrappers);
        path.push(parent);
      }
    }
    target = makeTarget(scopeAt(path), path.length);
    parent.children.splice(rng.int(parent.children.length + 1), 0, target);
    root = outer;
  }
  void target;
  return { root, targetNs, targetLocal, id };
}

function qname(prefix: string, local: string): string {
  return prefix ? `${prefix}:${local}` : local;
}

/**
 * Serializes the tree. `signatureAfterIssuer` (a ds:Signature template) is placed in the signed
 * element after its first Issuer child, or first.
 */
export function serialize(doc: GDoc, signatureTemplate?: string): string {
  const out: string[] = [];
  const write = (n: GNode): void => {
    switch (n.kind) {
      case 'text':
        out.push(n.raw);
        return;
      case 'comment':
        out.push(`<!--${n.text}-->`);
        return;
      case 'pi':
        out.push(`<?${n.target}${n.data ? ` ${n.data}` : ''}?>`);
        return;
      case 'cdata':
        out.push(`<![CDATA[${n.text}]]>`);
        return;
      case 'el': {
        const name = qname(n.prefix, n.local);
        out.push('<', name);
        for (const [p, u] of n.ns) out.push(p ? ` xmlns:${p}="${u}"` : ` xmlns="${u}"`);
        for (const a of n.attrs) out.push(` ${a.name}="${a.raw}"`);
        out.push('>');
        let kids = n.children;
        if (n.target && signatureTemplate !== undefined) {
          const at = kids.findIndex((c) => c.kind === 'el' && c.local === 'Issuer');
          const i = at >= 0 ? at + 1 : 0;
          kids = [...kids.slice(0, i), { kind: 'text', raw: signatureTemplate }, ...kids.slice(i)];
        }
        for (const c of kids) write(c);
        out.push('</', name, '>');
        return;
      }
    }
  };
  write(doc.root);
  return out.join('');
}

/** Prefixes declared anywhere in the document (for PrefixLists), plus `#default`. */
export function declaredPrefixes(doc: GDoc): string[] {
  const set = new Set<string>();
  const walk = (e: GElement): void => {
    for (const [p] of e.ns) set.add(p === '' ? '#default' : p);
    for (const c of e.children) if (c.kind === 'el') walk(c);
  };
  walk(doc.root);
  return [...set].sort();
}

/**
 * Every document one step smaller than `doc` (a node, attribute or declaration removed, a text
 * shortened), for minimizing a failing case. Steps that keep nothing signable are not offered.
 */
export function* shrink(doc: GDoc): Generator<GDoc> {
  const paths: number[][] = [];
  const collect = (e: GElement, path: number[]): void => {
    paths.push(path);
    e.children.forEach((c, i) => {
      if (c.kind === 'el') collect(c, [...path, i]);
    });
  };
  collect(doc.root, []);
  const clone = (): GDoc => ({ ...doc, root: structuredClone(doc.root) });
  const at = (root: GElement, path: number[]): GElement => {
    let e = root;
    for (const i of path) e = e.children[i] as GElement;
    return e;
  };
  const containsTarget = (n: GNode): boolean =>
    n.kind === 'el' && (n.target === true || n.children.some(containsTarget));
  for (const path of paths) {
    const el = at(doc.root, path);
    for (let i = el.children.length - 1; i >= 0; i--) {
      const child = el.children[i]!;
      if (!containsTarget(child)) {
        const d = clone();
        at(d.root, path).children.splice(i, 1);
        yield d;
      }
      if (child.kind === 'el' && !child.target && child.children.length > 0) {
        // replace an element by its children (unwrap), keeping its declarations on them
        const d = clone();
        const p = at(d.root, path);
        const c = p.children[i] as GElement;
        const lifted = c.children.map((k) =>
          k.kind === 'el'
            ? { ...k, ns: [...c.ns.filter(([q]) => !k.ns.some(([r]) => r === q)), ...k.ns] }
            : k,
        );
        p.children.splice(i, 1, ...lifted);
        yield d;
      }
      if (child.kind === 'text' && child.raw.length > 1) {
        const d = clone();
        const t = at(d.root, path).children[i] as { kind: 'text'; raw: string };
        t.raw = shortenRaw(child.raw);
        yield d;
      }
    }
    for (let i = el.attrs.length - 1; i >= 0; i--) {
      if (el.target && el.attrs[i]!.name === 'ID') continue;
      const d = clone();
      at(d.root, path).attrs.splice(i, 1);
      yield d;
      if (el.attrs[i]!.raw.length > 1) {
        const d2 = clone();
        const a = at(d2.root, path).attrs[i]!;
        at(d2.root, path).attrs[i] = { name: a.name, raw: shortenRaw(a.raw) };
        yield d2;
      }
    }
    for (let i = el.ns.length - 1; i >= 0; i--) {
      const d = clone();
      at(d.root, path).ns.splice(i, 1);
      yield d;
    }
  }
}

/** The first half of a written value, cut at a piece boundary (never inside a reference). */
function shortenRaw(raw: string): string {
  const cps = [...raw];
  let cut = Math.ceil(cps.length / 2);
  const amp = cps.lastIndexOf('&', cut - 1);
  const semi = cps.lastIndexOf(';', cut - 1);
  if (amp > semi) cut = amp;
  return cps.slice(0, cut).join('');
}
