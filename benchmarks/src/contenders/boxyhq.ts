import saml20Module from '@boxyhq/saml20';
import type { Contender } from '../contender.js';
import { idpCertFor } from '../fixtures.js';
import { packageVersion } from '../versions.js';

// A CommonJS module with `exports.default`: under ESM the default import is the exports object.
const saml20 = ((saml20Module as unknown as { default?: typeof saml20Module }).default ??
  saml20Module) as typeof saml20Module;

export const boxyhq: Contender = {
  name: '@boxyhq/saml20',
  version: packageVersion('@boxyhq/saml20'),
  checks:
    'signature with the pinned certificate; Status; Conditions time window; AudienceRestriction; InResponseTo; decryption. Does not check Issuer, Destination or Recipient (the harness compares the Issuer it returns). Takes XML, so the harness base64-decodes first. Reads the real clock.',
  async prepare(f, variant) {
    const options = {
      publicKey: idpCertFor(f, variant),
      audience: f.spEntityId,
      inResponseTo: f.requestId,
      privateKey: f.spPrivateKeyPem,
    };
    return async (samlResponse) => {
      const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
      const profile = await saml20.validate(xml, options);
      if (profile.issuer !== f.idpEntityId) throw new Error(`unexpected issuer ${profile.issuer}`);
      return (profile.claims as Record<string, string>)[
        'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier'
      ] as string;
    };
  },
};
