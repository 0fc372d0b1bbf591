import { isShortAlgorithmName } from '../crypto/algorithms.js';
import { describeValue, SamlError } from '../errors.js';
import {
  attr,
  childElements,
  formatDateTime,
  NS,
  optionalChild,
  parseDateTime,
  textOf,
} from './xml.js';

/** The default tolerated clock difference between IdP and SP: 3 minutes, in milliseconds. @internal */
export const DEFAULT_CLOCK_SKEW_MS: number = 3 * 60 * 1000;

/** The entity NameID format, the only one allowed on an Issuer in SSO (SAML core §8.3.6). @internal */
export const ENTITY_FORMAT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity';

/**
 * Strips XML white space (#x20, #x9, #xD, #xA; XML 1.0 §2.3 production S) from both ends, and
 * nothing else: the whitespace facet `collapse` of xs:anyURI and xs:token (XML Schema part 2
 * §4.3.6) allows no more. JavaScript's `trim()` would also strip U+00A0, U+2000–U+200A, U+3000,
 * U+FEFF and others, changing a value from what was signed. For URI-like values only (Issuer,
 * Audience, AuthnContextClassRef); identities (NameID, SessionIndex, attribute values) are
 * xs:string and are never trimmed.
 * @internal
 */
export function trimXmlSpace(value: string): string {
  return value.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
}

/** Whether a value is empty or XML white space only (XML 1.0 §2.3). @internal */
export function isXmlBlank(value: string): boolean {
  return /^[ \t\r\n]*$/.test(value);
}

/**
 * Requires `Version="2.0"` on a protocol message or assertion.
 * @throws SamlError `MESSAGE_VERSION_UNSUPPORTED`
 * @see SAML core §3.2.1 (requests), §3.2.2 (responses), §2.3.3 (assertions)
 * @internal
 */
export function checkVersion(el: Element): void {
  const version = attr(el, 'Version');
  if (version !== '2.0') {
    throw new SamlError('MESSAGE_VERSION_UNSUPPORTED', `<${el.localName}> is not SAML 2.0.`, {
      expected: 'Version="2.0"',
      found: describeValue(version),
      hint: 'configure the IdP to speak SAML 2.0 (SAML 1.1 and WS-Federation tokens are not SAML 2.0 responses)',
    });
  }
}

/**
 * Reads the saml:Issuer child (entity format only) and compares it with the expected entity ID.
 *
 * @param el - the message or assertion
 * @param expected - the IdP entity ID; undefined skips the comparison
 * @param required - whether the Issuer must be present (it must on an Assertion, SAML core §2.3.3)
 * @returns the issuer value, or undefined when absent and optional
 * @throws SamlError `XML_MISSING_ELEMENT`, `XML_INVALID_VALUE` (Format not entity), `ISSUER_MISMATCH`
 * @see SAML core §2.2.5 (Issuer), profiles §4.1.4.2 (Format must be entity or omitted)
 * @internal
 */
export function checkIssuer(
  el: Element,
  expected: string | undefined,
  required: boolean,
): string | undefined {
  const issuerEl = optionalChild(el, NS.saml, 'Issuer');
  if (!issuerEl) {
    if (!required) return undefined;
    throw new SamlError('XML_MISSING_ELEMENT', `<${el.localName}> has no <Issuer>.`, {
      expected: `an <Issuer> naming the IdP${expected ? ` (${expected})` : ''}`,
      found: 'none',
      hint: 'SAML core §2.3.3 requires an Issuer on every assertion',
    });
  }
  const format = attr(issuerEl, 'Format');
  if (format !== undefined && format !== ENTITY_FORMAT) {
    throw new SamlError(
      'XML_INVALID_VALUE',
      `The <Issuer> of <${el.localName}> has a wrong Format.`,
      {
        expected: `Format omitted or ${ENTITY_FORMAT} (SAML profiles §4.1.4.2)`,
        found: describeValue(format),
      },
    );
  }
  // Issuer is an entity ID here (xs:anyURI, SAML core §8.3.6): XML white space only is stripped.
  const value = trimXmlSpace(textOf(issuerEl));
  if (expected !== undefined && value !== expected) {
    throw new SamlError('ISSUER_MISMATCH', `The <${el.localName}> was issued by another entity.`, {
      expected: describeValue(expected),
      found: describeValue(value),
      hint: 'the configured IdP entity ID must equal the entityID in the IdP metadata exactly (scheme, trailing slash, case)',
    });
  }
  return value;
}

/**
 * Checks the Destination attribute of a message, when present, against the URLs this endpoint
 * answers on.
 *
 * @param el - the protocol message
 * @param allowed - the endpoint URL(s) the message may be addressed to
 * @param required - whether the attribute must be present
 * @returns the Destination, or undefined when absent
 * @throws SamlError `DESTINATION_MISMATCH`
 * @see SAML core §3.2.2 (Destination), bindings §3.5.5.2 (POST), §3.4.5.2 (Redirect)
 * @internal
 */
export function checkDestination(
  el: Element,
  allowed: readonly string[],
  required = false,
): string | undefined {
  const destination = attr(el, 'Destination');
  if (destination === undefined && !required) return undefined;
  if (destination === undefined || !allowed.includes(destination)) {
    throw new SamlError(
      'DESTINATION_MISMATCH',
      `The <${el.localName}> was sent to another endpoint.`,
      {
        expected: allowed.map((u) => describeValue(u)).join(' or '),
        found: describeValue(destination),
        hint: 'the endpoint URL configured at the IdP must equal the one samlkit is configured with exactly (scheme, host, port, path); behind a proxy, configure the public URL',
      },
    );
  }
  return destination;
}

/** A time window read from NotBefore / NotOnOrAfter attributes (epoch milliseconds). @internal */
export interface TimeWindow {
  readonly notBefore?: number;
  readonly notOnOrAfter?: number;
}

/**
 * Reads optional NotBefore / NotOnOrAfter attributes.
 * @throws SamlError `XML_INVALID_VALUE` when a value is not a UTC xs:dateTime
 * @internal
 */
export function readTimeWindow(el: Element): TimeWindow {
  const nb = attr(el, 'NotBefore');
  const noa = attr(el, 'NotOnOrAfter');
  return {
    ...(nb !== undefined ? { notBefore: parseDateTime(nb, `${el.localName}@NotBefore`) } : {}),
    ...(noa !== undefined
      ? { notOnOrAfter: parseDateTime(noa, `${el.localName}@NotOnOrAfter`) }
      : {}),
  };
}

/**
 * Requires `now` to lie inside a window, widened by the clock skew on both sides:
 * `notBefore - skew <= now < notOnOrAfter + skew`.
 *
 * @param window - the bounds (either may be absent)
 * @param now - the current time, epoch milliseconds
 * @param skewMs - tolerated clock difference, milliseconds
 * @param what - what the window belongs to, for the message (e.g. `The assertion's Conditions`)
 * @throws SamlError `NOT_YET_VALID`, `EXPIRED`
 * @see SAML core §2.5.1.2 (NotBefore/NotOnOrAfter), §1.3.3 (times)
 * @internal
 */
export function checkTimeWindow(
  window: TimeWindow,
  now: number,
  skewMs: number,
  what: string,
): void {
  if (window.notBefore !== undefined && now + skewMs < window.notBefore) {
    throw new SamlError('NOT_YET_VALID', `${what} is not valid yet.`, {
      expected: `now (${formatDateTime(now)}) at or after NotBefore minus the clock skew of ${skewMs / 1000}s`,
      found: `NotBefore ${formatDateTime(window.notBefore)}`,
      hint: "the SP's and IdP's clocks disagree: synchronise both with NTP, or raise clockSkew a little",
    });
  }
  if (window.notOnOrAfter !== undefined && now - skewMs >= window.notOnOrAfter) {
    throw new SamlError('EXPIRED', `${what} has expired.`, {
      expected: `now (${formatDateTime(now)}) before NotOnOrAfter plus the clock skew of ${skewMs / 1000}s`,
      found: `NotOnOrAfter ${formatDateTime(window.notOnOrAfter)}`,
      hint: 'the message was used too late (a replayed or slow login, or clocks out of sync); start the login again',
    });
  }
}

/** How an InResponseTo value is judged. @internal */
export interface InResponseToPolicy {
  /** The outstanding request ID(s); absent or empty means no request is outstanding. */
  readonly expected?: string | readonly string[] | undefined;
  /** Accept a message that answers no request (IdP-initiated). */
  readonly allowUnsolicited?: boolean | undefined;
  /** Report InResponseTo without comparing it (diagnostic tools only). */
  readonly skip?: boolean | undefined;
}

/**
 * Judges an InResponseTo value: a solicited message must answer an outstanding request; an
 * unsolicited one is accepted only when allowed.
 *
 * @param found - the InResponseTo attribute value, or undefined when absent
 * @param policy - the outstanding request(s) and what is allowed
 * @param what - the element carrying it, for the message
 * @throws SamlError `IN_RESPONSE_TO_MISMATCH`, `UNSOLICITED_RESPONSE`
 * @see SAML core §3.2.2 (InResponseTo), profiles §4.1.4.3 and §4.1.5 (unsolicited responses)
 * @internal
 */
export function checkInResponseTo(
  found: string | undefined,
  policy: InResponseToPolicy,
  what: string,
): void {
  if (policy.skip) return;
  const expected =
    policy.expected === undefined
      ? []
      : typeof policy.expected === 'string'
        ? [policy.expected]
        : policy.expected;
  if (found === undefined) {
    if (policy.allowUnsolicited) return;
    throw new SamlError('UNSOLICITED_RESPONSE', `${what} answers no request (IdP-initiated).`, {
      expected:
        expected.length > 0
          ? `InResponseTo=${expected.map((e) => describeValue(e)).join(' or ')}`
          : 'a response to a request this SP sent',
      found: 'no InResponseTo',
      hint: 'start the login at the SP; to accept IdP-initiated logins, set allowUnsolicited (this gives up the binding between request and response)',
    });
  }
  if (!expected.includes(found)) {
    throw new SamlError(
      'IN_RESPONSE_TO_MISMATCH',
      `${what} answers a request that is not outstanding.`,
      {
        expected:
          expected.length > 0
            ? expected.map((e) => describeValue(e)).join(' or ')
            : 'no InResponseTo (no request is outstanding)',
        found: describeValue(found),
        hint: 'the request may have expired or been used already, been started on another node without a shared store, or the response was replayed',
      },
    );
  }
}

/**
 * Refuses a short algorithm name (`rsa-sha256`) as the SignatureMethod of a signature directly
 * on `el`: in a message only the full algorithm URI identifies an algorithm (XML-DSig core §6.1,
 * §4.4.2). Run before the signature is verified.
 * @throws SamlError `SIGNATURE_ALGORITHM_UNSUPPORTED`
 * @internal
 */
export function assertSignatureMethodUris(el: Element): void {
  for (const sig of childElements(el, NS.ds, 'Signature')) {
    for (const info of childElements(sig, NS.ds, 'SignedInfo')) {
      for (const method of childElements(info, NS.ds, 'SignatureMethod')) {
        const value = attr(method, 'Algorithm');
        if (value !== undefined && isShortAlgorithmName(value)) {
          throw new SamlError('SIGNATURE_ALGORITHM_UNSUPPORTED', 'Unknown signature algorithm.', {
            expected:
              'the full algorithm URI, e.g. http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
            found: describeValue(value),
            hint: 'a short name is a samlkit option value, never an algorithm identifier in a signature',
          });
        }
      }
    }
  }
}
