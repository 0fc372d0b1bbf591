import {
  createIdpRegistry,
  createMetadataSource,
  createServiceProvider,
  MemoryStore,
} from '@samlkit/core';
import { createTestIdp, generateTestKeys } from '@samlkit/testkit';
import { describe, expect, it } from 'vitest';
import { BASE, deliveryRequest, errorCode, keys, req, spConfig } from './support.js';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

function metadata(entityId: string, certificatePem: string): string {
  const b64 = certificatePem.replace(/-----[^-]+-----|\s/g, '');
  return (
    `<EntityDescriptor xmlns="${MD}" entityID="${entityId}"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
    `<KeyDescriptor use="signing"><KeyInfo xmlns="${DS}"><X509Data><X509Certificate>${b64}</X509Certificate></X509Data></KeyInfo></KeyDescriptor>` +
    `<SingleLogoutService Binding="${REDIRECT}" Location="https://idp.test/slo"/>` +
    `<SingleSignOnService Binding="${REDIRECT}" Location="https://idp.test/sso"/>` +
    '</IDPSSODescriptor></EntityDescriptor>'
  );
}

describe('IdP registry with a metadata source', () => {
  it('follows an IdP signing-key rollover: the failed signature triggers one refresh and a retry', async () => {
    const { spKeys } = await keys();
    const oldKeys = await generateTestKeys({ subject: 'idp old' });
    const newKeys = await generateTestKeys({ subject: 'idp new' });
    const entityId = 'https://idp.test/metadata';
    let published = metadata(entityId, oldKeys.certificatePem);
    let downloads = 0;
    let now = Date.now();
    const store = new MemoryStore({ now: () => now });
    const source = createMetadataSource({
      url: 'https://idp.test/metadata',
      fetch: async () => {
        downloads++;
        return new Response(published, {
          headers: { 'content-type': 'application/samlmetadata+xml' },
        });
      },
      now: () => now,
    });
    const sp = createServiceProvider({
      sp: spConfig(spKeys),
      idps: createIdpRegistry([{ entityId, idp: source, keys: ['acme', 'acme.test'] }]),
      store,
      baseUrl: BASE,
      now: () => now,
      logger: { warn() {}, error() {} },
    });
    // The IdP now signs with its new key and publishes it; the SP still holds the old metadata.
    const idp = await createTestIdp({ keys: newKeys });
    const login = await sp.login(req('/saml/login?idp=ann@acme.test'));
    expect(login.status).toBe(303);
    expect(downloads).toBe(1);
    const { request, relayState } = await idp.readAuthnRequest(login.headers.get('location')!);
    published = metadata(entityId, newKeys.certificatePem);
    now += 2 * 60_000; // past the refresh rate limit
    const acs = await sp.acs(deliveryRequest(await idp.answerLogin(request, relayState, { now })));
    expect(acs.status).toBe(303);
    expect(downloads).toBe(2);

    // A Response signed by a key the IdP never published still fails after the refresh.
    const rogue = await createTestIdp({ keys: await generateTestKeys({ subject: 'rogue' }) });
    const again = await sp.login(req('/saml/login?idp=acme'));
    const r2 = await rogue.readAuthnRequest(again.headers.get('location')!);
    now += 2 * 60_000;
    const refused = await sp.acs(
      deliveryRequest(await rogue.answerLogin(r2.request, r2.relayState, { now })),
    );
    expect(refused.status).toBe(403);
    expect(await errorCode(refused)).toMatch(/^SIGNATURE_/);
  });
});
