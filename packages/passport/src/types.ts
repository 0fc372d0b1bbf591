// The strategy's public callback and option types, and the internal shapes its classes share.
import type { LoginOptions, ServiceProvider } from '@samlkit/core';
import type { Request as ExpressRequest } from 'express';
import type { RacComparison } from './options.js';
import type { PassportSamlProfile } from './profile.js';

/**
 * The callback `verify` and `logoutVerify` call, as in passport-saml: `done(err)` fails with an
 * error, `done(null, false, info)` refuses, `done(null, user, info)` accepts.
 */
export type VerifiedCallback = (err: Error | null, user?: unknown, info?: unknown) => void;

/** `verify(profile, done)`. */
export type VerifyWithoutRequest = (profile: PassportSamlProfile, done: VerifiedCallback) => void;
/** `verify(req, profile, done)`, with `passReqToCallback: true`. */
export type VerifyWithRequest = (
  req: ExpressRequest,
  profile: PassportSamlProfile,
  done: VerifiedCallback,
) => void;
/** Either shape of the verify (and logoutVerify) callback. */
export type VerifyFunction = VerifyWithoutRequest | VerifyWithRequest;

/**
 * Options of `passport.authenticate('saml', options)` that this strategy reads, besides Passport's
 * own (`successRedirect`, `failureRedirect`, …). They override the strategy's login defaults for
 * one login, which is how a route asks for a step-up.
 */
export interface SamlAuthenticateOptions {
  /** Ask the IdP to authenticate again (step-up). A signed-in user's samlkit session is kept and upgraded. */
  readonly forceAuthn?: boolean;
  /** Ask for no user interaction. */
  readonly passive?: boolean;
  /** AuthnContextClassRefs to request and then require in the Response. */
  readonly authnContext?: readonly string[];
  /** The Comparison of `authnContext`. Default `exact`. */
  readonly racComparison?: RacComparison;
  /**
   * Same-origin path to return to after login (given to `success` as `info.returnTo`). Default:
   * the request's `returnTo` or `RelayState` query parameter; unsafe values are dropped.
   */
  readonly returnTo?: string;
  /** When the request carries no SAML message: start a login (default) or an SP-initiated logout. */
  readonly samlFallback?: 'login-request' | 'logout-request';
}

/** What `success(user, info)` passes on as `req.authInfo` after a login. */
export interface SamlAuthInfo {
  /** The same-origin path to send the browser to now (the `returnTo` of the login, else `/`). */
  readonly returnTo: string;
  /** Whether a step-up re-authentication upgraded the session rather than creating one. */
  readonly steppedUp: boolean;
  /** The `info` the verify callback passed, if any. */
  readonly verifyInfo?: unknown;
}

/** The callback of {@link SamlStrategy.logout}: the IdP URL to send the browser to. */
export type LogoutCallback = (err: Error | null, url?: string) => void;

/** One samlkit service provider with the strategy's login defaults. @internal */
export interface Engine {
  readonly provider: ServiceProvider;
  readonly login: LoginOptions;
  readonly cookieName: string;
}

/** What the strategy knows about a request while core handles it (keyed by the web Request). */
export interface InFlight {
  readonly req: ExpressRequest;
  user?: unknown;
  info?: unknown;
  refused?: { readonly info: unknown };
}

export type Callbacks = {
  readonly verify: VerifyFunction;
  readonly logoutVerify: VerifyFunction | undefined;
  readonly passReqToCallback: boolean;
};
