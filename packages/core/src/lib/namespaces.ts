const ELEMENT_NODE = 1;

/**
 * The namespace declarations in scope at `el` (XML Namespaces §6.1), nearest declaration winning;
 * prefix `''` is the default namespace. Elements built with `createElementNS` may lack the
 * declaring attribute, so each element's own prefix binding is counted too.
 * @internal
 */
export function inScopeDeclarations(el: Element): Map<string, string> {
  const decls = new Map<string, string>();
  for (let n: Node | null = el; n && n.nodeType === ELEMENT_NODE; n = n.parentNode) {
    const e = n as Element;
    for (let i = 0; i < e.attributes.length; i++) {
      const a = e.attributes.item(i)!;
      if (a.name === 'xmlns') {
        if (!decls.has('')) decls.set('', a.value);
      } else if (a.name.startsWith('xmlns:')) {
        const prefix = a.name.slice(6);
        if (!decls.has(prefix)) decls.set(prefix, a.value);
      }
    }
    const prefix = e.prefix ?? '';
    if (!decls.has(prefix) && e.namespaceURI) decls.set(prefix, e.namespaceURI);
  }
  decls.delete('xml');
  decls.delete('xmlns');
  if (decls.get('') === '') decls.delete('');
  return decls;
}

/**
 * Declares on `el` every binding of `decls` that `el` does not declare itself, so that it keeps
 * its meaning when taken out of its context. Exclusive c14n ignores the declarations it does not
 * use, so signatures over `el` are unaffected.
 * @internal
 */
export function declareNamespaces(el: Element, decls: ReadonlyMap<string, string>): void {
  for (const [prefix, uri] of decls) {
    const name = prefix === '' ? 'xmlns' : `xmlns:${prefix}`;
    if (!el.hasAttribute(name)) el.setAttributeNS('http://www.w3.org/2000/xmlns/', name, uri);
  }
}
