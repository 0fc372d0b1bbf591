import type { SamlErrorCode } from '../errors.js';

/**
 * How a refusal is answered, per error code. One row per code of `SAML_ERROR_CODES`: the
 * `satisfies` clause below makes a code without a row (or a row for a code that does not exist)
 * a type error, so a new code cannot ship unclassified.
 * @internal
 */
export interface ErrorClass {
  /**
   * The HTTP status an SP endpoint answers with: 400 the request itself is malformed, 401 no
   * session, 403 a message or login that was read and refused, 500 the server's own fault
   * (configuration, keys, metadata, outgoing calls), 503 the store is unreachable.
   */
  readonly http: 400 | 401 | 403 | 500 | 503;
  /**
   * The Status of the LogoutResponse that answers a LogoutRequest refused with this code
   * (SAML core §3.2.2.2 status codes, §3.7.3.2 session participant rules): `RequestDenied` and
   * `UnknownPrincipal` are second-level codes under `Requester`; `Requester` alone is a
   * malformed request; `VersionMismatch` another SAML version; `Responder` the SP's own side.
   */
  readonly logout:
    | 'Requester'
    | 'RequestDenied'
    | 'UnknownPrincipal'
    | 'VersionMismatch'
    | 'Responder';
}

// Shorthands for the rows below.
const MALFORMED = { http: 400, logout: 'Requester' } as const;
const UNTRUSTED = { http: 403, logout: 'RequestDenied' } as const;
const REFUSED = { http: 403, logout: 'Responder' } as const;
const SERVER = { http: 500, logout: 'Responder' } as const;

/** The classification of every error code. @internal */
export const ERROR_CLASSES: Readonly<Record<SamlErrorCode, ErrorClass>> = {
  // Configuration and caller input
  CONFIG_INVALID: SERVER,
  KEY_INVALID: SERVER,
  CERT_INVALID: SERVER,
  KEY_ALGORITHM_UNSUPPORTED: SERVER,
  AUTHN_REQUEST_OPTION_INVALID: SERVER,
  // Encodings and bindings
  BASE64_INVALID: MALFORMED,
  INFLATE_FAILED: MALFORMED,
  INFLATE_TOO_LARGE: MALFORMED,
  BINDING_INVALID: MALFORMED,
  RELAY_STATE_INVALID: MALFORMED,
  // XML
  XML_PARSE_ERROR: MALFORMED,
  XML_DOCTYPE_FORBIDDEN: MALFORMED,
  XML_TOO_LARGE: MALFORMED,
  XML_TOO_DEEP: MALFORMED,
  XML_TOO_MANY_NODES: MALFORMED,
  XML_TOO_MANY_ATTRIBUTES: MALFORMED,
  XML_TOO_MANY_NAMESPACES: MALFORMED,
  XML_TEXT_TOO_LARGE: MALFORMED,
  XML_ATTRIBUTE_TOO_LARGE: MALFORMED,
  XML_TOO_MANY_REFERENCES: MALFORMED,
  XML_TOO_MANY_SIGNATURE_REFERENCES: MALFORMED,
  XML_TOO_MANY_TRANSFORMS: MALFORMED,
  XML_UNEXPECTED_ELEMENT: MALFORMED,
  XML_MISSING_ELEMENT: MALFORMED,
  XML_INVALID_VALUE: MALFORMED,
  XML_DATETIME_INVALID: MALFORMED,
  // Signatures: the sender is not trusted
  SIGNATURE_MISSING: UNTRUSTED,
  SIGNATURE_INVALID: UNTRUSTED,
  SIGNATURE_DIGEST_MISMATCH: UNTRUSTED,
  SIGNATURE_ALGORITHM_FORBIDDEN: UNTRUSTED,
  SIGNATURE_ALGORITHM_UNSUPPORTED: UNTRUSTED,
  SIGNATURE_REFERENCE_INVALID: UNTRUSTED,
  SIGNATURE_TRANSFORM_FORBIDDEN: UNTRUSTED,
  SIGNATURE_STRUCTURE_INVALID: UNTRUSTED,
  SIGNATURE_DUPLICATE_ID: UNTRUSTED,
  SIGNATURE_KEY_UNTRUSTED: UNTRUSTED,
  // Message content
  MESSAGE_VERSION_UNSUPPORTED: { http: 400, logout: 'VersionMismatch' },
  STATUS_NOT_SUCCESS: REFUSED,
  ISSUER_MISMATCH: UNTRUSTED,
  DESTINATION_MISMATCH: UNTRUSTED,
  IN_RESPONSE_TO_MISMATCH: REFUSED,
  UNSOLICITED_RESPONSE: REFUSED,
  ASSERTION_MISSING: REFUSED,
  ASSERTION_MULTIPLE: REFUSED,
  SUBJECT_CONFIRMATION_INVALID: REFUSED,
  RECIPIENT_MISMATCH: REFUSED,
  NOT_YET_VALID: UNTRUSTED,
  EXPIRED: UNTRUSTED,
  AUDIENCE_MISMATCH: REFUSED,
  NAMEID_MISSING: { http: 403, logout: 'Requester' },
  USER_ID_MISSING: REFUSED,
  // Subject Identifier Attributes profile §3.3: a scope the IdP's metadata does not grant it.
  USER_ID_SCOPE_MISMATCH: UNTRUSTED,
  ATTRIBUTE_SCOPE_MISMATCH: UNTRUSTED,
  AUTHN_CONTEXT_MISMATCH: REFUSED,
  // SAML profiles §4.1.4.2: a Web SSO assertion without an AuthnStatement is no login.
  AUTHN_STATEMENT_MISSING: REFUSED,
  REPLAY_DETECTED: UNTRUSTED,
  // Encryption
  ENCRYPTION_REQUIRED: REFUSED,
  ENCRYPTION_ALGORITHM_UNSUPPORTED: { http: 403, logout: 'Requester' },
  DECRYPTION_FAILED: { http: 403, logout: 'Requester' },
  // Metadata
  METADATA_INVALID: SERVER,
  METADATA_EXPIRED: SERVER,
  METADATA_ENTITY_NOT_FOUND: SERVER,
  METADATA_FETCH_FAILED: SERVER,
  // A login or message naming an IdP this SP does not know.
  IDP_UNKNOWN: { http: 400, logout: 'RequestDenied' },
  // State, transport, application
  STORE_UNAVAILABLE: { http: 503, logout: 'Responder' },
  SESSION_NOT_FOUND: { http: 401, logout: 'UnknownPrincipal' },
  SOAP_FAULT: SERVER,
  ARTIFACT_RESOLUTION_FAILED: SERVER,
  HTTP_REQUEST_FAILED: SERVER,
  RETURN_TO_UNSAFE: { http: 400, logout: 'Responder' },
  LOGIN_REFUSED: REFUSED,
  LOGIN_BINDING_MISMATCH: REFUSED,
  // A step-up answered by another user than the session's: refused, the session kept.
  STEP_UP_USER_MISMATCH: REFUSED,
  // Several cookies of one samlkit name (cookie tossing); logged, never thrown by samlkit itself.
  COOKIE_DUPLICATE: { http: 400, logout: 'Requester' },
} as const satisfies Record<SamlErrorCode, ErrorClass>;
