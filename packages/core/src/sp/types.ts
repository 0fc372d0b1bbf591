import type { IdentityProviderConfig, ServiceProviderConfig } from '../config.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type { SamlError } from '../errors.js';
import type { IdpRegistry } from '../metadata/registry.js';
import type { SpMetadataOptions } from '../metadata/sp.js';
import type { SamlStore, SessionRecord } from '../store/types.js';
import type { DiscoveryOptions } from './discovery.js';
import type { IdpResolver } from './idp-resolver.js';
import type {
  AuthnContextLevels,
  LogoutPages,
  ServiceProviderLogger,
  ServiceProviderPaths,
  SessionCookieOptions,
} from './option-types.js';
import type {
  AcsFinishStep,
  AcsResult,
  ErrorPageContext,
  HookContext,
  LoginDecision,
  LoginOptions,
  LogoutOptions,
  LogoutReason,
  RequireSessionOptions,
  RequireSessionResult,
  SamlProfile,
} from './outcome-types.js';
import type { ScopedAttributeOptions } from './scoped-attributes.js';

export type {
  AuthnContextLevels,
  LogoutPages,
  SamlLogEvent,
  SamlRoute,
  ServiceProviderLogger,
  ServiceProviderPaths,
  SessionCookieOptions,
  SessionIdStorage,
  SessionOption,
} from './option-types.js';
export type {
  AcsFinishStep,
  AcsResult,
  ErrorPageContext,
  HookContext,
  LoginDecision,
  LoginOptions,
  LogoutOptions,
  LogoutReason,
  RequireSessionOptions,
  RequireSessionResult,
  SamlProfile,
} from './outcome-types.js';

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
   * The `fetch` for back-channel calls to IdPs: ArtifactResolve over SOAP when a Response arrives
   * with HTTP-Artifact (inject one for client TLS or a proxy). Default `globalThis.fetch`.
   */
  readonly fetch?: typeof fetch;
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
   * Check scoped attributes (eduPersonPrincipalName, eduPersonScopedAffiliation, …) against the
   * issuing IdP's `<shibmd:Scope>`s. Default on: `{ names: DEFAULT_SCOPED_ATTRIBUTES, onMismatch:
   * 'drop' }`; `false` turns it off. An IdP's policy may set its own.
   */
  readonly scopedAttributes?: ScopedAttributeOptions | false;
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
  /**
   * The binding IdPs are asked to answer logins with (an IdP's policy may choose its own):
   * `artifact` (HTTP-Artifact) or `simpleSign` (HTTP-POST-SimpleSign) need an
   * AssertionConsumerService of that binding in `sp.assertionConsumerServices`. Default: the
   * default POST (or Redirect) AssertionConsumerService.
   */
  readonly responseBinding?: 'post' | 'artifact' | 'simpleSign';
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
   * 303s to the return path. HTTP-Artifact (`SAMLart`) and SimpleSign are accepted when
   * `sp.assertionConsumerServices` lists them; a NoPassive answer 303s to the return path with
   * `samlkit_passive=none`.
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
   * @throws SamlError as `validateResponse`, plus `IN_RESPONSE_TO_MISMATCH`, `LOGIN_BINDING_MISMATCH`, `LOGIN_REFUSED`, `STORE_UNAVAILABLE`; for HTTP-Artifact also as `resolveArtifact`, `IDP_UNKNOWN` and `REPLAY_DETECTED` (an artifact used twice)
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
