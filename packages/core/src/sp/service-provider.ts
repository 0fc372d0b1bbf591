import { isSamlError, SamlError } from '../errors.js';
import { createSpMetadata } from '../metadata/sp.js';
import type { SessionRecord } from '../store/types.js';
import {
  finishCodeOf,
  finishLogin,
  notifyLogout,
  receiveResponse,
  returnToOfFailedResponse,
} from './acs.js';
import { serializeCookie } from './cookie.js';
import {
  discoveryPaths,
  discoveryStep,
  handleDiscovery,
  isDiscoveryRoute,
  resolveDiscovery,
} from './discovery.js';
import {
  defaultErrorResponse,
  methodNotAllowed,
  PAGE_HEADERS,
  redirectResponse,
  statusForError,
  wantsJson,
} from './http.js';
import { touchOnUse } from './idle.js';
import { logRefusal, refusalEvent } from './log.js';
import { beginLogin, loginOptionsFromQuery } from './login.js';
import { beginLogout, confirmLogoutPage, handleSlo, mayBeCrossSite } from './logout.js';
import { checkSessionStorage, keepSessionInStorage, sessionIdOf } from './session-storage.js';
import { resolveSettings, returnPath, type Settings } from './settings.js';
import type {
  AcsFinishStep,
  AcsResult,
  LoginOptions,
  LogoutOptions,
  RequireSessionOptions,
  RequireSessionResult,
  ServiceProvider,
  ServiceProviderOptions,
  SessionIdStorage,
  SessionOption,
} from './types.js';

async function sessionFromCookie(
  s: Settings,
  storage: SessionIdStorage | undefined,
  request: Request,
): Promise<SessionRecord | undefined> {
  const now = s.now();
  // One cookie or none: of several cookies of this name (a sibling subdomain's among them, say),
  // none is trusted — "the first that names a live session" would let a planted one win. With
  // the `session` option, the application's session library names it instead.
  const id = await sessionIdOf(s, storage, request);
  // Session IDs are base64url (createSessionId); anything else is not worth a store lookup.
  if (id === undefined || !/^[A-Za-z0-9_-]{16,128}$/.test(id)) return undefined;
  const session = await s.store.getSession(id);
  // With an inactivity timeout, use extends the session (up to its absolute end).
  return session && session.expiresAt > now ? touchOnUse(s, session, now) : undefined;
}

/**
 * Creates a SAML service provider with web-standard handlers, `(request: Request) =>
 * Promise<Response>`, that any framework adapter (or a Fetch-API runtime directly) can serve.
 *
 * - `login`: SP-initiated login over HTTP-Redirect or HTTP-POST; `returnTo` must be a same-origin
 *   path (anything else is replaced by `defaultReturnTo`); `forceAuthn` and a named
 *   `authnContext` give step-up re-authentication that keeps the current session.
 * - `acs`: the Assertion Consumer Service (POST, and Redirect). It reads **no cookie**: the
 *   pending request is taken from the store by the Response's InResponseTo, so it works when the
 *   browser withholds the SameSite=Lax cookies on the IdP's cross-site POST. After validation it
 *   parks the login under a one-time code and answers 303 to the same-site finish URL
 *   (`<acs>?finish=<code>`); there, where Lax cookies flow again, the login cookie set by `login`
 *   must match (login CSRF defence) before the session is created (or, for step-up, upgraded),
 *   the session cookie set, and the browser sent to the return path.
 * - `logout`: SP-initiated Single Logout (GET or POST from this site; a request another site may
 *   have made — `Sec-Fetch-Site`, `Origin` or `Referer` naming another origin — only gets a page
 *   asking to confirm with a same-origin POST); `slo`: LogoutRequest/LogoutResponse on Redirect, POST
 *   and SOAP, ending every session of the user in the store (any node, any device).
 * - `metadata`: the SP metadata document.
 *
 * Errors become a minimal page (or JSON) with the SamlError code and a proper status (400 bad
 * input, 401 no session, 403 refused, 503 store unreachable, 500 otherwise); the details go to
 * `logger`.
 *
 * @param options - SP and IdP configuration, store, base URL, paths, cookie, hooks and policy,
 *   and `session` to keep the session ID in the application's session library instead of a cookie
 * @returns the service provider
 * @throws SamlError `CONFIG_INVALID` for an unusable configuration; TypeError for malformed
 *   options (cookie attributes, `secure: false` outside localhost)
 * @example Serving it from any Fetch-API runtime
 * ```ts
 * const saml = createServiceProvider({
 *   sp: defineServiceProvider({ entityId: 'https://app.example.com/saml/metadata',
 *     assertionConsumerServices: [{ binding: 'post', location: 'https://app.example.com/saml/acs' }] }),
 *   idps: defineIdentityProvider({ entityId: 'https://idp.example.org', signingKeys: [idpCert],
 *     singleSignOnServices: [{ binding: 'redirect', location: 'https://idp.example.org/sso' }] }),
 *   baseUrl: 'https://app.example.com',
 *   store: new MemoryStore(),
 * });
 * export default { fetch: async (req: Request) => (await saml.handle(req)) ?? new Response('Not found', { status: 404 }) };
 * ```
 * @see SAML 2.0 profiles §4.1 (Web Browser SSO), §4.4 (Single Logout); bindings §3.2, §3.4, §3.5
 */
export function createServiceProvider(
  options: ServiceProviderOptions & SessionOption,
): ServiceProvider {
  const s = resolveSettings(options);
  const storage = checkSessionStorage(options.session);
  const sessionFromRequest = (request: Request) => sessionFromCookie(s, storage, request);
  const discovery = resolveDiscovery(
    options.discovery,
    discoveryPaths(s.paths.prefix, options.paths),
  );
  let metadataXml: Promise<string> | undefined;

  async function errorResponse(error: unknown, request: Request): Promise<Response> {
    const status = statusForError(error);
    logRefusal(s.logger, refusalEvent(s, error, request, status));
    const signInAgain = signInAgainFor(request);
    if (options.renderError && isSamlError(error)) {
      return options.renderError(error, request, status, signInAgain ? { signInAgain } : {});
    }
    return defaultErrorResponse(
      error,
      request,
      status,
      { home: s.defaultReturnTo, login: s.paths.login },
      signInAgain,
    );
  }

  /**
   * For a failed ACS step (the IdP's Response, or the finish step): a fresh login to where the
   * failed one was going. That login cannot be finished any more (its pending request may be spent, or its assertion
   * remembered), so "try again" would only get a refusal; a new login always works once the
   * cause (a store outage, say) has passed.
   */
  function signInAgainFor(request: Request): string | undefined {
    if (new URL(request.url).pathname !== s.paths.acs) return undefined;
    const returnTo = returnToOfFailedResponse(request) ?? s.defaultReturnTo;
    return `${s.paths.login}?returnTo=${encodeURIComponent(returnTo)}`;
  }

  async function guard(request: Request, body: () => Promise<Response>): Promise<Response> {
    let response: Response;
    try {
      response = await body();
    } catch (error) {
      return errorResponse(error, request);
    }
    // Outside the error page: a failure of the application's session library is the
    // application's to handle (the adapters hand it to the framework's error handling).
    return keepSessionInStorage(s, storage, request, response);
  }

  const sp: ServiceProvider = {
    paths: {
      login: s.paths.login,
      acs: s.paths.acs,
      logout: s.paths.logout,
      slo: s.paths.slo,
      metadata: s.paths.metadata,
      ...discovery.paths,
    },

    async handle(request) {
      const { pathname } = new URL(request.url);
      switch (pathname) {
        case s.paths.login:
          return sp.login(request);
        case s.paths.acs:
          return sp.acs(request);
        case s.paths.logout:
          return sp.logout(request);
        case s.paths.slo:
          return sp.slo(request);
        case s.paths.metadata:
          return sp.metadata(request);
        default:
          if (!isDiscoveryRoute(discovery, pathname)) return undefined;
          return guard(request, () => handleDiscovery(s, discovery, request));
      }
    },

    login(request, loginOptions?: LoginOptions) {
      return guard(request, async () => {
        // GET only: a HEAD (link prefetchers) must not create a pending request.
        if (request.method !== 'GET') return methodNotAllowed(['GET']);
        const fromQuery = loginOptions ?? loginOptionsFromQuery(s, new URL(request.url));
        const step = await discoveryStep(s, discovery, request, fromQuery);
        if ('response' in step) return step.response;
        const current = await sessionFromRequest(request);
        const response = await beginLogin(s, request, step.options, current);
        if (step.setCookie !== undefined) response.headers.append('set-cookie', step.setCookie);
        return response;
      });
    },

    acs(request) {
      return guard(request, async () => {
        if (request.method !== 'POST' && request.method !== 'GET') {
          return methodNotAllowed(['POST', 'GET']);
        }
        const result = await sp.handleAcs(request);
        if (result.step === 'finish') return redirectResponse(result.redirectTo);
        return redirectResponse(result.redirectTo, [
          serializeCookie(s.cookie, result.session.id),
          ...result.cookies,
        ]);
      });
    },

    async handleAcs(request): Promise<AcsFinishStep | AcsResult> {
      const code = finishCodeOf(request);
      // The IdP's Response: validated without any cookie (its cross-site POST brings none).
      if (code === undefined) return receiveResponse(s, request);
      // The finish GET is same-site: the login cookie binds the login to this browser, and the
      // session cookie names the session this login replaces.
      return finishLogin(s, request, code, await sessionFromRequest(request));
    },

    logout(request, logoutOptions?: LogoutOptions) {
      return guard(request, async () => {
        if (request.method !== 'GET' && request.method !== 'POST') {
          return methodNotAllowed(['GET', 'POST']);
        }
        // Logout CSRF: another site must not be able to end the user's session (a link, an image,
        // an auto-submitted form). Such a request gets a page with a same-origin confirm button.
        if (mayBeCrossSite(s, request)) return confirmLogoutPage(request);
        const query = new URL(request.url).searchParams;
        const resolved: LogoutOptions = logoutOptions ?? {
          ...(query.has('returnTo') ? { returnTo: query.get('returnTo')! } : {}),
          ...(query.get('localOnly') === 'true' ? { localOnly: true } : {}),
        };
        return beginLogout(s, request, await sessionFromRequest(request), resolved);
      });
    },

    slo(request) {
      return guard(request, async () => {
        if (request.method !== 'GET' && request.method !== 'POST') {
          return methodNotAllowed(['GET', 'POST']);
        }
        return handleSlo(s, request, await sessionIdOf(s, storage, request));
      });
    },

    metadata(request) {
      return guard(request, async () => {
        if (request.method !== 'GET' && request.method !== 'HEAD') return methodNotAllowed(['GET']);
        metadataXml ??= createSpMetadata(s.sp, {
          ...(options.metadata ?? {}),
          // SAML metadata §2.4.4: WantAssertionsSigned promises that unsigned assertions are
          // refused; it is announced exactly when the ACS enforces it for every IdP.
          wantAssertionsSigned: s.requireAssertionSignature,
          // sstc-saml-idp-discovery §2.4.1: the service returns only to a DiscoveryResponse URL.
          ...(options.discovery?.service !== undefined &&
            !options.metadata?.discoveryResponseUrls && {
              discoveryResponseUrls: [new URL(s.paths.login, s.base).href],
            }),
          ...(s.crypto && !options.metadata?.crypto ? { crypto: s.crypto } : {}),
        });
        let xml: string;
        try {
          xml = await metadataXml;
        } catch (err) {
          metadataXml = undefined;
          throw err;
        }
        return new Response(request.method === 'HEAD' ? null : xml, {
          status: 200,
          headers: {
            'content-type': 'application/samlmetadata+xml; charset=utf-8',
            'cache-control': 'public, max-age=3600',
            'x-content-type-options': 'nosniff',
          },
        });
      });
    },

    getSession(request) {
      return sessionFromRequest(request);
    },

    async requireSession(
      request,
      requireOptions?: RequireSessionOptions,
    ): Promise<RequireSessionResult> {
      let session: SessionRecord | undefined;
      try {
        session = await sessionFromRequest(request);
      } catch (error) {
        // A store outage is a 503 page, not an exception in the application's route.
        return { response: await errorResponse(error, request) };
      }
      const url = new URL(request.url);
      const here = returnPath(s, `${url.pathname}${url.search}`) ?? s.defaultReturnTo;
      const now = s.now();
      if (session) {
        const tooOld =
          requireOptions?.maxAuthnAgeMs !== undefined &&
          (session.authnInstant === undefined ||
            now - session.authnInstant > requireOptions.maxAuthnAgeMs);
        const wanted = requireOptions?.authnContext;
        const wrongContext =
          wanted !== undefined &&
          (session.authnContextClassRef === undefined ||
            !wanted.classRefs.includes(session.authnContextClassRef));
        if (!tooOld && !wrongContext) return { session };
        if (requireOptions?.redirect === false || wantsJson(request)) {
          return { response: unauthorized('The session needs a fresh or stronger sign-in.') };
        }
        // Step-up: straight to the IdP, keeping this session (the pending request names it).
        const response = await sp.login(request, {
          returnTo: here,
          forceAuthn: true,
          ...(wanted ? { requestedAuthnContext: wanted } : {}),
        });
        return { response };
      }
      if (requireOptions?.redirect === false || wantsJson(request)) {
        return { response: unauthorized('You are not signed in.') };
      }
      const login = `${s.paths.login}?returnTo=${encodeURIComponent(here)}`;
      return { response: redirectResponse(login, [], 303) };
    },

    getSessionById(id) {
      if (typeof id !== 'string' || id === '') return Promise.resolve(undefined);
      return s.store.getSession(id);
    },

    async endSession(id, request) {
      const session = await s.store.getSession(id);
      if (!session) return false;
      const deleted = await s.store.deleteSession(id);
      if (deleted) await notifyLogout(s, session, request, 'sp-initiated');
      return deleted;
    },

    sessionCookie(sessionId) {
      return serializeCookie(s.cookie, sessionId);
    },

    errorResponse,
  };
  return Object.freeze(sp);
}

function unauthorized(message: string): Response {
  const error = new SamlError('SESSION_NOT_FOUND', message, {
    expected: 'a live samlkit session cookie',
    found: 'none, or one that does not meet the requirement',
  });
  return new Response(JSON.stringify({ error: { code: error.code, message } }), {
    status: 401,
    headers: { ...PAGE_HEADERS, 'content-type': 'application/json; charset=utf-8' },
  });
}
