import type {
  IncomingBinding,
  IncomingSamlMessage,
  MessageSignatureInfo,
} from '../bindings/incoming.js';
import { describeValue, SamlError } from '../errors.js';
import { type NameId, readSubjectNameId } from '../lib/assertion.js';
import { decryptorFor } from '../lib/decryption-keys.js';
import { stripUndefined } from '../lib/objects.js';
import { formatDateTime } from '../lib/xml.js';
import type { ReplayCache } from '../store/types.js';
import {
  checkLogoutEnvelope,
  type LogoutValidationOptions,
  normalizeLogoutOptions,
  receiveLogoutMessage,
} from './logout-common.js';
import { assertLogoutRequestRoot, readRequestFields } from './logout-request.js';

/** Options of {@link validateLogoutRequest}. */
export interface ValidateLogoutRequestOptions extends LogoutValidationOptions {
  /**
   * The replay cache (the samlkit store fits). The key `logout-request:<issuer>:<ID>` is remembered
   * until the request can no longer be accepted; a second delivery is `REPLAY_DETECTED`.
   */
  readonly replayCache?: ReplayCache;
}

/** A LogoutRequest that passed every check. */
export interface ValidatedLogoutRequest {
  /** The binding it arrived on (a POST form with SigAlg/Signature is `simpleSign`). */
  readonly binding: IncomingBinding;
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
  const { received, trust } = await receiveLogoutMessage(input, options, 'SAMLRequest');
  const root = received.root;
  assertLogoutRequestRoot(root);
  const fields = readRequestFields(root);
  // SAML profiles §4.4.4.1: the Issuer is the IdP that sent the request.
  const destination = checkLogoutEnvelope(
    received,
    trust,
    fields.issueInstant,
    { now, skewMs, maxAgeMs },
    destinations,
    options,
    'LogoutRequest',
  );
  // SAML core §3.7.1: NotOnOrAfter is when the request expires.
  if (fields.notOnOrAfter !== undefined && now - skewMs >= fields.notOnOrAfter) {
    throw new SamlError('EXPIRED', 'The LogoutRequest has expired.', {
      expected: `now (${formatDateTime(now)}) before NotOnOrAfter plus the clock skew of ${skewMs / 1000}s`,
      found: `NotOnOrAfter ${formatDateTime(fields.notOnOrAfter)}`,
      hint: 'the logout message was delivered late or replayed; clocks may be out of sync',
    });
  }
  const nameId = await readSubjectNameId(
    root,
    decryptorFor(sp.decryptionKeys, options, () => ({
      message: 'The LogoutRequest has an encrypted NameID.',
      expected: 'sp.decryptionKeys with the SP private key it was encrypted to',
      hint: 'configure the SP private key matching the encryption certificate in SP metadata',
    })),
  );
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
