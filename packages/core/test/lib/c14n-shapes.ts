// Documents whose shape made canonicalization quadratic before it kept one namespace map with an
// undo log: for the linear-work tests here and for hostile-input benchmarks (import this file;
// nothing of it is public API). Each function returns a document as text whose size grows
// linearly with `n`, together with how to canonicalize it.

/** One hostile input: the document and the canonicalization to run on its root element. */
export interface C14nShape {
  readonly name: string;
  readonly xml: string;
  readonly exclusive: boolean;
  readonly inclusivePrefixes?: readonly string[];
  /** Parser depth limit the document needs (nested shapes go deeper than the default 64). */
  readonly maxDepth?: number;
}

/** The shapes, each at size `n`. */
export function c14nShapes(n: number): C14nShape[] {
  const prefixes = Array.from({ length: 64 }, (_, i) => `p${i}`);
  const declareAll = prefixes.map((p) => ` xmlns:${p}="urn:${p}"`).join('');
  const manyDecls = Array.from({ length: n }, (_, i) => ` xmlns:n${i}="urn:n${i}"`).join('');
  const manyUses = Array.from({ length: n }, (_, i) => ` n${i}:a="${i}"`).join('');
  return [
    {
      // A PrefixList at its bound, n elements each declaring a prefix of it: every element used
      // to look up every listed prefix among its attributes.
      name: 'long PrefixList × many elements',
      xml: `<r${declareAll}>${Array.from(
        { length: n },
        (_, i) => `<e xmlns:p${i % 64}="urn:other${i}" a="${i}"/>`,
      ).join('')}</r>`,
      exclusive: true,
      inclusivePrefixes: prefixes,
    },
    {
      // n declarations on one element, all visibly used: each one used to be compared with all
      // those already rendered.
      name: 'many used declarations on one element (exclusive)',
      xml: `<r${manyDecls}${manyUses}/>`,
      exclusive: true,
    },
    {
      name: 'many declarations on one element (inclusive)',
      xml: `<r${manyDecls}/>`,
      exclusive: false,
    },
    {
      // n declarations on the root, then n children each re-declaring one of them: each child
      // used to copy the whole namespace context.
      name: 'children re-declaring a prefix of a wide context (inclusive)',
      xml: `<r${manyDecls}>${Array.from({ length: n }, (_, i) => `<c xmlns:n${i}="urn:x${i}"/>`).join('')}</r>`,
      exclusive: false,
    },
    {
      name: 'children re-declaring a used prefix of a wide context (exclusive)',
      xml: `<r${manyDecls}${manyUses}>${Array.from(
        { length: n },
        (_, i) => `<c xmlns:n${i}="urn:x${i}" n${i}:b="1"/>`,
      ).join('')}</r>`,
      exclusive: true,
    },
    {
      // n nested elements, each declaring one more prefix (and using it): a context copy per
      // level used to cost the depth.
      name: 'nested elements each adding a declaration',
      xml: `${Array.from({ length: n }, (_, i) => `<n${i}:e xmlns:n${i}="urn:n${i}">`).join('')}${Array.from(
        { length: n },
        (_, i) => `</n${n - 1 - i}:e>`,
      ).join('')}`,
      exclusive: false,
      maxDepth: n + 1,
    },
    {
      name: 'nested elements each adding a declaration (exclusive)',
      xml: `${Array.from({ length: n }, (_, i) => `<n${i}:e xmlns:n${i}="urn:n${i}">`).join('')}${Array.from(
        { length: n },
        (_, i) => `</n${n - 1 - i}:e>`,
      ).join('')}`,
      exclusive: true,
      maxDepth: n + 1,
    },
  ];
}
