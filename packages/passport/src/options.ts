// passport-saml option names → samlkit's service-provider options. Pure: no I/O, no clock.
import type {
  IdentityProviderConfig,
  IdpRegistry,
  LoginOptions,
  SamlStore,
  ServiceProviderLogger,
  ServiceProviderOptions,
  SessionCookieOptions,
  SignatureAlgorithmName,
} from '@samlkit/core';
import { authnRequestSettings, type PassportSamlScoping } from './lib/authn-request-settings.js';
import {
  absoluteUrl,
  configError,
  describe,
  identityProvider,
  keyPair,
  requestedContext,
  SIGNATURE_ALGORITHMS,
} from './lib/option-checks.js';
import { UNSUPPORTED_OPTIONS } from './unsupported-options.js';

/** `racComparison` values (SAML core §3.3.2.2.1). */
export type RacComparison = 'exact' | 'minimum' | 'maximum' | 'better';

/**
 * The options of {@link SamlStrategy}, under the names passport-saml (`@node-saml/passport-saml`)
 * uses, plus a few samlkit ones (`store`, `idp`, `cookie`, `logger`). Options passport-saml has
 * and samlkit does not are refused with a `CONFIG_INVALID` SamlError that says what replaces them
 * (see docs/migrating-from-node-saml.md).
 */
export interface SamlStrategyOptions {
  /** The strategy name for `passport.authenticate(name)`. Default `saml`. */
  readonly name?: string;
  /** Call `verify(req, profile, done)` (and `logoutVerify(req, profile, done)`) with the request. */
  readonly passReqToCallback?: boolean;
  /**
   * The full URL of the Assertion Consumer Service, e.g. `https://app.example.com/login/callback`.
   * The IdP POSTs the Response there, and samlkit finishes the login there with a same-site GET
   * (`?finish=<code>`): route both GET and POST of this path to `passport.authenticate`.
   */
  readonly callbackUrl: string;
  /** The SP entity ID (Issuer of requests, audience of assertions). */
  readonly issuer: string;
  /** The IdP's SSO URL (HTTP-Redirect, or HTTP-POST with `authnRequestBinding: 'HTTP-POST'`). */
  readonly entryPoint?: string;
  /** The IdP's signing certificate(s), PEM (a certificate or a bare public key). */
  readonly idpCert?: string | readonly string[];
  /** The older name of `idpCert`. */
  readonly cert?: string | readonly string[];
  /** The IdP's entity ID: the Issuer its Responses must carry. Required with `entryPoint`. */
  readonly idpIssuer?: string;
  /**
   * samlkit: the IdP as samlkit configures it (`defineIdentityProvider`, or `createIdpRegistry`
   * with a metadata source that follows certificate rollover), instead of `entryPoint`,
   * `idpCert`, `idpIssuer` and `logoutUrl`.
   */
  readonly idp?: IdentityProviderConfig | IdpRegistry;
  /** The IdP's Single Logout URL (HTTP-Redirect). Default: `entryPoint`. */
  readonly logoutUrl?: string;
  /** The full URL of the SP's Single Logout endpoint (route GET and POST of it to `authenticate`). */
  readonly logoutCallbackUrl?: string;
  /** PEM private key that signs AuthnRequests and logout messages (with `publicCert`). */
  readonly privateKey?: string;
  /** PEM certificate of `privateKey`, published in the SP metadata. */
  readonly publicCert?: string;
  /** PEM private key for encrypted assertions (with `publicCert`, or `decryptionCert`). */
  readonly decryptionPvk?: string;
  /** PEM certificate of `decryptionPvk` for the metadata. Default `publicCert`. */
  readonly decryptionCert?: string;
  /** Algorithm of outgoing signatures. `sha1` is refused. Default `sha256`. */
  readonly signatureAlgorithm?: 'sha1' | 'sha256' | 'sha512';
  /** NameIDPolicy Format to ask for; `null` asks for none. */
  readonly identifierFormat?: string | null;
  /** Tolerated clock difference (ms). Default: samlkit's 3 minutes (passport-saml's was 0). */
  readonly acceptedClockSkewMs?: number;
  /** Ask the IdP to authenticate again on every login. */
  readonly forceAuthn?: boolean;
  /** Ask for no user interaction (IsPassive). */
  readonly passive?: boolean;
  /** AuthnContextClassRefs to request (and then require in the Response). Default: none requested. */
  readonly authnContext?: readonly string[];
  /** The RequestedAuthnContext Comparison. Default `exact`. */
  readonly racComparison?: RacComparison;
  /** Send no RequestedAuthnContext (samlkit's default unless `authnContext` is given). */
  readonly disableRequestedAuthnContext?: boolean;
  /**
   * `<samlp:Scoping>` of every AuthnRequest (SAML core §3.4.1.2), in node-saml's shape:
   * `{ idpList: [{ entries: [{ providerId, name?, loc? }], getComplete? }], proxyCount?,
   * requesterId? }`. `idpList` holds exactly one list (the schema allows one `<IDPList>`).
   */
  readonly scoping?: PassportSamlScoping;
  /**
   * `AttributeConsumingServiceIndex` of every AuthnRequest (SAML core §3.4.1): a decimal string
   * (`"1"`) or a number, 0..65535.
   */
  readonly attributeConsumingServiceIndex?: string | number;
  /** `ProviderName` of every AuthnRequest: the SP's name, which some IdPs show at login. */
  readonly providerName?: string;
  /**
   * `<samlp:Extensions>` content of every AuthnRequest, as XML: one or more elements, each in a
   * namespace of its own that it declares (SAML core §3.2.1). node-saml's object form is refused.
   */
  readonly samlAuthnRequestExtensions?: string;
  /**
   * NameIDPolicy `AllowCreate` (SAML core §3.4.1.1). Default true. Needs `identifierFormat`:
   * samlkit sends the NameIDPolicy only with a Format.
   */
  readonly allowCreate?: boolean;
  /** Binding of the AuthnRequest. Default `HTTP-Redirect`. */
  readonly authnRequestBinding?: 'HTTP-Redirect' | 'HTTP-POST';
  /**
   * `always` (default) answers only Responses to requests this SP sent. `ifPresent` and `never`
   * also accept IdP-initiated logins (a security relaxation: login CSRF); an InResponseTo that is
   * present is always checked.
   */
  readonly validateInResponseTo?: 'always' | 'ifPresent' | 'never';
  /** How long a login request may stay unanswered (ms). Default 15 minutes. */
  readonly requestIdExpirationPeriodMs?: number;
  /** Require a signature on the Assertion itself. Default: a signature on the Assertion or on the Response. */
  readonly wantAssertionsSigned?: boolean;
  /** Require a signature on the Response. Default: a signature on the Assertion or on the Response. */
  readonly wantAuthnResponseSigned?: boolean;
  /** Must equal `issuer` when given (samlkit always checks the audience against the entity ID). */
  readonly audience?: string;
  /**
   * samlkit: where login, logout and session state lives. Default: an in-memory store (one
   * process). Use `RedisStore` from `@samlkit/redis` when several nodes serve the application.
   */
  readonly store?: SamlStore;
  /** samlkit: the samlkit session cookie (it names the samlkit session for logout and step-up). */
  readonly cookie?: SessionCookieOptions;
  /** samlkit: operator logger. Default `console.warn` / `console.error`. */
  readonly logger?: ServiceProviderLogger;
}

/** What {@link mapSamlOptions} derives from {@link SamlStrategyOptions}. */
export interface MappedSamlOptions {
  /** The options for `createServiceProvider` (without the hooks the strategy adds). */
  readonly serviceProvider: ServiceProviderOptions;
  /**
   * Login defaults from `forceAuthn`, `passive`, `authnContext` + `racComparison`, and the
   * AuthnRequest options `scoping`, `attributeConsumingServiceIndex`, `providerName`,
   * `samlAuthnRequestExtensions` (as `extensions`) and `allowCreate`.
   */
  readonly login: LoginOptions;
}

const KNOWN: ReadonlySet<string> = new Set([
  'name',
  'passReqToCallback',
  'callbackUrl',
  'issuer',
  'entryPoint',
  'idpCert',
  'cert',
  'idpIssuer',
  'idp',
  'logoutUrl',
  'logoutCallbackUrl',
  'privateKey',
  'publicCert',
  'decryptionPvk',
  'decryptionCert',
  'signatureAlgorithm',
  'identifierFormat',
  'acceptedClockSkewMs',
  'forceAuthn',
  'passive',
  'authnContext',
  'racComparison',
  'disableRequestedAuthnContext',
  'authnRequestBinding',
  'scoping',
  'attributeConsumingServiceIndex',
  'providerName',
  'samlAuthnRequestExtensions',
  'allowCreate',
  'validateInResponseTo',
  'requestIdExpirationPeriodMs',
  'wantAssertionsSigned',
  'wantAuthnResponseSigned',
  'audience',
  'store',
  'cookie',
  'logger',
]);

/**
 * Maps passport-saml options to samlkit's service-provider options and login defaults. Pure: the
 * same options give the same result (keys are parsed, nothing is fetched).
 *
 * - `callbackUrl` gives the ACS endpoint, its path (`paths.acs`) and the base URL (its origin);
 *   `logoutCallbackUrl` gives the SLO endpoint and `paths.slo`.
 * - `entryPoint`, `idpCert`, `idpIssuer`, `logoutUrl` give the IdP (or `idp` does).
 * - `scoping`, `attributeConsumingServiceIndex`, `providerName`, `samlAuthnRequestExtensions`
 *   and `allowCreate` go into every AuthnRequest (login defaults); a value that cannot be sent
 *   exactly as node-saml would is refused.
 * - Every passport-saml option samlkit lacks is refused, naming what replaces it.
 *
 * @param options - the strategy options
 * @returns the service-provider options and the login defaults
 * @throws SamlError `CONFIG_INVALID` for a missing, malformed or unsupported option
 */
export function mapSamlOptions(options: SamlStrategyOptions): MappedSamlOptions {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('SamlStrategy: options must be an object');
  }
  for (const key of Object.keys(options)) {
    if ((options as unknown as Record<string, unknown>)[key] === undefined) continue;
    const reason = UNSUPPORTED_OPTIONS[key];
    if (reason !== undefined) {
      throw configError(key, 'an option samlkit offers', `${key} (a passport-saml option)`, reason);
    }
    if (!KNOWN.has(key)) {
      throw configError(
        key,
        `one of ${[...KNOWN].join(', ')}`,
        key,
        'check the spelling; see docs/migrating-from-node-saml.md',
      );
    }
  }
  const o = options;
  const acs = absoluteUrl('callbackUrl', o.callbackUrl);
  if (typeof o.issuer !== 'string' || o.issuer === '') {
    throw configError(
      'issuer',
      "the SP's entity ID",
      describe(o.issuer),
      'keep the value the IdP knows',
    );
  }
  if (o.audience !== undefined && o.audience !== o.issuer) {
    throw configError(
      'audience',
      'the SP entity ID (`issuer`): samlkit checks AudienceRestriction against it (SAML core §2.5.1.4)',
      describe(o.audience),
      'drop audience',
    );
  }
  const slo =
    o.logoutCallbackUrl === undefined
      ? undefined
      : absoluteUrl('logoutCallbackUrl', o.logoutCallbackUrl);
  if (slo && slo.origin !== acs.origin) {
    throw configError(
      'logoutCallbackUrl',
      `a URL on the origin of callbackUrl (${acs.origin})`,
      slo.origin,
      'serve both endpoints from the one application',
    );
  }
  if (slo && slo.pathname === acs.pathname) {
    throw configError(
      'logoutCallbackUrl',
      'a path other than the callbackUrl path (samlkit serves the ACS and SLO as two endpoints)',
      slo.pathname,
      'e.g. /logout/callback',
    );
  }
  let signatureAlgorithm: SignatureAlgorithmName | undefined;
  if (o.signatureAlgorithm !== undefined) {
    signatureAlgorithm = SIGNATURE_ALGORITHMS[o.signatureAlgorithm];
    if (signatureAlgorithm === undefined) {
      throw configError(
        'signatureAlgorithm',
        'sha256 or sha512',
        describe(o.signatureAlgorithm),
        'SHA-1 signatures are refused (practical collisions); use sha256',
      );
    }
  }
  if (
    o.acceptedClockSkewMs !== undefined &&
    (!Number.isSafeInteger(o.acceptedClockSkewMs) || o.acceptedClockSkewMs < 0)
  ) {
    throw configError(
      'acceptedClockSkewMs',
      'a non-negative number of milliseconds',
      describe(o.acceptedClockSkewMs),
      o.acceptedClockSkewMs === -1
        ? 'time conditions are always checked in samlkit; drop the option'
        : 'e.g. 180000 (3 minutes)',
    );
  }
  const inResponseTo = o.validateInResponseTo ?? 'always';
  if (!['always', 'ifPresent', 'never'].includes(inResponseTo)) {
    throw configError(
      'validateInResponseTo',
      'always, ifPresent or never',
      describe(inResponseTo),
      'drop it for always',
    );
  }
  if (
    o.authnRequestBinding !== undefined &&
    !['HTTP-Redirect', 'HTTP-POST'].includes(o.authnRequestBinding)
  ) {
    throw configError(
      'authnRequestBinding',
      'HTTP-Redirect or HTTP-POST',
      describe(o.authnRequestBinding),
      'drop it for HTTP-Redirect',
    );
  }

  const signing =
    o.privateKey === undefined
      ? undefined
      : keyPair('privateKey', o.privateKey, o.publicCert, 'publicCert');
  const decryption =
    o.decryptionPvk === undefined
      ? undefined
      : keyPair(
          'decryptionPvk',
          o.decryptionPvk,
          o.decryptionCert ?? o.publicCert,
          'decryptionCert',
        );
  const nameIdFormats =
    o.identifierFormat === undefined || o.identifierFormat === null
      ? undefined
      : [o.identifierFormat];
  const requested = requestedContext(o);
  const requestSettings = authnRequestSettings(o);

  const serviceProvider: ServiceProviderOptions = {
    sp: {
      entityId: o.issuer,
      assertionConsumerServices: [{ binding: 'post', location: acs.href }],
      ...(slo && { singleLogoutServices: [{ binding: 'redirect', location: slo.href }] }),
      ...(signing && { signingKeys: [signing] }),
      ...(decryption && { decryptionKeys: [decryption] }),
      ...(signatureAlgorithm !== undefined && { signatureAlgorithm }),
      ...(nameIdFormats !== undefined && { nameIdFormats }),
    },
    idps: identityProvider(o),
    baseUrl: acs.origin,
    paths: { acs: acs.pathname, ...(slo && { slo: slo.pathname }) },
    ...(o.store !== undefined && { store: o.store }),
    ...(o.cookie !== undefined && { cookie: o.cookie }),
    ...(o.logger !== undefined && { logger: o.logger }),
    ...(o.acceptedClockSkewMs !== undefined && { clockSkewMs: o.acceptedClockSkewMs }),
    ...(o.requestIdExpirationPeriodMs !== undefined && {
      requestTtlMs: o.requestIdExpirationPeriodMs,
    }),
    ...(inResponseTo !== 'always' && { allowUnsolicited: true }),
    ...(o.authnRequestBinding === 'HTTP-POST' && { authnRequestBinding: 'post' as const }),
    ...(o.wantAssertionsSigned === true && { requireAssertionSignature: true }),
    ...(o.wantAuthnResponseSigned === true && { requireResponseSignature: true }),
  };
  const login: LoginOptions = {
    ...requestSettings,
    ...(o.forceAuthn === true && { forceAuthn: true }),
    ...(o.passive === true && { isPassive: true }),
    ...(requested !== undefined && { requestedAuthnContext: requested }),
  };
  return { serviceProvider, login };
}
