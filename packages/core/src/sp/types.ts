import type { IdentityProviderConfig, ServiceProviderConfig } from '../config.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type { SamlError } from '../errors.js';
import type { NameId, SamlAttribute } from '../lib/assertion.js';
import type { IdpRegistry } from '../metadata/registry.js';
import type { SpMetadataOptions } from '../metadata/sp.js';
import type { RequestedAuthnContextRecord, SamlStore, SessionRecord } from '../store/types.js';
import type { DiscoveryOptions } from './discovery.js';
import type { IdpResolver } from './idp-resolver.js';

/**
 * Where the service provider's endpoints live, as URL paths. Each defaults to the prefix followed
 * by its name: `/saml/login`, `/saml/acs`, `/saml/logout`, `/saml/slo`, `/saml/metadata`.
 */
export interface ServiceProviderPaths {
  /** Common prefix of the defaults below. Default `/saml`. */
  readonly prefix?: string;
  /** Starts SP-initiated login (GET). */
  readonly login?: string;
  /** Assertion Consumer Service: receives the IdP's Response (POST, or GET for HTTP-Redirect). */
  readonly acs?: string;
  /** Starts SP-initiated logout (GET or POST). */
  readonly logout?: string;
  /** Single Logout Service: LogoutRequest / LogoutResponse over Redirect, POST and SOAP. */
  readonly slo?: string;
  /** Serves the SP metadata (GET). */
  readonly metadata?: string;
  /** The built-in IdP discovery page (GET; with the `discovery` option). */
  readonly discovery?: string;
  /** The DiscoFeed JSON of the discovery page's IdPs (GET; with the `discovery` option). */
  readonly discofeed?: string;
}

/**
 * Where the application keeps the samlkit session ID when it has a session library of its own
 * (express-session, koa-session, @fastify/session, a Hono or Next.js session…): samlkit then
 * sets and reads no session cookie of its own. `Context` is what the adapter hands over: the web
 * `Request` in core and `@samlkit/fetch`, the framework's request object in the Node adapters.
 *
 * @example express-session through the Express adapter
 * ```ts
 * createSamlExpress({ ...options, session: {
 *   get: (req) => req.session.samlSessionId,
 *   set: (req, id) => new Promise<void>((done, fail) => {
 *     if (id === null) return req.session.destroy((e) => (e ? fail(e) : done()));
 *     req.session.regenerate((e) => { if (e) return fail(e); req.session.samlSessionId = id; done(); });
 *   }),
 * } });
 * ```
 */
export interface SessionIdStorage<Context = Request> {
  /** The samlkit session ID kept for this request, if any. */
  get(context: Context): string | null | undefined | Promise<string | null | undefined>;
  /**
   * Keeps the samlkit session ID after a login (a new or upgraded session), or forgets it (`null`)
   * after a logout. Regenerate your own session ID here at login (session fixation).
   */
  set(context: Context, sessionId: string | null): void | Promise<void>;
}

/**
 * The `session` option of `createServiceProvider` and of every adapter, with `Context` the object
 * the adapter hands over (see {@link SessionIdStorage}). Kept apart from
 * {@link ServiceProviderOptions} so that one options object serves every adapter.
 */
export interface SessionOption<Context = Request> {
  /**
   * Keep the samlkit session ID in the application's session library instead of samlkit's
   * session cookie (which is then neither set nor read). The login cookie stays.
   */
  readonly session?: SessionIdStorage<Context>;
}

/** The session cookie samlkit sets. It carries only an opaque session ID. */
export interface SessionCookieOptions {
  /**
   * Cookie name. Default on an https base URL: `__Host-samlkit_session` (a cookie no other host,
   * not even a sibling subdomain, can set), or `__Secure-samlkit_session` when `domain` or a
   * `path` other than `/` is set; on http (local development) `samlkit_session`. A `__Host-` name
   * with `domain` or another `path`, or a `__Host-`/`__Secure-` name on an http base URL, is
   * refused (`CONFIG_INVALID`): browsers would drop the cookie. The login cookie is this name
   * followed by `_login`.
   */
  readonly name?: string;
  /** `Domain` attribute. Default none (host-only cookie, the safest). */
  readonly domain?: string;
  /** `Path` attribute. Default `/`. */
  readonly path?: string;
  /**
   * `Max-Age` in seconds. Default: none (a browser-session cookie); the session itself still ends
   * at its `expiresAt` in the store.
   */
  readonly maxAge?: number;
  /**
   * `SameSite` attribute. Default `lax`, which is all samlkit needs: the ACS never reads the
   * cookie, and the 303 redirect after it is a top-level GET on which Lax cookies flow.
   * `none` is accepted (with `Secure`) but not needed; see docs/samesite.md for what it costs.
   */
  readonly sameSite?: 'lax' | 'strict' | 'none';
  /**
   * `Secure` attribute. Default true. `false` is accepted only when the public base URL is
   * `http://localhost` (or a loopback address), for local development.
   */
  readonly secure?: boolean;
}

/** Named `RequestedAuthnContext` levels the login endpoint may be asked for (`?authnContext=mfa`). */
export type AuthnContextLevels = Readonly<Record<string, RequestedAuthnContextRecord>>;

/** Where the browser lands after logout. */
export interface LogoutPages {
  /** Every session ended (locally and, when asked, at the IdP). Default `/`. */
  readonly complete?: string;
  /** The local session ended but the IdP reported a partial or failed logout. Default `complete`. */
  readonly partial?: string;
}

/**
 * A logger for operator details. Users only ever see a short page with the error code.
 *
 * The default writes one JSON line per event to the console (`console.warn` / `console.error`).
 * @example One line per refusal into pino
 * ```ts
 * const logger = pino();
 * createServiceProvider({
 *   ...options,
 *   logger: {
 *     event: (e) => logger[e.level]({ ...e, msg: undefined }, e.message),
 *     warn: (msg, details) => logger.warn(details ?? {}, msg),
 *     error: (msg, details) => logger.error(details ?? {}, msg),
 *   },
 * });
 * ```
 */
export interface ServiceProviderLogger {
  /**
   * Notices: unsafe input that was replaced (a `returnTo`, a duplicate cookie), a logout the IdP
   * reported incomplete; and refusals when `event` is not given (the {@link SamlLogEvent} without
   * its `message` is then passed as `details`).
   */
  warn(message: string, details?: Record<string, unknown>): void;
  /** Unexpected failures (store down, configuration, bugs), and failures when `event` is absent. */
  error(message: string, details?: Record<string, unknown>): void;
  /** Successful logins and logouts (optional). */
  info?(message: string, details?: Record<string, unknown>): void;
  /**
   * One structured event per refused or failed request (optional; without it, refusals go to
   * `warn` and failures to `error`). Never carries the received message, its XML or base64,
   * cookies, RelayState, session IDs or keys.
   */
  event?(event: SamlLogEvent): void;
}

/** The samlkit endpoint a request was for (`session`: `requireSession` in an application route). */
export type SamlRoute = 'login' | 'acs' | 'logout' | 'slo' | 'metadata' | 'session';

/** A refused or failed request, as {@link ServiceProviderLogger.event} receives it. */
export interface SamlLogEvent {
  /** `warn` for a refusal (4xx), `error` for a failure on our side (5xx: store down, a bug). */
  readonly level: 'warn' | 'error';
  /** `refused`: a SamlError; `failed`: anything else that was thrown. */
  readonly event: 'refused' | 'failed';
  /** The SamlError code (see docs/errors.md), or `INTERNAL_ERROR`. */
  readonly code: string;
  /** The HTTP status answered. */
  readonly status: number;
  readonly route: SamlRoute;
  readonly method: string;
  /** The request's path (never its query, which may carry a SAML message or a finish code). */
  readonly path: string;
  /** The IdP the message claims to come from (its Issuer, as claimed: not proof of origin). */
  readonly idpEntityId?: string;
  /** The request's `X-Request-ID` header, when well formed (at most 128 safe characters). */
  readonly requestId?: string;
  /** The client address the trusted proxy appended to `X-Forwarded-For` (only with `trustProxy`). */
  readonly clientAddress?: string;
  /** The SamlError's message (what was expected and found, and what to check), on one line. */
  readonly message: string;
  /** For a `failed` event (not a SamlError: a bug), the error's stack trace. */
  readonly stack?: string;
}

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

/** Options for {@link createServiceProvider}. Never mutated. */
export interface ServiceProviderOptions {
  /** The SP's own configuration (entity ID, ACS and SLO endpoints, keys). */
  readonly sp: ServiceProviderConfig;
  /**
   * The IdP(s) the SP trusts. One configuration, a list (each keyed by its entity ID), or a record
   * keyed by an application key (e.g. a tenant name), or an `IdpRegistry` (`createIdpRegistry`:
   * metadata sources refreshed on schedule and on a signing-key rollover, keys and email domains).
   * The login endpoint picks one with `?idp=<key, entity ID or, with a registry, email>`; without
   * it, the first. Or an `IdpResolver` (`createIdpResolver`): IdPs the application looks up at run
   * time (its database), cached, added, changed and removed without a restart.
   */
  readonly idps:
    | IdpResolver
    | IdpRegistry
    | IdentityProviderConfig
    | readonly IdentityProviderConfig[]
    | Readonly<Record<string, IdentityProviderConfig>>;
  /** Where all login and logout state lives. Default: a new `MemoryStore` (one process only). */
  readonly store?: SamlStore;
  /**
   * The public base URL of the application, e.g. `https://app.example.com`. Default: the origin of
   * the SP's default AssertionConsumerService. Request `Host` and `X-Forwarded-*` headers are
   * ignored unless `trustProxy` is true.
   */
  readonly baseUrl?: string;
  /**
   * Take the public origin of each request from `X-Forwarded-Proto` / `X-Forwarded-Host` (or
   * `Host`). Only behind a proxy that sets these headers itself; used to choose among several
   * configured ACS URLs. Default false.
   */
  readonly trustProxy?: boolean;
  /** Endpoint paths. */
  readonly paths?: ServiceProviderPaths;
  /**
   * IdP discovery: a login that names no IdP lets the user pick one at an external discovery
   * service or at the built-in page (`paths.discovery`), which `paths.discofeed` backs as JSON.
   */
  readonly discovery?: DiscoveryOptions;
  /** The session cookie. */
  readonly cookie?: SessionCookieOptions;
  /** How long a session lasts at most (ms). Default 8 hours; shortened to the IdP's SessionNotOnOrAfter. */
  readonly sessionMaxAgeMs?: number;
  /**
   * Inactivity timeout (ms): a session not used for this long ends, beside the absolute lifetime
   * (`sessionMaxAgeMs`, capped by SessionNotOnOrAfter), which use never extends. Each use
   * (`getSession`, `requireSession`, the login and logout endpoints) moves the expiry to now plus
   * this timeout, writing to the store only when it moves by more than a tenth of the timeout (at
   * most a minute). Default: none (sessions end only at their absolute end).
   */
  readonly sessionIdleTimeoutMs?: number;
  /** How long a login or logout request may stay unanswered (ms). Default 15 minutes. */
  readonly requestTtlMs?: number;
  /** The clock (epoch ms). Default `Date.now`. */
  readonly now?: () => number;
  /** Tolerated clock difference with the IdP (ms). Default 3 minutes. */
  readonly clockSkewMs?: number;
  /** The WebCrypto provider (default `globalThis.crypto`). */
  readonly crypto?: CryptoProvider;
  /**
   * **Security relaxation.** Accept IdP-initiated (unsolicited) Responses. They are bound to no
   * request, which makes login CSRF possible. Default false.
   */
  readonly allowUnsolicited?: boolean;
  /**
   * **Security relaxation.** Accept SHA-1 signatures and digests (practical collisions exist).
   * Default false.
   */
  readonly allowSha1?: boolean;
  /**
   * **Security relaxation.** Accept unsigned LogoutRequests and LogoutResponses. Anyone could then
   * log any user out. Default false.
   */
  readonly allowUnsignedLogout?: boolean;
  /** Take the user id from this attribute instead of the NameID. */
  readonly userIdAttribute?: string;
  /** Refuse plaintext assertions. Default false. */
  readonly requireEncryption?: boolean;
  /**
   * Require every Assertion to carry its own signature, even when the Response's signature covers
   * it (passport-saml's `wantAssertionsSigned`). SP metadata announces
   * `WantAssertionsSigned="true"` exactly when this is on (it is also turned on by
   * `metadata.wantAssertionsSigned: true`). An IdP's policy may require it for that IdP alone.
   * Default false: the assertion must be covered by a verified signature, its own or the
   * Response's.
   */
  readonly requireAssertionSignature?: boolean;
  /**
   * Require a signature on the Response element (passport-saml's `wantAuthnResponseSigned`), for
   * every IdP; an IdP's policy may require it too. Default false.
   */
  readonly requireResponseSignature?: boolean;
  /** Binding for AuthnRequests when the IdP offers both. Default `redirect`. */
  readonly authnRequestBinding?: 'redirect' | 'post';
  /** Named step-up levels for `?authnContext=<name>` on the login endpoint. */
  readonly authnContexts?: AuthnContextLevels;
  /** Where to go after login when no (safe) `returnTo` was given. Default `/`. */
  readonly defaultReturnTo?: string;
  /** Where to go after logout. */
  readonly logoutPages?: LogoutPages;
  /**
   * Called after a Response passed every check, before the session is created. Return
   * `{ refuse: 'message' }` to refuse the login (the user sees the message, code LOGIN_REFUSED),
   * or `{ data }` to store application data with the session.
   */
  readonly onLogin?: (
    profile: SamlProfile,
    context: HookContext,
    // biome-ignore lint/suspicious/noConfusingVoidType: a hook that returns nothing accepts the login
  ) => LoginDecision | void | Promise<LoginDecision | void>;
  /** Called for every session that ends through logout (SP- or IdP-initiated). Errors are logged, not thrown. */
  readonly onLogout?: (
    session: SessionRecord,
    context: HookContext & { readonly reason: LogoutReason },
  ) => void | Promise<void>;
  /** How the metadata endpoint builds the SP metadata (signing, validity, contacts). */
  readonly metadata?: SpMetadataOptions;
  /** Operator logger. Default: one JSON line per event on the console (docs/logging.md). */
  readonly logger?: ServiceProviderLogger;
  /**
   * Renders the error page yourself. Default: a minimal escaped HTML page with the error code, or
   * JSON when the request's `Accept` prefers `application/json`. `context.signInAgain` is set when
   * the failed request was the IdP's Response to the ACS: that login cannot be finished any more,
   * and the page should offer this link (a fresh login back to the original return address).
   */
  readonly renderError?: (
    error: SamlError,
    request: Request,
    status: number,
    context: ErrorPageContext,
  ) => Response | Promise<Response>;
}

/** What an error page should offer besides the error code (see `renderError`). */
export interface ErrorPageContext {
  /**
   * A same-origin URL that starts a fresh login returning to where the failed one was going
   * (`<login>?returnTo=…`), when the failed request was the IdP's Response to the ACS.
   */
  readonly signInAgain?: string;
}

/** Options for a programmatic {@link ServiceProvider.login} call (the query string offers the same). */
export interface LoginOptions {
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

/** A service provider: web-standard handlers plus the lower-level pieces they are built from. */
export interface ServiceProvider {
  /** The resolved endpoint paths. */
  readonly paths: Readonly<Required<Omit<ServiceProviderPaths, 'prefix'>>>;
  /** Routes a request to the SAML endpoint its path names; `undefined` for any other path. */
  handle(request: Request): Promise<Response | undefined>;
  /** GET: starts SP-initiated login (query: `returnTo`, `idp`, `forceAuthn`, `isPassive`, `authnContext`). */
  login(request: Request, options?: LoginOptions): Promise<Response>;
  /**
   * The ACS. On the IdP's POST (or Redirect-binding GET): validates the Response and 303s to the
   * same-site finish URL, creating no session. On the finish GET (`?finish=<code>`): checks the
   * browser's login cookie (no login CSRF), creates or upgrades the session, sets the cookie and
   * 303s to the return path.
   */
  acs(request: Request): Promise<Response>;
  /**
   * SP-initiated logout: ends the local session and sends a LogoutRequest to the IdP. A request
   * another site may have made (`Sec-Fetch-Site` cross-site or same-site, or an `Origin`/`Referer`
   * of another origin) ends nothing and gets a page that confirms with a same-origin POST.
   */
  logout(request: Request, options?: LogoutOptions): Promise<Response>;
  /** The SLO endpoint: incoming LogoutRequest/LogoutResponse over Redirect, POST or SOAP. */
  slo(request: Request): Promise<Response>;
  /** The SP metadata document. */
  metadata(request: Request): Promise<Response>;
  /** The live session named by the request's cookie, if any. */
  getSession(request: Request): Promise<SessionRecord | undefined>;
  /** The session, or a response that sends the browser to login (with `returnTo` = this page). */
  requireSession(request: Request, options?: RequireSessionOptions): Promise<RequireSessionResult>;
  /**
   * The ACS without its own session cookie, for applications with their own session library. Route
   * both the IdP's POST and the finish GET of the ACS path to it:
   * - for the IdP's Response it validates and returns `{ step: 'finish', redirectTo }`: answer
   *   303 to `redirectTo`;
   * - for the finish GET (`?finish=<code>`) it checks the browser binding, stores the session (so
   *   SLO can find it) and returns `{ step: 'complete', session, redirectTo, cookies, … }`: keep
   *   `session.id` in your session, and answer 303 to `redirectTo` with `cookies` as `Set-Cookie`.
   * @throws SamlError as `validateResponse`, plus `IN_RESPONSE_TO_MISMATCH`, `LOGIN_BINDING_MISMATCH`, `LOGIN_REFUSED`, `STORE_UNAVAILABLE`
   */
  handleAcs(request: Request): Promise<AcsFinishStep | AcsResult>;
  /** Reads a session by ID (for applications that keep the ID in their own session). */
  getSessionById(id: string): Promise<SessionRecord | undefined>;
  /** Ends a session by ID locally (no message to the IdP), calling `onLogout`. */
  endSession(id: string, request: Request): Promise<boolean>;
  /** The `Set-Cookie` value that stores `sessionId`, or clears the cookie when `null`. */
  sessionCookie(sessionId: string | null): string;
  /** Renders a SamlError as the configured error response. */
  errorResponse(error: unknown, request: Request): Promise<Response>;
}
