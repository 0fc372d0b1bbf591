import {
  type IncomingBinding,
  type IncomingSamlMessage,
  type MessageSignatureInfo,
  receiveMessage,
} from '../bindings/incoming.js';
import { describeValue, SamlError } from '../errors.js';
import { checkInResponseTo, checkIssuer } from '../lib/checks.js';
import { checkIssueInstant } from '../lib/message-time.js';
import { stripUndefined } from '../lib/objects.js';
import type { PendingRequest, SamlStore } from '../store/types.js';
import {
  checkLogoutDestination,
  idpKeys,
  type LogoutValidationOptions,
  normalizeLogoutOptions,
} from './logout-common.js';
import { type LogoutResponse, readResponse } from './logout-response.js';

/** Options of {@link validateLogoutResponse}: exactly one way of checking InResponseTo. */
export interface ValidateLogoutResponseOptions extends LogoutValidationOptions {
  /**
   * The store holding pending requests (`putPendingRequest` when the LogoutRequest was sent).
   * The pending request named by InResponseTo is taken (once) and must be a `logout` request sent
   * to this IdP. This is how any node of a cluster can finish a logout another node began.
   */
  readonly pendingRequests?: Pick<SamlStore, 'takePendingRequest'>;
  /** Alternatively, the outstanding LogoutRequest ID(s) the caller took from its own state. */
  readonly inResponseTo?: string | readonly string[];
  /** **Diagnostics only.** Report InResponseTo without checking it. */
  readonly skipInResponseToCheck?: boolean;
}

/** A LogoutResponse that passed every check. Its status may still say the logout failed. */
export interface ValidatedLogoutResponse extends LogoutResponse {
  readonly binding: IncomingBinding;
  readonly relayState?: string;
  readonly signature?: MessageSignatureInfo;
  /** The pending LogoutRequest taken from `pendingRequests` (signed responses only). */
  readonly pendingRequest?: PendingRequest;
}

/**
 * Validates the LogoutResponse that answers a LogoutRequest the SP sent, on any binding.
 *
 * Checks, in order: decoding per binding; every signature present against the IdP's configured
 * keys only, and that it is signed (unless `allowUnsignedLogout`, Redirect only); root, Version,
 * ID; Issuer equals the IdP; Destination is one of the SP's SLO URLs (required when signed on a
 * front-channel binding); IssueInstant within `maxAgeMs`; InResponseTo names the pending request
 * (taken once from `pendingRequests`, which must be a `logout` request to this IdP), or one of
 * `inResponseTo`. A non-Success status is **returned**, not thrown: the local session is ended
 * either way, and the status says whether the IdP ended the others (`status.partial`).
 *
 * Only signed content decides: an unsigned LogoutResponse (accepted on the Redirect binding only
 * with `allowUnsignedLogout`) takes no pending request and comes back without `signature`; its
 * Status may then explain a failure but must never be taken as a confirmed logout.
 *
 * @param input - the message as received, per binding
 * @param options - SP and IdP configuration, `now`, the pending-request store or IDs, policy
 * @returns the validated response with its status and the pending request
 * @throws SamlError `BINDING_INVALID`, `SOAP_FAULT`, `XML_*`, `BASE64_INVALID`, `INFLATE_*`,
 *   `SIGNATURE_*`, `MESSAGE_VERSION_UNSUPPORTED`, `ISSUER_MISMATCH`, `DESTINATION_MISMATCH`,
 *   `NOT_YET_VALID`, `EXPIRED`, `IN_RESPONSE_TO_MISMATCH`, `UNSOLICITED_RESPONSE`,
 *   `CONFIG_INVALID`; TypeError for malformed options
 * @example At the SLO endpoint, after SP-initiated logout
 * ```ts
 * const res = await validateLogoutResponse(
 *   { binding: 'redirect', query: new URL(req.url).search },
 *   { sp, idp, now: Date.now(), pendingRequests: store },
 * );
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
  const ways =
    Number(options.pendingRequests !== undefined) +
    Number(options.inResponseTo !== undefined) +
    Number(options.skipInResponseToCheck === true);
  if (ways !== 1) {
    throw new TypeError(
      `${fn}: give exactly one of pendingRequests, inResponseTo or skipInResponseToCheck`,
    );
  }
  const trust = idpKeys(options.idp);
  const received = await receiveMessage(input, {
    type: 'SAMLResponse',
    keys: trust.keys,
    allowSha1: options.allowSha1 ?? false,
    allowUnsignedRedirect: options.allowUnsignedLogout ?? false,
    what: 'LogoutResponse',
    ...(options.crypto ? { crypto: options.crypto } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.redirect ? { redirect: options.redirect } : {}),
  });
  const root = received.root;
  const response = readResponse(root);
  checkIssuer(root, trust.resolved().entityId, true);
  checkLogoutDestination(
    root,
    received.binding,
    received.signature !== undefined,
    destinations,
    options.skipDestinationCheck,
  );
  checkIssueInstant(response.issueInstant, now, skewMs, maxAgeMs, 'LogoutResponse');

  let pendingRequest: PendingRequest | undefined;
  if (options.pendingRequests && received.signature === undefined) {
    // An unsigned LogoutResponse (allowUnsignedLogout) decides nothing: its InResponseTo must be
    // present, but consumes no pending request (anyone could have sent it), and its Status is
    // reported without `signature`, so it never confirms a logout.
    const irt = response.inResponseTo;
    checkInResponseTo(irt, { expected: irt === undefined ? [] : [irt] }, 'The LogoutResponse');
  } else if (options.pendingRequests) {
    const irt = response.inResponseTo;
    // SAML core §3.2.2: a response to a request carries its ID in InResponseTo. Taken only now,
    // after the signature and every other check passed (a forged response consumes nothing).
    checkInResponseTo(irt, { expected: irt === undefined ? [] : [irt] }, 'The LogoutResponse');
    const pending = await options.pendingRequests.takePendingRequest(irt!);
    if (pending?.kind !== 'logout') {
      throw new SamlError(
        'IN_RESPONSE_TO_MISMATCH',
        'The LogoutResponse answers no pending logout.',
        {
          expected: 'the ID of a LogoutRequest this SP sent and has not seen answered',
          found: `InResponseTo=${describeValue(irt)}${pending ? ` (a pending ${pending.kind} request)` : ''}`,
          hint: 'the logout may have expired, been answered already, or been started on another node without a shared store',
        },
      );
    }
    if (pending.idpEntityId !== response.issuer) {
      throw new SamlError(
        'ISSUER_MISMATCH',
        'The LogoutResponse comes from another IdP than the request went to.',
        {
          expected: describeValue(pending.idpEntityId),
          found: describeValue(response.issuer),
        },
      );
    }
    pendingRequest = pending;
  } else if (!options.skipInResponseToCheck) {
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
    pendingRequest,
  });
}
