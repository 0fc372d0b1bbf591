import { describeValue, SamlError } from '../errors.js';
import { trimXmlSpace } from './checks.js';
import { attr, childElements, NS, optionalChild, requiredChild, textOf } from './xml.js';

/** The top-level status code that means the request succeeded (SAML core §3.2.2.2). @internal */
export const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';

/** What a samlp:Status element says. @internal */
export interface ParsedStatus {
  /** The status codes from the top level down (nested StatusCode elements, SAML core §3.2.2.2). */
  readonly codes: readonly string[];
  /** The StatusMessage text, when present. */
  readonly message?: string;
  /** Whether the top-level code is Success. */
  readonly success: boolean;
}

/**
 * Reads a samlp:Status element: the chain of nested StatusCode values and the StatusMessage.
 *
 * @param message - the protocol message element (Response, LogoutResponse, …)
 * @returns the parsed status
 * @throws SamlError `XML_MISSING_ELEMENT` when Status or its StatusCode is absent
 * @see SAML core §3.2.2.1 (Status), §3.2.2.2 (StatusCode)
 * @internal
 */
export function parseStatus(message: Element): ParsedStatus {
  const status = requiredChild(message, NS.samlp, 'Status');
  const codes: string[] = [];
  let code: Element | undefined = requiredChild(status, NS.samlp, 'StatusCode');
  // Nested StatusCode elements refine the one above; walk down without recursion, bounded by
  // the document depth limit already enforced by parseXml.
  while (code) {
    const value = attr(code, 'Value');
    if (value === undefined || value === '') {
      throw new SamlError('XML_MISSING_ELEMENT', '<StatusCode> lacks its Value attribute.', {
        expected: 'a StatusCode Value URI (SAML core §3.2.2.2)',
        found: 'none',
      });
    }
    codes.push(value);
    code = childElements(code, NS.samlp, 'StatusCode')[0];
  }
  const msgEl = optionalChild(status, NS.samlp, 'StatusMessage');
  // XML white space only is stripped (never U+00A0 and the like, which JS trim() removes).
  const text = msgEl ? trimXmlSpace(textOf(msgEl)) : undefined;
  return {
    codes,
    ...(text ? { message: text } : {}),
    success: codes[0] === STATUS_SUCCESS,
  };
}

/**
 * Requires a Success status, turning anything else into a `STATUS_NOT_SUCCESS` error that carries
 * the IdP's status codes and message.
 *
 * @param message - the protocol message element
 * @param what - the message kind for the error text, e.g. `Response`
 * @returns the parsed (successful) status
 * @throws SamlError `STATUS_NOT_SUCCESS` (details `statusCodes`, `statusMessage`), or
 *   `XML_MISSING_ELEMENT` when the Status is absent
 * @see SAML core §3.2.2.2
 * @internal
 */
export function assertSuccessStatus(message: Element, what: string): ParsedStatus {
  const status = parseStatus(message);
  if (!status.success) {
    const short = status.codes.map((c) => c.replace('urn:oasis:names:tc:SAML:2.0:status:', ''));
    throw new SamlError(
      'STATUS_NOT_SUCCESS',
      `The IdP answered with a ${what} that is not a success.`,
      {
        expected: STATUS_SUCCESS,
        found: `${short.join(' / ')}${status.message ? ` (${describeValue(status.message)})` : ''}`,
        hint: 'the IdP refused the login: read the status codes and message, then the IdP logs (user not assigned to the application, failed authentication, NameID policy not supported, …)',
        statusCodes: status.codes,
        ...(status.message !== undefined ? { statusMessage: status.message } : {}),
      },
    );
  }
  return status;
}
