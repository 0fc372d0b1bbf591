import { describeValue, SamlError } from '../errors.js';
import { checkAuthnContext } from '../lib/assertion.js';
import { trimXmlSpace } from '../lib/checks.js';
import { attr, childElements, isElement, NS, parseXml, textOf } from '../lib/xml.js';
import { validateResponseDocument } from '../messages/response.js';
import type { ValidateResponseOptions } from '../messages/response-types.js';
import { createSessionId } from '../store/session-id.js';
import { takeMatchingRequest } from '../store/take-matching.js';
import type { PendingRequest } from '../store/types.js';
import { artifactIssuer, resolveAtAcs } from './acs-artifact.js';
import { type FinishData, finishKey, returnToOfResponse } from './acs-finish.js';
import { answerNoPassive, saysNoPassive } from './acs-passive.js';
import { receiveAtAcs, verifyBindingSignature } from './acs-receive.js';
import { checkScopedUserId } from './identity.js';
import { mapAttributes } from './idp-policy.js';
import { noteIdp } from './log.js';
import { FINISH_ID_PREFIX, FINISH_TTL_MS } from './login-binding.js';
import { checkScopedAttributes } from './scoped-attributes.js';
import { policyFor, returnPath, type Settings } from './settings.js';
import type { AcsFinishStep, SamlProfile } from './types.js';

export {
  finishCodeOf,
  finishLogin,
  notifyLogout,
  returnToOfFailedResponse,
} from './acs-finish.js';

/**
 * Reads, without trusting them, the values needed to choose whose keys verify the Response: the
 * Issuer, and every InResponseTo it claims (the Response's and, for a plaintext assertion, the
 * bearer confirmations'). They only narrow what validateResponse may accept; whether the Response
 * answers a request is decided from signed content alone, and nothing is taken from the store
 * until the signatures and every check have passed.
 */
function peek(doc: Document): { inResponseTo: string[]; issuer: string | undefined } {
  const root = doc.documentElement;
  if (!isElement(root, NS.samlp, 'Response')) {
    throw new SamlError('XML_UNEXPECTED_ELEMENT', 'The message is not a SAML Response.', {
      expected: `<samlp:Response> (namespace ${NS.samlp})`,
      found: `<${root.nodeName}>`,
      hint: 'logout messages go to the SLO endpoint, not the ACS',
    });
  }
  const assertion = childElements(root, NS.saml, 'Assertion')[0];
  const issuerEl =
    childElements(root, NS.saml, 'Issuer')[0] ??
    childElements(assertion ?? root, NS.saml, 'Issuer')[0];
  const claimed = new Set<string>();
  const irt = attr(root, 'InResponseTo');
  if (irt !== undefined) claimed.add(irt);
  for (const subject of assertion ? childElements(assertion, NS.saml, 'Subject') : []) {
    for (const c of childElements(subject, NS.saml, 'SubjectConfirmation')) {
      for (const d of childElements(c, NS.saml, 'SubjectConfirmationData')) {
        const v = attr(d, 'InResponseTo');
        if (v !== undefined) claimed.add(v);
      }
    }
  }
  return {
    // Never a finish record's ID: an IdP that echoes any ID must not reach one.
    inResponseTo: [...claimed].filter((v) => !v.startsWith(FINISH_ID_PREFIX)),
    issuer: issuerEl ? trimXmlSpace(textOf(issuerEl)) : undefined,
  };
}

/**
 * The ACS step (the IdP's cross-site POST, or its Redirect-binding GET), without cookies: find and
 * take the pending request named by InResponseTo (the store, not a cookie, carries it — the IdP's
 * cross-site POST brings no Lax cookie), validate the Response against it (signature, conditions,
 * replay), and park the validated login under a one-time finish code. No session is created here:
 * that happens in {@link finishLogin}, on the same-site GET where the login cookie arrives.
 * @internal
 */
export async function receiveResponse(s: Settings, request: Request): Promise<AcsFinishStep> {
  let received = await receiveAtAcs(s, request);
  // HTTP-Artifact (SAML bindings §3.6): the artifact's SourceID names the IdP to ask.
  const artifactChoice =
    received.artifact !== undefined
      ? await s.directory.forMessage(await artifactIssuer(s, received.artifact))
      : undefined;
  if (artifactChoice) {
    received = await resolveAtAcs(s, received, artifactChoice, policyFor(s, artifactChoice));
  }
  // One parse per request: peek reads the document that is then validated. Only a retry after a
  // metadata refresh (the IdP rolled its key; rare) parses the message again, so that no attempt
  // can see what an earlier one did with the document.
  let parsed: Document | undefined = parseXml(received.xml.trim());
  const { inResponseTo: claimed, issuer: claimedIssuer } = peek(parsed);
  noteIdp(request, claimedIssuer);
  const parseOnce = (): Document => {
    const doc = parsed ?? parseXml(received.xml.trim());
    parsed = undefined;
    return doc;
  };

  const choice = artifactChoice ?? (await s.directory.forMessage(claimedIssuer));
  const idpKey = choice.key;
  // The policy of this IdP (its own fields over the SP options): per-IdP relaxations stay per IdP.
  const policy = policyFor(s, choice);
  // IsPassive answered NoPassive: "not signed in", never an error page (acs-passive.ts).
  if (parsed && saysNoPassive(parsed)) {
    return answerNoPassive(s, received, parsed, choice, policy);
  }
  const now = s.now();
  // Nothing one-time is consumed before the signature checks: validateResponse verifies the
  // signatures and every condition with the claimed request IDs as the only acceptable ones
  // (without writing the replay cache); only then is the pending request the *signed* content
  // names taken (take-once: exactly one winner), and the replay cache written last. A forged
  // Response naming a real pending login's ID therefore leaves that login intact. With a
  // metadata source, a signature by an unknown key triggers one refresh and retry (the IdP rolled
  // its certificate): nothing has been consumed, so the retry is safe.
  const result = await s.directory.withRollover(choice, async (idp) => {
    // A signed query or SimpleSign form must verify (SAML bindings §3.4.4.1, SimpleSign §2.5)
    // before anything in the message is used, besides the XML signature.
    const bindingSignature = await verifyBindingSignature(s, received, idp, policy.allowSha1);
    const validate = (o: ValidateResponseOptions) =>
      validateResponseDocument(parseOnce, o, bindingSignature);
    return validate({
      sp: { entityId: s.sp.entityId, acsUrl: s.acsUrls },
      idp: { entityId: idp.entityId, signingKeys: idp.signingKeys },
      now,
      clockSkewMs: policy.clockSkewMs,
      inResponseTo: claimed,
      allowUnsolicited: policy.allowUnsolicited,
      allowSha1: policy.allowSha1,
      ...(policy.userIdAttribute ? { userIdAttribute: policy.userIdAttribute } : {}),
      decryptionKeys: (s.sp.decryptionKeys ?? []).map((k) => k.privateKey),
      requireEncryption: policy.requireEncryption,
      requireAssertionSignature: policy.requireAssertionSignature,
      requireResponseSignature: policy.requireResponseSignature,
      ...(s.crypto ? { crypto: s.crypto } : {}),
    });
  });

  // A subject-id / pairwise-id user id must carry a scope the IdP's metadata grants it.
  checkScopedUserId(choice.idp, policy.userIdAttribute, result.userId);
  // Scoped attribute values must carry a scope the IdP's metadata grants it (dropped or refused).
  const scoped = checkScopedAttributes(
    result,
    choice.idp,
    policy.scopedAttributes,
    policy.userIdAttribute,
    (m, d) => s.logger.warn(m, d),
  );

  let pending: PendingRequest | undefined;
  if (result.inResponseTo !== undefined) {
    // Signed and valid: now take the request it answers (take-once across nodes), and only if it
    // is a login sent to the IdP that signed this Response (SAML profiles §4.1.4.2/§4.1.4.3: the
    // response comes from the IdP the request went to). A Response from any other trusted IdP
    // naming it leaves it intact for the genuine answer (store/take-matching.ts).
    pending = await takeMatchingRequest(
      s.store,
      result.inResponseTo,
      { kind: 'authn', idpEntityId: result.issuer },
      { now, requestTtlMs: s.requestTtlMs },
    );
    // From here on the login is spent if anything fails: the error page offers a fresh login to
    // where this one was going (a re-post of this Response could only be refused).
    if (pending?.returnTo !== undefined) returnToOfResponse.set(request, pending.returnTo);
    if (pending === undefined || pending.data?.finish !== undefined) {
      throw new SamlError('IN_RESPONSE_TO_MISMATCH', 'The Response answers no pending login.', {
        expected: `InResponseTo naming a login this SP started at ${describeValue(result.issuer)} and has not yet completed`,
        found: `InResponseTo ${describeValue(result.inResponseTo)}`,
        hint: 'the login expired (requestTtlMs), was already completed (back button, double submit), was started on a node that does not share this store, or was sent to another IdP (that login is left intact)',
      });
    }
    // RelayState is opaque: it must come back exactly as sent, and is never followed.
    if (received.relayState !== undefined && received.relayState !== pending.relayState) {
      throw new SamlError('RELAY_STATE_INVALID', 'The RelayState does not match the login.', {
        expected: 'the RelayState sent with the AuthnRequest',
        found: describeValue(received.relayState),
        hint: 'the IdP must return RelayState unchanged (SAML bindings §3.4.3, §3.5.3)',
      });
    }
    const requested = pending.requestedAuthnContext;
    // An exact comparison (SAML's default) means the class used must be one requested; for
    // minimum/better/maximum the ordering is the IdP's, so the application checks the class itself.
    if (requested && (requested.comparison ?? 'exact') === 'exact') {
      checkAuthnContext(result.authn, requested.classRefs);
    }
  }
  // Replay (SAML profiles §4.1.4.5): written only now, after the signatures and every check.
  if (!(await s.store.rememberOnce(result.replay.key, result.replay.expiresAt))) {
    throw new SamlError('REPLAY_DETECTED', 'This assertion was already used.', {
      expected: 'an assertion seen for the first time',
      found: `assertion ${describeValue(result.assertionId)} from ${describeValue(result.issuer)}, already accepted`,
      hint: 'a captured response was posted again (or the browser re-submitted the form); start a new login',
    });
  }

  const profile: SamlProfile = {
    issuer: result.issuer,
    idpKey,
    userId: result.userId,
    ...(result.nameId ? { nameId: result.nameId } : {}),
    ...(result.sessionIndex !== undefined ? { sessionIndex: result.sessionIndex } : {}),
    ...(result.authn ? { authnInstant: result.authn.authnInstant } : {}),
    ...(result.authn?.authnContextClassRef
      ? { authnContextClassRef: result.authn.authnContextClassRef }
      : {}),
    ...(result.authn?.sessionNotOnOrAfter !== undefined
      ? { sessionNotOnOrAfter: result.authn.sessionNotOnOrAfter }
      : {}),
    attributes: mapAttributes(scoped.attributes, policy.attributeMap),
    attributeList: scoped.attributeList,
    assertionId: result.assertionId,
    ...(result.inResponseTo !== undefined ? { inResponseTo: result.inResponseTo } : {}),
  };

  // An IdP-initiated login may name the page to land on in RelayState (opt-in per IdP): only a
  // same-origin path that passes the returnTo checks is followed (SAML bindings §3.4.3 leaves
  // RelayState's meaning to the profile; profiles §4.1.5 for unsolicited responses).
  let deepLink: string | undefined;
  if (pending === undefined && policy.relayStateDeepLinks && received.relayState !== undefined) {
    deepLink = returnPath(s, received.relayState);
    if (deepLink === undefined) {
      s.logger.warn('acs: unsafe RelayState of an IdP-initiated login replaced by the default', {
        code: 'RETURN_TO_UNSAFE',
        found: received.relayState.slice(0, 200),
      });
    }
  }

  // Park the validated login under an unguessable one-time code; the browser that started the
  // login (the one holding its nonce) redeems it on a same-site GET.
  const code = createSessionId(s.crypto);
  const finish: FinishData = {
    profile,
    solicited: pending !== undefined,
    reauthn: pending?.forceAuthn === true || pending?.requestedAuthnContext !== undefined,
  };
  // A login bound to a browser is parked under a key that includes its nonce's hash: only the
  // browser holding the nonce can name it, so nobody else who sees the finish URL can spend it.
  const key = finishKey(code, pending?.browserBindingHash);
  await s.store.putPendingRequest(
    key,
    {
      id: key,
      kind: 'authn',
      createdAt: now,
      idpEntityId: profile.issuer,
      returnTo: pending?.returnTo ?? deepLink ?? s.defaultReturnTo,
      ...(pending?.sessionId !== undefined ? { sessionId: pending.sessionId } : {}),
      ...(pending?.browserBindingHash !== undefined
        ? { browserBindingHash: pending.browserBindingHash }
        : {}),
      // Plain JSON values already (strings, finite numbers, booleans, arrays, objects): a store
      // serialises the record once itself (docs/stores.md), without a copy made here first.
      data: { finish },
    },
    now + Math.min(FINISH_TTL_MS, s.requestTtlMs),
  );
  return { step: 'finish', redirectTo: `${s.paths.acs}?finish=${code}` };
}
