import {
  createServiceProvider,
  isSamlError,
  type LoginOptions,
  type ServiceProvider,
} from '@samlkit/core';
import { nodeCryptoProvider, writeWebResponse } from '@samlkit/node-bridge';
import type {
  Request as ExpressRequest,
  Response as ExpressResponse,
  NextFunction,
  RequestHandler,
} from 'express';
import { Strategy } from 'passport-strategy';
import {
  appendCookies,
  call,
  messageOf,
  passportLogout,
  pathOf,
  queryString,
  readCookie,
  responseOf,
  toWeb,
} from './lib/express.js';
import { type MappedSamlOptions, mapSamlOptions, type SamlStrategyOptions } from './options.js';
import { sessionToPassportProfile, toPassportProfile } from './profile.js';
import type {
  Callbacks,
  Engine,
  InFlight,
  LogoutCallback,
  SamlAuthenticateOptions,
  SamlAuthInfo,
  VerifyFunction,
  VerifyWithoutRequest,
  VerifyWithRequest,
} from './types.js';

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
      // Node's WebCrypto with digests and signature checks done synchronously by node:crypto.
      crypto: nodeCryptoProvider(),
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

declare module 'passport' {
  /** `passport.authenticate('saml', options)` also takes the SAML strategy's per-login options. */
  interface AuthenticateOptions extends SamlAuthenticateOptions {}
}
