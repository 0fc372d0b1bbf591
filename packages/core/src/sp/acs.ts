import { describeValue, SamlError } from '../errors.js';
import { checkAuthnContext } from '../lib/assertion.js';
import { trimXmlSpace } from '../lib/checks.js';
import { attr, childElements, isElement, NS, parseXml, textOf } from '../lib/xml.js';
import { validateResponseDocument } from '../messages/response.js';
import type { ValidateResponseOptions } from '../messages/response-types.js';
import { createSessionId } from '../store/session-id.js';
import type { PendingRequest, SessionRecord } from '../store/types.js';
import { artifactIssuer, resolveAtAcs } from './acs-artifact.js';
import { answerNoPassive, saysNoPassive } from './acs-passive.js';
import { receiveAtAcs, verifyBindingSignature } from './acs-receive.js';
import { checkScopedUserId } from './identity.js';
import { sessionExpiry } from './idle.js';
import { mapAttributes } from './idp-policy.js';
import { noteIdp } from './log.js';
import {
  FINISH_ID_PREFIX,
  FINISH_TTL_MS,
  heldNonces,
  isFinishCode,
  loginCookieSettings,
  loginCookieWithout,
} from './login-binding.js';
import { policyFor, returnPath, type Settings } from './settings.js';
import type { AcsFinishStep, AcsResult, LogoutReason, SamlProfile } from './types.js';

/** Where a failed ACS step's login was going, once its pending (or finish) record was taken. */
const returnToOfResponse = new WeakMap<Request, string>();

/**
 * The return address of the login the ACS request `request` answered, when the pending request
 * was taken before the request failed (else undefined: the error page's fresh login then goes to
 * `defaultReturnTo`).
 * @internal
 */
export function returnToOfFailedResponse(request: Request): string | undefined {
  return returnToOfResponse.get(request);
}

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

/** Runs `onLogout` for a session that ended, logging (never throwing) its failures. @internal */
export async function notifyLogout(
  s: Settings,
  session: SessionRecord,
  request: Request,
  reason: LogoutReason,
): Promise<void> {
  if (!s.options.onLogout) return;
  try {
    await s.options.onLogout(session, { request, now: s.now(), reason });
  } catch (err) {
    s.logger.error('onLogout failed', { error: String(err), sessionId: session.id.slice(0, 6) });
  }
}

/** What the ACS parks under a finish code: the validated login, waiting for its browser. */
interface FinishData {
  readonly profile: SamlProfile;
  /** Whether the login answered a request this SP sent (and so must be bound to a browser). */
  readonly solicited: boolean;
  /** ForceAuthn or a requested context: a step-up when started from a session of this user. */
  readonly reauthn: boolean;
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

  let pending: PendingRequest | undefined;
  if (result.inResponseTo !== undefined) {
    // Signed and valid: now take the request it answers (take-once across nodes).
    pending = await s.store.takePendingRequest(result.inResponseTo);
    // From here on the login is spent if anything fails: the error page offers a fresh login to
    // where this one was going (a re-post of this Response could only be refused).
    if (pending?.returnTo !== undefined) returnToOfResponse.set(request, pending.returnTo);
    if (pending?.kind !== 'authn' || pending.data?.finish !== undefined) {
      throw new SamlError('IN_RESPONSE_TO_MISMATCH', 'The Response answers no pending login.', {
        expected: 'InResponseTo naming a login this SP started and has not yet completed',
        found: `InResponseTo ${describeValue(result.inResponseTo)}`,
        hint: 'the login expired (requestTtlMs), was already completed (back button, double submit), or was started on a node that does not share this store',
      });
    }
    // SAML profiles §4.1.4.2/§4.1.4.3: the response must come from the IdP the request went to.
    if (pending.idpEntityId !== undefined && pending.idpEntityId !== result.issuer) {
      throw new SamlError(
        'ISSUER_MISMATCH',
        'The message comes from another IdP than the request went to.',
        {
          expected: `Issuer ${describeValue(pending.idpEntityId)}`,
          found: describeValue(result.issuer),
          hint: 'a response from one customer’s IdP cannot complete a login started at another’s',
        },
      );
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
    attributes: mapAttributes(result.attributes, policy.attributeMap),
    attributeList: result.attributeList,
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
      data: { finish: JSON.parse(JSON.stringify(finish)) as Record<string, unknown> },
    },
    now + Math.min(FINISH_TTL_MS, s.requestTtlMs),
  );
  return { step: 'finish', redirectTo: `${s.paths.acs}?finish=${code}` };
}

/** Where the finish record of `code` lives: bound to a nonce hash, or (IdP-initiated) to none. */
function finishKey(code: string, bindingHash: string | undefined): string {
  return bindingHash === undefined
    ? `${FINISH_ID_PREFIX}${code}`
    : `${FINISH_ID_PREFIX}${code}:${bindingHash}`;
}

/** The finish code of a finish-step request (`GET <acs>?finish=<code>`), else undefined. @internal */
export function finishCodeOf(request: Request): string | undefined {
  if (request.method !== 'GET') return undefined;
  const q = new URL(request.url).searchParams;
  return q.has('finish') && !q.has('SAMLResponse') ? (q.get('finish') ?? '') : undefined;
}

function bindingMismatch(found: string): SamlError {
  return new SamlError('LOGIN_BINDING_MISMATCH', 'The login cannot be finished here.', {
    expected: 'the finish code of a validated login that has not been finished yet',
    found,
    hint: 'the finish link was used twice, expired (5 minutes), or came from a login on another node that does not share this store',
  });
}

/**
 * The finish step (the same-site GET the ACS redirected to, where Lax cookies arrive): take the
 * parked login (once), check that this browser holds the login cookie's nonce (SP-initiated
 * logins only; IdP-initiated ones are bound to nothing), ask `onLogin`, then create a session
 * (new ID: no fixation) or, for a step-up by the same user, upgrade the session the request was
 * started from.
 * @internal
 */
export async function finishLogin(
  s: Settings,
  request: Request,
  code: string,
  cookieSession: SessionRecord | undefined,
): Promise<AcsResult> {
  if (!isFinishCode(code)) throw bindingMismatch('a malformed finish code');
  // Check the nonce and take the code in one atomic step: the record is keyed by the hash of the
  // nonce of the browser that started the login, and takePendingRequest is take-once. A browser
  // without that nonce finds nothing and leaves the login intact for its owner.
  const held = await heldNonces(s, request);
  let record: PendingRequest | undefined;
  let matched = -1;
  for (let i = 0; i < held.hashes.length && !record; i++) {
    record = await s.store.takePendingRequest(finishKey(code, held.hashes[i]));
    if (record) matched = i;
  }
  // An IdP-initiated login is bound to no browser (nor is one parked by an older version).
  record ??= await s.store.takePendingRequest(finishKey(code, undefined));
  // Spent now: if anything below fails, the error page's fresh login goes where this one was going.
  if (record?.returnTo !== undefined) returnToOfResponse.set(request, record.returnTo);
  const finish = record?.data?.finish as FinishData | undefined;
  if (record?.kind !== 'authn' || !finish?.profile) {
    throw new SamlError('LOGIN_BINDING_MISMATCH', 'The login cannot be finished in this browser.', {
      expected: `the finish code of a validated login started in this browser (its ${loginCookieSettings(s).name} cookie)`,
      found:
        held.nonces.length === 0
          ? 'an unknown, expired or used finish code, or one for a login started elsewhere (this browser holds no login cookie)'
          : `an unknown, expired or used finish code, or one for a login started elsewhere (this browser's login cookie holds ${held.nonces.length} other login(s))`,
      hint: 'a Response for a login started in another browser was delivered here (login CSRF), or the finish link was used twice, or the cookie was lost: blocked cookies, a login started on another host name, more than 8 logins at once, or the 5 minutes to finish elapsed',
    });
  }
  const cookies: string[] = [];
  if (finish.solicited) {
    if (matched === -1) {
      throw new SamlError('LOGIN_BINDING_MISMATCH', 'The login is bound to no browser.', {
        expected: 'a login started by this version of samlkit (with a browser binding)',
        found: 'a pending login without a binding',
        hint: 'logins in flight during an upgrade must be started again',
      });
    }
    cookies.push(loginCookieWithout(s, held, matched));
  }
  const profile = finish.profile;
  const now = s.now();

  // The session the login was started from (recorded in the store: the cookie does not come with
  // the IdP's cross-site POST), else the one whose cookie came with this same-site GET.
  const fromPending = record.sessionId ? await s.store.getSession(record.sessionId) : undefined;
  const previous = fromPending ?? cookieSession;
  const nameIdValue = profile.nameId?.value ?? profile.userId;
  // The same user: the same IdP and the same user id (NameID, or the configured attribute — a
  // transient NameID changes at every login, the user id does not). Sessions stored without a
  // user id are compared by NameID.
  const sameUser =
    previous !== undefined &&
    previous.issuer === profile.issuer &&
    (previous.userId !== undefined
      ? previous.userId === profile.userId
      : previous.nameId === nameIdValue);
  // Step-up: a re-authentication (ForceAuthn or a requested context) started from this session
  // by the same user keeps the session. Every other login gets a new session ID.
  const stepUp = sameUser && fromPending !== undefined && finish.reauthn;
  if (fromPending !== undefined && finish.reauthn && !sameUser) {
    // Another user answered a step-up of this session: refused, and the session stays as it was.
    throw new SamlError(
      'STEP_UP_USER_MISMATCH',
      'The re-authentication was done by another user.',
      {
        expected: `the user of the session being stepped up (${describeValue(fromPending.userId ?? fromPending.nameId)} at ${describeValue(fromPending.issuer)})`,
        found: `${describeValue(profile.userId)} at ${describeValue(profile.issuer)}`,
        hint: 'the user signed in as someone else at the IdP; for IdPs with transient NameIDs set userIdAttribute so one user is recognised across logins',
      },
    );
  }

  const decision = s.options.onLogin
    ? await s.options.onLogin(profile, {
        request,
        now,
        ...(sameUser && previous ? { previousSession: previous } : {}),
      })
    : undefined;
  if (decision && typeof decision === 'object' && typeof decision.refuse === 'string') {
    throw new SamlError('LOGIN_REFUSED', 'The application refused the login.', {
      expected: 'onLogin to accept the user',
      found: `refused: ${describeValue(decision.refuse)}`,
      hint: 'the onLogin hook refused this user; see its message',
      userMessage: decision.refuse,
      userId: profile.userId,
      issuer: profile.issuer,
    });
  }
  const appData = decision && typeof decision === 'object' ? decision.data : undefined;

  const { expiresAt, absoluteExpiresAt } = sessionExpiry(s, now, profile.sessionNotOnOrAfter);
  const fields = {
    issuer: profile.issuer,
    nameId: nameIdValue,
    userId: profile.userId,
    ...(profile.nameId?.format ? { nameIdFormat: profile.nameId.format } : {}),
    ...(profile.nameId?.nameQualifier ? { nameQualifier: profile.nameId.nameQualifier } : {}),
    ...(profile.nameId?.spNameQualifier ? { spNameQualifier: profile.nameId.spNameQualifier } : {}),
    ...(profile.sessionIndex !== undefined ? { sessionIndex: profile.sessionIndex } : {}),
    attributes: profile.attributes,
    ...(profile.authnInstant !== undefined ? { authnInstant: profile.authnInstant } : {}),
    ...(profile.authnContextClassRef ? { authnContextClassRef: profile.authnContextClassRef } : {}),
    expiresAt,
    ...(absoluteExpiresAt !== undefined && { absoluteExpiresAt }),
  };
  let session: SessionRecord;
  let replacedSessionId: string | undefined;
  if (stepUp && previous) {
    // Keep the session and its data; take the new authentication facts.
    const data = { ...(previous.data ?? {}), ...(appData ?? {}) };
    session = {
      id: previous.id,
      createdAt: previous.createdAt,
      ...fields,
      ...(Object.keys(data).length ? { data } : {}),
    };
  } else {
    // A new, unguessable ID at every login (no session fixation). The session this browser held
    // ends; the same user's application data carries over, another user's does not.
    const data = { ...(sameUser ? (previous?.data ?? {}) : {}), ...(appData ?? {}) };
    session = {
      id: createSessionId(s.crypto),
      createdAt: now,
      ...fields,
      ...(Object.keys(data).length ? { data } : {}),
    };
    if (previous) replacedSessionId = previous.id;
  }
  await s.store.putSession(session);
  for (const old of new Set([previous, cookieSession])) {
    if (old && old.id !== session.id && (await s.store.deleteSession(old.id))) {
      await notifyLogout(s, old, request, 'replaced');
    }
  }
  s.logger.info?.('login', { issuer: profile.issuer, userId: profile.userId, steppedUp: stepUp });
  return {
    step: 'complete',
    profile,
    session,
    redirectTo: record.returnTo ?? s.defaultReturnTo,
    steppedUp: stepUp,
    cookies,
    ...(replacedSessionId ? { replacedSessionId } : {}),
  };
}
