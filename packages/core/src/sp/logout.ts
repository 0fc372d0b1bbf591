import type { IncomingSamlMessage } from '../bindings/incoming.js';
import { decodePost } from '../bindings/post.js';
import { decodeRedirect, encodeRedirect } from '../bindings/redirect.js';
import {
  createSoapEnvelope,
  createSoapFault,
  parseSoapEnvelope,
  SOAP_CONTENT_TYPE,
} from '../bindings/soap.js';
import {
  type BindingName,
  type Endpoint,
  type IdentityProviderConfig,
  pickEndpoint,
} from '../config.js';
import { isSamlError, SamlError } from '../errors.js';
import { trimXmlSpace } from '../lib/checks.js';
import { escapeHtml } from '../lib/html.js';
import { attr, childElements, NS, parseXml, textOf } from '../lib/xml.js';
import { createLogoutRequest } from '../messages/logout-request.js';
import { validateLogoutRequest } from '../messages/logout-request-validation.js';
import { createLogoutResponse } from '../messages/logout-response.js';
import { takePendingLogout } from '../messages/logout-response-pending.js';
import { validateLogoutResponse } from '../messages/logout-response-validation.js';
import { signXml } from '../signature/sign.js';
import type { SessionRecord } from '../store/types.js';
import { notifyLogout } from './acs.js';
import { serializeCookie } from './cookie.js';
import {
  htmlResponse,
  PAGE_HEADERS,
  readBody,
  readForm,
  redirectResponse,
  statusForError,
} from './http.js';
import { logRefusal, noteIdp, refusalEvent } from './log.js';
import { postFormResponse } from './login.js';
import { policyFor, publicOrigin, returnPath, type Settings } from './settings.js';
import type { LogoutOptions } from './types.js';

/** How a message is sent to the IdP's SLO endpoint. */
async function sendToIdp(
  s: Settings,
  endpoint: Endpoint,
  type: 'SAMLRequest' | 'SAMLResponse',
  xml: string,
  relayState: string | undefined,
  setCookies: readonly string[],
): Promise<Response> {
  const destination =
    type === 'SAMLResponse' ? (endpoint.responseLocation ?? endpoint.location) : endpoint.location;
  const key = s.signingKey;
  const algorithm = s.sp.signatureAlgorithm;
  if (!key) {
    s.logger.warn(
      'logout: no SP signing key; the logout message goes unsigned and most IdPs refuse it',
      {
        code: 'CONFIG_INVALID',
      },
    );
  }
  if (endpoint.binding === 'redirect') {
    const url = await encodeRedirect({
      destination,
      type,
      xml,
      ...(relayState !== undefined ? { relayState } : {}),
      ...(key ? { sign: { key: key.privateKey, ...(algorithm ? { algorithm } : {}) } } : {}),
      ...(s.crypto ? { crypto: s.crypto } : {}),
    });
    return redirectResponse(url, setCookies, 303);
  }
  const signed = key
    ? await signXml(xml, {
        key: key.privateKey,
        certificate: key.certificate,
        ...(algorithm ? { algorithm } : {}),
        ...(s.crypto ? { crypto: s.crypto } : {}),
      })
    : xml;
  return postFormResponse(destination, type, signed, relayState, setCookies);
}

/** The IdP SLO endpoint for a binding, else any front-channel one. */
function idpSloEndpoint(idp: IdentityProviderConfig, binding?: BindingName): Endpoint | undefined {
  const list = idp.singleLogoutServices ?? [];
  const preferred = binding === 'simpleSign' ? 'post' : binding;
  return (
    (preferred && preferred !== 'soap' ? pickEndpoint(list, preferred) : undefined) ??
    pickEndpoint(list, 'redirect') ??
    pickEndpoint(list, 'post')
  );
}

/**
 * Whether a request to the logout endpoint may have been made by another site (logout CSRF: an
 * `<img src="/saml/logout">` or an auto-submitted form on any page the user visits). Fetch
 * metadata decides when the browser sends it (`same-origin`, or `none` for a typed URL or a
 * bookmark, are trusted; `same-site` is another origin, e.g. a sibling subdomain); otherwise an
 * `Origin` or `Referer` header naming another origin. A request with none of these headers (an
 * older browser's GET, a script) is trusted, as before.
 * @internal
 */
export function mayBeCrossSite(s: Settings, request: Request): boolean {
  const site = request.headers.get('sec-fetch-site');
  if (site !== null) return site !== 'same-origin' && site !== 'none';
  const own = publicOrigin(s, request);
  const origin = request.headers.get('origin');
  if (origin !== null) return origin !== own;
  const referer = request.headers.get('referer');
  if (referer === null || referer === '') return false;
  try {
    return new URL(referer).origin !== own;
  } catch {
    return true;
  }
}

/**
 * The answer to a logout request that may come from another site: nothing ends; a small page asks
 * the user to confirm with a same-origin POST to the same URL (which then passes the check).
 * @internal
 */
export function confirmLogoutPage(request: Request): Response {
  const url = new URL(request.url);
  const action = escapeHtml(`${url.pathname}${url.search}`);
  const body =
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<title>Sign out</title></head><body>\n<h1>Sign out?</h1>\n' +
    `<form method="post" action="${action}"><button type="submit">Sign out</button></form>\n` +
    '</body></html>\n';
  return htmlResponse(body, 200, {
    'content-security-policy': "default-src 'none'; form-action 'self'; frame-ancestors 'none'",
  });
}

/**
 * SP-initiated logout: ends the local session at once (whatever the IdP answers), records the
 * pending LogoutRequest in the store and sends it to the IdP, signed.
 * @internal
 */
export async function beginLogout(
  s: Settings,
  request: Request,
  session: SessionRecord | undefined,
  options: LogoutOptions,
): Promise<Response> {
  const clear = serializeCookie(s.cookie, null);
  const returnTo = options.returnTo === undefined ? undefined : returnPath(s, options.returnTo);
  if (options.returnTo !== undefined && returnTo === undefined) {
    s.logger.warn('logout: unsafe returnTo replaced by the logout page', {
      code: 'RETURN_TO_UNSAFE',
      found: options.returnTo.slice(0, 200),
    });
  }
  const landing = returnTo ?? s.logoutComplete;
  if (!session) return redirectResponse(landing, [clear]);

  if (await s.store.deleteSession(session.id))
    await notifyLogout(s, session, request, 'sp-initiated');
  let idp: IdentityProviderConfig | undefined;
  try {
    idp = (await s.directory.forMessage(session.issuer, session.issuer)).idp;
  } catch {
    idp = undefined; // the IdP was removed from the configuration since this login
  }
  const endpoint = idp ? idpSloEndpoint(idp) : undefined;
  if (options.localOnly || !idp || !endpoint || s.sloUrls.length === 0) {
    return redirectResponse(landing, [clear]);
  }
  const now = s.now();
  const sessionIndexes = session.sessionIndex !== undefined ? [session.sessionIndex] : [];
  const created = await createLogoutRequest({
    issuer: s.sp.entityId,
    destination: endpoint.location,
    nameId: {
      value: session.nameId,
      ...(session.nameIdFormat ? { format: session.nameIdFormat } : {}),
      ...(session.nameQualifier ? { nameQualifier: session.nameQualifier } : {}),
      ...(session.spNameQualifier ? { spNameQualifier: session.spNameQualifier } : {}),
    },
    sessionIndexes,
    notOnOrAfter: now + s.requestTtlMs,
    now,
    ...(s.crypto ? { crypto: s.crypto } : {}),
  });
  await s.store.putPendingRequest(
    created.id,
    {
      id: created.id,
      kind: 'logout',
      createdAt: now,
      idpEntityId: idp.entityId,
      relayState: created.id,
      ...(returnTo !== undefined ? { returnTo } : {}),
      sessionId: session.id,
      binding: endpoint.binding,
      destination: s.sloUrls[0]!,
      nameId: session.nameId,
      sessionIndexes,
    },
    now + s.requestTtlMs,
  );
  return sendToIdp(s, endpoint, 'SAMLRequest', created.xml, created.id, [clear]);
}

/** The incoming message per binding, from the HTTP request. */
async function incoming(request: Request): Promise<IncomingSamlMessage> {
  if (request.method === 'GET') return { binding: 'redirect', query: request.url };
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'text/xml' || type === 'application/soap+xml') {
    return { binding: 'soap', body: await readBody(request) };
  }
  const form = await readForm(request);
  return { binding: 'post', form: Object.fromEntries(form) };
}

/** Reads (untrusted) which message this is and who claims to send it; validation follows. */
async function peek(message: IncomingSamlMessage): Promise<{
  type: 'SAMLRequest' | 'SAMLResponse';
  issuer: string | undefined;
  inResponseTo: string | undefined;
}> {
  let root: Element;
  let type: 'SAMLRequest' | 'SAMLResponse';
  if (message.binding === 'redirect') {
    const decoded = await decodeRedirect(message.query);
    type = decoded.type;
    root = parseXml(decoded.xml).documentElement;
  } else if (message.binding === 'soap') {
    root = parseSoapEnvelope(message.body).message;
    type = root.localName === 'LogoutResponse' ? 'SAMLResponse' : 'SAMLRequest';
  } else {
    const form = message.form;
    const value = form.SAMLRequest ?? form.SAMLResponse;
    if (
      value === undefined ||
      (form.SAMLRequest !== undefined && form.SAMLResponse !== undefined)
    ) {
      throw new SamlError('BINDING_INVALID', 'The form carries no single SAML message.', {
        expected: 'exactly one of SAMLRequest or SAMLResponse (SAML bindings §3.5.4)',
        found: value === undefined ? 'neither' : 'both',
      });
    }
    type = form.SAMLRequest !== undefined ? 'SAMLRequest' : 'SAMLResponse';
    root = parseXml(decodePost(value)).documentElement;
  }
  const issuerEl = childElements(root, NS.saml, 'Issuer')[0];
  // Issuer is an entity ID (xs:anyURI): XML white space only is stripped.
  return {
    type,
    issuer: issuerEl ? trimXmlSpace(textOf(issuerEl)) : undefined,
    // Unverified: it only names the one ID the validator may accept.
    inResponseTo: attr(root, 'InResponseTo'),
  };
}

/** Ends every session the LogoutRequest names; returns how many ended and how many failed. */
async function endSessions(
  s: Settings,
  request: Request,
  issuer: string,
  nameId: string,
  sessionIndexes: readonly string[],
): Promise<{ ended: string[]; failed: number }> {
  if (s.store.endSessions) return endSessionsInBulk(s, request, issuer, nameId, sessionIndexes);
  const found = new Map<string, SessionRecord>();
  let failed = 0;
  // SAML core §3.7.3.2: without SessionIndex, every session of the principal ends; with them,
  // the sessions with any of those indexes.
  for (const sessionIndex of sessionIndexes.length ? sessionIndexes : [undefined]) {
    try {
      const list = await s.store.findSessions({
        issuer,
        nameId,
        ...(sessionIndex !== undefined ? { sessionIndex } : {}),
      });
      for (const session of list) found.set(session.id, session);
    } catch (err) {
      failed++;
      s.logger.error('slo: could not look sessions up', { error: String(err) });
    }
  }
  const ended: string[] = [];
  for (const session of found.values()) {
    try {
      await s.store.deleteSession(session.id);
      ended.push(session.id);
      await notifyLogout(s, session, request, 'idp-initiated');
    } catch (err) {
      failed++;
      s.logger.error('slo: could not end a session', { error: String(err) });
    }
  }
  return { ended, failed };
}

/**
 * {@link endSessions} on a store with `endSessions`: a few round trips however many sessions the
 * user has. Sessions the store could not end count as failed (the answer is then PartialLogout).
 */
async function endSessionsInBulk(
  s: Settings,
  request: Request,
  issuer: string,
  nameId: string,
  sessionIndexes: readonly string[],
): Promise<{ ended: string[]; failed: number }> {
  const endAll = s.store.endSessions!.bind(s.store);
  const ended: string[] = [];
  let failed = 0;
  // SAML core §3.7.3.2: without SessionIndex, every session of the principal ends; with them,
  // the sessions with any of those indexes.
  for (const sessionIndex of sessionIndexes.length ? sessionIndexes : [undefined]) {
    try {
      const result = await endAll({
        issuer,
        nameId,
        ...(sessionIndex !== undefined ? { sessionIndex } : {}),
      });
      failed += result.failed;
      if (result.failed > 0) {
        s.logger.error('slo: some sessions could not be ended', { failed: result.failed });
      }
      for (const session of result.ended) {
        ended.push(session.id);
        await notifyLogout(s, session, request, 'idp-initiated');
      }
    } catch (err) {
      failed++;
      s.logger.error('slo: could not end sessions', { error: String(err) });
    }
  }
  return { ended, failed };
}

function soapFault(message: string): Response {
  return new Response(createSoapFault({ code: 'Client', message }), {
    status: 500,
    headers: { ...PAGE_HEADERS, 'content-type': SOAP_CONTENT_TYPE },
  });
}

/**
 * The SLO endpoint: a LogoutRequest from the IdP ends every matching session in the store (on any
 * node and device) and is answered on the binding it came in on; a LogoutResponse completes an
 * SP-initiated logout and lands on the complete or partial page.
 * @internal
 */
export async function handleSlo(
  s: Settings,
  request: Request,
  cookieSessionId: string | undefined,
): Promise<Response> {
  const message = await incoming(request);
  const isSoap = message.binding === 'soap';
  try {
    const { type, issuer, inResponseTo: claimed } = await peek(message);
    noteIdp(request, issuer);
    const choice = await s.directory.forMessage(issuer);
    const idp = choice.idp;
    const policy = policyFor(s, choice);
    const common = (trusted: IdentityProviderConfig) => ({
      sp: s.sp,
      idp: { entityId: trusted.entityId, signingKeys: trusted.signingKeys },
      now: s.now(),
      clockSkewMs: policy.clockSkewMs,
      allowUnsignedLogout: s.options.allowUnsignedLogout ?? false,
      allowSha1: policy.allowSha1,
      ...(s.crypto ? { crypto: s.crypto } : {}),
    });
    if (type === 'SAMLResponse') {
      // The validator is pure: the claimed InResponseTo is the only acceptable one, and nothing is
      // taken until the response is verified (so the rollover retry is safe, and a forged
      // response naming a pending logout leaves it intact).
      const res = await s.directory.withRollover(choice, (trusted) =>
        validateLogoutResponse(message, {
          ...common(trusted),
          inResponseTo: claimed === undefined ? [] : [claimed],
        }),
      );
      const pending = await takePendingLogout(s.store, res, {
        now: s.now(),
        requestTtlMs: s.requestTtlMs,
      });
      // Only a signed Status confirms the logout: an unsigned one (allowUnsignedLogout) may
      // report a failure but never a success.
      const ok = res.signature !== undefined && res.status.success && !res.status.partial;
      if (!ok) {
        s.logger.warn('slo: the IdP reported an incomplete logout', { status: res.status.codes });
      }
      const landing = ok ? (pending?.returnTo ?? s.logoutComplete) : s.logoutPartial;
      return redirectResponse(landing, [serializeCookie(s.cookie, null)]);
    }
    const req = await s.directory.withRollover(choice, (trusted) =>
      validateLogoutRequest(message, { ...common(trusted), replayCache: s.store }),
    );
    const { ended, failed } = await endSessions(
      s,
      request,
      req.issuer,
      req.nameId.value,
      req.sessionIndexes,
    );
    s.logger.info?.('slo: IdP-initiated logout', { ended: ended.length, failed });
    const response = createLogoutResponse({
      issuer: s.sp.entityId,
      inResponseTo: req.id,
      now: s.now(),
      // SAML core §3.2.2.2: PartialLogout says not every session could be ended.
      status: failed > 0 ? { code: 'Responder', subCode: 'PartialLogout' } : { code: 'Success' },
      ...(isSoap ? {} : destinationFor(idp, req.binding)),
      ...(s.crypto ? { crypto: s.crypto } : {}),
    });
    if (isSoap) {
      // SAML bindings §3.2.3.2: the answer is the signed LogoutResponse in a SOAP envelope.
      const key = s.signingKey;
      const xml = key
        ? await signXml(response.xml, {
            key: key.privateKey,
            certificate: key.certificate,
            ...(s.sp.signatureAlgorithm ? { algorithm: s.sp.signatureAlgorithm } : {}),
            ...(s.crypto ? { crypto: s.crypto } : {}),
          })
        : response.xml;
      return new Response(createSoapEnvelope(xml), {
        status: 200,
        headers: { ...PAGE_HEADERS, 'content-type': SOAP_CONTENT_TYPE },
      });
    }
    // This browser's cookie names an ended session (or none): clear it.
    const cookies =
      cookieSessionId === undefined || ended.includes(cookieSessionId)
        ? [serializeCookie(s.cookie, null)]
        : [];
    const endpoint = idpSloEndpoint(idp, req.binding);
    if (!endpoint) return redirectResponse(s.logoutComplete, cookies);
    return sendToIdp(s, endpoint, 'SAMLResponse', response.xml, req.relayState, cookies);
  } catch (err) {
    if (isSoap && isSamlError(err) && err.code !== 'STORE_UNAVAILABLE') {
      // Answered with a SOAP fault; logged as the refusal it is (the status of its class).
      logRefusal(s.logger, refusalEvent(s, err, request, statusForError(err)));
      return soapFault(`${err.code}: the logout message was refused`);
    }
    throw err;
  }
}

function destinationFor(idp: IdentityProviderConfig, binding: string): { destination?: string } {
  const endpoint = idpSloEndpoint(idp, binding as BindingName);
  if (!endpoint) return {};
  return { destination: endpoint.responseLocation ?? endpoint.location };
}
