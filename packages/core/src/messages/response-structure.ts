// The structural checks of validateResponse: option shapes, the single-assertion rule that defeats
// signature wrapping, and the summary of verified signatures.
import { SamlError } from '../errors.js';
import { DEFAULT_CLOCK_SKEW_MS } from '../lib/checks.js';
import { childElements, isElement, NS } from '../lib/xml.js';
import type { VerifiedSignature } from '../signature/verify.js';
import type { ResponseSignatureInfo, ValidateResponseOptions } from './response-types.js';

/** Checks the option shapes and normalizes the instant and the ACS URLs. @internal */
export function assertOptions(options: ValidateResponseOptions): {
  now: number;
  skewMs: number;
  acsUrls: readonly string[];
} {
  if (!options || typeof options !== 'object') {
    throw new TypeError('validateResponse: options must be an object');
  }
  const { sp, idp } = options;
  if (!sp || typeof sp.entityId !== 'string' || sp.entityId === '') {
    throw new TypeError('validateResponse: options.sp.entityId must be a non-empty string');
  }
  const acsUrls = typeof sp.acsUrl === 'string' ? [sp.acsUrl] : sp.acsUrl;
  if (
    !Array.isArray(acsUrls) ||
    acsUrls.length === 0 ||
    acsUrls.some((u) => typeof u !== 'string')
  ) {
    throw new TypeError(
      'validateResponse: options.sp.acsUrl must be a URL or a non-empty list of URLs',
    );
  }
  if (!idp || !Array.isArray(idp.signingKeys)) {
    throw new TypeError('validateResponse: options.idp.signingKeys must be an array of PublicKey');
  }
  if (idp.signingKeys.length === 0) {
    throw new SamlError('CONFIG_INVALID', 'No IdP signing key is configured.', {
      expected: 'at least one IdP certificate or public key in idp.signingKeys',
      found: 'an empty list',
      hint: 'load the IdP signing certificate from its metadata with loadPublicKey',
    });
  }
  const now = options.now instanceof Date ? options.now.getTime() : options.now;
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw new TypeError('validateResponse: options.now must be epoch milliseconds or a Date');
  }
  const skewMs = options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
  if (typeof skewMs !== 'number' || !(skewMs >= 0)) {
    throw new TypeError('validateResponse: options.clockSkewMs must be a non-negative number');
  }
  return { now, skewMs, acsUrls };
}

/**
 * Refuses a document holding more than one Response, or more than one Assertion or
 * EncryptedAssertion anywhere outside an assertion's Advice: the shapes XML signature wrapping
 * needs (a second copy for the signature to cover while another one is read).
 */
export function assertSingleAssertion(root: Element): Element {
  let count = 0;
  let responses = 0;
  for (const el of walkDocument(root)) {
    if (el !== root && isElement(el, NS.samlp, 'Response')) responses++;
    if (isElement(el, NS.saml, 'Assertion') || isElement(el, NS.saml, 'EncryptedAssertion'))
      count++;
  }
  if (responses > 0) {
    throw new SamlError('XML_UNEXPECTED_ELEMENT', 'The Response contains another Response.', {
      expected: 'one <samlp:Response> (SAML core §3.3.3)',
      found: `${responses + 1} Response elements`,
      hint: 'this shape is used in XML signature wrapping attacks',
    });
  }
  const direct = childElements(root).filter(
    (c) => isElement(c, NS.saml, 'Assertion') || isElement(c, NS.saml, 'EncryptedAssertion'),
  );
  if (count > 1 || direct.length > 1) {
    throw new SamlError('ASSERTION_MULTIPLE', 'The Response carries more than one assertion.', {
      expected: 'exactly one <Assertion> or <EncryptedAssertion>',
      found: `${count} in the document, ${direct.length} directly in the Response`,
      hint: 'samlkit accepts one assertion per Response; extra copies are the shape of a signature wrapping attack',
    });
  }
  if (direct.length === 0) {
    throw new SamlError('ASSERTION_MISSING', 'The Response carries no assertion.', {
      expected: 'one <Assertion> or <EncryptedAssertion> directly inside the Response',
      found: count === 0 ? 'none' : 'an assertion nested elsewhere in the document',
      hint: 'a successful Response must carry the assertion (SAML profiles §4.1.4.2)',
    });
  }
  return direct[0]!;
}

/** Every element, skipping the content of saml:Advice (which may legitimately hold assertions). */
function* walkDocument(root: Element): Generator<Element> {
  const stack: Element[] = [root];
  while (stack.length > 0) {
    const el = stack.pop()!;
    yield el;
    if (isElement(el, NS.saml, 'Advice')) continue;
    for (const c of childElements(el)) stack.push(c);
  }
}

/** Which signatures a validated Response carried. @internal */
export function signatureInfo(
  response: VerifiedSignature | null,
  assertion: VerifiedSignature | null,
): ResponseSignatureInfo {
  const inner = (assertion ?? response)!;
  return {
    response: response !== null,
    assertion: assertion !== null,
    key: inner.key,
    algorithm: inner.algorithm.uri,
  };
}
