import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSamlError } from '../../src/errors.js';
import { canonicalize, compareCodePoints } from '../../src/lib/c14n.js';
import { parseXml } from '../../src/lib/xml.js';
import { c14nShapes } from './c14n-shapes.js';

const exc = (xml: string, inclusivePrefixes?: string[]) =>
  canonicalize(parseXml(xml).documentElement, {
    exclusive: true,
    ...(inclusivePrefixes ? { inclusivePrefixes } : {}),
  });
const inc = (xml: string) => canonicalize(parseXml(xml).documentElement, { exclusive: false });

function steps(
  xml: string,
  options: { exclusive: boolean; inclusivePrefixes?: readonly string[] },
  maxDepth?: number,
): number {
  const meter = { steps: 0 };
  // The parser's structural limits refuse these shapes by default (lib/xml-scan.ts); here they are
  // lifted so the canonicalizer itself is measured on them.
  const doc = parseXml(xml, {
    maxSize: 64 * 1024 * 1024,
    maxNodes: 1 << 24,
    maxAttributes: 1 << 20,
    maxNamespaceDeclarations: 1 << 20,
    ...(maxDepth ? { maxDepth } : {}),
  });
  canonicalize(doc.documentElement, { ...options, meter });
  return meter.steps;
}

describe('canonical order compares UCS code points, not UTF-16 code units (c14n §2.2, exc-c14n §3)', () => {
  // U+FB01 sorts before U+10000 by code point; by UTF-16 unit 0xFB01 > 0xD800 (the high surrogate).
  it('attributes ordered by namespace URI', () => {
    const xml = '<r xmlns:a="urn:\u{10000}" xmlns:b="urn:\uFB01" a:x="1" b:x="2"/>';
    expect(exc(xml)).toBe('<r xmlns:a="urn:\u{10000}" xmlns:b="urn:\uFB01" b:x="2" a:x="1"></r>');
    expect(inc(xml)).toBe('<r xmlns:a="urn:\u{10000}" xmlns:b="urn:\uFB01" b:x="2" a:x="1"></r>');
  });
  it('attributes ordered by local name', () => {
    const xml = '<r \u{10000}="1" \uFB01="2"/>';
    expect(exc(xml)).toBe('<r \uFB01="2" \u{10000}="1"></r>');
  });
  it('namespace declarations ordered by prefix', () => {
    const xml = '<r xmlns:\u{10000}="urn:1" xmlns:\uFB01="urn:2" \u{10000}:a="1" \uFB01:b="2"/>';
    // (the attributes then follow their namespace URIs: urn:1 before urn:2)
    expect(inc(xml)).toBe(
      '<r xmlns:\uFB01="urn:2" xmlns:\u{10000}="urn:1" \u{10000}:a="1" \uFB01:b="2"></r>',
    );
    expect(exc(xml)).toBe(
      '<r xmlns:\uFB01="urn:2" xmlns:\u{10000}="urn:1" \u{10000}:a="1" \uFB01:b="2"></r>',
    );
  });
  it('a namespace URI that is a prefix of another sorts first', () => {
    const xml = '<r xmlns:a="urn:ab" xmlns:b="urn:a" a:x="1" b:y="2" z="0"/>';
    expect(exc(xml)).toBe('<r xmlns:a="urn:ab" xmlns:b="urn:a" z="0" b:y="2" a:x="1"></r>');
  });
  it('property: compareCodePoints orders as the code point sequences do', () => {
    const str = fc
      .string({ unit: 'grapheme-ascii' })
      .chain(() =>
        fc.array(
          fc.oneof(
            fc.integer({ min: 0x20, max: 0x7f }),
            fc.integer({ min: 0xe000, max: 0xfffd }),
            fc.integer({ min: 0x10000, max: 0x10ffff }),
          ),
          { maxLength: 6 },
        ),
      );
    fc.assert(
      fc.property(str, str, (a, b) => {
        const sa = String.fromCodePoint(...a);
        const sb = String.fromCodePoint(...b);
        let expected = 0;
        for (let i = 0; i < Math.min(a.length, b.length) && expected === 0; i++) {
          expected = Math.sign(a[i]! - b[i]!);
        }
        if (expected === 0) expected = Math.sign(a.length - b.length);
        expect(Math.sign(compareCodePoints(sa, sb))).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });
});

describe('relative namespace URIs are an error (Canonical XML 1.0 §2)', () => {
  const refused = (f: () => unknown) =>
    expect(f).toThrow(
      expect.toSatisfy((e: unknown) => isSamlError(e, 'XML_INVALID_VALUE')) as never,
    );
  it('a relative URI on a rendered declaration', () => {
    refused(() => exc('<p:r xmlns:p="relative/ns"/>'));
    refused(() => inc('<r xmlns="../up"/>'));
  });
  it('a relative URI on a declaration exclusive c14n would not render', () => {
    refused(() => exc('<r><c xmlns:unused="rel"/></r>'));
  });
  it('a relative URI in scope from an ancestor, rendered on the apex by inclusive c14n', () => {
    const doc = parseXml('<o xmlns:q="q-relative"><r/></o>');
    const r = doc.documentElement.firstChild as Element;
    refused(() => canonicalize(r, { exclusive: false }));
    // exclusive c14n does not render it, and the ancestor is outside the canonicalized subtree
    expect(canonicalize(r, { exclusive: true })).toBe('<r></r>');
  });
  it('absolute URIs and the empty default are fine', () => {
    expect(exc('<r xmlns="urn:x"><c xmlns=""/></r>')).toBe('<r xmlns="urn:x"><c xmlns=""></c></r>');
    expect(exc('<p:r xmlns:p="https://e.example/ns?a#b"/>')).toBe(
      '<p:r xmlns:p="https://e.example/ns?a#b"></p:r>',
    );
  });
});

describe('namespace URIs are escaped as attribute values (c14n §2.3)', () => {
  it('&, <, ", TAB, LF and CR', () => {
    const xml = '<p:r xmlns:p="urn:a&amp;b&lt;c&quot;d&#9;e&#10;f&#13;g>h"/>';
    const expected = '<p:r xmlns:p="urn:a&amp;b&lt;c&quot;d&#x9;e&#xA;f&#xD;g>h"></p:r>';
    expect(exc(xml)).toBe(expected);
    expect(inc(xml)).toBe(expected);
  });
});

describe('namespace axis', () => {
  it('superfluous xmlns="" is dropped where no default namespace is rendered above', () => {
    expect(exc('<r><a xmlns=""><b/></a></r>')).toBe('<r><a><b></b></a></r>');
    expect(inc('<r><a xmlns=""><b/></a></r>')).toBe('<r><a><b></b></a></r>');
    expect(exc('<r xmlns="urn:d"><a xmlns=""/></r>')).toBe('<r xmlns="urn:d"><a xmlns=""></a></r>');
  });
  it('a prefix rebound below the apex is rendered again, and restored for following siblings', () => {
    const xml =
      '<o:r xmlns:o="urn:1"><o:a xmlns:o="urn:2"><o:b/></o:a><o:c/><d xmlns:o="urn:1"/></o:r>';
    expect(exc(xml)).toBe(
      '<o:r xmlns:o="urn:1"><o:a xmlns:o="urn:2"><o:b></o:b></o:a><o:c></o:c><d></d></o:r>',
    );
    expect(inc(xml)).toBe(
      '<o:r xmlns:o="urn:1"><o:a xmlns:o="urn:2"><o:b></o:b></o:a><o:c></o:c><d></d></o:r>',
    );
  });
  it('the PrefixList renders listed prefixes in scope at the apex and where re-declared', () => {
    const doc = parseXml(
      '<o xmlns:xs="urn:xs" xmlns:u="urn:u"><r><c xmlns:xs="urn:xs2"/><d xmlns:xs="urn:xs"/></r></o>',
    );
    const r = doc.documentElement.firstChild as Element;
    expect(canonicalize(r, { exclusive: true, inclusivePrefixes: ['xs'] })).toBe(
      '<r xmlns:xs="urn:xs"><c xmlns:xs="urn:xs2"></c><d></d></r>',
    );
  });
  it('an excluded subtree leaves no trace, and its bindings do not leak', () => {
    const doc = parseXml('<r xmlns:p="urn:p"><s xmlns:p="urn:q"><p:x/></s><p:y/></r>');
    const s = doc.documentElement.firstChild!;
    expect(canonicalize(doc.documentElement, { exclusive: true, exclude: s })).toBe(
      '<r><p:y xmlns:p="urn:p"></p:y></r>',
    );
  });
});

describe('work grows linearly with the input, whatever its shape (counted, not timed)', () => {
  // Each shape at n and 2n: linear work doubles; the quadratic shapes this guards against
  // quadrupled. The allowance covers sorting (n log n) within one element.
  const n = 400;
  const small = c14nShapes(n);
  const large = c14nShapes(2 * n);
  it.each(small.map((s, i) => [s.name, s, large[i]!] as const))('%s', (_name, s, l) => {
    const opts = (x: typeof s) => ({
      exclusive: x.exclusive,
      ...(x.inclusivePrefixes ? { inclusivePrefixes: x.inclusivePrefixes } : {}),
    });
    const a = steps(s.xml, opts(s), s.maxDepth);
    const b = steps(l.xml, opts(l), l.maxDepth);
    expect(a).toBeGreaterThan(n);
    expect(b / a).toBeLessThan(2.4);
  });
  it('a PrefixList at its bound costs each element nothing more than a one-prefix list', () => {
    const listed = Array.from({ length: 64 }, (_, i) => `p${i}`);
    const n = 2000;
    // every element declares some prefix; none of them is listed
    const xml = `<r${listed.map((p) => ` xmlns:${p}="urn:${p}"`).join('')}>${Array.from(
      { length: n },
      (_, i) => `<e xmlns:q${i % 64}="urn:q${i}" a="${i}"/>`,
    ).join('')}</r>`;
    const long = steps(xml, { exclusive: true, inclusivePrefixes: listed });
    const short = steps(xml, { exclusive: true, inclusivePrefixes: ['p0'] });
    expect(long).toBeGreaterThan(n * 3);
    // the extra prefixes cost only at the apex: rendered there, and sorted
    expect(long - short).toBeLessThan(64 * 16);
  });
  it('deep nesting does not recurse', () => {
    const depth = 20000;
    const xml = `${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}`;
    const doc = parseXml(xml, { maxDepth: depth + 1 });
    expect(canonicalize(doc.documentElement, { exclusive: true })).toBe(
      `${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}`,
    );
  });
});
