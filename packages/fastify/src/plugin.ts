import {
  createServiceProvider,
  type RequireSessionOptions,
  SamlError,
  type ServiceProvider,
  type ServiceProviderOptions,
  type SessionRecord,
} from '@samlkit/core';
import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  preHandlerAsyncHookHandler,
} from 'fastify';
import fp from 'fastify-plugin';

/** Options of the {@link samlkit} plugin: the samlkit service-provider options. */
export type SamlFastifyOptions = ServiceProviderOptions;

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

/** The most bytes samlkit reads from a SAML form or SOAP body (the limit core applies as well). */
const BODY_LIMIT = 2 * 1024 * 1024;

/** The body types the SAML bindings use: HTML forms (POST binding) and SOAP. */
const SAML_BODY_TYPES = ['application/x-www-form-urlencoded', 'text/xml', 'application/soap+xml'];

/** A `Host` header value that can be put in a URL (host name or [IPv6], optional port). */
const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

function toRequest(request: FastifyRequest, withBody: boolean): Request {
  const raw = request.raw;
  const tls = (raw.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  const host = raw.headers.host;
  const origin = `${tls ? 'https' : 'http'}://${host && HOST.test(host) ? host : 'localhost'}`;
  const url = new URL(raw.url ?? '/', origin).href;
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw.headers)) {
    if (name.startsWith(':') || value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  const method = request.method.toUpperCase();
  const body = request.body;
  if (!withBody || method === 'GET' || method === 'HEAD' || body === undefined || body === null) {
    return new Request(url, { method, headers });
  }
  headers.delete('content-length');
  const content =
    typeof body === 'string'
      ? body
      : body instanceof Uint8Array
        ? new Uint8Array(body)
        : JSON.stringify(body);
  return new Request(url, { method, headers, body: content });
}

async function send(reply: FastifyReply, response: Response): Promise<FastifyReply> {
  reply.code(response.status);
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie' && name !== 'content-length') reply.header(name, value);
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) reply.header('set-cookie', cookies);
  const body = response.body ? Buffer.from(await response.arrayBuffer()) : undefined;
  return body === undefined ? reply.send() : reply.send(body);
}

const plugin: FastifyPluginAsync<SamlFastifyOptions> = async (fastify, options) => {
  const provider = createServiceProvider(options);

  const saml: SamlFastify = Object.freeze({
    provider,
    getSession: (request: FastifyRequest) => provider.getSession(toRequest(request, false)),
    requireSession(requireOptions?: RequireSessionOptions): preHandlerAsyncHookHandler {
      return async function samlRequireSession(request, reply) {
        const result = await provider.requireSession(toRequest(request, false), requireOptions);
        if (result.response) return send(reply, result.response);
        request.samlSession = result.session;
      };
    },
    loadSession(): preHandlerAsyncHookHandler {
      return async function samlLoadSession(request, reply) {
        const web = toRequest(request, false);
        try {
          request.samlSession = (await provider.getSession(web)) ?? null;
        } catch (error) {
          // A store outage is a 503 page, not an exception in the application's route.
          return send(reply, await provider.errorResponse(error, web));
        }
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
    // Fastify refuses a body over the limit before samlkit sees it; answer as the other adapters
    // do (samlkit's page or JSON, HTTP 400, XML_TOO_LARGE) rather than with Fastify's bare 413.
    scope.setErrorHandler(async (error, request, reply) => {
      if ((error as { code?: string }).code !== 'FST_ERR_CTP_BODY_TOO_LARGE') throw error;
      const web = toRequest(request, false);
      const declared = request.headers['content-length'];
      const tooLarge = new SamlError(
        'XML_TOO_LARGE',
        'The request body is larger than the limit.',
        {
          expected: `at most ${BODY_LIMIT} bytes`,
          found: declared ? `${declared} bytes` : `more than ${BODY_LIMIT} bytes`,
        },
      );
      return send(reply, await provider.errorResponse(tooLarge, web));
    });
    scope.addContentTypeParser(
      SAML_BODY_TYPES,
      { parseAs: 'string', bodyLimit: BODY_LIMIT },
      (_request, body, done) => done(null, body),
    );
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      // A body that fails the schema still goes to samlkit, which answers with its own error page.
      const response = await provider.handle(toRequest(request, true));
      if (!response) return reply.callNotFound();
      return send(reply, response);
    };
    for (const url of new Set(Object.values(provider.paths))) {
      scope.route({ method: 'GET', url, handler });
      scope.route({
        method: 'POST',
        url,
        attachValidation: true,
        schema: {
          body: {
            description:
              'A SAML binding body: an HTML form (SAMLResponse or SAMLRequest, RelayState) or a SOAP envelope',
            type: 'string',
            maxLength: BODY_LIMIT,
          },
        },
        handler,
      });
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
 * @param options - the samlkit service-provider options (SP, IdPs, store, base URL, cookie, hooks)
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
