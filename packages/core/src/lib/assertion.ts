import { describeValue, SamlError } from '../errors.js';
import {
  checkInResponseTo,
  checkTimeWindow,
  type InResponseToPolicy,
  isXmlBlank,
  readTimeWindow,
  trimXmlSpace,
} from './checks.js';
import { attr, childElements, isElement, NS, optionalChild, parseDateTime, textOf } from './xml.js';

/** The bearer confirmation method (SAML profiles §3.3). @internal */
export const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

/** Decrypts an EncryptedID / EncryptedAttribute to the element it hides. @internal */
export type DecryptFn = (container: Element) => Promise<Element>;

/** A SAML NameID (SAML core §2.2.3). */
export interface NameId {
  /** The identifier itself. */
  readonly value: string;
  /** The Format URI, e.g. `urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress`. */
  readonly format?: string;
  /** The security or administrative domain that qualifies the name. */
  readonly nameQualifier?: string;
  /** The SP (or affiliation) the name was issued for. */
  readonly spNameQualifier?: string;
  /** An alternative name the SP established. */
  readonly spProvidedId?: string;
}

/** A SAML Attribute with its values as strings (SAML core §2.7.3.1). */
export interface SamlAttribute {
  /** The Name attribute (often a URI or OID). */
  readonly name: string;
  /** The NameFormat URI, when given. */
  readonly nameFormat?: string;
  /** The human-readable FriendlyName, when given. */
  readonly friendlyName?: string;
  /**
   * Every AttributeValue as a string. Typed values (xs:integer, xs:boolean, …) are their lexical
   * form; values with element content are their serialized XML; `xsi:nil` values are `''`.
   */
  readonly values: readonly string[];
}

/** What the AuthnStatement says about the login (SAML core §2.7.2). */
export interface AuthnStatementInfo {
  /** When the user authenticated, epoch milliseconds. */
  readonly authnInstant: number;
  /** The IdP's session identifier, needed for Single Logout. */
  readonly sessionIndex?: string;
  /** When the IdP wants the SP session to end, epoch milliseconds. */
  readonly sessionNotOnOrAfter?: number;
  /** The AuthnContextClassRef, e.g. `urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport`. */
  readonly authnContextClassRef?: string;
  /** The AuthnContextDeclRef, when given instead of or beside the class. */
  readonly authnContextDeclRef?: string;
}

/** The assertion's Conditions (SAML core §2.5). */
export interface ConditionsInfo {
  /** NotBefore, epoch milliseconds. */
  readonly notBefore?: number;
  /** NotOnOrAfter, epoch milliseconds. */
  readonly notOnOrAfter?: number;
  /** Every AudienceRestriction's audiences (each restriction was satisfied). */
  readonly audienceRestrictions: readonly (readonly string[])[];
  /** OneTimeUse was present: the SP must not reuse the assertion (the replay cache enforces it). */
  readonly oneTimeUse: boolean;
  /** ProxyRestriction, when present: limits on the SP issuing assertions of its own. */
  readonly proxyRestriction?: { readonly count?: number; readonly audiences: readonly string[] };
}

/** The bearer SubjectConfirmation that was accepted (SAML profiles §4.1.4.2). */
export interface SubjectConfirmationInfo {
  readonly method: string;
  readonly recipient: string;
  /** NotOnOrAfter, epoch milliseconds. */
  readonly notOnOrAfter: number;
  readonly inResponseTo?: string;
  readonly address?: string;
}

/** `{ key: value }`, or `{}` when the value is undefined. @internal */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/**
 * Reads a saml:NameID element.
 * @throws SamlError `XML_UNEXPECTED_ELEMENT`, `NAMEID_MISSING` (empty value)
 * @internal
 */
export function readNameId(el: Element): NameId {
  // textOf joins every text node and skips comments, so `admin@evil.com<!---->.victim.com`
  // reads as the whole signed value, never as its first text node.
  // SAML core §2.2.3: the NameID value is an xs:string, returned exactly as signed (no trimming:
  // a value that differs from the signed one by a space is another identity). Empty or XML white
  // space only is refused.
  const value = textOf(el);
  if (isXmlBlank(value)) {
    throw new SamlError('NAMEID_MISSING', 'The <NameID> is empty.', {
      expected: 'a non-empty NameID',
      found: value === '' ? 'an empty element' : 'white space only',
      hint: 'check the NameID mapping for this application at the IdP',
    });
  }
  return {
    value,
    ...optional('format', attr(el, 'Format')),
    ...optional('nameQualifier', attr(el, 'NameQualifier')),
    ...optional('spNameQualifier', attr(el, 'SPNameQualifier')),
    ...optional('spProvidedId', attr(el, 'SPProvidedID')),
  };
}

/**
 * Reads the Subject's identifier: NameID, or EncryptedID decrypted. BaseID is reported absent.
 * @returns the NameID, or undefined when the Subject carries none
 * @see SAML core §2.4.1 (Subject), §2.2.4 (EncryptedID)
 * @internal
 */
export async function readSubjectNameId(
  subject: Element,
  decrypt: DecryptFn,
): Promise<NameId | undefined> {
  const nameId = optionalChild(subject, NS.saml, 'NameID');
  if (nameId) return readNameId(nameId);
  const encrypted = optionalChild(subject, NS.saml, 'EncryptedID');
  if (encrypted) {
    const plain = await decrypt(encrypted);
    if (!isElement(plain, NS.saml, 'NameID')) {
      throw new SamlError('XML_UNEXPECTED_ELEMENT', 'The <EncryptedID> does not hide a NameID.', {
        expected: '<saml:NameID> inside the EncryptedID',
        found: `<${plain.nodeName}>`,
      });
    }
    return readNameId(plain);
  }
  return undefined;
}

/** What the bearer confirmation must match. @internal */
export interface ConfirmationContext {
  readonly acsUrls: readonly string[];
  readonly now: number;
  readonly skewMs: number;
  readonly responseInResponseTo: string | undefined;
  readonly inResponseTo: InResponseToPolicy;
}

/**
 * Finds a bearer SubjectConfirmation that satisfies the Web Browser SSO profile: Recipient is
 * one of our ACS URLs, NotOnOrAfter is present and in the future (with skew), NotBefore (if an
 * IdP sends it despite the profile) has passed, InResponseTo agrees with the Response's and with
 * the outstanding request. When none does, the reason for the first bearer confirmation is
 * thrown.
 *
 * @throws SamlError `SUBJECT_CONFIRMATION_INVALID`, `RECIPIENT_MISMATCH`, `EXPIRED`,
 *   `NOT_YET_VALID`, `IN_RESPONSE_TO_MISMATCH`, `UNSOLICITED_RESPONSE`
 * @see SAML profiles §4.1.4.2, §4.1.4.3; SAML core §2.4.1.1, §2.4.1.2
 * @internal
 */
export function checkBearerConfirmation(
  subject: Element,
  ctx: ConfirmationContext,
): SubjectConfirmationInfo {
  const confirmations = childElements(subject, NS.saml, 'SubjectConfirmation');
  const methods = confirmations.map((c) => attr(c, 'Method') ?? '(none)');
  const bearers = confirmations.filter((c) => attr(c, 'Method') === BEARER);
  if (bearers.length === 0) {
    throw new SamlError(
      'SUBJECT_CONFIRMATION_INVALID',
      'The assertion has no bearer confirmation.',
      {
        expected: `a <SubjectConfirmation Method="${BEARER}"> (SAML profiles §4.1.4.2)`,
        found: methods.length ? methods.map((m) => describeValue(m)).join(', ') : 'none',
        hint: 'holder-of-key and sender-vouches assertions are not for the browser SSO profile',
      },
    );
  }
  let firstError: unknown;
  for (const c of bearers) {
    try {
      return checkOneBearer(c, ctx);
    } catch (err) {
      if (!(err instanceof SamlError)) throw err;
      firstError ??= err;
    }
  }
  throw firstError;
}

function checkOneBearer(c: Element, ctx: ConfirmationContext): SubjectConfirmationInfo {
  const data = optionalChild(c, NS.saml, 'SubjectConfirmationData');
  if (!data) {
    throw new SamlError('SUBJECT_CONFIRMATION_INVALID', 'The bearer confirmation has no data.', {
      expected:
        '<SubjectConfirmationData> with Recipient and NotOnOrAfter (SAML profiles §4.1.4.2)',
      found: 'none',
    });
  }
  const recipient = attr(data, 'Recipient');
  if (recipient === undefined || !ctx.acsUrls.includes(recipient)) {
    throw new SamlError('RECIPIENT_MISMATCH', 'The assertion was issued for another endpoint.', {
      expected: `Recipient ${ctx.acsUrls.map((u) => describeValue(u)).join(' or ')}`,
      found: describeValue(recipient),
      hint: 'the ACS URL registered at the IdP must equal the one samlkit is configured with exactly (scheme, host, port, path)',
    });
  }
  const window = readTimeWindow(data);
  if (window.notOnOrAfter === undefined) {
    throw new SamlError('SUBJECT_CONFIRMATION_INVALID', 'The bearer confirmation never expires.', {
      expected: 'a NotOnOrAfter on <SubjectConfirmationData> (SAML profiles §4.1.4.2)',
      found: 'none',
    });
  }
  checkTimeWindow(window, ctx.now, ctx.skewMs, 'The bearer SubjectConfirmationData');
  const irt = attr(data, 'InResponseTo');
  if (irt !== undefined) {
    if (ctx.responseInResponseTo !== undefined && irt !== ctx.responseInResponseTo) {
      throw new SamlError(
        'IN_RESPONSE_TO_MISMATCH',
        'The assertion and the Response answer different requests.',
        {
          expected: `SubjectConfirmationData InResponseTo ${describeValue(ctx.responseInResponseTo)}`,
          found: describeValue(irt),
          hint: 'the assertion was taken from another response',
        },
      );
    }
    checkInResponseTo(irt, ctx.inResponseTo, 'The assertion');
  }
  return {
    method: BEARER,
    recipient,
    notOnOrAfter: window.notOnOrAfter,
    ...optional('inResponseTo', irt),
    ...optional('address', attr(data, 'Address')),
  };
}

/**
 * Checks the Conditions: validity window with skew, every AudienceRestriction names this SP, and
 * refuses conditions it does not understand (they make the assertion Indeterminate, SAML core
 * §2.5.1). An AudienceRestriction is required (SAML profiles §4.1.4.2).
 *
 * @throws SamlError `NOT_YET_VALID`, `EXPIRED`, `AUDIENCE_MISMATCH`, `XML_UNEXPECTED_ELEMENT`
 * @see SAML core §2.5.1.1–2.5.1.6
 * @internal
 */
export function checkConditions(
  assertion: Element,
  spEntityId: string,
  now: number,
  skewMs: number,
): ConditionsInfo {
  const cond = optionalChild(assertion, NS.saml, 'Conditions');
  const audienceRestrictions: string[][] = [];
  let oneTimeUse = false;
  let proxyRestriction: ConditionsInfo['proxyRestriction'];
  const window = cond ? readTimeWindow(cond) : {};
  if (cond) {
    checkTimeWindow(window, now, skewMs, 'The assertion (Conditions)');
    for (const c of childElements(cond)) {
      if (isElement(c, NS.saml, 'AudienceRestriction')) {
        // Audience is xs:anyURI (SAML core §2.5.1.4): XML white space only is stripped.
        const audiences = childElements(c, NS.saml, 'Audience').map((a) => trimXmlSpace(textOf(a)));
        // §2.5.1.4: within one restriction any audience suffices; every restriction must hold.
        if (!audiences.includes(spEntityId)) {
          throw audienceError(spEntityId, audiences.map((a) => describeValue(a)).join(', '));
        }
        audienceRestrictions.push(audiences);
      } else if (isElement(c, NS.saml, 'OneTimeUse')) {
        // §2.5.1.5: at most one OneTimeUse.
        if (oneTimeUse) throw unexpected('a second <OneTimeUse>');
        oneTimeUse = true;
      } else if (isElement(c, NS.saml, 'ProxyRestriction')) {
        // §2.5.1.6: at most one; it limits assertions the SP would issue on its own, which
        // samlkit never does, so it is reported and otherwise satisfied.
        if (proxyRestriction) throw unexpected('a second <ProxyRestriction>');
        const count = attr(c, 'Count');
        if (count !== undefined && !/^\d+$/.test(count)) {
          throw new SamlError('XML_INVALID_VALUE', 'ProxyRestriction Count is not a number.', {
            expected: 'a non-negative integer',
            found: describeValue(count),
          });
        }
        proxyRestriction = {
          ...optional('count', count === undefined ? undefined : Number(count)),
          audiences: childElements(c, NS.saml, 'Audience').map((a) => trimXmlSpace(textOf(a))),
        };
      } else {
        throw unexpected(
          `<${c.nodeName}>${attr(c, 'xsi:type') ? ` of type ${attr(c, 'xsi:type')}` : ''}`,
        );
      }
    }
  }
  if (audienceRestrictions.length === 0) {
    throw audienceError(spEntityId, 'no <AudienceRestriction>');
  }
  return {
    ...optional('notBefore', window.notBefore),
    ...optional('notOnOrAfter', window.notOnOrAfter),
    audienceRestrictions,
    oneTimeUse,
    ...optional('proxyRestriction', proxyRestriction),
  };
}

function audienceError(spEntityId: string, found: string): SamlError {
  return new SamlError('AUDIENCE_MISMATCH', 'The assertion is meant for another service.', {
    expected: `an <Audience> equal to the SP entity ID ${describeValue(spEntityId)}`,
    found,
    hint: 'the SP entity ID (Identifier) configured at the IdP must equal sp.entityId exactly',
  });
}

function unexpected(what: string): SamlError {
  return new SamlError(
    'XML_UNEXPECTED_ELEMENT',
    'The assertion has a condition samlkit cannot evaluate.',
    {
      expected:
        'only NotBefore/NotOnOrAfter, AudienceRestriction, OneTimeUse, ProxyRestriction (SAML core §2.5.1)',
      found: what,
      hint: 'an unknown condition makes the assertion Indeterminate (SAML core §2.5.1.5); ask the IdP not to send it',
    },
  );
}

/**
 * Reads the first AuthnStatement and checks SessionNotOnOrAfter has not passed.
 * @returns the statement, or undefined when the assertion has none
 * @throws SamlError `EXPIRED`, `XML_MISSING_ELEMENT`, `XML_INVALID_VALUE`
 * @see SAML core §2.7.2
 * @internal
 */
export function readAuthnStatement(
  assertion: Element,
  now: number,
  skewMs: number,
): AuthnStatementInfo | undefined {
  const stmt = childElements(assertion, NS.saml, 'AuthnStatement')[0];
  if (!stmt) return undefined;
  const instant = attr(stmt, 'AuthnInstant');
  if (instant === undefined) {
    throw new SamlError('XML_MISSING_ELEMENT', '<AuthnStatement> lacks AuthnInstant.', {
      expected: 'an AuthnInstant attribute (SAML core §2.7.2)',
      found: 'none',
    });
  }
  const sessionEnd = attr(stmt, 'SessionNotOnOrAfter');
  const sessionNotOnOrAfter =
    sessionEnd === undefined ? undefined : parseDateTime(sessionEnd, 'SessionNotOnOrAfter');
  if (sessionNotOnOrAfter !== undefined) {
    checkTimeWindow({ notOnOrAfter: sessionNotOnOrAfter }, now, skewMs, 'The IdP session');
  }
  const ctx = optionalChild(stmt, NS.saml, 'AuthnContext');
  const classRef = ctx ? optionalChild(ctx, NS.saml, 'AuthnContextClassRef') : undefined;
  const declRef = ctx ? optionalChild(ctx, NS.saml, 'AuthnContextDeclRef') : undefined;
  return {
    authnInstant: parseDateTime(instant, 'AuthnInstant'),
    ...optional('sessionIndex', attr(stmt, 'SessionIndex')),
    ...optional('sessionNotOnOrAfter', sessionNotOnOrAfter),
    // xs:anyURI (SAML core §2.7.2.2): XML white space only is stripped.
    ...optional('authnContextClassRef', classRef ? trimXmlSpace(textOf(classRef)) : undefined),
    ...optional('authnContextDeclRef', declRef ? trimXmlSpace(textOf(declRef)) : undefined),
  };
}

/**
 * Requires the AuthnContextClassRef to be one of `expected` (when any is given).
 * @throws SamlError `AUTHN_CONTEXT_MISMATCH`
 * @see SAML core §3.3.2.2.1 (RequestedAuthnContext, exact comparison)
 * @internal
 */
export function checkAuthnContext(authn: AuthnStatementInfo, expected: readonly string[]): void {
  if (expected.length === 0) return;
  const found = authn.authnContextClassRef;
  if (found === undefined || !expected.includes(found)) {
    throw new SamlError('AUTHN_CONTEXT_MISMATCH', 'The user signed in with another method.', {
      expected: expected.map((c) => describeValue(c)).join(' or '),
      found: describeValue(found),
      hint: 'the IdP did not honour the requested authentication context (e.g. MFA); check its policy for this application',
    });
  }
}
