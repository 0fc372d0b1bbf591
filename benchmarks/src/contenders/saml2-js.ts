import saml2 from 'saml2-js';
import { type Contender, expectEqual } from '../contender.js';
import { idpCertFor } from '../fixtures.js';
import { packageVersion } from '../versions.js';

interface Saml2Response {
  response_header: { in_response_to?: string; destination?: string };
  user: { name_id: string };
}

export const saml2js: Contender = {
  name: 'saml2-js',
  version: packageVersion('saml2-js'),
  checks:
    'signature with the pinned certificate; Status; Conditions time window; AudienceRestriction; SessionIndex required; decryption (unencrypted assertions refused for the encrypted variant). InResponseTo and Destination are not checked by saml2-js; the harness compares them with the returned header. Does not check Issuer or Recipient. Reads the real clock.',
  async prepare(f, variant) {
    const encrypted = variant === 'rsa-encrypted';
    const sp = new saml2.ServiceProvider({
      entity_id: f.spEntityId,
      private_key: f.spPrivateKeyPem,
      certificate: f.spCertPem,
      assert_endpoint: f.acsUrl,
      allow_unencrypted_assertion: !encrypted,
      audience: f.spEntityId,
      notbefore_skew: 0,
    });
    const idp = new saml2.IdentityProvider({
      sso_login_url: 'https://idp.bench.example/sso',
      sso_logout_url: 'https://idp.bench.example/slo',
      certificates: [idpCertFor(f, variant)],
    });
    return (samlResponse) =>
      new Promise((resolve, reject) => {
        sp.post_assert(
          idp,
          {
            request_body: { SAMLResponse: samlResponse },
            allow_unencrypted_assertion: !encrypted,
            require_session_index: true,
          },
          (err: Error | null, response: Saml2Response) => {
            if (err) return reject(err);
            try {
              expectEqual('InResponseTo', response.response_header.in_response_to, f.requestId);
              expectEqual('Destination', response.response_header.destination, f.acsUrl);
              resolve(response.user.name_id);
            } catch (e) {
              reject(e);
            }
          },
        );
      });
  },
};
