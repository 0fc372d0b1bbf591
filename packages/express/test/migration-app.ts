// The application of docs/migrating-from-node-saml.md without Passport. The guide's code blocks
// are the regions of this file (test/repo/doc-includes.test.ts keeps them equal), and
// migration-app.test.ts runs it through login and logout against the test IdP.
// #region imports
import {
  defineIdentityProvider,
  defineServiceProvider,
  loadPrivateKey,
  loadPublicKey,
  type SamlProfile,
  type SamlStore,
} from '@samlkit/core';
import { createSamlExpress } from '@samlkit/express';
import express from 'express';
// #endregion

/** The values passport-saml was configured with, and the application's user lookup. */
export interface MigrationAppConfig {
  readonly baseUrl: string;
  readonly idpSsoUrl: string;
  readonly idpSloUrl: string;
  readonly idpEntityId: string;
  readonly idpCertPem: string;
  readonly spKeyPem: string;
  readonly spCertPem: string;
  readonly store: SamlStore;
  readonly findUser: (profile: SamlProfile) => { readonly id: string } | undefined;
}

export function createMigrationApp(config: MigrationAppConfig): express.Express {
  const { findUser } = config;
  // #region saml
  const saml = createSamlExpress({
    sp: defineServiceProvider({
      entityId: `${config.baseUrl}/metadata`, // passport-saml's issuer
      assertionConsumerServices: [
        { binding: 'post', location: `${config.baseUrl}/login/callback` }, // callbackUrl
      ],
      singleLogoutServices: [
        { binding: 'redirect', location: `${config.baseUrl}/logout/callback` }, // logoutCallbackUrl
      ],
      signingKeys: [{ privateKey: loadPrivateKey(config.spKeyPem), certificate: config.spCertPem }],
    }),
    idps: defineIdentityProvider({
      entityId: config.idpEntityId, // idpIssuer
      singleSignOnServices: [{ binding: 'redirect', location: config.idpSsoUrl }], // entryPoint
      singleLogoutServices: [{ binding: 'redirect', location: config.idpSloUrl }], // logoutUrl
      signingKeys: [loadPublicKey(config.idpCertPem)], // idpCert
    }),
    baseUrl: config.baseUrl,
    // The paths the IdP and the application already use.
    paths: { login: '/login', acs: '/login/callback', logout: '/logout', slo: '/logout/callback' },
    store: config.store,
    // verify(profile, done) becomes onLogin: refuse, or keep application data with the session.
    onLogin: (profile) => {
      const user = findUser(profile);
      return user ? { data: { user } } : { refuse: 'This account has no access.' };
    },
  });
  // #endregion

  // #region routes
  const app = express();
  // GET /login?returnTo=/account, the ACS, GET /logout, the SLO endpoint, /saml/metadata.
  app.use(saml.routes);
  // req.user becomes req.samlSession; passport.authenticate becomes requireSession().
  app.get('/account', saml.requireSession(), (req, res) => {
    res.json(req.samlSession!.data?.user);
  });
  // Step-up: a fresh authentication no older than 5 minutes for this route.
  app.get('/transfer', saml.requireSession({ maxAuthnAgeMs: 5 * 60_000 }), (_req, res) => {
    res.type('text/plain').send('ok');
  });
  // #endregion
  return app;
}
