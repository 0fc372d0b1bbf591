import { buildResponse, generateTestKeys, type TestKeys, toPostBinding } from '@samlkit/testkit';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  isNoPassiveStatus,
  PASSIVE_MARKER,
  STATUS_NO_PASSIVE,
  STATUS_RESPONDER,
  withPassiveMarker,
} from '../../src/sp/acs-passive.js';
import {
  BASE,
  deliverLogin,
  deliveryRequest,
  errorCode,
  req,
  type Setup,
  sessionCookie,
  setup,
  startLogin,
} from './support.js';

// IsPassive (SAML core §3.4.1): a NoPassive answer is "not signed in", not an error page. Only a
// signed NoPassive ends the pending login; an unsigned one touches no state.

let attacker: TestKeys;
beforeAll(async () => {
  attacker = await generateTestKeys({ subject: 'attacker' });
});

const STATUS = 'urn:oasis:names:tc:SAML:2.0:status:';

describe('isNoPassiveStatus', () => {
  it('is true exactly for Responder with the second-level NoPassive', () => {
    const code = fc.oneof(
      fc.constantFrom(
        STATUS_RESPONDER,
        STATUS_NO_PASSIVE,
        `${STATUS}Requester`,
        `${STATUS}Success`,
        `${STATUS}AuthnFailed`,
      ),
      fc.string(),
    );
    fc.assert(
      fc.property(fc.array(code, { maxLength: 4 }), (codes) => {
        expect(isNoPassiveStatus(codes)).toBe(
          codes[0] === STATUS_RESPONDER && codes[1] === STATUS_NO_PASSIVE,
        );
      }),
    );
  });
});

describe('withPassiveMarker', () => {
  const segment = fc.stringMatching(/^[A-Za-z0-9_~-]{1,8}$/);
  const path = fc.array(segment, { maxLength: 3 }).map((parts) => `/${parts.join('/')}`);
  const params = fc.array(
    fc.tuple(fc.oneof(fc.constant(PASSIVE_MARKER), fc.string({ maxLength: 6 })), fc.string()),
    { maxLength: 4 },
  );

  it('sets samlkit_passive=none once and keeps the path, every other parameter and the fragment', () => {
    fc.assert(
      fc.property(path, params, fc.option(segment), (p, list, frag) => {
        const query = new URLSearchParams(list).toString();
        const input = `${p}${query ? `?${query}` : ''}${frag !== null ? `#${frag}` : ''}`;
        const out = withPassiveMarker(input);
        const url = new URL(out, BASE);
        expect(url.origin).toBe(BASE);
        expect(url.pathname).toBe(new URL(p, BASE).pathname);
        expect(url.searchParams.getAll(PASSIVE_MARKER)).toEqual(['none']);
        const others = [...url.searchParams].filter(([k]) => k !== PASSIVE_MARKER);
        expect(others).toEqual(list.filter(([k]) => k !== PASSIVE_MARKER));
        expect(url.hash).toBe(frag ? `#${frag}` : '');
        // Idempotent: a second marking changes nothing.
        expect(withPassiveMarker(out)).toBe(out);
      }),
    );
  });
});

async function passiveLogin(s: Setup, query = '?isPassive=1&returnTo=%2Fpage%3Fx%3D1') {
  const login = await startLogin(s.sp, s.idp, query);
  return login;
}

function post(form: URLSearchParams): Request {
  return req('/saml/acs', {
    method: 'POST',
    body: form.toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}

describe('IsPassive at the service provider', () => {
  it('sends IsPassive="true" from the query and from login({ isPassive })', async () => {
    const s = await setup();
    expect((await passiveLogin(s)).request.isPassive).toBe(true);
    const res = await s.sp.login(req('/saml/login'), { isPassive: true });
    const { request } = await s.idp.readAuthnRequest(res.headers.get('location')!);
    expect(request.isPassive).toBe(true);
    expect((await startLogin(s.sp, s.idp)).request.isPassive).not.toBe(true);
  });

  it('a signed NoPassive returns to returnTo with samlkit_passive=none, no session, the login spent', async () => {
    const s = await setup();
    const login = await passiveLogin(s);
    const answer = await s.idp.answerNoPassive(login.request, login.relayState);
    const res = await s.sp.acs(deliveryRequest(answer));
    expect(res.status, await res.clone().text()).toBe(303);
    expect(res.headers.get('location')).toBe('/page?x=1&samlkit_passive=none');
    expect(sessionCookie(res)).toBeUndefined();
    // The pending login was consumed: a late answer to it is refused.
    const late = await s.idp.answerLogin(login.request, login.relayState);
    const refused = await deliverLogin(s.sp, late, login.browserCookie);
    expect(await errorCode(refused)).toBe('IN_RESPONSE_TO_MISMATCH');
    // And the same NoPassive again names no pending login.
    expect(await errorCode(await s.sp.acs(deliveryRequest(answer)))).toBe(
      'IN_RESPONSE_TO_MISMATCH',
    );
  });

  it('handleAcs tells the application the login was passive', async () => {
    const s = await setup();
    const login = await passiveLogin(s, '?isPassive=1');
    const answer = await s.idp.answerNoPassive(login.request, login.relayState);
    const step = await s.sp.handleAcs(deliveryRequest(answer));
    expect(step).toEqual({ step: 'finish', redirectTo: '/?samlkit_passive=none', passive: true });
  });

  it('an unsigned NoPassive answers not signed in and touches no login state', async () => {
    const s = await setup();
    const login = await passiveLogin(s);
    const forged = await s.idp.answerNoPassive(login.request, login.relayState, {
      signed: false,
    });
    const res = await s.sp.acs(deliveryRequest(forged));
    expect(res.status).toBe(303);
    // Nothing it says is believed: not even the login's returnTo.
    expect(res.headers.get('location')).toBe('/?samlkit_passive=none');
    expect(sessionCookie(res)).toBeUndefined();
    // The pending login is intact: the IdP's real answer still signs the user in.
    const genuine = await s.idp.answerLogin(login.request, login.relayState);
    const done = await deliverLogin(s.sp, genuine, login.browserCookie);
    expect(done.status, await done.clone().text()).toBe(303);
    expect(done.headers.get('location')).toBe('/page?x=1');
    expect(sessionCookie(done)).toBeDefined();
  });

  async function noPassiveXml(s: Setup, inResponseTo: string, signer: TestKeys | null) {
    return buildResponse({
      idpEntityId: s.idp.entityId,
      spEntityId: `${BASE}/saml/metadata`,
      acsUrl: `${BASE}/saml/acs`,
      now: Date.now(),
      inResponseTo,
      status: { code: STATUS_RESPONDER, subCode: STATUS_NO_PASSIVE },
      sign: signer ? 'response' : 'none',
      ...(signer && { signingKey: signer }),
    });
  }

  it('a NoPassive signed by another key is refused and the login stays intact', async () => {
    const s = await setup();
    const login = await passiveLogin(s);
    const xml = await noPassiveXml(s, login.request.id, attacker);
    const form = new URLSearchParams({ SAMLResponse: toPostBinding(xml) });
    form.set('RelayState', login.relayState!);
    const res = await s.sp.acs(post(form));
    expect(res.status).toBe(403);
    expect(await errorCode(res)).toMatch(/^SIGNATURE_/);
    const genuine = await s.idp.answerLogin(login.request, login.relayState);
    const done = await deliverLogin(s.sp, genuine, login.browserCookie);
    expect(sessionCookie(done)).toBeDefined();
  });

  it('a signed NoPassive to a login that was not passive is a refusal', async () => {
    const s = await setup();
    const login = await startLogin(s.sp, s.idp);
    const answer = await s.idp.answerNoPassive(login.request, login.relayState);
    const res = await s.sp.acs(deliveryRequest(answer));
    expect(await errorCode(res)).toBe('STATUS_NOT_SUCCESS');
  });

  it('a signed NoPassive for another ACS is refused', async () => {
    const s = await setup();
    const login = await passiveLogin(s);
    const xml = (await noPassiveXml(s, login.request.id, null)).replace(
      `Destination="${BASE}/saml/acs"`,
      'Destination="https://other.example/acs"',
    );
    const { signXml } = await import('@samlkit/core');
    const signed = await signXml(xml, {
      key: s.idp.keys.privateKey,
      certificate: s.idp.keys.certificatePem,
    });
    const res = await s.sp.acs(post(new URLSearchParams({ SAMLResponse: toPostBinding(signed) })));
    expect(await errorCode(res)).toBe('DESTINATION_MISMATCH');
  });
});
