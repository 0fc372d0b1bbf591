import {
  type CryptoProvider,
  generateId,
  type PrivateKey,
  type SignatureAlgorithmName,
  signXml,
} from '@samlkit/core';

const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const XS = 'http://www.w3.org/2001/XMLSchema';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

/** The bearer confirmation method URI. */
export const CM_BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
/** The top-level Success status code URI. */
export const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';

/** Which elements {@link buildResponse} signs. */
export type SignTarget = 'assertion' | 'response' | 'both' | 'none';

/** An attribute for {@link buildResponse}. */
export interface TestAttribute {
  readonly name: string;
  readonly nameFormat?: string;
  readonly friendlyName?: string;
  readonly values: readonly string[];
  /** xsi:type of every value, e.g. `xs:string` (default) or `xs:integer`; `null` for none. */
  readonly valueType?: string | null;
}

/** The Subject's NameID for {@link buildResponse}. */
export interface TestNameId {
  readonly value: string;
  readonly format?: string;
  readonly nameQualifier?: string;
  readonly spNameQualifier?: string;
}

/** The key that signs, with an optional certificate to put in KeyInfo. */
export interface TestSigningKey {
  readonly privateKey: PrivateKey;
  /** PEM certificate; put in KeyInfo unless `includeCertificate` is false. */
  readonly certificatePem?: string;
}

/**
 * Everything {@link buildResponse} puts into a Response. Every field is controllable, so tests
 * can produce each valid shape and each malformed variant. `null` omits an element or attribute
 * that is present by default. Times are epoch milliseconds.
 */
export interface BuildResponseOptions {
  /** The IdP entity ID (Issuer of the Response and the Assertion). */
  readonly idpEntityId: string;
  /** The SP entity ID (the Audience). */
  readonly spEntityId: string;
  /** The SP's AssertionConsumerService URL (Destination and Recipient). */
  readonly acsUrl: string;
  /** IssueInstant of both elements, and the base of the default validity window. */
  readonly now: number | Date;
  /** The NameID. Default `{ value: 'user@example.com', format: emailAddress }`; `null` omits it. */
  readonly nameId?: TestNameId | null;
  /** Response InResponseTo (and SubjectConfirmationData's, unless overridden). Omit for unsolicited. */
  readonly inResponseTo?: string;
  /** Response ID. Default: random. */
  readonly responseId?: string;
  /** Assertion ID. Default: random. */
  readonly assertionId?: string;
  /** Response Issuer. Default `idpEntityId`; `null` omits it. */
  readonly responseIssuer?: string | null;
  /** Assertion Issuer. Default `idpEntityId`. */
  readonly assertionIssuer?: string;
  /** Response Destination. Default `acsUrl`; `null` omits it. */
  readonly destination?: string | null;
  /** Version attribute of both elements. Default `2.0`. */
  readonly version?: string;
  /** Status: top code, optional second-level code and message. Default Success. */
  readonly status?: { readonly code: string; readonly subCode?: string; readonly message?: string };
  /** Include an assertion. Default true (false for a non-Success status). */
  readonly includeAssertion?: boolean;
  /** SubjectConfirmation. Defaults: bearer, Recipient `acsUrl`, NotOnOrAfter now+5 min. */
  readonly subjectConfirmation?: {
    readonly method?: string;
    readonly recipient?: string | null;
    readonly inResponseTo?: string | null;
    readonly notBefore?: number;
    readonly notOnOrAfter?: number | null;
  };
  /** Conditions NotBefore. Default now − 30 s; `null` omits it. */
  readonly notBefore?: number | null;
  /** Conditions NotOnOrAfter. Default now + 5 min; `null` omits it. */
  readonly notOnOrAfter?: number | null;
  /** AudienceRestrictions, each a list of audiences. Default `[[spEntityId]]`. */
  readonly audiences?: readonly (readonly string[])[];
  /** Add a OneTimeUse condition. */
  readonly oneTimeUse?: boolean;
  /** Add a ProxyRestriction condition. */
  readonly proxyRestriction?: { readonly count?: number; readonly audiences?: readonly string[] };
  /** Omit the Conditions element entirely. */
  readonly omitConditions?: boolean;
  /** SessionIndex. Default: random; `null` omits it. */
  readonly sessionIndex?: string | null;
  /** AuthnInstant. Default `now`. */
  readonly authnInstant?: number;
  /** SessionNotOnOrAfter. Default absent. */
  readonly sessionNotOnOrAfter?: number;
  /** AuthnContextClassRef. Default PasswordProtectedTransport. */
  readonly authnContextClassRef?: string;
  /** Omit the AuthnStatement. */
  readonly omitAuthnStatement?: boolean;
  /** Attributes. Default none. */
  readonly attributes?: readonly TestAttribute[];
  /** What to sign. Default `assertion`. */
  readonly sign?: SignTarget;
  /** The signing key (required unless `sign` is `none`). */
  readonly signingKey?: TestSigningKey;
  /** Signature algorithm. Default rsa-sha256 / ecdsa-sha256 by key type. */
  readonly algorithm?: SignatureAlgorithmName;
  /** Reference digest. Default sha256. */
  readonly digest?: 'sha1' | 'sha256' | 'sha384' | 'sha512';
  /** Put the certificate in KeyInfo. Default true (when `signingKey.certificatePem` is set). */
  readonly includeCertificate?: boolean;
  /**
   * Hook that turns the (signed) assertion XML into an `<saml:EncryptedAssertion>` element's
   * XML, for encrypted-assertion tests. Applied before the Response is signed.
   */
  readonly encrypt?: (assertionXml: string) => Promise<string>;
  /** The WebCrypto provider. */
  readonly crypto?: CryptoProvider;
}

/** Escapes text for element content or a double-quoted attribute value. */
function esc(value: string): string {
  return (
    value
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/\r/g, '&#xD;')
      .replace(/\n/g, '&#xA;')
      .replace(/\t/g, '&#x9;')
      // Written literally, the parser would turn these into a line feed or a space (U+0085,
      // U+2028, U+2029) or warn about them (U+FFFD); as references they arrive unchanged.
      .replace(/[\u0085\u2028\u2029\ufffd]/g, (c) => `&#x${c.charCodeAt(0).toString(16)};`)
  );
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function attrs(pairs: Record<string, string | number | undefined | null>): string {
  let out = '';
  for (const [k, v] of Object.entries(pairs)) {
    if (v !== undefined && v !== null) out += ` ${k}="${esc(String(v))}"`;
  }
  return out;
}

function conditionsXml(o: BuildResponseOptions, now: number): string {
  if (o.omitConditions) return '';
  const audiences = o.audiences ?? [[o.spEntityId]];
  const nb = o.notBefore === undefined ? now - 30_000 : o.notBefore;
  const noa = o.notOnOrAfter === undefined ? now + 300_000 : o.notOnOrAfter;
  let inner = '';
  for (const list of audiences) {
    inner += `<saml:AudienceRestriction>${list
      .map((a) => `<saml:Audience>${esc(a)}</saml:Audience>`)
      .join('')}</saml:AudienceRestriction>`;
  }
  if (o.oneTimeUse) inner += '<saml:OneTimeUse/>';
  if (o.proxyRestriction) {
    inner += `<saml:ProxyRestriction${attrs({ Count: o.proxyRestriction.count })}>${(
      o.proxyRestriction.audiences ?? []
    )
      .map((a) => `<saml:Audience>${esc(a)}</saml:Audience>`)
      .join('')}</saml:ProxyRestriction>`;
  }
  return `<saml:Conditions${attrs({
    NotBefore: nb === null ? null : iso(nb),
    NotOnOrAfter: noa === null ? null : iso(noa),
  })}>${inner}</saml:Conditions>`;
}

function subjectXml(o: BuildResponseOptions, now: number): string {
  const nameId =
    o.nameId === undefined
      ? {
          value: 'user@example.com',
          format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
        }
      : o.nameId;
  const sc = o.subjectConfirmation ?? {};
  const scIrt = sc.inResponseTo === undefined ? o.inResponseTo : sc.inResponseTo;
  const scNoa = sc.notOnOrAfter === undefined ? now + 300_000 : sc.notOnOrAfter;
  const nameIdXml = nameId
    ? `<saml:NameID${attrs({
        Format: nameId.format,
        NameQualifier: nameId.nameQualifier,
        SPNameQualifier: nameId.spNameQualifier,
      })}>${esc(nameId.value)}</saml:NameID>`
    : '';
  return `<saml:Subject>${nameIdXml}<saml:SubjectConfirmation${attrs({
    Method: sc.method ?? CM_BEARER,
  })}><saml:SubjectConfirmationData${attrs({
    InResponseTo: scIrt,
    NotBefore: sc.notBefore === undefined ? undefined : iso(sc.notBefore),
    NotOnOrAfter: scNoa === null ? null : iso(scNoa),
    Recipient: sc.recipient === undefined ? o.acsUrl : sc.recipient,
  })}/></saml:SubjectConfirmation></saml:Subject>`;
}

function authnXml(o: BuildResponseOptions, now: number, sessionIndex: string | null): string {
  if (o.omitAuthnStatement) return '';
  return `<saml:AuthnStatement${attrs({
    AuthnInstant: iso(o.authnInstant ?? now),
    SessionIndex: sessionIndex,
    SessionNotOnOrAfter:
      o.sessionNotOnOrAfter === undefined ? undefined : iso(o.sessionNotOnOrAfter),
  })}><saml:AuthnContext><saml:AuthnContextClassRef>${esc(
    o.authnContextClassRef ?? 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
  )}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`;
}

function attributesXml(list: readonly TestAttribute[] | undefined): string {
  if (!list || list.length === 0) return '';
  let out = '<saml:AttributeStatement>';
  for (const a of list) {
    const type = a.valueType === undefined ? 'xs:string' : a.valueType;
    out += `<saml:Attribute${attrs({
      Name: a.name,
      NameFormat: a.nameFormat,
      FriendlyName: a.friendlyName,
    })}>`;
    for (const v of a.values) {
      out += `<saml:AttributeValue${attrs({ 'xsi:type': type })}>${esc(v)}</saml:AttributeValue>`;
    }
    out += '</saml:Attribute>';
  }
  return `${out}</saml:AttributeStatement>`;
}

/**
 * Builds the Assertion of a Response, unsigned. Exposed for tests that assemble unusual
 * Responses around it.
 *
 * @param options - as for {@link buildResponse}
 * @returns the assertion XML (namespaces declared on the element itself)
 * @example
 * ```ts
 * const assertionXml = buildAssertion({ idpEntityId, spEntityId, acsUrl, now, assertionId: '_a1' });
 * ```
 * @see SAML core §2.3.3
 */
export function buildAssertion(options: BuildResponseOptions): string {
  const now = options.now instanceof Date ? options.now.getTime() : options.now;
  const sessionIndex = options.sessionIndex === undefined ? generateId() : options.sessionIndex;
  return `<saml:Assertion xmlns:saml="${SAML}" xmlns:xs="${XS}" xmlns:xsi="${XSI}"${attrs({
    ID: options.assertionId ?? generateId(),
    IssueInstant: iso(now),
    Version: options.version ?? '2.0',
  })}><saml:Issuer>${esc(options.assertionIssuer ?? options.idpEntityId)}</saml:Issuer>${subjectXml(
    options,
    now,
  )}${conditionsXml(options, now)}${authnXml(options, now, sessionIndex)}${attributesXml(
    options.attributes,
  )}</saml:Assertion>`;
}

/**
 * Builds a SAML Response as an IdP would send it, signed as asked. Every field can be set, so
 * tests can build both the valid shapes and each malformed variant (wrong issuer, audience,
 * recipient, times, status, algorithms, …).
 *
 * @param options - the content and how to sign it
 * @returns the Response XML (base64-encode it for the HTTP-POST binding)
 * @throws TypeError when signing is asked for without a key
 * @example A signed Response for a test
 * ```ts
 * const keys = await generateTestKeys();
 * const xml = await buildResponse({
 *   idpEntityId: 'https://idp.test', spEntityId: 'https://sp.test', acsUrl: 'https://sp.test/acs',
 *   now: Date.now(), inResponseTo: requestId, signingKey: keys, sign: 'both',
 *   attributes: [{ name: 'email', values: ['user@example.com'] }],
 * });
 * ```
 * @see SAML core §3.3.3 (Response), profiles §4.1.4.2
 */
export async function buildResponse(options: BuildResponseOptions): Promise<string> {
  const sign = options.sign ?? 'assertion';
  if (sign !== 'none' && !options.signingKey) {
    throw new TypeError(`buildResponse: sign "${sign}" needs options.signingKey`);
  }
  const now = options.now instanceof Date ? options.now.getTime() : options.now;
  const signOpts = options.signingKey
    ? {
        key: options.signingKey.privateKey,
        ...(options.signingKey.certificatePem && options.includeCertificate !== false
          ? { certificate: options.signingKey.certificatePem }
          : {}),
        ...(options.algorithm ? { algorithm: options.algorithm } : {}),
        ...(options.digest ? { digest: options.digest } : {}),
        ...(options.crypto ? { crypto: options.crypto } : {}),
      }
    : undefined;

  const status = options.status ?? { code: STATUS_SUCCESS };
  const includeAssertion = options.includeAssertion ?? status.code === STATUS_SUCCESS;
  let assertion = '';
  if (includeAssertion) {
    assertion = buildAssertion(options);
    if (signOpts && (sign === 'assertion' || sign === 'both')) {
      assertion = stripDeclaration(await signXml(assertion, signOpts));
    }
    if (options.encrypt) assertion = await options.encrypt(assertion);
  }
  const statusXml = `<samlp:Status><samlp:StatusCode${attrs({ Value: status.code })}>${
    status.subCode ? `<samlp:StatusCode${attrs({ Value: status.subCode })}/>` : ''
  }</samlp:StatusCode>${
    status.message !== undefined
      ? `<samlp:StatusMessage>${esc(status.message)}</samlp:StatusMessage>`
      : ''
  }</samlp:Status>`;
  const issuer =
    options.responseIssuer === undefined ? options.idpEntityId : options.responseIssuer;
  const response = `<samlp:Response xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}"${attrs({
    Destination: options.destination === undefined ? options.acsUrl : options.destination,
    ID: options.responseId ?? generateId(),
    InResponseTo: options.inResponseTo,
    IssueInstant: iso(now),
    Version: options.version ?? '2.0',
  })}>${issuer === null ? '' : `<saml:Issuer>${esc(issuer)}</saml:Issuer>`}${statusXml}${assertion}</samlp:Response>`;
  if (signOpts && (sign === 'response' || sign === 'both')) {
    return stripDeclaration(await signXml(response, signOpts));
  }
  return response;
}

function stripDeclaration(xml: string): string {
  return xml.replace(/^<\?xml[^?]*\?>\s*/, '');
}

/**
 * Encodes a Response for the HTTP-POST binding's `SAMLResponse` form field (base64 of UTF-8).
 *
 * @param xml - the Response XML
 * @returns the base64 value
 * @example
 * ```ts
 * const form = new URLSearchParams({ SAMLResponse: toPostBinding(xml) });
 * ```
 * @see SAML bindings §3.5.4
 */
export function toPostBinding(xml: string): string {
  const bytes = new TextEncoder().encode(xml);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}
