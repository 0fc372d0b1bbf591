// @samlkit/passport public API. Every export is named; types are exported separately.

export type { MappedSamlOptions, RacComparison, SamlStrategyOptions } from './options.js';
export { mapSamlOptions, UNSUPPORTED_OPTIONS } from './options.js';
export type { PassportSamlProfile } from './profile.js';
export {
  MAIL_OID,
  PROFILE_FIELDS,
  sessionToPassportProfile,
  toPassportProfile,
} from './profile.js';
export type {
  LogoutCallback,
  MultiSamlStrategyOptions,
  SamlAuthenticateOptions,
  SamlAuthInfo,
  SamlOptionsCallback,
  VerifiedCallback,
  VerifyFunction,
  VerifyWithoutRequest,
  VerifyWithRequest,
} from './strategy.js';
export { MultiSamlStrategy, SamlStrategy, SamlStrategyBase } from './strategy.js';
