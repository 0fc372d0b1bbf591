// A synthetic federation aggregate (SAML metadata §2.3.1 EntitiesDescriptor) shaped like eduGAIN's:
// IdPs and SPs with mdui:UIInfo, shibmd:Scope, mdrpi:RegistrationInfo, mdattr:EntityAttributes
// (entity categories, SIRTFI, hide-from-discovery), X.509 certificates, organisation and contacts,
// signed by a federation key.
//
// The document is written in its exclusive canonical form (exc-c14n §3, Canonical XML 1.0 §2.3):
// every namespace declared on the first element that uses it, attributes in canonical order,
// no empty-element tags, text and attribute values escaped as c14n writes them. The canonical form
// of the root minus its ds:Signature is then the text itself minus the Signature, so a document
// of any size is signed without building a DOM (which for 15,000 entities costs gigabytes).

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const MDUI = 'urn:oasis:names:tc:SAML:metadata:ui';
const MDRPI = 'urn:oasis:names:tc:SAML:metadata:rpi';
const MDATTR = 'urn:oasis:names:tc:SAML:metadata:attribute';
const SHIBMD = 'urn:mace:shibboleth:metadata:1.0';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
const URI_FORMAT = 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const SOAP = 'urn:oasis:names:tc:SAML:2.0:bindings:SOAP';

/** Entity category and assurance values federations publish (REFEDS). */
export const AGGREGATE_CATEGORIES: {
  readonly researchAndScholarship: string;
  readonly hideFromDiscovery: string;
  readonly sirtfi: string;
} = Object.freeze({
  researchAndScholarship: 'http://refeds.org/category/research-and-scholarship',
  hideFromDiscovery: 'http://refeds.org/category/hide-from-discovery',
  sirtfi: 'https://refeds.org/sirtfi',
});

/** The registration authorities the generated entities are spread over. */
export const AGGREGATE_AUTHORITIES: readonly string[] = Object.freeze([
  'https://incommon.org',
  'http://ukfederation.org.uk',
  'https://www.aai.dfn.de',
  'http://www.swamid.se/',
  'https://www.surf.nl/',
  'https://federation.renater.fr/',
  'http://www.idem.garr.it/',
  'https://www.switch.ch/aai/',
  'http://aaf.edu.au/',
  'https://www.rediris.es/sir/',
]);

/** Options of {@link buildAggregate}. */
export interface BuildAggregateOptions {
  /** How many EntityDescriptors. */
  readonly entities: number;
  /** One entity in this many is an IdP, the others SPs. Default 3 (eduGAIN has ~1 IdP per 2 SPs). */
  readonly idpEvery?: number;
  /** One IdP in this many carries the hide-from-discovery category. Default 20. */
  readonly hiddenEvery?: number;
  /** The federation's signing key: PKCS#8 PEM private key (RSA) and its certificate. */
  readonly signingKey: { readonly privateKeyPem: string; readonly certificatePem: string };
  /** PEM certificates the entities' KeyDescriptors use, round robin (real X.509 certificates). */
  readonly certificates: readonly string[];
  /** Publication instant (epoch ms); validUntil is 14 days later. */
  readonly now: number;
  /** The aggregate's Name. Default `https://fed.example.org/metadata`. */
  readonly name?: string;
  /** The WebCrypto implementation. Default `globalThis.crypto`. */
  readonly crypto?: Crypto;
  /**
   * IdPs with real endpoints and keys (test IdP servers), written after the generated entities
   * in the same shape: a login through the aggregate can then be completed by them.
   */
  readonly idps?: readonly AggregateTestIdp[];
}

/** An IdP of {@link BuildAggregateOptions.idps}: one a test can log in through. */
export interface AggregateTestIdp {
  readonly entityId: string;
  /** The English mdui:DisplayName. */
  readonly displayName: string;
  /** mdui:Keywords (space-separated). */
  readonly keywords?: string;
  /** The shibmd:Scope and mdui:DomainHint. */
  readonly scope: string;
  /** The PEM certificate its Responses are signed with. */
  readonly signingCertificatePem: string;
  /** The HTTP-Redirect SingleSignOnService location. */
  readonly ssoRedirect: string;
  /** The HTTP-POST SingleSignOnService location, when it has one. */
  readonly ssoPost?: string;
}

/** One generated entity, as the generator made it (what a test expects a loader to read). */
export interface AggregateEntity {
  readonly entityId: string;
  readonly role: 'idp' | 'sp';
  readonly registrationAuthority: string;
  readonly categories: readonly string[];
  readonly hidden: boolean;
  /** IdPs: the shibmd:Scope value. */
  readonly scope?: string;
  /** IdPs: the HTTP-Redirect SingleSignOnService location. */
  readonly ssoRedirect?: string;
  readonly displayName: string;
}

/** What {@link buildAggregate} returns. */
export interface BuiltAggregate {
  /** The signed document. */
  readonly xml: string;
  /** The root's ID (the Reference URI is `#` + this). */
  readonly id: string;
  readonly validUntil: number;
  readonly entities: readonly AggregateEntity[];
}

function escapeText(v: string): string {
  // Canonical XML 1.0 §2.3: & < > escaped in text.
  return v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttr(v: string): string {
  // Canonical XML 1.0 §2.3: & < " escaped in attribute values (and tab/CR/LF, never generated).
  return v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
}

function pemBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/[\r\n\t ]/g, '');
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

function derOfPem(pem: string): Uint8Array {
  const b = atob(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''));
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = b.charCodeAt(i);
  return out;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const LANGS = ['en', 'de', 'fr', 'sv', 'nl', 'it', 'es'];
const WORDS = [
  'University',
  'Institute',
  'College',
  'Technical',
  'Research',
  'Library',
  'Medical',
  'School',
  'Academy',
  'Observatory',
];

function keyDescriptor(use: 'signing' | 'encryption', cert: string): string {
  return `<md:KeyDescriptor use="${use}"><ds:KeyInfo xmlns:ds="${DS}"><ds:X509Data><ds:X509Certificate>${cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;
}

function entityAttributes(categories: readonly string[], sirtfi: boolean): string {
  if (categories.length === 0 && !sirtfi) return '';
  let out = `<mdattr:EntityAttributes xmlns:mdattr="${MDATTR}">`;
  if (categories.length > 0) {
    out += `<saml:Attribute xmlns:saml="${SAML}" Name="http://macedir.org/entity-category" NameFormat="${URI_FORMAT}">`;
    for (const c of categories)
      out += `<saml:AttributeValue>${escapeText(c)}</saml:AttributeValue>`;
    out += '</saml:Attribute>';
  }
  if (sirtfi) {
    out += `<saml:Attribute xmlns:saml="${SAML}" Name="urn:oasis:names:tc:SAML:attribute:assurance-certification" NameFormat="${URI_FORMAT}"><saml:AttributeValue>${AGGREGATE_CATEGORIES.sirtfi}</saml:AttributeValue></saml:Attribute>`;
  }
  return `${out}</mdattr:EntityAttributes>`;
}

function uiInfo(name: string, lang2: string, host: string, i: number): string {
  return (
    `<mdui:UIInfo xmlns:mdui="${MDUI}">` +
    `<mdui:DisplayName xml:lang="en">${escapeText(name)}</mdui:DisplayName>` +
    `<mdui:DisplayName xml:lang="${lang2}">${escapeText(name)} (${lang2})</mdui:DisplayName>` +
    `<mdui:Description xml:lang="en">${escapeText(`${name}: identity and access services for staff & students, entity ${i}.`)}</mdui:Description>` +
    `<mdui:Keywords xml:lang="en">university research education library campus-${i % 97}</mdui:Keywords>` +
    `<mdui:InformationURL xml:lang="en">https://${host}/about</mdui:InformationURL>` +
    `<mdui:PrivacyStatementURL xml:lang="en">https://${host}/privacy?lang=en&amp;v=2</mdui:PrivacyStatementURL>` +
    `<mdui:Logo height="80" width="80">https://${host}/logo-80.png</mdui:Logo>` +
    '</mdui:UIInfo>'
  );
}

/** mdui §2.2.2: the domain an IdP's users have addresses in. */
function discoHints(domain: string): string {
  return `<mdui:DiscoHints xmlns:mdui="${MDUI}"><mdui:DomainHint>${escapeText(domain)}</mdui:DomainHint></mdui:DiscoHints>`;
}

/** One IdP of {@link BuildAggregateOptions.idps}, canonical as the generated ones. */
function testIdp(idp: AggregateTestIdp, authority: string, now: number): string {
  const cert = pemBody(idp.signingCertificatePem);
  const keywords = idp.keywords ?? 'test';
  return (
    `<md:EntityDescriptor entityID="${escapeAttr(idp.entityId)}"><md:Extensions>` +
    `<mdrpi:RegistrationInfo xmlns:mdrpi="${MDRPI}" registrationAuthority="${authority}" registrationInstant="${iso(now)}"></mdrpi:RegistrationInfo></md:Extensions>` +
    `<md:IDPSSODescriptor protocolSupportEnumeration="${PROTOCOL}">` +
    `<md:Extensions><shibmd:Scope xmlns:shibmd="${SHIBMD}" regexp="false">${escapeText(idp.scope)}</shibmd:Scope>` +
    `<mdui:UIInfo xmlns:mdui="${MDUI}"><mdui:DisplayName xml:lang="en">${escapeText(idp.displayName)}</mdui:DisplayName>` +
    `<mdui:Keywords xml:lang="en">${escapeText(keywords)}</mdui:Keywords></mdui:UIInfo>${discoHints(idp.scope)}</md:Extensions>` +
    keyDescriptor('signing', cert) +
    (idp.ssoPost !== undefined
      ? `<md:SingleSignOnService Binding="${POST}" Location="${escapeAttr(idp.ssoPost)}"></md:SingleSignOnService>`
      : '') +
    `<md:SingleSignOnService Binding="${REDIRECT}" Location="${escapeAttr(idp.ssoRedirect)}"></md:SingleSignOnService>` +
    '</md:IDPSSODescriptor></md:EntityDescriptor>'
  );
}

function organization(name: string, host: string): string {
  return (
    `<md:Organization><md:OrganizationName xml:lang="en">${escapeText(name)}</md:OrganizationName>` +
    `<md:OrganizationDisplayName xml:lang="en">${escapeText(name)}</md:OrganizationDisplayName>` +
    `<md:OrganizationURL xml:lang="en">https://${host}/</md:OrganizationURL></md:Organization>` +
    `<md:ContactPerson contactType="technical"><md:GivenName>IT Service Desk</md:GivenName><md:EmailAddress>mailto:saml-admin@${host}</md:EmailAddress></md:ContactPerson>` +
    `<md:ContactPerson contactType="support"><md:GivenName>Help Desk</md:GivenName><md:EmailAddress>mailto:help@${host}</md:EmailAddress></md:ContactPerson>`
  );
}

/**
 * Builds and signs a synthetic aggregate of `options.entities` entities (RSA-SHA256, exclusive
 * c14n, enveloped signature on the root EntitiesDescriptor, as federations sign).
 *
 * @param options - size, keys and clock
 * @returns the signed XML and what each entity was generated with
 * @see SAML metadata §2.3.1; SAML metadata-ui, metadata-rpi, metadata-attr; exc-c14n §3
 */
export async function buildAggregate(options: BuildAggregateOptions): Promise<BuiltAggregate> {
  const crypto = options.crypto ?? globalThis.crypto;
  const idpEvery = options.idpEvery ?? 3;
  const hiddenEvery = options.hiddenEvery ?? 20;
  const certs = options.certificates.map(pemBody);
  if (certs.length === 0) throw new Error('buildAggregate: give at least one certificate');
  const validUntil = options.now + 14 * 24 * 3600 * 1000;
  const id = `_fed${options.now.toString(36)}`;
  const name = options.name ?? 'https://fed.example.org/metadata';

  const entities: AggregateEntity[] = [];
  const parts: string[] = [];
  let idps = 0;
  for (let i = 0; i < options.entities; i++) {
    const authority = AGGREGATE_AUTHORITIES[i % AGGREGATE_AUTHORITIES.length]!;
    const lang2 = LANGS[(i >> 1) % LANGS.length]!;
    const cert1 = certs[i % certs.length]!;
    const cert2 = certs[(i * 7 + 3) % certs.length]!;
    const isIdp = i % idpEvery === 0;
    const categories: string[] = [];
    let hidden = false;
    if (i % 5 === 0) categories.push(AGGREGATE_CATEGORIES.researchAndScholarship);
    if (isIdp) {
      hidden = idps % hiddenEvery === hiddenEvery - 1;
      if (hidden) categories.push(AGGREGATE_CATEGORIES.hideFromDiscovery);
      idps++;
    }
    const sirtfi = i % 4 === 1;
    const registration =
      `<mdrpi:RegistrationInfo xmlns:mdrpi="${MDRPI}" registrationAuthority="${authority}" registrationInstant="${iso(options.now - (i % 3000) * 86_400_000)}">` +
      `<mdrpi:RegistrationPolicy xml:lang="en">${authority}policy</mdrpi:RegistrationPolicy></mdrpi:RegistrationInfo>`;
    const extensions = `<md:Extensions>${registration}${entityAttributes(categories, sirtfi)}</md:Extensions>`;
    if (isIdp) {
      const host = `idp.inst${i}.example.org`;
      const scope = `inst${i}.example.org`;
      const entityId = `https://${host}/idp/shibboleth`;
      const displayName = `${WORDS[i % WORDS.length]} of Example ${i}`;
      const sso = `https://${host}/idp/profile/SAML2/Redirect/SSO`;
      parts.push(
        `<md:EntityDescriptor entityID="${escapeAttr(entityId)}">${extensions}` +
          `<md:IDPSSODescriptor protocolSupportEnumeration="${PROTOCOL}">` +
          `<md:Extensions><shibmd:Scope xmlns:shibmd="${SHIBMD}" regexp="false">${scope}</shibmd:Scope>${uiInfo(displayName, lang2, host, i)}${discoHints(scope)}</md:Extensions>` +
          keyDescriptor('signing', cert1) +
          keyDescriptor('encryption', cert2) +
          `<md:ArtifactResolutionService Binding="${SOAP}" Location="https://${host}:8443/idp/profile/SAML2/SOAP/ArtifactResolution" index="1"></md:ArtifactResolutionService>` +
          `<md:SingleLogoutService Binding="${REDIRECT}" Location="https://${host}/idp/profile/SAML2/Redirect/SLO"></md:SingleLogoutService>` +
          '<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>' +
          '<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>' +
          `<md:SingleSignOnService Binding="${POST}" Location="https://${host}/idp/profile/SAML2/POST/SSO"></md:SingleSignOnService>` +
          `<md:SingleSignOnService Binding="${REDIRECT}" Location="${sso}"></md:SingleSignOnService>` +
          '</md:IDPSSODescriptor>' +
          organization(displayName, `inst${i}.example.org`) +
          '</md:EntityDescriptor>',
      );
      entities.push({
        entityId,
        role: 'idp',
        registrationAuthority: authority,
        categories,
        hidden,
        scope,
        ssoRedirect: sso,
        displayName,
      });
    } else {
      const host = `sp${i}.service.example.com`;
      const entityId = `https://${host}/shibboleth`;
      const displayName = `Research Service ${i}`;
      parts.push(
        `<md:EntityDescriptor entityID="${escapeAttr(entityId)}">${extensions}` +
          `<md:SPSSODescriptor protocolSupportEnumeration="${PROTOCOL}">` +
          `<md:Extensions>${uiInfo(displayName, lang2, host, i)}</md:Extensions>` +
          keyDescriptor('signing', cert1) +
          `<md:SingleLogoutService Binding="${REDIRECT}" Location="https://${host}/Shibboleth.sso/SLO/Redirect"></md:SingleLogoutService>` +
          `<md:AssertionConsumerService Binding="${POST}" Location="https://${host}/Shibboleth.sso/SAML2/POST" index="1"></md:AssertionConsumerService>` +
          '</md:SPSSODescriptor>' +
          organization(displayName, host) +
          '</md:EntityDescriptor>',
      );
      entities.push({
        entityId,
        role: 'sp',
        registrationAuthority: authority,
        categories,
        hidden: false,
        displayName,
      });
    }
  }

  for (const [k, idp] of (options.idps ?? []).entries()) {
    const authority = AGGREGATE_AUTHORITIES[k % AGGREGATE_AUTHORITIES.length]!;
    parts.push(testIdp(idp, authority, options.now));
    entities.push({
      entityId: idp.entityId,
      role: 'idp',
      registrationAuthority: authority,
      categories: [],
      hidden: false,
      scope: idp.scope,
      ssoRedirect: idp.ssoRedirect,
      displayName: idp.displayName,
    });
  }

  // Canonical XML 1.0 §2.3: namespace declarations first, then attributes by (namespace URI,
  // local name); unqualified attributes have no namespace URI, so they come first, by name.
  const open = `<md:EntitiesDescriptor xmlns:md="${MD}" ID="${id}" Name="${escapeAttr(name)}" validUntil="${iso(validUntil)}">`;
  const head = `\n<md:Extensions><mdrpi:PublicationInfo xmlns:mdrpi="${MDRPI}" creationInstant="${iso(options.now)}" publisher="${escapeAttr(name)}"></mdrpi:PublicationInfo></md:Extensions>\n`;
  const body = `${head}${parts.join('\n')}\n`;
  const close = '</md:EntitiesDescriptor>';

  // XML-DSig §4.3.3.2 with the enveloped-signature transform: the digest is over the canonical
  // root without its Signature, which is this text without the Signature.
  const encoder = new TextEncoder();
  const digest = base64(
    new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(open + body + close))),
  );
  const signedInfoContent =
    `<ds:CanonicalizationMethod Algorithm="${EXC_C14N}"></ds:CanonicalizationMethod>` +
    `<ds:SignatureMethod Algorithm="${RSA_SHA256}"></ds:SignatureMethod>` +
    `<ds:Reference URI="#${id}"><ds:Transforms><ds:Transform Algorithm="${ENVELOPED}"></ds:Transform><ds:Transform Algorithm="${EXC_C14N}"></ds:Transform></ds:Transforms>` +
    `<ds:DigestMethod Algorithm="${SHA256}"></ds:DigestMethod><ds:DigestValue>${digest}</ds:DigestValue></ds:Reference>`;
  // exc-c14n §3: SignedInfo canonicalized alone renders the ds declaration it uses on itself.
  const canonicalSignedInfo = `<ds:SignedInfo xmlns:ds="${DS}">${signedInfoContent}</ds:SignedInfo>`;
  const key = await crypto.subtle.importKey(
    'pkcs8',
    derOfPem(options.signingKey.privateKeyPem) as BufferSource,
    { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const signatureValue = base64(
    new Uint8Array(
      await crypto.subtle.sign('RSASSA-PKCS1-v1_5', key, encoder.encode(canonicalSignedInfo)),
    ),
  );
  const signature =
    `<ds:Signature xmlns:ds="${DS}"><ds:SignedInfo>${signedInfoContent}</ds:SignedInfo>` +
    `<ds:SignatureValue>${signatureValue}</ds:SignatureValue>` +
    `<ds:KeyInfo><ds:X509Data><ds:X509Certificate>${pemBody(options.signingKey.certificatePem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>`;
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n${open}${signature}${body}${close}\n`;
  return { xml, id, validUntil, entities };
}
