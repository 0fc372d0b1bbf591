import { createIdpRegistry, type IdpPolicy, type ScopedAttributeOptions } from '@samlkit/core';
import { createSamlHandlers } from '@samlkit/fetch';
import { createTestIdp, generateTestKeys, type TestIdp } from '@samlkit/testkit';
import { beforeAll, describe, expect, it } from 'vitest';

// A federation IdP may sign only values in its own scopes (<shibmd:Scope> in its metadata):
// through the Fetch handlers, with the test IdP, a foreign eduPersonPrincipalName or
// eduPersonScopedAffiliation value is dropped (default) or refuses the login (by configuration).

const BASE = 'https://app.test';
const EPPN = 'urn:oid:1.3.6.1.4.1.5923.1.1.1.6';
const AFFILIATION = 'urn:oid:1.3.6.1.4.1.5923.1.1.1.9';
let idp: TestIdp;
let keys: Awaited<ReturnType<typeof generateTestKeys>>;

beforeAll(async () => {
  idp = await createTestIdp();
  keys = await generateTestKeys({ subject: 'fetch sp' });
});

function handlers(sp: { scopedAttributes?: ScopedAttributeOptions | false }, policy: IdpPolicy) {
  const warnings: Array<Record<string, unknown> | undefined> = [];
  const saml = createSamlHandlers({
    sp: {
      entityId: `${BASE}/saml/metadata`,
      assertionConsumerServices: [{ binding: 'post', location: `${BASE}/saml/acs` }],
      signingKeys: [{ privateKey: keys.privateKey, certificate: keys.certificatePem }],
    },
    idps: createIdpRegistry([
      {
        entityId: idp.config.entityId,
        // What the IdP's metadata grants: its own domain and its departments.
        idp: {
          ...idp.config,
          scopes: [{ value: 'uni.example' }, { value: '^[a-z]+\\.uni\\.example$', regexp: true }],
        },
        policy,
      },
    ]),
    ...sp,
    logger: { warn: (_m, d) => warnings.push(d), error() {} },
  });
  return { saml, warnings };
}

async function login(
  saml: ReturnType<typeof handlers>['saml'],
  values: Record<string, string[]>,
  friendlyNames: Record<string, string> = {},
) {
  const start = await saml.fetch(new Request(`${BASE}/saml/login`));
  const loginCookie = start.headers.getSetCookie()[0]!.split(';')[0]!;
  const { request, relayState } = await idp.readAuthnRequest(start.headers.get('location')!);
  const d = await idp.answerLogin(request, relayState, {
    nameId: 'ann-nameid',
    attributes: Object.entries(values).map(([name, v]) =>
      friendlyNames[name] === undefined
        ? { name, values: v }
        : { name, friendlyName: friendlyNames[name], values: v },
    ),
  });
  if (d.binding !== 'post') throw new Error('expected a POST delivery');
  const acs = await saml.fetch(
    new Request(`${BASE}/saml/acs`, {
      method: 'POST',
      body: d.form,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    }),
  );
  if (acs.status !== 303) return { status: acs.status, body: await acs.text() };
  const finish = await saml.fetch(
    new Request(new URL(acs.headers.get('location')!, BASE), { headers: { cookie: loginCookie } }),
  );
  const cookie = finish.headers.getSetCookie()[0]!.split(';')[0]!;
  const session = await saml.getSession(new Request(`${BASE}/`, { headers: { cookie } }));
  return { status: finish.status, session };
}

describe('scoped attributes through the Fetch handlers', () => {
  it('drops foreign values by default, keeps the granted ones, and logs the drop', async () => {
    const { saml, warnings } = handlers({}, {});
    const r = await login(saml, {
      [EPPN]: ['ann@UNI.example'],
      [AFFILIATION]: ['member@uni.example', 'staff@physics.uni.example', 'faculty@other.example'],
    });
    expect(r.status).toBe(303);
    expect(r.session?.attributes[EPPN]).toEqual(['ann@UNI.example']);
    expect(r.session?.attributes[AFFILIATION]).toEqual([
      'member@uni.example',
      'staff@physics.uni.example',
    ]);
    expect(warnings).toContainEqual(
      expect.objectContaining({
        code: 'ATTRIBUTE_SCOPE_MISMATCH',
        dropped: [{ name: AFFILIATION, scope: 'other.example' }],
      }),
    );
  });

  it('an eduPersonPrincipalName in another university’s scope is gone', async () => {
    const { saml } = handlers({}, {});
    const r = await login(saml, { [EPPN]: ['alice@victim.example'] });
    expect(r.status).toBe(303);
    expect(r.session?.attributes).not.toHaveProperty(EPPN);
  });

  it('refuses the login when the IdP’s policy (or the SP option) says refuse', async () => {
    const perIdp = handlers({}, { scopedAttributes: { onMismatch: 'refuse' } });
    const refused = await login(perIdp.saml, { [EPPN]: ['alice@victim.example'] });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('ATTRIBUTE_SCOPE_MISMATCH');
    const spWide = handlers({ scopedAttributes: { onMismatch: 'refuse' } }, {});
    expect((await login(spWide.saml, { [AFFILIATION]: ['member'] })).status).toBe(403);
    // The IdP's own setting wins over the SP's: this one is not checked at all.
    const off = handlers(
      { scopedAttributes: { onMismatch: 'refuse' } },
      { scopedAttributes: false },
    );
    const kept = await login(off.saml, { [EPPN]: ['alice@victim.example'] });
    expect(kept.session?.attributes[EPPN]).toEqual(['alice@victim.example']);
  });

  it('refuses a user id taken from a foreign eduPersonPrincipalName', async () => {
    const { saml } = handlers({}, { userIdAttribute: EPPN });
    const r = await login(saml, { [EPPN]: ['alice@victim.example'] });
    expect(r.status).toBe(403);
    expect(r.body).toContain('USER_ID_SCOPE_MISMATCH');
    const ok = await login(saml, { [EPPN]: ['ann@uni.example'] });
    expect(ok.session?.userId).toBe('ann@uni.example');
  });

  it('refuses a user id whose attribute carries eduPersonPrincipalName only as FriendlyName', async () => {
    const { saml } = handlers({}, { userIdAttribute: EPPN });
    const r = await login(saml, { 'urn:x:evil': ['alice@victim.example'] }, { 'urn:x:evil': EPPN });
    expect(r.status).toBe(403);
    expect(r.body).toContain('USER_ID_SCOPE_MISMATCH');
  });
});
