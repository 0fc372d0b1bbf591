// The pieces of ServiceProviderOptions: endpoint paths, the session cookie and its storage, logging.
import type { RequestedAuthnContextRecord } from '../store/types.js';

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
