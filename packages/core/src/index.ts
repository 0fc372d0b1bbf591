// @samlkit/core public API. Every export is named; types are exported separately.

export type { CreateArtifactOptions, ParsedArtifact } from './bindings/artifact.js';
export { createArtifact, parseArtifact } from './bindings/artifact.js';
export type {
  IncomingBinding,
  IncomingSamlMessage,
  MessageSignatureInfo,
} from './bindings/incoming.js';
export type { OutgoingMessage, OutgoingMessageOptions } from './bindings/outgoing.js';
export { encodeOutgoingMessage } from './bindings/outgoing.js';
export type {
  DecodePostOptions,
  PostFormMessage,
  RenderPostFormOptions,
} from './bindings/post.js';
export {
  decodePost,
  decodePostBinding,
  POST_FORM_SCRIPT,
  POST_FORM_SCRIPT_HASH,
  renderPostForm,
} from './bindings/post.js';
export type {
  DecodedRedirect,
  DecodeRedirectOptions,
  EncodeRedirectOptions,
  SamlMessageType,
  VerifyRedirectOptions,
} from './bindings/redirect.js';
export {
  decodeRedirect,
  encodeRedirect,
  verifyRedirectSignature,
} from './bindings/redirect.js';
export type {
  DecodedSimpleSign,
  EncodeSimpleSignOptions,
  VerifySimpleSignOptions,
} from './bindings/simple-sign.js';
export {
  decodeSimpleSign,
  encodeSimpleSign,
  verifySimpleSignSignature,
} from './bindings/simple-sign.js';
export type {
  ParsedSoapEnvelope,
  PostSoapOptions,
  SoapFaultCode,
  SoapFaultOptions,
} from './bindings/soap.js';
export {
  createSoapEnvelope,
  createSoapFault,
  parseSoapEnvelope,
  postSoapMessage,
  SOAP_CONTENT_TYPE,
} from './bindings/soap.js';
export type {
  BindingName,
  Endpoint,
  IdentityProviderConfig,
  IdpScope,
  ServiceProviderConfig,
  SpKeyPair,
  TrustedIdp,
} from './config.js';
export {
  BINDINGS,
  defineIdentityProvider,
  defineServiceProvider,
} from './config.js';
export type { SignatureAlgorithmName } from './crypto/algorithms.js';
export type {
  GeneratedCertificate,
  GeneratedKeyAlgorithm,
  SelfSignedCertificateOptions,
} from './crypto/certificate.js';
export { createSelfSignedCertificate } from './crypto/certificate.js';
export type {
  CertificateInfo,
  NamedCurve,
  PemBlock,
  PrivateKey,
  PublicKey,
} from './crypto/keys.js';
export {
  fingerprint,
  loadPrivateKey,
  loadPublicKey,
  loadPublicKeys,
  parsePem,
} from './crypto/keys.js';
export type { CryptoProvider } from './crypto/provider.js';
export type {
  DataEncryptionAlgorithmName,
  KeyTransportAlgorithmName,
} from './encryption/algorithms.js';
export type { SamlErrorCode, SamlErrorDetails, SamlErrorOptions } from './errors.js';
export { isSamlError, SAML_ERROR_CODES, SamlError } from './errors.js';
export type {
  AuthnStatementInfo,
  ConditionsInfo,
  NameId,
  SamlAttribute,
  SubjectConfirmationInfo,
} from './lib/assertion.js';
export type { DecryptionKey } from './lib/decryption-keys.js';
export { generateId } from './lib/id.js';
export type { XmlLimits } from './lib/xml.js';
export { DEFAULT_XML_LIMITS } from './lib/xml.js';
export type { ArtifactResolve, ArtifactResolveOptions } from './messages/artifact-resolve.js';
export { createArtifactResolve, parseArtifactResolve } from './messages/artifact-resolve.js';
export type {
  AssertionConsumerServiceChoice,
  AuthnContextComparison,
  AuthnRequest,
  AuthnRequestFields,
  AuthnRequestOptions,
  CreatedAuthnRequest,
  IdpEntry,
  IdpList,
  NameIdPolicy,
  RequestedAuthnContext,
  Scoping,
} from './messages/authn-request.js';
export { createAuthnRequest } from './messages/authn-request.js';
export { parseAuthnRequest } from './messages/authn-request-parse.js';
export type {
  LogoutIdpResolver,
  LogoutValidationIdp,
  LogoutValidationOptions,
  LogoutValidationSp,
} from './messages/logout-common.js';
export type {
  CreatedLogoutRequest,
  EncryptNameIdOptions,
  LogoutRequest,
  LogoutRequestOptions,
} from './messages/logout-request.js';
export {
  createLogoutRequest,
  LOGOUT_REASONS,
  parseLogoutRequest,
} from './messages/logout-request.js';
export type {
  ValidatedLogoutRequest,
  ValidateLogoutRequestOptions,
} from './messages/logout-request-validation.js';
export { validateLogoutRequest } from './messages/logout-request-validation.js';
export type {
  CreatedLogoutResponse,
  LogoutResponse,
  LogoutResponseEndpoint,
  LogoutResponseOptions,
  LogoutStatusInfo,
  LogoutStatusOptions,
  TopLevelStatus,
} from './messages/logout-response.js';
export {
  chooseLogoutResponseEndpoint,
  createLogoutResponse,
  logoutStatusForError,
  parseLogoutResponse,
} from './messages/logout-response.js';
export { takePendingLogout } from './messages/logout-response-pending.js';
export type {
  ValidatedLogoutResponse,
  ValidateLogoutResponseOptions,
} from './messages/logout-response-validation.js';
export { validateLogoutResponse } from './messages/logout-response-validation.js';
export { validateResponse } from './messages/response.js';
export type {
  ResponseSignatureInfo,
  ResponseValidationIdp,
  ResponseValidationSp,
  ValidatedResponse,
  ValidateResponseOptions,
} from './messages/response-types.js';
export type {
  AggregateEntitySummary,
  AggregateTrust,
  FederationAggregate,
  LoadAggregateOptions,
} from './metadata/aggregate.js';
export { HIDE_FROM_DISCOVERY, loadAggregate } from './metadata/aggregate.js';
export type {
  DiscoveryInfo,
  DiscoveryLogo,
  DiscoveryScope,
  DiscoveryText,
} from './metadata/aggregate-discovery.js';
export type {
  AggregateEntitiesOptions,
  AggregateEvent,
  AggregateRefreshReason,
  AggregateSource,
  AggregateSourceOptions,
  AggregateSourceStatus,
} from './metadata/aggregate-source.js';
export { createAggregateSource } from './metadata/aggregate-source.js';
export type { DiscoveryRedirectOptions } from './metadata/discovery.js';
export { createDiscoveryRedirect, parseDiscoveryResponse } from './metadata/discovery.js';
export type { DiscoFeedEntry, DiscoveryIdp } from './metadata/discovery-feed.js';
export {
  acceptedLanguages,
  discoveryIdpsOf,
  searchDiscoveryIdps,
  toDiscoFeed,
} from './metadata/discovery-feed.js';
export type { ExpiryWarning, FindExpiryWarningsInput } from './metadata/expiry.js';
export { findExpiryWarnings } from './metadata/expiry.js';
export type {
  FetchMetadataDocumentOptions,
  FetchMetadataOptions,
  MetadataDownload,
  MetadataValidators,
} from './metadata/fetch.js';
export { fetchMetadataDocument, fetchMetadataXml } from './metadata/fetch.js';
export type { IdpMetadata, ParseIdpMetadataOptions } from './metadata/idp.js';
export { parseIdpMetadata } from './metadata/idp.js';
export type { MdqEvent, MdqLookupPurpose, MdqSource, MdqSourceOptions } from './metadata/mdq.js';
export { createMdqSource } from './metadata/mdq.js';
export type { MdqNewEntityBudget } from './metadata/mdq-budget.js';
export { DEFAULT_MDQ_NEW_ENTITY_BUDGET } from './metadata/mdq-budget.js';
export type { Sleep } from './metadata/refresher.js';
export { DEFAULT_REFRESH_RATE_LIMIT_MS, DEFAULT_ROLLOVER_WAIT_MS } from './metadata/refresher.js';
export type { IdpHint, IdpRegistry, IdpRegistryEntry, ResolvedIdp } from './metadata/registry.js';
export { createIdpRegistry } from './metadata/registry.js';
export type {
  MetadataEvent,
  MetadataRefreshBounds,
  MetadataRefreshReason,
  MetadataSource,
  MetadataSourceOptions,
  MetadataSourceStatus,
} from './metadata/source.js';
export { createMetadataSource } from './metadata/source.js';
export type { SpContactPerson, SpMetadataOptions, SpOrganization } from './metadata/sp.js';
export { createSpMetadata, DEFAULT_SP_ENCRYPTION_METHODS } from './metadata/sp.js';
export type {
  LocalizedText,
  SpEntityAttributes,
  SpLogo,
  SpRequestedAttribute,
  SpUiInfo,
} from './metadata/sp-federation.js';
export {
  ASSURANCE_CERTIFICATION_ATTRIBUTE,
  ATTRNAME_FORMAT_URI,
  ENTITY_CATEGORY_ATTRIBUTE,
  REFEDS_SECURITY_CONTACT,
  RESEARCH_AND_SCHOLARSHIP,
  SIRTFI,
} from './metadata/sp-federation.js';
export type {
  ResolveArtifactOptions,
  ResolvedArtifact,
} from './protocol/artifact-resolution.js';
export { resolveArtifact } from './protocol/artifact-resolution.js';
export type { SignOptions } from './signature/sign.js';
export { signXml } from './signature/sign.js';
export { PASSIVE_MARKER } from './sp/acs-passive.js';
export {
  GOOGLE_ATTRIBUTE_MAP,
  MICROSOFT_ATTRIBUTE_MAP,
  OID_ATTRIBUTE_MAP,
  OKTA_ATTRIBUTE_MAP,
  STANDARD_ATTRIBUTE_MAP,
} from './sp/attribute-maps.js';
export type { AuthnRequestSettings } from './sp/authn-request-options.js';
export type { DiscoFeedCors } from './sp/discofeed.js';
export type { DiscoveryOptions } from './sp/discovery.js';
export { attachRequestBody } from './sp/http.js';
export { PAIRWISE_ID_ATTRIBUTE, SUBJECT_ID_ATTRIBUTE } from './sp/identity.js';
export type { IdpPolicy } from './sp/idp-policy.js';
export type {
  IdpDefinition,
  IdpInvalidation,
  IdpLookup,
  IdpResolver,
  IdpResolverOptions,
} from './sp/idp-resolver.js';
export { createIdpResolver } from './sp/idp-resolver.js';
export type {
  DroppedScopedValue,
  ScopedAttributeOptions,
  ScopedAttributesResult,
} from './sp/scoped-attributes.js';
export {
  DEFAULT_SCOPED_ATTRIBUTES,
  EDU_PERSON_PRINCIPAL_NAME,
  EDU_PERSON_SCOPED_AFFILIATION,
  EDU_PERSON_UNIQUE_ID,
  filterScopedAttributes,
} from './sp/scoped-attributes.js';
export { createServiceProvider } from './sp/service-provider.js';
export { tenantStore } from './sp/tenant-store.js';
export type {
  TenantConfig,
  TenantOverrides,
  TenantServiceProviders,
  TenantServiceProvidersOptions,
} from './sp/tenants.js';
export { createTenantServiceProviders } from './sp/tenants.js';
export type {
  AcsFinishStep,
  AcsResult,
  AuthnContextLevels,
  ErrorPageContext,
  HookContext,
  LoginDecision,
  LoginOptions,
  LogoutOptions,
  LogoutPages,
  LogoutReason,
  RequireSessionOptions,
  RequireSessionResult,
  SamlLogEvent,
  SamlProfile,
  SamlRoute,
  ServiceProvider,
  ServiceProviderLogger,
  ServiceProviderOptions,
  ServiceProviderPaths,
  SessionCookieOptions,
  SessionIdStorage,
  SessionOption,
} from './sp/types.js';
export type {
  MemoryStoreEntryKind,
  MemoryStoreEvictionEvent,
  MemoryStoreOptions,
} from './store/memory.js';
export { MemoryStore } from './store/memory.js';
export { createSessionId } from './store/session-id.js';
export type { PutBackOptions } from './store/take-matching.js';
export { matchesPendingRequest } from './store/take-matching.js';
export type {
  EndSessionsResult,
  PendingRequest,
  PendingRequestKind,
  PendingRequestMatch,
  ReplayCache,
  RequestedAuthnContextRecord,
  SamlStore,
  SessionQuery,
  SessionRecord,
} from './store/types.js';
