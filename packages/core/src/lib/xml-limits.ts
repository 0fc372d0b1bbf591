// The size and depth limits parseXml applies, with their defaults.

/**
 * Limits applied to every XML document samlkit parses. All of them are checked in one linear
 * scan of the text before any DOM is built, so no input costs more than linear work before its
 * signature is checked. Each refusal has its own error code (docs/security.md, "Parsing limits").
 */
export interface XmlLimits {
  /** Maximum input length in characters (UTF-16 code units). Default 1 MiB (1,048,576). `XML_TOO_LARGE`. */
  readonly maxSize?: number;
  /** Maximum element nesting depth. Default 64. `XML_TOO_DEEP`. */
  readonly maxDepth?: number;
  /**
   * Maximum DOM nodes other than text: elements, attributes (namespace declarations included),
   * comments, processing instructions and CDATA sections. Text nodes sit between them, so they
   * are bounded too. Default 32,768 — or, when `maxSize` is set and this is not, one node per 32
   * characters of `maxSize` if that is more (so raising `maxSize` for a federation aggregate
   * raises this with it). `XML_TOO_MANY_NODES`.
   */
  readonly maxNodes?: number;
  /** Maximum attributes on one element, namespace declarations aside. Default 64. `XML_TOO_MANY_ATTRIBUTES`. */
  readonly maxAttributes?: number;
  /** Maximum namespace declarations (`xmlns`, `xmlns:p`) on one element. Default 32. `XML_TOO_MANY_NAMESPACES`. */
  readonly maxNamespaceDeclarations?: number;
  /**
   * Maximum length of one run of character data — text, references and CDATA sections between
   * two tags, comments or processing instructions — in characters after references are replaced.
   * Default 262,144 (256 KiB). `XML_TEXT_TOO_LARGE`.
   */
  readonly maxTextLength?: number;
  /** Maximum length of one attribute value, after references are replaced. Default 65,536 (64 KiB). `XML_ATTRIBUTE_TOO_LARGE`. */
  readonly maxAttributeLength?: number;
  /**
   * Maximum character and entity references (`&#xD;`, `&amp;`, …) in the document. Default
   * 32,768 — or, like `maxNodes`, one per 32 characters of a larger `maxSize`.
   * `XML_TOO_MANY_REFERENCES`.
   */
  readonly maxReferences?: number;
  /**
   * Maximum References in one `ds:SignedInfo`, counted as its element children after the first
   * two (CanonicalizationMethod and SignatureMethod), whatever their names. A SAML signature has
   * exactly one (SAML core §5.4.2), and the verifier refuses more with
   * `SIGNATURE_REFERENCE_INVALID`; this bound refuses a flood of them before the DOM is built.
   * Default 4. `XML_TOO_MANY_SIGNATURE_REFERENCES`.
   */
  readonly maxSignatureReferences?: number;
  /**
   * Maximum element children of one `ds:Transforms`. A SAML signature has two (SAML core
   * §5.4.4), and the verifier refuses more with `SIGNATURE_TRANSFORM_FORBIDDEN`; this bound
   * refuses a flood of them before the DOM is built. Default 4. `XML_TOO_MANY_TRANSFORMS`.
   */
  readonly maxTransforms?: number;
}

/**
 * The defaults: generous for real IdP responses (the largest seen are ~200 KB with about a
 * thousand elements), small for attacks. An @xmldom/xmldom DOM costs a few microseconds and
 * several hundred bytes per node, and about a microsecond per reference, so the count limits are
 * what bound parse time and memory within `maxSize`.
 */
export const DEFAULT_XML_LIMITS: Required<XmlLimits> = Object.freeze({
  maxSize: 1024 * 1024,
  maxDepth: 64,
  maxNodes: 32 * 1024,
  maxAttributes: 64,
  maxNamespaceDeclarations: 32,
  maxTextLength: 256 * 1024,
  maxAttributeLength: 64 * 1024,
  maxReferences: 32 * 1024,
  maxSignatureReferences: 4,
  maxTransforms: 4,
});

/** Characters of `maxSize` per node (and per reference) when the counts follow a larger size. */
const CHARS_PER_COUNTED_ITEM = 32;

/**
 * The limits `parseXml` applies for `limits`: each one given, or its default. The two count
 * limits follow a raised `maxSize` when not given themselves (see {@link XmlLimits.maxNodes}).
 *
 * @throws TypeError when a limit is not a positive number
 * @internal
 */
export function resolveXmlLimits(limits: XmlLimits = {}): Required<XmlLimits> {
  const out = { ...DEFAULT_XML_LIMITS };
  for (const key of Object.keys(DEFAULT_XML_LIMITS) as (keyof XmlLimits)[]) {
    const value = limits[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value > 0)) {
      throw new TypeError(`XML limits: ${key} must be a positive number, got ${String(value)}`);
    }
    out[key] = value;
  }
  if (limits.maxSize !== undefined) {
    const scaled = Math.ceil(limits.maxSize / CHARS_PER_COUNTED_ITEM);
    if (limits.maxNodes === undefined) out.maxNodes = Math.max(out.maxNodes, scaled);
    if (limits.maxReferences === undefined) out.maxReferences = Math.max(out.maxReferences, scaled);
  }
  return out;
}
