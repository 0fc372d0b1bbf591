import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createIdpRegistry,
  createServiceProvider,
  decodePostBinding,
  decodeRedirect,
  type IdpPolicy,
  type LoginOptions,
  MemoryStore,
  type ServiceProvider,
  type ServiceProviderConfig,
  verifyRedirectSignature,
} from '@samlkit/core';
import { createTestIdp, type TestIdp } from '@samlkit/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xmlsec1Available } from '../support/xmlsec1.js';
import { BASE, deliverLogin, errorCode, keys, req, spConfig } from './support.js';

const haveXmlsec1 = xmlsec1Available('the signed POST AuthnRequest with Scoping and Extensions');

const EXT = '<ext:Hint xmlns:ext="urn:example:ext" ext:k="v">tenant &amp; co</ext:Hint>';
const POLICY: IdpPolicy = {
  nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  allowCreate: false,
  providerName: 'Example <SaaS> & Co',
  attributeConsumingServiceIndex: 7,
  extensions: EXT,
  scoping: {
    proxyCount: 1,
    idpList: {
      entries: [
        { providerId: 'https://upstream.example.org', name: 'Upstream', loc: 'https://u/sso' },
      ],
      getComplete: 'https://disco.example.org/all',
    },
    requesterIds: ['https://portal.example.com'],
  },
};

let idps: Promise<{ scoped: TestIdp; plain: TestIdp }> | undefined;
function twoIdps() {
  idps ??= (async () => ({
    scoped: await createTestIdp({ entityId: 'https://scoped.idp.test' }),
    plain: await createTestIdp({ entityId: 'https://plain.idp.test' }),
  }))();
  return idps;
}

/** One SP trusting `scoped` (with `policy`) and `plain` (no policy). */
async function setupTwo(
  policy: IdpPolicy,
  sp?: (base: ServiceProviderConfig) => ServiceProviderConfig,
): Promise<{ sp: ServiceProvider; scoped: TestIdp; plain: TestIdp }> {
  const { spKeys } = await keys();
  const { scoped, plain } = await twoIdps();
  const config = spConfig(spKeys);
  return {
    scoped,
    plain,
    sp: createServiceProvider({
      sp: sp ? sp(config) : config,
      idps: createIdpRegistry([
        { entityId: scoped.entityId, idp: scoped.config, keys: ['scoped'], policy },
        { entityId: plain.entityId, idp: plain.config, keys: ['plain'] },
      ]),
      store: new MemoryStore(),
      baseUrl: BASE,
      logger: { warn() {}, error() {} },
    }),
  };
}

async function requestOf(sp: ServiceProvider, idp: TestIdp, key: string, o: LoginOptions = {}) {
  // Programmatic options replace the query string's, so the IdP is named here.
  const res = await sp.login(req('/saml/login'), { idp: key, ...o });
  const where = res.status === 303 ? res.headers.get('location')! : await res.text();
  return idp.readAuthnRequest(where);
}

describe('AuthnRequest options per IdP and per login', () => {
  it('sends the IdP policy options in a signed Redirect request, and none to another IdP', async () => {
    const { sp, scoped, plain } = await setupTwo(POLICY);
    const res = await sp.login(req('/saml/login?idp=scoped'));
    expect(res.status).toBe(303);
    const location = res.headers.get('location')!;
    const { request, signed } = await scoped.readAuthnRequest(location);
    expect(signed).toBe(true);
    // The query signature (SAML bindings §3.4.4.1) covers the request with the options.
    const { spKeys } = await keys();
    await verifyRedirectSignature(await decodeRedirect(location), { keys: [spKeys.publicKey] });
    expect(request).toMatchObject({
      providerName: 'Example <SaaS> & Co',
      attributeConsumingServiceIndex: 7,
      extensions: EXT,
      scoping: POLICY.scoping,
      nameIdPolicy: { allowCreate: false },
      assertionConsumerServiceUrl: `${BASE}/saml/acs`,
    });

    const other = await requestOf(sp, plain, 'plain');
    expect(other.request.destination).toBe(plain.config.singleSignOnServices[0]!.location);
    for (const k of ['providerName', 'attributeConsumingServiceIndex', 'extensions', 'scoping']) {
      expect(other.request).not.toHaveProperty(k);
    }
  });

  describe.skipIf(!haveXmlsec1)('on the POST binding', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'samlkit-authn-options-'));
    });
    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('sends them in an enveloped-signed request that xmlsec1 verifies', async () => {
      const { sp, scoped } = await setupTwo({ ...POLICY, requestBinding: 'post' });
      const res = await sp.login(req('/saml/login?idp=scoped'));
      expect(res.status).toBe(200);
      const html = await res.text();
      const { request, signed } = await scoped.readAuthnRequest(html);
      expect(signed).toBe(true);
      expect(request.scoping).toEqual(POLICY.scoping);
      expect(request.extensions).toBe(EXT);
      const value = /name="SAMLRequest" value="([^"]*)"/.exec(html)![1]!;
      const { spKeys } = await keys();
      writeFileSync(join(dir, 'cert.pem'), spKeys.certificatePem);
      writeFileSync(join(dir, 'in.xml'), decodePostBinding(value));
      const r = spawnSync(
        'xmlsec1',
        [
          '--verify',
          '--enabled-key-data',
          'rsa,ecdsa',
          '--pubkey-cert-pem',
          'cert.pem',
          '--id-attr:ID',
          'urn:oasis:names:tc:SAML:2.0:protocol:AuthnRequest',
          'in.xml',
        ],
        { cwd: dir, encoding: 'utf8' },
      );
      expect(r.stderr).toContain('OK');
      expect(r.status).toBe(0);
    });
  });

  it('lets a login override the IdP field by field; scoping is replaced as a whole', async () => {
    const { sp, scoped } = await setupTwo(POLICY);
    const { request } = await requestOf(sp, scoped, 'scoped', {
      providerName: 'Per login',
      allowCreate: true,
      scoping: { requesterIds: ['https://other.example.com'] },
    });
    expect(request.providerName).toBe('Per login');
    expect(request.nameIdPolicy?.allowCreate).toBe(true);
    expect(request.scoping).toEqual({ requesterIds: ['https://other.example.com'] });
    // Fields the login leaves out come from the IdP's policy.
    expect(request.attributeConsumingServiceIndex).toBe(7);
    expect(request.extensions).toBe(EXT);
  });

  it('takes none of them from the login query string', async () => {
    const { sp, plain } = await setupTwo({});
    const res = await sp.login(
      req(
        `/saml/login?idp=plain&providerName=x&attributeConsumingServiceIndex=1&assertionConsumerServiceIndex=0&extensions=${encodeURIComponent(EXT)}&allowCreate=false`,
      ),
    );
    const { request } = await plain.readAuthnRequest(res.headers.get('location')!);
    expect(request).not.toHaveProperty('providerName');
    expect(request).not.toHaveProperty('attributeConsumingServiceIndex');
    expect(request).not.toHaveProperty('assertionConsumerServiceIndex');
    expect(request).not.toHaveProperty('extensions');
  });

  describe('AssertionConsumerServiceIndex (SAML core §3.4.1)', () => {
    const withAcs = (c: ServiceProviderConfig): ServiceProviderConfig => ({
      ...c,
      assertionConsumerServices: [
        { binding: 'post', location: `${BASE}/saml/acs`, index: 1, isDefault: true },
        { binding: 'post', location: 'https://alt.sp.test/saml/acs', index: 2 },
        { binding: 'artifact', location: `${BASE}/saml/acs`, index: 3 },
      ],
    });

    it('sends the index without ACS URL or ProtocolBinding, and the login completes there', async () => {
      const { sp, scoped } = await setupTwo({ assertionConsumerServiceIndex: 1 }, withAcs);
      const res = await sp.login(req('/saml/login?idp=scoped'));
      const cookie = res.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
      const { request, relayState } = await scoped.readAuthnRequest(res.headers.get('location')!);
      expect(request.assertionConsumerServiceIndex).toBe(1);
      expect(request).not.toHaveProperty('assertionConsumerServiceUrl');
      expect(request).not.toHaveProperty('protocolBinding');
      // The IdP finds the ACS of index 1 in the SP's metadata.
      const delivery = await scoped.answerLogin(
        { ...request, assertionConsumerServiceUrl: `${BASE}/saml/acs` },
        relayState,
      );
      const done = await deliverLogin(sp, delivery, cookie);
      expect(done.status).toBe(303);
      expect(done.headers.get('location')).toBe('/');
    });

    it('expects the Response at the indexed ACS (its Destination), not at another', async () => {
      const { sp, scoped } = await setupTwo({ assertionConsumerServiceIndex: 2 }, withAcs);
      const res = await sp.login(req('/saml/login?idp=scoped'));
      const { request, relayState } = await scoped.readAuthnRequest(res.headers.get('location')!);
      // A Response sent to the default ACS although the request named index 2 (another URL).
      const delivery = await scoped.answerLogin(
        { ...request, assertionConsumerServiceUrl: `${BASE}/saml/acs` },
        relayState,
      );
      const refused = await deliverLogin(sp, delivery, undefined);
      expect(refused.status).toBe(403);
    });

    it('refuses an index that names no usable ACS of the SP', async () => {
      for (const index of [0, 3, 9]) {
        const { sp } = await setupTwo({ assertionConsumerServiceIndex: index }, withAcs);
        const res = await sp.login(req('/saml/login?idp=scoped'));
        expect(res.status, String(index)).toBe(500);
        expect(await errorCode(res)).toBe('AUTHN_REQUEST_OPTION_INVALID');
      }
    });
  });

  describe('Extensions and other unusable values are refused before anything is sent', () => {
    const cases: Array<[string, LoginOptions]> = [
      ['an element without a namespace', { extensions: '<Hint>x</Hint>' }],
      [
        'an element in the SAML assertion namespace',
        {
          extensions:
            '<saml:Attribute xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" Name="x"/>',
        },
      ],
      [
        'an element in the SAML protocol namespace',
        { extensions: '<p:X xmlns:p="urn:oasis:names:tc:SAML:2.0:protocol"/>' },
      ],
      ['XML that is not well-formed', { extensions: '<a:X xmlns:a="urn:a"><a:Y></a:X>' }],
      ['bare text', { extensions: 'hello' }],
      ['a DTD', { extensions: '<!DOCTYPE x><a:X xmlns:a="urn:a"/>' }],
      ['an empty IdP list', { scoping: { idpList: { entries: [] as never } } }],
      ['a negative ProxyCount', { scoping: { proxyCount: -1 } }],
      ['an attribute index out of range', { attributeConsumingServiceIndex: 70000 }],
    ];
    for (const [what, options] of cases) {
      it(`${what}: AUTHN_REQUEST_OPTION_INVALID, from the IdP policy or the login`, async () => {
        const viaPolicy = await setupTwo(options as IdpPolicy);
        const a = await viaPolicy.sp.login(req('/saml/login?idp=scoped'));
        expect(a.status).toBe(500);
        expect(await errorCode(a)).toBe('AUTHN_REQUEST_OPTION_INVALID');
        // The other IdP of the same SP is not affected by one IdP's bad settings.
        expect((await viaPolicy.sp.login(req('/saml/login?idp=plain'))).status).toBe(303);

        const viaLogin = await setupTwo({});
        const b = await viaLogin.sp.login(req('/saml/login?idp=scoped'), options);
        expect(b.status).toBe(500);
        expect(await errorCode(b)).toBe('AUTHN_REQUEST_OPTION_INVALID');
      });
    }
  });
});
