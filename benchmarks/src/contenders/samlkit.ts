import { loadPrivateKey, loadPublicKey, validateResponse } from '@samlkit/core';
import type { Contender } from '../contender.js';
import { idpCertFor } from '../fixtures.js';
import { packageVersion } from '../versions.js';

export const samlkit: Contender = {
  name: 'samlkit',
  version: packageVersion('@samlkit/core'),
  checks:
    'signature(s) with the pinned IdP key only (strict: one Reference to the signed element, allowlisted algorithms and transforms, unique IDs); Status; Issuer of Response and Assertion; Destination; InResponseTo of Response and SubjectConfirmationData; bearer SubjectConfirmation Recipient and NotOnOrAfter; Conditions NotBefore/NotOnOrAfter; AudienceRestriction; AuthnStatement; NameID and all attributes; decryption (EncryptedAssertion). Clock injected (`now`).',
  async prepare(f, variant) {
    const signingKeys = [loadPublicKey(idpCertFor(f, variant))];
    const decryptionKeys = [loadPrivateKey(f.spPrivateKeyPem)];
    const options = {
      sp: { entityId: f.spEntityId, acsUrl: f.acsUrl },
      idp: { entityId: f.idpEntityId, signingKeys },
      now: f.now + 1000,
      inResponseTo: f.requestId,
      requireAssertionSignature: true,
      requireResponseSignature: variant === 'rsa-response-and-assertion',
      requireEncryption: variant === 'rsa-encrypted',
      decryptionKeys,
    } as const;
    return async (samlResponse) => {
      const result = await validateResponse(samlResponse, options);
      return result.userId;
    };
  },
};
