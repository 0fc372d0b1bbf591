// What research and education federations (InCommon, eduGAIN and the national federations under
// it) need in an SP's metadata to register it: mdui:UIInfo, an AttributeConsumingService with the
// attributes the SP requests, entity attributes (REFEDS entity categories, SIRTFI) and a REFEDS
// security contact. createSpMetadata (metadata/sp.ts) places these fragments.
import { describeValue, SamlError } from '../errors.js';
import { escapeXml } from '../lib/xml.js';

/** SAML V2.0 Metadata Extensions for Login and Discovery User Interface (mdui) namespace. */
const MDUI = 'urn:oasis:names:tc:SAML:metadata:ui';
/** SAML V2.0 Metadata Extension for Entity Attributes namespace. */
const MDATTR = 'urn:oasis:names:tc:SAML:metadata:attribute';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
/** REFEDS Security Contact Metadata Extension namespace. */
const REMD = 'http://refeds.org/metadata';
/** The `remd:contactType` of a security contact (REFEDS Security Contact Metadata Extension §2). */
export const REFEDS_SECURITY_CONTACT: string = 'http://refeds.org/metadata/contactType/security';
/** The attribute NameFormat for URI names (SAML core §8.2.2). */
export const ATTRNAME_FORMAT_URI: string = 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri';
/** The entity attribute that carries entity categories (REFEDS Entity Category, macedir). */
export const ENTITY_CATEGORY_ATTRIBUTE: string = 'http://macedir.org/entity-category';
/** The entity attribute that carries assurance certifications (SAML V2.0 Identity Assurance Profiles §2.1). */
export const ASSURANCE_CERTIFICATION_ATTRIBUTE: string =
  'urn:oasis:names:tc:SAML:attribute:assurance-certification';
/** The REFEDS Research and Scholarship entity category. */
export const RESEARCH_AND_SCHOLARSHIP: string =
  'http://refeds.org/category/research-and-scholarship';
/** The SIRTFI assurance certification (Security Incident Response Trust Framework). */
export const SIRTFI: string = 'https://refeds.org/sirtfi';

/**
 * A text in one or several languages: a string (English, `xml:lang="en"`) or language tag → text
 * (`{ en: 'Library', de: 'Bibliothek' }`).
 */
export type LocalizedText = string | Readonly<Record<string, string>>;

/** An `mdui:Logo` (mdui §2.1.6): an image URL (https or data:) with its size in pixels. */
export interface SpLogo {
  readonly url: string;
  readonly width: number;
  readonly height: number;
  /** `xml:lang` when the logo is for one language only. */
  readonly lang?: string;
}

/**
 * `mdui:UIInfo` (SAML V2.0 Metadata Extensions for Login and Discovery User Interface §2.1): how
 * IdPs and discovery services show the SP to the user (consent screens, "you are logging in to…").
 */
export interface SpUiInfo {
  readonly displayName?: LocalizedText;
  readonly description?: LocalizedText;
  /** A page about the service. */
  readonly informationUrl?: LocalizedText;
  /** The service's privacy statement (federations require one to release personal data). */
  readonly privacyStatementUrl?: LocalizedText;
  readonly logos?: readonly SpLogo[];
}

/** A `md:RequestedAttribute` (SAML metadata §2.4.4.2): an attribute the SP asks IdPs to release. */
export interface SpRequestedAttribute {
  /** The attribute's Name, e.g. `urn:oid:1.3.6.1.4.1.5923.1.1.1.6` (eduPersonPrincipalName). */
  readonly name: string;
  /** `NameFormat` (default {@link ATTRNAME_FORMAT_URI}). */
  readonly nameFormat?: string;
  /** `FriendlyName`, e.g. `eduPersonPrincipalName`. */
  readonly friendlyName?: string;
  /** `isRequired`: the service cannot work without it (default false, left out). */
  readonly isRequired?: boolean;
}

/**
 * `mdattr:EntityAttributes` of the SP (SAML V2.0 Metadata Extension for Entity Attributes):
 * entity categories and assurance certifications a federation registers the SP under.
 */
export interface SpEntityAttributes {
  /** Values of `http://macedir.org/entity-category`, e.g. {@link RESEARCH_AND_SCHOLARSHIP}. */
  readonly entityCategories?: readonly string[];
  /**
   * Values of `urn:oasis:names:tc:SAML:attribute:assurance-certification`, e.g. {@link SIRTFI}.
   * SIRTFI requires a `security` contact among the metadata's contacts.
   */
  readonly assuranceCertifications?: readonly string[];
  /** Other entity attributes: Name (URI format) → values. */
  readonly other?: Readonly<Record<string, readonly string[]>>;
}

/** @internal */
export function federationConfigError(what: string, expected: string, found: string): SamlError {
  return new SamlError('CONFIG_INVALID', `The SP metadata has an invalid ${what}.`, {
    expected,
    found,
    hint: `fix ${what} in the samlkit configuration (docs/federation.md, "SP metadata for a federation")`,
  });
}

// xs:language (XML Schema part 2 §3.3.3): the lexical space of RFC 3066 tags.
const LANGUAGE = /^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$/;

function nonEmpty(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw federationConfigError(
      what,
      'a non-empty string',
      typeof value === 'string' ? describeValue(value) : typeof value,
    );
  }
  return value;
}

function absoluteUrl(value: unknown, what: string): string {
  const text = nonEmpty(value, what);
  // mdui §2.1.6-§2.1.8: the values are xs:anyURI meant for browsers: absolute http(s) or data:.
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || !['https:', 'http:', 'data:'].includes(url.protocol)) {
    throw federationConfigError(
      what,
      'an absolute https:, http: or data: URL',
      describeValue(text),
    );
  }
  return text;
}

function localized(
  value: LocalizedText,
  what: string,
  check: (text: unknown, what: string) => string,
): Array<[lang: string, text: string]> {
  const entries: Array<[string, unknown]> =
    typeof value === 'string' ? [['en', value]] : Object.entries(value ?? {});
  if (entries.length === 0) {
    throw federationConfigError(what, 'a text, or language → text', 'no text');
  }
  return entries.map(([lang, text]) => {
    if (!LANGUAGE.test(lang))
      throw federationConfigError(
        `${what} language`,
        'a language tag such as en or de-CH',
        describeValue(lang),
      );
    return [lang, check(text, `${what}.${lang}`)];
  });
}

function localizedElements(
  prefix: string,
  name: string,
  value: LocalizedText | undefined,
  what: string,
  check: (text: unknown, what: string) => string = nonEmpty,
): string {
  if (value === undefined) return '';
  return localized(value, what, check)
    .map(
      ([lang, text]) =>
        `<${prefix}:${name} xml:lang="${escapeXml(lang)}">${escapeXml(text)}</${prefix}:${name}>`,
    )
    .join('');
}

/**
 * The `mdui:UIInfo` element, or `''` when nothing is given.
 * @throws SamlError `CONFIG_INVALID`
 * @internal
 */
export function uiInfoXml(ui: SpUiInfo | undefined): string {
  if (ui === undefined) return '';
  // mdui §2.1: UIInfo is a choice of its children in any order; this is the customary one.
  let body =
    localizedElements('mdui', 'DisplayName', ui.displayName, 'uiInfo.displayName') +
    localizedElements('mdui', 'Description', ui.description, 'uiInfo.description');
  for (const [i, logo] of (ui.logos ?? []).entries()) {
    const what = `uiInfo.logos[${i}]`;
    for (const side of ['width', 'height'] as const) {
      // mdui §2.1.6: height and width are required positive integers (pixels).
      const n = logo?.[side];
      if (!Number.isInteger(n) || n < 1 || n > 65535)
        throw federationConfigError(
          `${what}.${side}`,
          'a positive whole number of pixels',
          String(n),
        );
    }
    if (logo.lang !== undefined && !LANGUAGE.test(logo.lang))
      throw federationConfigError(
        `${what}.lang`,
        'a language tag such as en',
        describeValue(logo.lang),
      );
    body +=
      `<mdui:Logo height="${logo.height}" width="${logo.width}"${logo.lang !== undefined ? ` xml:lang="${escapeXml(logo.lang)}"` : ''}>` +
      `${escapeXml(absoluteUrl(logo.url, `${what}.url`))}</mdui:Logo>`;
  }
  body +=
    localizedElements(
      'mdui',
      'InformationURL',
      ui.informationUrl,
      'uiInfo.informationUrl',
      absoluteUrl,
    ) +
    localizedElements(
      'mdui',
      'PrivacyStatementURL',
      ui.privacyStatementUrl,
      'uiInfo.privacyStatementUrl',
      absoluteUrl,
    );
  return body === '' ? '' : `<mdui:UIInfo xmlns:mdui="${MDUI}">${body}</mdui:UIInfo>`;
}

/**
 * The `md:AttributeConsumingService` element (index 0, default), or `''` without requested
 * attributes.
 * @throws SamlError `CONFIG_INVALID`
 * @internal
 */
export function attributeConsumingServiceXml(
  requested: readonly SpRequestedAttribute[] | undefined,
  serviceName: LocalizedText | undefined,
): string {
  if (requested === undefined || requested.length === 0) return '';
  if (serviceName === undefined) {
    throw federationConfigError(
      'serviceName',
      'a ServiceName for the requested attributes (or uiInfo.displayName / organization)',
      'none',
    );
  }
  const seen = new Set<string>();
  let attrs = '';
  for (const [i, a] of requested.entries()) {
    const what = `requestedAttributes[${i}]`;
    const name = nonEmpty(a?.name, `${what}.name`);
    const format =
      a.nameFormat === undefined
        ? ATTRNAME_FORMAT_URI
        : nonEmpty(a.nameFormat, `${what}.nameFormat`);
    // Two requests for one attribute would contradict each other on isRequired.
    if (seen.has(`${format} ${name}`))
      throw federationConfigError(what, 'each attribute requested once', describeValue(name));
    seen.add(`${format} ${name}`);
    if (a.isRequired !== undefined && typeof a.isRequired !== 'boolean')
      throw federationConfigError(`${what}.isRequired`, 'a boolean', describeValue(a.isRequired));
    let at = `Name="${escapeXml(name)}" NameFormat="${escapeXml(format)}"`;
    if (a.friendlyName !== undefined)
      at += ` FriendlyName="${escapeXml(nonEmpty(a.friendlyName, `${what}.friendlyName`))}"`;
    if (a.isRequired !== undefined) at += ` isRequired="${a.isRequired}"`;
    attrs += `<md:RequestedAttribute ${at}/>`;
  }
  // SAML metadata §2.4.4.1: ServiceName+, ServiceDescription*, RequestedAttribute+; index required.
  return (
    `<md:AttributeConsumingService index="0" isDefault="true">` +
    localizedElements('md', 'ServiceName', serviceName, 'serviceName') +
    `${attrs}</md:AttributeConsumingService>`
  );
}

/**
 * The `mdattr:EntityAttributes` element, or `''` when nothing is given.
 * @throws SamlError `CONFIG_INVALID`
 * @internal
 */
export function entityAttributesXml(ea: SpEntityAttributes | undefined): string {
  if (ea === undefined) return '';
  const groups: Array<[string, readonly string[] | undefined]> = [
    [ENTITY_CATEGORY_ATTRIBUTE, ea.entityCategories],
    [ASSURANCE_CERTIFICATION_ATTRIBUTE, ea.assuranceCertifications],
    ...Object.entries(ea.other ?? {}),
  ];
  let body = '';
  for (const [name, values] of groups) {
    if (values === undefined || values.length === 0) continue;
    nonEmpty(name, 'entityAttributes name');
    // Entity Attributes extension §2.3: saml:Attribute elements, here with URI names (SAML core §8.2.2).
    body +=
      `<saml:Attribute Name="${escapeXml(name)}" NameFormat="${ATTRNAME_FORMAT_URI}">` +
      values
        .map(
          (v) =>
            `<saml:AttributeValue>${escapeXml(nonEmpty(v, `entityAttributes ${name} value`))}</saml:AttributeValue>`,
        )
        .join('') +
      '</saml:Attribute>';
  }
  return body === ''
    ? ''
    : `<mdattr:EntityAttributes xmlns:mdattr="${MDATTR}" xmlns:saml="${SAML}">${body}</mdattr:EntityAttributes>`;
}

/**
 * The attributes of a `md:ContactPerson` for a contact type: the SAML type, or for `security`
 * `other` with the REFEDS `remd:contactType` (REFEDS Security Contact Metadata Extension §2).
 * @internal
 */
export function contactTypeAttributes(type: string): string {
  if (type === 'security')
    return `contactType="other" xmlns:remd="${REMD}" remd:contactType="${REFEDS_SECURITY_CONTACT}"`;
  return `contactType="${escapeXml(type)}"`;
}

/**
 * Refuses a SIRTFI claim without a security contact with an email address: Sirtfi v1.0 requires
 * one (published with the REFEDS Security Contact Metadata Extension).
 * @throws SamlError `CONFIG_INVALID`
 * @internal
 */
export function checkSirtfiContact(
  ea: SpEntityAttributes | undefined,
  contacts: ReadonlyArray<{
    readonly contactType: string;
    readonly emailAddresses?: readonly string[];
  }>,
): void {
  if (!ea?.assuranceCertifications?.includes(SIRTFI)) return;
  if (contacts.some((c) => c.contactType === 'security' && (c.emailAddresses?.length ?? 0) > 0))
    return;
  throw federationConfigError(
    'contacts',
    'a contact of type "security" with an email address, as SIRTFI requires',
    'none',
  );
}
