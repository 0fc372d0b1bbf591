// Random documents for signing and verifying: prefixes rebound between the context and the
// signed element (ds included), non-ASCII prefixes and names, characters above U+FFFF, namespace
// URIs that are prefixes of one another or need escaping, default namespaces set and unset,
// xml:* attributes in the context. The signed element is `Signed` in urn:signed, ID `_s`.
import fc from 'fast-check';
import { escapeXml } from '../../src/lib/xml.js';

const PREFIXES = ['a', 'b', 'ds', 'saml', 'é', '\uFB01', '\u{10000}'];
const URIS = [
  'urn:a',
  'urn:ab',
  'http://www.w3.org/2000/09/xmldsig#',
  // xmlsec1 writes a namespace URI unescaped in canonical form (c14n escapes it as an attribute
  // value), and refuses namespace URIs that are not RFC 3986 URIs (IRIs, <, ")
  'urn:x&y',
  'urn:\uFB01',
  'urn:\u{10000}',
  'urn:x<z"q',
];
const URI_URIS = URIS.slice(0, 3);
const LOCALS = ['e', 'f', 'é', '\uFB01', '\u{10000}x'];
const VALUES = ['v', 'a&b', '<x>', 'q"uote', 't\tab', 'l\nf', 'c\rr', '\u00e9\u{1F600}', ''];
// A CR in text does not survive serialization yet (serializeXml writes it literally and parsing
// turns it into LF); attribute values carry it as a reference.
const TEXTS = VALUES.filter((v) => !v.includes('\r'));

interface Node {
  prefix: string | null;
  local: string;
  decls: Array<[string, string]>; // '' = default namespace
  attrs: Array<[string | null, string]>; // prefix, value (local names are made unique)
  children: Array<Node | string>;
}

function declArb(uris: readonly string[]) {
  return fc
    .tuple(fc.constantFrom('', ...PREFIXES), fc.constantFrom(...uris, ''))
    .filter(([p, u]) => p === '' || u !== ''); // only the default namespace may be undeclared
}

function nodeArb(depth: number, uris: readonly string[]): fc.Arbitrary<Node> {
  return fc.record({
    prefix: fc.option(fc.constantFrom(...PREFIXES), { nil: null }),
    local: fc.constantFrom(...LOCALS),
    decls: fc.uniqueArray(declArb(uris), { maxLength: 3, selector: (d) => d[0] }),
    attrs: fc.array(
      fc.tuple(fc.option(fc.constantFrom(...PREFIXES), { nil: null }), fc.constantFrom(...VALUES)),
      { maxLength: 3 },
    ),
    children:
      depth <= 0
        ? fc.array(fc.constantFrom(...TEXTS), { maxLength: 1 })
        : fc.array(fc.oneof(nodeArb(depth - 1, uris), fc.constantFrom(...TEXTS)), { maxLength: 3 }),
  });
}

/** Renders a node; prefixes it uses without a binding in scope get one declared here. */
function render(
  n: Node,
  scope: Map<string, string>,
  extra = '',
  firstChild?: (scope: Map<string, string>) => string,
): string {
  const inner = new Map(scope);
  const decls = new Map<string, string>();
  for (const [p, u] of n.decls) {
    decls.set(p, u);
    inner.set(p, u);
  }
  const need = (p: string) => {
    if (!inner.get(p)) {
      decls.set(p, URIS[0]!);
      inner.set(p, URIS[0]!);
    }
  };
  if (n.prefix) need(n.prefix);
  for (const [p] of n.attrs) if (p) need(p);
  const name = n.prefix ? `${n.prefix}:${n.local}` : n.local;
  let s = `<${name}${extra}`;
  for (const [p, u] of decls) s += ` xmlns${p ? `:${p}` : ''}="${escapeXml(u)}"`;
  n.attrs.forEach(([p, v], i) => {
    s += ` ${p ? `${p}:` : ''}at${i}="${escapeXml(v)}"`;
  });
  s += '>';
  if (firstChild) s += firstChild(inner);
  for (const c of n.children) s += typeof c === 'string' ? escapeXml(c) : render(c, inner);
  return `${s}</${name}>`;
}

/**
 * A document: a random context element holding the signed element (itself random inside).
 * `uriOnly` keeps namespace names to RFC 3986 URIs (what xmlsec1 accepts).
 */
export function signableDocuments(uriOnly = false): fc.Arbitrary<string> {
  const uris = uriOnly ? URI_URIS : URIS;
  return fc
    .record({
      outer: nodeArb(1, uris),
      signed: nodeArb(2, uris),
      signedPrefix: fc.option(fc.constantFrom(...PREFIXES), { nil: null }),
      lang: fc.boolean(),
    })
    .map(({ outer, signed, signedPrefix, lang }) => {
      // The signed element: Signed in urn:signed, declared on itself (rebinding whatever the
      // context bound its prefix to).
      const signedNode: Node = {
        ...signed,
        prefix: signedPrefix,
        local: 'Signed',
        decls: [
          ...signed.decls.filter(([p]) => p !== (signedPrefix ?? '')),
          [signedPrefix ?? '', 'urn:signed'],
        ],
      };
      // The signed element sees the context's bindings: what it uses without declaring comes from
      // there (exclusive c14n renders it on the apex; inclusive renders all of them).
      return render(outer, new Map([['', '']]), lang ? ' xml:lang="fr"' : '', (scope) =>
        render(signedNode, scope, ' ID="_s"'),
      );
    });
}

/** {@link signableDocuments} with every kind of namespace name. */
export const signableDocument = signableDocuments();
