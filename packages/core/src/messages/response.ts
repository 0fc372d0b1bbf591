import {
  decodeIncoming,
  type IncomingSamlMessage,
  type MessageSignatureInfo,
} from '../bindings/incoming.js';
import { describeValue, SamlError } from '../errors.js';
import {
  checkAuthnContext,
  checkBearerConfirmation,
  checkConditions,
  type DecryptFn,
  readAuthnStatement,
  readSubjectNameId,
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
import { decryptorFor } from '../lib/decryption-keys.js';
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
} from '../lib/xml.js';
import { verifyElementSignature } from '../signature/verify.js';
import { assertOptions, assertSingleAssertion, signatureInfo } from './response-structure.js';
import type { ValidatedResponse, ValidateResponseOptions } from './response-types.js';

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
 * The validator is pure toward pending requests: it never consumes one (nor does
 * `validateLogoutResponse`). `inResponseTo` lists the IDs it may accept; the caller takes the
 * pending request named by the result's `inResponseTo` only after this returned, so a forged
 * Response naming a real pending login leaves that login intact ("nothing one-time before
 * verification", docs/security.md). The SP's ACS does exactly that.
 *
 * @param input - the message as received, per binding ({@link IncomingSamlMessage}, as the logout
 *   validators take it: a Redirect query or SimpleSign form signature is then verified too), or the
 *   `SAMLResponse` form value (base64) or the Response XML as a string
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
 * const result = await validateResponse(form.get('SAMLResponse'), {
 *   sp: { entityId: 'https://app.example.com/saml/metadata', acsUrl: 'https://app.example.com/saml/acs' },
 *   idp: { entityId: 'https://idp.example.com', signingKeys: [loadPublicKey(idpCertPem)] },
 *   now: Date.now(),
 *   inResponseTo: outstandingRequestIds, // compared only: nothing is taken yet
 *   replayCache: store,
 * });
 * // Verified: only now take the request it answers (take-once: a second answer finds nothing),
 * // and only a login sent to the IdP that signed it: another IdP's answer leaves it intact.
 * const pending =
 *   result.inResponseTo &&
 *   (await store.takePendingRequest(result.inResponseTo, { kind: 'authn', idpEntityId: result.issuer }));
 * if (result.inResponseTo && !pending) throw new Error('no pending login sent to this IdP');
 * console.log(result.userId, result.attributes);
 * ```
 * @example The same message as the logout validators take it
 * ```ts
 * const result = await validateResponse(
 *   { binding: 'post', form: Object.fromEntries(await request.formData()) as Record<string, string> },
 *   { sp, idp, now: Date.now(), inResponseTo: pendingIds, replayCache: store },
 * );
 * console.log(result.binding, result.relayState);
 * ```
 * @see SAML core §2 (assertions), §3.2.2 and §3.3.3 (Response); SAML profiles §4.1.4
 *   (Web Browser SSO: response usage); XML-DSig core §3.2 (core validation)
 */
export async function validateResponse(
  input: IncomingSamlMessage | string,
  options: ValidateResponseOptions,
): Promise<ValidatedResponse> {
  if (typeof input !== 'string' && (!input || typeof input !== 'object')) {
    throw new TypeError('validateResponse: input must be a string or an incoming message');
  }
  if (typeof input === 'string') {
    return validateResponseDocument(() => parseMessageInput(input, options.limits).doc, options);
  }
  assertOptions(options);
  // SAML bindings §3.4.4.1, SimpleSign §2.3: a binding-level signature is verified when present;
  // whether the Response is signed enough is decided by validateResponseDocument, from its XML
  // signatures.
  const received = await decodeIncoming(input, {
    type: 'SAMLResponse',
    keys: options.idp.signingKeys,
    allowSha1: options.allowSha1 ?? false,
    ...(options.crypto ? { crypto: options.crypto } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
  });
  const result = await validateResponseDocument(() => received.root.ownerDocument, options);
  return {
    ...result,
    binding: received.binding,
    ...(received.relayState !== undefined ? { relayState: received.relayState } : {}),
  };
}

/**
 * {@link validateResponse} on a document parsed by the caller (the ACS parses the Response once,
 * reads from it which IdP's keys apply, and validates that same document). `parse` is called once,
 * after the options are checked, and must apply `options.limits` (see `parseMessageInput`). The
 * document is only read, never changed (decryption works on a copy). `bindingSignature` is a
 * verified signature over the exact octets the document was parsed from (a SimpleSign form
 * signature, or the signed ArtifactResponse it came in): it covers the whole Response as a
 * Response signature does.
 * @internal
 */
export async function validateResponseDocument(
  parse: () => Document,
  options: ValidateResponseOptions,
  bindingSignature?: MessageSignatureInfo,
): Promise<ValidatedResponse> {
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

  const doc = parse();
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
  // SimpleSign §2.5 / bindings §3.6.5.2: a verified binding signature covers every octet of the
  // Response, so it signs the Response as an enveloped signature would.
  const responseSigned = responseSig !== null || bindingSignature !== undefined;
  if (options.requireResponseSignature && !responseSigned) {
    throw new SamlError('SIGNATURE_MISSING', 'The Response is not signed.', {
      expected: 'a <ds:Signature> on the Response (requireResponseSignature)',
      found: 'none',
      hint: 'configure the IdP to sign the Response, or drop requireResponseSignature',
    });
  }

  // Only what a verified signature covers may decide anything. When the Response is unsigned,
  // its Status, Issuer, Destination and InResponseTo may still cause a refusal below, but never
  // an acceptance: what is accepted is read from the signed assertion alone.
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
  if (!assertionSig && (options.requireAssertionSignature || !responseSigned)) {
    throw new SamlError('SIGNATURE_MISSING', 'The assertion is not covered by a signature.', {
      expected: options.requireAssertionSignature
        ? 'a <ds:Signature> on the Assertion (requireAssertionSignature)'
        : 'a <ds:Signature> on the Assertion or on the Response',
      found: responseSigned
        ? 'a signed Response around an unsigned Assertion'
        : 'no signature at all',
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
    signature:
      responseSig === null && assertionSig === null && bindingSignature !== undefined
        ? {
            response: true,
            assertion: false,
            key: bindingSignature.key,
            algorithm: bindingSignature.algorithm,
          }
        : signatureInfo(responseSig, assertionSig),
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
