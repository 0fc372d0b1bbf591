import {
  createIdpRegistry,
  createServiceProvider,
  type IdpPolicy,
  MemoryStore,
  type SamlProfile,
  type ServiceProvider,
  type ServiceProviderOptions,
} from '@samlkit/core';
import {
  type BuildResponseOptions,
  buildResponse,
  createTestIdp,
  type TestIdp,
  toPostBinding,
} from '@samlkit/testkit';
import { describe, expect, it } from 'vitest';
import { BASE, errorCode, keys, req, spConfig, startLogin } from './support.js';

const EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const MFA = 'http://schemas.microsoft.com/claims/multipleauthn';

let idps: Promise<{ lenient: TestIdp; strict: TestIdp }> | undefined;
function twoIdps() {
  idps ??= (async () => ({
    lenient: await createTestIdp({ entityId: 'https://lenient.idp.test' }),
    strict: await createTestIdp({ entityId: 'https://strict.idp.test' }),
  }))();
  return idps;
}

/** One SP trusting two IdPs: `lenient` with the policy given, `strict` with the SP defaults. */
async function setupTwo(policy: IdpPolicy, overrides: Partial<ServiceProviderOptions> = {}) {
  const { spKeys } = await keys();
  const { lenient, strict } = await twoIdps();
  const profiles: SamlProfile[] = [];
  const sp = createServiceProvider({
    sp: spConfig(spKeys),
    idps: createIdpRegistry([
      { entityId: lenient.entityId, idp: lenient.config, keys: ['lenient'], policy },
      { entityId: strict.entityId, idp: strict.config, keys: ['strict'] },
    ]),
    store: new MemoryStore(),
    baseUrl: BASE,
    logger: { warn() {}, error() {} },
    onLogin: (profile) => {
      profiles.push(profile);
    },
    ...overrides,
  });
  return { sp, lenient, strict, profiles };
}

function post(value: string): Request {
  return req('/saml/acs', {
    method: 'POST',
    body: new URLSearchParams({ SAMLResponse: value }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}

/**
 * Starts a login at `idpKey`, answers it with a Response built with `options`, delivers it and
 * finishes in the same browser. Returns the final answer (or the ACS's refusal).
 */
async function loginWith(
  sp: ServiceProvider,
  idp: TestIdp,
  idpKey: string,
  options: Partial<BuildResponseOptions> = {},
): Promise<Response> {
  const { request, browserCookie } = await startLogin(sp, idp, `?idp=${idpKey}`);
  const xml = await buildResponse({
    idpEntityId: idp.entityId,
    spEntityId: `${BASE}/saml/metadata`,
    acsUrl: `${BASE}/saml/acs`,
    now: Date.now(),
    inResponseTo: request.id,
    signingKey: idp.keys,
    ...options,
  });
  const acs = await sp.acs(post(toPostBinding(xml)));
  if (acs.status !== 303) return acs;
  return sp.acs(req(acs.headers.get('location')!, { cookie: browserCookie }));
}

async function refusedWith(res: Response): Promise<string | undefined> {
  expect(res.status).toBeGreaterThanOrEqual(400);
  return errorCode(res);
}

describe('per-IdP policy: each relaxation applies to its IdP only', () => {
  it('allowSha1', async () => {
    const { sp, lenient, strict } = await setupTwo({ allowSha1: true });
    const sha1 = { algorithm: 'rsa-sha1', digest: 'sha1' } as const;
    expect((await loginWith(sp, lenient, 'lenient', sha1)).status).toBe(303);
    expect(await refusedWith(await loginWith(sp, strict, 'strict', sha1))).toBe(
      'SIGNATURE_ALGORITHM_FORBIDDEN',
    );
  });

  it('allowUnsolicited', async () => {
    const { sp, lenient, strict } = await setupTwo({ allowUnsolicited: true });
    const unsolicited = async (idp: TestIdp) =>
      sp.acs(
        post(
          toPostBinding(
            await buildResponse({
              idpEntityId: idp.entityId,
              spEntityId: `${BASE}/saml/metadata`,
              acsUrl: `${BASE}/saml/acs`,
              now: Date.now(),
              signingKey: idp.keys,
            }),
          ),
        ),
      );
    expect((await unsolicited(lenient)).status).toBe(303);
    expect(await refusedWith(await unsolicited(strict))).toBe('UNSOLICITED_RESPONSE');
  });

  it('userIdAttribute and attributeMap (raw names kept)', async () => {
    const { sp, lenient, strict, profiles } = await setupTwo({
      userIdAttribute: 'uid',
      attributeMap: { 'urn:oid:0.9.2342.19200300.100.1.3': 'email' },
    });
    const attributes = [
      { name: 'uid', values: ['u-42'] },
      { name: 'urn:oid:0.9.2342.19200300.100.1.3', values: ['ann@example.org'] },
    ];
    const nameId = { value: 'opaque-1' };
    expect((await loginWith(sp, lenient, 'lenient', { attributes, nameId })).status).toBe(303);
    expect((await loginWith(sp, strict, 'strict', { attributes, nameId })).status).toBe(303);
    const [a, b] = profiles;
    expect(a!.userId).toBe('u-42');
    expect(a!.attributes.email).toEqual(['ann@example.org']);
    expect(a!.attributes['urn:oid:0.9.2342.19200300.100.1.3']).toEqual(['ann@example.org']);
    expect(b!.userId).toBe('opaque-1');
    expect(b!.attributes.email).toBeUndefined();
  });

  it('an attribute map never overrides an attribute the IdP sent under the mapped name', async () => {
    const { sp, lenient, profiles } = await setupTwo({ attributeMap: { mail: 'email' } });
    const attributes = [
      { name: 'mail', values: ['mapped@example.org'] },
      { name: 'email', values: ['sent@example.org'] },
    ];
    expect((await loginWith(sp, lenient, 'lenient', { attributes })).status).toBe(303);
    expect(profiles[0]!.attributes.email).toEqual(['sent@example.org']);
  });

  it('clockSkewMs', async () => {
    const { sp, lenient, strict } = await setupTwo({ clockSkewMs: 10 * 60_000 });
    // The IdP's clock runs 5 minutes ahead: NotBefore lies 5 minutes in the SP's future.
    const ahead = { now: Date.now() + 5 * 60_000 };
    expect((await loginWith(sp, lenient, 'lenient', ahead)).status).toBe(303);
    expect(await refusedWith(await loginWith(sp, strict, 'strict', ahead))).toBe('NOT_YET_VALID');
  });

  it('requireEncryption', async () => {
    const { sp, lenient, strict } = await setupTwo({ requireEncryption: true });
    expect(await refusedWith(await loginWith(sp, lenient, 'lenient'))).toBe('ENCRYPTION_REQUIRED');
    expect((await loginWith(sp, strict, 'strict')).status).toBe(303);
  });

  it('requireResponseSignature and requireAssertionSignature', async () => {
    const r = await setupTwo({ requireResponseSignature: true });
    expect(
      await refusedWith(await loginWith(r.sp, r.lenient, 'lenient', { sign: 'assertion' })),
    ).toBe('SIGNATURE_MISSING');
    expect((await loginWith(r.sp, r.lenient, 'lenient', { sign: 'both' })).status).toBe(303);
    expect((await loginWith(r.sp, r.strict, 'strict', { sign: 'assertion' })).status).toBe(303);

    const a = await setupTwo({ requireAssertionSignature: true });
    expect(
      await refusedWith(await loginWith(a.sp, a.lenient, 'lenient', { sign: 'response' })),
    ).toBe('SIGNATURE_MISSING');
    expect((await loginWith(a.sp, a.strict, 'strict', { sign: 'response' })).status).toBe(303);
  });

  it('request binding, NameIDPolicy Format / AllowCreate and RequestedAuthnContext', async () => {
    const { sp, lenient, strict } = await setupTwo({
      requestBinding: 'post',
      nameIdFormat: EMAIL,
      allowCreate: false,
      requestedAuthnContext: { classRefs: [MFA] },
    });
    const viaPost = await sp.login(req('/saml/login?idp=lenient'));
    expect(viaPost.status).toBe(200);
    const { request } = await lenient.readAuthnRequest(await viaPost.text());
    expect(request.nameIdPolicy?.format).toBe(EMAIL);
    expect(request.nameIdPolicy?.allowCreate).toBe(false);
    expect(request.requestedAuthnContext?.classRefs).toEqual([MFA]);

    const viaRedirect = await sp.login(req('/saml/login?idp=strict'));
    expect(viaRedirect.status).toBe(303);
    const other = await strict.readAuthnRequest(viaRedirect.headers.get('location')!);
    expect(other.request.nameIdPolicy?.format).toBeUndefined();
    expect(other.request.requestedAuthnContext).toBeUndefined();

    // The context the policy requested is required in the Response (exact comparison).
    const redirect = await setupTwo({ requestedAuthnContext: { classRefs: [MFA] } });
    const weak = await loginWith(redirect.sp, lenient, 'lenient', {
      authnContextClassRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:Password',
    });
    expect(await refusedWith(weak)).toBe('AUTHN_CONTEXT_MISMATCH');
  });

  it('refuses a malformed policy when the IdP is used', async () => {
    const { sp } = await setupTwo({ clockSkewMs: -1 });
    const res = await sp.login(req('/saml/login?idp=lenient'));
    expect(res.status).toBe(500);
  });
});

describe('SP metadata announces WantAssertionsSigned only when it is enforced', () => {
  async function metadataOf(sp: ServiceProvider): Promise<string> {
    return (await sp.metadata(req('/saml/metadata'))).text();
  }

  it('false by default (a signed Response alone is accepted)', async () => {
    const { sp, strict } = await setupTwo({});
    expect(await metadataOf(sp)).toContain('WantAssertionsSigned="false"');
    expect((await loginWith(sp, strict, 'strict', { sign: 'response' })).status).toBe(303);
  });

  it('true with requireAssertionSignature, which every IdP must then meet', async () => {
    const { sp, strict, lenient } = await setupTwo({}, { requireAssertionSignature: true });
    expect(await metadataOf(sp)).toContain('WantAssertionsSigned="true"');
    expect(await refusedWith(await loginWith(sp, strict, 'strict', { sign: 'response' }))).toBe(
      'SIGNATURE_MISSING',
    );
    expect(await refusedWith(await loginWith(sp, lenient, 'lenient', { sign: 'response' }))).toBe(
      'SIGNATURE_MISSING',
    );
  });

  it('metadata.wantAssertionsSigned: true turns the enforcement on', async () => {
    const { sp, strict } = await setupTwo({}, { metadata: { wantAssertionsSigned: true } });
    expect(await metadataOf(sp)).toContain('WantAssertionsSigned="true"');
    expect(await refusedWith(await loginWith(sp, strict, 'strict', { sign: 'response' }))).toBe(
      'SIGNATURE_MISSING',
    );
  });
});

describe('IdP-initiated deep links (relayStateDeepLinks)', () => {
  async function unsolicited(sp: ServiceProvider, idp: TestIdp, relayState: string) {
    const xml = await buildResponse({
      idpEntityId: idp.entityId,
      spEntityId: `${BASE}/saml/metadata`,
      acsUrl: `${BASE}/saml/acs`,
      now: Date.now(),
      signingKey: idp.keys,
    });
    const acs = await sp.acs(
      req('/saml/acs', {
        method: 'POST',
        body: new URLSearchParams({
          SAMLResponse: toPostBinding(xml),
          RelayState: relayState,
        }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
    );
    expect(acs.status).toBe(303);
    const done = await sp.acs(req(acs.headers.get('location')!));
    expect(done.status).toBe(303);
    return done.headers.get('location');
  }

  it('follows a same-origin path when the IdP opted in, and nothing else', async () => {
    const { sp, lenient, strict } = await setupTwo(
      { allowUnsolicited: true, relayStateDeepLinks: true },
      { defaultReturnTo: '/home' },
    );
    expect(await unsolicited(sp, lenient, '/reports/42?tab=q3')).toBe('/reports/42?tab=q3');
    for (const evil of [
      'https://evil.example/x',
      '//evil.example/x',
      '/\\evil.example',
      '/saml/logout',
    ]) {
      expect(await unsolicited(sp, lenient, evil)).toBe('/home');
    }
    // Without the opt-in (strict IdP, allowed unsolicited by the SP-wide option) RelayState is ignored.
    const plain = await setupTwo({}, { allowUnsolicited: true, defaultReturnTo: '/home' });
    expect(await unsolicited(plain.sp, strict, '/reports/42')).toBe('/home');
  });
});

describe('home-realm hints on the POST binding', () => {
  it('puts authnRequestParams on the form action when AuthnRequests go over POST', async () => {
    const { spKeys } = await keys();
    const { lenient } = await twoIdps();
    const sp = createServiceProvider({
      sp: spConfig(spKeys),
      idps: createIdpRegistry([
        {
          entityId: lenient.entityId,
          idp: lenient.config,
          policy: { requestBinding: 'post' },
          authnRequestParams: { domain_hint: 'contoso.com', whr: 'urn:contoso' },
        },
      ]),
      store: new MemoryStore(),
      baseUrl: BASE,
    });
    const res = await sp.login(req('/saml/login'));
    expect(res.status).toBe(200);
    const html = await res.text();
    const action = /<form[^>]* action="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
    const url = new URL(action!);
    expect(url.searchParams.get('domain_hint')).toBe('contoso.com');
    expect(url.searchParams.get('whr')).toBe('urn:contoso');
    expect(res.headers.get('content-security-policy')).toContain(`form-action ${url.origin}`);
  });
});
