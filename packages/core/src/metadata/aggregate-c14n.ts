import { describeValue, SamlError } from '../errors.js';
import { compareCodePoints } from '../lib/c14n.js';
import { SLICE_CHARS, sliceEnd } from '../lib/slices.js';

/** Namespaces in XML 1.0 §3: the prefix xml is bound to this URI by definition. */
const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/** An attribute of a start tag, its value with references replaced and normalized (XML 1.0 §3.3.3). */
export interface StreamAttribute {
  readonly name: string;
  readonly prefix: string;
  readonly local: string;
  /** The namespace URI ('' when unqualified). */
  readonly uri: string;
  readonly value: string;
}

/** A start tag as the streaming canonicalizer reports it. @internal */
export interface StreamElement {
  /** 0 for the root element. */
  readonly depth: number;
  readonly qname: string;
  readonly local: string;
  readonly uri: string;
  readonly attributes: readonly StreamAttribute[];
  /** Its own namespace declarations, [prefix ('' for the default), URI], in document order. */
  readonly declarations: readonly (readonly [string, string])[];
  /** Offset of its `<` in the text. */
  readonly start: number;
  /** Offset just after its start tag's `>` (after `/>` for an empty-element tag). */
  readonly tagEnd: number;
}

/** What the caller learns and decides while the text is canonicalized. @internal */
export interface StreamVisitor {
  /**
   * A start tag. Return true to leave the element and its content out of the canonical form
   * (the enveloped-signature transform, XML-DSig §6.6.4); its start and end are still reported.
   */
  start(el: StreamElement): boolean;
  /** The end of the element opened at `depth`; `end` is the offset just after its last character. */
  end(depth: number, end: number): void;
  /** Character data directly inside the element at `depth`, references replaced. */
  text?(depth: number, value: string): void;
}

/**
 * A growing UTF-8 buffer: canonical text is encoded as it is produced, so the canonical form of a
 * document costs its bytes once, not a second JavaScript string of the same size.
 */
class Utf8Sink {
  private buf: Uint8Array;
  private len = 0;
  private pending: string[] = [];
  private pendingLength = 0;
  private readonly encoder = new TextEncoder();

  constructor(capacity: number) {
    this.buf = new Uint8Array(Math.max(1024, capacity));
  }

  push(s: string): void {
    this.pending.push(s);
    this.pendingLength += s.length;
    if (this.pendingLength > 1 << 16) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const s = this.pending.join('');
    this.pending = [];
    this.pendingLength = 0;
    const need = this.len + s.length * 3;
    if (need > this.buf.length) {
      const grown = new Uint8Array(Math.max(need, this.buf.length * 2));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.len += this.encoder.encodeInto(s, this.buf.subarray(this.len)).written;
  }

  bytes(): Uint8Array {
    this.flush();
    return this.buf.subarray(0, this.len);
  }
}

const TEXT_SPECIAL = /&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);|\r\n?|>/g;
const ATTR_SPECIAL = /&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);|\r\n|[\t\n\r"]/g;
const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function referenced(ref: string): string {
  if (ref.charCodeAt(0) === 0x23) {
    return String.fromCodePoint(
      ref.charCodeAt(1) === 0x78 ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1)),
    );
  }
  return NAMED[ref]!;
}

// c14n §2.3: text escapes &, <, > and CR; attribute values escape &, <, ", TAB, LF and CR.
function escapeTextChar(c: string): string {
  switch (c) {
    case '&':
      return '&amp;';
    case '<':
      return '&lt;';
    case '>':
      return '&gt;';
    case '\r':
      return '&#xD;';
    default:
      return c;
  }
}

function escapeAttrChar(c: string): string {
  switch (c) {
    case '&':
      return '&amp;';
    case '<':
      return '&lt;';
    case '"':
      return '&quot;';
    case '\t':
      return '&#x9;';
    case '\n':
      return '&#xA;';
    case '\r':
      return '&#xD;';
    default:
      return c;
  }
}

/** Raw character data → its canonical form (XML 1.0 §2.11 line ends, §4.1 references; c14n §2.3). */
function canonicalText(raw: string): string {
  if (!/[&\r>]/.test(raw)) return raw;
  return raw.replace(TEXT_SPECIAL, (m, ref: string | undefined) => {
    if (ref !== undefined) return escapeTextChar(referenced(ref));
    return m === '>' ? '&gt;' : '\n';
  });
}

/** Raw character data → its value (references replaced, line ends normalized). */
function textValue(raw: string): string {
  if (!/[&\r]/.test(raw)) return raw;
  return raw.replace(TEXT_SPECIAL, (m, ref: string | undefined) =>
    ref !== undefined ? referenced(ref) : m === '>' ? '>' : '\n',
  );
}

/** A raw attribute value → its normalized value (XML 1.0 §3.3.3: literal white space → space). */
function attributeValue(raw: string): string {
  if (!/[&\t\n\r]/.test(raw)) return raw;
  return raw.replace(ATTR_SPECIAL, (m, ref: string | undefined) => {
    if (ref !== undefined) return referenced(ref);
    return m === '"' ? '"' : ' ';
  });
}

function canonicalAttr(value: string): string {
  return /[&<"\t\n\r]/.test(value) ? value.replace(/[&<"\t\n\r]/g, escapeAttrChar) : value;
}

function isS(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}

function notWellFormed(found: string): SamlError {
  return new SamlError('XML_PARSE_ERROR', 'The input is not well-formed XML.', {
    expected: 'a well-formed XML 1.0 document with every prefix declared (Namespaces in XML §5)',
    found,
  });
}

/**
 * Exclusive XML canonicalization without comments (exc-c14n §3 over Canonical XML 1.0 §2) of the
 * root element of `text`, computed from the text in one pass and encoded to UTF-8 as it goes,
 * without a DOM. The caller has checked `text` with the pre-parse scan (well-formed XML 1.0, no
 * DTD, within the limits), so the grammar is not checked again here; what the scan does not
 * check, undeclared prefixes, is refused. An InclusiveNamespaces PrefixList is not supported.
 *
 * Equal, for every document the scan accepts, to `canonicalize(root, { exclusive: true })` on its
 * DOM (tested as a property), with the subtrees the visitor excludes left out.
 *
 * @param text - the document (no byte order mark)
 * @param visitor - sees every start tag, end and text, and picks subtrees to exclude
 * @returns the canonical form as UTF-8
 * @throws SamlError `XML_PARSE_ERROR` (an undeclared prefix), `XML_INVALID_VALUE` (a relative
 *   namespace URI, Canonical XML 1.0 §2)
 * @internal
 */
export function streamExclusiveC14n(text: string, visitor: StreamVisitor): Uint8Array {
  const pass = c14nPass(text, visitor);
  let more = true;
  while (more) more = pass.step();
  return pass.bytes();
}

/**
 * {@link streamExclusiveC14n} in slices: after every `sliceChars` characters of input (shorter
 * slices at the start: lib/slices.ts) it awaits `pause()` (a macrotask, say), so that a long
 * document does not hold the thread — requests served by the same process go on while an
 * aggregate is verified. The same output.
 * @param text - the document (no byte order mark)
 * @param visitor - as for {@link streamExclusiveC14n}
 * @param pause - awaited between slices
 * @param sliceChars - characters read between two pauses once under way (default 2^20)
 * @returns the canonical form as UTF-8
 * @internal
 */
export async function streamExclusiveC14nInSlices(
  text: string,
  visitor: StreamVisitor,
  pause: () => Promise<void>,
  sliceChars: number = SLICE_CHARS,
): Promise<Uint8Array> {
  const pass = c14nPass(text, visitor);
  let next = sliceEnd(0, sliceChars);
  while (pass.step()) {
    if (pass.offset() >= next) {
      await pause();
      next = sliceEnd(pass.offset(), sliceChars);
    }
  }
  return pass.bytes();
}

/** The pass, one token per `step()`. */
function c14nPass(
  text: string,
  visitor: StreamVisitor,
): { step(): boolean; offset(): number; bytes(): Uint8Array } {
  const s = text;
  const n = s.length;
  const sink = new Utf8Sink(n + (n >> 4));
  // In-scope bindings (input) and rendered declarations (output), each with an undo stack.
  const bindings = new Map<string, string>([
    ['xml', XML_NS],
    ['', ''],
  ]);
  const rendered = new Map<string, string>([['', '']]);
  const undoMap: Map<string, string>[] = [];
  const undoPrefix: string[] = [];
  const undoValue: (string | undefined)[] = [];
  const marks: number[] = [];
  const names: string[] = [];
  /** Depth at which output was muted (an excluded subtree), or -1. */
  let mutedAt = -1;
  let i = 0;

  function set(map: Map<string, string>, prefix: string, value: string): void {
    undoMap.push(map);
    undoPrefix.push(prefix);
    undoValue.push(map.get(prefix));
    map.set(prefix, value);
  }

  function rollback(mark: number): void {
    while (undoPrefix.length > mark) {
      const map = undoMap.pop()!;
      const prefix = undoPrefix.pop()!;
      const value = undoValue.pop();
      if (value === undefined) map.delete(prefix);
      else map.set(prefix, value);
    }
  }

  function resolve(prefix: string, qname: string): string {
    const uri = bindings.get(prefix);
    if (uri === undefined) throw notWellFormed(`the undeclared prefix in ${describeValue(qname)}`);
    return uri;
  }

  // Skip the prolog: XML declaration, comments, PIs and white space (Canonical XML renders the
  // element only: the Reference names the root element).
  for (;;) {
    const lt = s.indexOf('<', i);
    if (lt < 0) throw notWellFormed('no root element');
    i = lt;
    if (s.startsWith('<?', i)) i = s.indexOf('?>', i) + 2;
    else if (s.startsWith('<!--', i)) i = s.indexOf('-->', i) + 3;
    else break;
  }

  let depth = 0;
  let done = false;
  const stop = (): false => {
    done = true;
    return false;
  };
  /** Reads one token (tag, text, comment, CDATA, PI); false once the root element has ended. */
  function step(): boolean {
    if (done || i >= n) return false;
    const lt = s.indexOf('<', i);
    if (lt < 0) return stop();
    if (lt > i && names.length > 0) {
      const raw = s.slice(i, lt);
      if (mutedAt < 0) sink.push(canonicalText(raw));
      visitor.text?.(names.length - 1, textValue(raw));
    }
    i = lt;
    const next = s.charCodeAt(i + 1);
    if (next === 0x2f) {
      // end tag
      const close = s.indexOf('>', i);
      const qname = names.pop()!;
      depth = names.length;
      if (mutedAt < 0) sink.push(`</${qname}>`);
      if (mutedAt === depth) mutedAt = -1;
      rollback(marks.pop()!);
      i = close + 1;
      visitor.end(depth, i);
      if (names.length === 0) return stop();
      return true;
    }
    if (next === 0x21) {
      if (s.startsWith('<!--', i)) {
        i = s.indexOf('-->', i + 4) + 3; // comments are not rendered
      } else {
        // CDATA section (§2.7): its characters are text
        const end = s.indexOf(']]>', i + 9);
        const data = s.slice(i + 9, end).replace(/\r\n?/g, '\n');
        if (mutedAt < 0) sink.push(data.replace(/[&<>\r]/g, escapeTextChar));
        visitor.text?.(names.length - 1, data);
        i = end + 3;
      }
      return true;
    }
    if (next === 0x3f) {
      // processing instruction (§2.6): target, then data after the white space
      const end = s.indexOf('?>', i + 2);
      let j = i + 2;
      while (j < end && !isS(s.charCodeAt(j))) j++;
      const target = s.slice(i + 2, j);
      while (j < end && isS(s.charCodeAt(j))) j++;
      const data = s.slice(j, end).replace(/\r\n?/g, '\n');
      if (mutedAt < 0) sink.push(data ? `<?${target} ${data}?>` : `<?${target}?>`);
      i = end + 2;
      return true;
    }
    i = startTag(lt);
    if (names.length === 0) return stop(); // an empty root element
    return true;
  }
  return { step, offset: () => i, bytes: () => sink.bytes() };

  /** A start or empty-element tag at `lt`; returns the offset after it. */
  function startTag(lt: number): number {
    let j = lt + 1;
    while (j < n && !isS(s.charCodeAt(j)) && s.charCodeAt(j) !== 0x3e && s.charCodeAt(j) !== 0x2f)
      j++;
    const qname = s.slice(lt + 1, j);
    const raw: Array<[string, string]> = [];
    for (;;) {
      while (isS(s.charCodeAt(j))) j++;
      const c = s.charCodeAt(j);
      if (c === 0x3e || c === 0x2f) break;
      const eq = s.indexOf('=', j);
      const name = s.slice(j, eq).trimEnd();
      j = eq + 1;
      while (isS(s.charCodeAt(j))) j++;
      const quote = s[j]!;
      const close = s.indexOf(quote, j + 1);
      raw.push([name, s.slice(j + 1, close)]);
      j = close + 1;
    }
    const empty = s.charCodeAt(j) === 0x2f;
    const after = empty ? j + 2 : j + 1;
    const mark = undoPrefix.length;
    depth = names.length;

    // Namespaces in XML §6.1: the element's own declarations are in scope on the element itself.
    const attrs: Array<[string, string]> = [];
    const declarations: Array<[string, string]> = [];
    for (const [name, value] of raw) {
      if (name === 'xmlns' || name.startsWith('xmlns:')) {
        const uri = attributeValue(value);
        // Canonical XML 1.0 §2: a relative namespace URI is an error, rendered or not.
        if (uri !== '' && !ABSOLUTE_URI.test(uri)) {
          throw new SamlError('XML_INVALID_VALUE', 'A namespace URI is relative.', {
            expected: 'absolute namespace URIs (with a scheme, like urn: or https:)',
            found: describeValue(uri),
            hint: 'Canonical XML 1.0 §2 makes relative namespace URIs an error; fix the document producer',
          });
        }
        const p = name.length === 5 ? '' : name.slice(6);
        set(bindings, p, uri);
        declarations.push([p, uri]);
      } else {
        attrs.push([name, value]);
      }
    }
    const colon = qname.indexOf(':');
    const prefix = colon < 0 ? '' : qname.slice(0, colon);
    const local = colon < 0 ? qname : qname.slice(colon + 1);
    const uri = resolve(prefix, qname);
    const attributes: StreamAttribute[] = attrs.map(([name, value]) => {
      const k = name.indexOf(':');
      const p = k < 0 ? '' : name.slice(0, k);
      return {
        name,
        prefix: p,
        local: k < 0 ? name : name.slice(k + 1),
        uri: k < 0 ? '' : resolve(p, name),
        value: attributeValue(value),
      };
    });
    const excluded = visitor.start({
      depth,
      qname,
      local,
      uri,
      attributes,
      declarations,
      start: lt,
      tagEnd: after,
    });
    if (excluded && mutedAt < 0) mutedAt = depth;

    if (mutedAt < 0) {
      // exc-c14n §3: render the visibly utilized namespaces (the element's prefix and those of its
      // attributes) that the output ancestors did not render with the same URI; xml never.
      const decls: Array<[string, string]> = [];
      const consider = (p: string, u: string) => {
        if (p === 'xml' || rendered.get(p) === u) return;
        set(rendered, p, u);
        decls.push([p, u]);
      };
      consider(prefix, uri);
      for (const a of attributes) if (a.prefix) consider(a.prefix, a.uri);
      if (decls.length > 1) decls.sort((x, y) => compareCodePoints(x[0], y[0]));
      // Canonical XML 1.0 §2.2: attributes by namespace URI, then local name, unqualified first.
      if (attributes.length > 1) {
        attributes.sort(
          (a, b) => compareCodePoints(a.uri, b.uri) || compareCodePoints(a.local, b.local),
        );
      }
      let out = `<${qname}`;
      for (const [p, u] of decls) out += `${p ? ` xmlns:${p}="` : ' xmlns="'}${canonicalAttr(u)}"`;
      for (const a of attributes) out += ` ${a.name}="${canonicalAttr(a.value)}"`;
      out += empty ? `></${qname}>` : '>';
      sink.push(out);
    }
    if (empty) {
      if (mutedAt === depth) mutedAt = -1;
      rollback(mark);
      visitor.end(depth, after);
    } else {
      names.push(qname);
      marks.push(mark);
    }
    return after;
  }
}
