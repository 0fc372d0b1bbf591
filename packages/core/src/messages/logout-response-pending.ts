import { describeValue, SamlError } from '../errors.js';
import type { PendingRequest, SamlStore } from '../store/types.js';
import type { ValidatedLogoutResponse } from './logout-response-validation.js';

/**
 * Takes (once) the pending LogoutRequest a validated LogoutResponse answers, and checks that it is
 * a `logout` request sent to the IdP that answered.
 *
 * The rule for one-time state: the validators (`validateResponse`, `validateLogoutResponse`) are
 * pure and never consume a pending request; the caller takes it, and only after the message is
 * verified. So a forged message naming a real pending request leaves that request intact for the
 * genuine answer. Call this with the result of {@link validateLogoutResponse} only; an unsigned
 * response (`allowUnsignedLogout`) decides nothing and takes nothing: this returns undefined for it.
 *
 * @param store - where the pending request was put when the LogoutRequest was sent
 * @param response - what `validateLogoutResponse` returned
 * @returns the pending LogoutRequest, or undefined for an unsigned response
 * @throws SamlError `IN_RESPONSE_TO_MISMATCH` when no pending logout has that ID (expired, answered
 *   already, or a login request), `ISSUER_MISMATCH` when the logout went to another IdP,
 *   `STORE_UNAVAILABLE`
 * @example At the SLO endpoint, after SP-initiated logout
 * ```ts
 * const res = await validateLogoutResponse(input, { sp, idp, now: Date.now(), inResponseTo: claimed });
 * const pending = await takePendingLogout(store, res);
 * ```
 * @see SAML core §3.2.2 (InResponseTo), §3.7.2; SAML profiles §4.4.4.2
 */
export async function takePendingLogout(
  store: Pick<SamlStore, 'takePendingRequest'>,
  response: ValidatedLogoutResponse,
): Promise<PendingRequest | undefined> {
  // Only signed content decides (SAML profiles §4.4.4.2): an unsigned response consumes nothing.
  if (response.signature === undefined) return undefined;
  const irt = response.inResponseTo;
  // SAML core §3.2.2: a response to a request carries its ID in InResponseTo (the validator has
  // checked that it is present).
  const pending = irt === undefined ? undefined : await store.takePendingRequest(irt);
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
  return pending;
}
