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
  responseHeaders,
  toWebRequest,
} from '@samlkit/node-bridge';
import type { Context, Middleware } from 'koa';

/** What samlkit puts into `ctx.state`. */
export interface SamlState {
  /** The session, set by `requireSession()` (always) and `loadSession()` (when signed in). */
  samlSession?: SessionRecord;
}

declare module 'koa' {
  // Typed `ctx.state.samlSession` in every Koa middleware of the application.
  interface DefaultState extends SamlState {}
}

/** Options of {@link createSamlKoa}: the service-provider options, plus the Koa ones. */
export interface SamlKoaOptions extends ServiceProviderOptions {
  /**
   * Keep the samlkit session ID in the application's session library (koa-session…) instead of
   * samlkit's cookie: the core `session` option, in terms of the Koa context.
   */
  readonly session?: SessionIdStorage<Context>;
}

/** What {@link createSamlKoa} returns. */
export interface SamlKoa {
  /**
   * Middleware that serves the SAML endpoints (`/saml/login`, `/saml/acs`, `/saml/logout`,
   * `/saml/slo`, `/saml/metadata` by default) and calls `next()` for every other path. Works with
   * any router (or none): it matches the full original path (`ctx.originalUrl`).
   */
  readonly middleware: Middleware;
  /**
   * Middleware that continues only with a session (`ctx.state.samlSession` is then set);
   * otherwise it sends the browser to login with `returnTo` set to this page, straight to the IdP
   * for a step-up (`maxAuthnAgeMs`, `authnContext`), or answers 401 JSON to API clients.
   */
  requireSession(options?: RequireSessionOptions): Middleware;
  /** Middleware that sets `ctx.state.samlSession` when the request has a session, and continues. */
  loadSession(): Middleware;
  /** The live session of a request, if any. */
  getSession(ctx: Context): Promise<SessionRecord | undefined>;
  /** The core service provider, for the lower-level pieces (`handleAcs`, `logout`, …). */
  readonly provider: ServiceProvider;
}

/** Writes a web Response through Koa's response object (so Koa's own middleware still sees it). */
async function respond(ctx: Context, response: Response): Promise<void> {
  const body = response.body ? Buffer.from(await response.arrayBuffer()) : null;
  // Koa turns a null body into 204 unless the status is set afterwards.
  ctx.body = body;
  ctx.status = response.status;
  const { headers, cookies } = responseHeaders(response, false);
  for (const [name, value] of headers) ctx.set(name, value);
  for (const cookie of cookies) ctx.append('set-cookie', cookie);
}

/**
 * Creates the Koa integration of a samlkit service provider: router-agnostic middleware for the
 * SAML endpoints, and middleware to protect routes and read the session (typed
 * `ctx.state.samlSession`). Every protocol decision is made by `createServiceProvider` in
 * `@samlkit/core`; this package only translates between Koa and web `Request`/`Response`.
 *
 * No body parser is needed; when koa-bodyparser (or similar) ran first, its parsed form is
 * re-encoded for samlkit.
 *
 * @param options - the samlkit service-provider options (SP, IdPs, store, base URL, cookie, hooks),
 *   plus `session` to keep the session ID in koa-session or another library instead of samlkit's
 *   cookie
 * @returns the middleware and session helpers
 * @throws SamlError `CONFIG_INVALID` for an unusable configuration; TypeError for malformed options
 * @example A Koa 3 application with @koa/router
 * ```ts
 * const saml = createSamlKoa({ sp, idps, baseUrl: 'https://app.example.com', store });
 * app.use(saml.middleware);
 * router.get('/profile', saml.requireSession(), (ctx) => {
 *   ctx.body = { user: ctx.state.samlSession.nameId };
 * });
 * ```
 * @see SAML 2.0 profiles §4.1 (Web Browser SSO), §4.4 (Single Logout)
 */
export function createSamlKoa(options: SamlKoaOptions): SamlKoa {
  const { provider, bind } = createContextProvider('createSamlKoa', options);
  function toRequest(ctx: Context): Request {
    return bind(toWebRequest(ctx.req, requestUrl(ctx.req, ctx.originalUrl), false), ctx);
  }
  /** The web Request of a SAML endpoint, with its body (a small one read first). */
  async function withBody(ctx: Context): Promise<Request> {
    const url = requestUrl(ctx.req, ctx.originalUrl);
    const parsed = (ctx.request as { body?: unknown }).body;
    // Only a body that was read counts as consumed: koa-bodyparser sets `ctx.request.body = {}`
    // for content types it skips, leaving the stream unread.
    const consumed = ctx.req.readableEnded || (ctx.req.complete && !ctx.req.readable);
    return bind(await readSamlRequest(ctx.req, url, { consumed, parsed }), ctx);
  }
  const endpoints = new Set(Object.values(provider.paths));
  return Object.freeze({
    provider,
    async middleware(ctx: Context, next: () => Promise<unknown>) {
      if (!endpoints.has(pathOf(ctx.originalUrl))) return next();
      const response = await provider.handle(await withBody(ctx));
      if (!response) return next();
      await respond(ctx, response);
    },
    requireSession(requireOptions?: RequireSessionOptions) {
      const guard: Middleware = async (ctx, next) => {
        const result = await provider.requireSession(toRequest(ctx), requireOptions);
        if (result.response) return respond(ctx, result.response);
        ctx.state.samlSession = result.session;
        await next();
      };
      return guard;
    },
    loadSession() {
      const load: Middleware = async (ctx, next) => {
        // A store outage is a 503 page, not an exception in the application's route.
        const { session, response } = await loadSessionOrPage(provider, toRequest(ctx));
        if (response) return respond(ctx, response);
        if (session) ctx.state.samlSession = session;
        await next();
      };
      return load;
    },
    getSession: (ctx: Context) => provider.getSession(toRequest(ctx)),
  });
}
