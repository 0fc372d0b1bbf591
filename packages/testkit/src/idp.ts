import {
  type AuthnRequest,
  createLogoutRequest,
  createLogoutResponse,
  createSoapEnvelope,
  decodePostBinding,
  decodeRedirect,
  encodeRedirect,
  encodeSimpleSign,
  type IdentityProviderConfig,
  type LogoutRequest,
  type LogoutResponse,
  loadPublicKey,
  parseAuthnRequest,
  parseLogoutRequest,
  parseLogoutResponse,
  signXml,
} from '@samlkit/core';
import { createArtifactService } from './idp-artifact.js';
import { generateTestKeys, type TestKeys } from './keys.js';
import { buildResponse, type SignTarget, type TestAttribute, toPostBinding } from './response.js';

/** Where a front-channel message travels: a URL (Redirect) or a form (POST). */
export type TestDelivery =
  | { readonly binding: 'redirect'; readonly url: string }
  | { readonly binding: 'post'; readonly url: string; readonly form: URLSearchParams }
  | { readonly binding: 'soap'; readonly url: string; readonly body: string };

/** Options of {@link createTestIdp}. */
export interface TestIdpOptions {
  /** Entity ID. Default `https://idp.test/metadata`. */
  readonly entityId?: string;
  /** Base of the IdP's endpoint URLs. Default `https://idp.test`. */
  readonly baseUrl?: string;
  /** Keys to sign with (default: freshly generated RSA 2048). */
  readonly keys?: TestKeys;
  /** SSO bindings to publish, first preferred. Default `['redirect', 'post']`. */
  readonly ssoBindings?: readonly ('redirect' | 'post')[];
}

/** What the simulated IdP puts into a login answer. */
export interface TestLoginAnswer {
  readonly nameId?: string;
  readonly nameIdFormat?: string;
  readonly sessionIndex?: string;
  readonly authnInstant?: number;
  readonly authnContextClassRef?: string;
  readonly attributes?: readonly TestAttribute[];
  /** The clock (epoch ms). Default `Date.now()`. */
  readonly now?: number;
  /**
   * The binding of the answer: `post` (default), `redirect` (a signed query), `simpleSign` (an
   * HTTP-POST-SimpleSign form signed over the XML), `artifact` (a GET carrying `SAMLart`; the SP
   * resolves it at the IdP's ArtifactResolutionService) or `artifactPost` (`SAMLart` in a form).
   */
  readonly binding?: 'post' | 'redirect' | 'simpleSign' | 'artifact' | 'artifactPost';
  /**
   * What the XML signature covers. Default `assertion`; with `simpleSign`, default `none` (the
   * form signature covers the whole Response).
   */
  readonly sign?: SignTarget;
  /** A misbehaving IdP: the artifact can be resolved more than once. Default false. */
  readonly artifactReusable?: boolean;
}

/** An in-process Identity Provider for tests: reads the SP's requests and answers them, signed. */
export interface TestIdp {
  readonly entityId: string;
  readonly keys: TestKeys;
  /** The IdP as the SP configures it. */
  readonly config: IdentityProviderConfig;
  /** Reads an AuthnRequest from a Redirect `Location` or a POST-binding HTML page. */
  readAuthnRequest(
    locationOrHtml: string,
  ): Promise<{ request: AuthnRequest; relayState: string | undefined; signed: boolean }>;
  /** Answers an AuthnRequest with a signed Response to its ACS URL. */
  answerLogin(
    request: AuthnRequest,
    relayState: string | undefined,
    answer?: TestLoginAnswer,
  ): Promise<TestDelivery>;
  /**
   * Answers a passive AuthnRequest (IsPassive="true") with status Responder / NoPassive (SAML
   * core §3.4.1), on the POST binding: a signed Response unless `signed` is false.
   */
  answerNoPassive(
    request: AuthnRequest,
    relayState: string | undefined,
    options?: { readonly signed?: boolean; readonly now?: number },
  ): Promise<TestDelivery>;
  /**
   * The IdP's ArtifactResolutionService (`config.artifactResolutionServices`) as a `fetch`: give
   * it to the SP as its `fetch` option. Other URLs are refused.
   */
  readonly artifactFetch: typeof fetch;
  /** How many ArtifactResolve requests the IdP answered so far. */
  artifactResolutions(): number;
  /** Reads a LogoutRequest from a Redirect `Location` or a POST-binding page. */
  readLogoutRequest(
    locationOrHtml: string,
  ): Promise<{ request: LogoutRequest; relayState: string | undefined; signed: boolean }>;
  /** Reads a LogoutResponse from a Redirect `Location`, a POST-binding page or a SOAP body. */
  readLogoutResponse(
    locationOrHtml: string,
  ): Promise<{ response: LogoutResponse; signed: boolean }>;
  /** Answers a LogoutRequest with a signed LogoutResponse (Success unless told otherwise). */
  answerLogout(
    request: LogoutRequest,
    relayState: string | undefined,
    options: { readonly spSloUrl: string; readonly partial?: boolean; readonly now?: number },
  ): Promise<TestDelivery>;
  /** Builds a signed IdP-initiated LogoutRequest. */
  logoutRequest(options: {
    readonly spSloUrl: string;
    readonly nameId: string;
    readonly nameIdFormat?: string;
    readonly sessionIndexes?: readonly string[];
    readonly binding: 'redirect' | 'post' | 'soap';
    readonly relayState?: string;
    readonly now?: number;
  }): Promise<TestDelivery & { readonly id: string }>;
}

const FIELD = /name="(SAMLRequest|SAMLResponse|RelayState)" value="([^"]*)"/g;

function unescapeHtml(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#96;/g, '`')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Reads the SAML fields of a POST-binding page (as `renderPostForm` writes it). */
function formFields(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(FIELD)) out[m[1]!] = unescapeHtml(m[2]!);
  return out;
}

async function readMessage(
  locationOrHtml: string,
  type: 'SAMLRequest' | 'SAMLResponse',
): Promise<{ xml: string; relayState: string | undefined; signed: boolean }> {
  const text = locationOrHtml.trim();
  if (text.startsWith('<')) {
    if (text.includes('Envelope')) {
      const m = /<[^>]*Body[^>]*>([\s\S]*)<\/[^>]*Body>/.exec(text);
      if (!m) throw new Error('test IdP: no SOAP Body');
      return { xml: m[1]!, relayState: undefined, signed: m[1]!.includes('Signature') };
    }
    const fields = formFields(text);
    const value = fields[type];
    if (value === undefined) throw new Error(`test IdP: the page carries no ${type}`);
    const xml = decodePostBinding(value);
    return { xml, relayState: fields.RelayState, signed: xml.includes('SignatureValue') };
  }
  const decoded = await decodeRedirect(text);
  if (decoded.type !== type) throw new Error(`test IdP: expected ${type}, got ${decoded.type}`);
  return {
    xml: decoded.xml,
    relayState: decoded.relayState,
    signed: decoded.signature !== undefined,
  };
}

/**
 * Creates an in-process test IdP: the SP's configuration for it, and functions that read what the
 * SP sends (AuthnRequest, LogoutRequest, LogoutResponse) and answer as a real IdP would, signed
 * with its key. No network: the test carries the messages between browser and SP itself.
 *
 * @param options - entity ID, base URL, keys
 * @returns the test IdP
 * @throws TypeError when the options are malformed
 * @example Completing a login in a test
 * ```ts
 * const idp = await createTestIdp();
 * const login = await sp.login(new Request('https://sp.test/saml/login'));
 * const { request, relayState } = await idp.readAuthnRequest(login.headers.get('location')!);
 * const delivery = await idp.answerLogin(request, relayState, { nameId: 'alice@example.com' });
 * ```
 * @see SAML profiles §4.1 (Web Browser SSO), §4.4 (Single Logout)
 */
export async function createTestIdp(options: TestIdpOptions = {}): Promise<TestIdp> {
  const entityId = options.entityId ?? 'https://idp.test/metadata';
  const base = (options.baseUrl ?? 'https://idp.test').replace(/\/$/, '');
  const keys = options.keys ?? (await generateTestKeys({ subject: 'samlkit test idp' }));
  const ssoBindings = options.ssoBindings ?? ['redirect', 'post'];
  const config: IdentityProviderConfig = {
    entityId,
    singleSignOnServices: ssoBindings.map((binding) => ({ binding, location: `${base}/sso` })),
    singleLogoutServices: [
      { binding: 'redirect', location: `${base}/slo`, responseLocation: `${base}/slo/response` },
      { binding: 'post', location: `${base}/slo`, responseLocation: `${base}/slo/response` },
    ],
    signingKeys: [loadPublicKey(keys.certificatePem)],
    artifactResolutionServices: [{ binding: 'soap', location: `${base}/artifact`, index: 0 }],
  };
  const artifacts = createArtifactService(entityId, `${base}/artifact`, keys);
  const sign = (xml: string) =>
    signXml(xml, { key: keys.privateKey, certificate: keys.certificatePem });

  async function deliver(
    url: string,
    type: 'SAMLRequest' | 'SAMLResponse',
    xml: string,
    relayState: string | undefined,
    binding: 'redirect' | 'post' | 'soap',
  ): Promise<TestDelivery> {
    if (binding === 'redirect') {
      const location = await encodeRedirect({
        destination: url,
        type,
        xml,
        ...(relayState !== undefined ? { relayState } : {}),
        sign: { key: keys.privateKey },
      });
      return { binding, url: location };
    }
    const signed = await sign(xml);
    if (binding === 'soap') {
      return { binding, url, body: createSoapEnvelope(signed) };
    }
    const form = new URLSearchParams({ [type]: toPostBinding(signed) });
    if (relayState !== undefined) form.set('RelayState', relayState);
    return { binding, url, form };
  }

  return {
    entityId,
    keys,
    config,
    async readAuthnRequest(locationOrHtml) {
      const { xml, relayState, signed } = await readMessage(locationOrHtml, 'SAMLRequest');
      return { request: parseAuthnRequest(xml), relayState, signed };
    },
    async answerLogin(request, relayState, answer = {}) {
      const acsUrl = request.assertionConsumerServiceUrl;
      if (!acsUrl) throw new Error('test IdP: the AuthnRequest names no ACS URL');
      const now = answer.now ?? Date.now();
      const xml = await buildResponse({
        idpEntityId: entityId,
        spEntityId: request.issuer,
        acsUrl,
        now,
        inResponseTo: request.id,
        nameId: {
          value: answer.nameId ?? 'user@example.com',
          format: answer.nameIdFormat ?? 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
        },
        ...(answer.sessionIndex !== undefined ? { sessionIndex: answer.sessionIndex } : {}),
        ...(answer.authnInstant !== undefined ? { authnInstant: answer.authnInstant } : {}),
        ...(answer.authnContextClassRef
          ? { authnContextClassRef: answer.authnContextClassRef }
          : {}),
        ...(answer.attributes ? { attributes: answer.attributes } : {}),
        sign: answer.sign ?? (answer.binding === 'simpleSign' ? 'none' : 'assertion'),
        signingKey: keys,
      });
      if (answer.binding === 'redirect') {
        return deliver(acsUrl, 'SAMLResponse', xml, relayState, 'redirect');
      }
      if (answer.binding === 'simpleSign') {
        // SimpleSign §2.3: SAMLResponse, RelayState, SigAlg and Signature, signed over the XML.
        const fields = await encodeSimpleSign({
          type: 'SAMLResponse',
          xml,
          ...(relayState !== undefined ? { relayState } : {}),
          sign: { key: keys.privateKey },
        });
        return { binding: 'post', url: acsUrl, form: new URLSearchParams({ ...fields }) };
      }
      if (answer.binding === 'artifact' || answer.binding === 'artifactPost') {
        // SAML bindings §3.6.3: the artifact travels instead of the Response.
        const samlart = await artifacts.issue(
          xml,
          request.issuer,
          answer.artifactReusable === true,
        );
        const fields = new URLSearchParams({ SAMLart: samlart });
        if (relayState !== undefined) fields.set('RelayState', relayState);
        if (answer.binding === 'artifactPost')
          return { binding: 'post', url: acsUrl, form: fields };
        return { binding: 'redirect', url: `${acsUrl}?${fields.toString()}` };
      }
      // The assertion is already signed; the POST binding carries it as is.
      const form = new URLSearchParams({ SAMLResponse: toPostBinding(xml) });
      if (relayState !== undefined) form.set('RelayState', relayState);
      return { binding: 'post', url: acsUrl, form };
    },
    async answerNoPassive(request, relayState, opts = {}) {
      const acsUrl = request.assertionConsumerServiceUrl;
      if (!acsUrl) throw new Error('test IdP: the AuthnRequest names no ACS URL');
      const xml = await buildResponse({
        idpEntityId: entityId,
        spEntityId: request.issuer,
        acsUrl,
        now: opts.now ?? Date.now(),
        inResponseTo: request.id,
        status: {
          code: 'urn:oasis:names:tc:SAML:2.0:status:Responder',
          subCode: 'urn:oasis:names:tc:SAML:2.0:status:NoPassive',
        },
        sign: opts.signed === false ? 'none' : 'response',
        signingKey: keys,
      });
      const form = new URLSearchParams({ SAMLResponse: toPostBinding(xml) });
      if (relayState !== undefined) form.set('RelayState', relayState);
      return { binding: 'post', url: acsUrl, form };
    },
    artifactFetch: artifacts.fetch,
    artifactResolutions: artifacts.resolutions,
    async readLogoutRequest(locationOrHtml) {
      const { xml, relayState, signed } = await readMessage(locationOrHtml, 'SAMLRequest');
      return { request: parseLogoutRequest(xml), relayState, signed };
    },
    async readLogoutResponse(locationOrHtml) {
      const { xml, signed } = await readMessage(locationOrHtml, 'SAMLResponse');
      return { response: parseLogoutResponse(xml), signed };
    },
    async answerLogout(request, relayState, opts) {
      const created = createLogoutResponse({
        issuer: entityId,
        destination: opts.spSloUrl,
        inResponseTo: request.id,
        now: opts.now ?? Date.now(),
        status: opts.partial ? { code: 'Success', subCode: 'PartialLogout' } : { code: 'Success' },
      });
      return deliver(opts.spSloUrl, 'SAMLResponse', created.xml, relayState, 'redirect');
    },
    async logoutRequest(opts) {
      const created = await createLogoutRequest({
        issuer: entityId,
        ...(opts.binding === 'soap' ? {} : { destination: opts.spSloUrl }),
        nameId: {
          value: opts.nameId,
          format: opts.nameIdFormat ?? 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
        },
        sessionIndexes: opts.sessionIndexes ?? [],
        now: opts.now ?? Date.now(),
      });
      const delivery = await deliver(
        opts.spSloUrl,
        'SAMLRequest',
        created.xml,
        opts.relayState,
        opts.binding,
      );
      return { ...delivery, id: created.id };
    },
  };
}
