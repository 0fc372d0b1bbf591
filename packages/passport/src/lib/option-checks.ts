// Checks and conversions behind mapSamlOptions: URLs, PEMs, key pairs, the IdP, the requested
// authentication context. Each refusal is a CONFIG_INVALID SamlError naming the option.
import {
  type IdentityProviderConfig,
  type IdpRegistry,
  loadPrivateKey,
  loadPublicKey,
  type RequestedAuthnContextRecord,
  SamlError,
  type SignatureAlgorithmName,
  type SpKeyPair,
} from '@samlkit/core';
import type { SamlStrategyOptions } from '../options.js';
import { UNSUPPORTED_OPTIONS } from '../unsupported-options.js';

export function configError(
  option: string,
  expected: string,
  found: string,
  hint: string,
): SamlError {
  return new SamlError('CONFIG_INVALID', `The Passport strategy option ${option} is not usable.`, {
    expected,
    found,
    hint,
  });
}

export function describe(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return value === null ? 'null' : typeof value;
}

export function absoluteUrl(option: string, value: unknown): URL {
  if (typeof value !== 'string' || !URL.canParse(value)) {
    throw configError(
      option,
      'an absolute http(s) URL',
      describe(value),
      `set ${option} to a full URL`,
    );
  }
  const url = new URL(value);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw configError(option, 'an http(s) URL', url.protocol, `set ${option} to a full URL`);
  }
  return url;
}

export function pems(value: unknown): readonly string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || list.some((v) => typeof v !== 'string')) {
    throw configError(
      'idpCert',
      'a PEM certificate or public key, or an array of them',
      describe(value),
      typeof value === 'function'
        ? UNSUPPORTED_OPTIONS.idpCertCallback!
        : 'paste the IdP signing certificate (PEM) from its metadata',
    );
  }
  return list as readonly string[];
}

export function keyPair(
  option: string,
  key: unknown,
  certificate: unknown,
  certOption: string,
): SpKeyPair {
  if (typeof key !== 'string') {
    throw configError(option, 'a PEM private key', describe(key), `give ${option} as PEM text`);
  }
  if (typeof certificate !== 'string') {
    throw configError(
      certOption,
      `the PEM certificate of ${option} (samlkit publishes it in the SP metadata)`,
      describe(certificate),
      `give ${certOption} with ${option}`,
    );
  }
  return { privateKey: loadPrivateKey(key), certificate };
}

/**
 * The IdP's configuration from `entryPoint`, `idpCert`, `idpIssuer` and `logoutUrl`.
 * SAML metadata §2.4.3 / §2.2.2: SSO and SLO endpoints by binding.
 */
export function identityProvider(o: SamlStrategyOptions): IdentityProviderConfig | IdpRegistry {
  const flat = (['entryPoint', 'idpCert', 'cert', 'idpIssuer', 'logoutUrl'] as const).filter(
    (k) => o[k] !== undefined,
  );
  if (o.idp !== undefined) {
    if (flat.length > 0) {
      throw configError(
        'idp',
        'either `idp` or entryPoint/idpCert/idpIssuer/logoutUrl',
        `both (${flat.join(', ')})`,
        'keep one way of describing the IdP',
      );
    }
    return o.idp;
  }
  const entryPoint = absoluteUrl('entryPoint', o.entryPoint);
  if (typeof o.idpIssuer !== 'string' || o.idpIssuer === '') {
    throw configError(
      'idpIssuer',
      "the IdP's entity ID (samlkit always checks the Issuer of Responses)",
      describe(o.idpIssuer),
      "copy the entityID attribute of the IdP's metadata",
    );
  }
  if (o.idpCert !== undefined && o.cert !== undefined) {
    throw configError('cert', 'idpCert or cert, not both', 'both', 'keep idpCert');
  }
  const certs = pems(o.idpCert ?? o.cert);
  const binding = o.authnRequestBinding === 'HTTP-POST' ? 'post' : 'redirect';
  const logout = o.logoutUrl === undefined ? entryPoint : absoluteUrl('logoutUrl', o.logoutUrl);
  return {
    entityId: o.idpIssuer,
    singleSignOnServices: [{ binding, location: entryPoint.href }],
    singleLogoutServices: [{ binding: 'redirect', location: logout.href }],
    signingKeys: certs.map((pem) => loadPublicKey(pem)),
  };
}

export const SIGNATURE_ALGORITHMS: Readonly<Record<string, SignatureAlgorithmName>> = {
  sha256: 'rsa-sha256',
  sha512: 'rsa-sha512',
};

export function requestedContext(o: SamlStrategyOptions): RequestedAuthnContextRecord | undefined {
  if (o.disableRequestedAuthnContext === true || o.authnContext === undefined) return undefined;
  if (
    !Array.isArray(o.authnContext) ||
    o.authnContext.length === 0 ||
    o.authnContext.some((c) => typeof c !== 'string' || c === '')
  ) {
    throw configError(
      'authnContext',
      'a non-empty array of AuthnContextClassRef URIs',
      describe(o.authnContext),
      'e.g. ["urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"]',
    );
  }
  const comparison = o.racComparison ?? 'exact';
  if (!['exact', 'minimum', 'maximum', 'better'].includes(comparison)) {
    throw configError(
      'racComparison',
      'exact, minimum, maximum or better (SAML core §3.3.2.2.1)',
      describe(comparison),
      'drop racComparison for exact',
    );
  }
  return { classRefs: [...o.authnContext], comparison };
}
