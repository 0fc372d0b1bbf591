// The passport-saml options samlkit refuses, each with what to use instead.

/** passport-saml options samlkit does not offer, and what to do instead. */
export const UNSUPPORTED_OPTIONS: Readonly<Record<string, string>> = Object.freeze({
  cacheProvider:
    'give `store` (a SamlStore: MemoryStore, or RedisStore from @samlkit/redis); it also holds sessions, the replay cache and the logout index',
  path: 'give `callbackUrl`, the full ACS URL',
  host: 'give `callbackUrl`, the full ACS URL',
  protocol: 'give `callbackUrl`, the full ACS URL',
  skipRequestCompression: 'the Redirect binding requires DEFLATE (SAML bindings §3.4.4.1)',
  additionalParams: 'not offered; put the value in `entryPoint`’s query string',
  additionalAuthorizeParams: 'not offered; put the value in `entryPoint`’s query string',
  additionalLogoutParams: 'not offered; put the value in `logoutUrl`’s query string',
  disableRequestAcsUrl: 'not offered: AuthnRequests always name the ACS',
  xmlSignatureTransforms: 'not offered: samlkit signs with exclusive c14n',
  digestAlgorithm: 'follows `signatureAlgorithm`',
  generateUniqueId: 'not offered: request IDs come from crypto.getRandomValues',
  samlLogoutRequestExtensions: 'not offered',
  maxAssertionAgeMs:
    'check `profile.authnInstant` in verify, or use @samlkit/express requireSession({ maxAuthnAgeMs })',
  signMetadata: 'not offered by the strategy (core: createSpMetadata(sp, { sign: true }))',
  metadataContactPerson: 'not offered by the strategy (core: createSpMetadata(sp, { contacts }))',
  metadataOrganization:
    'not offered by the strategy (core: createSpMetadata(sp, { organization }))',
  idpCertCallback:
    'give `idp`: createIdpRegistry with a metadata source follows certificate rollover',
});
