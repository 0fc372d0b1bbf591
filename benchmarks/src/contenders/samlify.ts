import * as samlify from 'samlify';
import { type Contender, expectEqual } from '../contender.js';
import { idpCertFor } from '../fixtures.js';
import { packageVersion } from '../versions.js';

const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

// samlify refuses to run without an XML schema validator. samlkit does no XSD validation either,
// so both are compared without one; the validator below accepts every document.
samlify.setSchemaValidator({ validate: async () => 'skipped' });

export const samlifyContender: Contender = {
  name: 'samlify',
  version: packageVersion('samlify'),
  checks:
    'signature with the pinned certificate (wantAssertionsSigned; wantMessageSigned for the Response-signed variant); Issuer; Conditions time window; SessionNotOnOrAfter; decryption. No XSD schema validation (a pass-through validator is installed). Audience and InResponseTo are not checked by samlify; the harness compares them with the extracted values. Does not check Destination or Recipient. Reads the real clock.',
  async prepare(f, variant) {
    const encrypted = variant === 'rsa-encrypted';
    const idp = samlify.IdentityProvider({
      entityID: f.idpEntityId,
      signingCert: idpCertFor(f, variant),
      singleSignOnService: [{ Binding: REDIRECT, Location: 'https://idp.bench.example/sso' }],
      singleLogoutService: [{ Binding: REDIRECT, Location: 'https://idp.bench.example/slo' }],
      isAssertionEncrypted: encrypted,
    });
    const sp = samlify.ServiceProvider({
      entityID: f.spEntityId,
      assertionConsumerService: [{ Binding: POST, Location: f.acsUrl }],
      wantAssertionsSigned: true,
      wantMessageSigned: variant === 'rsa-response-and-assertion',
      isAssertionEncrypted: encrypted,
      encPrivateKey: f.spPrivateKeyPem,
      encryptCert: f.spCertPem,
    });
    return async (samlResponse) => {
      const { extract } = await sp.parseLoginResponse(idp, 'post', {
        body: { SAMLResponse: samlResponse },
      });
      expectEqual('InResponseTo', extract?.response?.inResponseTo, f.requestId);
      expectEqual('Audience', extract?.audience, f.spEntityId);
      return extract.nameID as string;
    };
  },
};
