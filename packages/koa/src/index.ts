// @samlkit/koa public API. Every export is named; types are exported separately.

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
export type { SamlKoa, SamlKoaOptions, SamlState } from './saml-koa.js';
export { createSamlKoa } from './saml-koa.js';
