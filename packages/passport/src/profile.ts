// samlkit's SamlProfile / SessionRecord → the profile shape passport-saml users know. Pure.
import type { SamlProfile, SessionRecord } from '@samlkit/core';

/** The `mail` attribute's OID (eduPerson / InCommon), which passport-saml also offers as `mail`. */
export const MAIL_OID = 'urn:oid:0.9.2342.19200300.100.1.3';

/**
 * The profile `verify` and `logoutVerify` receive: passport-saml's field names. Every attribute is
 * in `attributes` (one value: a string; several: an array) and, as in passport-saml, also a
 * top-level key unless its name is one of the fields below (an IdP attribute named `nameID` can
 * never replace the NameID).
 */
export interface PassportSamlProfile {
  /** The IdP's entity ID (the Issuer of the assertion, or of the session's login). */
  readonly issuer: string;
  /** The NameID value (or the `userIdAttribute` value when the Subject has no NameID). */
  readonly nameID: string;
  /** The NameID Format, when the IdP gave one. */
  readonly nameIDFormat?: string;
  /** The NameID NameQualifier, when given. */
  readonly nameQualifier?: string;
  /** The NameID SPNameQualifier, when given. */
  readonly spNameQualifier?: string;
  /** The AuthnStatement SessionIndex (Single Logout uses it). */
  readonly sessionIndex?: string;
  /** The assertion ID (login only). */
  readonly ID?: string;
  /** When the user authenticated at the IdP (epoch ms). samlkit's addition. */
  readonly authnInstant?: number;
  /** The AuthnContextClassRef the IdP used. samlkit's addition. */
  readonly authnContextClassRef?: string;
  /** The `mail` attribute, or the value of {@link MAIL_OID}. */
  readonly mail?: string | readonly string[];
  /** `email`, or else `mail`. */
  readonly email?: string | readonly string[];
  /** Every attribute by Name: one value as a string, several as an array. */
  readonly attributes: Readonly<Record<string, string | readonly string[]>>;
  /** Attribute values as top-level keys, as passport-saml has them. */
  readonly [attribute: string]: unknown;
}

/** The profile's own fields: attributes of these names are only in `attributes`. */
export const PROFILE_FIELDS: ReadonlySet<string> = new Set([
  'issuer',
  'nameID',
  'nameIDFormat',
  'nameQualifier',
  'spNameQualifier',
  'sessionIndex',
  'ID',
  'authnInstant',
  'authnContextClassRef',
  'attributes',
  'mail',
  'email',
  '__proto__',
  'constructor',
  'toJSON',
  'toString',
  'valueOf',
  'getAssertionXml',
  'getAssertion',
  'getSamlResponseXml',
]);

function define(target: Record<string, unknown>, key: string, value: unknown): void {
  // A data property even for names like `__proto__`: an attribute name never changes the prototype.
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: false,
    configurable: false,
  });
}

function single(values: readonly string[]): string | readonly string[] {
  return values.length === 1 ? values[0]! : Object.freeze([...values]);
}

/** The facts both a login profile and a session carry. */
interface Facts {
  readonly issuer: string;
  readonly nameId: string;
  readonly nameIdFormat?: string | undefined;
  readonly nameQualifier?: string | undefined;
  readonly spNameQualifier?: string | undefined;
  readonly sessionIndex?: string | undefined;
  readonly assertionId?: string | undefined;
  readonly authnInstant?: number | undefined;
  readonly authnContextClassRef?: string | undefined;
  readonly attributes: Readonly<Record<string, readonly string[]>>;
}

function build(f: Facts): PassportSamlProfile {
  const attributes: Record<string, string | readonly string[]> = {};
  for (const name of Object.keys(f.attributes))
    define(attributes, name, single(f.attributes[name]!));
  const profile: Record<string, unknown> = {};
  define(profile, 'issuer', f.issuer);
  define(profile, 'nameID', f.nameId);
  if (f.nameIdFormat !== undefined) define(profile, 'nameIDFormat', f.nameIdFormat);
  if (f.nameQualifier !== undefined) define(profile, 'nameQualifier', f.nameQualifier);
  if (f.spNameQualifier !== undefined) define(profile, 'spNameQualifier', f.spNameQualifier);
  if (f.sessionIndex !== undefined) define(profile, 'sessionIndex', f.sessionIndex);
  if (f.assertionId !== undefined) define(profile, 'ID', f.assertionId);
  if (f.authnInstant !== undefined) define(profile, 'authnInstant', f.authnInstant);
  if (f.authnContextClassRef !== undefined) {
    define(profile, 'authnContextClassRef', f.authnContextClassRef);
  }
  const has = (name: string) => Object.hasOwn(attributes, name);
  const mail = has('mail') ? attributes.mail : has(MAIL_OID) ? attributes[MAIL_OID] : undefined;
  if (mail !== undefined) define(profile, 'mail', mail);
  const email = has('email') ? attributes.email : mail;
  if (email !== undefined) define(profile, 'email', email);
  for (const name of Object.keys(attributes)) {
    if (!PROFILE_FIELDS.has(name)) define(profile, name, attributes[name]);
  }
  define(profile, 'attributes', Object.freeze(attributes));
  return Object.freeze(profile) as PassportSamlProfile;
}

/**
 * The passport-saml-shaped profile of a validated login.
 *
 * @param profile - what samlkit's ACS validated
 * @returns the profile `verify(profile, done)` receives (frozen)
 */
export function toPassportProfile(profile: SamlProfile): PassportSamlProfile {
  return build({
    issuer: profile.issuer,
    nameId: profile.nameId?.value ?? profile.userId,
    nameIdFormat: profile.nameId?.format,
    nameQualifier: profile.nameId?.nameQualifier,
    spNameQualifier: profile.nameId?.spNameQualifier,
    sessionIndex: profile.sessionIndex,
    assertionId: profile.assertionId,
    authnInstant: profile.authnInstant,
    authnContextClassRef: profile.authnContextClassRef,
    attributes: profile.attributes,
  });
}

/**
 * The passport-saml-shaped profile of a session that an IdP-initiated logout ended.
 *
 * @param session - the samlkit session
 * @returns the profile `logoutVerify(profile, done)` receives (frozen)
 */
export function sessionToPassportProfile(session: SessionRecord): PassportSamlProfile {
  return build({
    issuer: session.issuer,
    nameId: session.nameId,
    nameIdFormat: session.nameIdFormat,
    nameQualifier: session.nameQualifier,
    spNameQualifier: session.spNameQualifier,
    sessionIndex: session.sessionIndex,
    authnInstant: session.authnInstant,
    authnContextClassRef: session.authnContextClassRef,
    attributes: session.attributes,
  });
}
