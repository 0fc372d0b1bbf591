// XML 1.0 (Fifth Edition) character classes (§2.2 Char, §2.3 Name) and the encoding rule (§4.3.3)
// that the pre-parse scan (xml-scan.ts) applies.
import { SamlError } from '../errors.js';

/**
 * The text reaching the parser is already characters: whoever held the bytes decoded them (as
 * UTF-8 everywhere samlkit decodes). A declaration naming UTF-8 or UTF-16 agrees with that. A
 * declaration naming a single-byte ASCII superset (ISO-8859-x, windows-125x, US-ASCII) is harmless
 * only while every character is ASCII: past that, a party that honours the declaration (libxml2,
 * and so the IdP's signer) reads other characters than samlkit did (XML 1.0 §4.3.3 makes such a
 * mismatch a fatal error). Any other encoding is refused.
 * @param asciiOnly - whether every character of the document is ASCII
 * @param text - the document, for the error
 * @internal
 */
export function checkEncoding(enc: string, asciiOnly: boolean, text: string): void {
  if (/^UTF-(8|16)$/i.test(enc)) return;
  const asciiSuperset =
    /^(US-ASCII|ASCII|ISO-8859-([1-9]|1[0-6])|ISO_8859-([1-9]|1[0-6])|LATIN-?1|WINDOWS-125[0-8]|CP125[0-8])$/i.test(
      enc,
    );
  if (asciiSuperset && asciiOnly) return;
  throw new SamlError(
    'XML_PARSE_ERROR',
    'The XML document declares an encoding samlkit does not read it in.',
    {
      expected: asciiSuperset
        ? `only ASCII characters in a document declared as ${enc}, or encoding="UTF-8" (XML 1.0 §4.3.3)`
        : 'encoding="UTF-8" or "UTF-16" in the XML declaration (XML 1.0 §4.3.3)',
      found: asciiSuperset ? `encoding="${enc}" with characters beyond ASCII` : `encoding="${enc}"`,
      hint: 'samlkit reads messages as UTF-8; configure the sender to encode and declare UTF-8',
      raw: text,
    },
  );
}
/** XML 1.0 §2.2 Char, for a code point. @internal */
export function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/** XML 1.0 (Fifth Edition) §2.3 NameStartChar. @internal */
export function isNameStartChar(c: number): boolean {
  if (c < 0x80) {
    return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x3a || c === 0x5f;
  }
  return (
    (c >= 0xc0 && c <= 0xd6) ||
    (c >= 0xd8 && c <= 0xf6) ||
    (c >= 0xf8 && c <= 0x2ff) ||
    (c >= 0x370 && c <= 0x37d) ||
    (c >= 0x37f && c <= 0x1fff) ||
    (c >= 0x200c && c <= 0x200d) ||
    (c >= 0x2070 && c <= 0x218f) ||
    (c >= 0x2c00 && c <= 0x2fef) ||
    (c >= 0x3001 && c <= 0xd7ff) ||
    (c >= 0xf900 && c <= 0xfdcf) ||
    (c >= 0xfdf0 && c <= 0xfffd) ||
    (c >= 0x10000 && c <= 0xeffff)
  );
}

/** XML 1.0 (Fifth Edition) §2.3 NameChar. @internal */
export function isNameChar(c: number): boolean {
  return (
    isNameStartChar(c) ||
    c === 0x2d ||
    c === 0x2e ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0xb7 ||
    (c >= 0x300 && c <= 0x36f) ||
    (c >= 0x203f && c <= 0x2040)
  );
}

/** Whether `value` is an XML 1.0 Name (§2.3). @internal */
export function isXmlName(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; ) {
    const cp = value.codePointAt(i)!;
    if (!(i === 0 ? isNameStartChar(cp) : isNameChar(cp))) return false;
    i += cp > 0xffff ? 2 : 1;
  }
  return true;
}
