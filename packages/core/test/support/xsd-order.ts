// Checks the child-element order of a document against the content models of an XML Schema
// (XML Schema part 1 §3.8 model groups, §3.9 particles, §3.10 wildcards), as far as a schema
// uses them: sequence, choice, element refs, `any` with ##other, minOccurs/maxOccurs, and
// complexContent extension (§3.4.2: the base's particles, then the extension's). Each content
// model becomes a regular expression over one token per child element, so a document passes
// exactly when its children are a word of the model. Types from other schemas (not loaded) are
// treated as empty content; simple content is not looked into.
import { readFileSync } from 'node:fs';
import { childElements, parseXml } from '../../src/lib/xml.js';

const XS = 'http://www.w3.org/2001/XMLSchema';

export interface XsdOrderChecker {
  /** The problems found under `root` (empty when its element order is schema-valid). */
  check(root: Element): string[];
}

const clark = (ns: string | null, local: string) => `{${ns ?? ''}}${local}`;

export function loadXsdOrder(path: string | URL): XsdOrderChecker {
  const schema = parseXml(readFileSync(path, 'utf8')).documentElement;
  const target = schema.getAttribute('targetNamespace')!;
  const qname = (el: Element, value: string) => {
    const [prefix, local] = value.includes(':') ? value.split(':') : [null, value];
    return clark(el.lookupNamespaceURI(prefix ?? null), local!);
  };
  const elements = new Map<string, string>(); // element → its type (Clark names)
  const types = new Map<string, Element>();
  for (const el of childElements(schema, XS)) {
    const name = el.getAttribute('name');
    if (!name) continue;
    if (el.localName === 'element' && el.getAttribute('type'))
      elements.set(clark(target, name), qname(el, el.getAttribute('type')!));
    if (el.localName === 'complexType') types.set(clark(target, name), el);
  }

  // Tokens: one private-use character per element name seen in a document.
  const tokens = new Map<string, string>();
  const token = (name: string) => {
    let t = tokens.get(name);
    if (t === undefined) {
      t = String.fromCharCode(0xe000 + tokens.size);
      tokens.set(name, t);
    }
    return t;
  };
  const occurs = (p: Element, body: string) => {
    const min = p.getAttribute('minOccurs') ?? '1';
    const max = p.getAttribute('maxOccurs') ?? '1';
    return `(?:${body}){${min},${max === 'unbounded' ? '' : max}}`;
  };
  const particle = (p: Element, others: () => string): string => {
    switch (p.localName) {
      case 'element':
        return occurs(
          p,
          escapeRe(token(qname(p, p.getAttribute('ref') ?? p.getAttribute('name')!))),
        );
      case 'sequence':
        return occurs(
          p,
          childElements(p, XS)
            .map((c) => particle(c, others))
            .join(''),
        );
      case 'choice':
        return occurs(
          p,
          childElements(p, XS)
            .map((c) => particle(c, others))
            .join('|'),
        );
      case 'any':
        if (p.getAttribute('namespace') !== '##other') throw new Error('only ##other wildcards');
        return occurs(p, others());
      default:
        return '';
    }
  };
  const model = (type: Element, others: () => string): string => {
    let out = '';
    for (const c of childElements(type, XS)) {
      if (c.localName === 'complexContent') {
        const ext = childElements(c, XS, 'extension')[0];
        if (!ext) continue;
        const base = types.get(qname(ext, ext.getAttribute('base')!));
        if (base) out += model(base, others);
        out += model(ext, others);
      } else {
        out += particle(c, others);
      }
    }
    return out;
  };

  const check = (el: Element, path: string, problems: string[]): void => {
    const type = types.get(elements.get(clark(el.namespaceURI, el.localName)) ?? '');
    if (!type) return;
    const children = childElements(el);
    const word = children.map((c) => token(clark(c.namespaceURI, c.localName))).join('');
    const foreign = children.filter((c) => c.namespaceURI !== target);
    const others = () =>
      foreign.length === 0
        ? '(?!)'
        : `[${foreign.map((c) => escapeRe(token(clark(c.namespaceURI, c.localName)))).join('')}]`;
    const re = new RegExp(`^${model(type, others)}$`, 'u');
    if (!re.test(word)) {
      problems.push(
        `${path}: children ${children.map((c) => c.localName).join(', ') || '(none)'} do not match ${type.getAttribute('name')}`,
      );
    }
    for (const c of children)
      if (c.namespaceURI === target) check(c, `${path}/${c.localName}`, problems);
  };

  return {
    check(root) {
      const problems: string[] = [];
      if (!elements.has(clark(root.namespaceURI, root.localName)))
        problems.push(`${root.localName} is not a global element of the schema`);
      check(root, root.localName, problems);
      return problems;
    },
  };
}

function escapeRe(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}
