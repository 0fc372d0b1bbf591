import {
  BINDINGS,
  defineServiceProvider,
  type Endpoint,
  type ServiceProviderConfig,
} from '../config.js';
import type { SignatureAlgorithmName } from '../crypto/algorithms.js';
import { type PrivateKey, parsePem } from '../crypto/keys.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { describeValue, SamlError } from '../errors.js';
import { toBase64 } from '../lib/bytes.js';
import { generateId } from '../lib/id.js';
import { escapeXml, formatDateTime, NS, parseXml, serializeXml } from '../lib/xml.js';
import { signElement } from '../signature/sign.js';
import { parseDuration } from './duration.js';
import {
  attributeConsumingServiceXml,
  checkSirtfiContact,
  contactTypeAttributes,
  entityAttributesXml,
  type LocalizedText,
  type SpEntityAttributes,
  type SpRequestedAttribute,
  type SpUiInfo,
  uiInfoXml,
} from './sp-federation.js';

/**
 * A `md:ContactPerson` (SAML metadata §2.3.2.2). `security` is written as `other` with the REFEDS
 * security contact type (`remd:contactType`), which SIRTFI requires.
 */
export interface SpContactPerson {
  readonly contactType:
    | 'technical'
    | 'support'
    | 'administrative'
    | 'billing'
    | 'other'
    | 'security';
  readonly company?: string;
  readonly givenName?: string;
  readonly surName?: string;
  /** Addresses; `mailto:` is added when missing. */
  readonly emailAddresses?: readonly string[];
  readonly telephoneNumbers?: readonly string[];
}

/** A `md:Organization` (SAML metadata §2.3.2.1). */
export interface SpOrganization {
  readonly name: string;
  /** Human-friendly name (default: `name`). */
  readonly displayName?: string;
  readonly url: string;
  /** `xml:lang` of the three values (default `en`). */
  readonly lang?: string;
}

/**
 * XML Encryption algorithms the SP announces by default in its encryption KeyDescriptors, in
 * order of preference: AES-GCM first, then AES-CBC, and RSA-OAEP key transport.
 */
export const DEFAULT_SP_ENCRYPTION_METHODS: readonly string[] = Object.freeze([
  'http://www.w3.org/2009/xmlenc11#aes256-gcm',
  'http://www.w3.org/2009/xmlenc11#aes128-gcm',
  'http://www.w3.org/2001/04/xmlenc#aes256-cbc',
  'http://www.w3.org/2001/04/xmlenc#aes128-cbc',
  'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
]);

/** Options for {@link createSpMetadata}. */
export interface SpMetadataOptions {
  /** `WantAssertionsSigned` (default true). */
  readonly wantAssertionsSigned?: boolean;
  /**
   * `AuthnRequestsSigned` (default: `sp.signAuthnRequests`, or true when the SP has a signing
   * key).
   */
  readonly authnRequestsSigned?: boolean;
  /** `validUntil`: after this instant IdPs must not use the document. */
  readonly validUntil?: Date | number;
  /** `cacheDuration` as an xs:duration, e.g. `PT6H`: how long IdPs may cache it. */
  readonly cacheDuration?: string;
  readonly organization?: SpOrganization;
  readonly contacts?: readonly SpContactPerson[];
  /** `md:EncryptionMethod` algorithms in each encryption KeyDescriptor (default {@link DEFAULT_SP_ENCRYPTION_METHODS}; `[]` for none). */
  readonly encryptionMethods?: readonly string[];
  /** `idpdisc:DiscoveryResponse` URLs, when the SP uses a SAML discovery service. */
  readonly discoveryResponseUrls?: readonly string[];
  /** `mdui:UIInfo`: display name, description, information and privacy URLs, logos, per language. */
  readonly uiInfo?: SpUiInfo;
  /**
   * The attributes the SP asks IdPs to release, in an `md:AttributeConsumingService` (index 0,
   * default). Federations and IdPs release attributes by this list.
   */
  readonly requestedAttributes?: readonly SpRequestedAttribute[];
  /**
   * The AttributeConsumingService's `ServiceName` (default `uiInfo.displayName`, else the
   * organization's display name).
   */
  readonly serviceName?: LocalizedText;
  /** `mdattr:EntityAttributes`: entity categories (Research & Scholarship), SIRTFI, others. */
  readonly entityAttributes?: SpEntityAttributes;
  /**
   * Sign the document: `true` signs with the SP's active signing key (the one marked `active`,
   * else the first); an object names another key.
   */
  readonly sign?:
    | boolean
    | {
        readonly key: PrivateKey;
        readonly certificate?: string;
        readonly algorithm?: SignatureAlgorithmName;
      };
  /** The document's `ID` (default: a fresh one when signing, none otherwise). */
  readonly id?: string;
  readonly crypto?: CryptoProvider;
}

function configError(what: string, expected: string, found: string): SamlError {
  return new SamlError('CONFIG_INVALID', `The SP metadata has an invalid ${what}.`, {
    expected,
    found,
    hint: `fix ${what} in the samlkit configuration`,
  });
}

function certificateBase64(pem: string, what: string): string {
  const block = parsePem(pem).find((b) => b.label === 'CERTIFICATE');
  if (!block) {
    throw configError(
      what,
      'a PEM certificate (-----BEGIN CERTIFICATE-----)',
      describeValue(pem.slice(0, 40)),
    );
  }
  return toBase64(block.der);
}

function keyDescriptor(
  use: 'signing' | 'encryption',
  pem: string,
  methods: readonly string[],
  what: string,
): string {
  const em = methods.map((m) => `<md:EncryptionMethod Algorithm="${escapeXml(m)}"/>`).join('');
  return (
    `<md:KeyDescriptor use="${use}"><ds:KeyInfo xmlns:ds="${NS.ds}"><ds:X509Data><ds:X509Certificate>` +
    `${certificateBase64(pem, what)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>${use === 'encryption' ? em : ''}</md:KeyDescriptor>`
  );
}

function endpointXml(name: string, e: Endpoint, index?: number): string {
  let a = `Binding="${BINDINGS[e.binding]}" Location="${escapeXml(e.location)}"`;
  if (e.responseLocation !== undefined && index === undefined)
    a += ` ResponseLocation="${escapeXml(e.responseLocation)}"`;
  if (index !== undefined) a += ` index="${index}"`;
  if (index !== undefined && e.isDefault) a += ' isDefault="true"';
  return `<md:${name} ${a}/>`;
}

function acsIndexes(list: readonly Endpoint[]): number[] {
  const indexes = list.map((e, i) => e.index ?? i);
  for (const [i, n] of indexes.entries()) {
    if (!Number.isInteger(n) || n < 0 || n > 65535)
      throw configError(`assertionConsumerServices[${i}].index`, 'an integer 0–65535', String(n));
    if (indexes.indexOf(n) !== i)
      throw configError(
        'assertionConsumerServices index',
        'unique indexes (SAML metadata §2.2.3)',
        `index ${n} twice`,
      );
  }
  if (list.filter((e) => e.isDefault).length > 1)
    throw configError('assertionConsumerServices', 'at most one isDefault endpoint', 'several');
  return indexes;
}

/**
 * Builds the SP's SAML 2.0 metadata: an `EntityDescriptor` with an `SPSSODescriptor` that
 * announces `AuthnRequestsSigned`, `WantAssertionsSigned`, every signing and encryption
 * certificate (several, so the next key can be announced before it is used), the SingleLogout
 * endpoints, NameID formats and the AssertionConsumerService endpoints with `index`/`isDefault`,
 * optionally an Organization, contacts, `validUntil`/`cacheDuration`, and a signature.
 *
 * This is the document to give to the IdP administrator (or to serve at the metadata URL, which
 * is usually also the SP entity ID).
 *
 * @param sp - the SP configuration
 * @param options - flags, validity, organization/contacts, signing
 * @returns the metadata XML
 * @throws SamlError `CONFIG_INVALID` for an unusable configuration (certificate, index, duration),
 *   `SIGNATURE_*` when signing fails
 *
 * @example Serving SP metadata
 * ```ts
 * const xml = await createSpMetadata(sp, { cacheDuration: 'PT6H', sign: true });
 * return new Response(xml, { headers: { 'content-type': 'application/samlmetadata+xml' } });
 * ```
 *
 * @see SAML 2.0 metadata §2.3.2 (EntityDescriptor), §2.4.4 (SPSSODescriptor), §2.4.1.1
 *   (KeyDescriptor); SAML metadata interoperability profile (key rollover)
 */
export async function createSpMetadata(
  sp: ServiceProviderConfig,
  options: SpMetadataOptions = {},
): Promise<string> {
  const config = defineServiceProvider(sp);
  const signingKeys = config.signingKeys ?? [];
  const decryptionKeys = config.decryptionKeys ?? [];
  const methods = options.encryptionMethods ?? DEFAULT_SP_ENCRYPTION_METHODS;
  const authnRequestsSigned =
    options.authnRequestsSigned ?? config.signAuthnRequests ?? signingKeys.length > 0;
  const wantAssertionsSigned = options.wantAssertionsSigned ?? true;

  let signer:
    | { key: PrivateKey; certificate?: string; algorithm?: SignatureAlgorithmName }
    | undefined;
  if (options.sign === true) {
    const active = signingKeys.find((k) => k.active) ?? signingKeys[0];
    if (!active)
      throw configError('signing key', 'a signing key to sign the metadata with', 'none');
    signer = {
      key: active.privateKey,
      certificate: active.certificate,
      ...(config.signatureAlgorithm ? { algorithm: config.signatureAlgorithm } : {}),
    };
  } else if (options.sign) {
    signer = options.sign;
  }
  const id = options.id ?? (signer ? generateId(options.crypto) : undefined);

  let rootAttrs = `xmlns:md="${NS.md}" entityID="${escapeXml(config.entityId)}"`;
  if (id !== undefined) rootAttrs += ` ID="${escapeXml(id)}"`;
  if (options.validUntil !== undefined) {
    const t =
      options.validUntil instanceof Date ? options.validUntil.getTime() : options.validUntil;
    if (!Number.isFinite(t))
      throw configError('validUntil', 'a Date or epoch milliseconds', String(t));
    rootAttrs += ` validUntil="${formatDateTime(t)}"`;
  }
  if (options.cacheDuration !== undefined) {
    try {
      parseDuration(options.cacheDuration);
    } catch {
      throw configError(
        'cacheDuration',
        'an xs:duration such as PT6H',
        describeValue(options.cacheDuration),
      );
    }
    rootAttrs += ` cacheDuration="${escapeXml(options.cacheDuration.trim())}"`;
  }

  const parts: string[] = [];
  // RoleDescriptorType (metadata §2.4.1): Extensions first: mdui:UIInfo (mdui §2.1 puts it in the
  // role's Extensions) and idpdisc:DiscoveryResponse (IdP Discovery profile §2.4.1).
  const roleExtensions =
    uiInfoXml(options.uiInfo) +
    (options.discoveryResponseUrls ?? [])
      .map(
        (u, i) =>
          `<idpdisc:DiscoveryResponse xmlns:idpdisc="${NS.idpdisc}" Binding="${NS.idpdisc}" Location="${escapeXml(u)}" index="${i}"/>`,
      )
      .join('');
  if (roleExtensions !== '') parts.push(`<md:Extensions>${roleExtensions}</md:Extensions>`);
  for (const [i, k] of signingKeys.entries())
    parts.push(keyDescriptor('signing', k.certificate, methods, `signingKeys[${i}].certificate`));
  for (const [i, k] of decryptionKeys.entries())
    parts.push(
      keyDescriptor('encryption', k.certificate, methods, `decryptionKeys[${i}].certificate`),
    );
  // SSODescriptorType order (metadata §2.4.2): ArtifactResolutionService*, SingleLogoutService*,
  // ManageNameIDService*, NameIDFormat*; then SPSSODescriptor's AssertionConsumerService+.
  for (const e of config.singleLogoutServices ?? [])
    parts.push(endpointXml('SingleLogoutService', e));
  for (const f of config.nameIdFormats ?? [])
    parts.push(`<md:NameIDFormat>${escapeXml(f)}</md:NameIDFormat>`);
  const indexes = acsIndexes(config.assertionConsumerServices);
  for (const [i, e] of config.assertionConsumerServices.entries())
    parts.push(endpointXml('AssertionConsumerService', e, indexes[i]));
  // SPSSODescriptorType (metadata §2.4.4): AttributeConsumingService* after the ACS endpoints.
  const org = options.organization;
  const serviceName =
    options.serviceName ??
    options.uiInfo?.displayName ??
    (org ? { [org.lang ?? 'en']: org.displayName ?? org.name } : undefined);
  parts.push(attributeConsumingServiceXml(options.requestedAttributes, serviceName));
  checkSirtfiContact(options.entityAttributes, options.contacts ?? []);

  const descriptor =
    `<md:SPSSODescriptor protocolSupportEnumeration="${NS.samlp}" AuthnRequestsSigned="${authnRequestsSigned}" ` +
    `WantAssertionsSigned="${wantAssertionsSigned}">${parts.join('')}</md:SPSSODescriptor>`;

  let tail = '';
  if (org) {
    const lang = escapeXml(org.lang ?? 'en');
    tail +=
      `<md:Organization><md:OrganizationName xml:lang="${lang}">${escapeXml(org.name)}</md:OrganizationName>` +
      `<md:OrganizationDisplayName xml:lang="${lang}">${escapeXml(org.displayName ?? org.name)}</md:OrganizationDisplayName>` +
      `<md:OrganizationURL xml:lang="${lang}">${escapeXml(org.url)}</md:OrganizationURL></md:Organization>`;
  }
  for (const c of options.contacts ?? []) {
    let body = '';
    if (c.company) body += `<md:Company>${escapeXml(c.company)}</md:Company>`;
    if (c.givenName) body += `<md:GivenName>${escapeXml(c.givenName)}</md:GivenName>`;
    if (c.surName) body += `<md:SurName>${escapeXml(c.surName)}</md:SurName>`;
    for (const m of c.emailAddresses ?? [])
      body += `<md:EmailAddress>${escapeXml(m.startsWith('mailto:') ? m : `mailto:${m}`)}</md:EmailAddress>`;
    for (const t of c.telephoneNumbers ?? [])
      body += `<md:TelephoneNumber>${escapeXml(t)}</md:TelephoneNumber>`;
    tail += `<md:ContactPerson ${contactTypeAttributes(c.contactType)}>${body}</md:ContactPerson>`;
  }

  // EntityDescriptorType (metadata §2.3.2): Signature?, Extensions?, then the role descriptors.
  const entityAttributes = entityAttributesXml(options.entityAttributes);
  const head = entityAttributes === '' ? '' : `<md:Extensions>${entityAttributes}</md:Extensions>`;
  const xml = `<md:EntityDescriptor ${rootAttrs}>${head}${descriptor}${tail}</md:EntityDescriptor>`;
  if (!signer) return `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
  const doc = parseXml(xml);
  // No saml:Issuer in an EntityDescriptor: the signature goes first (metadata schema §2.3.2).
  await signElement(doc.documentElement, {
    key: signer.key,
    ...(signer.certificate ? { certificate: signer.certificate } : {}),
    ...(signer.algorithm ? { algorithm: signer.algorithm } : {}),
    ...(options.crypto ? { crypto: options.crypto } : {}),
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n${serializeXml(doc)}`;
}
