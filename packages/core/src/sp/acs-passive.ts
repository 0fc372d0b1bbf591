// IsPassive at the ACS: an IdP that cannot sign the user in without interaction answers a passive
// AuthnRequest with status Responder / NoPassive (SAML core §3.4.1, §3.2.2.2). That is an answer,
// not a failure: the browser returns to the application, which learns that nobody is signed in.

import { describeValue, SamlError } from '../errors.js';
import { checkDestination, checkIssuer, checkVersion } from '../lib/checks.js';
import { checkIssueInstant, DEFAULT_MAX_MESSAGE_AGE_MS } from '../lib/message-time.js';
import { parseStatus } from '../lib/status.js';
import { attr, childElements, NS, parseDateTime, requiredAttr } from '../lib/xml.js';
import { verifyElementSignature } from '../signature/verify.js';
import { takeMatchingRequest } from '../store/take-matching.js';
import { type AcsReceived, verifyBindingSignature } from './acs-receive.js';
import type { EffectivePolicy } from './idp-policy.js';
import { FINISH_ID_PREFIX } from './login-binding.js';
import type { IdpChoice, Settings } from './settings.js';
import type { AcsFinishStep } from './types.js';

/** SAML core §3.2.2.2: the top-level code of a request the responder could not carry out. */
export const STATUS_RESPONDER = 'urn:oasis:names:tc:SAML:2.0:status:Responder';
/** SAML core §3.2.2.2: the second-level code of a passive request that needs interaction. */
export const STATUS_NO_PASSIVE = 'urn:oasis:names:tc:SAML:2.0:status:NoPassive';

/**
 * The query parameter the ACS adds to the return address when an IsPassive login
 * (`login({ isPassive: true })`, `?isPassive=1`) ended with nobody signed in: the IdP answered
 * NoPassive (SAML core §3.4.1). Its value is `none`; no session was created or changed.
 * @example Trying a silent sign-in once, then showing the page signed out
 * ```ts
 * const url = new URL(request.url);
 * if (!(await saml.getSession(request)) && url.searchParams.get(PASSIVE_MARKER) !== 'none') {
 *   return saml.login(request, { isPassive: true, returnTo: url.pathname + url.search });
 * }
 * ```
 */
export const PASSIVE_MARKER = 'samlkit_passive';

/**
 * Whether a chain of status codes (top level first) is the NoPassive answer: top-level Responder
 * with the second-level NoPassive (SAML core §3.2.2.2, §3.4.1 IsPassive).
 * @internal
 */
export function isNoPassiveStatus(codes: readonly string[]): boolean {
  return codes[0] === STATUS_RESPONDER && codes[1] === STATUS_NO_PASSIVE;
}

/**
 * `path` (a same-origin path with an optional query) with `samlkit_passive=none` set in its query:
 * any value of that parameter already there is replaced, every other parameter is kept.
 * @internal
 */
export function withPassiveMarker(path: string): string {
  const hash = path.indexOf('#');
  const beforeHash = hash === -1 ? path : path.slice(0, hash);
  const fragment = hash === -1 ? '' : path.slice(hash);
  const q = beforeHash.indexOf('?');
  const pathname = q === -1 ? beforeHash : beforeHash.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : beforeHash.slice(q + 1));
  query.delete(PASSIVE_MARKER);
  query.append(PASSIVE_MARKER, 'none');
  return `${pathname}?${query.toString()}${fragment}`;
}

/**
 * Whether the (not yet verified) Response says NoPassive. It only routes the message to
 * {@link answerNoPassive}, which decides nothing before the signature checks.
 * @internal
 */
export function saysNoPassive(doc: Document): boolean {
  const root = doc.documentElement;
  if (childElements(root, NS.samlp, 'Status').length === 0) return false;
  try {
    return isNoPassiveStatus(parseStatus(root).codes);
  } catch {
    return false; // A malformed Status: the ordinary checks report it.
  }
}

/**
 * Answers a NoPassive Response. The rule is that a value decides something only if a verified
 * signature covers it:
 * - signed (an enveloped signature on the Response by the IdP's key, or a SimpleSign form or
 *   signed ArtifactResponse covering it): Version, IssueInstant, Issuer, Destination and
 *   InResponseTo are checked, the pending login it names is taken (once) only if it is a login
 *   sent to this IdP (a login sent to another IdP is left intact), and must be passive with this
 *   RelayState; the browser goes to that login's return address
 *   with `samlkit_passive=none`;
 * - unsigned: nothing in it is believed and the store is not touched (no pending login is taken
 *   or changed: a forged NoPassive cannot end anyone's login); the browser goes to
 *   `defaultReturnTo` with `samlkit_passive=none`, signed out as before.
 * No session is created or ended either way.
 * @throws SamlError `SIGNATURE_*` (a signature that is present but does not verify),
 *   `ISSUER_MISMATCH` (not this IdP's Issuer), `DESTINATION_MISMATCH`, `IN_RESPONSE_TO_MISMATCH`
 *   (no pending login sent to this IdP has that ID), `RELAY_STATE_INVALID`,
 *   `NOT_YET_VALID`, `EXPIRED`, `STATUS_NOT_SUCCESS` (NoPassive for a login that was not passive)
 * @internal
 */
export async function answerNoPassive(
  s: Settings,
  received: AcsReceived,
  doc: Document,
  choice: IdpChoice,
  policy: EffectivePolicy,
): Promise<AcsFinishStep> {
  const root = doc.documentElement;
  const signed = await s.directory.withRollover(choice, async (idp) => {
    const binding = await verifyBindingSignature(s, received, idp, policy.allowSha1);
    // XML-DSig core §3.2, SAML core §5.4: a Signature that is a child of the Response covers it;
    // one that is present must verify with the IdP's configured keys.
    const xml = await verifyElementSignature(root, {
      keys: idp.signingKeys,
      allowSha1: policy.allowSha1,
      ...(s.crypto !== undefined && { crypto: s.crypto }),
    });
    return xml !== null || binding !== undefined;
  });
  if (!signed) {
    s.logger.warn('acs: unsigned NoPassive answer: not signed in, no login state touched', {
      code: 'STATUS_NOT_SUCCESS',
    });
    return { step: 'finish', redirectTo: withPassiveMarker(s.defaultReturnTo), passive: true };
  }
  const now = s.now();
  // SAML core §3.2.2: Version, ID, IssueInstant; the signed Response is for this ACS
  // (bindings §3.5.5.2) and comes from this IdP.
  checkVersion(root);
  requiredAttr(root, 'ID');
  const issued = parseDateTime(requiredAttr(root, 'IssueInstant'), 'Response IssueInstant');
  checkIssueInstant(issued, now, policy.clockSkewMs, DEFAULT_MAX_MESSAGE_AGE_MS, 'Response');
  const issuer = checkIssuer(root, choice.idp.entityId, true)!;
  checkDestination(root, s.acsUrls, true);
  const irt = attr(root, 'InResponseTo');
  if (irt === undefined) {
    throw new SamlError('IN_RESPONSE_TO_MISMATCH', 'The NoPassive answer names no request.', {
      expected: 'InResponseTo naming the passive login this SP started (SAML core §3.2.2)',
      found: 'none',
      hint: 'NoPassive only answers an AuthnRequest with IsPassive="true"',
    });
  }
  // Signed and for us: the login it answers is over (take-once across nodes) — but only a login
  // sent to this IdP (SAML profiles §4.1.4.2: the answer comes from the IdP the request went to);
  // another trusted IdP's NoPassive naming it leaves it intact (store/take-matching.ts). A finish
  // code's record is never an answer's to name.
  const pending = irt.startsWith(FINISH_ID_PREFIX)
    ? undefined
    : await takeMatchingRequest(
        s.store,
        irt,
        { kind: 'authn', idpEntityId: issuer },
        { now, requestTtlMs: s.requestTtlMs },
      );
  if (pending === undefined || pending.data?.finish !== undefined) {
    throw new SamlError('IN_RESPONSE_TO_MISMATCH', 'The NoPassive answer names no pending login.', {
      expected: `InResponseTo naming a passive login this SP started at ${describeValue(issuer)} and has not yet completed`,
      found: `InResponseTo ${describeValue(irt)}`,
      hint: 'the login expired (requestTtlMs), was already answered, or was sent to another IdP (that login is left intact)',
    });
  }
  if (received.relayState !== undefined && received.relayState !== pending.relayState) {
    throw new SamlError('RELAY_STATE_INVALID', 'The RelayState does not match the login.', {
      expected: 'the RelayState sent with the AuthnRequest',
      found: describeValue(received.relayState),
      hint: 'the IdP must return RelayState unchanged (SAML bindings §3.4.3, §3.5.3)',
    });
  }
  if (pending.isPassive !== true) {
    // SAML core §3.4.1: NoPassive answers IsPassive="true"; to any other login it is a refusal.
    throw new SamlError(
      'STATUS_NOT_SUCCESS',
      'The IdP answered with a Response that is not a success.',
      {
        expected: 'urn:oasis:names:tc:SAML:2.0:status:Success',
        found: 'Responder / NoPassive, to a login that did not ask for IsPassive',
        hint: 'the IdP claims it could not sign the user in without interaction; check the IdP logs',
        statusCodes: [STATUS_RESPONDER, STATUS_NO_PASSIVE],
      },
    );
  }
  s.logger.info?.('login: passive, nobody signed in', { issuer });
  return {
    step: 'finish',
    redirectTo: withPassiveMarker(pending.returnTo ?? s.defaultReturnTo),
    passive: true,
  };
}
