// @samlkit/fastify public API. Every export is named; types are exported separately.

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
export type { SamlFastify, SamlFastifyOptions } from './plugin.js';
export { samlkit } from './plugin.js';
