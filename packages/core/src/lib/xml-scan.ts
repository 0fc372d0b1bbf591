import { describeValue, SamlError } from '../errors.js';
import { checkEncoding } from './xml-grammar.js';
import {
  AMP,
  APOS,
  BANG,
  GT,
  isS,
  LT,
  QUESTION,
  QUOT,
  RSQB,
  SLASH,
  XmlCursor,
} from './xml-scan-cursor.js';
import { xmlDeclaration } from './xml-scan-decl.js';

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
  const pass = scanPass(text, limits, offset);
  pass.advance(Number.POSITIVE_INFINITY);
  return pass.result();
}

/**
 * The scan as a pass that can stop between tokens: the prolog and the root's start tag are read
 * when it is made, then `advance(chars)` reads the content for about `chars` characters (a token
 * is never split) and says whether there is more; the end of the document is checked once the
 * root element has ended (xml-scan-slices.ts runs it with pauses between slices).
 * @internal
 */
export function scanPass(
  text: string,
  limits: ScanLimits,
  offset: number,
): { advance(chars: number): boolean; offset(): number; result(): ScanResult } {
  // The position, the counts and the lexical productions (xml-scan-cursor.ts).
  const cur = new XmlCursor(text, limits, offset);
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
            found: `more elements in <${open[parent]!.slice(0, 40)}> (the next, <${tag.slice(0, 40)}>, at ${cur.at(pos)})`,
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
          found: `more in <${open[parent]!.slice(0, 40)}> (the next, <${tag.slice(0, 40)}>, at ${cur.at(pos)})`,
          hint: 'a legitimate SAML signer writes two Transforms; this message was crafted or corrupted',
          raw: text,
        },
      );
    }
  }

  /** A start or empty-element tag at `i` (§3.1). */
  function startTag(): void {
    const start = cur.i;
    cur.i++;
    const tag = cur.name('an element name');
    cur.countNode(start);
    const parent = kinds.length - 1;
    if (parent >= 0 && kinds[parent] !== ORDINARY) countChild(parent, tag, start);
    const mark = undoPrefix.length;
    if (open.length + 1 > limits.maxDepth) {
      throw new SamlError('XML_TOO_DEEP', 'The XML document is nested too deeply.', {
        expected: `at most ${limits.maxDepth} levels of elements`,
        found: `more than ${limits.maxDepth} levels (at <${tag.slice(0, 40)}>, ${cur.at(start)})`,
        hint: 'raise limits.maxDepth only if a legitimate peer nests this deeply',
        raw: text,
      });
    }
    let attributes = 0;
    let declarations = 0;
    for (;;) {
      const space = cur.skipS();
      const c = cur.s.charCodeAt(cur.i);
      if (c === GT) {
        cur.i++;
        open.push(tag);
        marks.push(mark);
        kinds.push(kindOf(tag));
        children.push(0);
        return;
      }
      if (c === SLASH) {
        cur.i++;
        cur.expect('>', "§3.1 EmptyElemTag: '/>'");
        unbind(mark);
        return;
      }
      if (cur.i >= cur.n)
        throw cur.notWellFormed(`a tag <${tag.slice(0, 40)}> that never ends`, start, "§3.1: '>'");
      if (space === 0) {
        throw cur.notWellFormed(
          `${describeValue(cur.s.slice(cur.i, cur.i + 12))} in the tag <${tag.slice(0, 40)}>`,
          cur.i,
          '§3.1 STag: white space before each attribute',
        );
      }
      const attrStart = cur.i;
      const attribute = cur.name('an attribute name');
      cur.skipS();
      cur.expect('=', '§3.1 Attribute: Name Eq AttValue');
      cur.skipS();
      const quote = cur.s.charCodeAt(cur.i);
      if (quote !== QUOT && quote !== APOS) {
        throw cur.notWellFormed(
          `${describeValue(cur.s.slice(cur.i, cur.i + 12))} instead of a quoted value`,
          cur.i,
          '§2.3 AttValue: a value in double or single quotes',
        );
      }
      cur.i++;
      let length = 0;
      // Namespaces in XML 1.0 §3: xmlns and xmlns:prefix declare namespaces. Their values are
      // kept (references replaced, XML 1.0 §3.3.3), to know which namespace each element is in.
      const declaration = attribute === 'xmlns' || attribute.startsWith('xmlns:');
      let value = '';
      let chunk = cur.i;
      for (;;) {
        if (cur.i >= cur.n) {
          throw cur.notWellFormed('an attribute value that never ends', attrStart, '§2.3 AttValue');
        }
        const v = cur.s.charCodeAt(cur.i);
        if (v === quote) {
          if (declaration) value += cur.literalValue(chunk, cur.i);
          cur.i++;
          break;
        }
        if (v === LT) {
          throw cur.notWellFormed(
            "'<' in an attribute value",
            cur.i,
            '§3.1 WFC: No < in Attribute Values — write it as &lt;',
          );
        }
        if (v === AMP) {
          if (declaration) {
            value += cur.literalValue(chunk, cur.i);
            const from = cur.i;
            length += cur.reference();
            value += cur.referenceText(from, cur.i);
            chunk = cur.i;
          } else {
            length += cur.reference();
          }
        } else {
          const w = cur.char(cur.i) > 0xffff ? 2 : 1;
          cur.i += w;
          length += w;
        }
        if (length > limits.maxAttributeLength) {
          throw new SamlError(
            'XML_ATTRIBUTE_TOO_LARGE',
            'An XML attribute value is longer than the configured limit.',
            {
              expected: `attribute values of at most ${limits.maxAttributeLength} characters`,
              found: `${attribute.slice(0, 40)} on <${tag.slice(0, 40)}> (${cur.at(attrStart)}) is longer`,
              hint: 'raise limits.maxAttributeLength only if a legitimate peer sends values this long',
              raw: text,
            },
          );
        }
      }
      cur.countNode(attrStart);
      if (declaration) {
        bind(attribute.length === 5 ? '' : attribute.slice(6), value);
        if (++declarations > limits.maxNamespaceDeclarations) {
          throw new SamlError(
            'XML_TOO_MANY_NAMESPACES',
            'An XML element declares more namespaces than the configured limit.',
            {
              expected: `at most ${limits.maxNamespaceDeclarations} namespace declarations per element`,
              found: `more on <${tag.slice(0, 40)}> (${cur.at(start)})`,
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
            found: `more on <${tag.slice(0, 40)}> (${cur.at(start)})`,
            hint: 'raise limits.maxAttributes only if a legitimate peer sends elements like this',
            raw: text,
          },
        );
      }
    }
  }

  /** An end tag at `i` (§3.1 ETag), which must close the innermost open element. */
  function endTag(): void {
    const start = cur.i;
    cur.i += 2;
    const tag = cur.name('an element name');
    cur.skipS();
    cur.expect('>', "§3.1 ETag: '</' Name S? '>'");
    const current = open.pop();
    unbind(marks.pop() ?? 0);
    kinds.pop();
    children.pop();
    if (tag !== current) {
      throw cur.notWellFormed(
        `</${tag.slice(0, 40)}> closing <${(current ?? '').slice(0, 40)}>`,
        start,
        '§3.1 WFC: Element Type Match',
      );
    }
  }

  // §2.8 prolog ::= XMLDecl? Misc* (doctypedecl Misc*)?
  let encoding: string | undefined;
  if (cur.s.startsWith('<?xml', 0) && isS(cur.s.charCodeAt(5))) encoding = xmlDeclaration(cur);
  cur.misc();
  if (cur.i >= cur.n)
    throw cur.notWellFormed('no root element', cur.i, '§2.1 document ::= prolog element Misc*');
  if (cur.s.charCodeAt(cur.i) !== LT) {
    throw cur.notWellFormed(
      `${describeValue(cur.s.slice(cur.i, cur.i + 12))} before the root element`,
      cur.i,
      '§2.8 prolog: only the XML declaration, comments, processing instructions and white space',
    );
  }
  if (cur.s.charCodeAt(cur.i + 1) === BANG) cur.markupDeclaration();
  if (cur.s.charCodeAt(cur.i + 1) === SLASH) {
    throw cur.notWellFormed('an end tag before the root element', cur.i, '§2.1 document');
  }
  startTag();

  // §3.1 content ::= CharData? ((element | Reference | CDSect | PI | Comment) CharData?)*
  let run = 0;
  let finished = false;
  return { advance, offset: () => cur.i, result };

  /** Reads the content until about `chars` more characters are read; false once at the end. */
  function advance(chars: number): boolean {
    if (finished) return false;
    const until = cur.i + chars;
    while (open.length > 0 && cur.i < until) content();
    if (open.length > 0) return true;
    end();
    finished = true;
    return false;
  }

  function result(): ScanResult {
    if (!finished) throw new Error('scanXml: the pass has not finished');
    return { encoding, nodes: cur.nodes };
  }

  /** One token of content: markup, a reference, or one character of text. */
  function content(): void {
    if (cur.i >= cur.n) {
      throw cur.notWellFormed(
        `the end of the input with <${open[open.length - 1]!.slice(0, 40)}> still open`,
        cur.i,
        '§3 WFC: Element Type Match — every start tag has an end tag',
      );
    }
    const c = cur.s.charCodeAt(cur.i);
    if (c === LT) {
      const next = cur.s.charCodeAt(cur.i + 1);
      if (next === SLASH) {
        endTag();
        run = 0;
      } else if (next === BANG) {
        if (cur.s.startsWith('<!--', cur.i)) {
          cur.comment();
          run = 0;
        } else if (cur.s.startsWith('<![CDATA[', cur.i)) {
          run += cur.cdata();
          if (run > limits.maxTextLength) throw cur.textTooLarge(cur.i);
        } else {
          cur.markupDeclaration();
        }
      } else if (next === QUESTION) {
        cur.processingInstruction();
        run = 0;
      } else {
        startTag();
        run = 0;
      }
      return;
    }
    if (c === AMP) {
      run += cur.reference();
    } else if (c === GT) {
      // §2.4: ']]>' may not appear in character data. The character before any text is the '>'
      // that ended the markup before it, so two ']' here are text of this same run.
      if (cur.s.charCodeAt(cur.i - 1) === RSQB && cur.s.charCodeAt(cur.i - 2) === RSQB) {
        throw cur.notWellFormed("']]>' in character data", cur.i - 2, "§2.4: write ']]&gt;'");
      }
      cur.i++;
      run++;
    } else {
      const w = cur.char(cur.i) > 0xffff ? 2 : 1;
      cur.i += w;
      run += w;
    }
    if (run > limits.maxTextLength) throw cur.textTooLarge(cur.i);
  }

  /** After the root element: §2.1 document ::= prolog element Misc*, and the declared encoding. */
  function end(): void {
    cur.misc();
    if (cur.i < cur.n) {
      throw cur.notWellFormed(
        `${describeValue(cur.s.slice(cur.i, cur.i + 12))} after the root element`,
        cur.i,
        '§2.1 document ::= prolog element Misc* — one root element only',
      );
    }
    if (encoding !== undefined) checkEncoding(encoding, cur.seen < 0x80, text);
  }
}
