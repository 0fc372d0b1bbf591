import type { BindingName, Endpoint } from '../config.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { isSamlError, SamlError } from '../errors.js';
import { checkIssuer, checkVersion } from '../lib/checks.js';
import { ERROR_CLASSES } from '../lib/error-classes.js';
import { generateId } from '../lib/id.js';
import { toEpochMs } from '../lib/message-time.js';
import { stripUndefined } from '../lib/objects.js';
import { parseStatus, STATUS_SUCCESS } from '../lib/status.js';
import {
  attr,
  escapeXml,
  formatDateTime,
  hasNonXmlChar,
  isElement,
  NS,
  parseDateTime,
  parseXml,
  requiredAttr,
  type XmlLimits,
} from '../lib/xml.js';

const STATUS_PREFIX = 'urn:oasis:names:tc:SAML:2.0:status:';

/** Top-level status codes (SAML core §3.2.2.2), by short name. */
export type TopLevelStatus = 'Success' | 'Requester' | 'Responder' | 'VersionMismatch';

/** The Status of a LogoutResponse to send. */
export interface LogoutStatusOptions {
  /** A short top-level code or a full status URI. Default `Success`. */
  readonly code?: TopLevelStatus | string;
  /**
   * A second-level code: a short name of SAML core §3.2.2.2 (e.g. `PartialLogout` when some
   * sessions could not be ended, `UnknownPrincipal`, `RequestDenied`) or a full URI.
   */
  readonly subCode?: string;
  /** A human-readable StatusMessage. */
  readonly message?: string;
}

/** Options of {@link createLogoutResponse}. */
export interface LogoutResponseOptions {
  /** The SP entity ID (`<saml:Issuer>`). */
  readonly issuer: string;
  /** Where the response goes (the IdP SLO endpoint's ResponseLocation or Location). Omit for SOAP. */
  readonly destination?: string;
  /** The ID of the LogoutRequest this answers. */
  readonly inResponseTo: string;
  /** Default: Success. */
  readonly status?: LogoutStatusOptions;
  /** The current time: becomes `IssueInstant`. */
  readonly now: Date | number;
  readonly id?: string;
  readonly crypto?: CryptoProvider;
}

/** A Status as data. */
export interface LogoutStatusInfo {
  /** The top-level StatusCode URI. */
  readonly code: string;
  /** The second-level StatusCode URI, when present. */
  readonly subCode?: string;
  /** Every nested code, top first. */
  readonly codes: readonly string[];
  readonly message?: string;
  /** The top-level code is Success. */
  readonly success: boolean;
  /** The second-level code is PartialLogout: some session participants were not logged out. */
  readonly partial: boolean;
}

/** A `<samlp:LogoutResponse>` as data. */
export interface LogoutResponse {
  readonly id: string;
  readonly issueInstant: number;
  readonly issuer: string;
  readonly destination?: string;
  readonly inResponseTo?: string;
  readonly status: LogoutStatusInfo;
}

/** What {@link createLogoutResponse} returns. */
export interface CreatedLogoutResponse {
  readonly id: string;
  /** Unsigned XML; sign with `signXml` for POST and SOAP, or sign the Redirect query. */
  readonly xml: string;
  readonly issueInstant: number;
  readonly response: LogoutResponse;
}

function statusUri(value: string, what: string): string {
  if (typeof value !== 'string' || value === '' || /\s/.test(value)) {
    throw new TypeError(`createLogoutResponse: ${what} must be a status short name or URI`);
  }
  return value.includes(':') ? value : `${STATUS_PREFIX}${value}`;
}

function toStatusInfo(codes: readonly string[], message: string | undefined): LogoutStatusInfo {
  return stripUndefined({
    code: codes[0]!,
    subCode: codes[1],
    codes: [...codes],
    message,
    success: codes[0] === STATUS_SUCCESS,
    partial: codes[1] === `${STATUS_PREFIX}PartialLogout`,
  });
}

/**
 * Builds a `<samlp:LogoutResponse>` answering a LogoutRequest: Success, or an error or partial
 * status with an optional second-level code and message.
 *
 * @param options - issuer, destination, InResponseTo, status, `now`
 * @returns the ID, the unsigned XML and the response as data
 * @throws TypeError for malformed options
 * @example Answering an IdP-initiated logout where one session could not be ended
 * ```ts
 * const { xml } = createLogoutResponse({
 *   issuer: sp.entityId,
 *   destination: endpoint.location,
 *   inResponseTo: request.id,
 *   status: { code: 'Success', subCode: 'PartialLogout' },
 *   now: Date.now(),
 * });
 * ```
 * @see SAML core §3.7.2 (LogoutResponse), §3.2.2 (StatusResponseType); SAML profiles §4.4.4.2
 */
export function createLogoutResponse(options: LogoutResponseOptions): CreatedLogoutResponse {
  if (!options || typeof options !== 'object') {
    throw new TypeError('createLogoutResponse: options must be an object');
  }
  const o = options;
  const issueInstant = toEpochMs(o.now, 'createLogoutResponse');
  const id = o.id ?? generateId(o.crypto);
  if (typeof id !== 'string' || !/^[A-Za-z_][A-Za-z0-9._-]*$/.test(id)) {
    throw new TypeError('createLogoutResponse: id must be an xs:ID');
  }
  for (const [name, value] of [
    ['issuer', o.issuer],
    ['inResponseTo', o.inResponseTo],
  ] as const) {
    if (typeof value !== 'string' || value === '' || value.trim() !== value) {
      throw new TypeError(`createLogoutResponse: ${name} must be a non-empty string`);
    }
  }
  if (o.destination !== undefined) {
    try {
      new URL(o.destination);
    } catch {
      throw new TypeError('createLogoutResponse: destination must be an absolute URL');
    }
  }
  const code = statusUri(o.status?.code ?? 'Success', 'status.code');
  const subCode =
    o.status?.subCode === undefined ? undefined : statusUri(o.status.subCode, 'status.subCode');
  const message = o.status?.message;
  if (message !== undefined && (typeof message !== 'string' || message.trim() === '')) {
    throw new TypeError('createLogoutResponse: status.message must be a non-empty string');
  }
  if (message !== undefined && hasNonXmlChar(message)) {
    throw new TypeError(
      'createLogoutResponse: status.message contains a character XML cannot carry',
    );
  }
  const a = (name: string, value: string | undefined) =>
    value === undefined ? '' : ` ${name}="${escapeXml(value)}"`;
  // SAML core §3.2.2: ID, InResponseTo, Version, IssueInstant, Destination; Issuer, Status.
  const xml =
    `<samlp:LogoutResponse xmlns:samlp="${NS.samlp}" xmlns:saml="${NS.saml}"` +
    a('ID', id) +
    a('Version', '2.0') +
    a('IssueInstant', formatDateTime(issueInstant)) +
    a('Destination', o.destination) +
    a('InResponseTo', o.inResponseTo) +
    '>' +
    `<saml:Issuer>${escapeXml(o.issuer)}</saml:Issuer>` +
    '<samlp:Status>' +
    `<samlp:StatusCode Value="${escapeXml(code)}"` +
    (subCode === undefined
      ? '/>'
      : `><samlp:StatusCode Value="${escapeXml(subCode)}"/></samlp:StatusCode>`) +
    (message === undefined
      ? ''
      : `<samlp:StatusMessage>${escapeXml(message.trim())}</samlp:StatusMessage>`) +
    '</samlp:Status></samlp:LogoutResponse>';
  const codes = subCode === undefined ? [code] : [code, subCode];
  const response: LogoutResponse = stripUndefined({
    id,
    issueInstant,
    issuer: o.issuer,
    destination: o.destination,
    inResponseTo: o.inResponseTo,
    status: toStatusInfo(codes, message?.trim()),
  });
  return { id, xml, issueInstant, response };
}

/** Reads a LogoutResponse element (structure only). @internal */
export function readResponse(root: Element): LogoutResponse {
  if (!isElement(root, NS.samlp, 'LogoutResponse')) {
    throw new SamlError('XML_UNEXPECTED_ELEMENT', 'The message is not a LogoutResponse.', {
      expected: `<samlp:LogoutResponse> (namespace ${NS.samlp})`,
      found: `<${root.nodeName}> in ${root.namespaceURI ?? 'no namespace'}`,
      hint: 'LogoutRequests are validated with validateLogoutRequest',
    });
  }
  checkVersion(root);
  const id = requiredAttr(root, 'ID');
  const issueInstant = parseDateTime(
    requiredAttr(root, 'IssueInstant'),
    'LogoutResponse IssueInstant',
  );
  // SAML profiles §4.4.4.2: the Issuer MUST be present.
  const issuer = checkIssuer(root, undefined, true)!;
  const status = parseStatus(root);
  return stripUndefined({
    id,
    issueInstant,
    issuer,
    destination: attr(root, 'Destination'),
    inResponseTo: attr(root, 'InResponseTo'),
    status: toStatusInfo(status.codes, status.message),
  });
}

/**
 * Reads a `<samlp:LogoutResponse>` into data, checking structure only (no signature, no time).
 *
 * @param xml - the LogoutResponse XML
 * @param limits - XML size and depth limits
 * @returns the response as data
 * @throws SamlError `XML_*`, `MESSAGE_VERSION_UNSUPPORTED`
 * @example Reading the status of a captured LogoutResponse
 * ```ts
 * const { status } = parseLogoutResponse(xml);
 * ```
 * @see SAML core §3.7.2
 */
export function parseLogoutResponse(xml: string, limits?: XmlLimits): LogoutResponse {
  if (typeof xml !== 'string') throw new TypeError('parseLogoutResponse: xml must be a string');
  return readResponse(parseXml(xml, limits).documentElement);
}

/**
 * The Status to answer a LogoutRequest with when it could not be honoured: `Requester` with
 * `RequestDenied` for an untrusted request (signature, issuer, destination, time, replay),
 * `Requester` with `UnknownPrincipal` when no session matches, `Requester` for a malformed one,
 * `VersionMismatch` for another SAML version, and `Responder` for anything on the SP's side (store
 * down, a bug). The StatusMessage carries only the samlkit error code, never details.
 *
 * @param error - what `validateLogoutRequest` (or ending the sessions) threw
 * @returns the `status` option of {@link createLogoutResponse}
 * @example Answering a refused back-channel LogoutRequest
 * ```ts
 * const status = logoutStatusForError(err);
 * const { xml } = createLogoutResponse({ issuer: sp.entityId, inResponseTo: requestId, status, now: Date.now() });
 * ```
 * @see SAML core §3.2.2.2 (status codes), §3.7.3.2 (session participant rules)
 */
export function logoutStatusForError(error: unknown): LogoutStatusOptions {
  const code = isSamlError(error) ? error.code : undefined;
  const message = code ?? 'internal error';
  const cls = code === undefined ? 'Responder' : ERROR_CLASSES[code].logout;
  if (cls === 'UnknownPrincipal' || cls === 'RequestDenied') {
    return { code: 'Requester', subCode: cls, message };
  }
  return { code: cls, message };
}

/** Where and how to send the LogoutResponse, from {@link chooseLogoutResponseEndpoint}. */
export interface LogoutResponseEndpoint {
  readonly binding: BindingName;
  /** The URL to send to; undefined for `soap` (the answer is the HTTP response body). */
  readonly location?: string;
}

/**
 * Picks how to answer a LogoutRequest: on the binding it came in on when the IdP's metadata has a
 * SingleLogoutService for it (its ResponseLocation, else Location), otherwise the IdP's first
 * front-channel SLO endpoint (Redirect, then POST). A SOAP request is answered in the SOAP
 * response itself.
 *
 * @param requestBinding - the binding the LogoutRequest arrived on
 * @param idp - the IdP's SLO endpoints (an `IdentityProviderConfig` fits)
 * @returns the binding and URL, or undefined when the IdP publishes no usable SLO endpoint
 * @example Choosing how to answer
 * ```ts
 * const target = chooseLogoutResponseEndpoint(request.binding, idp);
 * ```
 * @see SAML profiles §4.4.3.4 and §4.4.4.2; SAML metadata §2.4.1 (ResponseLocation)
 */
export function chooseLogoutResponseEndpoint(
  requestBinding: BindingName,
  idp: { readonly singleLogoutServices?: readonly Endpoint[] },
): LogoutResponseEndpoint | undefined {
  if (requestBinding === 'soap') return { binding: 'soap' };
  const list = idp.singleLogoutServices ?? [];
  const same =
    list.find((e) => e.binding === requestBinding) ??
    (requestBinding === 'simpleSign' ? list.find((e) => e.binding === 'post') : undefined);
  const chosen =
    same ?? list.find((e) => e.binding === 'redirect') ?? list.find((e) => e.binding === 'post');
  if (!chosen) return undefined;
  return { binding: chosen.binding, location: chosen.responseLocation ?? chosen.location };
}
