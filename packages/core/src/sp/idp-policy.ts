import type { RequestedAuthnContextRecord } from '../store/types.js';
import type { AuthnRequestSettings } from './authn-request-options.js';
import {
  type ScopedAttributeOptions,
  type ScopedAttributePolicy,
  scopedAttributePolicy,
} from './scoped-attributes.js';

/**
 * How the service provider treats one IdP. Every field is optional: what an IdP's policy leaves
 * out comes from the {@link ServiceProviderOptions} of the same name, and then from samlkit's
 * default. A relaxation set here (say `allowSha1`) applies to this IdP only; every other IdP of the
 * same SP keeps the strict default. The AuthnRequest options of {@link AuthnRequestSettings}
 * (Scoping, indexes, ProviderName, Extensions, AllowCreate) go into every AuthnRequest to this
 * IdP unless the login sets the same field.
 */
export interface IdpPolicy extends AuthnRequestSettings {
  /**
   * **Security relaxation.** Accept SHA-1 signatures and digests from this IdP (practical
   * collisions exist). Default `allowSha1` of the SP options, else false.
   */
  readonly allowSha1?: boolean;
  /**
   * **Security relaxation.** Accept IdP-initiated (unsolicited) Responses from this IdP (the
   * dashboard tiles of Okta and Entra ID). They are bound to no request, which makes login CSRF
   * possible. Default `allowUnsolicited` of the SP options, else false.
   */
  readonly allowUnsolicited?: boolean;
  /**
   * With `allowUnsolicited`: follow the RelayState of an IdP-initiated Response as the page to
   * land on (the Okta and Entra ID dashboard tiles send one), when it is a same-origin path that
   * passes the same checks as `returnTo`; anything else lands on `defaultReturnTo`. Default false:
   * RelayState of an unsolicited Response is ignored.
   */
  readonly relayStateDeepLinks?: boolean;
  /**
   * Take the user id from this attribute (matched on Name, then FriendlyName; first value)
   * instead of the NameID. A missing attribute is `USER_ID_MISSING`.
   */
  readonly userIdAttribute?: string;
  /**
   * Extra attribute names: attribute Name (as the IdP sends it) → the name the application reads.
   * The mapped name is added beside the raw one, which stays available; a mapped name never
   * replaces an attribute the IdP sent under that very name.
   */
  readonly attributeMap?: Readonly<Record<string, string>>;
  /** Refuse plaintext assertions from this IdP (`ENCRYPTION_REQUIRED`). */
  readonly requireEncryption?: boolean;
  /** Tolerated clock difference with this IdP (ms). Default `clockSkewMs` of the SP options. */
  readonly clockSkewMs?: number;
  /**
   * The NameID format asked for in the AuthnRequest's NameIDPolicy (SAML core §3.4.1.1), e.g.
   * `urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress`. Default the first of the SP's
   * `nameIdFormats`, else no NameIDPolicy Format.
   */
  readonly nameIdFormat?: string;
  /** Binding for AuthnRequests to this IdP when it offers both. Default `authnRequestBinding`. */
  readonly requestBinding?: 'redirect' | 'post';
  /**
   * The binding this IdP is asked to answer logins with (the AuthnRequest's ProtocolBinding and
   * AssertionConsumerServiceURL, SAML core §3.4.1): `artifact` (HTTP-Artifact, the Response then
   * travels over SOAP from the IdP's ArtifactResolutionService) or `simpleSign`
   * (HTTP-POST-SimpleSign). The SP must list an AssertionConsumerService with that binding (which
   * is what enables it at the ACS and announces it in SP metadata). Default: the SP's default
   * POST (or Redirect) AssertionConsumerService.
   */
  readonly responseBinding?: 'post' | 'artifact' | 'simpleSign';
  /**
   * The authentication context asked for in every AuthnRequest to this IdP (unless a login asks
   * for another), and required in its Response when the comparison is `exact`.
   */
  readonly requestedAuthnContext?: RequestedAuthnContextRecord;
  /** Require the Assertion itself to be signed (a Response signature alone is not enough). */
  readonly requireAssertionSignature?: boolean;
  /** Require the Response element to be signed. */
  readonly requireResponseSignature?: boolean;
  /**
   * How this IdP's scoped attributes (eduPersonPrincipalName, …) are checked against its
   * `<shibmd:Scope>`s: its fields over the SP option `scopedAttributes`; `false` turns the check
   * off for this IdP.
   */
  readonly scopedAttributes?: ScopedAttributeOptions | false;
}

/** The policy in force for one IdP: its own, else the SP options, else the defaults. @internal */
export interface EffectivePolicy {
  readonly allowSha1: boolean;
  readonly allowUnsolicited: boolean;
  readonly relayStateDeepLinks: boolean;
  readonly userIdAttribute: string | undefined;
  readonly attributeMap: Readonly<Record<string, string>>;
  readonly requireEncryption: boolean;
  readonly clockSkewMs: number;
  readonly nameIdFormat: string | undefined;
  readonly allowCreate: boolean;
  readonly requestBinding: 'redirect' | 'post';
  readonly responseBinding: 'post' | 'artifact' | 'simpleSign' | undefined;
  readonly requestedAuthnContext: RequestedAuthnContextRecord | undefined;
  readonly requireAssertionSignature: boolean;
  readonly requireResponseSignature: boolean;
  readonly scopedAttributes: ScopedAttributePolicy | undefined;
}

/** The SP-wide values a policy falls back to. @internal */
export interface PolicyDefaults {
  readonly allowSha1?: boolean;
  readonly allowUnsolicited?: boolean;
  readonly userIdAttribute?: string;
  readonly requireEncryption?: boolean;
  readonly clockSkewMs: number;
  readonly nameIdFormat?: string;
  readonly authnRequestBinding?: 'redirect' | 'post';
  readonly responseBinding?: 'post' | 'artifact' | 'simpleSign';
  readonly requireAssertionSignature?: boolean;
  readonly requireResponseSignature?: boolean;
  readonly scopedAttributes?: ScopedAttributeOptions | false;
}

function check(policy: IdpPolicy, entityId: string): void {
  const bad = (field: string, expected: string): never => {
    throw new TypeError(`IdP ${entityId}: policy.${field} must be ${expected}`);
  };
  for (const f of [
    'allowSha1',
    'allowUnsolicited',
    'relayStateDeepLinks',
    'requireEncryption',
    'allowCreate',
    'requireAssertionSignature',
    'requireResponseSignature',
  ] as const) {
    if (policy[f] !== undefined && typeof policy[f] !== 'boolean') bad(f, 'a boolean');
  }
  const skew = policy.clockSkewMs;
  if (skew !== undefined && (typeof skew !== 'number' || !Number.isFinite(skew) || skew < 0)) {
    bad('clockSkewMs', 'a non-negative number of milliseconds');
  }
  const binding = policy.requestBinding;
  if (binding !== undefined && binding !== 'redirect' && binding !== 'post') {
    bad('requestBinding', '"redirect" or "post"');
  }
  const answer = policy.responseBinding;
  if (
    answer !== undefined &&
    answer !== 'post' &&
    answer !== 'artifact' &&
    answer !== 'simpleSign'
  ) {
    bad('responseBinding', '"post", "artifact" or "simpleSign"');
  }
  for (const f of ['userIdAttribute', 'nameIdFormat'] as const) {
    if (policy[f] !== undefined && (typeof policy[f] !== 'string' || policy[f] === '')) {
      bad(f, 'a non-empty string');
    }
  }
  const rac = policy.requestedAuthnContext;
  if (rac !== undefined && (!Array.isArray(rac.classRefs) || rac.classRefs.length === 0)) {
    bad('requestedAuthnContext.classRefs', 'a non-empty list');
  }
  const map = policy.attributeMap;
  if (map !== undefined) {
    if (typeof map !== 'object' || map === null) bad('attributeMap', 'an object');
    for (const v of Object.values(map))
      if (typeof v !== 'string' || v === '') bad('attributeMap', 'an object of non-empty strings');
  }
}

/**
 * Merges an IdP's policy over the SP-wide defaults.
 * @throws TypeError for a malformed policy (a configuration error of the application)
 * @internal
 */
export function effectivePolicy(
  policy: IdpPolicy | undefined,
  defaults: PolicyDefaults,
  entityId: string,
): EffectivePolicy {
  const p = policy ?? {};
  if (policy !== undefined) check(policy, entityId);
  return {
    allowSha1: p.allowSha1 ?? defaults.allowSha1 ?? false,
    allowUnsolicited: p.allowUnsolicited ?? defaults.allowUnsolicited ?? false,
    relayStateDeepLinks: p.relayStateDeepLinks ?? false,
    userIdAttribute: p.userIdAttribute ?? defaults.userIdAttribute,
    attributeMap: p.attributeMap ?? {},
    requireEncryption: p.requireEncryption ?? defaults.requireEncryption ?? false,
    clockSkewMs: p.clockSkewMs ?? defaults.clockSkewMs,
    nameIdFormat: p.nameIdFormat ?? defaults.nameIdFormat,
    allowCreate: p.allowCreate ?? true,
    requestBinding: p.requestBinding ?? defaults.authnRequestBinding ?? 'redirect',
    responseBinding: p.responseBinding ?? defaults.responseBinding,
    requestedAuthnContext: p.requestedAuthnContext,
    requireAssertionSignature:
      p.requireAssertionSignature ?? defaults.requireAssertionSignature ?? false,
    requireResponseSignature:
      p.requireResponseSignature ?? defaults.requireResponseSignature ?? false,
    scopedAttributes: scopedAttributePolicy(p.scopedAttributes, defaults.scopedAttributes),
  };
}

/**
 * Adds the mapped names of `map` beside the raw attribute names. The raw names stay; a mapped
 * name that the IdP itself also sent as a Name keeps the IdP's values.
 * @internal
 */
export function mapAttributes(
  attributes: Readonly<Record<string, readonly string[]>>,
  map: Readonly<Record<string, string>>,
): Readonly<Record<string, readonly string[]>> {
  const out: Record<string, readonly string[]> = { ...attributes };
  for (const [raw, friendly] of Object.entries(map)) {
    if (!Object.hasOwn(attributes, raw) || Object.hasOwn(attributes, friendly)) continue;
    const existing = Object.hasOwn(out, friendly) ? out[friendly]! : [];
    out[friendly] = [...existing, ...attributes[raw]!];
  }
  return out;
}
