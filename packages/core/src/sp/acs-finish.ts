// The ACS's finish step (the same-site GET that creates the session) and what the ACS step
// shares with it: the finish record's key and shape, and the return address of a failed login.
import { describeValue, SamlError } from '../errors.js';
import { createSessionId } from '../store/session-id.js';
import type { PendingRequest, SessionRecord } from '../store/types.js';
import { sessionExpiry } from './idle.js';
import {
  FINISH_ID_PREFIX,
  heldNonces,
  isFinishCode,
  loginCookieSettings,
  loginCookieWithout,
} from './login-binding.js';
import type { Settings } from './settings.js';
import type { AcsResult, LogoutReason, SamlProfile } from './types.js';

/** Where a failed ACS step's login was going, once its pending (or finish) record was taken. @internal */
export const returnToOfResponse: WeakMap<Request, string> = new WeakMap<Request, string>();

/**
 * The return address of the login the ACS request `request` answered, when the pending request
 * was taken before the request failed (else undefined: the error page's fresh login then goes to
 * `defaultReturnTo`).
 * @internal
 */
export function returnToOfFailedResponse(request: Request): string | undefined {
  return returnToOfResponse.get(request);
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
export interface FinishData {
  readonly profile: SamlProfile;
  /** Whether the login answered a request this SP sent (and so must be bound to a browser). */
  readonly solicited: boolean;
  /** ForceAuthn or a requested context: a step-up when started from a session of this user. */
  readonly reauthn: boolean;
}

/** Where the finish record of `code` lives: bound to a nonce hash, or (IdP-initiated) to none. @internal */
export function finishKey(code: string, bindingHash: string | undefined): string {
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
