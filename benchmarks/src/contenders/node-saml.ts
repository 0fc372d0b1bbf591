import { SAML } from '@node-saml/node-saml';
import type { Contender } from '../contender.js';
import { idpCertFor } from '../fixtures.js';
import { packageVersion } from '../versions.js';

export const nodeSaml: Contender = {
  name: '@node-saml/node-saml',
  version: packageVersion('@node-saml/node-saml'),
  checks:
    'signature with the pinned certificate (wantAssertionsSigned; wantAuthnResponseSigned for the Response-signed variant); Issuer (idpIssuer); InResponseTo of Response and SubjectConfirmationData against its request cache; SubjectConfirmationData and Conditions time windows; AudienceRestriction; decryption. Does not check Destination or Recipient. Reads the real clock (no injection), so documents are valid for the real time of the run.',
  async prepare(f, variant) {
    // A request cache that knows the one outstanding request and never forgets it, so the
    // InResponseTo check runs on every validation (node-saml removes IDs after use).
    const createdAt = new Date(f.generatedAt).toISOString();
    const cacheProvider = {
      saveAsync: async () => null,
      getAsync: async (key: string) => (key === f.requestId ? createdAt : null),
      removeAsync: async () => null,
    };
    const saml = new SAML({
      callbackUrl: f.acsUrl,
      entryPoint: 'https://idp.bench.example/sso',
      issuer: f.spEntityId,
      audience: f.spEntityId,
      idpCert: idpCertFor(f, variant),
      idpIssuer: f.idpEntityId,
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: variant === 'rsa-response-and-assertion',
      validateInResponseTo: 'always' as never,
      requestIdExpirationPeriodMs: 24 * 60 * 60 * 1000,
      cacheProvider: cacheProvider as never,
      decryptionPvk: f.spPrivateKeyPem,
      acceptedClockSkewMs: 0,
    });
    return async (samlResponse) => {
      const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: samlResponse });
      if (!profile) throw new Error('node-saml returned no profile');
      return profile.nameID;
    };
  },
};
