// The lexical productions of XML 1.0 the pre-parse scan reads (Char, S, Name, references,
// comments, processing instructions, CDATA sections, Misc), over a cursor into the text.
import { describeValue, SamlError } from '../errors.js';
import { isNameChar, isNameStartChar, isXmlChar } from './xml-grammar.js';
import type { ScanLimits } from './xml-scan.js';

export const TAB = 0x09;
export const LF = 0x0a;
export const CR = 0x0d;
export const SPACE = 0x20;
export const QUOT = 0x22;
export const AMP = 0x26;
export const APOS = 0x27;
export const DASH = 0x2d;
export const SLASH = 0x2f;
export const SEMI = 0x3b;
export const LT = 0x3c;
export const GT = 0x3e;
export const QUESTION = 0x3f;
export const BANG = 0x21;
export const HASH = 0x23;
export const RSQB = 0x5d;
export const X_LOWER = 0x78;

/** The five entities XML predefines (§4.6); without a DTD no other entity exists. */
const PREDEFINED = new Set(['lt', 'gt', 'amp', 'apos', 'quot']);
const PREDEFINED_TEXT = new Map([
  ['lt', '<'],
  ['gt', '>'],
  ['amp', '&'],
  ['apos', "'"],
  ['quot', '"'],
]);

/** S (XML 1.0 §2.3): space, tab, CR or LF. @internal */
export function isS(c: number): boolean {
  return c === SPACE || c === LF || c === TAB || c === CR;
}

/**
 * A cursor into the text being scanned, with the counts the limits bound, and the lexical
 * productions read at it. Every method advances `i` past what it read or throws.
 * @internal
 */
export class XmlCursor {
  /** The text. */
  readonly s: string;
  /** Its length. */
  readonly n: number;
  /** The text, as refusals carry it. */
  readonly text: string;
  readonly limits: ScanLimits;
  /** Added to positions in messages. */
  readonly offset: number;
  /** The position. */
  i = 0;
  /** DOM nodes counted so far. */
  nodes = 0;
  /** References counted so far. */
  references = 0;
  /** OR of every code unit seen: bit 7 or above set means a character beyond ASCII occurred. */
  seen = 0;

  constructor(text: string, limits: ScanLimits, offset: number) {
    this.s = text;
    this.n = text.length;
    this.text = text;
    this.limits = limits;
    this.offset = offset;
  }

  /** A position as messages name it. */
  at(pos: number): string {
    return `offset ${pos + this.offset}`;
  }

  notWellFormed(what: string, pos: number, rule: string): SamlError {
    return new SamlError('XML_PARSE_ERROR', 'The input is not well-formed XML.', {
      expected: `a well-formed XML 1.0 document (${rule})`,
      found: `${what} at ${this.at(pos)}`,
      hint: 'if the value came from a URL or form, check that it was decoded exactly once',
      raw: this.text,
    });
  }

  countNode(pos: number): void {
    if (++this.nodes > this.limits.maxNodes) {
      throw new SamlError(
        'XML_TOO_MANY_NODES',
        'The XML document has more nodes than the configured limit.',
        {
          expected: `at most ${this.limits.maxNodes} elements, attributes, comments, processing instructions and CDATA sections`,
          found: `more (the next at ${this.at(pos)})`,
          hint: 'raise limits.maxNodes only if a legitimate peer sends documents this large',
          raw: this.text,
        },
      );
    }
  }

  /**
   * The code point at `pos`, refused unless it is an XML 1.0 Char (§2.2): tab, LF, CR,
   * U+0020–U+D7FF, U+E000–U+FFFD, U+10000–U+10FFFF (as a surrogate pair).
   */
  char(pos: number): number {
    const c = this.s.charCodeAt(pos);
    this.seen |= c;
    if (c < SPACE) {
      if (c === TAB || c === LF || c === CR) return c;
      throw this.nonChar(c, pos);
    }
    if (c < 0xd800) return c;
    if (c < 0xdc00) {
      const d = this.s.charCodeAt(pos + 1);
      if (d >= 0xdc00 && d <= 0xdfff) return ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
      throw this.nonChar(c, pos);
    }
    if (c < 0xe000 || c > 0xfffd) throw this.nonChar(c, pos);
    return c;
  }

  nonChar(cp: number, pos: number): SamlError {
    return new SamlError('XML_PARSE_ERROR', 'The input contains a character XML does not allow.', {
      expected: 'only characters of the XML 1.0 Char production (§2.2), literal or referenced',
      found: `U+${cp.toString(16).toUpperCase().padStart(4, '0')} at ${this.at(pos)}`,
      hint: 'a control character or a broken surrogate pair: the message was corrupted or crafted',
      raw: this.text,
    });
  }

  /** Skips S (§2.3); returns how many characters it skipped. */
  skipS(): number {
    const from = this.i;
    while (this.i < this.n && isS(this.s.charCodeAt(this.i))) this.i++;
    return this.i - from;
  }

  /** Reads a Name (§2.3) at `i` and returns it; `what` names it in the refusal. */
  name(what: string): string {
    const from = this.i;
    if (this.i >= this.n)
      throw this.notWellFormed(`the end of the input instead of ${what}`, this.i, '§2.3 Name');
    const first = this.char(this.i);
    if (!isNameStartChar(first)) {
      throw this.notWellFormed(
        `${describeValue(String.fromCodePoint(first))} instead of ${what}`,
        this.i,
        '§2.3 Name',
      );
    }
    this.i += first > 0xffff ? 2 : 1;
    while (this.i < this.n) {
      const c = this.s.charCodeAt(this.i);
      // the common case first: ASCII name characters
      if (
        (c >= 0x61 && c <= 0x7a) ||
        (c >= 0x41 && c <= 0x5a) ||
        (c >= 0x30 && c <= 0x3a) ||
        c === 0x5f ||
        c === DASH ||
        c === 0x2e
      ) {
        this.i++;
        continue;
      }
      if (c < 0x80) break;
      const cp = this.char(this.i);
      if (!isNameChar(cp)) break;
      this.i += cp > 0xffff ? 2 : 1;
    }
    return this.s.slice(from, this.i);
  }

  expect(literal: string, rule: string): void {
    if (!this.s.startsWith(literal, this.i)) {
      throw this.notWellFormed(
        this.i >= this.n
          ? `the end of the input instead of '${literal}'`
          : `${describeValue(this.s.slice(this.i, this.i + 12))} instead of '${literal}'`,
        this.i,
        rule,
      );
    }
    this.i += literal.length;
  }

  /**
   * A reference at `i` (which holds `&`): a character reference to a Char, or one of the five
   * predefined entities. Returns how many UTF-16 code units it stands for.
   */
  reference(): number {
    const start = this.i;
    if (++this.references > this.limits.maxReferences) {
      throw new SamlError(
        'XML_TOO_MANY_REFERENCES',
        'The XML document has more references than the configured limit.',
        {
          expected: `at most ${this.limits.maxReferences} character and entity references (&#…; &amp; …)`,
          found: `more at ${this.at(start)}`,
          hint: 'raise limits.maxReferences only if a legitimate peer escapes this much',
          raw: this.text,
        },
      );
    }
    if (this.s.charCodeAt(this.i + 1) === HASH) {
      // §4.1 CharRef ::= '&#' [0-9]+ ';' | '&#x' [0-9a-fA-F]+ ';'
      let j = this.i + 2;
      const hex = this.s.charCodeAt(j) === X_LOWER;
      if (hex) j++;
      let value = 0;
      let digits = 0;
      for (; j < this.n; j++) {
        const c = this.s.charCodeAt(j);
        let d: number;
        if (c >= 0x30 && c <= 0x39) d = c - 0x30;
        else if (hex && c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
        else if (hex && c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
        else break;
        digits++;
        // Past U+10FFFF the exact value no longer matters: keep it from growing without bound.
        value = value > 0x10ffff ? value : value * (hex ? 16 : 10) + d;
      }
      if (digits === 0 || this.s.charCodeAt(j) !== SEMI) {
        throw this.notWellFormed(
          `${describeValue(this.s.slice(start, Math.min(j + 1, start + 16)))}`,
          start,
          "§4.1 CharRef: '&#' digits ';' or '&#x' hex digits ';'",
        );
      }
      // §4.1 WFC: Legal Character — a reference must name a Char too.
      if (!isXmlChar(value)) throw this.nonChar(value, start);
      this.i = j + 1;
      return value > 0xffff ? 2 : 1;
    }
    this.i++;
    const c = this.i < this.n ? this.s.charCodeAt(this.i) : -1;
    if (c === -1 || isS(c) || c === AMP || c === LT || c === SEMI) {
      throw this.notWellFormed("a bare '&'", start, "§2.4: a literal '&' must be written &amp;");
    }
    const entity = this.name('an entity name after &');
    if (this.s.charCodeAt(this.i) !== SEMI) {
      throw this.notWellFormed(
        `${describeValue(this.s.slice(start, Math.min(this.i + 1, start + 16)))} without ';'`,
        start,
        "§4.1 EntityRef: '&' Name ';' (a literal '&' must be written &amp;)",
      );
    }
    if (!PREDEFINED.has(entity)) {
      throw this.notWellFormed(
        `a reference to the undeclared entity &${entity.slice(0, 40)};`,
        start,
        '§4.1 WFC: Entity Declared — with no DTD only &lt; &gt; &amp; &apos; &quot; exist',
      );
    }
    this.i++;
    return 1;
  }

  /** `<!--` … `-->` at `i` (§2.5: no `--` inside, not ending in `--->`). */
  comment(): void {
    const start = this.i;
    this.countNode(start);
    this.i += 4;
    for (;;) {
      if (this.i >= this.n)
        throw this.notWellFormed('a comment that never ends', start, "§2.5 Comment: '-->'");
      const c = this.s.charCodeAt(this.i);
      if (c === DASH && this.s.charCodeAt(this.i + 1) === DASH) {
        if (this.s.charCodeAt(this.i + 2) !== GT) {
          throw this.notWellFormed(
            "'--' inside a comment",
            this.i,
            "§2.5: '--' must not occur in comments",
          );
        }
        this.i += 3;
        return;
      }
      this.i += this.char(this.i) > 0xffff ? 2 : 1;
    }
  }

  /** `<?target …?>` at `i` (§2.6); the target may not be `xml` in any case. */
  processingInstruction(): void {
    const start = this.i;
    this.countNode(start);
    this.i += 2;
    const target = this.name('a processing instruction target');
    if (target.toLowerCase() === 'xml') {
      throw this.notWellFormed(
        'an XML declaration that is not at the very start of the document',
        start,
        '§2.8: the XML declaration comes first; §2.6: targets named xml are reserved',
      );
    }
    if (this.s.startsWith('?>', this.i)) {
      this.i += 2;
      return;
    }
    if (this.skipS() === 0) {
      throw this.notWellFormed(
        `${describeValue(this.s.slice(this.i, this.i + 12))} after the processing instruction target`,
        this.i,
        '§2.6 PI: white space between target and data',
      );
    }
    for (;;) {
      if (this.i >= this.n) {
        throw this.notWellFormed(
          'a processing instruction that never ends',
          start,
          "§2.6 PI: '?>'",
        );
      }
      if (this.s.charCodeAt(this.i) === QUESTION && this.s.charCodeAt(this.i + 1) === GT) {
        this.i += 2;
        return;
      }
      this.i += this.char(this.i) > 0xffff ? 2 : 1;
    }
  }

  /** `<![CDATA[` … `]]>` at `i` (§2.7); returns the length of its data. */
  cdata(): number {
    const start = this.i;
    this.countNode(start);
    this.i += 9;
    const from = this.i;
    for (;;) {
      if (this.i >= this.n)
        throw this.notWellFormed('a CDATA section that never ends', start, "§2.7 CDEnd: ']]>'");
      if (
        this.s.charCodeAt(this.i) === RSQB &&
        this.s.charCodeAt(this.i + 1) === RSQB &&
        this.s.charCodeAt(this.i + 2) === GT
      ) {
        const length = this.i - from;
        this.i += 3;
        return length;
      }
      this.i += this.char(this.i) > 0xffff ? 2 : 1;
    }
  }

  /** `<!` that starts neither a comment nor a CDATA section: a DTD, or nothing XML knows. */
  markupDeclaration(): never {
    const m = /^<!(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i.exec(
      this.s.slice(this.i, this.i + 10),
    );
    if (m) {
      throw new SamlError('XML_DOCTYPE_FORBIDDEN', 'The XML document contains a DTD declaration.', {
        expected: 'no <!DOCTYPE> or other markup declaration',
        found: `<!${m[1]} at ${this.at(this.i)}`,
        hint: 'SAML messages never need a DTD; this input was crafted or corrupted',
        raw: this.text,
      });
    }
    throw this.notWellFormed(
      describeValue(this.s.slice(this.i, this.i + 12)),
      this.i,
      "§2.5, §2.7: '<!' starts only '<!--' or '<![CDATA[' in a document without a DTD",
    );
  }

  /**
   * The literal characters of an attribute value from `from` to `to`, as XML 1.0 §3.3.3
   * normalizes them: each white space character (a CR LF pair being one line end, §2.11) becomes
   * a space.
   */
  literalValue(from: number, to: number): string {
    const raw = this.s.slice(from, to);
    return /[\t\n\r]/.test(raw) ? raw.replace(/\r\n|[\t\n\r]/g, ' ') : raw;
  }

  /** The text a well-formed reference from `from` to `to` (`&…;`) stands for (§4.1, §4.6). */
  referenceText(from: number, to: number): string {
    if (this.s.charCodeAt(from + 1) === HASH) {
      const hex = this.s.charCodeAt(from + 2) === X_LOWER;
      const digits = this.s.slice(from + (hex ? 3 : 2), to - 1);
      return String.fromCodePoint(Number.parseInt(digits, hex ? 16 : 10));
    }
    return PREDEFINED_TEXT.get(this.s.slice(from + 1, to - 1)) ?? '';
  }

  textTooLarge(pos: number): SamlError {
    return new SamlError(
      'XML_TEXT_TOO_LARGE',
      'A text node of the XML document is longer than the configured limit.',
      {
        expected: `runs of character data (text, references, CDATA) of at most ${this.limits.maxTextLength} characters`,
        found: `a longer one ending after ${this.at(pos)}`,
        hint: 'raise limits.maxTextLength only if a legitimate peer sends values this long',
        raw: this.text,
      },
    );
  }

  /** Misc (§2.8): white space, comments and processing instructions, outside the root element. */
  misc(): void {
    for (;;) {
      this.skipS();
      if (this.s.startsWith('<!--', this.i)) this.comment();
      else if (this.s.charCodeAt(this.i) === LT && this.s.charCodeAt(this.i + 1) === QUESTION)
        this.processingInstruction();
      else return;
    }
  }
}
