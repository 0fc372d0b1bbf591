// The Passport application of docs/migrating-from-node-saml.md. The guide's code blocks are the
// regions of this file (guide.test.ts keeps them equal), and passport.test.ts runs this very app
// through login, step-up and logout against the test IdP.
// #region imports
import type { SamlStore } from '@samlkit/core';
import { type PassportSamlProfile, SamlStrategy } from '@samlkit/passport';
import express from 'express';
import session from 'express-session';
import { Passport } from 'passport';
// #endregion

/** What the application knows: the values passport-saml was configured with, and a user lookup. */
export interface AppConfig {
  /** The application's public URL, e.g. https://app.example.com. */
  readonly baseUrl: string;
  readonly idpSsoUrl: string;
  readonly idpSloUrl: string;
  readonly idpEntityId: string;
  readonly idpCertPem: string;
  readonly spKeyPem: string;
  readonly spCertPem: string;
  readonly sessionSecret: string;
  /** MemoryStore in one process; RedisStore from @samlkit/redis when several nodes serve the app. */
  readonly store: SamlStore;
  /** The application's own user lookup (undefined: not allowed in). */
  readonly findUser: (profile: PassportSamlProfile) => AppUser | undefined;
}

/** The user object the application keeps in its session. */
export interface AppUser {
  readonly id: string;
  readonly email?: string;
}

export const MFA = 'urn:oasis:names:tc:SAML:2.0:ac:classes:MultiFactor';

declare global {
  namespace Express {
    interface User extends AppUser {}
  }
}

export function createApp(config: AppConfig): { app: express.Express; strategy: SamlStrategy } {
  const { findUser } = config;
  // #region strategy
  const passport = new Passport();
  const strategy = new SamlStrategy(
    {
      // The URLs and keys the IdP already knows: nothing changes at the IdP.
      callbackUrl: `${config.baseUrl}/login/callback`,
      logoutCallbackUrl: `${config.baseUrl}/logout/callback`,
      issuer: `${config.baseUrl}/metadata`,
      entryPoint: config.idpSsoUrl,
      logoutUrl: config.idpSloUrl,
      idpIssuer: config.idpEntityId,
      idpCert: config.idpCertPem,
      privateKey: config.spKeyPem,
      publicCert: config.spCertPem,
      // samlkit's: where login, logout and session state lives (shared by every node).
      store: config.store,
    },
    // verify: as with passport-saml.
    (profile, done) => {
      const user = findUser(profile);
      if (!user) return done(null, false, { message: 'This account has no access.' });
      return done(null, user);
    },
    // logoutVerify: told of every session an IdP-initiated logout ended.
    (profile, done) => done(null, findUser(profile)),
  );
  passport.use(strategy);
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: Express.User, done) => done(null, user));
  // #endregion

  // #region middleware
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use(
    session({
      secret: config.sessionSecret,
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax', secure: config.baseUrl.startsWith('https:') },
    }),
  );
  app.use(passport.initialize());
  app.use(passport.session());
  // Ends the Passport login when samlkit's session ended (IdP-initiated logout, on any node).
  app.use(strategy.checkSession());
  // #endregion

  // #region routes
  // Login: GET /login?returnTo=/account sends the browser to the IdP.
  app.get('/login', passport.authenticate('saml', { failureRedirect: '/login/failed' }));
  // Step-up: a fresh, multi-factor authentication; the session is kept and upgraded.
  app.get('/login/mfa', passport.authenticate('saml', { forceAuthn: true, authnContext: [MFA] }));
  // The ACS: the IdP POSTs here, and samlkit finishes the login here with a same-site GET.
  const callback = passport.authenticate('saml', { failureRedirect: '/login/failed' });
  const landing = (req: express.Request, res: express.Response) => {
    res.redirect(303, (req.authInfo as { returnTo?: string } | undefined)?.returnTo ?? '/');
  };
  app.post('/login/callback', callback, landing);
  app.get('/login/callback', callback, landing);
  // Single Logout endpoint: IdP-initiated LogoutRequests and the IdP's LogoutResponses.
  app.get('/logout/callback', passport.authenticate('saml'));
  app.post('/logout/callback', passport.authenticate('saml'));
  // SP-initiated logout: as with passport-saml. POST too: samlkit asks a request that another
  // site may have made to confirm with a same-origin POST.
  const logout: express.RequestHandler = (req, res, next) => {
    strategy.logout(req, (err, url) => {
      if (err) return next(err);
      req.logout((error) => (error ? next(error) : res.redirect(url ?? '/')));
    });
  };
  app.get('/logout', logout);
  app.post('/logout', logout);
  // What used to read req.user still does.
  app.get('/account', (req, res) => {
    if (!req.isAuthenticated()) return res.redirect('/login?returnTo=/account');
    res.json(req.user);
  });
  // #endregion
  app.get('/login/failed', (_req, res) => {
    res.status(403).type('text/plain').send('login failed');
  });
  return { app, strategy };
}
