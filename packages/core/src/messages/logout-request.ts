import type { IncomingSamlMessage, MessageSignatureInfo } from '../bindings/incoming.js';
import { receiveMessage } from '../bindings/incoming.js';
import type { DecodeRedirectOptions } from '../bindings/redirect.js';
import type { Endpoint, SpKeyPair } from '../config.js';
import type { PublicKey } from '../crypto/keys.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type {
  DataEncryptionAlgorithmName,
  KeyTransportAlgorithmName,
} from '../encryption/algorithms.js';
import { decryptElement } from '../encryption/decrypt.js';
import { encryptElement } from '../encryption/encrypt.js';
import { describeValue, SamlError } from '../errors.js';
import { type NameId, readNameId, readSubjectNameId } from '../lib/assertion.js';
import {
  checkDestination,
  checkIssuer,
  checkVersion,
  DEFAULT_CLOCK_SKEW_MS,
} from '../lib/checks.js';
import { generateId } from '../lib/id.js';
import {
  checkIssueInstant,
  DEFAULT_MAX_MESSAGE_AGE_MS,
  toDurationMs,
  toEpochMs,
} from '../lib/message-time.js';
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
import type { SamlStore } from '../store/types.js';

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

/** The Service Provider facts logout messages are checked against (a `ServiceProviderConfig` fits). */
export interface LogoutValidationSp {
  /**
   * The SP's SingleLogoutService endpoints: every `location` and `responseLocation` is an accepted
   * `Destination`.
   */
  readonly singleLogoutServices?: readonly Endpoint[];
  /** Keys that decrypt an `EncryptedID` (several during rollover). */
  readonly decryptionKeys?: readonly SpKeyPair[];
}

/** The Identity Provider facts logout messages are checked against (an `IdentityProviderConfig` fits). */
export interface LogoutValidationIdp {
  /** The IdP entity ID: the message Issuer must equal it. Omit only in diagnostic tools. */
  readonly entityId?: string;
  /** The IdP's trusted signing keys; never a key carried by the message. */
  readonly signingKeys: readonly PublicKey[];
}

/**
 * Picks the IdP a message is checked against from the Issuer it claims (for an SP with several
 * IdPs, e.g. `(issuer) => registry.forMessage(issuer).then((r) => r.idp)`). The Issuer is read
 * before the signature is verified only to choose whose keys verify it; the message must then be
 * signed by that IdP and name it as Issuer. Throw `IDP_UNKNOWN` for an unknown issuer.
 */
export type LogoutIdpResolver = (
  issuer: string,
) => LogoutValidationIdp | Promise<LogoutValidationIdp>;

/** Options shared by {@link validateLogoutRequest} and `validateLogoutResponse`. Never mutated. */
export interface LogoutValidationOptions {
  readonly sp: LogoutValidationSp;
  /** The IdP the message must come from, or a resolver that picks it by the claimed Issuer. */
  readonly idp: LogoutValidationIdp | LogoutIdpResolver;
  /** The instant of the checks: epoch milliseconds or a Date. */
  readonly now: Date | number;
  /** Tolerated clock difference, in milliseconds. Default 180000 (3 minutes). */
  readonly clockSkewMs?: number;
  /** The oldest IssueInstant accepted, in milliseconds before now (plus skew). Default 300000. */
  readonly maxAgeMs?: number;
  /**
   * **Dangerous.** Accept an *unsigned* logout message on the HTTP-Redirect binding. Anyone who
   * can make a user's browser follow a link can then end that user's sessions (and learn nothing
   * else). Only for an IdP that cannot sign its logout messages; POST, SimpleSign and SOAP
   * messages are always required to be signed. Default false.
   */
  readonly allowUnsignedLogout?: boolean;
  /** **Dangerous.** Accept SHA-1 signatures (collisions are practical). Default false. */
  readonly allowSha1?: boolean;
  /**
   * **Diagnostics only.** Do not compare Destination with the SP's SLO endpoints (for tools that
   * inspect captured messages without knowing the endpoint). Never in an application.
   */
  readonly skipDestinationCheck?: boolean;
  /** WebCrypto provider. */
  readonly crypto?: CryptoProvider;
  /** XML size and depth limits. */
  readonly limits?: XmlLimits;
  /** Redirect-binding decoding limits (inflate cap, query length). */
  readonly redirect?: DecodeRedirectOptions;
}

/** Options of {@link validateLogoutRequest}. */
export interface ValidateLogoutRequestOptions extends LogoutValidationOptions {
  /**
   * The replay cache (the samlkit store fits). The key `logout-request:<issuer>:<ID>` is remembered
   * until the request can no longer be accepted; a second delivery is `REPLAY_DETECTED`.
   */
  readonly replayCache?: Pick<SamlStore, 'rememberOnce'>;
}

/** A LogoutRequest that passed every check. */
export interface ValidatedLogoutRequest {
  /** The binding it arrived on (a POST form with SigAlg/Signature is `simpleSign`). */
  readonly binding: 'redirect' | 'post' | 'simpleSign' | 'soap';
  readonly id: string;
  readonly issueInstant: number;
  /** The IdP entity ID (the Issuer). */
  readonly issuer: string;
  readonly destination?: string;
  /** The NameID of the user to log out (decrypted when it came as an EncryptedID). */
  readonly nameId: NameId;
  readonly encryptedId: boolean;
  /** Sessions to end; empty means every session of this NameID from this IdP (SAML core §3.7.3.2). */
  readonly sessionIndexes: readonly string[];
  readonly notOnOrAfter?: number;
  readonly reason?: string;
  /** The RelayState to send back with the LogoutResponse (front-channel bindings). */
  readonly relayState?: string;
  /** How the message was authenticated; absent only for an unsigned one under `allowUnsignedLogout`. */
  readonly signature?: MessageSignatureInfo;
  /** The replay-cache entry (already recorded when `replayCache` was given). */
  readonly replay: { readonly key: string; readonly expiresAt: number };
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

function assertLogoutRequestRoot(root: Element): void {
  if (!isElement(root, NS.samlp, 'LogoutRequest')) {
    throw new SamlError('XML_UNEXPECTED_ELEMENT', 'The message is not a LogoutRequest.', {
      expected: `<samlp:LogoutRequest> (namespace ${NS.samlp})`,
      found: `<${root.nodeName}> in ${root.namespaceURI ?? 'no namespace'}`,
      hint: 'LogoutResponses are validated with validateLogoutResponse',
    });
  }
}

/** Reads everything but the (possibly encrypted) identifier. */
function readRequestFields(root: Element): Omit<LogoutRequest, 'nameId' | 'encryptedId'> & {
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

/** The Destinations an SP answers logout messages on. @internal */
export function sloDestinations(sp: LogoutValidationSp): string[] {
  const out = new Set<string>();
  for (const e of sp.singleLogoutServices ?? []) {
    out.add(e.location);
    if (e.responseLocation) out.add(e.responseLocation);
  }
  return [...out];
}

/** Checks shared option shapes and normalizes times. @internal */
export function normalizeLogoutOptions(
  options: LogoutValidationOptions,
  fn: string,
): { now: number; skewMs: number; maxAgeMs: number; destinations: string[] } {
  if (!options || typeof options !== 'object')
    throw new TypeError(`${fn}: options must be an object`);
  if (!options.sp || typeof options.sp !== 'object')
    throw new TypeError(`${fn}: options.sp must be an object`);
  if (
    typeof options.idp !== 'function' &&
    (!options.idp || !Array.isArray(options.idp.signingKeys))
  ) {
    throw new TypeError(
      `${fn}: options.idp must be { entityId, signingKeys } or a function of the issuer`,
    );
  }
  const now = toEpochMs(options.now, fn);
  const skewMs = toDurationMs(options.clockSkewMs, DEFAULT_CLOCK_SKEW_MS, fn, 'clockSkewMs');
  const maxAgeMs = toDurationMs(options.maxAgeMs, DEFAULT_MAX_MESSAGE_AGE_MS, fn, 'maxAgeMs');
  const destinations = sloDestinations(options.sp);
  if (destinations.length === 0 && !options.skipDestinationCheck) {
    throw new SamlError('CONFIG_INVALID', 'No SP SingleLogoutService endpoint is configured.', {
      expected: 'sp.singleLogoutServices with the public URL(s) of the SLO endpoint',
      found: 'none',
      hint: 'add the SLO endpoint (as published in SP metadata) to the SP configuration',
    });
  }
  return { now, skewMs, maxAgeMs, destinations };
}

/**
 * The keys to verify with (fixed, or resolved from the claimed Issuer) and, afterwards, the IdP
 * they belong to. @internal
 */
export function idpKeys(idp: LogoutValidationIdp | LogoutIdpResolver): {
  keys: readonly PublicKey[] | ((root: Element) => Promise<readonly PublicKey[]>);
  resolved: () => LogoutValidationIdp;
} {
  if (typeof idp !== 'function') return { keys: idp.signingKeys, resolved: () => idp };
  let found: LogoutValidationIdp | undefined;
  return {
    keys: async (root) => {
      // Read only to choose whose keys verify the signature; compared again after verification.
      const issuer = checkIssuer(root, undefined, true)!;
      const candidate = await idp(issuer);
      if (!candidate || !Array.isArray(candidate.signingKeys)) {
        throw new SamlError('IDP_UNKNOWN', 'No IdP is configured for this issuer.', {
          expected: 'an IdP the SP trusts',
          found: describeValue(issuer),
          hint: 'add the IdP to the SP configuration, or check the Issuer of the message',
        });
      }
      found = { ...candidate, entityId: candidate.entityId ?? issuer };
      return candidate.signingKeys;
    },
    resolved: () => {
      if (!found) throw new TypeError('the IdP was not resolved');
      return found;
    },
  };
}

/**
 * Checks the Destination: required on a signed front-channel message (SAML bindings §3.4.5.2,
 * §3.5.5.2), optional on SOAP, and always equal to one of our SLO URLs when present. @internal
 */
export function checkLogoutDestination(
  root: Element,
  binding: ValidatedLogoutRequest['binding'],
  signed: boolean,
  destinations: readonly string[],
  skip: boolean | undefined,
): string | undefined {
  if (skip) return attr(root, 'Destination');
  const required = binding !== 'soap' && signed;
  return checkDestination(root, destinations, required);
}

/**
 * Validates a LogoutRequest that reached the SP's SingleLogoutService on any binding and says
 * whose sessions to end.
 *
 * Checks, in order: decoding per binding; every signature present (Redirect query, SimpleSign
 * form, enveloped XML) against the IdP's configured keys only; that the message is signed at all
 * (unless `allowUnsignedLogout`, Redirect only); root element, Version, ID; Issuer equals the IdP;
 * Destination is one of the SP's SLO URLs (required when signed on a front-channel binding);
 * IssueInstant within `maxAgeMs`, NotOnOrAfter not passed (both with the clock skew); the NameID is
 * present (an EncryptedID is decrypted with `sp.decryptionKeys`); finally the replay cache.
 *
 * Ending the sessions (`store.findSessions({ issuer, nameId: nameId.value, sessionIndex })`) and
 * answering with {@link createLogoutResponse} on the same binding is the caller's part.
 *
 * @param input - the message as received, per binding ({@link IncomingSamlMessage})
 * @param options - SP and IdP configuration, `now`, policy, replay cache
 * @returns the validated request
 * @throws SamlError `BINDING_INVALID`, `SOAP_FAULT`, `XML_*`, `BASE64_INVALID`, `INFLATE_*`,
 *   `RELAY_STATE_INVALID`, `SIGNATURE_*` (`SIGNATURE_MISSING` when unsigned),
 *   `MESSAGE_VERSION_UNSUPPORTED`, `ISSUER_MISMATCH`, `DESTINATION_MISMATCH`, `NOT_YET_VALID`,
 *   `EXPIRED`, `NAMEID_MISSING`, `DECRYPTION_FAILED`, `REPLAY_DETECTED`, `CONFIG_INVALID`;
 *   TypeError for malformed options
 * @example IdP-initiated logout at the SLO endpoint (Redirect binding)
 * ```ts
 * const request = await validateLogoutRequest(
 *   { binding: 'redirect', query: new URL(req.url).search },
 *   { sp, idp, now: Date.now(), replayCache: store },
 * );
 * for (const index of request.sessionIndexes.length ? request.sessionIndexes : [undefined]) {
 *   for (const s of await store.findSessions({ issuer: request.issuer, nameId: request.nameId.value, sessionIndex: index }))
 *     await store.deleteSession(s.id);
 * }
 * ```
 * @see SAML core §3.7.1, §3.7.3; SAML profiles §4.4.4.1, §4.4.3.3; SAML bindings §3.2, §3.4, §3.5
 */
export async function validateLogoutRequest(
  input: IncomingSamlMessage,
  options: ValidateLogoutRequestOptions,
): Promise<ValidatedLogoutRequest> {
  const fn = 'validateLogoutRequest';
  const { now, skewMs, maxAgeMs, destinations } = normalizeLogoutOptions(options, fn);
  const { sp } = options;
  const trust = idpKeys(options.idp);
  const received = await receiveMessage(input, {
    type: 'SAMLRequest',
    keys: trust.keys,
    allowSha1: options.allowSha1 ?? false,
    allowUnsignedRedirect: options.allowUnsignedLogout ?? false,
    what: 'LogoutRequest',
    ...(options.crypto ? { crypto: options.crypto } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.redirect ? { redirect: options.redirect } : {}),
  });
  const root = received.root;
  assertLogoutRequestRoot(root);
  const fields = readRequestFields(root);
  // SAML profiles §4.4.4.1: the Issuer is the IdP that sent the request.
  checkIssuer(root, trust.resolved().entityId, true);
  const destination = checkLogoutDestination(
    root,
    received.binding,
    received.signature !== undefined,
    destinations,
    options.skipDestinationCheck,
  );
  checkIssueInstant(fields.issueInstant, now, skewMs, maxAgeMs, 'LogoutRequest');
  // SAML core §3.7.1: NotOnOrAfter is when the request expires.
  if (fields.notOnOrAfter !== undefined && now - skewMs >= fields.notOnOrAfter) {
    throw new SamlError('EXPIRED', 'The LogoutRequest has expired.', {
      expected: `now (${formatDateTime(now)}) before NotOnOrAfter plus the clock skew of ${skewMs / 1000}s`,
      found: `NotOnOrAfter ${formatDateTime(fields.notOnOrAfter)}`,
      hint: 'the logout message was delivered late or replayed; clocks may be out of sync',
    });
  }
  const decryptionKeys = (sp.decryptionKeys ?? []).map((k) => k.privateKey);
  const nameId = await readSubjectNameId(root, async (el) => {
    if (decryptionKeys.length === 0) {
      throw new SamlError('DECRYPTION_FAILED', 'The LogoutRequest has an encrypted NameID.', {
        expected: 'sp.decryptionKeys with the SP private key it was encrypted to',
        found: 'no decryption key configured',
        hint: 'configure the SP private key matching the encryption certificate in SP metadata',
      });
    }
    return decryptElement(el, decryptionKeys, {
      ...(options.crypto ? { crypto: options.crypto } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
    });
  });
  if (!nameId) {
    throw new SamlError('NAMEID_MISSING', 'The LogoutRequest names no principal.', {
      expected: 'a <saml:NameID> or <saml:EncryptedID>',
      found: 'none',
    });
  }

  // Replay (SAML profiles §4.4.4.1 asks for a fresh request): remember the ID for as long as the
  // request could be accepted again.
  const lastAccepted = Math.min(
    fields.notOnOrAfter ?? Number.POSITIVE_INFINITY,
    fields.issueInstant + maxAgeMs,
  );
  const expiresAt = lastAccepted + skewMs;
  const replayKey = `logout-request:${fields.issuer}:${fields.id}`;
  if (options.replayCache) {
    const first = await options.replayCache.rememberOnce(replayKey, expiresAt);
    if (!first) {
      throw new SamlError('REPLAY_DETECTED', 'This LogoutRequest was already processed.', {
        expected: 'a LogoutRequest seen for the first time',
        found: `request ${describeValue(fields.id)} from ${describeValue(fields.issuer)}, already accepted`,
        hint: 'a captured logout message was sent again (or the browser re-submitted it)',
      });
    }
  }
  const { identifier, ...rest } = fields;
  return stripUndefined({
    binding: received.binding,
    ...rest,
    destination,
    nameId,
    encryptedId: identifier.localName === 'EncryptedID',
    relayState: received.relayState,
    signature: received.signature,
    replay: { key: replayKey, expiresAt },
  });
}
