// What the service provider hands the application: the profile, hook contexts, ACS results and
// the options of its programmatic calls.
import type { NameId, SamlAttribute } from '../lib/assertion.js';
import type { RequestedAuthnContextRecord, SessionRecord } from '../store/types.js';
import type { AuthnRequestSettings } from './authn-request-options.js';

/**
 * Who signed in, as the IdP asserted it (after every check of `validateResponse`). This is what
 * `onLogin` sees and what the session keeps.
 */
export interface SamlProfile {
  /** The IdP's entity ID (the assertion's Issuer). */
  readonly issuer: string;
  /** The key of the IdP in `options.idps` (its entity ID when configured as a list). */
  readonly idpKey: string;
  /** The user id: the NameID value, or the `userIdAttribute` value when configured. */
  readonly userId: string;
  /** The Subject's NameID, when present. */
  readonly nameId?: NameId;
  /** The AuthnStatement's SessionIndex (needed for Single Logout). */
  readonly sessionIndex?: string;
  /** When the user authenticated at the IdP (epoch ms). */
  readonly authnInstant?: number;
  /** The AuthnContextClassRef the IdP used (e.g. MFA). */
  readonly authnContextClassRef?: string;
  /** When the IdP wants the SP session to end (epoch ms), if it said. */
  readonly sessionNotOnOrAfter?: number;
  /** Attribute values by Name. */
  readonly attributes: Readonly<Record<string, readonly string[]>>;
  /** Every attribute with its Name, NameFormat and FriendlyName. */
  readonly attributeList: readonly SamlAttribute[];
  /** The assertion ID (already remembered in the replay cache). */
  readonly assertionId: string;
  /** The request this login answered; absent for an unsolicited (IdP-initiated) login. */
  readonly inResponseTo?: string;
}

/** What `onLogin` and `onLogout` are told besides the profile or session. */
export interface HookContext {
  /**
   * The incoming request: for `onLogin` the same-site finish GET (`<acs>?finish=<code>`) the ACS
   * redirected the browser to, which carries the browser's cookies; for `onLogout` the logout or
   * SLO request.
   */
  readonly request: Request;
  /** For a step-up login: the session that is being upgraded (same user). */
  readonly previousSession?: SessionRecord;
  /** The clock reading samlkit used (epoch ms). */
  readonly now: number;
}

/**
 * What `onLogin` may answer: nothing (accept), `{ refuse }` with a message shown to the user
 * (code `LOGIN_REFUSED`, HTTP 403, no session), or `{ data }` stored with the session.
 */
export type LoginDecision =
  | undefined
  | { readonly refuse: string; readonly data?: never }
  | { readonly data: Readonly<Record<string, unknown>>; readonly refuse?: never };

/** Why a session ended, as told to `onLogout`. */
export type LogoutReason = 'sp-initiated' | 'idp-initiated' | 'replaced';

/** What an error page should offer besides the error code (see `renderError`). */
export interface ErrorPageContext {
  /**
   * A same-origin URL that starts a fresh login returning to where the failed one was going
   * (`<login>?returnTo=…`), when the failed request was the IdP's Response to the ACS.
   */
  readonly signInAgain?: string;
}

/**
 * Options for a programmatic {@link ServiceProvider.login} call. The login endpoint's query string
 * offers `returnTo`, `idp`, `forceAuthn`, `isPassive` and `authnContext`; the AuthnRequest options
 * of `AuthnRequestSettings` (from `@samlkit/core`) are set by the application only, and win over the IdP's policy.
 */
export interface LoginOptions extends AuthnRequestSettings {
  /** Same-origin path to return to after login. Unsafe values are replaced by `defaultReturnTo`. */
  readonly returnTo?: string;
  /** Which IdP: its key in `options.idps` or its entity ID. Default the first. */
  readonly idp?: string;
  /** Ask the IdP to authenticate again (step-up). The current session is kept and upgraded. */
  readonly forceAuthn?: boolean;
  /** Ask for no user interaction. */
  readonly isPassive?: boolean;
  /** The authentication context to request (and then require in the Response). */
  readonly requestedAuthnContext?: RequestedAuthnContextRecord;
  /** Application data carried with the pending request (JSON values), returned in the profile hook context. */
  readonly data?: Readonly<Record<string, unknown>>;
}

/** Options for {@link ServiceProvider.logout}. */
export interface LogoutOptions {
  /** Same-origin path to land on afterwards (instead of `logoutPages.complete`). */
  readonly returnTo?: string;
  /** End only the local session, without telling the IdP. Default false. */
  readonly localOnly?: boolean;
}

/**
 * The first step of {@link ServiceProvider.handleAcs}: the IdP's Response passed every check and
 * waits, under a one-time code, for the browser that started the login. Answer with a 303 to
 * `redirectTo` (a same-site GET, where the login cookie arrives); no session exists yet.
 */
export interface AcsFinishStep {
  /** Discriminant: the ACS step is done, the finish step comes next. */
  readonly step: 'finish';
  /** The same-site finish URL (`<acs path>?finish=<code>`) to send the browser to with a 303. */
  readonly redirectTo: string;
  /**
   * Set when the IdP answered an IsPassive login with NoPassive (nobody signed in without
   * interaction): `redirectTo` is then the return address with `samlkit_passive=none` in its
   * query, and no session exists or changed. Answer the same 303.
   */
  readonly passive?: true;
}

/**
 * The outcome of the finish step of {@link ServiceProvider.handleAcs}: the login was checked
 * against the browser that started it and the session is stored. Nothing has been sent yet.
 */
export interface AcsResult {
  /** Discriminant: the login is complete. */
  readonly step: 'complete';
  /** Who signed in. */
  readonly profile: SamlProfile;
  /** The session samlkit stored (its `id` is what the default cookie carries). */
  readonly session: SessionRecord;
  /** The same-origin path to send the browser to (303). */
  readonly redirectTo: string;
  /** Whether an existing session was upgraded (step-up) rather than a new one created. */
  readonly steppedUp: boolean;
  /** The session this login replaced (deleted from the store), if any. */
  readonly replacedSessionId?: string;
  /**
   * `Set-Cookie` values the response must carry: the login cookie, with the nonce this login used
   * removed (or cleared). The session cookie is not among them.
   */
  readonly cookies: readonly string[];
}

/** What {@link ServiceProvider.requireSession} answers. */
export type RequireSessionResult =
  | { readonly session: SessionRecord; readonly response?: never }
  | { readonly session?: never; readonly response: Response };

/** Options for {@link ServiceProvider.requireSession}. */
export interface RequireSessionOptions {
  /** Require an authentication no older than this (ms); older sessions are sent to a step-up login. */
  readonly maxAuthnAgeMs?: number;
  /** Require one of these AuthnContextClassRefs; otherwise step up with this context requested. */
  readonly authnContext?: RequestedAuthnContextRecord;
  /** Answer 401 JSON instead of redirecting (for API routes). Default: redirect unless `Accept` asks for JSON. */
  readonly redirect?: boolean;
}
