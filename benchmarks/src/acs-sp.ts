// The service provider the ACS benchmarks run (over HTTP in src/acs-e2e-server.ts, in process in
// src/acs-in-process.ts), and the validateResponse options that check the same Responses alone.

import {
  type CryptoProvider,
  defineIdentityProvider,
  defineServiceProvider,
  loadPrivateKey,
  loadPublicKey,
  MemoryStore,
  type ServiceProviderLogger,
  type ServiceProviderOptions,
  type ValidateResponseOptions,
} from '@samlkit/core';
import type { TestIdp } from '@samlkit/testkit';
import { NAME_ID } from './fixtures.js';
import { attributesFor } from './generate.js';

/** What the server needs to know: the keys and names the driver's test IdP uses. */
export interface ServerConfig {
  readonly spBase: string;
  readonly spKeyPem: string;
  readonly spCertPem: string;
  readonly idpEntityId: string;
  readonly idpBase: string;
  readonly idpCertPem: string;
}

/** The SP of the getting-started guides with the memory store, for the driver's test IdP. */
export function acsServiceProviderOptions(
  c: ServerConfig,
  logger?: ServiceProviderLogger,
): ServiceProviderOptions {
  const base = c.spBase;
  return {
    sp: defineServiceProvider({
      entityId: `${base}/saml/metadata`,
      assertionConsumerServices: [{ binding: 'post', location: `${base}/saml/acs` }],
      singleLogoutServices: [
        { binding: 'redirect', location: `${base}/saml/slo` },
        { binding: 'post', location: `${base}/saml/slo` },
        { binding: 'soap', location: `${base}/saml/slo` },
      ],
      signingKeys: [{ privateKey: loadPrivateKey(c.spKeyPem), certificate: c.spCertPem }],
    }),
    idps: defineIdentityProvider({
      entityId: c.idpEntityId,
      singleSignOnServices: [{ binding: 'redirect', location: `${c.idpBase}/sso` }],
      singleLogoutServices: [{ binding: 'redirect', location: `${c.idpBase}/slo` }],
      signingKeys: [loadPublicKey(c.idpCertPem)],
    }),
    baseUrl: base,
    store: new MemoryStore(),
    ...(logger && { logger }),
  };
}

const idpKeys = new Map<string, ReturnType<typeof loadPublicKey>>();

/**
 * validateResponse's options for a Response of the driver's IdP answering `inResponseTo`: the
 * SP's names and the IdP's key (imported once per process, as the SP does), `crypto` as the SP
 * under comparison uses it.
 */
export function acsValidationOptions(
  c: ServerConfig,
  inResponseTo: string,
  crypto: CryptoProvider | undefined,
): ValidateResponseOptions {
  let key = idpKeys.get(c.idpCertPem);
  if (key === undefined) {
    key = loadPublicKey(c.idpCertPem);
    idpKeys.set(c.idpCertPem, key);
  }
  return {
    sp: { entityId: `${c.spBase}/saml/metadata`, acsUrl: `${c.spBase}/saml/acs` },
    idp: { entityId: c.idpEntityId, signingKeys: [key] },
    now: Date.now(),
    inResponseTo: [inResponseTo],
    ...(crypto && { crypto }),
  };
}

/**
 * The test IdP's answer to the AuthnRequest at `location` (the SP's redirect to the IdP): a signed
 * Response for the small document's user, on the POST binding.
 */
export async function idpAnswer(
  idp: TestIdp,
  location: string,
): Promise<{ readonly form: string; readonly xml: string }> {
  const { request, relayState } = await idp.readAuthnRequest(location);
  const delivery = await idp.answerLogin(request, relayState, {
    nameId: NAME_ID,
    attributes: attributesFor('small'),
  });
  if (delivery.binding !== 'post') throw new Error('the test IdP did not answer with a POST');
  const xml = Buffer.from(delivery.form.get('SAMLResponse') ?? '', 'base64').toString('utf8');
  return { form: delivery.form.toString(), xml };
}
