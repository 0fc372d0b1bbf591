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
  readSamlRequest,
  requestUrl,
  responseBody,
  responseHeaders,
  toWebRequest,
} from '@samlkit/node-bridge';
import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  preHandlerAsyncHookHandler,
} from 'fastify';
import fp from 'fastify-plugin';

/** Options of the {@link samlkit} plugin: the samlkit service-provider options, plus the Fastify ones. */
export interface SamlFastifyOptions extends ServiceProviderOptions {
  /**
   * Keep the samlkit session ID in the application's session library (@fastify/session,
   * @fastify/secure-session…) instead of samlkit's cookie: the core `session` option, in terms of
   * the Fastify request.
   */
  readonly session?: SessionIdStorage<FastifyRequest>;
}

/** The `fastify.saml` decorator. */
export interface SamlFastify {
  /**
   * A `preHandler` that lets a request through only with a session (`request.samlSession` is then
   * set); otherwise it sends the browser to login with `returnTo` set to this page, straight to
   * the IdP for a step-up (`maxAuthnAgeMs`, `authnContext`), or answers 401 JSON to API clients.
   */
  requireSession(options?: RequireSessionOptions): preHandlerAsyncHookHandler;
  /** A `preHandler` that sets `request.samlSession` when the request has a session. */
  loadSession(): preHandlerAsyncHookHandler;
  /** The live session of a request, if any. */
  getSession(request: FastifyRequest): Promise<SessionRecord | undefined>;
  /** The core service provider, for the lower-level pieces (`handleAcs`, `logout`, …). */
  readonly provider: ServiceProvider;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** samlkit: session helpers and the core service provider. */
    saml: SamlFastify;
  }
  interface FastifyRequest {
    /** The samlkit session, set by `saml.requireSession()` or `saml.loadSession()`; else null. */
    samlSession: SessionRecord | null;
  }
}

/** The body types the SAML bindings use: HTML forms (POST binding) and SOAP. */
const SAML_BODY_TYPES = ['application/x-www-form-urlencoded', 'text/xml', 'application/soap+xml'];

async function send(reply: FastifyReply, response: Response): Promise<FastifyReply> {
  reply.code(response.status);
  const { headers, cookies } = responseHeaders(response, false);
  for (const [name, value] of headers) reply.header(name, value);
  if (cookies.length > 0) reply.header('set-cookie', cookies);
  const body = await responseBody(response);
  return body === undefined ? reply.send() : reply.send(body);
}

const plugin: FastifyPluginAsync<SamlFastifyOptions> = async (fastify, options) => {
  const { provider, bind } = createContextProvider('@samlkit/fastify', options);

  /**
   * The web Request. A SAML form or SOAP body is left unread by the plugin's parser and streamed
   * to samlkit, which applies its own size limit (`XML_TOO_LARGE`, as in every adapter); a body
   * another parser read (JSON, say) is re-encoded, and samlkit refuses its type.
   */
  function toRequest(request: FastifyRequest): Request {
    return bind(toWebRequest(request.raw, requestUrl(request.raw), false), request);
  }
  /** The web Request of a SAML endpoint, with its body (a small one read first). */
  async function withBody(request: FastifyRequest): Promise<Request> {
    const raw = request.raw;
    const consumed = request.body !== undefined || raw.readableEnded;
    const body = { consumed, parsed: request.body };
    return bind(await readSamlRequest(raw, requestUrl(raw), body), request);
  }

  const saml: SamlFastify = Object.freeze({
    provider,
    getSession: (request: FastifyRequest) => provider.getSession(toRequest(request)),
    requireSession(requireOptions?: RequireSessionOptions): preHandlerAsyncHookHandler {
      return async function samlRequireSession(request, reply) {
        const result = await provider.requireSession(toRequest(request), requireOptions);
        if (result.response) return send(reply, result.response);
        request.samlSession = result.session;
      };
    },
    loadSession(): preHandlerAsyncHookHandler {
      return async function samlLoadSession(request, reply) {
        // A store outage is a 503 page, not an exception in the application's route.
        const { session, response } = await loadSessionOrPage(provider, toRequest(request));
        if (response) return send(reply, response);
        request.samlSession = session ?? null;
      };
    },
  });
  fastify.decorateRequest('samlSession', null);
  fastify.decorate('saml', saml);

  // The endpoints and their body parsers live in a context of their own, so the parsers do not
  // change how the application's other routes read bodies.
  await fastify.register(async function samlEndpoints(scope: FastifyInstance) {
    for (const type of SAML_BODY_TYPES) {
      if (scope.hasContentTypeParser(type)) scope.removeContentTypeParser(type);
    }
    // The body stays unread here: samlkit streams it and applies its own limit.
    scope.addContentTypeParser(SAML_BODY_TYPES, (_request, _payload, done) => done(null));
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const response = await provider.handle(await withBody(request));
      if (!response) return reply.callNotFound();
      return send(reply, response);
    };
    for (const url of new Set(Object.values(provider.paths))) {
      scope.route({ method: ['GET', 'POST'], url, handler });
      // Other methods reach samlkit too, which answers 405 with an Allow header.
      scope.route({ method: ['PUT', 'DELETE', 'PATCH', 'OPTIONS'], url, handler });
    }
  });
};

/**
 * The samlkit Fastify plugin: serves the SAML endpoints (`/saml/login`, `/saml/acs`,
 * `/saml/logout`, `/saml/slo`, `/saml/metadata` by default, full public paths: the `prefix`
 * register option does not apply) and decorates the instance with `saml` (`requireSession`,
 * `loadSession`, `getSession`, `provider`) and requests with `samlSession`, both typed by
 * declaration merging. Every protocol decision is made by `createServiceProvider` in
 * `@samlkit/core`; the plugin only translates between Fastify and web `Request`/`Response`.
 *
 * Fastify reads no HTML forms by default: the plugin registers parsers for
 * `application/x-www-form-urlencoded` and `text/xml` (SOAP) for its own routes only.
 *
 * @param options - the samlkit service-provider options (SP, IdPs, store, base URL, cookie, hooks),
 *   plus `session` to keep the session ID in @fastify/session or another library instead of
 *   samlkit's cookie
 * @throws SamlError `CONFIG_INVALID` for an unusable configuration (at registration)
 * @example A Fastify 5 application
 * ```ts
 * await app.register(samlkit, { sp, idps, baseUrl: 'https://app.example.com', store });
 * app.get('/profile', { preHandler: app.saml.requireSession() }, async (request) => ({
 *   user: request.samlSession!.nameId,
 * }));
 * ```
 * @see SAML 2.0 profiles §4.1 (Web Browser SSO), §4.4 (Single Logout)
 */
export const samlkit: FastifyPluginAsync<SamlFastifyOptions> = fp(plugin, {
  name: '@samlkit/fastify',
  fastify: '5.x',
});
