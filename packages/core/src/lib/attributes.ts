// The AttributeStatements of an assertion, read into SamlAttribute values (SAML core §2.7.3).
import { SamlError } from '../errors.js';
import { type DecryptFn, optional, type SamlAttribute } from './assertion.js';
import { attr, childElements, isElement, NS, serializeXml, textOf } from './xml.js';

const ELEMENT_NODE = 1;
const COMMENT_NODE = 8;

function attributeValueText(v: Element): string {
  if (v.getAttributeNS(NS.xsi, 'nil') === 'true') return '';
  let hasElement = false;
  for (let c = v.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === ELEMENT_NODE) hasElement = true;
  }
  if (!hasElement) return textOf(v);
  // Complex content (e.g. a NameID as attribute value): its XML, comments left out.
  let out = '';
  for (let c = v.firstChild; c; c = c.nextSibling) {
    if (c.nodeType !== COMMENT_NODE) out += serializeXml(c);
  }
  return out;
}

function readAttribute(el: Element): SamlAttribute {
  const name = attr(el, 'Name');
  if (name === undefined || name === '') {
    throw new SamlError('XML_MISSING_ELEMENT', '<Attribute> lacks its Name.', {
      expected: 'a Name attribute (SAML core §2.7.3.1)',
      found: 'none',
    });
  }
  return {
    name,
    ...optional('nameFormat', attr(el, 'NameFormat')),
    ...optional('friendlyName', attr(el, 'FriendlyName')),
    values: childElements(el, NS.saml, 'AttributeValue').map(attributeValueText),
  };
}

/**
 * Reads every Attribute of every AttributeStatement, decrypting EncryptedAttribute elements.
 * @see SAML core §2.7.3
 * @internal
 */
export async function readAttributes(
  assertion: Element,
  decrypt: DecryptFn,
): Promise<SamlAttribute[]> {
  const out: SamlAttribute[] = [];
  for (const stmt of childElements(assertion, NS.saml, 'AttributeStatement')) {
    for (const el of childElements(stmt)) {
      if (isElement(el, NS.saml, 'Attribute')) {
        out.push(readAttribute(el));
      } else if (isElement(el, NS.saml, 'EncryptedAttribute')) {
        const plain = await decrypt(el);
        if (!isElement(plain, NS.saml, 'Attribute')) {
          throw new SamlError(
            'XML_UNEXPECTED_ELEMENT',
            'An <EncryptedAttribute> hides no Attribute.',
            {
              expected: '<saml:Attribute>',
              found: `<${plain.nodeName}>`,
            },
          );
        }
        out.push(readAttribute(plain));
      }
    }
  }
  return out;
}
