import type { IdentityProviderConfig } from '../config.js';
import { describeValue, SamlError } from '../errors.js';
import { scopeGranted } from './scoped-attributes.js';

/** SAML V2.0 Subject Identifier Attributes Profile §3.3: the `subject-id` attribute Name. */
export const SUBJECT_ID_ATTRIBUTE = 'urn:oasis:names:tc:SAML:attribute:subject-id';
/** SAML V2.0 Subject Identifier Attributes Profile §3.4: the `pairwise-id` attribute Name. */
export const PAIRWISE_ID_ATTRIBUTE = 'urn:oasis:names:tc:SAML:attribute:pairwise-id';

const SCOPED = new Set([SUBJECT_ID_ATTRIBUTE, PAIRWISE_ID_ATTRIBUTE, 'subject-id', 'pairwise-id']);

// Subject Identifier Attributes Profile §3.3.1.1 / §3.4.1.1: a unique value of 1–127 characters
// (alphanumerics, "=" and "-", starting with an alphanumeric), "@", and a scope of 1–127
// characters (alphanumerics, "-" and ".", starting with an alphanumeric).
const SYNTAX = /^[0-9A-Za-z][-=0-9A-Za-z]{0,126}@([0-9A-Za-z][-.0-9A-Za-z]{0,126})$/;

// The profile compares scopes case-insensitively (§3.3.1.1); a regexp scope matches the whole
// scope, in linear time (sp/scoped-attributes.ts, lib/scope-regexp.ts).
function scopeAllowed(idp: IdentityProviderConfig, scope: string): boolean {
  return scopeGranted(idp.scopes, scope);
}

/**
 * When the user id comes from `subject-id` or `pairwise-id`, checks its syntax and that its scope
 * is one the IdP's metadata grants it (`<shibmd:Scope>`). Other user ids pass unchecked.
 * @throws SamlError `USER_ID_SCOPE_MISMATCH`
 * @see SAML V2.0 Subject Identifier Attributes Profile §3.2 (scope), §3.3, §3.4
 * @internal
 */
export function checkScopedUserId(
  idp: IdentityProviderConfig,
  userIdAttribute: string | undefined,
  userId: string,
): void {
  if (userIdAttribute === undefined || !SCOPED.has(userIdAttribute)) return;
  const m = SYNTAX.exec(userId);
  if (!m) {
    throw new SamlError('USER_ID_SCOPE_MISMATCH', 'The scoped user id is malformed.', {
      expected: `${userIdAttribute} as <unique id>@<scope> (Subject Identifier Attributes Profile §3.3.1.1)`,
      found: describeValue(userId),
      hint: 'check the attribute the IdP releases under this name',
    });
  }
  const scope = m[1]!;
  if (!scopeAllowed(idp, scope)) {
    const granted = (idp.scopes ?? []).map((s) => describeValue(s.value)).join(', ');
    throw new SamlError('USER_ID_SCOPE_MISMATCH', 'The IdP asserted a scope it is not granted.', {
      expected: granted
        ? `a scope of IdP ${describeValue(idp.entityId)}: ${granted}`
        : `a <shibmd:Scope> in the metadata of IdP ${describeValue(idp.entityId)}`,
      found: describeValue(scope),
      hint: 'an IdP may only assert user ids in its own scopes; check its metadata (samlkit idp-metadata)',
      issuer: idp.entityId,
    });
  }
}
