import type {
  IncomingBinding,
  IncomingSamlMessage,
  MessageSignatureInfo,
} from '../bindings/incoming.js';
import { checkInResponseTo } from '../lib/checks.js';
import { stripUndefined } from '../lib/objects.js';
import {
  checkLogoutEnvelope,
  type LogoutValidationOptions,
  normalizeLogoutOptions,
  receiveLogoutMessage,
} from './logout-common.js';
import { type LogoutResponse, readResponse } from './logout-response.js';

/** Options of {@link validateLogoutResponse}: exactly one way of checking InResponseTo. */
export interface ValidateLogoutResponseOptions extends LogoutValidationOptions {
  /**
   * The outstanding LogoutRequest ID(s) InResponseTo may name: the ones the caller kept, or (for a
   * store-backed SP) the one the message claims, read before validation — the pending request it
   * names is then taken with {@link takePendingLogout} once the response is verified.
   */
  readonly inResponseTo?: string | readonly string[];
  /** **Diagnostics only.** Report InResponseTo without checking it. */
  readonly skipInResponseToCheck?: boolean;
}

/** A LogoutResponse that passed every check. Its status may still say the logout failed. */
export interface ValidatedLogoutResponse extends LogoutResponse {
  readonly binding: IncomingBinding;
  readonly relayState?: string;
  readonly signature?: MessageSignatureInfo;
}

/**
 * Validates the LogoutResponse that answers a LogoutRequest the SP sent, on any binding.
 *
 * Checks, in order: decoding per binding; every signature present against the IdP's configured
 * keys only, and that it is signed (unless `allowUnsignedLogout`, Redirect only); root, Version,
 * ID; Issuer equals the IdP; Destination is one of the SP's SLO URLs (required when signed on a
 * front-channel binding); IssueInstant within `maxAgeMs`; InResponseTo is present and one of
 * `inResponseTo`. A non-Success status is **returned**, not thrown: the local session is ended
 * either way, and the status says whether the IdP ended the others (`status.partial`).
 *
 * The validator is pure: it never consumes a pending request (nor does `validateResponse`). The
 * caller takes the pending LogoutRequest only after this returned — with
 * {@link takePendingLogout}, which takes it only if it is a `logout` request sent to this IdP —
 * so a forged response naming a real pending logout, or another IdP's, leaves it intact
 * ("nothing one-time before verification", docs/security.md).
 *
 * Only signed content decides: an unsigned LogoutResponse (accepted on the Redirect binding only
 * with `allowUnsignedLogout`) comes back without `signature` and must take no pending request;
 * its Status may then explain a failure but must never be taken as a confirmed logout.
 *
 * @param input - the message as received, per binding
 * @param options - SP and IdP configuration, `now`, the acceptable InResponseTo IDs, policy
 * @returns the validated response with its status
 * @throws SamlError `BINDING_INVALID`, `SOAP_FAULT`, `XML_*`, `BASE64_INVALID`, `INFLATE_*`,
 *   `SIGNATURE_*`, `MESSAGE_VERSION_UNSUPPORTED`, `ISSUER_MISMATCH`, `DESTINATION_MISMATCH`,
 *   `NOT_YET_VALID`, `EXPIRED`, `IN_RESPONSE_TO_MISMATCH`, `UNSOLICITED_RESPONSE`,
 *   `CONFIG_INVALID`; TypeError for malformed options
 * @example At the SLO endpoint, after SP-initiated logout
 * ```ts
 * const res = await validateLogoutResponse(
 *   { binding: 'redirect', query: new URL(req.url).search },
 *   { sp, idp, now: Date.now(), inResponseTo: claimedInResponseTo },
 * );
 * // Only now, after every check; only a logout sent to this IdP is taken.
 * const pending = await takePendingLogout(store, res, { now: Date.now(), requestTtlMs: 15 * 60_000 });
 * if (!res.status.success || res.status.partial) console.warn('IdP logout incomplete', res.status);
 * ```
 * @see SAML core §3.7.2, §3.2.2; SAML profiles §4.4.4.2; SAML bindings §3.4.5.2, §3.5.5.2
 */
export async function validateLogoutResponse(
  input: IncomingSamlMessage,
  options: ValidateLogoutResponseOptions,
): Promise<ValidatedLogoutResponse> {
  const fn = 'validateLogoutResponse';
  const { now, skewMs, maxAgeMs, destinations } = normalizeLogoutOptions(options, fn);
  if ((options as { readonly pendingRequests?: unknown }).pendingRequests !== undefined) {
    throw new TypeError(
      `${fn}: pendingRequests is not an option: validate with inResponseTo, then take the pending request with takePendingLogout`,
    );
  }
  const ways =
    Number(options.inResponseTo !== undefined) + Number(options.skipInResponseToCheck === true);
  if (ways !== 1) {
    throw new TypeError(`${fn}: give exactly one of inResponseTo or skipInResponseToCheck`);
  }
  const { received, trust } = await receiveLogoutMessage(input, options, 'SAMLResponse');
  const root = received.root;
  const response = readResponse(root);
  // SAML profiles §4.4.4.2: the Issuer is the IdP the request went to.
  checkLogoutEnvelope(
    received,
    trust,
    response.issueInstant,
    { now, skewMs, maxAgeMs },
    destinations,
    options,
    'LogoutResponse',
  );

  // SAML core §3.2.2: a response to a request carries its ID in InResponseTo. Nothing is taken
  // here: the caller takes the pending request once this returned (takePendingLogout).
  if (!options.skipInResponseToCheck) {
    checkInResponseTo(
      response.inResponseTo,
      { expected: options.inResponseTo },
      'The LogoutResponse',
    );
  }

  return stripUndefined({
    ...response,
    binding: received.binding,
    relayState: received.relayState,
    signature: received.signature,
  });
}
