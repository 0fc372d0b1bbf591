// Scoped attributes: values of the form `<value>@<scope>` (eduPersonPrincipalName,
// eduPersonScopedAffiliation, eduPersonUniqueId, subject-id, pairwise-id) whose scope an IdP may
// only assert when its metadata grants it (`<shibmd:Scope>`, Shibboleth Metadata Extensions §2.1).
// In a federation every IdP can sign assertions the SP accepts; without this check any of them
// could assert `alice@another-university.edu`.
import type { IdentityProviderConfig, IdpScope } from '../config.js';
import { describeValue, SamlError } from '../errors.js';
import type { SamlAttribute } from '../lib/assertion.js';
import { compileScopeRegExp, type ScopeRegExp } from '../lib/scope-regexp.js';

/** eduPersonPrincipalName (eduPerson 202208 §2.2.6). */
export const EDU_PERSON_PRINCIPAL_NAME: string = 'urn:oid:1.3.6.1.4.1.5923.1.1.1.6';
/** eduPersonScopedAffiliation (eduPerson 202208 §2.2.11). */
export const EDU_PERSON_SCOPED_AFFILIATION: string = 'urn:oid:1.3.6.1.4.1.5923.1.1.1.9';
/** eduPersonUniqueId (eduPerson 202208 §2.2.14). */
export const EDU_PERSON_UNIQUE_ID: string = 'urn:oid:1.3.6.1.4.1.5923.1.1.1.13';

/**
 * The attribute names whose values are checked by default: eduPersonPrincipalName,
 * eduPersonScopedAffiliation, eduPersonUniqueId, and the SAML subject-id and pairwise-id
 * (SAML V2.0 Subject Identifier Attributes Profile §3.3, §3.4), under their URI Names
 * (urn:oid, SAML Attribute Profiles §8.2 / MACE-Dir SAML Attribute Profiles §2.2), their legacy
 * `urn:mace:dir:attribute-def:` Names, and their FriendlyNames. An attribute is scoped when its
 * Name or its FriendlyName is listed.
 */
export const DEFAULT_SCOPED_ATTRIBUTES: readonly string[] = Object.freeze([
  EDU_PERSON_PRINCIPAL_NAME,
  EDU_PERSON_SCOPED_AFFILIATION,
  EDU_PERSON_UNIQUE_ID,
  'urn:oasis:names:tc:SAML:attribute:subject-id',
  'urn:oasis:names:tc:SAML:attribute:pairwise-id',
  'urn:mace:dir:attribute-def:eduPersonPrincipalName',
  'urn:mace:dir:attribute-def:eduPersonScopedAffiliation',
  'urn:mace:dir:attribute-def:eduPersonUniqueId',
  'eduPersonPrincipalName',
  'eduPersonScopedAffiliation',
  'eduPersonUniqueId',
  'subject-id',
  'pairwise-id',
]);

/**
 * Whether an attribute is scoped under `names`: its Name or its FriendlyName is listed (an IdP
 * chooses both; validateResponse finds a userIdAttribute under either).
 * @internal
 */
export function isScopedAttribute(
  names: ReadonlySet<string>,
  a: { readonly name: string; readonly friendlyName?: string | undefined },
): boolean {
  return names.has(a.name) || (a.friendlyName !== undefined && names.has(a.friendlyName));
}

/**
 * How scoped attribute values are checked against the issuing IdP's `<shibmd:Scope>`s
 * (`IdentityProviderConfig.scopes`). A value is kept when it has exactly one `@`, a non-empty part
 * before it, and a scope after it that one of the IdP's scopes grants: a literal scope compared
 * case-insensitively (ASCII), or a `regexp` scope matching the whole scope.
 */
export interface ScopedAttributeOptions {
  /**
   * Attribute names (as the IdP sends them, matched exactly against both the Name and the
   * FriendlyName) whose values are scoped. Default {@link DEFAULT_SCOPED_ATTRIBUTES}.
   */
  readonly names?: readonly string[];
  /**
   * What a value with a foreign or missing scope causes: `drop` (default) removes the value (an
   * attribute left without values is removed) and logs a warning with code
   * `ATTRIBUTE_SCOPE_MISMATCH`; `refuse` refuses the whole Response with that code.
   */
  readonly onMismatch?: 'drop' | 'refuse';
}

/** The scoped-attribute check in force for one IdP. @internal */
export interface ScopedAttributePolicy {
  readonly names: ReadonlySet<string>;
  readonly onMismatch: 'drop' | 'refuse';
}

/**
 * The check in force: the IdP's setting over the SP's; `false` at the IdP, or at the SP with
 * nothing at the IdP, turns it off.
 * @throws TypeError for a malformed setting
 * @internal
 */
export function scopedAttributePolicy(
  idp: ScopedAttributeOptions | false | undefined,
  sp: ScopedAttributeOptions | false | undefined,
): ScopedAttributePolicy | undefined {
  for (const o of [idp, sp]) {
    if (o === undefined || o === false) continue;
    if (typeof o !== 'object' || o === null)
      throw new TypeError('scopedAttributes must be an object or false');
    if (o.onMismatch !== undefined && o.onMismatch !== 'drop' && o.onMismatch !== 'refuse')
      throw new TypeError('scopedAttributes.onMismatch must be "drop" or "refuse"');
    if (
      o.names !== undefined &&
      (!Array.isArray(o.names) || o.names.some((n) => typeof n !== 'string' || n === ''))
    )
      throw new TypeError('scopedAttributes.names must be a list of attribute Names');
  }
  if (idp === false || (idp === undefined && sp === false)) return undefined;
  const fromSp = sp === false ? undefined : sp;
  return {
    names: new Set(idp?.names ?? fromSp?.names ?? DEFAULT_SCOPED_ATTRIBUTES),
    onMismatch: idp?.onMismatch ?? fromSp?.onMismatch ?? 'drop',
  };
}

const asciiLower = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

// Compiled regexp scopes, shared by every IdP and login (metadata repeats few patterns).
const compiled = new Map<string, ScopeRegExp | undefined>();
function regexpOf(pattern: string): ScopeRegExp | undefined {
  if (compiled.has(pattern)) return compiled.get(pattern);
  const re = compileScopeRegExp(pattern);
  if (compiled.size >= 1000) compiled.clear();
  compiled.set(pattern, re);
  return re;
}

/**
 * Whether one of `scopes` grants `scope`: a literal scope equal to it ignoring ASCII case
 * (Shibboleth compares scopes case-insensitively; Subject Identifier Attributes Profile
 * §3.3.1.1), or a regexp scope matching all of it (Shibboleth evaluates them with `matches()`),
 * evaluated in linear time (lib/scope-regexp.ts). A regexp outside the supported subset grants
 * nothing.
 * @internal
 */
export function scopeGranted(scopes: readonly IdpScope[] | undefined, scope: string): boolean {
  const wanted = asciiLower(scope);
  let regexps = 0;
  for (const s of scopes ?? []) {
    if (!s.regexp) {
      if (asciiLower(s.value) === wanted) return true;
    } else if (++regexps <= MAX_REGEXP_SCOPES && regexpOf(s.value)?.matches(scope)) {
      return true;
    }
  }
  return false;
}

/**
 * Most regexp scopes of one IdP considered: the ones after the first {@link MAX_REGEXP_SCOPES}
 * grant nothing (each one costs a match per scoped value; real IdPs have one or two).
 */
export const MAX_REGEXP_SCOPES = 64;

/**
 * Most scoped values checked in one Response: a Response with more is refused
 * (`ATTRIBUTE_SCOPE_MISMATCH`), so the scope check's cost per login stays bounded.
 */
export const MAX_SCOPED_VALUES = 256;

/** Longest scoped value checked; longer ones are treated as malformed (dropped or refused). */
const MAX_VALUE_LENGTH = 1024;

/**
 * The scope of a scoped value, or undefined when it has none: exactly one `@`, with something
 * on both sides (eduPerson §2.2.6: "user@scope"; a second `@` would make the scope ambiguous).
 * @internal
 */
export function scopeOf(value: string): string | undefined {
  if (value.length > MAX_VALUE_LENGTH) return undefined;
  const at = value.indexOf('@');
  if (at <= 0 || at === value.length - 1 || value.indexOf('@', at + 1) !== -1) return undefined;
  return value.slice(at + 1);
}

/** One value left out, for the log line: the attribute and the scope (never the whole value). */
export interface DroppedScopedValue {
  readonly name: string;
  /** The scope found, or undefined for a value without one. */
  readonly scope: string | undefined;
}

/** The outcome of {@link filterScopedAttributes}. */
export interface ScopedAttributesResult {
  readonly attributes: Readonly<Record<string, readonly string[]>>;
  readonly attributeList: readonly SamlAttribute[];
  /** The values left out (empty when every value passed). */
  readonly dropped: readonly DroppedScopedValue[];
}

/** What was expected and found, for a value of `name` with `scope` (undefined: no scope). */
function facts(
  idp: IdentityProviderConfig,
  d: DroppedScopedValue,
): { expected: string; found: string } {
  const granted = (idp.scopes ?? []).map((s) => describeValue(s.value)).join(', ');
  return {
    expected: granted
      ? `${describeValue(d.name)} values as <value>@<scope> with a scope of IdP ${describeValue(idp.entityId)}: ${granted}`
      : `a <shibmd:Scope> in the metadata of IdP ${describeValue(idp.entityId)} for ${describeValue(d.name)}`,
    found:
      d.scope === undefined ? 'a value without a single @scope' : `scope ${describeValue(d.scope)}`,
  };
}

function mismatch(idp: IdentityProviderConfig, d: DroppedScopedValue): SamlError {
  return new SamlError(
    'ATTRIBUTE_SCOPE_MISMATCH',
    'The IdP asserted a scoped attribute value outside its scopes.',
    {
      ...facts(idp, d),
      hint: 'an IdP may only assert values in its own scopes (shibmd:Scope in its metadata; samlkit idp-metadata shows them); or set scopedAttributes for this IdP',
      issuer: idp.entityId,
    },
  );
}

/**
 * Checks the values of scoped attributes (eduPersonPrincipalName, eduPersonScopedAffiliation, …)
 * against the scopes the issuing IdP's metadata grants it, and leaves out (or, with
 * `onMismatch: 'refuse'`, refuses) every value with a foreign or missing scope.
 *
 * The service provider runs this on every login; call it yourself after `validateResponse`.
 *
 * @param result - the validated attributes (`attributes` by Name and `attributeList`)
 * @param idp - the IdP that issued them (its `scopes`)
 * @param options - the attribute Names and what a mismatch causes
 * @returns the attributes without the foreign values, and what was left out
 * @throws SamlError `ATTRIBUTE_SCOPE_MISMATCH` with `onMismatch: 'refuse'`
 *
 * @example After validateResponse
 * ```ts
 * const result = await validateResponse(xml, { sp, idp, now: Date.now() });
 * const { attributes, dropped } = filterScopedAttributes(result, idp);
 * ```
 *
 * @see Shibboleth Metadata Extensions for SAML 2.0 §2.1 (Scope); eduPerson §2.2.6, §2.2.11;
 *   SAML V2.0 Subject Identifier Attributes Profile §3.2
 */
export function filterScopedAttributes(
  result: {
    readonly attributes: Readonly<Record<string, readonly string[]>>;
    readonly attributeList: readonly SamlAttribute[];
  },
  idp: IdentityProviderConfig,
  options: ScopedAttributeOptions = {},
): ScopedAttributesResult {
  const policy = scopedAttributePolicy(options, undefined)!;
  let count = 0;
  for (const a of result.attributeList)
    if (isScopedAttribute(policy.names, a)) count += a.values.length;
  if (count > MAX_SCOPED_VALUES) {
    throw new SamlError(
      'ATTRIBUTE_SCOPE_MISMATCH',
      'The Response has too many scoped attribute values to check.',
      {
        expected: `at most ${MAX_SCOPED_VALUES} values of scoped attributes in one Response`,
        found: `${count} values`,
        hint: 'check which attributes the IdP releases to this SP; no login needs that many scoped values',
        issuer: idp.entityId,
      },
    );
  }
  // Whether each scope is granted, computed once per Response (the IdP's scopes do not change).
  const granted = new Map<string, boolean>();
  const grants = (scope: string): boolean => {
    const known = granted.get(scope);
    if (known !== undefined) return known;
    const g = scopeGranted(idp.scopes, scope);
    granted.set(scope, g);
    return g;
  };
  const dropped: DroppedScopedValue[] = [];
  const keep = (name: string, values: readonly string[], record: boolean): string[] =>
    values.filter((v) => {
      const scope = scopeOf(v);
      if (scope !== undefined && grants(scope)) return true;
      if (record) {
        const d = { name, scope };
        if (policy.onMismatch === 'refuse') throw mismatch(idp, d);
        dropped.push(d);
      }
      return false;
    });

  let changed = false;
  const attributeList: SamlAttribute[] = [];
  // The Names under which a scoped attribute (by Name or FriendlyName) was found.
  const scopedNames = new Set(policy.names);
  for (const a of result.attributeList) {
    if (!isScopedAttribute(policy.names, a)) {
      attributeList.push(a);
      continue;
    }
    scopedNames.add(a.name);
    const values = keep(a.name, a.values, true);
    if (values.length !== a.values.length) changed = true;
    if (values.length > 0) attributeList.push({ ...a, values });
  }
  if (!changed)
    return { attributes: result.attributes, attributeList: result.attributeList, dropped };
  // attributes[Name] is the concatenation of the list's values under that Name: filter alike.
  const attributes: Record<string, readonly string[]> = Object.create(null);
  for (const [name, values] of Object.entries(result.attributes)) {
    const kept = scopedNames.has(name) ? keep(name, values, false) : values;
    if (kept.length > 0) attributes[name] = kept;
  }
  return { attributes, attributeList, dropped };
}

/**
 * The service provider's step: filters (or refuses) the scoped attributes of a validated login,
 * and refuses a user id taken from a scoped attribute whose scope the IdP is not granted (a user
 * id cannot be dropped). Logs dropped values as a warning with code `ATTRIBUTE_SCOPE_MISMATCH`.
 * @throws SamlError `ATTRIBUTE_SCOPE_MISMATCH`, `USER_ID_SCOPE_MISMATCH`
 * @internal
 */
export function checkScopedAttributes(
  result: {
    readonly attributes: Readonly<Record<string, readonly string[]>>;
    readonly attributeList: readonly SamlAttribute[];
    readonly userId: string;
  },
  idp: IdentityProviderConfig,
  policy: ScopedAttributePolicy | undefined,
  userIdAttribute: string | undefined,
  warn: (message: string, details: Record<string, unknown>) => void,
): Pick<ScopedAttributesResult, 'attributes' | 'attributeList'> {
  if (policy === undefined) return result;
  if (userIdAttribute !== undefined) {
    // The attribute the user id came from, found as validateResponse found it (Name, then
    // FriendlyName, first with values). It is scoped when its Name or FriendlyName is listed, or
    // when userIdAttribute itself is: the IdP chooses the other name.
    const source =
      result.attributeList.find((x) => x.name === userIdAttribute && x.values.length > 0) ??
      result.attributeList.find((x) => x.friendlyName === userIdAttribute && x.values.length > 0);
    if (
      source !== undefined &&
      (policy.names.has(userIdAttribute) || isScopedAttribute(policy.names, source))
    ) {
      const scope = scopeOf(result.userId);
      if (scope === undefined || !scopeGranted(idp.scopes, scope)) {
        throw new SamlError(
          'USER_ID_SCOPE_MISMATCH',
          'The IdP asserted a user id outside its scopes.',
          {
            ...facts(idp, { name: source.name, scope }),
            hint: 'an IdP may only assert user ids in its own scopes; check its metadata (samlkit idp-metadata)',
            issuer: idp.entityId,
          },
        );
      }
    }
  }
  const out = filterScopedAttributes(result, idp, {
    names: [...policy.names],
    onMismatch: policy.onMismatch,
  });
  if (out.dropped.length > 0) {
    warn('acs: scoped attribute values outside the IdP’s scopes dropped', {
      code: 'ATTRIBUTE_SCOPE_MISMATCH',
      issuer: idp.entityId,
      dropped: out.dropped.map((d) => ({ name: d.name, scope: d.scope ?? null })),
    });
  }
  return out;
}
