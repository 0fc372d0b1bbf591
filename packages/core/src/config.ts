import type { SignatureAlgorithmName } from './crypto/algorithms.js';
import type { PrivateKey, PublicKey } from './crypto/keys.js';
import { describeValue, SamlError } from './errors.js';

/** SAML 2.0 binding URIs (SAML bindings §3). */
export const BINDINGS: Readonly<{
  redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
  post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
  simpleSign: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST-SimpleSign';
  artifact: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact';
  soap: 'urn:oasis:names:tc:SAML:2.0:bindings:SOAP';
}> = Object.freeze({
  redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
  post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
  simpleSign: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST-SimpleSign',
  artifact: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact',
  soap: 'urn:oasis:names:tc:SAML:2.0:bindings:SOAP',
} as const);

/** A binding by short name. */
export type BindingName = keyof typeof BINDINGS;

/** An endpoint: where to send or receive messages, and over which binding. */
export interface Endpoint {
  readonly binding: BindingName;
  readonly location: string;
  /** For SLO endpoints: where responses go, when different from `location`. */
  readonly responseLocation?: string;
  /** For indexed endpoints (AssertionConsumerService). */
  readonly index?: number;
  readonly isDefault?: boolean;
}

/** A key pair the SP uses for signing or decryption, with its certificate. */
export interface SpKeyPair {
  readonly privateKey: PrivateKey;
  /** PEM certificate published in SP metadata. */
  readonly certificate: string;
  /**
   * Whether this is the key used for new signatures (signing keys) — the others are announced
   * in metadata for rollover, or kept for decryption of messages encrypted to them.
   */
  readonly active?: boolean;
}

/** The Service Provider's own configuration. */
export interface ServiceProviderConfig {
  /** The SP entity ID (audience of assertions, Issuer of requests). */
  readonly entityId: string;
  /** AssertionConsumerService endpoints; the first (or the `isDefault` one) is used by default. */
  readonly assertionConsumerServices: readonly Endpoint[];
  /** SingleLogoutService endpoints. */
  readonly singleLogoutServices?: readonly Endpoint[];
  /** Keys that sign AuthnRequests, logout messages and metadata. */
  readonly signingKeys?: readonly SpKeyPair[];
  /** Keys that decrypt EncryptedAssertion/EncryptedID/EncryptedAttribute (several for rollover). */
  readonly decryptionKeys?: readonly SpKeyPair[];
  /** Algorithm for outgoing signatures (default rsa-sha256 / ecdsa-sha256 by key type). */
  readonly signatureAlgorithm?: SignatureAlgorithmName;
  /** Sign outgoing AuthnRequests (default: true when a signing key is configured). */
  readonly signAuthnRequests?: boolean;
  /** NameID formats to request and announce. */
  readonly nameIdFormats?: readonly string[];
}

/** An Identity Provider the SP trusts. */
export interface IdentityProviderConfig {
  /** The IdP entity ID (the Issuer of its messages). */
  readonly entityId: string;
  /** SingleSignOnService endpoints per binding. */
  readonly singleSignOnServices: readonly Endpoint[];
  /** SingleLogoutService endpoints per binding. */
  readonly singleLogoutServices?: readonly Endpoint[];
  /** ArtifactResolutionService endpoints (SOAP). */
  readonly artifactResolutionServices?: readonly Endpoint[];
  /** Every trusted signing key (several during a certificate rollover). Never a key from a message. */
  readonly signingKeys: readonly PublicKey[];
  /** Keys to encrypt to the IdP (EncryptedID in LogoutRequest), if any. */
  readonly encryptionKeys?: readonly PublicKey[];
  /** The IdP asks for signed AuthnRequests (metadata WantAuthnRequestsSigned). */
  readonly wantAuthnRequestsSigned?: boolean;
  /**
   * The scopes this IdP may assert in scoped user ids (`subject-id`, `pairwise-id`): its
   * `<shibmd:Scope>` metadata extensions. A user id whose scope is not among them is refused.
   */
  readonly scopes?: readonly IdpScope[];
}

/** A `<shibmd:Scope>`: a DNS-like scope an IdP may assert, or a regular expression of them. */
export interface IdpScope {
  /** The scope (e.g. `example.org`), or with `regexp` a regular expression matching whole scopes. */
  readonly value: string;
  /** Whether `value` is a regular expression (`regexp="true"`). Default false. */
  readonly regexp?: boolean;
}

function invalid(what: string, expected: string, found: string): SamlError {
  return new SamlError('CONFIG_INVALID', `The configuration has an invalid ${what}.`, {
    expected,
    found,
    hint: `fix ${what} in the samlkit configuration`,
  });
}

function checkUrl(value: unknown, what: string): void {
  if (typeof value !== 'string') throw invalid(what, 'an absolute http(s) URL', typeof value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(what, 'an absolute http(s) URL', describeValue(value));
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalid(what, 'an http: or https: URL', describeValue(value));
  }
}

function checkEndpoints(
  list: readonly Endpoint[] | undefined,
  what: string,
  required: boolean,
): void {
  if (list === undefined && !required) return;
  if (!Array.isArray(list) || (required && list.length === 0)) {
    throw invalid(what, 'a non-empty list of { binding, location }', describeValue(String(list)));
  }
  for (const [i, e] of list.entries()) {
    if (!e || typeof e.binding !== 'string' || !Object.hasOwn(BINDINGS, e.binding)) {
      throw invalid(
        `${what}[${i}].binding`,
        Object.keys(BINDINGS).join(' | '),
        describeValue(String(e?.binding)),
      );
    }
    checkUrl(e.location, `${what}[${i}].location`);
    if (e.responseLocation !== undefined)
      checkUrl(e.responseLocation, `${what}[${i}].responseLocation`);
  }
}

/**
 * The Identity Provider facts a received message is checked against, by `validateResponse` and
 * the logout validators alike (an {@link IdentityProviderConfig} fits).
 */
export interface TrustedIdp {
  /**
   * The IdP entity ID: the message Issuer must equal it. Omit it only in diagnostic tools; without
   * it any trusted key's holder may claim any issuer name.
   */
  readonly entityId?: string;
  /**
   * The IdP signing keys (several during a certificate rollover), from `loadPublicKey` or IdP
   * metadata. Signatures are checked against these only; a key or certificate carried in the
   * message's KeyInfo is never trusted.
   */
  readonly signingKeys: readonly PublicKey[];
}

/**
 * Validates a Service Provider configuration and returns it frozen.
 * @param config - the SP configuration
 * @returns the same configuration, frozen
 * @throws SamlError `CONFIG_INVALID` naming the field
 * @example
 * ```ts
 * const sp = defineServiceProvider({
 *   entityId: 'https://app.example.com/saml/metadata',
 *   assertionConsumerServices: [{ binding: 'post', location: 'https://app.example.com/saml/acs' }],
 * });
 * ```
 */
export function defineServiceProvider(config: ServiceProviderConfig): ServiceProviderConfig {
  if (!config || typeof config !== 'object')
    throw new TypeError('defineServiceProvider: config must be an object');
  if (typeof config.entityId !== 'string' || config.entityId.trim() === '') {
    throw invalid(
      'entityId',
      'a non-empty string (usually the SP metadata URL)',
      describeValue(String(config.entityId)),
    );
  }
  checkEndpoints(config.assertionConsumerServices, 'assertionConsumerServices', true);
  checkEndpoints(config.singleLogoutServices, 'singleLogoutServices', false);
  for (const [i, k] of (config.signingKeys ?? []).entries()) {
    if (k?.privateKey?.kind !== 'private')
      throw invalid(
        `signingKeys[${i}].privateKey`,
        'a key from loadPrivateKey()',
        typeof k?.privateKey,
      );
  }
  for (const [i, k] of (config.decryptionKeys ?? []).entries()) {
    if (k?.privateKey?.kind !== 'private')
      throw invalid(
        `decryptionKeys[${i}].privateKey`,
        'a key from loadPrivateKey()',
        typeof k?.privateKey,
      );
  }
  return Object.freeze({ ...config });
}

/**
 * Validates an Identity Provider configuration and returns it frozen.
 * @param config - the IdP configuration (often from IdP metadata)
 * @returns the same configuration, frozen
 * @throws SamlError `CONFIG_INVALID` naming the field
 */
export function defineIdentityProvider(config: IdentityProviderConfig): IdentityProviderConfig {
  if (!config || typeof config !== 'object')
    throw new TypeError('defineIdentityProvider: config must be an object');
  if (typeof config.entityId !== 'string' || config.entityId.trim() === '') {
    throw invalid(
      'entityId',
      'a non-empty string (the IdP entityID from its metadata)',
      describeValue(String(config.entityId)),
    );
  }
  checkEndpoints(config.singleSignOnServices, 'singleSignOnServices', true);
  checkEndpoints(config.singleLogoutServices, 'singleLogoutServices', false);
  if (!Array.isArray(config.signingKeys) || config.signingKeys.length === 0) {
    throw invalid('signingKeys', 'at least one IdP signing certificate (loadPublicKey)', 'none');
  }
  for (const [i, k] of config.signingKeys.entries()) {
    if (k?.kind !== 'public')
      throw invalid(`signingKeys[${i}]`, 'a key from loadPublicKey()', typeof k);
  }
  return Object.freeze({ ...config });
}

/**
 * Picks the endpoint for a binding, preferring `isDefault`, then the lowest index, then order.
 * @internal
 */
export function pickEndpoint(
  endpoints: readonly Endpoint[] | undefined,
  binding?: BindingName,
): Endpoint | undefined {
  const list = (endpoints ?? []).filter((e) => binding === undefined || e.binding === binding);
  return (
    list.find((e) => e.isDefault) ?? [...list].sort((a, b) => (a.index ?? 0) - (b.index ?? 0))[0]
  );
}
