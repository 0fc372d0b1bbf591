import {
  BINDINGS,
  createArtifact,
  createIdpResolver,
  createSoapEnvelope,
  encodeSimpleSign,
  type IdpLookup,
  signXml,
} from '@samlkit/core';
import { buildResponse, editXml, generateTestKeys, type TestKeys } from '@samlkit/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BASE,
  deliverLogin,
  deliveryRequest,
  errorCode,
  keys,
  req,
  type Setup,
  sessionCookie,
  setup,
  spConfig,
  startLogin,
} from './support.js';

// HTTP-Artifact (SAML bindings §3.6) and HTTP-POST-SimpleSign at the SP's own ACS: opt-in by
// listing an AssertionConsumerService with that binding, and then checked as strictly as POST.

let attacker: TestKeys;
beforeAll(async () => {
  attacker = await generateTestKeys({ subject: 'attacker' });
});

async function withAcs(
  bindings: readonly ('artifact' | 'simpleSign')[],
  responseBinding?: 'artifact' | 'simpleSign',
): Promise<Setup> {
  const { idp, spKeys } = await keys();
  const base = spConfig(spKeys);
  return setup({
    sp: {
      ...base,
      assertionConsumerServices: [
        ...base.assertionConsumerServices,
        ...bindings.map((binding, i) => ({ binding, location: `${BASE}/saml/acs`, index: i + 1 })),
      ],
    },
    ...(responseBinding !== undefined && { responseBinding }),
    fetch: idp.artifactFetch,
  });
}

async function metadataXml(s: Setup): Promise<string> {
  return (await s.sp.metadata(req('/saml/metadata'))).text();
}

describe('HTTP-Artifact at the ACS', () => {
  it('asks for an artifact, resolves it at the IdP and signs in (GET and POST)', async () => {
    const s = await withAcs(['artifact'], 'artifact');
    for (const binding of ['artifact', 'artifactPost'] as const) {
      const before = s.idp.artifactResolutions();
      const login = await startLogin(s.sp, s.idp, '?returnTo=%2Fhome');
      // SAML core §3.4.1: the AuthnRequest asks for the HTTP-Artifact binding.
      expect(login.request.protocolBinding).toBe(BINDINGS.artifact);
      const delivery = await s.idp.answerLogin(login.request, login.relayState, {
        binding,
        nameId: 'art@example.com',
      });
      const done = await deliverLogin(s.sp, delivery, login.browserCookie);
      expect(done.status, await done.clone().text()).toBe(303);
      expect(done.headers.get('location')).toBe('/home');
      expect(sessionCookie(done)).toBeDefined();
      expect(s.idp.artifactResolutions()).toBe(before + 1);
    }
  });

  it('refuses a replayed artifact without asking the IdP again (SAML bindings §3.6.4)', async () => {
    const s = await withAcs(['artifact'], 'artifact');
    const login = await startLogin(s.sp, s.idp);
    // A misbehaving IdP would resolve the artifact twice: the SP's own check stops the replay.
    const delivery = await s.idp.answerLogin(login.request, login.relayState, {
      binding: 'artifact',
      artifactReusable: true,
    });
    const done = await deliverLogin(s.sp, delivery, login.browserCookie);
    expect(done.status).toBe(303);
    const resolved = s.idp.artifactResolutions();
    const again = await s.sp.acs(deliveryRequest(delivery));
    expect(again.status).toBe(403);
    expect(await errorCode(again)).toBe('REPLAY_DETECTED');
    expect(s.idp.artifactResolutions()).toBe(resolved);
  });

  it('validates the resolved Response exactly as a POSTed one', async () => {
    const s = await withAcs(['artifact'], 'artifact');
    const login = await startLogin(s.sp, s.idp);
    const delivery = await s.idp.answerLogin(login.request, login.relayState, {
      binding: 'artifact',
      now: Date.now() - 60 * 60_000,
    });
    const res = await s.sp.acs(deliveryRequest(delivery));
    expect(await errorCode(res)).toBe('EXPIRED');
  });

  it('refuses an ArtifactResponse signed by another key, and leaves the login intact', async () => {
    const { idp, spKeys } = await keys();
    const base = spConfig(spKeys);
    let forge = true;
    // A man in the middle of the back channel: the IdP's answer, re-signed with another key.
    const forging: typeof fetch = async (input, init) => {
      const real = await idp.artifactFetch(input, init);
      if (!forge) return real;
      const soap = await real.text();
      const stripped = editXml(soap, (doc) => {
        const ar = doc.getElementsByTagNameNS(
          'urn:oasis:names:tc:SAML:2.0:protocol',
          'ArtifactResponse',
        )[0]!;
        for (let c = ar.firstChild; c; c = c.nextSibling) {
          if ((c as Element).localName === 'Signature') {
            ar.removeChild(c);
            break;
          }
        }
      });
      const inner = /<(\w+:)?ArtifactResponse[\s\S]*<\/(\w+:)?ArtifactResponse>/.exec(stripped)![0];
      const resigned = await signXml(inner, {
        key: attacker.privateKey,
        certificate: attacker.certificatePem,
      });
      return new Response(createSoapEnvelope(resigned), {
        headers: { 'content-type': 'text/xml; charset=utf-8' },
      });
    };
    const s = await setup({
      sp: {
        ...base,
        assertionConsumerServices: [
          ...base.assertionConsumerServices,
          { binding: 'artifact', location: `${BASE}/saml/acs`, index: 1 },
        ],
      },
      responseBinding: 'artifact',
      fetch: forging,
    });
    const login = await startLogin(s.sp, s.idp);
    const forged = await s.idp.answerLogin(login.request, login.relayState, {
      binding: 'artifact',
    });
    const res = await s.sp.acs(deliveryRequest(forged));
    expect(res.status).toBe(403);
    expect(await errorCode(res)).toMatch(/^SIGNATURE_(INVALID|KEY_UNTRUSTED)$/);
    // The pending login was not consumed: the IdP's next, genuine artifact completes it.
    forge = false;
    const genuine = await s.idp.answerLogin(login.request, login.relayState, {
      binding: 'artifact',
    });
    const done = await deliverLogin(s.sp, genuine, login.browserCookie);
    expect(done.status, await done.clone().text()).toBe(303);
    expect(sessionCookie(done)).toBeDefined();
  });

  it('refuses SAMLart when the SP does not list the HTTP-Artifact binding, asking nobody', async () => {
    const s = await withAcs([]);
    const samlart = await createArtifact({ issuer: s.idp.entityId });
    const before = s.idp.artifactResolutions();
    const get = await s.sp.acs(req(`/saml/acs?SAMLart=${encodeURIComponent(samlart)}`));
    expect(get.status).toBe(400);
    expect(await errorCode(get)).toBe('BINDING_INVALID');
    const post = await s.sp.acs(
      req('/saml/acs', {
        method: 'POST',
        body: new URLSearchParams({ SAMLart: samlart }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
    );
    expect(await errorCode(post)).toBe('BINDING_INVALID');
    expect(s.idp.artifactResolutions()).toBe(before);
  });

  it('refuses an artifact of an IdP the SP does not know', async () => {
    const s = await withAcs(['artifact'], 'artifact');
    const samlart = await createArtifact({ issuer: 'https://other-idp.example/metadata' });
    const res = await s.sp.acs(req(`/saml/acs?SAMLart=${encodeURIComponent(samlart)}`));
    expect(await errorCode(res)).toBe('IDP_UNKNOWN');
  });

  it('with an IdP resolver, resolves the artifact of the IdP a login went to (per-IdP policy)', async () => {
    const { idp, spKeys } = await keys();
    const base = spConfig(spKeys);
    const lookups: IdpLookup[] = [];
    const s = await setup({
      sp: {
        ...base,
        assertionConsumerServices: [
          ...base.assertionConsumerServices,
          { binding: 'artifact', location: `${BASE}/saml/acs`, index: 1 },
        ],
      },
      // The resolver cannot be listed: only the login tells the ACS whose SourceID to expect.
      idps: createIdpResolver({
        resolve: async (lookup) => {
          lookups.push(lookup);
          return { idp: idp.config, policy: { responseBinding: 'artifact' } };
        },
      }),
      fetch: idp.artifactFetch,
    });
    const unknown = await createArtifact({ issuer: idp.entityId });
    const before = await s.sp.acs(req(`/saml/acs?SAMLart=${encodeURIComponent(unknown)}`));
    expect(await errorCode(before)).toBe('IDP_UNKNOWN');
    const login = await startLogin(s.sp, s.idp);
    expect(login.request.protocolBinding).toBe(BINDINGS.artifact);
    const delivery = await s.idp.answerLogin(login.request, login.relayState, {
      binding: 'artifact',
    });
    const done = await deliverLogin(s.sp, delivery, login.browserCookie);
    expect(done.status, await done.clone().text()).toBe(303);
    expect(sessionCookie(done)).toBeDefined();
    expect(lookups.some((l) => l.purpose === 'message' && l.entityId === idp.entityId)).toBe(true);
  });

  it('is announced in SP metadata only when listed', async () => {
    expect(await metadataXml(await withAcs([]))).not.toContain(BINDINGS.artifact);
    expect(await metadataXml(await withAcs(['artifact']))).toContain(
      `Binding="${BINDINGS.artifact}"`,
    );
  });
});

describe('HTTP-POST-SimpleSign at the ACS', () => {
  it('signs in with a form signature over an unsigned Response', async () => {
    const s = await withAcs(['simpleSign'], 'simpleSign');
    const login = await startLogin(s.sp, s.idp, '?returnTo=%2Fss');
    expect(login.request.protocolBinding).toBe(BINDINGS.simpleSign);
    const delivery = await s.idp.answerLogin(login.request, login.relayState, {
      binding: 'simpleSign',
    });
    const done = await deliverLogin(s.sp, delivery, login.browserCookie);
    expect(done.status, await done.clone().text()).toBe(303);
    expect(done.headers.get('location')).toBe('/ss');
    expect(sessionCookie(done)).toBeDefined();
  });

  async function simpleSignForm(
    s: Setup,
    login: Awaited<ReturnType<typeof startLogin>>,
    signer: TestKeys,
  ): Promise<URLSearchParams> {
    const xml = await buildResponse({
      idpEntityId: s.idp.entityId,
      spEntityId: `${BASE}/saml/metadata`,
      acsUrl: `${BASE}/saml/acs`,
      now: Date.now(),
      inResponseTo: login.request.id,
      sign: 'none',
    });
    const fields = await encodeSimpleSign({
      type: 'SAMLResponse',
      xml,
      ...(login.relayState !== undefined && { relayState: login.relayState }),
      sign: { key: signer.privateKey },
    });
    return new URLSearchParams({ ...fields });
  }

  function postForm(form: URLSearchParams): Request {
    return req('/saml/acs', {
      method: 'POST',
      body: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  }

  it('refuses a form signed by another key, or changed after signing, and keeps the login', async () => {
    const s = await withAcs(['simpleSign'], 'simpleSign');
    const login = await startLogin(s.sp, s.idp);
    const forged = await s.sp.acs(postForm(await simpleSignForm(s, login, attacker)));
    expect(await errorCode(forged)).toBe('SIGNATURE_INVALID');
    // The genuine key, but the message changed after signing (another user).
    const form = await simpleSignForm(s, login, s.idp.keys);
    const xml = atob(form.get('SAMLResponse')!).replace('user@example.com', 'mallory@example.com');
    form.set('SAMLResponse', btoa(xml));
    const changed = await s.sp.acs(postForm(form));
    expect(await errorCode(changed)).toBe('SIGNATURE_INVALID');
    // Nothing was consumed: the genuine answer still completes the login.
    const genuine = await s.idp.answerLogin(login.request, login.relayState, {
      binding: 'simpleSign',
    });
    const done = await deliverLogin(s.sp, genuine, login.browserCookie);
    expect(done.status, await done.clone().text()).toBe(303);
    expect(sessionCookie(done)).toBeDefined();
  });

  it('refuses SigAlg without Signature, and unsigned XML without the form signature', async () => {
    const s = await withAcs(['simpleSign'], 'simpleSign');
    const login = await startLogin(s.sp, s.idp);
    const form = await simpleSignForm(s, login, s.idp.keys);
    form.delete('Signature');
    expect(await errorCode(await s.sp.acs(postForm(form)))).toBe('BINDING_INVALID');
    form.delete('SigAlg');
    // Now a plain POST of an unsigned Response: the XML signature rules apply.
    expect(await errorCode(await s.sp.acs(postForm(form)))).toBe('SIGNATURE_MISSING');
  });

  it('refuses a SimpleSign form when the SP does not list the binding', async () => {
    const s = await withAcs([]);
    const login = await startLogin(s.sp, s.idp);
    const res = await s.sp.acs(postForm(await simpleSignForm(s, login, s.idp.keys)));
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('BINDING_INVALID');
  });

  it('is announced in SP metadata only when listed', async () => {
    expect(await metadataXml(await withAcs([]))).not.toContain(BINDINGS.simpleSign);
    expect(await metadataXml(await withAcs(['simpleSign']))).toContain(
      `Binding="${BINDINGS.simpleSign}"`,
    );
  });
});
