// @samlkit/testkit public API. Every export is named; types are exported separately.

export type {
  AdapterApp,
  AdapterConformanceCase,
  AdapterConformanceOptions,
  AdapterHarness,
  AdapterHarnessOptions,
  HeaderCarrier,
} from './adapter-conformance.js';
export {
  adapterConformanceCases,
  CONFORMANCE_SP_BASE,
  runAdapterConformance,
} from './adapter-conformance.js';
export { tenantConformanceCases } from './adapter-conformance-tenants.js';
export type {
  AggregateEntity,
  AggregateTestIdp,
  BuildAggregateOptions,
  BuiltAggregate,
} from './aggregate.js';
export { AGGREGATE_AUTHORITIES, AGGREGATE_CATEGORIES, buildAggregate } from './aggregate.js';
export type { XswVariant } from './attacks.js';
export { editXml, setNameId, XSW_VARIANTS, xswWrap } from './attacks.js';
export { CookieJar } from './cookie-jar.js';
export type { EncryptionCombination } from './encrypt.js';
export { ENCRYPTION_COMBINATIONS, encryptAssertionTo, encryptInXml } from './encrypt.js';
export type { TestDelivery, TestIdp, TestIdpOptions, TestLoginAnswer } from './idp.js';
export { createTestIdp } from './idp.js';
export type {
  IdpServer,
  IdpServerOptions,
  IdpServerServiceProvider,
  IdpServerUser,
} from './idp-server/types.js';
export { IDP_SERVER_USERS } from './idp-server/types.js';
export { startIdpServer } from './idp-server.js';
export type { GenerateTestKeysOptions, TestKeyAlgorithm, TestKeys } from './keys.js';
export { generateTestKeys } from './keys.js';
export type {
  BuildLogoutRequestOptions,
  BuildLogoutResponseOptions,
  TestHttpRequest,
  TestLogoutBinding,
  TestLogoutDelivery,
} from './logout.js';
export { buildLogoutRequest, buildLogoutResponse } from './logout.js';
export type {
  BuildResponseOptions,
  SignTarget,
  TestAttribute,
  TestNameId,
  TestSigningKey,
} from './response.js';
export {
  buildAssertion,
  buildResponse,
  CM_BEARER,
  STATUS_SUCCESS,
  toPostBinding,
} from './response.js';
export { STORE_RACE_CALLERS } from './store-conformance/support.js';
export type {
  StoreConformanceCase,
  StoreConformanceHarness,
  StoreConformanceOptions,
} from './store-conformance/types.js';
export { runStoreConformance, storeConformanceCases } from './store-conformance.js';
