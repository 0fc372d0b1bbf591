import { type CryptoProvider, createArtifact, createIdpRegistry } from '@samlkit/core';
import { describe, expect, it } from 'vitest';
import { BASE, errorCode, keys, req, setup, spConfig } from './support.js';

// SAML bindings §3.6.4.2: an artifact's SourceID is the SHA-1 of its issuer's entity ID. Finding
// the issuer must not hash every configured entity ID again for each artifact anyone sends.

/** The runtime's WebCrypto, counting the SHA-1 digests made through it. */
function countingCrypto(): { crypto: CryptoProvider; sha1Digests: () => number } {
  const real = globalThis.crypto;
  let count = 0;
  const subtle = new Proxy(real.subtle, {
    get(target, prop) {
      if (prop === 'digest') {
        return (algorithm: AlgorithmIdentifier, data: BufferSource) => {
          const name = typeof algorithm === 'string' ? algorithm : algorithm.name;
          if (name.toUpperCase() === 'SHA-1') count += 1;
          return target.digest(algorithm, data);
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    crypto: {
      subtle,
      getRandomValues: <T extends ArrayBufferView | null>(a: T): T =>
        real.getRandomValues(a as ArrayBufferView) as T,
    },
    sha1Digests: () => count,
  };
}

describe('HTTP-Artifact: finding the issuer of a SourceID', () => {
  it('hashes the entity IDs of a 20,000-IdP registry once, not per artifact', async () => {
    const { idp, spKeys } = await keys();
    const base = spConfig(spKeys);
    const entries = Array.from({ length: 20_000 }, (_, i) => {
      const entityId = `https://idp${i}.example.org/idp`;
      return { entityId, idp: { ...idp.config, entityId } };
    });
    const counting = countingCrypto();
    const s = await setup({
      sp: {
        ...base,
        assertionConsumerServices: [
          ...base.assertionConsumerServices,
          { binding: 'artifact', location: `${BASE}/saml/acs`, index: 1 },
        ],
      },
      idps: createIdpRegistry(entries),
      crypto: counting.crypto,
    });
    const unknown = async () => {
      const samlart = await createArtifact({ issuer: `https://nobody.example/${Math.random()}` });
      return s.sp.acs(req(`/saml/acs?SAMLart=${encodeURIComponent(samlart)}`));
    };
    expect(await errorCode(await unknown())).toBe('IDP_UNKNOWN');
    const afterFirst = counting.sha1Digests();
    expect(afterFirst).toBeGreaterThanOrEqual(20_000);
    expect(await errorCode(await unknown())).toBe('IDP_UNKNOWN');
    expect(counting.sha1Digests()).toBe(afterFirst);
  }, 120_000);
});
