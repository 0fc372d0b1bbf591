import type {
  RequireSessionOptions,
  ServiceProvider,
  ServiceProviderOptions,
  SessionIdStorage,
  SessionRecord,
} from '@samlkit/core';
import {
  createContextProvider,
  loadSessionOrPage,
  pathOf,
  readSamlRequest,
  requestUrl,
  toWebRequest,
  writeWebResponse,
} from '@samlkit/node-bridge';
import type {
  Request as ExpressRequest,
  Response as ExpressResponse,
  NextFunction,
  RequestHandler,
} from 'express';

declare global {
  namespace Express {
    interface Request {
      /**
       * The samlkit session of this request, set by `requireSession()` (always) and
       * `loadSession()` (when signed in).
       */
      samlSession?: SessionRecord;
    }
  }
}

/**
 * Keeps the samlkit session ID in a session library the application already uses
 * (express-session, cookie-session…) instead of samlkit's own cookie: the core `session` option,
 * in terms of the Express request.
 */
export type ExpressSessionBridge = SessionIdStorage<ExpressRequest>;

/** Options of {@link createSamlExpress}: the service-provider options, plus the Express ones. */
export interface SamlExpressOptions extends ServiceProviderOptions {
  /** Keep the samlkit session ID in the application's session library instead of a cookie. */
  readonly session?: ExpressSessionBridge;
}

/** What {@link createSamlExpress} returns. */
export interface SamlExpress {
  /**
   * Middleware that serves the SAML endpoints (`/saml/login`, `/saml/acs`, `/saml/logout`,
   * `/saml/slo`, `/saml/metadata` by default) and passes every other request on. Mount it at the
   * application root or under any path: it matches the full path (`req.originalUrl`), so the
   * configured paths are the public ones.
   */
  readonly routes: RequestHandler;
  /**
   * Middleware that lets a request through only with a session (`req.samlSession` is then set);
   * otherwise it sends the browser to login with `returnTo` set to this page, straight to the IdP
   * for a step-up (`maxAuthnAgeMs`, `authnContext`), or answers 401 JSON to API clients.
   */
  requireSession(options?: RequireSessionOptions): RequestHandler;
  /** Middleware that sets `req.samlSession` when the request has a session, and always continues. */
  loadSession(): RequestHandler;
  /** The live session of a request, if any. */
  getSession(req: ExpressRequest): Promise<SessionRecord | undefined>;
  /** The core service provider, for the lower-level pieces (`handleAcs`, `logout`, …). */
  readonly provider: ServiceProvider;
}

type Run = (req: ExpressRequest, res: ExpressResponse, next: NextFunction) => Promise<void>;

/** Express 4 does not forward rejected promises; Express 5 does. Forward them on both. */
function handler(run: Run): RequestHandler {
  return (req, res, next) => {
    run(req, res, next).catch(next);
  };
}

/**
 * Creates the Express integration of a samlkit service provider: the SAML endpoints as one
 * middleware, and middleware to protect routes and read the session (typed `req.samlSession`).
 * Every protocol decision is made by `createServiceProvider` in `@samlkit/core`; this package only
 * translates between Express and web-standard `Request`/`Response`. Works with Express 5 and 4.
 *
 * Body parsers are not needed. If the application runs `express.urlencoded()` or
 * `express.text()` before `routes`, the parsed body is re-encoded for samlkit.
 *
 * @param options - the samlkit service-provider options, plus `session` to keep the session ID in
 *   express-session or another library instead of samlkit's cookie
 * @returns the middleware and session helpers
 * @throws SamlError `CONFIG_INVALID` for an unusable configuration; TypeError for malformed options
 * @example An Express 5 application
 * ```ts
 * const saml = createSamlExpress({ sp, idps, baseUrl: 'https://app.example.com', store });
 * app.use(saml.routes);
 * app.get('/profile', saml.requireSession(), (req, res) => {
 *   res.json({ user: req.samlSession!.nameId });
 * });
 * app.post('/transfer', saml.requireSession({ maxAuthnAgeMs: 5 * 60_000 }), transfer);
 * ```
 * @see SAML 2.0 profiles §4.1 (Web Browser SSO), §4.4 (Single Logout)
 */
export function createSamlExpress(options: SamlExpressOptions): SamlExpress {
  const { provider, bind } = createContextProvider('createSamlExpress', options);
  const endpoints = new Set(Object.values(provider.paths));

  function toRequest(req: ExpressRequest): Request {
    return bind(toWebRequest(req, requestUrl(req, req.originalUrl ?? req.url), false), req);
  }

  /** The web Request of a SAML endpoint, with its body (a small one read first). */
  async function withBody(req: ExpressRequest): Promise<Request> {
    const url = requestUrl(req, req.originalUrl ?? req.url);
    // A body parser that read the body marks it (body-parser 1: `_body`) or leaves the stream
    // ended. `req.body` alone says nothing: body-parser 1 sets it to {} for bodies it skipped.
    const consumed =
      (req as { _body?: unknown })._body === true ||
      req.readableEnded ||
      (req.complete && !req.readable);
    return bind(await readSamlRequest(req, url, { consumed, parsed: req.body as unknown }), req);
  }

  return Object.freeze({
    provider,
    routes: handler(async (req, res, next) => {
      if (!endpoints.has(pathOf(req.originalUrl ?? req.url))) return next();
      const response = await provider.handle(await withBody(req));
      if (!response) return next();
      await writeWebResponse(res, response);
    }),
    requireSession(requireOptions?: RequireSessionOptions) {
      return handler(async (req, res, next) => {
        const result = await provider.requireSession(toRequest(req), requireOptions);
        if (result.response) return writeWebResponse(res, result.response);
        req.samlSession = result.session;
        next();
      });
    },
    loadSession() {
      return handler(async (req, res, next) => {
        // A store outage is a 503 page, not an exception in the application's route.
        const { session, response } = await loadSessionOrPage(provider, toRequest(req));
        if (response) return writeWebResponse(res, response);
        if (session) req.samlSession = session;
        next();
      });
    },
    getSession: (req: ExpressRequest) => provider.getSession(toRequest(req)),
  });
}
