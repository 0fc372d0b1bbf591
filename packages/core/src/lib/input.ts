import { SamlError } from '../errors.js';
import { fromBase64Utf8 } from './bytes.js';
import { DEFAULT_XML_LIMITS, parseXml, type XmlLimits } from './xml.js';

/**
 * Turns a message as received into a parsed document: either the XML itself or the base64 value
 * of the HTTP-POST binding's `SAMLResponse`/`SAMLRequest` form field (line breaks tolerated).
 *
 * @param input - XML text, or its base64 encoding
 * @param limits - XML size and depth limits; the size limit is applied before base64 decoding too
 * @returns the parsed document and the XML text
 * @throws SamlError `XML_TOO_LARGE`, `BASE64_INVALID`, `XML_PARSE_ERROR`, `XML_DOCTYPE_FORBIDDEN`,
 *   `XML_TOO_DEEP`
 * @see SAML bindings §3.5.4 (HTTP-POST: base64 of the XML message)
 * @internal
 */
export function parseMessageInput(
  input: string,
  limits: XmlLimits = {},
): { doc: Document; xml: string } {
  const maxSize = limits.maxSize ?? DEFAULT_XML_LIMITS.maxSize;
  const trimmed = input.trim();
  let xml: string;
  if (trimmed.startsWith('<')) {
    xml = trimmed;
  } else {
    // base64 is 4/3 of the decoded size, plus line breaks: refuse what cannot fit before decoding.
    if (trimmed.length > Math.ceil((maxSize * 4) / 3) * 1.05 + 16) {
      throw new SamlError(
        'XML_TOO_LARGE',
        'The encoded message is larger than the configured limit.',
        {
          expected: `a base64 value decoding to at most ${maxSize} characters`,
          found: `${trimmed.length} base64 characters`,
          hint: 'raise limits.maxSize only if a legitimate IdP sends documents this large',
        },
      );
    }
    xml = fromBase64Utf8(trimmed.replace(/[\r\n\t ]+/g, ''), 'The SAML message').text;
    // A byte order mark is allowed before the XML declaration.
    if (xml.charCodeAt(0) === 0xfeff) xml = xml.slice(1);
  }
  return { doc: parseXml(xml, limits), xml };
}
