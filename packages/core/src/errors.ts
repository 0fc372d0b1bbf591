/**
 * Every stable error code samlkit can produce. `switch (err.code)` narrows exhaustively.
 *
 * Each code is documented with its cause and remedy in `docs/errors.md`; a test keeps the two
 * lists equal.
 */
export const SAML_ERROR_CODES = [
  // Configuration and caller input
  'CONFIG_INVALID',
  'KEY_INVALID',
  'CERT_INVALID',
  'KEY_ALGORITHM_UNSUPPORTED',
  'AUTHN_REQUEST_OPTION_INVALID',
  // Encodings and bindings
  'BASE64_INVALID',
  'INFLATE_FAILED',
  'INFLATE_TOO_LARGE',
  'BINDING_INVALID',
  'RELAY_STATE_INVALID',
  // XML
  'XML_PARSE_ERROR',
  'XML_DOCTYPE_FORBIDDEN',
  'XML_TOO_LARGE',
  'XML_TOO_DEEP',
  'XML_TOO_MANY_NODES',
  'XML_TOO_MANY_ATTRIBUTES',
  'XML_TOO_MANY_NAMESPACES',
  'XML_TEXT_TOO_LARGE',
  'XML_ATTRIBUTE_TOO_LARGE',
  'XML_TOO_MANY_REFERENCES',
  'XML_TOO_MANY_SIGNATURE_REFERENCES',
  'XML_TOO_MANY_TRANSFORMS',
  'XML_UNEXPECTED_ELEMENT',
  'XML_MISSING_ELEMENT',
  'XML_INVALID_VALUE',
  'XML_DATETIME_INVALID',
  // Signatures
  'SIGNATURE_MISSING',
  'SIGNATURE_INVALID',
  'SIGNATURE_DIGEST_MISMATCH',
  'SIGNATURE_ALGORITHM_FORBIDDEN',
  'SIGNATURE_ALGORITHM_UNSUPPORTED',
  'SIGNATURE_REFERENCE_INVALID',
  'SIGNATURE_TRANSFORM_FORBIDDEN',
  'SIGNATURE_STRUCTURE_INVALID',
  'SIGNATURE_DUPLICATE_ID',
  'SIGNATURE_KEY_UNTRUSTED',
  // Message content (Response, LogoutRequest, LogoutResponse)
  'MESSAGE_VERSION_UNSUPPORTED',
  'STATUS_NOT_SUCCESS',
  'ISSUER_MISMATCH',
  'DESTINATION_MISMATCH',
  'IN_RESPONSE_TO_MISMATCH',
  'UNSOLICITED_RESPONSE',
  'ASSERTION_MISSING',
  'ASSERTION_MULTIPLE',
  'SUBJECT_CONFIRMATION_INVALID',
  'RECIPIENT_MISMATCH',
  'NOT_YET_VALID',
  'EXPIRED',
  'AUDIENCE_MISMATCH',
  'NAMEID_MISSING',
  'USER_ID_MISSING',
  'USER_ID_SCOPE_MISMATCH',
  'ATTRIBUTE_SCOPE_MISMATCH',
  'AUTHN_CONTEXT_MISMATCH',
  'AUTHN_STATEMENT_MISSING',
  'REPLAY_DETECTED',
  // Encryption
  'ENCRYPTION_REQUIRED',
  'ENCRYPTION_ALGORITHM_UNSUPPORTED',
  'DECRYPTION_FAILED',
  // Metadata
  'METADATA_INVALID',
  'METADATA_EXPIRED',
  'METADATA_ENTITY_NOT_FOUND',
  'METADATA_FETCH_FAILED',
  'IDP_UNKNOWN',
  // State, transport, application
  'STORE_UNAVAILABLE',
  'SESSION_NOT_FOUND',
  'SOAP_FAULT',
  'ARTIFACT_RESOLUTION_FAILED',
  'HTTP_REQUEST_FAILED',
  'RETURN_TO_UNSAFE',
  'LOGIN_REFUSED',
  'LOGIN_BINDING_MISMATCH',
  'STEP_UP_USER_MISMATCH',
  'COOKIE_DUPLICATE',
] as const;

/** A stable, documented samlkit error code. See `docs/errors.md` for causes and remedies. */
export type SamlErrorCode = (typeof SAML_ERROR_CODES)[number];

/** Structured facts attached to a {@link SamlError}, safe to log (never key material). */
export interface SamlErrorDetails {
  /** What samlkit expected to find. */
  readonly expected?: string;
  /** What it found instead. */
  readonly found?: string;
  /** Where to look or what to change to fix it. */
  readonly hint?: string;
  /** Any other machine-readable facts (status codes, element names, algorithm URIs, …). */
  readonly [key: string]: unknown;
}

/** Options accepted by the {@link SamlError} constructor. */
export interface SamlErrorOptions extends SamlErrorDetails {
  /** The underlying error, if any. */
  readonly cause?: unknown;
  /**
   * The XML (or other raw input) that was refused. Kept as a non-enumerable property so that
   * logging or `JSON.stringify` of the error never dumps a whole assertion.
   */
  readonly raw?: string;
}

const codeSet: ReadonlySet<string> = new Set(SAML_ERROR_CODES);

/**
 * The one error class samlkit throws for anything that is refused or goes wrong.
 *
 * `code` is stable and documented; `message` says what was expected, what was found and what to
 * check; `details` carries the same facts for machines. Caller misuse (an argument of the wrong
 * type) is a `TypeError` instead.
 *
 * @example Narrowing on the code
 * ```ts
 * try {
 *   await validateResponse(input, options);
 * } catch (err) {
 *   if (err instanceof SamlError && err.code === 'EXPIRED') {
 *     // ask the user to sign in again
 *   }
 *   throw err;
 * }
 * ```
 */
export class SamlError extends Error {
  /** The stable error code. */
  readonly code: SamlErrorCode;
  /** Expected/found/hint and other facts, safe to log. */
  readonly details: SamlErrorDetails;
  /** The refused raw input, if kept (non-enumerable: never logged by accident). */
  declare readonly raw?: string;

  /**
   * @param code - a stable code from {@link SAML_ERROR_CODES}
   * @param summary - one sentence saying what went wrong
   * @param options - expected/found/hint facts, the cause and the raw input
   */
  constructor(code: SamlErrorCode, summary: string, options: SamlErrorOptions = {}) {
    const { cause, raw, ...details } = options;
    super(composeMessage(code, summary, details), cause === undefined ? undefined : { cause });
    this.name = 'SamlError';
    this.code = code;
    this.details = Object.freeze({ ...details });
    if (raw !== undefined) {
      Object.defineProperty(this, 'raw', { value: raw, enumerable: false, writable: false });
    }
  }

  /** A plain object for logs and JSON output: code, message and details (never `raw`). */
  toJSON(): { code: SamlErrorCode; message: string; details: SamlErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

function composeMessage(code: SamlErrorCode, summary: string, d: SamlErrorDetails): string {
  const parts = [`${summary}`];
  if (d.expected !== undefined) parts.push(`Expected: ${d.expected}.`);
  if (d.found !== undefined) parts.push(`Found: ${d.found}.`);
  if (d.hint !== undefined) parts.push(`Check: ${d.hint}`);
  return `[${code}] ${parts.join(' ')}`;
}

/**
 * Whether `value` is a {@link SamlError}, optionally with the given code. Works across bundle
 * copies of samlkit, where `instanceof` would not.
 *
 * @param value - anything caught
 * @param code - optionally, the code it must have
 * @returns true when `value` is a SamlError (with that code)
 */
export function isSamlError(value: unknown, code?: SamlErrorCode): value is SamlError {
  if (value instanceof SamlError) return code === undefined || value.code === code;
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { name?: unknown; code?: unknown };
  return (
    v.name === 'SamlError' &&
    typeof v.code === 'string' &&
    codeSet.has(v.code) &&
    (code === undefined || v.code === code)
  );
}

/** Shortens untrusted text for inclusion in an error message. @internal */
export function describeValue(value: string | null | undefined, max = 120): string {
  if (value === null || value === undefined) return '(absent)';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we strip
  const oneLine = value.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return JSON.stringify(oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine);
}
