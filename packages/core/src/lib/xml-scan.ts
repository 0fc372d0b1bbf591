import { describeValue, SamlError } from '../errors.js';
import { checkEncoding, isNameChar, isNameStartChar, isXmlChar } from './xml-grammar.js';

/**
 * The limits the pre-parse scan enforces, every one resolved to a number. @internal
 */
export interface ScanLimits {
  readonly maxDepth: number;
  readonly maxNodes: number;
  readonly maxAttributes: number;
  readonly maxNamespaceDeclarations: number;
  readonly maxTextLength: number;
  readonly maxAttributeLength: number;
  readonly maxReferences: number;
  readonly maxSignatureReferences: number;
  readonly maxTransforms: number;
}

/** What the scan learnt about the document. @internal */
export interface ScanResult {
  /** The encoding named in the XML declaration, if there is one. */
  readonly encoding: string | undefined;
  /** DOM nodes the document will make, as counted against `maxNodes`. */
  readonly nodes: number;
}

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOT = 0x22;
const AMP = 0x26;
const APOS = 0x27;
const DASH = 0x2d;
const SLASH = 0x2f;
const SEMI = 0x3b;
const LT = 0x3c;
const GT = 0x3e;
const QUESTION = 0x3f;
const BANG = 0x21;
const HASH = 0x23;
const RSQB = 0x5d;
const X_LOWER = 0x78;

/** The five entities XML predefines (§4.6); without a DTD no other entity exists. */
const PREDEFINED = new Set(['lt', 'gt', 'amp', 'apos', 'quot']);
const PREDEFINED_TEXT = new Map([
  ['lt', '<'],
  ['gt', '>'],
  ['amp', '&'],
  ['apos', "'"],
  ['quot', '"'],
]);

/** The XML-DSig namespace (XML-DSig core §4). */
const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
/** Namespaces in XML 1.0 §3: the prefix xml is bound to this URI by definition. */
const XML_NS = 'http://www.w3.org/XML/1998/namespace';
/** What the scan counts the element children of. */
const ORDINARY = 0;
const SIGNED_INFO = 1;
const TRANSFORMS = 2;

/**
 * Checks, in one pass over the text and before any DOM exists, that `text` is a well-formed XML
 * 1.0 document within `limits`. It is a state machine over the characters: every character is
 * looked at once or twice (never rescanned from an earlier position), no backtracking regular
 * expression runs, and what it keeps is a stack of open element names bounded by `maxDepth` and
 * the namespace bindings in scope (bounded by `maxDepth` × `maxNamespaceDeclarations`) — so no
 * input costs more than linear work here, and whatever reaches the DOM builder is already bounded.
 * The bindings let it tell a `ds:SignedInfo` or `ds:Transforms` by namespace URI, and bound their
 * children (XML-DSig core §4.4, SAML core §5.4.2, §5.4.4).
 *
 * The grammar is XML 1.0 (Fifth Edition) §2–§4 without a DTD: XMLDecl (§2.8), comments (§2.5),
 * processing instructions (§2.6), CDATA sections (§2.7), start, end and empty-element tags (§3.1),
 * character and predefined entity references (§4.1, §4.6). It is strict on purpose: when it and
 * the DOM builder could read a document differently, a limit counted here would not bound what is
 * built there, so anything outside the grammar is refused rather than guessed at.
 *
 * @param text - the document, without a byte order mark
 * @param limits - the resolved limits
 * @param offset - added to positions in messages (the length of a stripped byte order mark)
 * @throws SamlError `XML_PARSE_ERROR`, `XML_DOCTYPE_FORBIDDEN`, `XML_TOO_DEEP`,
 *   `XML_TOO_MANY_NODES`, `XML_TOO_MANY_ATTRIBUTES`, `XML_TOO_MANY_NAMESPACES`,
 *   `XML_TEXT_TOO_LARGE`, `XML_ATTRIBUTE_TOO_LARGE`, `XML_TOO_MANY_REFERENCES`,
 *   `XML_TOO_MANY_SIGNATURE_REFERENCES`, `XML_TOO_MANY_TRANSFORMS`
 * @internal
 */
export function scanXml(text: string, limits: ScanLimits, offset = 0): ScanResult {
  const s = text;
  const n = s.length;
  let i = 0;
  let nodes = 0;
  let references = 0;
  // OR of every code unit seen: bit 7 or above set means a character beyond ASCII occurred.
  let seen = 0;
  const open: string[] = [];
  // Namespaces in XML 1.0 §6.1: a declaration is in scope in the element that makes it and its
  // content. `bindings` holds what is in scope now; each declaration pushes what it hid onto the
  // undo stacks, and the end of the element pops back to its mark. At most maxDepth elements are
  // open, each with at most maxNamespaceDeclarations declarations, so this is bounded too.
  const bindings = new Map<string, string>([['xml', XML_NS]]);
  const undoPrefix: string[] = [];
  const undoValue: (string | undefined)[] = [];
  // Per open element, beside `open`: the undo mark, what it is (ORDINARY, SIGNED_INFO,
  // TRANSFORMS) and how many element children it has had so far.
  const marks: number[] = [];
  const kinds: number[] = [];
  const children: number[] = [];

  const at = (pos: number) => `offset ${pos + offset}`;

  function notWellFormed(what: string, pos: number, rule: string): SamlError {
    return new SamlError('XML_PARSE_ERROR', 'The input is not well-formed XML.', {
      expected: `a well-formed XML 1.0 document (${rule})`,
      found: `${what} at ${at(pos)}`,
      hint: 'if the value came from a URL or form, check that it was decoded exactly once',
      raw: text,
    });
  }

  function countNode(pos: number): void {
    if (++nodes > limits.maxNodes) {
      throw new SamlError(
        'XML_TOO_MANY_NODES',
        'The XML document has more nodes than the configured limit.',
        {
          expected: `at most ${limits.maxNodes} elements, attributes, comments, processing instructions and CDATA sections`,
          found: `more (the next at ${at(pos)})`,
          hint: 'raise limits.maxNodes only if a legitimate peer sends documents this large',
          raw: text,
        },
      );
    }
  }

  /**
   * The code point at `pos`, refused unless it is an XML 1.0 Char (§2.2): tab, LF, CR,
   * U+0020–U+D7FF, U+E000–U+FFFD, U+10000–U+10FFFF (as a surrogate pair).
   */
  function char(pos: number): number {
    const c = s.charCodeAt(pos);
    seen |= c;
    if (c < SPACE) {
      if (c === TAB || c === LF || c === CR) return c;
      throw nonChar(c, pos);
    }
    if (c < 0xd800) return c;
    if (c < 0xdc00) {
      const d = s.charCodeAt(pos + 1);
      if (d >= 0xdc00 && d <= 0xdfff) return ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
      throw nonChar(c, pos);
    }
    if (c < 0xe000 || c > 0xfffd) throw nonChar(c, pos);
    return c;
  }

  function nonChar(cp: number, pos: number): SamlError {
    return new SamlError('XML_PARSE_ERROR', 'The input contains a character XML does not allow.', {
      expected: 'only characters of the XML 1.0 Char production (§2.2), literal or referenced',
      found: `U+${cp.toString(16).toUpperCase().padStart(4, '0')} at ${at(pos)}`,
      hint: 'a control character or a broken surrogate pair: the message was corrupted or crafted',
      raw: text,
    });
  }

  function isS(c: number): boolean {
    return c === SPACE || c === LF || c === TAB || c === CR;
  }

  /** Skips S (§2.3); returns how many characters it skipped. */
  function skipS(): number {
    const from = i;
    while (i < n && isS(s.charCodeAt(i))) i++;
    return i - from;
  }

  /** Reads a Name (§2.3) at `i` and returns it; `what` names it in the refusal. */
  function name(what: string): string {
    const from = i;
    if (i >= n) throw notWellFormed(`the end of the input instead of ${what}`, i, '§2.3 Name');
    const first = char(i);
    if (!isNameStartChar(first)) {
      throw notWellFormed(
        `${describeValue(String.fromCodePoint(first))} instead of ${what}`,
        i,
        '§2.3 Name',
      );
    }
    i += first > 0xffff ? 2 : 1;
    while (i < n) {
      const c = s.charCodeAt(i);
      // the common case first: ASCII name characters
      if (
        (c >= 0x61 && c <= 0x7a) ||
        (c >= 0x41 && c <= 0x5a) ||
        (c >= 0x30 && c <= 0x3a) ||
        c === 0x5f ||
        c === DASH ||
        c === 0x2e
      ) {
        i++;
        continue;
      }
      if (c < 0x80) break;
      const cp = char(i);
      if (!isNameChar(cp)) break;
      i += cp > 0xffff ? 2 : 1;
    }
    return s.slice(from, i);
  }

  function expect(literal: string, rule: string): void {
    if (!s.startsWith(literal, i)) {
      throw notWellFormed(
        i >= n
          ? `the end of the input instead of '${literal}'`
          : `${describeValue(s.slice(i, i + 12))} instead of '${literal}'`,
        i,
        rule,
      );
    }
    i += literal.length;
  }

  /**
   * A reference at `i` (which holds `&`): a character reference to a Char, or one of the five
   * predefined entities. Returns how many UTF-16 code units it stands for.
   */
  function reference(): number {
    const start = i;
    if (++references > limits.maxReferences) {
      throw new SamlError(
        'XML_TOO_MANY_REFERENCES',
        'The XML document has more references than the configured limit.',
        {
          expected: `at most ${limits.maxReferences} character and entity references (&#…; &amp; …)`,
          found: `more at ${at(start)}`,
          hint: 'raise limits.maxReferences only if a legitimate peer escapes this much',
          raw: text,
        },
      );
    }
    if (s.charCodeAt(i + 1) === HASH) {
      // §4.1 CharRef ::= '&#' [0-9]+ ';' | '&#x' [0-9a-fA-F]+ ';'
      let j = i + 2;
      const hex = s.charCodeAt(j) === X_LOWER;
      if (hex) j++;
      let value = 0;
      let digits = 0;
      for (; j < n; j++) {
        const c = s.charCodeAt(j);
        let d: number;
        if (c >= 0x30 && c <= 0x39) d = c - 0x30;
        else if (hex && c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
        else if (hex && c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
        else break;
        digits++;
        // Past U+10FFFF the exact value no longer matters: keep it from growing without bound.
        value = value > 0x10ffff ? value : value * (hex ? 16 : 10) + d;
      }
      if (digits === 0 || s.charCodeAt(j) !== SEMI) {
        throw notWellFormed(
          `${describeValue(s.slice(start, Math.min(j + 1, start + 16)))}`,
          start,
          "§4.1 CharRef: '&#' digits ';' or '&#x' hex digits ';'",
        );
      }
      // §4.1 WFC: Legal Character — a reference must name a Char too.
      if (!isXmlChar(value)) throw nonChar(value, start);
      i = j + 1;
      return value > 0xffff ? 2 : 1;
    }
    i++;
    const c = i < n ? s.charCodeAt(i) : -1;
    if (c === -1 || isS(c) || c === AMP || c === LT || c === SEMI) {
      throw notWellFormed("a bare '&'", start, "§2.4: a literal '&' must be written &amp;");
    }
    const entity = name('an entity name after &');
    if (s.charCodeAt(i) !== SEMI) {
      throw notWellFormed(
        `${describeValue(s.slice(start, Math.min(i + 1, start + 16)))} without ';'`,
        start,
        "§4.1 EntityRef: '&' Name ';' (a literal '&' must be written &amp;)",
      );
    }
    if (!PREDEFINED.has(entity)) {
      throw notWellFormed(
        `a reference to the undeclared entity &${entity.slice(0, 40)};`,
        start,
        '§4.1 WFC: Entity Declared — with no DTD only &lt; &gt; &amp; &apos; &quot; exist',
      );
    }
    i++;
    return 1;
  }

  /** `<!--` … `-->` at `i` (§2.5: no `--` inside, not ending in `--->`). */
  function comment(): void {
    const start = i;
    countNode(start);
    i += 4;
    for (;;) {
      if (i >= n) throw notWellFormed('a comment that never ends', start, "§2.5 Comment: '-->'");
      const c = s.charCodeAt(i);
      if (c === DASH && s.charCodeAt(i + 1) === DASH) {
        if (s.charCodeAt(i + 2) !== GT) {
          throw notWellFormed("'--' inside a comment", i, "§2.5: '--' must not occur in comments");
        }
        i += 3;
        return;
      }
      i += char(i) > 0xffff ? 2 : 1;
    }
  }

  /** `<?target …?>` at `i` (§2.6); the target may not be `xml` in any case. */
  function processingInstruction(): void {
    const start = i;
    countNode(start);
    i += 2;
    const target = name('a processing instruction target');
    if (target.toLowerCase() === 'xml') {
      throw notWellFormed(
        'an XML declaration that is not at the very start of the document',
        start,
        '§2.8: the XML declaration comes first; §2.6: targets named xml are reserved',
      );
    }
    if (s.startsWith('?>', i)) {
      i += 2;
      return;
    }
    if (skipS() === 0) {
      throw notWellFormed(
        `${describeValue(s.slice(i, i + 12))} after the processing instruction target`,
        i,
        '§2.6 PI: white space between target and data',
      );
    }
    for (;;) {
      if (i >= n) {
        throw notWellFormed('a processing instruction that never ends', start, "§2.6 PI: '?>'");
      }
      if (s.charCodeAt(i) === QUESTION && s.charCodeAt(i + 1) === GT) {
        i += 2;
        return;
      }
      i += char(i) > 0xffff ? 2 : 1;
    }
  }

  /** `<![CDATA[` … `]]>` at `i` (§2.7); returns the length of its data. */
  function cdata(): number {
    const start = i;
    countNode(start);
    i += 9;
    const from = i;
    for (;;) {
      if (i >= n)
        throw notWellFormed('a CDATA section that never ends', start, "§2.7 CDEnd: ']]>'");
      if (s.charCodeAt(i) === RSQB && s.charCodeAt(i + 1) === RSQB && s.charCodeAt(i + 2) === GT) {
        const length = i - from;
        i += 3;
        return length;
      }
      i += char(i) > 0xffff ? 2 : 1;
    }
  }

  /** `<!` that starts neither a comment nor a CDATA section: a DTD, or nothing XML knows. */
  function markupDeclaration(): never {
    const m = /^<!(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i.exec(s.slice(i, i + 10));
    if (m) {
      throw new SamlError('XML_DOCTYPE_FORBIDDEN', 'The XML document contains a DTD declaration.', {
        expected: 'no <!DOCTYPE> or other markup declaration',
        found: `<!${m[1]} at ${at(i)}`,
        hint: 'SAML messages never need a DTD; this input was crafted or corrupted',
        raw: text,
      });
    }
    throw notWellFormed(
      describeValue(s.slice(i, i + 12)),
      i,
      "§2.5, §2.7: '<!' starts only '<!--' or '<![CDATA[' in a document without a DTD",
    );
  }

  /** Binds `prefix` ('' for the default namespace) to `uri` until the current element ends. */
  function bind(prefix: string, uri: string): void {
    undoPrefix.push(prefix);
    undoValue.push(bindings.get(prefix));
    bindings.set(prefix, uri);
  }

  /** Undoes the declarations made since `mark`. */
  function unbind(mark: number): void {
    while (undoPrefix.length > mark) {
      const prefix = undoPrefix.pop()!;
      const previous = undoValue.pop();
      if (previous === undefined) bindings.delete(prefix);
      else bindings.set(prefix, previous);
    }
  }

  /**
   * Whether the element named `tag` (its declarations already bound) is a ds:SignedInfo or a
   * ds:Transforms, by namespace URI (Namespaces in XML 1.0 §6.2: a prefixed name takes the
   * prefix's binding, an unprefixed one the default namespace), never by prefix. A prefix with no
   * binding counts as the XML-DSig one: the parser refuses such a tag anyway (Namespace
   * constraint: Prefix Declared), and over-counting can only refuse earlier.
   */
  function kindOf(tag: string): number {
    if (!(tag.endsWith('SignedInfo') || tag.endsWith('Transforms'))) return ORDINARY;
    const colon = tag.indexOf(':');
    const local = colon < 0 ? tag : tag.slice(colon + 1);
    const kind =
      local === 'SignedInfo' ? SIGNED_INFO : local === 'Transforms' ? TRANSFORMS : ORDINARY;
    if (kind === ORDINARY) return ORDINARY;
    const uri = bindings.get(colon < 0 ? '' : tag.slice(0, colon));
    if (uri === undefined ? colon >= 0 : uri === DSIG_NS) return kind;
    return ORDINARY;
  }

  /**
   * Counts one more element child of the open element at `parent`, a ds:SignedInfo or a
   * ds:Transforms. XML-DSig core §4.4: SignedInfo holds CanonicalizationMethod, SignatureMethod
   * and References; SAML core §5.4.2 allows one Reference, §5.4.4 two Transforms. The signature
   * verifier refuses anything else once the DOM exists; this bound refuses a flood of them before
   * any DOM is built, so it costs no more than the scan.
   */
  function countChild(parent: number, tag: string, pos: number): void {
    const count = ++children[parent]!;
    if (kinds[parent] === SIGNED_INFO) {
      if (count > limits.maxSignatureReferences + 2) {
        throw new SamlError(
          'XML_TOO_MANY_SIGNATURE_REFERENCES',
          'A signature has more References than the configured limit.',
          {
            expected: `at most ${limits.maxSignatureReferences} References in one ds:SignedInfo, after CanonicalizationMethod and SignatureMethod (a SAML signature has exactly one: SAML core §5.4.2)`,
            found: `more elements in <${open[parent]!.slice(0, 40)}> (the next, <${tag.slice(0, 40)}>, at ${at(pos)})`,
            hint: 'a legitimate SAML signer writes one Reference; this message was crafted or corrupted',
            raw: text,
          },
        );
      }
    } else if (count > limits.maxTransforms) {
      throw new SamlError(
        'XML_TOO_MANY_TRANSFORMS',
        'A signature Reference has more Transforms than the configured limit.',
        {
          expected: `at most ${limits.maxTransforms} Transform elements in one ds:Transforms (a SAML signature uses enveloped-signature and one canonicalization: SAML core §5.4.4)`,
          found: `more in <${open[parent]!.slice(0, 40)}> (the next, <${tag.slice(0, 40)}>, at ${at(pos)})`,
          hint: 'a legitimate SAML signer writes two Transforms; this message was crafted or corrupted',
          raw: text,
        },
      );
    }
  }

  /** A start or empty-element tag at `i` (§3.1). */
  function startTag(): void {
    const start = i;
    i++;
    const tag = name('an element name');
    countNode(start);
    const parent = kinds.length - 1;
    if (parent >= 0 && kinds[parent] !== ORDINARY) countChild(parent, tag, start);
    const mark = undoPrefix.length;
    if (open.length + 1 > limits.maxDepth) {
      throw new SamlError('XML_TOO_DEEP', 'The XML document is nested too deeply.', {
        expected: `at most ${limits.maxDepth} levels of elements`,
        found: `more than ${limits.maxDepth} levels (at <${tag.slice(0, 40)}>, ${at(start)})`,
        hint: 'raise limits.maxDepth only if a legitimate peer nests this deeply',
        raw: text,
      });
    }
    let attributes = 0;
    let declarations = 0;
    for (;;) {
      const space = skipS();
      const c = s.charCodeAt(i);
      if (c === GT) {
        i++;
        open.push(tag);
        marks.push(mark);
        kinds.push(kindOf(tag));
        children.push(0);
        return;
      }
      if (c === SLASH) {
        i++;
        expect('>', "§3.1 EmptyElemTag: '/>'");
        unbind(mark);
        return;
      }
      if (i >= n)
        throw notWellFormed(`a tag <${tag.slice(0, 40)}> that never ends`, start, "§3.1: '>'");
      if (space === 0) {
        throw notWellFormed(
          `${describeValue(s.slice(i, i + 12))} in the tag <${tag.slice(0, 40)}>`,
          i,
          '§3.1 STag: white space before each attribute',
        );
      }
      const attrStart = i;
      const attribute = name('an attribute name');
      skipS();
      expect('=', '§3.1 Attribute: Name Eq AttValue');
      skipS();
      const quote = s.charCodeAt(i);
      if (quote !== QUOT && quote !== APOS) {
        throw notWellFormed(
          `${describeValue(s.slice(i, i + 12))} instead of a quoted value`,
          i,
          '§2.3 AttValue: a value in double or single quotes',
        );
      }
      i++;
      let length = 0;
      // Namespaces in XML 1.0 §3: xmlns and xmlns:prefix declare namespaces. Their values are
      // kept (references replaced, XML 1.0 §3.3.3), to know which namespace each element is in.
      const declaration = attribute === 'xmlns' || attribute.startsWith('xmlns:');
      let value = '';
      let chunk = i;
      for (;;) {
        if (i >= n) {
          throw notWellFormed('an attribute value that never ends', attrStart, '§2.3 AttValue');
        }
        const v = s.charCodeAt(i);
        if (v === quote) {
          if (declaration) value += literalValue(chunk, i);
          i++;
          break;
        }
        if (v === LT) {
          throw notWellFormed(
            "'<' in an attribute value",
            i,
            '§3.1 WFC: No < in Attribute Values — write it as &lt;',
          );
        }
        if (v === AMP) {
          if (declaration) {
            value += literalValue(chunk, i);
            const from = i;
            length += reference();
            value += referenceText(from, i);
            chunk = i;
          } else {
            length += reference();
          }
        } else {
          const w = char(i) > 0xffff ? 2 : 1;
          i += w;
          length += w;
        }
        if (length > limits.maxAttributeLength) {
          throw new SamlError(
            'XML_ATTRIBUTE_TOO_LARGE',
            'An XML attribute value is longer than the configured limit.',
            {
              expected: `attribute values of at most ${limits.maxAttributeLength} characters`,
              found: `${attribute.slice(0, 40)} on <${tag.slice(0, 40)}> (${at(attrStart)}) is longer`,
              hint: 'raise limits.maxAttributeLength only if a legitimate peer sends values this long',
              raw: text,
            },
          );
        }
      }
      countNode(attrStart);
      if (declaration) {
        bind(attribute.length === 5 ? '' : attribute.slice(6), value);
        if (++declarations > limits.maxNamespaceDeclarations) {
          throw new SamlError(
            'XML_TOO_MANY_NAMESPACES',
            'An XML element declares more namespaces than the configured limit.',
            {
              expected: `at most ${limits.maxNamespaceDeclarations} namespace declarations per element`,
              found: `more on <${tag.slice(0, 40)}> (${at(start)})`,
              hint: 'raise limits.maxNamespaceDeclarations only if a legitimate peer declares this many',
              raw: text,
            },
          );
        }
      } else if (++attributes > limits.maxAttributes) {
        throw new SamlError(
          'XML_TOO_MANY_ATTRIBUTES',
          'An XML element has more attributes than the configured limit.',
          {
            expected: `at most ${limits.maxAttributes} attributes per element (namespace declarations aside)`,
            found: `more on <${tag.slice(0, 40)}> (${at(start)})`,
            hint: 'raise limits.maxAttributes only if a legitimate peer sends elements like this',
            raw: text,
          },
        );
      }
    }
  }

  /** An end tag at `i` (§3.1 ETag), which must close the innermost open element. */
  function endTag(): void {
    const start = i;
    i += 2;
    const tag = name('an element name');
    skipS();
    expect('>', "§3.1 ETag: '</' Name S? '>'");
    const current = open.pop();
    unbind(marks.pop() ?? 0);
    kinds.pop();
    children.pop();
    if (tag !== current) {
      throw notWellFormed(
        `</${tag.slice(0, 40)}> closing <${(current ?? '').slice(0, 40)}>`,
        start,
        '§3.1 WFC: Element Type Match',
      );
    }
  }

  /**
   * The literal characters of an attribute value from `from` to `to`, as XML 1.0 §3.3.3
   * normalizes them: each white space character (a CR LF pair being one line end, §2.11) becomes
   * a space.
   */
  function literalValue(from: number, to: number): string {
    const raw = s.slice(from, to);
    return /[\t\n\r]/.test(raw) ? raw.replace(/\r\n|[\t\n\r]/g, ' ') : raw;
  }

  /** The text a well-formed reference from `from` to `to` (`&…;`) stands for (§4.1, §4.6). */
  function referenceText(from: number, to: number): string {
    if (s.charCodeAt(from + 1) === HASH) {
      const hex = s.charCodeAt(from + 2) === X_LOWER;
      const digits = s.slice(from + (hex ? 3 : 2), to - 1);
      return String.fromCodePoint(Number.parseInt(digits, hex ? 16 : 10));
    }
    return PREDEFINED_TEXT.get(s.slice(from + 1, to - 1)) ?? '';
  }

  function textTooLarge(pos: number): SamlError {
    return new SamlError(
      'XML_TEXT_TOO_LARGE',
      'A text node of the XML document is longer than the configured limit.',
      {
        expected: `runs of character data (text, references, CDATA) of at most ${limits.maxTextLength} characters`,
        found: `a longer one ending after ${at(pos)}`,
        hint: 'raise limits.maxTextLength only if a legitimate peer sends values this long',
        raw: text,
      },
    );
  }

  /** Misc (§2.8): white space, comments and processing instructions, outside the root element. */
  function misc(): void {
    for (;;) {
      skipS();
      if (s.startsWith('<!--', i)) comment();
      else if (s.charCodeAt(i) === LT && s.charCodeAt(i + 1) === QUESTION) processingInstruction();
      else return;
    }
  }

  // §2.8 prolog ::= XMLDecl? Misc* (doctypedecl Misc*)?
  let encoding: string | undefined;
  if (s.startsWith('<?xml', 0) && isS(s.charCodeAt(5))) encoding = xmlDeclaration();
  misc();
  if (i >= n) throw notWellFormed('no root element', i, '§2.1 document ::= prolog element Misc*');
  if (s.charCodeAt(i) !== LT) {
    throw notWellFormed(
      `${describeValue(s.slice(i, i + 12))} before the root element`,
      i,
      '§2.8 prolog: only the XML declaration, comments, processing instructions and white space',
    );
  }
  if (s.charCodeAt(i + 1) === BANG) markupDeclaration();
  if (s.charCodeAt(i + 1) === SLASH) {
    throw notWellFormed('an end tag before the root element', i, '§2.1 document');
  }
  startTag();

  // §3.1 content ::= CharData? ((element | Reference | CDSect | PI | Comment) CharData?)*
  let run = 0;
  while (open.length > 0) {
    if (i >= n) {
      throw notWellFormed(
        `the end of the input with <${open[open.length - 1]!.slice(0, 40)}> still open`,
        i,
        '§3 WFC: Element Type Match — every start tag has an end tag',
      );
    }
    const c = s.charCodeAt(i);
    if (c === LT) {
      const next = s.charCodeAt(i + 1);
      if (next === SLASH) {
        endTag();
        run = 0;
      } else if (next === BANG) {
        if (s.startsWith('<!--', i)) {
          comment();
          run = 0;
        } else if (s.startsWith('<![CDATA[', i)) {
          run += cdata();
          if (run > limits.maxTextLength) throw textTooLarge(i);
        } else {
          markupDeclaration();
        }
      } else if (next === QUESTION) {
        processingInstruction();
        run = 0;
      } else {
        startTag();
        run = 0;
      }
      continue;
    }
    if (c === AMP) {
      run += reference();
    } else if (c === GT) {
      // §2.4: ']]>' may not appear in character data. The character before any text is the '>'
      // that ended the markup before it, so two ']' here are text of this same run.
      if (s.charCodeAt(i - 1) === RSQB && s.charCodeAt(i - 2) === RSQB) {
        throw notWellFormed("']]>' in character data", i - 2, "§2.4: write ']]&gt;'");
      }
      i++;
      run++;
    } else {
      const w = char(i) > 0xffff ? 2 : 1;
      i += w;
      run += w;
    }
    if (run > limits.maxTextLength) throw textTooLarge(i);
  }

  // §2.1 document ::= prolog element Misc*
  misc();
  if (i < n) {
    throw notWellFormed(
      `${describeValue(s.slice(i, i + 12))} after the root element`,
      i,
      '§2.1 document ::= prolog element Misc* — one root element only',
    );
  }
  if (encoding !== undefined) checkEncoding(encoding, seen < 0x80, text);
  return { encoding, nodes };

  /**
   * §2.8 XMLDecl ::= '<?xml' VersionInfo EncodingDecl? SDDecl? S? '?>'. Only version 1.0: XML 1.1
   * has other characters and line ends (U+0085 and U+2028 end lines there), so a 1.1 document
   * would be read differently here than by a 1.1 processor.
   */
  function xmlDeclaration(): string | undefined {
    i = 5;
    skipS();
    const version = pseudoAttribute('version');
    if (version !== '1.0') {
      throw new SamlError('XML_PARSE_ERROR', 'The XML document is not XML 1.0.', {
        expected: 'version="1.0" in the XML declaration (XML 1.0 §2.8)',
        found: `version=${describeValue(version)}`,
        hint: 'SAML messages are XML 1.0; XML 1.1 treats characters and line ends differently',
        raw: text,
      });
    }
    let enc: string | undefined;
    let space = skipS();
    if (space > 0 && s.startsWith('encoding', i)) {
      enc = pseudoAttribute('encoding');
      // §4.3.3 EncName ::= [A-Za-z] ([A-Za-z0-9._] | '-')*
      if (!/^[A-Za-z][A-Za-z0-9._-]*$/.test(enc)) {
        throw notWellFormed(`encoding=${describeValue(enc)}`, i, '§4.3.3 EncName');
      }
      space = skipS();
    }
    if (space > 0 && s.startsWith('standalone', i)) {
      const sd = pseudoAttribute('standalone');
      if (sd !== 'yes' && sd !== 'no') {
        throw notWellFormed(`standalone=${describeValue(sd)}`, i, "§2.9 SDDecl: 'yes' or 'no'");
      }
      skipS();
    }
    expect('?>', "§2.8 XMLDecl: version, then optional encoding and standalone, then '?>'");
    return enc;
  }

  function pseudoAttribute(key: string): string {
    expect(key, `§2.8 XMLDecl: ${key}`);
    skipS();
    expect('=', '§2.3 Eq');
    skipS();
    const quote = s.charCodeAt(i);
    if (quote !== QUOT && quote !== APOS) {
      throw notWellFormed(`${describeValue(s.slice(i, i + 12))}`, i, `§2.8: a quoted ${key}`);
    }
    const from = ++i;
    // the values allowed here are short ASCII names; stop at the first character that is not
    while (i < n && i - from <= 40) {
      const c = s.charCodeAt(i);
      if (c === quote || c < SPACE || c >= 0x7f || c === LT || c === GT) break;
      i++;
    }
    if (s.charCodeAt(i) !== quote) {
      throw notWellFormed(
        `${describeValue(s.slice(from - 1, i + 1))}`,
        from - 1,
        `§2.8: a quoted ${key}`,
      );
    }
    return s.slice(from, i++);
  }
}
