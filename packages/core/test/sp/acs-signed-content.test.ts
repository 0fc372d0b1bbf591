import { MemoryStore, type SamlStore } from '@samlkit/core';
import {
  type BuildResponseOptions,
  buildResponse,
  generateTestKeys,
  type TestKeys,
  toPostBinding,
} from '@samlkit/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BASE,
  deliverLogin,
  errorCode,
  req,
  type Setup,
  sessionCookie,
  setup,
  startLogin,
  wrapStore,
} from './support.js';

// The ACS trusts only what a verified signature covers, and consumes nothing one-time (the
// pending login, the replay cache) before the signatures and every check have passed.

let attacker: TestKeys;
beforeAll(async () => {
  attacker = await generateTestKeys({ subject: 'attacker' });
});

function post(xml: string, relayState?: string): Request {
  const form = new URLSearchParams({ SAMLResponse: toPostBinding(xml) });
  if (relayState !== undefined) form.set('RelayState', relayState);
  return req('/saml/acs', {
    method: 'POST',
    body: form.toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}

function response(s: Setup, extra: Partial<BuildResponseOptions>): Promise<string> {
  return buildResponse({
    idpEntityId: s.idp.entityId,
    spEntityId: `${BASE}/saml/metadata`,
    acsUrl: `${BASE}/saml/acs`,
    now: Date.now(),
    signingKey: s.idp.keys,
    ...extra,
  });
}

/** The genuine IdP answer to a pending login still completes it (the login was left intact). */
async function genuineAnswerCompletes(
  s: Setup,
  login: Awaited<ReturnType<typeof startLogin>>,
): Promise<void> {
  const delivery = await s.idp.answerLogin(login.request, login.relayState);
  const done = await deliverLogin(s.sp, delivery, login.browserCookie);
  expect(done.status, await done.clone().text()).toBe(303);
  expect(sessionCookie(done)).toBeDefined();
}

describe('the ACS takes the pending login only after the signatures verify', () => {
  it('a forged Response naming a pending login leaves that login usable', async () => {
    const s = await setup();
    const login = await startLogin(s.sp, s.idp);
    const forged = await response(s, {
      inResponseTo: login.request.id,
      signingKey: attacker,
      sign: 'both',
    });
    const res = await s.sp.acs(post(forged, login.relayState));
    expect(res.status).toBe(403);
    expect(await errorCode(res)).toMatch(/^SIGNATURE_/);
    await genuineAnswerCompletes(s, login);
  });

  it('an unsigned Response naming a pending login leaves it usable', async () => {
    const s = await setup();
    const login = await startLogin(s.sp, s.idp);
    const unsigned = await response(s, { inResponseTo: login.request.id, sign: 'none' });
    const res = await s.sp.acs(post(unsigned, login.relayState));
    expect(await errorCode(res)).toBe('SIGNATURE_MISSING');
    await genuineAnswerCompletes(s, login);
  });

  it('a signed Response refused by a later check (audience) leaves the login usable', async () => {
    const s = await setup();
    const login = await startLogin(s.sp, s.idp);
    const other = await response(s, {
      inResponseTo: login.request.id,
      audiences: [['https://other.example/sp']],
    });
    const res = await s.sp.acs(post(other, login.relayState));
    expect(await errorCode(res)).toBe('AUDIENCE_MISMATCH');
    await genuineAnswerCompletes(s, login);
  });

  it('writes the replay cache only for a Response that passed every check', async () => {
    const remembered: string[] = [];
    const inner = new MemoryStore();
    const store: SamlStore = wrapStore(inner, {
      rememberOnce: async (key, expiresAt) => {
        remembered.push(key);
        return inner.rememberOnce(key, expiresAt);
      },
    });
    const s = await setup({ store });
    const login = await startLogin(s.sp, s.idp);
    const noAuthn = await response(s, {
      inResponseTo: login.request.id,
      omitAuthnStatement: true,
      assertionId: '_assertion-once',
    });
    expect(await errorCode(await s.sp.acs(post(noAuthn, login.relayState)))).toBe(
      'AUTHN_STATEMENT_MISSING',
    );
    expect(remembered).toEqual([]);
    // The same assertion ID, now valid, is accepted: nothing was remembered for the refused one.
    const good = await response(s, {
      inResponseTo: login.request.id,
      assertionId: '_assertion-once',
    });
    const acs = await s.sp.acs(post(good, login.relayState));
    expect(acs.status).toBe(303);
    expect(remembered).toHaveLength(1);
  });

  it('under a race of valid Responses for one login, exactly one wins', async () => {
    const s = await setup();
    const login = await startLogin(s.sp, s.idp);
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => response(s, { inResponseTo: login.request.id })),
    );
    const results = await Promise.all(answers.map((x) => s.sp.acs(post(x, login.relayState))));
    const winners = results.filter((r) => r.status === 303);
    expect(winners).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 303)) {
      expect(await errorCode(r)).toBe('IN_RESPONSE_TO_MISMATCH');
    }
  });
});

describe('solicitation comes from the signed assertion, never from an unsigned envelope', () => {
  it('an IdP-initiated assertion in an unsigned envelope naming a pending login is UNSOLICITED_RESPONSE, and the login stays intact', async () => {
    const s = await setup();
    const login = await startLogin(s.sp, s.idp);
    // The assertion (signed) names no request; the envelope (unsigned) names the pending login.
    const wrapped = await response(s, {
      inResponseTo: login.request.id,
      subjectConfirmation: { inResponseTo: null },
      sign: 'assertion',
    });
    const res = await s.sp.acs(post(wrapped, login.relayState));
    expect(res.status).toBe(403);
    expect(await errorCode(res)).toBe('UNSOLICITED_RESPONSE');
    await genuineAnswerCompletes(s, login);
  });

  it('with allowUnsolicited the same is an unsolicited login bound to no request; the pending login stays intact', async () => {
    const s = await setup({ allowUnsolicited: true, defaultReturnTo: '/home' });
    const login = await startLogin(s.sp, s.idp, '?returnTo=/victim-page');
    const wrapped = await response(s, {
      inResponseTo: login.request.id,
      subjectConfirmation: { inResponseTo: null },
      sign: 'assertion',
    });
    const acs = await s.sp.acs(post(wrapped));
    expect(acs.status).toBe(303);
    // Finished as IdP-initiated: lands on the default page, not the pending login's returnTo.
    const done = await s.sp.acs(req(acs.headers.get('location')!));
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/home');
    await genuineAnswerCompletes(s, login);
  });

  it('a signed Response without InResponseTo around a solicited assertion is bound by the assertion', async () => {
    const s = await setup();
    const login = await startLogin(s.sp, s.idp);
    const xml = await response(s, {
      inResponseTo: login.request.id,
      sign: 'assertion',
    });
    // Drop the unsigned envelope's InResponseTo: the signed assertion still names the request.
    const stripped = xml.replace(/(<samlp:Response[^>]*?) InResponseTo="[^"]*"/, '$1');
    expect(stripped).not.toBe(xml);
    const done = await deliverLogin(
      s.sp,
      { binding: 'post', url: `${BASE}/saml/acs`, form: formOf(stripped, login.relayState) },
      login.browserCookie,
    );
    expect(done.status, await done.clone().text()).toBe(303);
    expect(sessionCookie(done)).toBeDefined();
  });
});

function formOf(xml: string, relayState: string | undefined): URLSearchParams {
  const form = new URLSearchParams({ SAMLResponse: toPostBinding(xml) });
  if (relayState !== undefined) form.set('RelayState', relayState);
  return form;
}
