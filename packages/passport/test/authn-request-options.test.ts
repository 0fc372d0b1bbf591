// passport-saml's AuthnRequest options (scoping, attributeConsumingServiceIndex, providerName,
// samlAuthnRequestExtensions, allowCreate): mapped to core's settings, refused when they cannot be
// sent exactly, and carried by the AuthnRequest the strategy sends, inside its signature.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeRedirect,
  isSamlError,
  loadPublicKey,
  parseAuthnRequest,
  verifyRedirectSignature,
} from '@samlkit/core';
import { mapSamlOptions, SamlStrategy, type SamlStrategyOptions } from '@samlkit/passport';
import { generateTestKeys, type TestKeys } from '@samlkit/testkit';
import express from 'express';
import fc from 'fast-check';
import { Passport } from 'passport';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testServers } from '../../../test/support/servers.js';
import { submitForm } from '../../core/test/support/html-form.js';
import { xmlsec1Available } from '../../core/test/support/xmlsec1.js';

const haveXmlsec1 = xmlsec1Available('the signed HTTP-POST AuthnRequest cross-check');

const SAML_ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
const HINT = '<ext:Hint xmlns:ext="urn:example:ext" kind="a&amp;b">x &lt; y</ext:Hint>';
let idpKeys: TestKeys;
let spKeys: TestKeys;
let base: SamlStrategyOptions & { readonly passReqToCallback?: false };
const servers = testServers();

beforeAll(async () => {
  idpKeys = await generateTestKeys({ subject: 'request options idp' });
  spKeys = await generateTestKeys({ subject: 'request options sp' });
  base = {
    callbackUrl: 'http://localhost/login/callback',
    issuer: 'http://localhost/metadata',
    entryPoint: 'https://idp.test/sso',
    idpIssuer: 'https://idp.test/metadata',
    idpCert: idpKeys.certificatePem,
    privateKey: spKeys.privateKeyPem,
    publicCert: spKeys.certificatePem,
    logger: { warn() {}, error() {} },
  };
});

afterEach(() => servers.closeAll());

/** node-saml 5.x's documented `scoping` shape. */
const nodeSamlScoping = {
  idpList: [
    {
      entries: [
        {
          providerId: 'https://idp-a.example.org',
          name: 'A & Co',
          loc: 'https://idp-a.example.org/sso',
        },
        { providerId: 'https://idp-b.example.org' },
      ],
      getComplete: 'https://proxy.example.org/idps',
    },
  ],
  proxyCount: 2,
  requesterId: 'https://requester.example.org',
};

function refusal(options: Record<string, unknown>): { code: string; message: string } {
  try {
    mapSamlOptions({ ...base, ...options } as SamlStrategyOptions);
  } catch (error) {
    if (isSamlError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error(`expected a refusal of ${JSON.stringify(Object.keys(options))}`);
}

describe('mapSamlOptions: AuthnRequest options', () => {
  it("maps node-saml's shapes to core's login settings", () => {
    const { login } = mapSamlOptions({
      ...base,
      identifierFormat: PERSISTENT,
      scoping: nodeSamlScoping,
      attributeConsumingServiceIndex: '7',
      providerName: 'Example App',
      samlAuthnRequestExtensions: HINT,
      allowCreate: false,
    });
    expect(login).toEqual({
      scoping: {
        proxyCount: 2,
        idpList: {
          entries: [
            {
              providerId: 'https://idp-a.example.org',
              name: 'A & Co',
              loc: 'https://idp-a.example.org/sso',
            },
            { providerId: 'https://idp-b.example.org' },
          ],
          getComplete: 'https://proxy.example.org/idps',
        },
        requesterIds: ['https://requester.example.org'],
      },
      attributeConsumingServiceIndex: 7,
      providerName: 'Example App',
      extensions: HINT,
      allowCreate: false,
    });
    const several = mapSamlOptions({ ...base, scoping: { requesterId: ['urn:a', 'urn:b'] } });
    expect(several.login.scoping).toEqual({ requesterIds: ['urn:a', 'urn:b'] });
    expect(mapSamlOptions({ ...base, attributeConsumingServiceIndex: 0 }).login).toEqual({
      attributeConsumingServiceIndex: 0,
    });
  });

  it('refuses what cannot be sent exactly as given', () => {
    const cases: [Record<string, unknown>, string, string][] = [
      // node-saml builds Extensions from an object with xmlbuilder; samlkit takes the XML.
      [
        { samlAuthnRequestExtensions: { 'ext:Hint': { '#text': 'x' } } },
        'samlAuthnRequestExtensions',
        'XML string',
      ],
      [
        { samlAuthnRequestExtensions: '<Hint>no namespace</Hint>' },
        'samlAuthnRequestExtensions',
        'XML_UNEXPECTED_ELEMENT',
      ],
      [
        {
          samlAuthnRequestExtensions: `<saml:Issuer xmlns:saml="${SAML_ASSERTION}">x</saml:Issuer>`,
        },
        'samlAuthnRequestExtensions',
        'namespace',
      ],
      [
        { samlAuthnRequestExtensions: '<ext:A xmlns:ext="urn:x">' },
        'samlAuthnRequestExtensions',
        'XML_',
      ],
      [{ samlAuthnRequestExtensions: '' }, 'samlAuthnRequestExtensions', 'XML_MISSING_ELEMENT'],
      [{ attributeConsumingServiceIndex: '65536' }, 'attributeConsumingServiceIndex', '65536'],
      [{ attributeConsumingServiceIndex: '07' }, 'attributeConsumingServiceIndex', '07'],
      [{ attributeConsumingServiceIndex: ' 1' }, 'attributeConsumingServiceIndex', 'unsignedShort'],
      [{ attributeConsumingServiceIndex: -1 }, 'attributeConsumingServiceIndex', 'unsignedShort'],
      [{ attributeConsumingServiceIndex: 1.5 }, 'attributeConsumingServiceIndex', 'unsignedShort'],
      [{ providerName: '' }, 'providerName', 'non-empty'],
      [{ providerName: 'a\u0000b' }, 'providerName', 'character'],
      [{ allowCreate: 'yes' }, 'allowCreate', 'true or false'],
      [{ allowCreate: false }, 'allowCreate', 'identifierFormat'],
      [{ allowCreate: true, identifierFormat: null }, 'allowCreate', 'identifierFormat'],
      [{ scoping: 'urn:x' }, 'scoping', 'idpList'],
      [{ scoping: { requesterIds: ['urn:x'] } }, 'scoping', 'scoping.requesterIds'],
      [{ scoping: { proxyCount: -1 } }, 'scoping', 'proxyCount'],
      [{ scoping: { proxyCount: '2' } }, 'scoping', 'proxyCount'],
      [{ scoping: { requesterId: [] } }, 'scoping', 'requesterIds'],
      [{ scoping: { requesterId: 7 } }, 'scoping', 'requesterId'],
      [{ scoping: { idpList: [] } }, 'scoping', 'exactly one'],
      [
        {
          scoping: {
            idpList: [
              { entries: [{ providerId: 'urn:a' }] },
              { entries: [{ providerId: 'urn:b' }] },
            ],
          },
        },
        'scoping',
        'exactly one',
      ],
      [{ scoping: { idpList: { entries: [{ providerId: 'urn:a' }] } } }, 'scoping', 'exactly one'],
      [{ scoping: { idpList: [{ entries: [] }] } }, 'scoping', 'at least one'],
      [{ scoping: { idpList: [{}] } }, 'scoping', 'entries'],
      [{ scoping: { idpList: [{ entries: [{ providerId: '' }] }] } }, 'scoping', 'providerId'],
      [
        { scoping: { idpList: [{ entries: [{ providerId: 'urn:a', name: '' }] }] } },
        'scoping',
        'name',
      ],
      [
        { scoping: { idpList: [{ entries: [{ providerId: 'urn:a', location: 'x' }] }] } },
        'scoping',
        'location',
      ],
      [{ scoping: { idpList: [{ entries: ['urn:a'] }] } }, 'scoping', 'entries[0]'],
    ];
    for (const [options, option, mention] of cases) {
      const error = refusal(options);
      const what = JSON.stringify(options);
      expect(error.code, what).toBe('CONFIG_INVALID');
      expect(error.message, what).toContain(`option ${option} `);
      expect(error.message, what).toContain(mention);
    }
  });

  it('takes every attributeConsumingServiceIndex 0..65535, as a decimal string or a number (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 65535 }), fc.boolean(), (n, asString) => {
        const { login } = mapSamlOptions({
          ...base,
          attributeConsumingServiceIndex: asString ? String(n) : n,
        });
        expect(login.attributeConsumingServiceIndex).toBe(n);
      }),
    );
  });
});

describe('SamlStrategy sends the AuthnRequest options', () => {
  /** The strategy with every AuthnRequest option (and `extra`), served; its /login answer. */
  async function beginLogin(
    extra: Partial<Omit<SamlStrategyOptions, 'passReqToCallback'>> = {},
  ): Promise<Response> {
    const passport = new Passport();
    passport.use(
      new SamlStrategy(
        {
          ...base,
          identifierFormat: PERSISTENT,
          scoping: nodeSamlScoping,
          attributeConsumingServiceIndex: '3',
          providerName: 'Example <App>',
          samlAuthnRequestExtensions: HINT,
          allowCreate: false,
          ...extra,
        },
        (profile, done) => done(null, { id: profile.nameID }),
      ),
    );
    const app = express();
    app.use(passport.initialize());
    app.get('/login', passport.authenticate('saml', { session: false }));
    const url = await servers.listen(app);
    return fetch(`${url}/login`, { redirect: 'manual' });
  }

  it('the Redirect-binding AuthnRequest carries them, and its signature verifies', async () => {
    const begin = await beginLogin();
    expect(begin.status).toBe(303);
    const location = begin.headers.get('location')!;
    expect(location.startsWith('https://idp.test/sso?')).toBe(true);

    const decoded = await decodeRedirect(location);
    expect(decoded.type).toBe('SAMLRequest');
    await verifyRedirectSignature(decoded, { keys: [loadPublicKey(spKeys.certificatePem)] });
    // The signature covers SAMLRequest: another key does not verify it.
    await expect(
      verifyRedirectSignature(decoded, { keys: [loadPublicKey(idpKeys.certificatePem)] }),
    ).rejects.toThrow();

    // The XML as sent: each option in its place (SAML core §3.4.1 attribute and child order).
    const xml = decoded.xml;
    expect(xml).toMatch(/<samlp:AuthnRequest [^>]*AttributeConsumingServiceIndex="3"/);
    expect(xml).toMatch(/<samlp:AuthnRequest [^>]*ProviderName="Example &lt;App&gt;"/);
    expect(xml).toContain(
      `<samlp:Extensions>${HINT}</samlp:Extensions><samlp:NameIDPolicy Format="${PERSISTENT}" AllowCreate="false"/>`,
    );
    expect(xml).toContain(
      '<samlp:Scoping ProxyCount="2"><samlp:IDPList>' +
        '<samlp:IDPEntry ProviderID="https://idp-a.example.org" Name="A &amp; Co" Loc="https://idp-a.example.org/sso"/>' +
        '<samlp:IDPEntry ProviderID="https://idp-b.example.org"/>' +
        '<samlp:GetComplete>https://proxy.example.org/idps</samlp:GetComplete></samlp:IDPList>' +
        '<samlp:RequesterID>https://requester.example.org</samlp:RequesterID></samlp:Scoping>',
    );
    // And as an IdP reads it.
    const request = parseAuthnRequest(xml);
    expect(request).toMatchObject({
      attributeConsumingServiceIndex: 3,
      providerName: 'Example <App>',
      nameIdPolicy: { format: PERSISTENT, allowCreate: false },
      extensions: HINT,
      scoping: {
        proxyCount: 2,
        idpList: {
          entries: [
            {
              providerId: 'https://idp-a.example.org',
              name: 'A & Co',
              loc: 'https://idp-a.example.org/sso',
            },
            { providerId: 'https://idp-b.example.org' },
          ],
          getComplete: 'https://proxy.example.org/idps',
        },
        requesterIds: ['https://requester.example.org'],
      },
    });
  });

  it.skipIf(!haveXmlsec1)(
    'the HTTP-POST AuthnRequest carries them inside its XML signature, which xmlsec1 verifies',
    async () => {
      const page = await beginLogin({ authnRequestBinding: 'HTTP-POST' });
      expect(page.status).toBe(200);
      const form = submitForm(await page.text());
      expect(form.action).toBe('https://idp.test/sso');
      const xml = new TextDecoder().decode(
        Uint8Array.from(atob(form.fields.SAMLRequest!), (ch) => ch.charCodeAt(0)),
      );
      expect(parseAuthnRequest(xml)).toMatchObject({
        attributeConsumingServiceIndex: 3,
        providerName: 'Example <App>',
        nameIdPolicy: { format: PERSISTENT, allowCreate: false },
        extensions: HINT,
        scoping: { proxyCount: 2, requesterIds: ['https://requester.example.org'] },
      });
      const dir = mkdtempSync(join(tmpdir(), 'samlkit-passport-'));
      try {
        writeFileSync(join(dir, 'sp.pem'), spKeys.certificatePem);
        const verify = (doc: string) => {
          writeFileSync(join(dir, 'request.xml'), doc);
          return spawnSync(
            'xmlsec1',
            [
              '--verify',
              '--pubkey-cert-pem',
              'sp.pem',
              '--id-attr:ID',
              'urn:oasis:names:tc:SAML:2.0:protocol:AuthnRequest',
              'request.xml',
            ],
            { cwd: dir, encoding: 'utf8' },
          );
        };
        const ok = verify(xml);
        expect(ok.stderr).toContain('OK');
        expect(ok.status).toBe(0);
        // The options are signed content: changing one breaks the signature.
        for (const [from, to] of [
          ['ProxyCount="2"', 'ProxyCount="9"'],
          ['AllowCreate="false"', 'AllowCreate="true"'],
          ['x &lt; y', 'x &lt; z'],
        ] as const) {
          expect(xml).toContain(from);
          expect(verify(xml.replace(from, to)).status, from).not.toBe(0);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
