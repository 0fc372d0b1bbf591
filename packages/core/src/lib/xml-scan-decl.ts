// The XML declaration (XML 1.0 §2.8), read by the pre-parse scan.
import { describeValue, SamlError } from '../errors.js';
import { APOS, GT, LT, QUOT, SPACE, type XmlCursor } from './xml-scan-cursor.js';

/**
 * §2.8 XMLDecl ::= '<?xml' VersionInfo EncodingDecl? SDDecl? S? '?>'. Only version 1.0: XML 1.1
 * has other characters and line ends (U+0085 and U+2028 end lines there), so a 1.1 document
 * would be read differently here than by a 1.1 processor. Reads from the start of the text;
 * returns the encoding it names, if any.
 * @internal
 */
export function xmlDeclaration(cur: XmlCursor): string | undefined {
  cur.i = 5;
  cur.skipS();
  const version = pseudoAttribute(cur, 'version');
  if (version !== '1.0') {
    throw new SamlError('XML_PARSE_ERROR', 'The XML document is not XML 1.0.', {
      expected: 'version="1.0" in the XML declaration (XML 1.0 §2.8)',
      found: `version=${describeValue(version)}`,
      hint: 'SAML messages are XML 1.0; XML 1.1 treats characters and line ends differently',
      raw: cur.text,
    });
  }
  let enc: string | undefined;
  let space = cur.skipS();
  if (space > 0 && cur.s.startsWith('encoding', cur.i)) {
    enc = pseudoAttribute(cur, 'encoding');
    // §4.3.3 EncName ::= [A-Za-z] ([A-Za-z0-9._] | '-')*
    if (!/^[A-Za-z][A-Za-z0-9._-]*$/.test(enc)) {
      throw cur.notWellFormed(`encoding=${describeValue(enc)}`, cur.i, '§4.3.3 EncName');
    }
    space = cur.skipS();
  }
  if (space > 0 && cur.s.startsWith('standalone', cur.i)) {
    const sd = pseudoAttribute(cur, 'standalone');
    if (sd !== 'yes' && sd !== 'no') {
      throw cur.notWellFormed(
        `standalone=${describeValue(sd)}`,
        cur.i,
        "§2.9 SDDecl: 'yes' or 'no'",
      );
    }
    cur.skipS();
  }
  cur.expect('?>', "§2.8 XMLDecl: version, then optional encoding and standalone, then '?>'");
  return enc;
}

function pseudoAttribute(cur: XmlCursor, key: string): string {
  cur.expect(key, `§2.8 XMLDecl: ${key}`);
  cur.skipS();
  cur.expect('=', '§2.3 Eq');
  cur.skipS();
  const quote = cur.s.charCodeAt(cur.i);
  if (quote !== QUOT && quote !== APOS) {
    throw cur.notWellFormed(
      `${describeValue(cur.s.slice(cur.i, cur.i + 12))}`,
      cur.i,
      `§2.8: a quoted ${key}`,
    );
  }
  const from = ++cur.i;
  // the values allowed here are short ASCII names; stop at the first character that is not
  while (cur.i < cur.n && cur.i - from <= 40) {
    const c = cur.s.charCodeAt(cur.i);
    if (c === quote || c < SPACE || c >= 0x7f || c === LT || c === GT) break;
    cur.i++;
  }
  if (cur.s.charCodeAt(cur.i) !== quote) {
    throw cur.notWellFormed(
      `${describeValue(cur.s.slice(from - 1, cur.i + 1))}`,
      from - 1,
      `§2.8: a quoted ${key}`,
    );
  }
  return cur.s.slice(from, cur.i++);
}
