import {
  createIdpRegistry,
  createServiceProvider,
  type IdentityProviderConfig,
  type IdpPolicy,
  MemoryStore,
  parseIdpMetadata,
  type ServiceProvider,
  STANDARD_ATTRIBUTE_MAP,
  SUBJECT_ID_ATTRIBUTE,
} from '@samlkit/core';
import type { TestIdp } from '@samlkit/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkScopedUserId } from '../../src/sp/identity.js';
import {
  BASE,
  deliverLogin,
  errorCode,
  keys,
  req,
  sessionCookie,
  spConfig,
  startLogin,
} from './support.js';

const TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';

async function spWith(policy: IdpPolicy, idpConfig?: IdentityProviderConfig) {
  const { idp, spKeys } = await keys();
  const config = idpConfig ?? idp.config;
  const store = new MemoryStore();
  const sp = createServiceProvider({
    sp: spConfig(spKeys),
    idps: createIdpRegistry([{ entityId: config.entityId, idp: config, policy }]),
    store,
    baseUrl: BASE,
    logger: { warn() {}, error() {} },
  });
  return { sp, idp, store };
}

async function login(
  sp: ServiceProvider,
  idp: TestIdp,
  answer: Parameters<TestIdp['answerLogin']>[2],
  query = '',
  cookie?: string,
) {
  const { request, relayState, browserCookie } = await startLogin(sp, idp, query, cookie);
  return deliverLogin(sp, await idp.answerLogin(request, relayState, answer), browserCookie);
}

function uid(value: string, nameId: string) {
  return {
    nameId,
    nameIdFormat: TRANSIENT,
    attributes: [{ name: 'uid', values: [value] }],
  };
}

describe('the user id in the session', () => {
  it('is kept in the session and returned by getSession (NameID kept beside it)', async () => {
    const { sp, idp } = await spWith({ userIdAttribute: 'uid' });
    const res = await login(sp, idp, uid('u-42', 'transient-1'));
    expect(res.status).toBe(303);
    const session = await sp.getSession(req('/', { cookie: sessionCookie(res)! }));
    expect(session?.userId).toBe('u-42');
    expect(session?.nameId).toBe('transient-1');
  });

  it('built-in attribute maps give friendly names and keep the raw ones', async () => {
    // eduPersonPrincipalName is scoped: the IdP's metadata grants example.org.
    const { idp: testIdp } = await keys();
    const { sp, idp } = await spWith(
      { attributeMap: STANDARD_ATTRIBUTE_MAP },
      { ...testIdp.config, scopes: [{ value: 'example.org' }] },
    );
    const res = await login(sp, idp, {
      attributes: [
        { name: 'urn:oid:1.3.6.1.4.1.5923.1.1.1.6', values: ['ann@example.org'] },
        {
          name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
          values: ['Ann'],
        },
      ],
    });
    const session = await sp.getSession(req('/', { cookie: sessionCookie(res)! }));
    expect(session?.attributes.eppn).toEqual(['ann@example.org']);
    expect(session?.attributes['urn:oid:1.3.6.1.4.1.5923.1.1.1.6']).toEqual(['ann@example.org']);
    expect(session?.attributes.givenName).toEqual(['Ann']);
  });
});

describe('step-up with a transient NameID', () => {
  it('keeps the session when the same user (by user id) re-authenticates', async () => {
    const { sp, idp } = await spWith({ userIdAttribute: 'uid' });
    const first = await login(sp, idp, uid('u-42', 'transient-1'));
    const cookie = sessionCookie(first)!;
    const before = await sp.getSession(req('/', { cookie }));
    const again = await login(sp, idp, uid('u-42', 'transient-2'), '?forceAuthn=true', cookie);
    expect(again.status).toBe(303);
    const after = await sp.getSession(req('/', { cookie: sessionCookie(again) ?? cookie }));
    expect(after?.id).toBe(before?.id);
    expect(after?.nameId).toBe('transient-2');
  });

  it('refuses another user (STEP_UP_USER_MISMATCH) and keeps the original session', async () => {
    const { sp, idp } = await spWith({ userIdAttribute: 'uid' });
    const first = await login(sp, idp, uid('u-42', 'transient-1'));
    const cookie = sessionCookie(first)!;
    const before = await sp.getSession(req('/', { cookie }));
    const other = await login(sp, idp, uid('u-99', 'transient-3'), '?forceAuthn=true', cookie);
    expect(other.status).toBe(403);
    expect(await errorCode(other)).toBe('STEP_UP_USER_MISMATCH');
    expect(sessionCookie(other)).toBeUndefined();
    const kept = await sp.getSession(req('/', { cookie }));
    expect(kept?.id).toBe(before?.id);
    expect(kept?.userId).toBe('u-42');
  });

  it('without a stable user id, a transient NameID is another user', async () => {
    const { sp, idp } = await spWith({});
    const first = await login(sp, idp, { nameId: 't-1', nameIdFormat: TRANSIENT });
    const cookie = sessionCookie(first)!;
    const other = await login(
      sp,
      idp,
      { nameId: 't-2', nameIdFormat: TRANSIENT },
      '?forceAuthn=true',
      cookie,
    );
    expect(await errorCode(other)).toBe('STEP_UP_USER_MISMATCH');
    expect(await sp.getSession(req('/', { cookie }))).toBeDefined();
  });

  it('a plain login (not a step-up) by another user still replaces the session', async () => {
    const { sp, idp } = await spWith({ userIdAttribute: 'uid' });
    const first = await login(sp, idp, uid('u-42', 'transient-1'));
    const cookie = sessionCookie(first)!;
    const other = await login(sp, idp, uid('u-99', 'transient-3'), '', cookie);
    expect(other.status).toBe(303);
    expect(await sp.getSession(req('/', { cookie }))).toBeUndefined();
  });
});

describe('subject-id / pairwise-id scoped by the IdP’s shibmd:Scope', () => {
  const subjectId = (value: string) => ({
    attributes: [{ name: SUBJECT_ID_ATTRIBUTE, values: [value] }],
  });

  it('reads <shibmd:Scope> from IdP metadata', async () => {
    const { idp } = await keys();
    const b64 = idp.keys.certificatePem.replace(/-----[^-]+-----|\s/g, '');
    const xml =
      '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:shibmd="urn:mace:shibboleth:metadata:1.0" entityID="https://idp.example.org">' +
      '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">' +
      '<md:Extensions><shibmd:Scope regexp="false">example.org</shibmd:Scope><shibmd:Scope regexp="true">^.+\\.example\\.org$</shibmd:Scope></md:Extensions>' +
      `<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
      '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.org/sso"/>' +
      '</md:IDPSSODescriptor></md:EntityDescriptor>';
    const md = await parseIdpMetadata(xml, { now: Date.now() });
    expect(md.scopes).toEqual([
      { value: 'example.org' },
      { value: '^.+\\.example\\.org$', regexp: true },
    ]);
  });

  it('accepts a user id in a granted scope and refuses one outside it', async () => {
    const { idp } = await keys();
    const { sp } = await spWith(
      { userIdAttribute: SUBJECT_ID_ATTRIBUTE },
      { ...idp.config, scopes: [{ value: 'Example.org' }] },
    );
    const ok = await login(sp, idp, subjectId('ann@example.ORG'));
    expect(ok.status).toBe(303);
    const session = await sp.getSession(req('/', { cookie: sessionCookie(ok)! }));
    expect(session?.userId).toBe('ann@example.ORG');
    const other = await login(sp, idp, subjectId('ann@victim.example'));
    expect(other.status).toBe(403);
    expect(await errorCode(other)).toBe('USER_ID_SCOPE_MISMATCH');
    const malformed = await login(sp, idp, subjectId('ann'));
    expect(await errorCode(malformed)).toBe('USER_ID_SCOPE_MISMATCH');
  });

  it('refuses every scope for an IdP whose metadata grants none', async () => {
    const { sp, idp } = await spWith({ userIdAttribute: 'subject-id' });
    const res = await login(sp, idp, {
      attributes: [{ name: SUBJECT_ID_ATTRIBUTE, friendlyName: 'subject-id', values: ['a@x.org'] }],
    });
    expect(await errorCode(res)).toBe('USER_ID_SCOPE_MISMATCH');
  });

  it('property: a scope is accepted exactly when granted (case-insensitive); regexp scopes match whole scopes', async () => {
    const { idp } = await keys();
    const label = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,10}$/);
    fc.assert(
      fc.property(label, label, label, (user, granted, asked) => {
        const config = { ...idp.config, scopes: [{ value: `${granted}.org` }] };
        const run = () => checkScopedUserId(config, SUBJECT_ID_ATTRIBUTE, `${user}@${asked}.ORG`);
        if (asked === granted) expect(run).not.toThrow();
        else expect(run).toThrow(/scope/);
        const rx = { ...idp.config, scopes: [{ value: `${granted}\\.org`, regexp: true }] };
        // A regexp scope anchored to the whole scope: a suffix or prefix is not enough.
        expect(() =>
          checkScopedUserId(rx, SUBJECT_ID_ATTRIBUTE, `${user}@x${granted}.org`),
        ).toThrow();
      }),
    );
  });
});
