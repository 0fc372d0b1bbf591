// A test Identity Provider as an HTTP server (node:http): a login page with a few test users,
// SingleSignOnService on Redirect and POST, SingleLogoutService, and IdP metadata. Used by the
// browser tests, the demo (`pnpm start`) and `samlkit dev-idp`. Never for production: passwords are
// the test users' own, and AuthnRequest signatures are not checked.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  decodePostBinding,
  decodeRedirect,
  type LogoutRequest,
  parseAuthnRequest,
  parseLogoutRequest,
  parseLogoutResponse,
} from '@samlkit/core';
import { createTestIdp, type TestIdp } from './idp.js';
import {
  COOKIE,
  deliver,
  escapeHtml,
  escapeXml,
  page,
  readCookie,
  readForm,
  readText,
  send,
} from './idp-server/http.js';
import {
  IDP_SERVER_USERS,
  type IdpServer,
  type IdpServerOptions,
  type IdpSession,
  PASSWORD_PROTECTED,
  type PendingLogin,
} from './idp-server/types.js';
import { generateTestKeys } from './keys.js';

/**
 * Starts a test Identity Provider on loopback: an HTML login page with test users, the
 * SingleSignOnService on the HTTP-Redirect and HTTP-POST bindings (answering with a signed
 * Response through an auto-submitting HTTP-POST form, or HTTP-Redirect when the AuthnRequest asks
 * for it), ForceAuthn (the login page again, even with an IdP session), the SingleLogoutService
 * for LogoutRequests and LogoutResponses from SPs, IdP-initiated logout (`GET /logout`), and its
 * metadata (`GET /metadata`).
 *
 * Routes: `GET /` (users and endpoints), `GET|POST /sso`, `POST /login` (the form),
 * `GET|POST /slo`, `GET|POST /slo/response`, `GET /logout?sp=<entityID>`, `GET /metadata`.
 *
 * It is a test tool: AuthnRequest signatures are not verified and the users are fixed. Logins to
 * SPs it does not know are answered (to the ACS URL the request names) unless `serviceProviders`
 * lists the SPs with their ACS URLs.
 *
 * @param options - address, entity ID, keys, users, known SPs
 * @returns the running server, its SP-side configuration and a `stop()`
 * @throws Error when the address cannot be bound
 * @example A browser test or a local demo
 * ```ts
 * const idp = await startIdpServer({
 *   serviceProviders: [{ entityId: 'http://localhost:3000/saml/metadata',
 *     sloUrl: 'http://localhost:3000/saml/slo' }],
 * });
 * const saml = createSamlExpress({ sp, idps: idp.config, baseUrl: 'http://localhost:3000' });
 * // …
 * await idp.stop();
 * ```
 * @see SAML profiles §4.1 (Web Browser SSO), §4.4 (Single Logout); metadata §2.4.3
 */
export async function startIdpServer(options: IdpServerOptions = {}): Promise<IdpServer> {
  const host = options.host ?? '127.0.0.1';
  const users = options.users ?? IDP_SERVER_USERS;
  const sps = new Map((options.serviceProviders ?? []).map((sp) => [sp.entityId, sp]));
  const pending = new Map<string, PendingLogin>();
  const sessions = new Map<string, IdpSession>();
  let idp: TestIdp | undefined;
  let base = '';
  // Keys first: the port opens only when everything the handlers need can be made at once.
  const keys = options.keys ?? (await generateTestKeys({ subject: 'samlkit test idp' }));
  // And a request that arrives between the port opening and the IdP existing waits for it.
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  const server = createServer((req, res) => {
    ready
      .then(() => handle(req, res))
      .catch((err: unknown) => {
        if (!res.headersSent) {
          send(res, 400, page('Request refused', `<p>${escapeHtml(String(err))}</p>`));
        } else {
          res.destroy();
        }
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const entityId = options.entityId ?? `${base}/metadata`;
  try {
    idp = await createTestIdp({ entityId, baseUrl: base, keys });
  } catch (err) {
    server.close();
    throw err;
  }
  const testIdp = idp;

  function currentSession(req: IncomingMessage): [string, IdpSession] | undefined {
    const sid = readCookie(req, COOKIE);
    const session = sid ? sessions.get(sid) : undefined;
    return sid && session ? [sid, session] : undefined;
  }

  function loginForm(loginId: string, login: PendingLogin, error?: string): string {
    const who = escapeHtml(login.request.issuer);
    const step = login.request.forceAuthn ? '<p><strong>Please sign in again.</strong></p>' : '';
    return page(
      'Test IdP — sign in',
      `<p>Signing in to <code>${who}</code>.</p>${step}` +
        (error ? `<p role="alert" style="color:#b00">${escapeHtml(error)}</p>` : '') +
        `<form method="post" action="/login">` +
        `<input type="hidden" name="login" value="${escapeHtml(loginId)}">` +
        '<label>Username <input name="username" autocomplete="username" autofocus></label>' +
        '<label>Password <input name="password" type="password" autocomplete="current-password"></label>' +
        '<button type="submit">Sign in</button></form>' +
        `<p>Test users: ${users.map((u) => `<code>${escapeHtml(u.username)}</code>`).join(', ')} (password = username).</p>`,
    );
  }

  async function answer(
    res: ServerResponse,
    login: PendingLogin,
    session: IdpSession,
    cookies: string[],
  ): Promise<void> {
    const requested = login.request.requestedAuthnContext?.classRefs[0];
    session.sps.add(login.request.issuer);
    // The binding the AuthnRequest asks for (SAML core §3.4.1 ProtocolBinding); HTTP-Artifact
    // sends the browser back with SAMLart and serves the Response at POST /artifact;
    // SimpleSign posts the form signed over the XML.
    const asked = login.request.protocolBinding ?? '';
    const binding = asked.endsWith('HTTP-Redirect')
      ? 'redirect'
      : asked.endsWith('HTTP-Artifact')
        ? 'artifact'
        : asked.endsWith('HTTP-POST-SimpleSign')
          ? 'simpleSign'
          : 'post';
    const delivery = await testIdp.answerLogin(login.request, login.relayState, {
      nameId: session.user.nameId,
      sessionIndex: session.sessionIndex,
      authnInstant: Date.now(),
      authnContextClassRef: requested ?? options.authnContextClassRef ?? PASSWORD_PROTECTED,
      ...(session.user.attributes ? { attributes: session.user.attributes } : {}),
      binding,
    });
    deliver(res, delivery, cookies);
  }

  async function sso(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    let xml: string;
    let relayState: string | undefined;
    if (req.method === 'GET') {
      const decoded = await decodeRedirect(url.href);
      if (decoded.type !== 'SAMLRequest') throw new Error('expected a SAMLRequest');
      xml = decoded.xml;
      relayState = decoded.relayState;
    } else {
      const form = await readForm(req);
      const value = form.get('SAMLRequest');
      if (value === null) throw new Error('the form carries no SAMLRequest');
      xml = decodePostBinding(value);
      relayState = form.get('RelayState') ?? undefined;
    }
    const request = parseAuthnRequest(xml);
    const acs = request.assertionConsumerServiceUrl;
    const known = sps.get(request.issuer);
    if (!acs) throw new Error('the AuthnRequest names no AssertionConsumerServiceURL');
    if (known?.acsUrls && !known.acsUrls.includes(acs)) {
      throw new Error(`the ACS URL ${acs} is not registered for ${request.issuer}`);
    }
    const login: PendingLogin = { request, relayState, createdAt: Date.now() };
    const current = currentSession(req);
    if (current && !request.forceAuthn) {
      return answer(res, login, current[1], []);
    }
    if (request.isPassive) {
      // SAML core §3.4.1: without an IdP session a passive request is answered NoPassive.
      return deliver(res, await testIdp.answerNoPassive(request, relayState));
    }
    const loginId = randomBytes(16).toString('base64url');
    pending.set(loginId, login);
    // Forget logins left unfinished for more than 15 minutes.
    for (const [id, p] of pending) if (Date.now() - p.createdAt > 15 * 60_000) pending.delete(id);
    send(res, 200, loginForm(loginId, login));
  }

  async function loginPost(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await readForm(req);
    const loginId = form.get('login') ?? '';
    const login = pending.get(loginId);
    if (!login) {
      return send(
        res,
        400,
        page('Login expired', '<p>Go back to the application and try again.</p>'),
      );
    }
    const user = users.find(
      (u) => u.username === form.get('username') && u.password === form.get('password'),
    );
    if (!user) {
      return send(res, 401, loginForm(loginId, login, 'Wrong username or password.'));
    }
    pending.delete(loginId);
    const previous = currentSession(req);
    // A new IdP session at every sign-in (and a new SessionIndex), the old one ended.
    if (previous) sessions.delete(previous[0]);
    const sid = randomBytes(24).toString('base64url');
    const session: IdpSession = {
      user,
      sessionIndex: `_idx${randomBytes(12).toString('hex')}`,
      sps: new Set(previous?.[1].user === user ? previous[1].sps : []),
    };
    sessions.set(sid, session);
    await answer(res, login, session, [`${COOKIE}=${sid}; Path=/; HttpOnly; SameSite=Lax`]);
  }

  async function slo(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    let type: 'SAMLRequest' | 'SAMLResponse';
    let xml: string;
    let relayState: string | undefined;
    if (req.method === 'GET') {
      const decoded = await decodeRedirect(url.href);
      type = decoded.type;
      xml = decoded.xml;
      relayState = decoded.relayState;
    } else {
      const form = await readForm(req);
      const value = form.get('SAMLRequest') ?? form.get('SAMLResponse');
      if (value === null) throw new Error('the form carries no SAML message');
      type = form.has('SAMLRequest') ? 'SAMLRequest' : 'SAMLResponse';
      xml = decodePostBinding(value);
      relayState = form.get('RelayState') ?? undefined;
    }
    const clear = `${COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`;
    if (type === 'SAMLResponse') {
      const response = parseLogoutResponse(xml);
      const sp = sps.get(response.issuer ?? '');
      // The way back: the home page of the SP that answered (the origin of its SLO or ACS URL).
      const known = sp?.sloUrl ?? sp?.acsUrls?.[0];
      const back = known !== undefined ? `${new URL(known).origin}/` : undefined;
      // SAML core §3.2.2.2: the status codes in words, the URN prefix left out.
      const codes = response.status.codes
        .map((c) => c.replace(/^urn:oasis:names:tc:SAML:2\.0:status:/, ''))
        .join(' / ');
      const who = `<code>${escapeHtml(response.issuer ?? 'the service provider')}</code>`;
      const [title, text] = !response.status.success
        ? ['Not signed out', `${who} could not sign you out (status ${escapeHtml(codes)}).`]
        : response.status.partial
          ? [
              'Signed out (partly)',
              `You are signed out of this IdP; ${who} ended only some of your sessions there.`,
            ]
          : ['Signed out', `You are signed out of ${who} and of this IdP.`];
      const link = back
        ? `<p><a href="${escapeHtml(back)}">Back to ${escapeHtml(back)}</a></p>`
        : '<p><a href="/">The test IdP</a></p>';
      return send(res, 200, page(title, `<p>${text}</p>${link}`), { 'set-cookie': clear });
    }
    const request: LogoutRequest = parseLogoutRequest(xml);
    // End the IdP session of that user (this browser's, and any other with the same NameID).
    for (const [sid, s] of sessions) {
      if (s.user.nameId === request.nameId?.value) sessions.delete(sid);
    }
    const sloUrl = sps.get(request.issuer)?.sloUrl;
    if (!sloUrl) {
      return send(
        res,
        200,
        page(
          'Signed out',
          `<p>Signed out at the IdP. <code>${escapeHtml(request.issuer)}</code> is not a known service provider, so no LogoutResponse was sent.</p>`,
        ),
        { 'set-cookie': clear },
      );
    }
    const delivery = await testIdp.answerLogout(request, relayState, { spSloUrl: sloUrl });
    deliver(res, delivery, [clear]);
  }

  async function idpInitiatedLogout(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
  ): Promise<void> {
    const current = currentSession(req);
    if (!current) return send(res, 200, page('Signed out', '<p>There is no IdP session.</p>'));
    const [sid, session] = current;
    const spId = url.searchParams.get('sp') ?? [...session.sps][0];
    const sloUrl = spId ? sps.get(spId)?.sloUrl : undefined;
    sessions.delete(sid);
    const clear = `${COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`;
    if (!sloUrl) {
      return send(res, 200, page('Signed out', '<p>Signed out at the IdP only.</p>'), {
        'set-cookie': clear,
      });
    }
    const message = await testIdp.logoutRequest({
      spSloUrl: sloUrl,
      nameId: session.user.nameId,
      sessionIndexes: [session.sessionIndex],
      binding: 'redirect',
    });
    deliver(res, message, [clear]);
  }

  function metadata(): string {
    const cert = testIdp.keys.certificatePem
      .replace(/-----(BEGIN|END) CERTIFICATE-----/g, '')
      .replace(/\s+/g, '');
    const b = escapeXml(base);
    const binding = (name: string) => `urn:oasis:names:tc:SAML:2.0:bindings:${name}`;
    return (
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${escapeXml(entityId)}">` +
      '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">' +
      '<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">' +
      `<ds:X509Data><ds:X509Certificate>${cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
      // SAML metadata §2.4.2 (SSODescriptorType): ArtifactResolutionService comes first.
      `<md:ArtifactResolutionService Binding="${binding('SOAP')}" Location="${b}/artifact" index="0"/>` +
      `<md:SingleLogoutService Binding="${binding('HTTP-Redirect')}" Location="${b}/slo" ResponseLocation="${b}/slo/response"/>` +
      `<md:SingleLogoutService Binding="${binding('HTTP-POST')}" Location="${b}/slo" ResponseLocation="${b}/slo/response"/>` +
      '<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>' +
      `<md:SingleSignOnService Binding="${binding('HTTP-Redirect')}" Location="${b}/sso"/>` +
      `<md:SingleSignOnService Binding="${binding('HTTP-POST')}" Location="${b}/sso"/>` +
      '</md:IDPSSODescriptor></md:EntityDescriptor>\n'
    );
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const method = req.method ?? 'GET';
    const route = `${method} ${url.pathname}`;
    switch (route) {
      case 'GET /':
        return send(
          res,
          200,
          page(
            'samlkit test IdP',
            `<p>Entity ID <code>${escapeHtml(entityId)}</code>; metadata at <a href="/metadata">/metadata</a>.</p>` +
              `<p>Users: ${users.map((u) => `<code>${escapeHtml(u.username)}</code> (${escapeHtml(u.nameId)})`).join(', ')}; password = username.</p>`,
          ),
        );
      case 'GET /sso':
      case 'POST /sso':
        return sso(req, res, url);
      case 'POST /login':
        return loginPost(req, res);
      case 'GET /slo':
      case 'POST /slo':
      case 'GET /slo/response':
      case 'POST /slo/response':
        return slo(req, res, url);
      case 'GET /logout':
        return idpInitiatedLogout(req, res, url);
      case 'POST /artifact': {
        // SAML bindings §3.6.3: the SP's ArtifactResolve over SOAP.
        const answer = await testIdp.artifactFetch(`${base}/artifact`, {
          method: 'POST',
          headers: { 'content-type': req.headers['content-type'] ?? 'text/xml' },
          body: await readText(req),
        });
        res.writeHead(answer.status, { 'content-type': 'text/xml; charset=utf-8' });
        res.end(await answer.text());
        return;
      }
      case 'GET /metadata':
        res.writeHead(200, { 'content-type': 'application/samlmetadata+xml; charset=utf-8' });
        res.end(metadata());
        return;
      default:
        send(res, 404, page('Not found', '<p>No such page.</p>'));
    }
  }

  markReady();
  return {
    url: base,
    entityId,
    config: testIdp.config,
    idp: testIdp,
    users,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
