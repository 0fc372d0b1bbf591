import type { TrustedIdp } from '../config.js';
import type { PublicKey } from '../crypto/keys.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { describeValue, SamlError } from '../errors.js';
import {
  type AuthnStatementInfo,
  type ConditionsInfo,
  checkAuthnContext,
  checkBearerConfirmation,
  checkConditions,
  type DecryptFn,
  type NameId,
  readAuthnStatement,
  readSubjectNameId,
  type SamlAttribute,
  type SubjectConfirmationInfo,
} from '../lib/assertion.js';
import { readAttributes } from '../lib/attributes.js';
import {
  assertSignatureMethodUris,
  checkDestination,
  checkInResponseTo,
  checkIssuer,
  checkVersion,
  type InResponseToPolicy,
  isXmlBlank,
} from '../lib/checks.js';
import { type DecryptionKey, decryptorFor } from '../lib/decryption-keys.js';
import { parseMessageInput } from '../lib/input.js';
import { assertSuccessStatus } from '../lib/status.js';
import {
  attr,
  isElement,
  NS,
  parseDateTime,
  requiredAttr,
  requiredChild,
  serializeXml,
  type XmlLimits,
} from '../lib/xml.js';
import { verifyElementSignature } from '../signature/verify.js';
import type { ReplayCache } from '../store/types.js';
import { assertOptions, assertSingleAssertion, signatureInfo } from './response-structure.js';

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
   * Take the ID out of the store (take-once) before calling, so it cannot be answered twice.
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
}

/**
 * Validates a SAML Response received at the AssertionConsumerService (Web Browser SSO profile)
 * and returns what it asserts.
 *
 * Checks, in order: safe parsing (no DTD, size/depth limits); Response Version, ID; its
 * signature when present; Status is Success; Response Issuer and Destination; exactly one
 * Assertion or EncryptedAssertion (decrypted with `decryptionKeys`); the assertion's signature
 * when present; that a verified signature covers the assertion (its own or the Response's);
 * Assertion Version, Issuer; a bearer SubjectConfirmation for our ACS URL, unexpired, answering
 * the outstanding request; Conditions (time window with skew, every AudienceRestriction names
 * this SP, OneTimeUse, ProxyRestriction); AuthnStatement SessionNotOnOrAfter and the
 * AuthnContextClassRef when `expectedAuthnContext` is given; the user id; finally, the replay
 * cache. Everything returned is read from the exact element a verified signature covers, never
 * looked up again by ID, so a wrapped copy elsewhere in the document cannot be read.
 *
 * @param input - the `SAMLResponse` form value (base64) or the Response XML
 * @param options - the SP and IdP facts, the instant, and policy; see {@link ValidateResponseOptions}
 * @returns the validated response
 * @throws SamlError with one of: `XML_TOO_LARGE`, `XML_TOO_DEEP`, `XML_DOCTYPE_FORBIDDEN`,
 *   `XML_PARSE_ERROR`, `BASE64_INVALID`, `XML_UNEXPECTED_ELEMENT`, `XML_MISSING_ELEMENT`,
 *   `XML_INVALID_VALUE`, `MESSAGE_VERSION_UNSUPPORTED`, `SIGNATURE_*`, `STATUS_NOT_SUCCESS`
 *   (details `statusCodes`, `statusMessage`), `ISSUER_MISMATCH`, `DESTINATION_MISMATCH`,
 *   `IN_RESPONSE_TO_MISMATCH`, `UNSOLICITED_RESPONSE`, `ASSERTION_MISSING`, `ASSERTION_MULTIPLE`,
 *   `ENCRYPTION_REQUIRED`, `DECRYPTION_FAILED`, `SUBJECT_CONFIRMATION_INVALID`,
 *   `RECIPIENT_MISMATCH`, `NOT_YET_VALID`, `EXPIRED`, `AUDIENCE_MISMATCH`, `NAMEID_MISSING`,
 *   `USER_ID_MISSING`, `AUTHN_CONTEXT_MISMATCH`, `REPLAY_DETECTED`, `CONFIG_INVALID`;
 *   TypeError for malformed options
 * @example Validating at the ACS endpoint
 * ```ts
 * const pending = await store.takePendingRequest(relayStateRequestId);
 * const result = await validateResponse(form.get('SAMLResponse'), {
 *   sp: { entityId: 'https://app.example.com/saml/metadata', acsUrl: 'https://app.example.com/saml/acs' },
 *   idp: { entityId: 'https://idp.example.com', signingKeys: [loadPublicKey(idpCertPem)] },
 *   now: Date.now(),
 *   inResponseTo: pending ? [pending.id] : [],
 *   replayCache: store,
 * });
 * console.log(result.userId, result.attributes);
 * ```
 * @see SAML core §2 (assertions), §3.2.2 and §3.3.3 (Response); SAML profiles §4.1.4
 *   (Web Browser SSO: response usage); XML-DSig core §3.2 (core validation)
 */
export async function validateResponse(
  input: string,
  options: ValidateResponseOptions,
): Promise<ValidatedResponse> {
  if (typeof input !== 'string') throw new TypeError('validateResponse: input must be a string');
  const { now, skewMs, acsUrls } = assertOptions(options);
  const { idp, sp } = options;
  const verifyOpts = {
    keys: idp.signingKeys,
    allowSha1: options.allowSha1 ?? false,
    ...(options.crypto ? { crypto: options.crypto } : {}),
  };
  const irtPolicy: InResponseToPolicy = {
    expected: options.inResponseTo,
    allowUnsolicited: options.allowUnsolicited ?? false,
    skip: options.skipInResponseToCheck ?? false,
  };

  const { doc } = parseMessageInput(input, options.limits);
  const root = doc.documentElement;
  if (!isElement(root, NS.samlp, 'Response')) {
    throw new SamlError('XML_UNEXPECTED_ELEMENT', 'The message is not a SAML Response.', {
      expected: `<samlp:Response> (namespace ${NS.samlp})`,
      found: `<${root.nodeName}>${root.namespaceURI ? ` in ${root.namespaceURI}` : ''}`,
      hint: 'the ACS endpoint receives Responses; logout messages go to the SLO endpoint',
    });
  }
  // SAML core §3.2.2: Version, ID and IssueInstant are required on every response.
  checkVersion(root);
  const responseId = requiredAttr(root, 'ID');
  parseDateTime(requiredAttr(root, 'IssueInstant'), 'Response IssueInstant');

  // XML-DSig core §3.2; SAML core §5.4: a Signature that is a direct child of the Response
  // covers the Response. verifyElementSignature throws on anything but a valid one by our keys.
  assertSignatureMethodUris(root);
  const responseSig = await verifyElementSignature(root, verifyOpts);
  if (options.requireResponseSignature && !responseSig) {
    throw new SamlError('SIGNATURE_MISSING', 'The Response is not signed.', {
      expected: 'a <ds:Signature> on the Response (requireResponseSignature)',
      found: 'none',
      hint: 'configure the IdP to sign the Response, or drop requireResponseSignature',
    });
  }

  // Only what a verified signature covers may decide anything. When the Response is unsigned,
  // its Status, Issuer, Destination and InResponseTo may still cause a refusal below, but never
  // an acceptance: what is accepted is read from the signed assertion alone.
  const responseSigned = responseSig !== null;
  // SAML core §3.2.2.2: anything but Success carries no usable assertion.
  assertSuccessStatus(root, 'Response');
  const responseIssuer = checkIssuer(root, idp.entityId, false);
  // Bindings §3.5.5.2: a signed message must carry the Destination it was meant for.
  const destination = checkDestination(root, acsUrls, responseSigned);
  const responseIrt = attr(root, 'InResponseTo');
  // SAML core §3.2.2: an InResponseTo that names no outstanding request is refused, signed or
  // not. Whether the response is solicited at all is decided after the assertion is read, from
  // signed content only.
  if (responseIrt !== undefined) checkInResponseTo(responseIrt, irtPolicy, 'The Response');

  // SAML profiles §4.1.4.2: one assertion; several (or nested copies) are refused.
  const container = assertSingleAssertion(root);
  const encrypted = isElement(container, NS.saml, 'EncryptedAssertion');
  if (options.requireEncryption && !encrypted) {
    throw new SamlError('ENCRYPTION_REQUIRED', 'The assertion is not encrypted.', {
      expected: '<saml:EncryptedAssertion> (requireEncryption)',
      found: '<saml:Assertion> in plaintext',
      hint: 'turn on assertion encryption for this SP at the IdP, with the SP encryption certificate from its metadata',
    });
  }
  const decrypt: DecryptFn = decryptorFor(options.decryptionKeys, options, (el) => ({
    message: `The message has an encrypted <${el.localName}>.`,
    expected: 'decryptionKeys with the SP private key it was encrypted to',
    hint: 'configure the SP private key matching the encryption certificate the IdP uses',
  }));
  // The assertion read below is exactly this node: the direct child of the verified Response,
  // or the element the decryptor returned. It is never looked up again by ID.
  const assertion = encrypted ? await decrypt(container) : container;
  if (!isElement(assertion, NS.saml, 'Assertion')) {
    throw new SamlError('XML_UNEXPECTED_ELEMENT', 'The EncryptedAssertion hides no Assertion.', {
      expected: '<saml:Assertion>',
      found: `<${assertion.nodeName}>`,
    });
  }
  assertSignatureMethodUris(assertion);
  const assertionSig = await verifyElementSignature(assertion, verifyOpts);
  if (!assertionSig && (options.requireAssertionSignature || !responseSig)) {
    throw new SamlError('SIGNATURE_MISSING', 'The assertion is not covered by a signature.', {
      expected: options.requireAssertionSignature
        ? 'a <ds:Signature> on the Assertion (requireAssertionSignature)'
        : 'a <ds:Signature> on the Assertion or on the Response',
      found: responseSig ? 'a signed Response around an unsigned Assertion' : 'no signature at all',
      hint: 'configure the IdP to sign the assertion (and/or the response) with its signing key',
    });
  }

  // SAML core §2.3.3: Version, ID, IssueInstant and Issuer are required on the assertion.
  checkVersion(assertion);
  const assertionId = requiredAttr(assertion, 'ID');
  const assertionIssueInstant = parseDateTime(
    requiredAttr(assertion, 'IssueInstant'),
    'Assertion IssueInstant',
  );
  // Profiles §4.1.4.2: the Response Issuer, when present, names the same IdP as the assertion.
  const issuer = checkIssuer(assertion, idp.entityId ?? responseIssuer, true)!;

  // SAML profiles §4.1.4.2: the Subject with a bearer confirmation for this ACS.
  const subject = requiredChild(assertion, NS.saml, 'Subject');
  const subjectConfirmation = checkBearerConfirmation(subject, {
    acsUrls,
    now,
    skewMs,
    responseInResponseTo: responseIrt,
    inResponseTo: irtPolicy,
  });
  // The request this login answers, from signed content only: the bearer confirmation's
  // InResponseTo (the assertion is covered by a verified signature), else the Response's when the
  // Response itself is signed. An unsigned envelope's InResponseTo never makes an assertion
  // solicited (SAML profiles §4.1.4.2, §4.1.5): whatever it says, an assertion whose signed part
  // names no request is unsolicited.
  const signedIrt = subjectConfirmation.inResponseTo ?? (responseSigned ? responseIrt : undefined);
  checkInResponseTo(signedIrt, irtPolicy, 'The signed assertion');
  const conditions = checkConditions(assertion, sp.entityId, now, skewMs);
  const authn = readAuthnStatement(assertion, now, skewMs);
  if (!authn) {
    // SAML profiles §4.1.4.2: the bearer assertion of a Web SSO response carries at least one
    // AuthnStatement; an assertion without one says nothing about a login.
    throw new SamlError('AUTHN_STATEMENT_MISSING', 'The assertion says nothing about a login.', {
      expected: 'at least one <saml:AuthnStatement> in the assertion (SAML profiles §4.1.4.2)',
      found: 'an assertion without AuthnStatement',
      hint: 'an assertion made for another purpose (attribute query, another profile) cannot log a user in; check the IdP configuration for this SP',
    });
  }
  if (options.expectedAuthnContext) checkAuthnContext(authn, options.expectedAuthnContext);
  const nameId = await readSubjectNameId(subject, decrypt);
  const attributeList = await readAttributes(assertion, decrypt);
  const attributes: Record<string, string[]> = Object.create(null);
  for (const a of attributeList) {
    const list = attributes[a.name] ?? [];
    list.push(...a.values);
    attributes[a.name] = list;
  }

  let userId: string | undefined;
  if (options.userIdAttribute !== undefined) {
    const wanted = options.userIdAttribute;
    const a =
      attributeList.find((x) => x.name === wanted && x.values.length > 0) ??
      attributeList.find((x) => x.friendlyName === wanted && x.values.length > 0);
    // The value exactly as signed (xs:string: no trimming); only an empty value does not count.
    userId = a?.values.find((v) => !isXmlBlank(v));
    if (userId === undefined) {
      throw new SamlError('USER_ID_MISSING', 'The assertion lacks the user id attribute.', {
        expected: `an attribute named ${describeValue(wanted)} with a value`,
        found: attributeList.length
          ? `attributes ${attributeList.map((x) => describeValue(x.name)).join(', ')}`
          : 'no attributes',
        hint: 'release this attribute to the SP at the IdP, or change userIdAttribute',
      });
    }
  } else {
    if (!nameId) {
      throw new SamlError('NAMEID_MISSING', 'The assertion has no NameID.', {
        expected: 'a <NameID> (or EncryptedID) in the Subject',
        found: 'none',
        hint: 'configure a NameID for this SP at the IdP, or set userIdAttribute',
      });
    }
    userId = nameId.value;
  }

  // Replay (SAML profiles §4.1.4.5): remember the assertion until it can no longer be used.
  const expiresAt =
    Math.max(subjectConfirmation.notOnOrAfter, conditions.notOnOrAfter ?? 0) + skewMs;
  const replayKey = `assertion:${issuer}:${assertionId}`;
  if (options.replayCache) {
    const first = await options.replayCache.rememberOnce(replayKey, expiresAt);
    if (!first) {
      throw new SamlError('REPLAY_DETECTED', 'This assertion was already used.', {
        expected: 'an assertion seen for the first time',
        found: `assertion ${describeValue(assertionId)} from ${describeValue(issuer)}, already accepted`,
        hint: 'a captured response was posted again (or the browser re-submitted the form); start a new login',
      });
    }
  }

  let assertionXml: string | undefined;
  return {
    responseId,
    ...(signedIrt !== undefined ? { inResponseTo: signedIrt } : {}),
    ...(destination !== undefined ? { destination } : {}),
    issuer,
    assertionId,
    assertionIssueInstant,
    ...(nameId ? { nameId } : {}),
    userId,
    ...(authn.sessionIndex !== undefined ? { sessionIndex: authn.sessionIndex } : {}),
    authn,
    attributes,
    attributeList,
    conditions,
    subjectConfirmation,
    signature: signatureInfo(responseSig, assertionSig),
    encrypted,
    replay: { key: replayKey, expiresAt },
    // Serialized on first read: on large assertions serializing costs as much as a parse, and
    // most callers never read it.
    get assertionXml(): string {
      if (assertionXml === undefined) assertionXml = serializeXml(assertion);
      return assertionXml;
    },
  };
}
