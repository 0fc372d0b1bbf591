// @samlkit/express public API. Every export is named; types are exported separately.

export type {
  AcsResult,
  LoginOptions,
  LogoutOptions,
  RequireSessionOptions,
  SamlProfile,
  ServiceProvider,
  ServiceProviderOptions,
  SessionIdStorage,
  SessionOption,
  SessionRecord,
} from '@samlkit/core';
export type {
  ClosableStore,
  CloseGracefullyOptions,
  CloseGracefullyResult,
} from '@samlkit/node-bridge';
export { closeGracefully } from '@samlkit/node-bridge';
export type {
  ExpressSessionBridge,
  SamlExpress,
  SamlExpressOptions,
} from './saml-express.js';
export { createSamlExpress } from './saml-express.js';
