import type { ServerResponse } from 'node:http';
import {
  createServiceProvider,
  isSamlError,
  type LoginOptions,
  MemoryStore,
  type SamlStore,
  type ServiceProvider,
} from '@samlkit/core';
import { requestUrl, toWebRequest, writeWebResponse } from '@samlkit/node-bridge';
import type {
  Request as ExpressRequest,
  Response as ExpressResponse,
  NextFunction,
  RequestHandler,
} from 'express';
import { Strategy } from 'passport-strategy';
import {
  type MappedSamlOptions,
  mapSamlOptions,
  type RacComparison,
  type SamlStrategyOptions,
} from './options.js';
import {
  type PassportSamlProfile,
  sessionToPassportProfile,
  toPassportProfile,
} from './profile.js';

/**
 * The callback `verify` and `logoutVerify` call, as in passport-saml: `done(err)` fails with an
 * error, `done(null, false, info)` refuses, `done(null, user, info)` accepts.
 */
export type VerifiedCallback = (err: Error | null, user?: unknown, info?: unknown) => void;

/** `verify(profile, done)`. */
export type VerifyWithoutRequest = (profile: PassportSamlProfile, done: VerifiedCallback) => void;
/** `verify(req, profile, done)`, with `passReqToCallback: true`. */
export type VerifyWithRequest = (
  req: ExpressRequest,
  profile: PassportSamlProfile,
  done: VerifiedCallback,
) => void;
/** Either shape of the verify (and logoutVerify) callback. */
export type VerifyFunction = VerifyWithoutRequest | VerifyWithRequest;

/**
 * Options of `passport.authenticate('saml', options)` that this strategy reads, besides Passport's
 * own (`successRedirect`, `failureRedirect`, …). They override the strategy's login defaults for
 * one login, which is how a route asks for a step-up.
 */
export interface SamlAuthenticateOptions {
  /** Ask the IdP to authenticate again (step-up). A signed-in user's samlkit session is kept and upgraded. */
  readonly forceAuthn?: boolean;
  /** Ask for no user interaction. */
  readonly passive?: boolean;
  /** AuthnContextClassRefs to request and then require in the Response. */
  readonly authnContext?: readonly string[];
  /** The Comparison of `authnContext`. Default `exact`. */
  readonly racComparison?: RacComparison;
  /**
   * Same-origin path to return to after login (given to `success` as `info.returnTo`). Default:
   * the request's `returnTo` or `RelayState` query parameter; unsafe values are dropped.
   */
  readonly returnTo?: string;
  /** When the request carries no SAML message: start a login (default) or an SP-initiated logout. */
  readonly samlFallback?: 'login-request' | 'logout-request';
}

/** What `success(user, info)` passes on as `req.authInfo` after a login. */
export interface SamlAuthInfo {
  /** The same-origin path to send the browser to now (the `returnTo` of the login, else `/`). */
  readonly returnTo: string;
  /** Whether a step-up re-authentication upgraded the session rather than creating one. */
  readonly steppedUp: boolean;
  /** The `info` the verify callback passed, if any. */
  readonly verifyInfo?: unknown;
}

/** The callback of {@link SamlStrategy.logout}: the IdP URL to send the browser to. */
export type LogoutCallback = (err: Error | null, url?: string) => void;

/** One samlkit service provider with the strategy's login defaults. @internal */
interface Engine {
  readonly provider: ServiceProvider;
  readonly login: LoginOptions;
  readonly cookieName: string;
}

/** What the strategy knows about a request while core handles it (keyed by the web Request). */
interface InFlight {
  readonly req: ExpressRequest;
  user?: unknown;
  info?: unknown;
  refused?: { readonly info: unknown };
}

type Callbacks = {
  readonly verify: VerifyFunction;
  readonly logoutVerify: VerifyFunction | undefined;
  readonly passReqToCallback: boolean;
};

function call(
  callbacks: Callbacks,
  fn: VerifyFunction,
  req: ExpressRequest,
  profile: PassportSamlProfile,
): Promise<{ user: unknown; info: unknown }> {
  return new Promise((resolve, reject) => {
    let called = false;
    const done: VerifiedCallback = (err, user, info) => {
      if (called) return;
      called = true;
      if (err) reject(err);
      else resolve({ user, info });
    };
    try {
      if (callbacks.passReqToCallback) (fn as VerifyWithRequest)(req, profile, done);
      else (fn as VerifyWithoutRequest)(profile, done);
    } catch (error) {
      reject(error);
    }
  });
}

function messageOf(info: unknown): string | undefined {
  if (typeof info === 'string') return info;
  if (
    info &&
    typeof info === 'object' &&
    typeof (info as { message?: unknown }).message === 'string'
  ) {
    return (info as { message: string }).message;
  }
  return undefined;
}

function pathOf(req: ExpressRequest): string {
  const raw = req.originalUrl ?? req.url;
  const q = raw.indexOf('?');
  return q === -1 ? raw : raw.slice(0, q);
}

function toWeb(req: ExpressRequest, withBody: boolean): Request {
  const url = requestUrl(req, req.originalUrl ?? req.url);
  // A body parser that read the body (passport-saml needed express.urlencoded()) leaves it parsed.
  const consumed =
    (req as { _body?: unknown })._body === true ||
    req.readableEnded ||
    (req.complete && !req.readable);
  return toWebRequest(req, url, withBody ? { consumed, parsed: req.body as unknown } : false);
}

function responseOf(req: ExpressRequest): ServerResponse {
  const res = (req as { res?: ServerResponse }).res;
  if (!res)
    throw new TypeError(
      '@samlkit/passport: req.res is missing (the strategy runs under Express or Connect)',
    );
  return res;
}

function appendCookies(res: ServerResponse, lines: readonly string[]): void {
  if (lines.length === 0) return;
  const prior = res.getHeader('set-cookie');
  const before = prior === undefined ? [] : Array.isArray(prior) ? prior : [String(prior)];
  res.setHeader('set-cookie', [...before, ...lines]);
}

function readCookie(req: ExpressRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function passportLogout(req: ExpressRequest): Promise<void> {
  const r = req as ExpressRequest & {
    isAuthenticated?: () => boolean;
    logout?: (done: (err: unknown) => void) => void;
  };
  if (
    typeof r.isAuthenticated !== 'function' ||
    !r.isAuthenticated() ||
    typeof r.logout !== 'function'
  ) {
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    r.logout!((err) => (err ? reject(err) : resolve()));
  });
}

function queryString(req: ExpressRequest, name: string): string | undefined {
  const value = new URL(requestUrl(req, req.originalUrl ?? req.url)).searchParams.get(name);
  return value ?? undefined;
}

/**
 * What the SAML strategies share: the request handling over one samlkit service provider chosen
 * per request. Use {@link SamlStrategy} or {@link MultiSamlStrategy}.
 */
export class SamlStrategyBase extends Strategy {
  /** The strategy name for `passport.authenticate(name)`. */
  name: string;
  private readonly callbacks: Callbacks;
  private readonly inFlight: WeakMap<Request, InFlight> = new WeakMap();

  /**
   * @param name - the strategy name
   * @param verify - `(profile, done)`, or `(req, profile, done)` with `passReqToCallback`
   * @param logoutVerify - called for each session an IdP-initiated logout ended
   * @param passReqToCallback - whether the callbacks take the request first
   */
  protected constructor(
    name: string,
    verify: VerifyFunction,
    logoutVerify: VerifyFunction | undefined,
    passReqToCallback: boolean,
  ) {
    super();
    if (typeof verify !== 'function') {
      throw new TypeError('SamlStrategy: verify(profile, done) must be a function');
    }
    if (logoutVerify !== undefined && typeof logoutVerify !== 'function') {
      throw new TypeError('SamlStrategy: logoutVerify(profile, done) must be a function');
    }
    this.name = name;
    this.callbacks = { verify, logoutVerify, passReqToCallback };
  }

  /** The engine serving a request (overridden by the strategies). @internal */
  protected engineFor(_req: ExpressRequest): Promise<Engine> {
    return Promise.reject(new TypeError('SamlStrategyBase is abstract'));
  }

  /** Builds the samlkit service provider of mapped options, with the Passport hooks. @internal */
  protected createEngine(mapped: MappedSamlOptions): Engine {
    const callbacks = this.callbacks;
    const inFlight = this.inFlight;
    const provider = createServiceProvider({
      ...mapped.serviceProvider,
      // Passport's verify decides the login, before samlkit stores a session (SAML profiles §4.1.4.3:
      // the SP establishes its security context only for a Response it accepts).
      onLogin: async (profile, context) => {
        const flight = inFlight.get(context.request);
        if (!flight) return { refuse: 'The login did not come through the Passport strategy.' };
        const { user, info } = await call(
          callbacks,
          callbacks.verify,
          flight.req,
          toPassportProfile(profile),
        );
        if (!user) {
          flight.refused = { info };
          return { refuse: messageOf(info) ?? 'The application refused the login.' };
        }
        flight.user = user;
        flight.info = info;
        return undefined;
      },
      onLogout: async (session, context) => {
        if (context.reason !== 'idp-initiated' || !callbacks.logoutVerify) return;
        const flight = inFlight.get(context.request);
        // Errors are logged by samlkit: the session has ended in the store whatever the callback says.
        await call(
          callbacks,
          callbacks.logoutVerify,
          flight?.req as ExpressRequest,
          sessionToPassportProfile(session),
        );
      },
    });
    const set = provider.sessionCookie(null);
    return { provider, login: mapped.login, cookieName: set.slice(0, set.indexOf('=')) };
  }

  /**
   * Serves `passport.authenticate(name, options)`. By the request path:
   * - the `callbackUrl` path: the IdP's Response is validated without any cookie and the browser
   *   sent (303) to the same-site finish URL on this path; there `verify(profile, done)` runs, the
   *   samlkit session is stored and its cookie set, and Passport's `success(user, info)` follows;
   * - the `logoutCallbackUrl` path: LogoutRequest (IdP-initiated: every session of the user ends,
   *   on every node, and `logoutVerify` is told) or LogoutResponse;
   * - any other path: a login starts (the AuthnRequest goes to the IdP).
   *
   * @param req - the Express request
   * @param options - Passport's options plus {@link SamlAuthenticateOptions}
   */
  override authenticate(req: ExpressRequest, options?: SamlAuthenticateOptions): void {
    this.engineFor(req)
      .then((engine) => this.handle(engine, req, options ?? {}))
      .catch((error: unknown) =>
        this.error(error instanceof Error ? error : new Error(String(error))),
      );
  }

  private async handle(
    engine: Engine,
    req: ExpressRequest,
    options: SamlAuthenticateOptions,
  ): Promise<void> {
    const { provider } = engine;
    const path = pathOf(req);
    const res = responseOf(req);
    if (path === provider.paths.acs) {
      const web = toWeb(req, true);
      const flight: InFlight = { req };
      this.inFlight.set(web, flight);
      let result: Awaited<ReturnType<ServiceProvider['handleAcs']>>;
      try {
        result = await provider.handleAcs(web);
      } catch (error) {
        if (isSamlError(error) && error.code === 'LOGIN_REFUSED' && flight.refused) {
          this.fail(flight.refused.info ?? { message: messageOf(flight.refused.info) }, 401);
          return;
        }
        throw error;
      }
      // SAML profiles §4.1.4.3 + the SameSite rule: the cross-site POST only leads to a same-site GET.
      if (result.step === 'finish') return this.redirect(result.redirectTo, 303);
      appendCookies(res, [provider.sessionCookie(result.session.id), ...result.cookies]);
      const info: SamlAuthInfo = {
        returnTo: result.redirectTo,
        steppedUp: result.steppedUp,
        ...(flight.info !== undefined && { verifyInfo: flight.info }),
      };
      return this.success(flight.user, info);
    }
    if (path === provider.paths.slo) {
      const web = toWeb(req, true);
      this.inFlight.set(web, { req });
      const answer = await provider.slo(web);
      // The IdP's cross-site POST brings no Lax cookie, so samlkit clears "its" cookie: keep it
      // instead, so that checkSession() sees the ended session on the next same-site request and
      // ends the Passport login too. When the cookies did come, end it now.
      const ended = await this.endIfGone(engine, req);
      const headers = new Headers();
      for (const [k, v] of answer.headers) if (k !== 'set-cookie') headers.set(k, v);
      for (const line of answer.headers.getSetCookie()) {
        if (ended || !line.startsWith(`${engine.cookieName}=`)) headers.append('set-cookie', line);
      }
      const body = answer.body ? await answer.arrayBuffer() : null;
      return writeWebResponse(res, new Response(body, { status: answer.status, headers }));
    }
    if (options.samlFallback === 'logout-request') {
      await passportLogout(req);
      return writeWebResponse(res, await provider.logout(toWeb(req, false)));
    }
    const returnTo =
      options.returnTo ?? queryString(req, 'returnTo') ?? queryString(req, 'RelayState');
    const requested =
      options.authnContext !== undefined
        ? { classRefs: [...options.authnContext], comparison: options.racComparison ?? 'exact' }
        : undefined;
    const login: LoginOptions = {
      ...engine.login,
      ...(options.forceAuthn !== undefined && { forceAuthn: options.forceAuthn }),
      ...(options.passive !== undefined && { isPassive: options.passive }),
      ...(requested !== undefined && { requestedAuthnContext: requested }),
      ...(returnTo !== undefined && { returnTo }),
    };
    return writeWebResponse(res, await provider.login(toWeb(req, false), login));
  }

  /** Ends the Passport login when the request's samlkit session has ended. Whether it did. */
  private async endIfGone(engine: Engine, req: ExpressRequest): Promise<boolean> {
    if (readCookie(req, engine.cookieName) === undefined) return false;
    if (await engine.provider.getSession(toWeb(req, false))) return false;
    await passportLogout(req);
    appendCookies(responseOf(req), [engine.provider.sessionCookie(null)]);
    return true;
  }

  /**
   * Middleware that keeps Passport's login in step with samlkit's session: when the request
   * carries the samlkit session cookie of a session that has ended — an IdP-initiated logout
   * (handled on any node, for any of the user's devices), a logout elsewhere, or expiry — it
   * logs the Passport user out (`req.logout()`) and clears the cookie. Mount it after
   * `passport.session()`.
   *
   * @returns Express middleware
   */
  checkSession(): RequestHandler {
    return (req: ExpressRequest, _res: ExpressResponse, next: NextFunction) => {
      this.engineFor(req)
        .then((engine) => this.endIfGone(engine, req))
        .then(() => next(), next);
    };
  }

  /**
   * SP-initiated Single Logout, as passport-saml's `logout(req, callback)`: ends the samlkit
   * session of this browser (in the store, on every node) and calls back with the IdP URL that
   * carries the signed LogoutRequest (or the local landing page when there is no IdP session).
   * Call `req.logout()` and redirect to the URL. When samlkit answers with a page instead (a
   * request that another site may have made gets a confirmation page), the strategy sends that
   * page itself and does not call back.
   *
   * @param req - the Express request
   * @param callback - `(err, url)`
   */
  logout(req: ExpressRequest, callback: LogoutCallback): void {
    this.engineFor(req)
      .then(async (engine) => {
        const answer = await engine.provider.logout(toWeb(req, false));
        const location = answer.headers.get('location');
        if (answer.status >= 300 && answer.status < 400 && location !== null) {
          appendCookies(responseOf(req), answer.headers.getSetCookie());
          callback(null, location);
          return;
        }
        await writeWebResponse(responseOf(req), answer);
      })
      .catch((error: unknown) =>
        callback(error instanceof Error ? error : new Error(String(error))),
      );
  }
}

/**
 * A Passport strategy for SAML 2.0 single sign-on with passport-saml's option names and callbacks,
 * on samlkit's core: `new SamlStrategy(options, verify, logoutVerify)`.
 *
 * What changes for the application: route both GET and POST of the `callbackUrl` path to
 * `passport.authenticate('saml')` (samlkit's ACS answers the IdP's cross-site POST with a 303 to a
 * same-site GET, where the login finishes: no cookie is needed on the POST, which is what keeps
 * sessions alive under SameSite=Lax), and mount `strategy.checkSession()` so an IdP-initiated
 * logout ends the Passport login.
 *
 * @example
 * ```ts
 * const strategy = new SamlStrategy(
 *   { callbackUrl: 'https://app.example.com/login/callback', issuer: 'https://app.example.com',
 *     entryPoint: 'https://idp.example.com/sso', idpIssuer: 'https://idp.example.com', idpCert,
 *     store: new RedisStore({ url: process.env.REDIS_URL }) },
 *   (profile, done) => done(null, { id: profile.nameID, email: profile.email }),
 *   (profile, done) => done(null, { id: profile.nameID }),
 * );
 * passport.use(strategy);
 * ```
 * @see SAML 2.0 profiles §4.1 (Web Browser SSO), §4.4 (Single Logout)
 */
export class SamlStrategy extends SamlStrategyBase {
  /** The samlkit service provider behind the strategy (`handleAcs`, `getSessionById`, …). */
  readonly provider: ServiceProvider;
  private readonly engine: Engine;

  /**
   * @param options - passport-saml option names ({@link SamlStrategyOptions})
   * @param verify - `(profile, done)`, or `(req, profile, done)` with `passReqToCallback`
   * @param logoutVerify - called for each session an IdP-initiated logout ended
   * @throws SamlError `CONFIG_INVALID` for a missing, malformed or unsupported option
   */
  constructor(
    options: SamlStrategyOptions & { readonly passReqToCallback: true },
    verify: VerifyWithRequest,
    logoutVerify?: VerifyWithRequest,
  );
  constructor(
    options: SamlStrategyOptions & { readonly passReqToCallback?: false },
    verify: VerifyWithoutRequest,
    logoutVerify?: VerifyWithoutRequest,
  );
  constructor(options: SamlStrategyOptions, verify: VerifyFunction, logoutVerify?: VerifyFunction) {
    super(options?.name ?? 'saml', verify, logoutVerify, options?.passReqToCallback === true);
    this.engine = this.createEngine(mapSamlOptions(options));
    this.provider = this.engine.provider;
  }

  /** @internal */
  protected override engineFor(_req: ExpressRequest): Promise<Engine> {
    return Promise.resolve(this.engine);
  }

  /**
   * The SP metadata XML (entity ID, ACS, SLO, certificates) to give the IdP. Unlike passport-saml
   * it is asynchronous, and the certificates come from the options (`publicCert`, `decryptionCert`).
   *
   * @returns the metadata document
   */
  async generateServiceProviderMetadata(): Promise<string> {
    const { provider } = this.engine;
    const answer = await provider.metadata(
      new Request(`http://localhost${provider.paths.metadata}`),
    );
    return answer.text();
  }
}

/** The callback of `getSamlOptions`. */
export type SamlOptionsCallback = (err: Error | null, samlOptions?: SamlStrategyOptions) => void;

/** Options of {@link MultiSamlStrategy}: `getSamlOptions`, plus defaults for every IdP's options. */
export interface MultiSamlStrategyOptions
  extends Partial<Omit<SamlStrategyOptions, 'name' | 'passReqToCallback'>> {
  /** The strategy name. Default `saml`. */
  readonly name?: string;
  /** Call `verify(req, profile, done)` with the request. */
  readonly passReqToCallback?: boolean;
  /**
   * The SAML options for this request (its tenant, say), as in passport-saml. They are merged over
   * the strategy's defaults. The service provider built from them is kept, for options of equal
   * value, so that a login can finish on any request (and node) that maps to the same options.
   */
  getSamlOptions(req: ExpressRequest, callback: SamlOptionsCallback): void;
  /** How many distinct option sets to keep built. Default 100. */
  readonly cacheSize?: number;
}

const identities = new WeakMap<object, number>();
let nextIdentity = 0;

/** A key equal for option sets of equal value (objects such as keys and stores by identity). */
function valueKey(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (
      typeof v === 'function' ||
      (v !== null &&
        typeof v === 'object' &&
        !Array.isArray(v) &&
        Object.getPrototypeOf(v) !== Object.prototype)
    ) {
      const object = v as object;
      let id = identities.get(object);
      if (id === undefined) {
        id = ++nextIdentity;
        identities.set(object, id);
      }
      return `#object${id}`;
    }
    return v;
  });
}

/**
 * A Passport strategy for several IdPs (tenants), as passport-saml's `MultiSamlStrategy`:
 * `getSamlOptions(req, done)` gives each request its options. All of them share one store (the
 * `store` default, or a new in-memory one), so login state and sessions survive across tenants
 * and, with Redis, nodes.
 *
 * @example
 * ```ts
 * passport.use(new MultiSamlStrategy(
 *   { store, getSamlOptions: (req, done) => done(null, tenants[req.params.tenant]) },
 *   (profile, done) => done(null, { id: profile.nameID, issuer: profile.issuer }),
 * ));
 * ```
 */
export class MultiSamlStrategy extends SamlStrategyBase {
  private readonly defaults: Partial<SamlStrategyOptions>;
  private readonly getSamlOptions: MultiSamlStrategyOptions['getSamlOptions'];
  private readonly engines: Map<string, Engine> = new Map();
  private readonly cacheSize: number;

  /**
   * @param options - `getSamlOptions` and the defaults
   * @param verify - `(profile, done)`, or `(req, profile, done)` with `passReqToCallback`
   * @param logoutVerify - called for each session an IdP-initiated logout ended
   */
  constructor(
    options: MultiSamlStrategyOptions & { readonly passReqToCallback: true },
    verify: VerifyWithRequest,
    logoutVerify?: VerifyWithRequest,
  );
  constructor(
    options: MultiSamlStrategyOptions & { readonly passReqToCallback?: false },
    verify: VerifyWithoutRequest,
    logoutVerify?: VerifyWithoutRequest,
  );
  constructor(
    options: MultiSamlStrategyOptions,
    verify: VerifyFunction,
    logoutVerify?: VerifyFunction,
  ) {
    super(options?.name ?? 'saml', verify, logoutVerify, options?.passReqToCallback === true);
    const { getSamlOptions, cacheSize, name: _name, passReqToCallback: _p, ...defaults } = options;
    if (typeof getSamlOptions !== 'function') {
      throw new TypeError('MultiSamlStrategy: getSamlOptions(req, done) must be a function');
    }
    const store: SamlStore = defaults.store ?? new MemoryStore();
    this.defaults = { ...defaults, store };
    this.getSamlOptions = getSamlOptions;
    this.cacheSize = cacheSize ?? 100;
  }

  /** @internal */
  protected override engineFor(req: ExpressRequest): Promise<Engine> {
    return new Promise<SamlStrategyOptions>((resolve, reject) => {
      try {
        this.getSamlOptions(req, (err, samlOptions) => {
          if (err) reject(err);
          else if (!samlOptions)
            reject(new TypeError('MultiSamlStrategy: getSamlOptions gave no options'));
          else resolve(samlOptions);
        });
      } catch (error) {
        reject(error);
      }
    }).then((samlOptions) => {
      const merged = { ...this.defaults, ...samlOptions } as SamlStrategyOptions;
      const key = valueKey(merged);
      let engine = this.engines.get(key);
      if (!engine) {
        engine = this.createEngine(mapSamlOptions(merged));
        this.engines.set(key, engine);
        if (this.engines.size > this.cacheSize) {
          this.engines.delete(this.engines.keys().next().value!);
        }
      }
      return engine;
    });
  }
}

declare module 'passport' {
  /** `passport.authenticate('saml', options)` also takes the SAML strategy's per-login options. */
  interface AuthenticateOptions extends SamlAuthenticateOptions {}
}
