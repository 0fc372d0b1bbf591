// What the logout messages share: the SP and IdP facts they are checked against, the options
// common to validateLogoutRequest and validateLogoutResponse, and the checks both apply.
import {
  type IncomingBinding,
  type IncomingSamlMessage,
  type ReceivedMessage,
  receiveMessage,
} from '../bindings/incoming.js';
import type { DecodeRedirectOptions } from '../bindings/redirect.js';
import type { Endpoint, TrustedIdp } from '../config.js';
import type { PublicKey } from '../crypto/keys.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { describeValue, SamlError } from '../errors.js';
import { checkDestination, checkIssuer, DEFAULT_CLOCK_SKEW_MS } from '../lib/checks.js';
import type { DecryptionKey } from '../lib/decryption-keys.js';
import {
  checkIssueInstant,
  DEFAULT_MAX_MESSAGE_AGE_MS,
  toDurationMs,
  toEpochMs,
} from '../lib/message-time.js';
import { attr, type XmlLimits } from '../lib/xml.js';

/** The Service Provider facts logout messages are checked against (a `ServiceProviderConfig` fits). */
export interface LogoutValidationSp {
  /**
   * The SP's SingleLogoutService endpoints: every `location` and `responseLocation` is an accepted
   * `Destination`.
   */
  readonly singleLogoutServices?: readonly Endpoint[];
  /** Keys that decrypt an `EncryptedID` (several during rollover). */
  readonly decryptionKeys?: readonly DecryptionKey[];
}

/**
 * The Identity Provider facts logout messages are checked against.
 * @deprecated Use {@link TrustedIdp}, the same shape for every validator.
 */
export type LogoutValidationIdp = TrustedIdp;

/**
 * Picks the IdP a message is checked against from the Issuer it claims (for an SP with several
 * IdPs, e.g. `(issuer) => registry.forMessage(issuer).then((r) => r.idp)`). The Issuer is read
 * before the signature is verified only to choose whose keys verify it; the message must then be
 * signed by that IdP and name it as Issuer. Throw `IDP_UNKNOWN` for an unknown issuer.
 */
export type LogoutIdpResolver = (issuer: string) => TrustedIdp | Promise<TrustedIdp>;

/** Options shared by {@link validateLogoutRequest} and `validateLogoutResponse`. Never mutated. */
export interface LogoutValidationOptions {
  readonly sp: LogoutValidationSp;
  /** The IdP the message must come from, or a resolver that picks it by the claimed Issuer. */
  readonly idp: TrustedIdp | LogoutIdpResolver;
  /** The instant of the checks: epoch milliseconds or a Date. */
  readonly now: Date | number;
  /** Tolerated clock difference, in milliseconds. Default 180000 (3 minutes). */
  readonly clockSkewMs?: number;
  /** The oldest IssueInstant accepted, in milliseconds before now (plus skew). Default 300000. */
  readonly maxAgeMs?: number;
  /**
   * **Dangerous.** Accept an *unsigned* logout message on the HTTP-Redirect binding. Anyone who
   * can make a user's browser follow a link can then end that user's sessions (and learn nothing
   * else). Only for an IdP that cannot sign its logout messages; POST, SimpleSign and SOAP
   * messages are always required to be signed. Default false.
   */
  readonly allowUnsignedLogout?: boolean;
  /** **Dangerous.** Accept SHA-1 signatures (collisions are practical). Default false. */
  readonly allowSha1?: boolean;
  /**
   * **Diagnostics only.** Do not compare Destination with the SP's SLO endpoints (for tools that
   * inspect captured messages without knowing the endpoint). Never in an application.
   */
  readonly skipDestinationCheck?: boolean;
  /** WebCrypto provider. */
  readonly crypto?: CryptoProvider;
  /** XML size and depth limits. */
  readonly limits?: XmlLimits;
  /** Redirect-binding decoding limits (inflate cap, query length). */
  readonly redirect?: DecodeRedirectOptions;
}

/** The Destinations an SP answers logout messages on. @internal */
export function sloDestinations(sp: LogoutValidationSp): string[] {
  const out = new Set<string>();
  for (const e of sp.singleLogoutServices ?? []) {
    out.add(e.location);
    if (e.responseLocation) out.add(e.responseLocation);
  }
  return [...out];
}

/** Checks shared option shapes and normalizes times. @internal */
export function normalizeLogoutOptions(
  options: LogoutValidationOptions,
  fn: string,
): { now: number; skewMs: number; maxAgeMs: number; destinations: string[] } {
  if (!options || typeof options !== 'object')
    throw new TypeError(`${fn}: options must be an object`);
  if (!options.sp || typeof options.sp !== 'object')
    throw new TypeError(`${fn}: options.sp must be an object`);
  if (
    typeof options.idp !== 'function' &&
    (!options.idp || !Array.isArray(options.idp.signingKeys))
  ) {
    throw new TypeError(
      `${fn}: options.idp must be { entityId, signingKeys } or a function of the issuer`,
    );
  }
  const now = toEpochMs(options.now, fn);
  const skewMs = toDurationMs(options.clockSkewMs, DEFAULT_CLOCK_SKEW_MS, fn, 'clockSkewMs');
  const maxAgeMs = toDurationMs(options.maxAgeMs, DEFAULT_MAX_MESSAGE_AGE_MS, fn, 'maxAgeMs');
  const destinations = sloDestinations(options.sp);
  if (destinations.length === 0 && !options.skipDestinationCheck) {
    throw new SamlError('CONFIG_INVALID', 'No SP SingleLogoutService endpoint is configured.', {
      expected: 'sp.singleLogoutServices with the public URL(s) of the SLO endpoint',
      found: 'none',
      hint: 'add the SLO endpoint (as published in SP metadata) to the SP configuration',
    });
  }
  return { now, skewMs, maxAgeMs, destinations };
}

/** What {@link idpKeys} returns. @internal */
export interface IdpTrust {
  readonly keys: readonly PublicKey[] | ((root: Element) => Promise<readonly PublicKey[]>);
  readonly resolved: () => TrustedIdp;
}

/**
 * The keys to verify with (fixed, or resolved from the claimed Issuer) and, afterwards, the IdP
 * they belong to. @internal
 */
export function idpKeys(idp: TrustedIdp | LogoutIdpResolver): IdpTrust {
  if (typeof idp !== 'function') return { keys: idp.signingKeys, resolved: () => idp };
  let found: TrustedIdp | undefined;
  return {
    keys: async (root) => {
      // Read only to choose whose keys verify the signature; compared again after verification.
      const issuer = checkIssuer(root, undefined, true)!;
      const candidate = await idp(issuer);
      if (!candidate || !Array.isArray(candidate.signingKeys)) {
        throw new SamlError('IDP_UNKNOWN', 'No IdP is configured for this issuer.', {
          expected: 'an IdP the SP trusts',
          found: describeValue(issuer),
          hint: 'add the IdP to the SP configuration, or check the Issuer of the message',
        });
      }
      found = { ...candidate, entityId: candidate.entityId ?? issuer };
      return candidate.signingKeys;
    },
    resolved: () => {
      if (!found) throw new TypeError('the IdP was not resolved');
      return found;
    },
  };
}

/**
 * Checks the Destination: required on a signed front-channel message (SAML bindings §3.4.5.2,
 * §3.5.5.2), optional on SOAP, and always equal to one of our SLO URLs when present. @internal
 */
export function checkLogoutDestination(
  root: Element,
  binding: IncomingBinding,
  signed: boolean,
  destinations: readonly string[],
  skip: boolean | undefined,
): string | undefined {
  if (skip) return attr(root, 'Destination');
  const required = binding !== 'soap' && signed;
  return checkDestination(root, destinations, required);
}

/**
 * The first step of both logout validators: decodes the message on its binding and verifies every
 * signature present against the IdP's keys only, refusing an unsigned message unless
 * `allowUnsignedLogout` (Redirect only). SAML bindings §3.2, §3.4.5.2, §3.5.5.2; SAML profiles
 * §4.4.4.1, §4.4.4.2 (logout messages must be signed).
 * @internal
 */
export async function receiveLogoutMessage(
  input: IncomingSamlMessage,
  options: LogoutValidationOptions,
  type: 'SAMLRequest' | 'SAMLResponse',
): Promise<{ received: ReceivedMessage; trust: IdpTrust }> {
  const trust = idpKeys(options.idp);
  const received = await receiveMessage(input, {
    type,
    keys: trust.keys,
    allowSha1: options.allowSha1 ?? false,
    allowUnsignedRedirect: options.allowUnsignedLogout ?? false,
    what: type === 'SAMLRequest' ? 'LogoutRequest' : 'LogoutResponse',
    ...(options.crypto ? { crypto: options.crypto } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.redirect ? { redirect: options.redirect } : {}),
  });
  return { received, trust };
}

/**
 * The checks both logout validators apply once the message is read: the Issuer is the IdP (SAML
 * profiles §4.4.4.1, §4.4.4.2), the Destination (see {@link checkLogoutDestination}), and the
 * IssueInstant within `maxAgeMs` and the clock skew.
 * @returns the Destination
 * @internal
 */
export function checkLogoutEnvelope(
  received: ReceivedMessage,
  trust: IdpTrust,
  issueInstant: number,
  times: { readonly now: number; readonly skewMs: number; readonly maxAgeMs: number },
  destinations: readonly string[],
  options: LogoutValidationOptions,
  what: 'LogoutRequest' | 'LogoutResponse',
): string | undefined {
  const root = received.root;
  checkIssuer(root, trust.resolved().entityId, true);
  const destination = checkLogoutDestination(
    root,
    received.binding,
    received.signature !== undefined,
    destinations,
    options.skipDestinationCheck,
  );
  checkIssueInstant(issueInstant, times.now, times.skewMs, times.maxAgeMs, what);
  return destination;
}
