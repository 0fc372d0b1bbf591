import {
  createServiceProvider,
  type RequireSessionOptions,
  type ServiceProvider,
  type ServiceProviderOptions,
  type SessionRecord,
} from '@samlkit/core';
import type {
  Request as ExpressRequest,
  Response as ExpressResponse,
  NextFunction,
  RequestHandler,
} from 'express';
import { requestHeaders, requestUrl, toWebRequest, writeWebResponse } from './lib/node.js';

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
 * (express-session, cookie-session…) instead of samlkit's own cookie.
 */
export interface ExpressSessionBridge {
  /** The samlkit session ID stored for this request, if any. */
  get(req: ExpressRequest): string | undefined;
  /**
   * Stores the samlkit session ID after a login (a new or upgraded session), or forgets it
   * (`null`) after a logout. Regenerate your own session ID here at login (session fixation).
   */
  set(req: ExpressRequest, sessionId: string | null): void | Promise<void>;
}

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

function cookieName(provider: ServiceProvider): string {
  const set = provider.sessionCookie(null);
  return set.slice(0, set.indexOf('='));
}

/** The value a samlkit `Set-Cookie` line stores, or null when it clears the cookie. */
function setCookieValue(line: string, name: string): string | null | undefined {
  if (!line.startsWith(`${name}=`)) return undefined;
  const [pair, ...attributes] = line.split(';');
  const value = pair!.slice(name.length + 1).trim();
  const cleared = attributes.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a));
  return cleared || value === '' ? null : value;
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
  const { session: bridge, ...spOptions } = options;
  if (
    bridge !== undefined &&
    (typeof bridge.get !== 'function' || typeof bridge.set !== 'function')
  ) {
    throw new TypeError('createSamlExpress: session must have get(req) and set(req, id) functions');
  }
  const provider = createServiceProvider(spOptions);
  const name = cookieName(provider);
  const endpoints = new Set(Object.values(provider.paths));

  function headersFor(req: ExpressRequest): Headers {
    const headers = requestHeaders(req);
    if (!bridge) return headers;
    // The bridge's session ID replaces whatever samlkit cookie the browser may send.
    const others = (headers.get('cookie') ?? '')
      .split(';')
      .filter((part) => part.trim() !== '' && part.split('=')[0]!.trim() !== name);
    const id = bridge.get(req);
    if (typeof id === 'string' && id !== '') others.push(` ${name}=${id}`);
    if (others.length > 0) headers.set('cookie', others.join(';').trim());
    else headers.delete('cookie');
    return headers;
  }

  function toRequest(req: ExpressRequest, withBody: boolean): Request {
    const url = requestUrl(req, req.originalUrl ?? req.url);
    // A body parser that read the body marks it (body-parser 1: `_body`) or leaves the stream
    // ended. `req.body` alone says nothing: body-parser 1 sets it to {} for bodies it skipped.
    const consumed =
      (req as { _body?: unknown })._body === true ||
      req.readableEnded ||
      (req.complete && !req.readable);
    return toWebRequest(
      req,
      url,
      withBody ? { consumed, parsed: req.body as unknown } : false,
      headersFor(req),
    );
  }

  async function send(req: ExpressRequest, res: ExpressResponse, web: Response) {
    if (bridge) {
      const headers = new Headers();
      for (const [k, v] of web.headers) if (k !== 'set-cookie') headers.set(k, v);
      for (const line of web.headers.getSetCookie()) {
        const value = setCookieValue(line, name);
        if (value === undefined) headers.append('set-cookie', line);
        else await bridge.set(req, value);
      }
      const body = web.body ? await web.arrayBuffer() : null;
      await writeWebResponse(res, new Response(body, { status: web.status, headers }));
      return;
    }
    await writeWebResponse(res, web);
  }

  const pathOf = (req: ExpressRequest) => {
    const raw = req.originalUrl ?? req.url;
    const q = raw.indexOf('?');
    return q === -1 ? raw : raw.slice(0, q);
  };

  return Object.freeze({
    provider,
    routes: handler(async (req, res, next) => {
      if (!endpoints.has(pathOf(req))) return next();
      const response = await provider.handle(toRequest(req, true));
      if (!response) return next();
      await send(req, res, response);
    }),
    requireSession(requireOptions?: RequireSessionOptions) {
      return handler(async (req, res, next) => {
        const result = await provider.requireSession(toRequest(req, false), requireOptions);
        if (result.response) return send(req, res, result.response);
        req.samlSession = result.session;
        next();
      });
    },
    loadSession() {
      return handler(async (req, res, next) => {
        const request = toRequest(req, false);
        let current: SessionRecord | undefined;
        try {
          current = await provider.getSession(request);
        } catch (error) {
          // A store outage is a 503 page, not an exception in the application's route.
          return send(req, res, await provider.errorResponse(error, request));
        }
        if (current) req.samlSession = current;
        next();
      });
    },
    getSession: (req: ExpressRequest) => provider.getSession(toRequest(req, false)),
  });
}
