import { POST_FORM_SCRIPT_HASH, renderPostForm } from '../bindings/post.js';
import { encodeRedirect } from '../bindings/redirect.js';
import { type Endpoint, pickEndpoint } from '../config.js';
import { SamlError } from '../errors.js';
import { createAuthnRequest, type RequestedAuthnContext } from '../messages/authn-request.js';
import { signXml } from '../signature/sign.js';
import type { PendingRequest, SessionRecord } from '../store/types.js';
import { acsAccepts, rememberArtifactSource } from './acs-receive.js';
import { resolveAuthnRequestSettings } from './authn-request-options.js';
import { htmlResponse, redirectResponse } from './http.js';
import { bindLogin } from './login-binding.js';
import { policyFor, publicOrigin, returnPath, type Settings } from './settings.js';
import type { LoginOptions } from './types.js';

/**
 * Sends a SAML message with the POST binding: the auto-submitting form, with a CSP that allows only
 * its script (by hash) and a form submission to the peer's origin.
 * @internal
 */
export function postFormResponse(
  action: string,
  type: 'SAMLRequest' | 'SAMLResponse',
  xml: string,
  relayState: string | undefined,
  setCookies: readonly string[] = [],
): Response {
  const html = renderPostForm({
    action,
    type,
    xml,
    ...(relayState !== undefined ? { relayState } : {}),
  });
  const response = htmlResponse(html, 200, {
    'content-security-policy': `default-src 'none'; script-src '${POST_FORM_SCRIPT_HASH}'; form-action ${new URL(action).origin}; base-uri 'none'; frame-ancestors 'none'`,
  });
  for (const c of setCookies) response.headers.append('set-cookie', c);
  return response;
}

/**
 * The ACS the IdP should answer: one on the request's public origin if configured, else the
 * default; of the binding the IdP's policy asks for (`responseBinding`), else POST or Redirect.
 */
function chooseAcs(s: Settings, request: Request, binding?: Endpoint['binding']): Endpoint {
  const usable = s.sp.assertionConsumerServices.filter((e) =>
    binding !== undefined
      ? e.binding === binding
      : e.binding === 'post' || e.binding === 'redirect',
  );
  const origin = publicOrigin(s, request);
  const sameOrigin = usable.filter((e) => new URL(e.location).origin === origin);
  const chosen = pickEndpoint(sameOrigin.length ? sameOrigin : usable);
  if (!chosen) {
    throw new SamlError('CONFIG_INVALID', 'The SP has no usable AssertionConsumerService.', {
      expected: `an AssertionConsumerService with the ${binding ?? 'post (or redirect)'} binding`,
      found: s.sp.assertionConsumerServices.map((e) => e.binding).join(', '),
      hint: 'add { binding: "post", location: "https://…/saml/acs" } to sp.assertionConsumerServices',
    });
  }
  return chosen;
}

/**
 * Starts SP-initiated login: creates the AuthnRequest, records it in the store (with the return
 * path, the current session for step-up, and the hash of a browser-binding nonce whose value
 * goes into the login cookie) and sends the browser to the IdP.
 *
 * RelayState carries only the request ID, an opaque value: the return path stays in the store,
 * so nothing the IdP or the browser sends back is ever followed as a URL.
 * @internal
 */
export async function beginLogin(
  s: Settings,
  request: Request,
  options: LoginOptions,
  current: SessionRecord | undefined,
): Promise<Response> {
  const choice = await s.directory.forLogin(options.idp);
  const { key, idp, authnRequestParams } = choice;
  const policy = policyFor(s, choice);
  const now = s.now();
  let returnTo = s.defaultReturnTo;
  if (options.returnTo !== undefined) {
    const safe = returnPath(s, options.returnTo);
    if (safe === undefined) {
      s.logger.warn('login: unsafe returnTo replaced by the default', {
        code: 'RETURN_TO_UNSAFE',
        found: options.returnTo.slice(0, 200),
      });
    } else {
      returnTo = safe;
    }
  }
  const preferred = policy.requestBinding;
  const sso =
    pickEndpoint(idp.singleSignOnServices, preferred) ??
    pickEndpoint(idp.singleSignOnServices, preferred === 'redirect' ? 'post' : 'redirect');
  if (!sso) {
    throw new SamlError('CONFIG_INVALID', 'The IdP has no usable SingleSignOnService.', {
      expected: 'a SingleSignOnService with the redirect or post binding',
      found: idp.singleSignOnServices.map((e) => e.binding).join(', '),
      hint: `check the SSO endpoints of IdP ${idp.entityId} (its metadata)`,
    });
  }
  const extra = resolveAuthnRequestSettings(
    choice.policy,
    options,
    s.sp.assertionConsumerServices,
    idp.entityId,
  );
  const { assertionConsumerServiceIndex, allowCreate, ...sent } = extra.settings;
  const acs = extra.indexedAcs ?? chooseAcs(s, request, policy.responseBinding);
  // HTTP-Artifact: remember whose SourceID the answer's artifact will carry (SAML bindings
  // §3.6.4.2), for IdPs the ACS cannot list (an IdP resolver).
  if (acsAccepts(s, 'artifact') && s.idps.size === 0) {
    await rememberArtifactSource(s, idp.entityId, now + s.requestTtlMs);
  }
  const rac = options.requestedAuthnContext ?? policy.requestedAuthnContext;
  if (rac && (!Array.isArray(rac.classRefs) || rac.classRefs.length === 0)) {
    throw new TypeError('login: requestedAuthnContext.classRefs must be a non-empty list');
  }
  const nameIdFormat = policy.nameIdFormat;
  const created = createAuthnRequest({
    issuer: s.sp.entityId,
    destination: sso.location,
    // SAML core §3.4.1: an ACS index excludes AssertionConsumerServiceURL and ProtocolBinding.
    ...(assertionConsumerServiceIndex !== undefined
      ? { assertionConsumerServiceIndex }
      : { assertionConsumerServiceUrl: acs.location, protocolBinding: acs.binding }),
    ...sent,
    ...(options.forceAuthn ? { forceAuthn: true } : {}),
    ...(options.isPassive ? { isPassive: true } : {}),
    ...(nameIdFormat
      ? { nameIdPolicy: { format: nameIdFormat, allowCreate: allowCreate ?? policy.allowCreate } }
      : {}),
    ...(rac
      ? {
          requestedAuthnContext: {
            ...(rac.comparison ? { comparison: rac.comparison } : {}),
            classRefs: rac.classRefs as unknown as RequestedAuthnContext['classRefs'],
          },
        }
      : {}),
    now,
    ...(s.crypto ? { crypto: s.crypto } : {}),
  });
  const relayState = created.id;
  // Login CSRF defence: only the browser holding this nonce can finish the login.
  const binding = await bindLogin(s, request);
  const pending: PendingRequest = {
    id: created.id,
    kind: 'authn',
    createdAt: now,
    idpEntityId: idp.entityId,
    relayState,
    returnTo,
    ...(current ? { sessionId: current.id } : {}),
    ...(options.forceAuthn ? { forceAuthn: true } : {}),
    ...(options.isPassive ? { isPassive: true } : {}),
    ...(rac ? { requestedAuthnContext: rac } : {}),
    binding: sso.binding,
    destination: acs.location,
    ...(options.data ? { data: { ...options.data, idpKey: key } } : { data: { idpKey: key } }),
    browserBindingHash: binding.hash,
  };
  await s.store.putPendingRequest(created.id, pending, now + s.requestTtlMs);

  // An IdP that wants signed requests (metadata WantAuthnRequestsSigned) gets them regardless.
  const sign =
    idp.wantAuthnRequestsSigned === true || (s.sp.signAuthnRequests ?? s.signingKey !== undefined);
  if (sign && !s.signingKey) {
    throw new SamlError('CONFIG_INVALID', 'AuthnRequests must be signed but no key is set.', {
      expected: 'sp.signingKeys with a private key and certificate',
      found: 'none',
      hint: 'add an SP signing key, or set sp.signAuthnRequests to false if the IdP allows it',
    });
  }
  const algorithm = s.sp.signatureAlgorithm;
  if (sso.binding === 'redirect') {
    const url = await encodeRedirect({
      destination: sso.location,
      type: 'SAMLRequest',
      xml: created.xml,
      relayState,
      ...(authnRequestParams && Object.keys(authnRequestParams).length > 0
        ? { extraParams: authnRequestParams }
        : {}),
      ...(sign && s.signingKey
        ? { sign: { key: s.signingKey.privateKey, ...(algorithm ? { algorithm } : {}) } }
        : {}),
      ...(s.crypto ? { crypto: s.crypto } : {}),
    });
    return redirectResponse(url, [binding.setCookie], 303);
  }
  const xml =
    sign && s.signingKey
      ? await signXml(created.xml, {
          key: s.signingKey.privateKey,
          certificate: s.signingKey.certificate,
          ...(algorithm ? { algorithm } : {}),
          ...(s.crypto ? { crypto: s.crypto } : {}),
        })
      : created.xml;
  // Home-realm hints (Entra ID's domain_hint, AD FS's whr) are read from the SSO URL's query on
  // the POST binding too: they go on the form's action URL.
  let action = sso.location;
  if (authnRequestParams && Object.keys(authnRequestParams).length > 0) {
    const url = new URL(sso.location);
    for (const [k, v] of Object.entries(authnRequestParams)) url.searchParams.set(k, v);
    action = url.href;
  }
  return postFormResponse(action, 'SAMLRequest', xml, relayState, [binding.setCookie]);
}

/**
 * Reads login options from the login endpoint's query string. `authnContext` names one of the
 * configured `authnContexts` levels; free-form context URIs are not taken from the browser.
 * @internal
 */
export function loginOptionsFromQuery(s: Settings, url: URL): LoginOptions {
  const q = url.searchParams;
  const flag = (name: string) => {
    const v = q.get(name);
    return v === 'true' || v === '1';
  };
  const level = q.get('authnContext');
  let requestedAuthnContext: LoginOptions['requestedAuthnContext'];
  if (level !== null) {
    const levels = s.options.authnContexts ?? {};
    requestedAuthnContext = Object.hasOwn(levels, level) ? levels[level] : undefined;
    if (!requestedAuthnContext) {
      throw new SamlError('BINDING_INVALID', 'The requested authentication level is unknown.', {
        expected: `one of ${Object.keys(levels).join(', ') || '(none configured)'}`,
        found: level.slice(0, 60),
        hint: 'use a level named in the authnContexts option',
      });
    }
  }
  const returnTo = q.get('returnTo');
  const idp = q.get('idp');
  return {
    ...(returnTo !== null ? { returnTo } : {}),
    ...(idp !== null ? { idp } : {}),
    ...(flag('forceAuthn') ? { forceAuthn: true } : {}),
    ...(flag('isPassive') ? { isPassive: true } : {}),
    ...(requestedAuthnContext ? { requestedAuthnContext } : {}),
  };
}

/**
 * The login's own query parameters that must survive the detour through discovery, so the login
 * that follows the choice asks for what the first one asked: `forceAuthn`, and `authnContext`
 * when it names a configured level (anything else is dropped, not carried).
 * @internal
 */
export function carriedLoginParams(s: Settings, url: URL): [string, string][] {
  const out: [string, string][] = [];
  const force = url.searchParams.get('forceAuthn');
  if (force === '1' || force === 'true') out.push(['forceAuthn', '1']);
  const level = url.searchParams.get('authnContext');
  if (level !== null && Object.hasOwn(s.options.authnContexts ?? {}, level)) {
    out.push(['authnContext', level]);
  }
  return out;
}
