import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalize } from '../../src/lib/c14n.js';
import { parseXml } from '../../src/lib/xml.js';
import {
  type StreamVisitor,
  streamExclusiveC14n,
  streamExclusiveC14nInSlices,
} from '../../src/metadata/aggregate-c14n.js';

// The streaming exclusive canonicalizer must produce, from the text, exactly what the DOM
// canonicalizer produces from the parsed document (exc-c14n §3, Canonical XML 1.0 §2).

const NS_A = 'urn:a';
const NS_B = 'http://b.example/ns';

function streamed(xml: string, exclude?: (local: string, depth: number) => boolean): string {
  const bytes = streamExclusiveC14n(xml, {
    start: (el) => exclude?.(el.local, el.depth) ?? false,
    end: () => {},
  });
  return new TextDecoder().decode(bytes);
}

function viaDom(xml: string, excludeLocal?: string): string {
  const root = parseXml(xml).documentElement;
  let exclude: Element | undefined;
  if (excludeLocal) {
    for (let c = root.firstChild; c; c = c.nextSibling) {
      if (c.nodeType === 1 && (c as Element).localName === excludeLocal) exclude = c as Element;
    }
  }
  return canonicalize(root, { exclusive: true, ...(exclude && { exclude }) });
}

describe('streamExclusiveC14n', () => {
  it.each([
    [
      'empty elements, attribute order, namespaces used below',
      `<a:r xmlns:a="${NS_A}" xmlns:b="${NS_B}" z="1" b:y="2" a:x="3"><c/><b:d/></a:r>`,
    ],
    ['default namespace and its undeclaration', `<r xmlns="${NS_A}"><s xmlns=""><t/></s><u/></r>`],
    [
      'references, line ends and escapes in text and attributes',
      `<r a="x&#9;y&#10;z&#13;&lt;&amp;&quot;'\t\n\r\n.">a&#xD;b\r\nc\rd &gt; &amp; &#x3C; &apos; ></r>`,
    ],
    [
      'CDATA, comments and processing instructions',
      `<?xml version="1.0"?>\n<!--pre--><?pi pre?><r><![CDATA[<a> & ]]]]> x<!-- c --><?t   data  here ?><?empty?></r><!--post-->`,
    ],
    [
      'xml:* attributes and single quotes',
      `<r xml:lang='en' b='"q"'><s xml:space="preserve"> </s></r>`,
    ],
    [
      'a redeclared prefix',
      `<a:r xmlns:a="${NS_A}"><a:s xmlns:a="${NS_B}"><a:t xmlns:a="${NS_A}"/></a:s></a:r>`,
    ],
  ])('%s', (_name, xml) => {
    expect(streamed(xml)).toBe(viaDom(xml));
  });

  it('leaves out an excluded subtree, keeping the text around it', () => {
    const xml = `<r xmlns:ds="urn:ds">\n<ds:Signature><ds:x a="1">t</ds:x><!--c--></ds:Signature>\n<e/></r>`;
    expect(streamed(xml, (local, depth) => depth === 1 && local === 'Signature')).toBe(
      viaDom(xml, 'Signature'),
    );
  });

  it('refuses an undeclared prefix, which the pre-parse scan does not check', () => {
    expect(() => streamed('<r><p:s/></r>')).toThrow(/undeclared prefix/);
  });

  it('agrees with the DOM canonicalizer on random documents (property)', () => {
    const prefix = fc.constantFrom('', 'a', 'b');
    const textChar = fc.constantFrom(
      'x',
      ' ',
      '&amp;',
      '&lt;',
      '&gt;',
      '>',
      '&#xD;',
      '\r\n',
      '\r',
      '\t',
      '&#x9;',
      "'",
      '"',
      'é',
      '\u{1F600}',
      '&#65;',
      '&quot;',
    );
    const text = fc.array(textChar, { maxLength: 6 }).map((a) => a.join(''));
    const attrValue = fc
      .array(
        fc.constantFrom(
          'v',
          ' ',
          '\t',
          '\n',
          '\r\n',
          '&#9;',
          '&#10;',
          '&#13;',
          '&amp;',
          '&lt;',
          '>',
          "'",
          '&quot;',
          'é',
        ),
        { maxLength: 5 },
      )
      .map((a) => a.join(''));
    const attr = fc.record({
      prefix,
      name: fc.constantFrom('x', 'y', 'z', 'X', 'id'),
      value: attrValue,
    });
    const decl = fc.record({ prefix, uri: fc.constantFrom(NS_A, NS_B, '') });
    type Node =
      | {
          kind: 'el';
          prefix: string;
          name: string;
          decls: { prefix: string; uri: string }[];
          attrs: { prefix: string; name: string; value: string }[];
          kids: Node[];
          empty: boolean;
          quote: string;
        }
      | { kind: 'text'; value: string }
      | { kind: 'comment' }
      | { kind: 'pi'; data: string }
      | { kind: 'cdata'; value: string };
    const { node } = fc.letrec<{ node: Node }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        text.map((value) => ({ kind: 'text', value }) as Node),
        fc.constant({ kind: 'comment' } as Node),
        fc.constantFrom('', 'd', ' lead', 'a b\r\nc').map((data) => ({ kind: 'pi', data }) as Node),
        fc
          .constantFrom('', '<&>', 'a\r\nb', ']]')
          .map((value) => ({ kind: 'cdata', value }) as Node),
        fc
          .record({
            prefix,
            name: fc.constantFrom('e', 'f', 'Signature'),
            decls: fc.array(decl, { maxLength: 2 }),
            attrs: fc.array(attr, { maxLength: 3 }),
            kids: fc.array(tie('node'), { maxLength: 3 }),
            empty: fc.boolean(),
            quote: fc.constantFrom('"', "'"),
          })
          .map((r) => ({ kind: 'el', ...r }) as Node),
      ),
    }));
    const render = (n: Node): string => {
      switch (n.kind) {
        case 'text':
          return n.value;
        case 'comment':
          return '<!-- c -->';
        case 'pi':
          return n.data ? `<?p ${n.data}?>` : '<?p?>';
        case 'cdata':
          return `<![CDATA[${n.value}]]>`;
        default: {
          const seen = new Set<string>();
          let tag = n.prefix ? `${n.prefix}:${n.name}` : n.name;
          let out = `<${tag}`;
          for (const d of n.decls) {
            const key = d.prefix ? `xmlns:${d.prefix}` : 'xmlns';
            // a prefix cannot be undeclared in XML 1.0 namespaces
            if (seen.has(key) || (d.prefix && d.uri === '')) continue;
            seen.add(key);
            out += ` ${key}="${d.uri}"`;
          }
          const used = new Set<string>();
          for (const a of n.attrs) {
            const name = a.prefix ? `${a.prefix}:${a.name}` : a.name;
            // one attribute per (namespace, local name): prefixes a and b may share a URI
            const key = a.prefix ? `{ns}${a.name}` : name;
            if (used.has(key)) continue;
            used.add(key);
            const v =
              n.quote === '"' ? a.value.replace(/"/g, '&quot;') : a.value.replace(/'/g, '&apos;');
            out += ` ${name}=${n.quote}${v}${n.quote}`;
          }
          if (n.empty && n.kids.length === 0) return `${out}/>`;
          tag = n.prefix ? `${n.prefix}:${n.name}` : n.name;
          return `${out}>${n.kids.map(render).join('')}</${tag}>`;
        }
      }
    };
    let compared = 0;
    fc.assert(
      fc.property(fc.array(node, { maxLength: 4 }), fc.boolean(), (kids, excludeSignature) => {
        // The root binds both prefixes to different namespaces, so every document is
        // namespace-well-formed and prefixed attributes never collide.
        const xml = `<root xmlns:a="${NS_A}" xmlns:b="${NS_B}">${kids.map(render).join('')}</root>`;
        let dom: string;
        try {
          dom = viaDom(xml, excludeSignature ? 'Signature' : undefined);
        } catch {
          return; // a document the parser refuses (e.g. a prefix rebound to the same URI twice)
        }
        const exclude = excludeSignature
          ? (local: string, depth: number) => depth === 1 && local === 'Signature'
          : undefined;
        // one Signature at most, so both sides exclude the same element
        if (excludeSignature && (xml.match(/<(?:[ab]:)?Signature[ />]/g) ?? []).length > 1) return;
        expect(streamed(xml, exclude), xml).toBe(dom);
        compared++;
      }),
      { numRuns: 500 },
    );
    // most generated documents are compared, not skipped
    expect(compared).toBeGreaterThan(300);
  });
});

describe('streamExclusiveC14nInSlices', () => {
  /** A visitor that records what it sees and excludes depth-1 Signatures. */
  function recorder(): { log: string[]; visitor: StreamVisitor } {
    const log: string[] = [];
    return {
      log,
      visitor: {
        start: (el) => {
          log.push(`<${el.qname}@${el.start}`);
          return el.depth === 1 && el.local === 'Signature';
        },
        end: (depth, end) => log.push(`>${depth}@${end}`),
        text: (depth, value) => log.push(`t${depth}:${value}`),
      },
    };
  }
  const docs = [
    `<a:r xmlns:a="${NS_A}" xmlns:b="${NS_B}" z="1" b:y="2" a:x="3"><c/><b:d/></a:r>`,
    `<?xml version="1.0"?>\n<!--pre--><r><![CDATA[<a> & ]]]]> x<!-- c --><?t data ?></r><!--post-->`,
    `<r xmlns:ds="urn:ds">\n<ds:Signature><ds:x a="1">t</ds:x></ds:Signature>\n${'<e k="v">text &amp; more</e>'.repeat(40)}</r>`,
  ];

  it('produces what the one-pass canonicalizer does, pausing between slices (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...docs),
        fc.integer({ min: 1, max: 64 }),
        async (xml, slice) => {
          const whole = recorder();
          const expected = new TextDecoder().decode(streamExclusiveC14n(xml, whole.visitor));
          const sliced = recorder();
          let pauses = 0;
          const bytes = await streamExclusiveC14nInSlices(
            xml,
            sliced.visitor,
            async () => {
              pauses++;
            },
            slice,
          );
          expect(new TextDecoder().decode(bytes)).toBe(expected);
          expect(sliced.log).toEqual(whole.log);
          // At least one pause per slice of input read (a token may span several slices; the
          // slices at the start are sixteen times shorter).
          const last = xml.lastIndexOf('>') + 1;
          expect(pauses).toBeGreaterThan(0);
          expect(pauses).toBeLessThanOrEqual(Math.ceil(last / Math.max(1, slice >> 4)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('lets other work run while a long document is canonicalized', async () => {
    const xml = docs[2]!;
    const order: string[] = [];
    const pending = streamExclusiveC14nInSlices(
      xml,
      { start: () => false, end: () => {} },
      () =>
        new Promise<void>((resolve) => {
          order.push('pause');
          setTimeout(resolve, 0);
        }),
      100,
    ).then(() => order.push('done'));
    setTimeout(() => order.push('timer'), 0);
    await pending;
    expect(order.indexOf('timer')).toBeGreaterThan(-1);
    expect(order.indexOf('timer')).toBeLessThan(order.indexOf('done'));
  });
});
