import { createArtifact, createIdpResolver, type IdentityProviderConfig } from '@samlkit/core';
import { describe, expect, it } from 'vitest';
import { errorCode, keys, setup, spConfig } from './support.js';

// The ArtifactResolutionService an SP posts to comes from the IdP's metadata. For an IdP that is
// not configured statically (a resolver, registry, federation or MDQ) that metadata is a third
// party's: it may not send the SP to its own machine or network (SAML bindings §3.6.3 has the SP
// call the endpoint the issuer publishes; which hosts are acceptable is the SP's decision).

const SP = 'https://sp.example.org';
const DEV_SP = 'http://localhost:4000';

/** A real fetch function that records every URL the SP asks for, and answers nothing useful. */
function recordingFetch(): { fetch: typeof fetch; calls: string[] } {
  const calls: string[] = [];
  const f: typeof fetch = async (input) => {
    calls.push(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    return new Response('no', { status: 500 });
  };
  return { fetch: f, calls };
}

async function resolverSp(location: string, spBase: string = SP) {
  const { idp, spKeys } = await keys();
  const base = spConfig(spKeys, spBase);
  const evil: IdentityProviderConfig = {
    ...idp.config,
    entityId: 'https://evil-member.example/idp',
    artifactResolutionServices: [{ binding: 'soap', location, index: 1 }],
  };
  const recorder = recordingFetch();
  const s = await setup({
    sp: {
      ...base,
      assertionConsumerServices: [
        ...base.assertionConsumerServices,
        { binding: 'artifact', location: `${spBase}/saml/acs`, index: 1 },
      ],
    },
    baseUrl: spBase,
    idps: createIdpResolver({
      resolve: async () => ({ idp: evil, policy: { responseBinding: 'artifact' } }),
    }),
    fetch: recorder.fetch,
  });
  return { s, evil, calls: recorder.calls };
}

describe('HTTP-Artifact: the ArtifactResolutionService of a non-static IdP', () => {
  for (const location of ['http://127.0.0.1:9/', 'https://10.0.0.1/ars', 'https://[fe80::1]/ars']) {
    it(`never calls ${location} from an SP on a public host`, async () => {
      const { s, evil, calls } = await resolverSp(location);
      // The login to the member IdP makes the ACS remember its SourceID.
      const login = await s.sp.login(
        new Request(`${SP}/saml/login?idp=${encodeURIComponent(evil.entityId)}`),
      );
      expect(login.status).toBe(303);
      const samlart = await createArtifact({ issuer: evil.entityId, endpointIndex: 1 });
      const res = await s.sp.acs(
        new Request(`${SP}/saml/acs?SAMLart=${encodeURIComponent(samlart)}`),
      );
      expect(await errorCode(res)).toBe('HTTP_REQUEST_FAILED');
      expect(calls).toEqual([]);
    });
  }

  it('still calls a public https endpoint of the same IdP', async () => {
    const { s, evil, calls } = await resolverSp('https://idp.example.net/ars');
    await s.sp.login(new Request(`${SP}/saml/login?idp=${encodeURIComponent(evil.entityId)}`));
    const samlart = await createArtifact({ issuer: evil.entityId, endpointIndex: 1 });
    await s.sp.acs(new Request(`${SP}/saml/acs?SAMLart=${encodeURIComponent(samlart)}`));
    expect(calls).toEqual(['https://idp.example.net/ars']);
  });

  it('an SP on a loopback host (development) still calls a loopback http endpoint', async () => {
    const { s, evil, calls } = await resolverSp('http://127.0.0.1:9/', DEV_SP);
    await s.sp.login(new Request(`${DEV_SP}/saml/login?idp=${encodeURIComponent(evil.entityId)}`));
    const samlart = await createArtifact({ issuer: evil.entityId, endpointIndex: 1 });
    await s.sp.acs(new Request(`${DEV_SP}/saml/acs?SAMLart=${encodeURIComponent(samlart)}`));
    expect(calls).toEqual(['http://127.0.0.1:9/']);
  });
});
