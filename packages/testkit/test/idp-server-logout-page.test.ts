// The test IdP's page at the end of a logout (the SP's LogoutResponse arrives at /slo): words, not
// a status URN, and a way back to the SP.
import { createLogoutResponse, encodeRedirect } from '@samlkit/core';
import { type IdpServer, startIdpServer } from '@samlkit/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SP = 'http://localhost:4100/saml/metadata';

describe('startIdpServer: the page a logout ends on', () => {
  let idp: IdpServer;
  beforeAll(async () => {
    idp = await startIdpServer({
      serviceProviders: [{ entityId: SP, sloUrl: 'http://localhost:4100/saml/slo' }],
    });
  });
  afterAll(() => idp.stop());

  const answer = async (issuer: string, status?: { code?: string; subCode?: string }) => {
    const { xml } = await createLogoutResponse({
      issuer,
      destination: `${idp.url}/slo`,
      inResponseTo: '_logout1',
      ...(status !== undefined && { status }),
      now: Date.now(),
    });
    const url = await encodeRedirect({ destination: `${idp.url}/slo`, type: 'SAMLResponse', xml });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    return res.text();
  };

  it('a successful logout says so and links back to the SP', async () => {
    const html = await answer(SP);
    expect(html).toContain('You are signed out of');
    expect(html).toContain('<a href="http://localhost:4100/">Back to http://localhost:4100/</a>');
    expect(html).not.toContain('urn:oasis:names:tc:SAML:2.0:status');
  });

  it('a partial logout says what was not ended', async () => {
    const html = await answer(SP, { subCode: 'PartialLogout' });
    expect(html).toContain('Signed out (partly)');
    expect(html).toContain('ended only some of your sessions');
  });

  it('a failed logout names the status in words; an unknown SP gets a link to the IdP', async () => {
    const html = await answer('https://stranger.example/sp', { code: 'Responder' });
    expect(html).toContain('could not sign you out (status Responder)');
    expect(html).toContain('<a href="/">The test IdP</a>');
  });
});
