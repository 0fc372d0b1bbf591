// @samlkit/fetch public API. Every export is named; types are exported separately.

import {
  createServiceProvider,
  type RequireSessionOptions,
  type RequireSessionResult,
  type ServiceProvider,
  type ServiceProviderOptions,
  type SessionOption,
  type SessionRecord,
} from '@samlkit/core';

/** A handler for a protected route: gets the request and the live session. */
export type ProtectedHandler<Extra extends unknown[] = []> = (
  request: Request,
  session: SessionRecord,
  ...extra: Extra
) => Response | Promise<Response>;

/** What {@link createSamlHandlers} returns. */
export interface SamlHandlers {
  /**
   * The router for the SAML endpoints (`/saml/login`, `/saml/acs`, `/saml/logout`, `/saml/slo`,
   * `/saml/metadata` by default): answers any of them, and 404 for any other path.
   */
  fetch(request: Request): Promise<Response>;
  /** The live session named by the request's cookie, if any. */
  getSession(request: Request): Promise<SessionRecord | undefined>;
  /**
   * The session, or the response to send instead: a 303 to login with `returnTo` (or straight to
   * the IdP for a step-up), or 401 JSON for API clients.
   */
  requireSession(request: Request, options?: RequireSessionOptions): Promise<RequireSessionResult>;
  /**
   * Wraps a route handler so it runs only with a session (Next.js route handlers, Workers).
   * Extra arguments (a route context, a Workers `env`) are passed through.
   */
  protect<Extra extends unknown[] = []>(
    handler: ProtectedHandler<Extra>,
    options?: RequireSessionOptions,
  ): (request: Request, ...extra: Extra) => Promise<Response>;
  /** The core service provider, for the lower-level pieces (`handleAcs`, `logout`, …). */
  readonly provider: ServiceProvider;
}

/**
 * Creates the SAML endpoints and session helpers for a Fetch-API runtime: every handler takes a
 * web-standard `Request` and returns a `Response`, so it runs unchanged on Hono, Next.js route
 * handlers, Cloudflare Workers, Deno and Bun. All protocol decisions are made by
 * `createServiceProvider` in `@samlkit/core`; this package only routes.
 *
 * On runtimes whose instances share nothing (Workers, serverless), pass a shared `store`:
 * the default `MemoryStore` lives in one isolate, so a login started on one instance could not
 * be finished on another.
 *
 * @param options - the samlkit service-provider options (SP, IdPs, store, base URL, cookie, hooks),
 *   plus `session` to keep the session ID in the application's own session (over the web `Request`)
 * @returns the router and session helpers
 * @throws SamlError `CONFIG_INVALID` for an unusable configuration; TypeError for malformed options
 * @example Hono
 * ```ts
 * const saml = createSamlHandlers({ sp, idps, baseUrl: 'https://app.example.com', store });
 * app.all('/saml/*', (c) => saml.fetch(c.req.raw));
 * app.get('/profile', async (c) => {
 *   const r = await saml.requireSession(c.req.raw);
 *   return r.response ?? c.json({ user: r.session.nameId });
 * });
 * ```
 * @example Cloudflare Workers / Deno / Bun
 * ```ts
 * export default {
 *   fetch: (request: Request) =>
 *     new URL(request.url).pathname.startsWith('/saml/') ? saml.fetch(request) : app(request),
 * };
 * ```
 * @see SAML 2.0 profiles §4.1 (Web Browser SSO), §4.4 (Single Logout)
 */
export function createSamlHandlers(options: ServiceProviderOptions & SessionOption): SamlHandlers {
  const provider = createServiceProvider(options);
  return Object.freeze({
    provider,
    async fetch(request: Request): Promise<Response> {
      return (
        (await provider.handle(request)) ??
        new Response('Not Found\n', {
          status: 404,
          headers: { 'content-type': 'text/plain; charset=utf-8' },
        })
      );
    },
    getSession: (request: Request) => provider.getSession(request),
    requireSession: (request: Request, requireOptions?: RequireSessionOptions) =>
      provider.requireSession(request, requireOptions),
    protect<Extra extends unknown[] = []>(
      handler: ProtectedHandler<Extra>,
      requireOptions?: RequireSessionOptions,
    ) {
      if (typeof handler !== 'function') throw new TypeError('protect: handler must be a function');
      return async (request: Request, ...extra: Extra): Promise<Response> => {
        const result = await provider.requireSession(request, requireOptions);
        if (result.response) return result.response;
        return handler(request, result.session, ...extra);
      };
    },
  });
}

export type {
  AcsResult,
  LoginOptions,
  LogoutOptions,
  RequireSessionOptions,
  RequireSessionResult,
  SamlProfile,
  ServiceProvider,
  ServiceProviderOptions,
  SessionIdStorage,
  SessionOption,
  SessionRecord,
} from '@samlkit/core';
