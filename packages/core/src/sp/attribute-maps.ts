/**
 * Built-in attribute maps: the attribute names the common IdPs send, mapped to short friendly
 * names. Use them as (part of) an IdP's `policy.attributeMap`; the raw names always stay
 * available beside the friendly ones.
 *
 * Friendly names used: `uid`, `email`, `givenName`, `surname`, `displayName`, `commonName`,
 * `groups`, `roles`, `upn`, `objectId`, `tenantId`, `eppn`, `affiliation`, `scopedAffiliation`,
 * `entitlement`, `employeeNumber`, `organization`, `organizationalUnit`, `title`, `phone`,
 * `subjectId`, `pairwiseId`.
 */

/**
 * X.500 / inetOrgPerson and eduPerson attributes by their `urn:oid:` names
 * (SAML V2.0 X.500/LDAP Attribute Profile, the NameFormat `uri` names Shibboleth, SimpleSAMLphp
 * and the research federations send), plus the two SAML subject identifier attributes.
 */
export const OID_ATTRIBUTE_MAP: Readonly<Record<string, string>> = Object.freeze({
  'urn:oid:0.9.2342.19200300.100.1.1': 'uid',
  'urn:oid:0.9.2342.19200300.100.1.3': 'email',
  'urn:oid:2.5.4.42': 'givenName',
  'urn:oid:2.5.4.4': 'surname',
  'urn:oid:2.16.840.1.113730.3.1.241': 'displayName',
  'urn:oid:2.5.4.3': 'commonName',
  'urn:oid:2.5.4.10': 'organization',
  'urn:oid:2.5.4.11': 'organizationalUnit',
  'urn:oid:2.5.4.12': 'title',
  'urn:oid:2.5.4.20': 'phone',
  'urn:oid:2.16.840.1.113730.3.1.3': 'employeeNumber',
  'urn:oid:1.3.6.1.4.1.5923.1.1.1.6': 'eppn',
  'urn:oid:1.3.6.1.4.1.5923.1.1.1.1': 'affiliation',
  'urn:oid:1.3.6.1.4.1.5923.1.1.1.9': 'scopedAffiliation',
  'urn:oid:1.3.6.1.4.1.5923.1.1.1.7': 'entitlement',
  'urn:oid:1.3.6.1.4.1.5923.1.5.1.1': 'groups',
  'urn:oasis:names:tc:SAML:attribute:subject-id': 'subjectId',
  'urn:oasis:names:tc:SAML:attribute:pairwise-id': 'pairwiseId',
});

/** Microsoft Entra ID and AD FS claim type URIs. */
export const MICROSOFT_ATTRIBUTE_MAP: Readonly<Record<string, string>> = Object.freeze({
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress': 'email',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname': 'givenName',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname': 'surname',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name': 'upn',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': 'upn',
  'http://schemas.microsoft.com/identity/claims/displayname': 'displayName',
  'http://schemas.microsoft.com/identity/claims/objectidentifier': 'objectId',
  'http://schemas.microsoft.com/identity/claims/tenantid': 'tenantId',
  'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups': 'groups',
  'http://schemas.microsoft.com/ws/2008/06/identity/claims/role': 'roles',
  'http://schemas.xmlsoap.org/claims/CommonName': 'commonName',
  'http://schemas.xmlsoap.org/claims/Group': 'groups',
});

/** The attribute names of Okta's default SAML app attribute statements. */
export const OKTA_ATTRIBUTE_MAP: Readonly<Record<string, string>> = Object.freeze({
  firstName: 'givenName',
  lastName: 'surname',
  login: 'uid',
  mobilePhone: 'phone',
});

/** The attribute names Google Workspace's SAML apps commonly use for its directory fields. */
export const GOOGLE_ATTRIBUTE_MAP: Readonly<Record<string, string>> = Object.freeze({
  'Primary email': 'email',
  'First name': 'givenName',
  'Last name': 'surname',
  first_name: 'givenName',
  last_name: 'surname',
});

/** Every built-in map in one: OIDs, Microsoft claim URIs, Okta and Google names. */
export const STANDARD_ATTRIBUTE_MAP: Readonly<Record<string, string>> = Object.freeze({
  ...OID_ATTRIBUTE_MAP,
  ...MICROSOFT_ATTRIBUTE_MAP,
  ...OKTA_ATTRIBUTE_MAP,
  ...GOOGLE_ATTRIBUTE_MAP,
});
