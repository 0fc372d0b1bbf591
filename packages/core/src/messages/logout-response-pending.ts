import { describeValue, SamlError } from '../errors.js';
import { type PutBackOptions, takeMatchingRequest } from '../store/take-matching.js';
import type { PendingRequest, SamlStore } from '../store/types.js';
import type { ValidatedLogoutResponse } from './logout-response-validation.js';

/**
 * Takes (once) the pending LogoutRequest a validated LogoutResponse answers — only if it is a
 * `logout` request sent to the IdP that answered.
 *
 * The rule for one-time state: the validators (`validateResponse`, `validateLogoutResponse`) are
 * pure and never consume a pending request; the caller takes it, and only after the message is
 * verified, and only when it is the request that message can answer. So a forged message naming a
 * real pending request, and a genuine message from another trusted IdP naming it, both leave that
 * request intact for the genuine answer. Call this with the result of
 * {@link validateLogoutResponse} only; an unsigned response (`allowUnsignedLogout`) decides
 * nothing and takes nothing: this returns undefined for it.
 *
 * The take is conditional (`store.takePendingRequest(id, { kind: 'logout', idpEntityId })`), so a
 * conforming store never hands over, nor deletes, a request that does not match. With a store that
 * ignores the condition, a mismatching record it handed over is put back until
 * `createdAt + putBack.requestTtlMs` when `putBack` is given (and consumed otherwise).
 *
 * @param store - where the pending request was put when the LogoutRequest was sent
 * @param response - what `validateLogoutResponse` returned
 * @param putBack - the current time and the lifetime pending requests are put with, for stores
 *   without the conditional take
 * @returns the pending LogoutRequest, or undefined for an unsigned response
 * @throws SamlError `IN_RESPONSE_TO_MISMATCH` when no pending logout sent to the responding IdP
 *   has that ID (expired, answered already, a login request, or a logout sent to another IdP —
 *   which is left intact), `STORE_UNAVAILABLE`
 * @example At the SLO endpoint, after SP-initiated logout
 * ```ts
 * const res = await validateLogoutResponse(input, { sp, idp, now: Date.now(), inResponseTo: claimed });
 * const pending = await takePendingLogout(store, res, { now: Date.now(), requestTtlMs: 15 * 60_000 });
 * ```
 * @see SAML core §3.2.2 (InResponseTo), §3.7.2; SAML profiles §4.4.4.2
 */
export async function takePendingLogout(
  store: Pick<SamlStore, 'takePendingRequest'> & Partial<Pick<SamlStore, 'putPendingRequest'>>,
  response: ValidatedLogoutResponse,
  putBack?: PutBackOptions,
): Promise<PendingRequest | undefined> {
  // Only signed content decides (SAML profiles §4.4.4.2): an unsigned response consumes nothing.
  if (response.signature === undefined) return undefined;
  const irt = response.inResponseTo;
  // SAML core §3.2.2: a response to a request carries its ID in InResponseTo (the validator has
  // checked that it is present). SAML profiles §4.4.4.2: the LogoutResponse comes from the IdP
  // the LogoutRequest went to, so only a logout sent to this Issuer is taken.
  const pending =
    irt === undefined
      ? undefined
      : await takeMatchingRequest(
          store,
          irt,
          { kind: 'logout', idpEntityId: response.issuer },
          putBack,
        );
  if (pending === undefined) {
    throw new SamlError(
      'IN_RESPONSE_TO_MISMATCH',
      'The LogoutResponse answers no pending logout.',
      {
        expected: `the ID of a LogoutRequest this SP sent to ${describeValue(response.issuer)} and has not seen answered`,
        found: `InResponseTo=${describeValue(irt)}`,
        hint: 'the logout may have expired, been answered already, been started on another node without a shared store, or have been sent to another IdP (that logout is left intact)',
      },
    );
  }
  return pending;
}
