import type { PublicKey } from '../crypto/keys.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type {
  DataEncryptionAlgorithmName,
  KeyTransportAlgorithmName,
} from '../encryption/algorithms.js';
import { encryptElement } from '../encryption/encrypt.js';
import { SamlError } from '../errors.js';
import { type NameId, readNameId } from '../lib/assertion.js';
import { checkIssuer, checkVersion } from '../lib/checks.js';
import { generateId } from '../lib/id.js';
import { toEpochMs } from '../lib/message-time.js';
import { stripUndefined } from '../lib/objects.js';
import {
  attr,
  childElements,
  escapeXml,
  formatDateTime,
  hasNonXmlChar,
  isElement,
  NS,
  parseDateTime,
  parseXml,
  requiredAttr,
  serializeXml,
  textOf,
  type XmlLimits,
} from '../lib/xml.js';

/** Well-known logout Reason URIs (SAML core §3.7.3.1). */
export const LOGOUT_REASONS: Readonly<{
  user: 'urn:oasis:names:tc:SAML:2.0:logout:user';
  admin: 'urn:oasis:names:tc:SAML:2.0:logout:admin';
}> = Object.freeze({
  /** The user asked to log out. */
  user: 'urn:oasis:names:tc:SAML:2.0:logout:user',
  /** An administrator ended the session. */
  admin: 'urn:oasis:names:tc:SAML:2.0:logout:admin',
} as const);

/** Encrypt the NameID to the IdP (an `EncryptedID`), when the IdP wants it. */
export interface EncryptNameIdOptions {
  /** The IdP's encryption key (`IdentityProviderConfig.encryptionKeys[0]`). */
  readonly key: PublicKey;
  /** Default `aes256-gcm`; use `aes128-cbc`/`aes256-cbc` for IdPs without GCM. */
  readonly dataAlgorithm?: DataEncryptionAlgorithmName;
  /** Default `rsa-oaep-mgf1p`. */
  readonly keyTransport?: KeyTransportAlgorithmName;
}

/** Options of {@link createLogoutRequest}. */
export interface LogoutRequestOptions {
  /** The SP entity ID (`<saml:Issuer>`). */
  readonly issuer: string;
  /** The IdP SingleLogoutService URL the request goes to (`Destination`). */
  readonly destination?: string;
  /** The user's NameID exactly as the IdP issued it (value, Format and qualifiers). */
  readonly nameId: NameId;
  /** The SessionIndex value(s) of the session(s) to end (from the AuthnStatement). */
  readonly sessionIndexes?: readonly string[];
  /** When the request stops being valid (`NotOnOrAfter`), e.g. now + 5 minutes. */
  readonly notOnOrAfter?: Date | number;
  /** Why the user is logged out: a URI such as {@link LOGOUT_REASONS}`.user`. */
  readonly reason?: string;
  /** The current time: becomes `IssueInstant`. */
  readonly now: Date | number;
  /** A fixed ID instead of a random one. */
  readonly id?: string;
  /** Send the NameID as an `EncryptedID` (SAML core §3.7.1). */
  readonly encryptNameId?: EncryptNameIdOptions;
  /** Random source and WebCrypto (default `globalThis.crypto`). */
  readonly crypto?: CryptoProvider;
}

/** A `<samlp:LogoutRequest>` as data. */
export interface LogoutRequest {
  readonly id: string;
  /** IssueInstant, epoch milliseconds. */
  readonly issueInstant: number;
  readonly issuer: string;
  readonly destination?: string;
  /** The NameID; absent in a parsed request whose identifier is encrypted. */
  readonly nameId?: NameId;
  /** Whether the identifier was (or is) an `EncryptedID`. */
  readonly encryptedId: boolean;
  /** Every SessionIndex, in order (may be empty: all of the principal's sessions). */
  readonly sessionIndexes: readonly string[];
  /** NotOnOrAfter, epoch milliseconds. */
  readonly notOnOrAfter?: number;
  readonly reason?: string;
}

/** What {@link createLogoutRequest} returns. */
export interface CreatedLogoutRequest {
  /** The request ID: store it (`putPendingRequest`) to check the LogoutResponse's InResponseTo. */
  readonly id: string;
  /** The unsigned XML. Sign it with `signXml` for POST and SOAP; Redirect signs the query. */
  readonly xml: string;
  readonly issueInstant: number;
  /** The request as data (with the plaintext NameID even when it was encrypted). */
  readonly request: LogoutRequest;
}

function checkString(value: unknown, name: string, optional = false, verbatim = false): void {
  if (value === undefined && optional) return;
  // An identity (NameID value, SessionIndex: xs:string) is sent exactly as the IdP issued it,
  // whatever spaces it holds (SAML core §2.2.3, §3.7.1); URIs and names carry no outer XML space.
  if (
    typeof value !== 'string' ||
    value === '' ||
    (!verbatim && value.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '') !== value)
  ) {
    throw new TypeError(
      verbatim
        ? `createLogoutRequest: ${name} must be a non-empty string`
        : `createLogoutRequest: ${name} must be a non-empty string without outer whitespace`,
    );
  }
  if (hasNonXmlChar(value)) {
    throw new TypeError(`createLogoutRequest: ${name} contains a character XML cannot carry`);
  }
}

/** Serializes a NameID element (SAML core §2.2.3). @internal */
export function nameIdXml(nameId: NameId): string {
  const a = (name: string, value: string | undefined) =>
    value === undefined ? '' : ` ${name}="${escapeXml(value)}"`;
  return (
    '<saml:NameID' +
    a('NameQualifier', nameId.nameQualifier) +
    a('SPNameQualifier', nameId.spNameQualifier) +
    a('Format', nameId.format) +
    a('SPProvidedID', nameId.spProvidedId) +
    `>${escapeXml(nameId.value)}</saml:NameID>`
  );
}

/**
 * Builds a `<samlp:LogoutRequest>` asking the IdP (or, from an IdP, the SP) to end the sessions of
 * a principal. The NameID must be the one the IdP issued, with its Format and qualifiers; send the
 * SessionIndex values the SP received in the AuthnStatements.
 *
 * Pure given `now` and the random source. The XML is unsigned: for HTTP-Redirect pass it to
 * `encodeRedirect` with `sign`; for HTTP-POST and SOAP sign it with `signXml` first.
 *
 * @param options - issuer, destination, NameID, SessionIndexes, NotOnOrAfter, Reason, `now`
 * @returns the ID (store it as a pending logout request), the XML and the request as data
 * @throws TypeError for malformed options
 * @throws SamlError `KEY_ALGORITHM_UNSUPPORTED`, `ENCRYPTION_ALGORITHM_UNSUPPORTED` when the
 *   NameID cannot be encrypted to the given key
 * @example SP-initiated logout
 * ```ts
 * const { id, xml } = await createLogoutRequest({
 *   issuer: sp.entityId,
 *   destination: 'https://idp.example.org/slo',
 *   nameId: { value: session.nameId, format: session.nameIdFormat },
 *   sessionIndexes: [session.sessionIndex],
 *   reason: LOGOUT_REASONS.user,
 *   now: Date.now(),
 *   notOnOrAfter: Date.now() + 5 * 60_000,
 * });
 * ```
 * @see SAML core §3.7.1 (LogoutRequest); SAML profiles §4.4.4.1
 */
export async function createLogoutRequest(
  options: LogoutRequestOptions,
): Promise<CreatedLogoutRequest> {
  if (!options || typeof options !== 'object') {
    throw new TypeError('createLogoutRequest: options must be an object');
  }
  const o = options;
  const issueInstant = toEpochMs(o.now, 'createLogoutRequest');
  const id = o.id ?? generateId(o.crypto);
  if (typeof id !== 'string' || !/^[A-Za-z_][A-Za-z0-9._-]*$/.test(id)) {
    throw new TypeError('createLogoutRequest: id must be an xs:ID (start with a letter or _)');
  }
  checkString(o.issuer, 'issuer');
  if (o.destination !== undefined) {
    checkString(o.destination, 'destination');
    try {
      new URL(o.destination);
    } catch {
      throw new TypeError('createLogoutRequest: destination must be an absolute URL');
    }
  }
  if (!o.nameId || typeof o.nameId !== 'object') {
    throw new TypeError('createLogoutRequest: nameId must be { value, format?, … }');
  }
  checkString(o.nameId.value, 'nameId.value', false, true);
  checkString(o.nameId.format, 'nameId.format', true);
  checkString(o.nameId.nameQualifier, 'nameId.nameQualifier', true);
  checkString(o.nameId.spNameQualifier, 'nameId.spNameQualifier', true);
  checkString(o.nameId.spProvidedId, 'nameId.spProvidedId', true);
  const sessionIndexes = o.sessionIndexes ?? [];
  if (!Array.isArray(sessionIndexes))
    throw new TypeError('createLogoutRequest: sessionIndexes must be an array');
  for (const [i, s] of sessionIndexes.entries()) {
    checkString(s, `sessionIndexes[${i}]`, false, true);
  }
  const notOnOrAfter =
    o.notOnOrAfter === undefined
      ? undefined
      : toEpochMs(o.notOnOrAfter, 'createLogoutRequest', 'notOnOrAfter');
  checkString(o.reason, 'reason', true);

  const a = (name: string, value: string | undefined) =>
    value === undefined ? '' : ` ${name}="${escapeXml(value)}"`;
  // Attribute and child order follow SAML core §3.2.1 (RequestAbstractType) and §3.7.1.
  let xml =
    `<samlp:LogoutRequest xmlns:samlp="${NS.samlp}" xmlns:saml="${NS.saml}"` +
    a('ID', id) +
    a('Version', '2.0') +
    a('IssueInstant', formatDateTime(issueInstant)) +
    a('Destination', o.destination) +
    a('NotOnOrAfter', notOnOrAfter === undefined ? undefined : formatDateTime(notOnOrAfter)) +
    a('Reason', o.reason) +
    '>' +
    `<saml:Issuer>${escapeXml(o.issuer)}</saml:Issuer>` +
    nameIdXml(o.nameId);
  for (const s of sessionIndexes) xml += `<samlp:SessionIndex>${escapeXml(s)}</samlp:SessionIndex>`;
  xml += '</samlp:LogoutRequest>';

  if (o.encryptNameId) {
    // SAML core §3.7.1: the identifier may be an EncryptedID (§2.2.4) when the IdP wants it.
    const doc = parseXml(xml);
    const nameIdEl = childElements(doc.documentElement, NS.saml, 'NameID')[0]!;
    await encryptElement(nameIdEl, o.encryptNameId.key, {
      dataAlgorithm: o.encryptNameId.dataAlgorithm ?? 'aes256-gcm',
      keyTransport: o.encryptNameId.keyTransport ?? 'rsa-oaep-mgf1p',
      ...(o.crypto ? { crypto: o.crypto } : {}),
    });
    xml = serializeXml(doc);
  }

  const request: LogoutRequest = stripUndefined({
    id,
    issueInstant,
    issuer: o.issuer,
    destination: o.destination,
    nameId: stripUndefined({ ...o.nameId }),
    encryptedId: o.encryptNameId !== undefined,
    sessionIndexes: [...sessionIndexes],
    notOnOrAfter,
    reason: o.reason,
  });
  return { id, xml, issueInstant, request };
}

/** @internal */
export function assertLogoutRequestRoot(root: Element): void {
  if (!isElement(root, NS.samlp, 'LogoutRequest')) {
    throw new SamlError('XML_UNEXPECTED_ELEMENT', 'The message is not a LogoutRequest.', {
      expected: `<samlp:LogoutRequest> (namespace ${NS.samlp})`,
      found: `<${root.nodeName}> in ${root.namespaceURI ?? 'no namespace'}`,
      hint: 'LogoutResponses are validated with validateLogoutResponse',
    });
  }
}

/** Reads everything but the (possibly encrypted) identifier. @internal */
export function readRequestFields(root: Element): Omit<LogoutRequest, 'nameId' | 'encryptedId'> & {
  identifier: Element;
} {
  checkVersion(root);
  const id = requiredAttr(root, 'ID');
  const issueInstant = parseDateTime(
    requiredAttr(root, 'IssueInstant'),
    'LogoutRequest IssueInstant',
  );
  // SAML profiles §4.4.4.1: the Issuer MUST be present.
  const issuer = checkIssuer(root, undefined, true)!;
  if (issuer === '') {
    throw new SamlError('XML_MISSING_ELEMENT', 'The LogoutRequest Issuer is empty.', {
      expected: 'the sender entity ID in <saml:Issuer>',
      found: 'an empty element',
    });
  }
  const noa = attr(root, 'NotOnOrAfter');
  // SAML core §3.7.1: exactly one of BaseID, NameID, EncryptedID.
  const identifiers = childElements(root, NS.saml).filter((e) =>
    ['BaseID', 'NameID', 'EncryptedID'].includes(e.localName),
  );
  if (identifiers.length === 0) {
    throw new SamlError('NAMEID_MISSING', 'The LogoutRequest names no principal.', {
      expected: 'one <saml:NameID> or <saml:EncryptedID> (SAML core §3.7.1)',
      found: 'none',
      hint: 'the IdP must say whose sessions to end',
    });
  }
  if (identifiers.length > 1) {
    throw new SamlError('XML_UNEXPECTED_ELEMENT', 'The LogoutRequest names several principals.', {
      expected: 'exactly one of BaseID, NameID, EncryptedID (SAML core §3.7.1)',
      found: identifiers.map((e) => `<${e.localName}>`).join(', '),
    });
  }
  const identifier = identifiers[0]!;
  if (identifier.localName === 'BaseID') {
    throw new SamlError(
      'XML_UNEXPECTED_ELEMENT',
      'The LogoutRequest identifies the user by a BaseID.',
      {
        expected: '<saml:NameID> or <saml:EncryptedID>',
        found: '<saml:BaseID> (an extension type samlkit does not interpret)',
        hint: 'configure the IdP to send the NameID it issued at login',
      },
    );
  }
  // SAML core §3.7.1: SessionIndex is an xs:string, read exactly as signed (never trimmed: the
  // store looks sessions up by this exact value).
  const sessionIndexes = childElements(root, NS.samlp, 'SessionIndex').map((e) => textOf(e));
  if (sessionIndexes.some((s) => s === '')) {
    throw new SamlError('XML_INVALID_VALUE', 'A SessionIndex is empty.', {
      expected: 'non-empty SessionIndex values (SAML core §3.7.1)',
      found: 'an empty element',
    });
  }
  return stripUndefined({
    id,
    issueInstant,
    issuer,
    destination: attr(root, 'Destination'),
    sessionIndexes,
    notOnOrAfter: noa === undefined ? undefined : parseDateTime(noa, 'LogoutRequest NotOnOrAfter'),
    reason: attr(root, 'Reason'),
    identifier,
  });
}

/**
 * Reads a `<samlp:LogoutRequest>` into data: the inverse of {@link createLogoutRequest}. It checks
 * structure only; it verifies no signature and no time — use {@link validateLogoutRequest} for
 * messages received from an IdP.
 *
 * @param xml - the LogoutRequest XML (already decoded from its binding)
 * @param limits - XML size and depth limits
 * @returns the request as data (`nameId` absent when it is an EncryptedID)
 * @throws SamlError `XML_*`, `MESSAGE_VERSION_UNSUPPORTED`, `NAMEID_MISSING`
 * @example Reading a request from a browser trace
 * ```ts
 * const { xml } = await decodeRedirect(url);
 * console.log(parseLogoutRequest(xml).sessionIndexes);
 * ```
 * @see SAML core §3.7.1
 */
export function parseLogoutRequest(xml: string, limits?: XmlLimits): LogoutRequest {
  if (typeof xml !== 'string') throw new TypeError('parseLogoutRequest: xml must be a string');
  const root = parseXml(xml, limits).documentElement;
  assertLogoutRequestRoot(root);
  const { identifier, ...fields } = readRequestFields(root);
  const encryptedId = identifier.localName === 'EncryptedID';
  return stripUndefined({
    ...fields,
    nameId: encryptedId ? undefined : readNameId(identifier),
    encryptedId,
  });
}
