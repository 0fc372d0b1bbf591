// @samlkit/passport public API. Every export is named; types are exported separately.

export type {
  PassportSamlIdpEntry,
  PassportSamlIdpList,
  PassportSamlScoping,
} from './lib/authn-request-settings.js';
export type { MultiSamlStrategyOptions, SamlOptionsCallback } from './multi-strategy.js';
export { MultiSamlStrategy } from './multi-strategy.js';
export type { MappedSamlOptions, RacComparison, SamlStrategyOptions } from './options.js';
export { mapSamlOptions } from './options.js';
export type { PassportSamlProfile } from './profile.js';
export {
  MAIL_OID,
  PROFILE_FIELDS,
  sessionToPassportProfile,
  toPassportProfile,
} from './profile.js';
export { SamlStrategy, SamlStrategyBase } from './strategy.js';
export type {
  LogoutCallback,
  SamlAuthenticateOptions,
  SamlAuthInfo,
  VerifiedCallback,
  VerifyFunction,
  VerifyWithoutRequest,
  VerifyWithRequest,
} from './types.js';
export { UNSUPPORTED_OPTIONS } from './unsupported-options.js';
