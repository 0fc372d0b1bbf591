// The shapes of validateResponse: what it is checked against, its options and its result.
import type { IncomingBinding, IncomingSamlMessage } from '../bindings/incoming.js';
import type { TrustedIdp } from '../config.js';
import type { PublicKey } from '../crypto/keys.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type {
  AuthnStatementInfo,
  ConditionsInfo,
  NameId,
  SamlAttribute,
  SubjectConfirmationInfo,
} from '../lib/assertion.js';
import type { DecryptionKey } from '../lib/decryption-keys.js';
import type { XmlLimits } from '../lib/xml.js';
import type { ReplayCache } from '../store/types.js';

/** The Service Provider facts a Response is checked against. */
export interface ResponseValidationSp {
  /** The SP entity ID: must be an Audience of the assertion (SAML core §2.5.1.4). */
  readonly entityId: string;
  /**
   * The AssertionConsumerService URL(s) this response may be delivered to: compared with the
   * Response's Destination and the bearer confirmation's Recipient. Several when the SP has
   * several ACS endpoints (or is reachable under several public URLs).
   */
  readonly acsUrl: string | readonly string[];
}

/**
 * The Identity Provider facts a Response is checked against.
 * @deprecated Use {@link TrustedIdp}, the same shape for every validator.
 */
export type ResponseValidationIdp = TrustedIdp;

/** Options of {@link validateResponse}. Never mutated. */
export interface ValidateResponseOptions {
  /** Who we are. */
  readonly sp: ResponseValidationSp;
  /** Whom we trust. */
  readonly idp: TrustedIdp;
  /** The instant at which time conditions are evaluated: epoch milliseconds or a Date. */
  readonly now: number | Date;
  /** Tolerated clock difference with the IdP, in **milliseconds**. Default 180000 (3 minutes). */
  readonly clockSkewMs?: number;
  /**
   * The ID(s) of the AuthnRequest(s) still outstanding for this browser. A Response answering
   * any other request is refused. Omitted or empty: no request is outstanding, so only an
   * unsolicited response could be accepted (and only with `allowUnsolicited`).
   * The validator only compares: it never consumes a pending request. Take the one named by the
   * result's `inResponseTo` out of the store (take-once) after the call returned, so that it cannot
   * be answered twice and a forged Response consumes nothing.
   */
  readonly inResponseTo?: string | readonly string[];
  /**
   * **Security relaxation.** Accept IdP-initiated (unsolicited) responses, which answer no
   * request. They cannot be bound to the browser that started a login, so login CSRF becomes
   * possible; enable only when the IdP portal must start logins. Default false.
   */
  readonly allowUnsolicited?: boolean;
  /**
   * **Diagnostics only.** Report InResponseTo without comparing it with any request and accept
   * unsolicited responses. For tools that inspect a captured response (`samlkit verify` without
   * `--in-response-to`); never in an application.
   */
  readonly skipInResponseToCheck?: boolean;
  /**
   * Require the Assertion itself to carry a valid signature, even when the Response's signature
   * covers it. Default false: the assertion must be covered by a verified signature — its own or
   * that of the Response it sits in (a Response signature covers all its content).
   */
  readonly requireAssertionSignature?: boolean;
  /** Require the Response element to carry a valid signature. Default false. */
  readonly requireResponseSignature?: boolean;
  /**
   * **Security relaxation.** Accept rsa-sha1 / ecdsa-sha1 signatures and SHA-1 digests. SHA-1
   * collisions are practical; enable only for an IdP that cannot be configured for SHA-256.
   */
  readonly allowSha1?: boolean;
  /**
   * Take the user id from this attribute (matched on Name, then FriendlyName; first value)
   * instead of the NameID. A missing attribute is `USER_ID_MISSING`.
   */
  readonly userIdAttribute?: string;
  /**
   * AuthnContextClassRef values that are acceptable (e.g. the ones requested); the assertion's
   * class must be one of them, otherwise `AUTHN_CONTEXT_MISMATCH`.
   */
  readonly expectedAuthnContext?: readonly string[];
  /** SP keys for EncryptedAssertion / EncryptedID / EncryptedAttribute (several for rollover). */
  readonly decryptionKeys?: readonly DecryptionKey[];
  /** Refuse plaintext assertions (`ENCRYPTION_REQUIRED`). Default false. */
  readonly requireEncryption?: boolean;
  /**
   * A replay cache (for example the samlkit store). Consulted only after every other check
   * passed: the key `assertion:<issuer>:<ID>` is remembered until the assertion expires, and a
   * second use is `REPLAY_DETECTED`. Without it the caller must do this with `result.replay`.
   */
  readonly replayCache?: ReplayCache;
  /** The WebCrypto provider (default `globalThis.crypto`). */
  readonly crypto?: CryptoProvider;
  /** XML size and depth limits (defaults: 1 MiB, 64 levels). */
  readonly limits?: XmlLimits;
}

/** Which elements carried a verified signature. */
export interface ResponseSignatureInfo {
  /** The Response element was signed and verified. */
  readonly response: boolean;
  /** The Assertion element was signed and verified. */
  readonly assertion: boolean;
  /** The configured key that verified the (innermost) signature. */
  readonly key: PublicKey;
  /** The signature algorithm URI. */
  readonly algorithm: string;
}

/** Everything a validated Response says. */
export interface ValidatedResponse {
  /** The Response ID. */
  readonly responseId: string;
  /**
   * The request this login answers, when it was solicited: read only from signed content (the
   * bearer SubjectConfirmationData's InResponseTo, else that of a signed Response). Absent for an
   * unsolicited login, whatever an unsigned Response envelope claims.
   */
  readonly inResponseTo?: string;
  /** The Response Destination, when present. */
  readonly destination?: string;
  /** The Assertion's Issuer (the IdP entity ID). */
  readonly issuer: string;
  /** The Assertion ID. */
  readonly assertionId: string;
  /** The Assertion IssueInstant, epoch milliseconds. */
  readonly assertionIssueInstant: number;
  /** The Subject's NameID (decrypted when it was an EncryptedID); absent when the Subject has none. */
  readonly nameId?: NameId;
  /** The user id: the NameID value, or the first value of `userIdAttribute`. */
  readonly userId: string;
  /** The AuthnStatement SessionIndex (needed for Single Logout). */
  readonly sessionIndex?: string;
  /** The first AuthnStatement (at least one is required, SAML profiles §4.1.4.2). */
  readonly authn: AuthnStatementInfo;
  /** Attribute values by Name (values of same-named attributes are concatenated). */
  readonly attributes: Readonly<Record<string, readonly string[]>>;
  /** Every attribute with its Name, NameFormat and FriendlyName, in document order. */
  readonly attributeList: readonly SamlAttribute[];
  /** The Conditions that were satisfied. */
  readonly conditions: ConditionsInfo;
  /** The bearer SubjectConfirmation that was accepted. */
  readonly subjectConfirmation: SubjectConfirmationInfo;
  /** Which signatures were verified. */
  readonly signature: ResponseSignatureInfo;
  /** Whether the assertion arrived as an EncryptedAssertion. */
  readonly encrypted: boolean;
  /**
   * The replay-cache entry: refuse a second use of `key` until `expiresAt` (epoch ms; the
   * latest of the assertion's NotOnOrAfter times plus the clock skew).
   */
  readonly replay: { readonly key: string; readonly expiresAt: number };
  /** The verified assertion's XML (decrypted), for audit logs. Serialized when first read. */
  readonly assertionXml: string;
  /** The binding the Response arrived on, when the input was an {@link IncomingSamlMessage}. */
  readonly binding?: IncomingBinding;
  /** The RelayState that came with it (front-channel bindings), when the input was one. */
  readonly relayState?: string;
}
