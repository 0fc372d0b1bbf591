// The SP that the runtime tests host in workerd, Deno and Bun: @samlkit/fetch over @samlkit/core,
// nothing Node-specific. Its configuration is compiled into the bundle (esbuild `define`), so the
// runtime needs no file or environment access.
import {
  createAuthnRequest,
  loadPrivateKey,
  loadPublicKey,
  MemoryStore,
  signXml,
} from '@samlkit/core';
import { createSamlHandlers } from '@samlkit/fetch';

/** What the Node test compiles into the bundle. */
export interface RuntimeSpConfig {
  /** The SP's own base URL, e.g. `http://127.0.0.1:41234`. */
  readonly baseUrl: string;
  readonly spKeyPem: string;
  readonly spCertPem: string;
  readonly idpEntityId: string;
  readonly idpBaseUrl: string;
  readonly idpCertPem: string;
}

declare const SAMLKIT_RUNTIME_CONFIG: RuntimeSpConfig;
declare const SAMLKIT_RUNTIME_NAME: string;

/** The application: the SAML endpoints, `/app/protected` (session as JSON), `/app/runtime`. */
export function createApp(): (request: Request) => Promise<Response> {
  const config = SAMLKIT_RUNTIME_CONFIG;
  const base = config.baseUrl;
  const saml = createSamlHandlers({
    sp: {
      entityId: `${base}/saml/metadata`,
      assertionConsumerServices: [{ binding: 'post', location: `${base}/saml/acs` }],
      singleLogoutServices: [{ binding: 'redirect', location: `${base}/saml/slo` }],
      signingKeys: [{ privateKey: loadPrivateKey(config.spKeyPem), certificate: config.spCertPem }],
    },
    idps: {
      entityId: config.idpEntityId,
      singleSignOnServices: [{ binding: 'redirect', location: `${config.idpBaseUrl}/sso` }],
      singleLogoutServices: [
        {
          binding: 'redirect',
          location: `${config.idpBaseUrl}/slo`,
          responseLocation: `${config.idpBaseUrl}/slo/response`,
        },
      ],
      signingKeys: [loadPublicKey(config.idpCertPem)],
    },
    baseUrl: base,
    store: new MemoryStore(),
    logger: { warn() {}, error: (message, details) => console.error(message, details ?? '') },
  });
  const profile = saml.protect((_request, session) => Response.json(session));
  return async (request) => {
    const { pathname } = new URL(request.url);
    if (pathname.startsWith('/saml/')) return saml.fetch(request);
    if (pathname === '/app/protected') return profile(request);
    if (pathname === '/app/runtime') return new Response(SAMLKIT_RUNTIME_NAME);
    if (pathname === '/app/sign') {
      // An enveloped XML signature made in this runtime (samlkit's canonicalizer on WebCrypto).
      const { xml } = createAuthnRequest({
        issuer: `${base}/saml/metadata`,
        destination: `${config.idpBaseUrl}/sso`,
        now: Date.now(),
      });
      const signed = await signXml(xml, {
        key: loadPrivateKey(config.spKeyPem),
        certificate: config.spCertPem,
      });
      return new Response(signed, { headers: { 'content-type': 'application/xml' } });
    }
    return new Response('Not found', { status: 404 });
  };
}
