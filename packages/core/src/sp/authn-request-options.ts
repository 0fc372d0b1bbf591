// The AuthnRequest options an SP sends per IdP (IdpPolicy) and per login (LoginOptions): merged
// with the login's value first, checked once with the message builder's own rules, and refused
// with one code when the application (or an admin's settings page) supplied something unusable.
import type { Endpoint } from '../config.js';
import { SamlError } from '../errors.js';
import { createAuthnRequest, type Scoping } from '../messages/authn-request.js';

/**
 * AuthnRequest options that can be set per IdP (in its {@link IdpPolicy}) and per login (in
 * {@link LoginOptions}). For each field, the login's value wins over the IdP's; absent in both,
 * the element or attribute is not sent (`allowCreate` defaults to true). Objects are not merged:
 * a login's `scoping` replaces the IdP's `scoping` as a whole, and so does `extensions`.
 */
export interface AuthnRequestSettings {
  /**
   * `<samlp:Scoping>` (SAML core §3.4.1.2): the IdPs a proxying IdP may hand the user to
   * (`idpList`), how many proxy steps are allowed (`proxyCount`, 0 = none) and on whose behalf
   * the request is made (`requesterIds`).
   */
  readonly scoping?: Scoping;
  /**
   * `AttributeConsumingServiceIndex` (SAML core §3.4.1): which AttributeConsumingService of the
   * SP's metadata, as the IdP knows it, names the attributes wanted. samlkit's own SP metadata
   * publishes none, so this refers to what the IdP (or federation) registered for the SP.
   */
  readonly attributeConsumingServiceIndex?: number;
  /**
   * `AssertionConsumerServiceIndex` (SAML core §3.4.1): ask for the Response at the SP's
   * AssertionConsumerService of this index (its `index`, else its position, as SP metadata
   * publishes it). The request then carries neither `AssertionConsumerServiceURL` nor
   * `ProtocolBinding`, which the index excludes. An index that names no post or redirect ACS of
   * the SP is refused (`AUTHN_REQUEST_OPTION_INVALID`). Default: the ACS URL on the request's
   * origin, with its binding.
   */
  readonly assertionConsumerServiceIndex?: number;
  /** `ProviderName`: the SP's human-readable name, which some IdPs show on their login page. */
  readonly providerName?: string;
  /**
   * `<samlp:Extensions>` content: one or more well-formed XML elements, each in a namespace of its
   * own that it declares (not SAML protocol or assertion; SAML core §3.2.1), e.g.
   * `<ext:Hint xmlns:ext="urn:example">…</ext:Hint>`. Anything else is refused
   * (`AUTHN_REQUEST_OPTION_INVALID`) before the request is sent.
   */
  readonly extensions?: string;
  /**
   * NameIDPolicy `AllowCreate` (SAML core §3.4.1.1): whether the IdP may create a new identifier
   * for the user at this SP. Sent with the NameIDPolicy (when a NameID format is asked for).
   * Default true.
   */
  readonly allowCreate?: boolean;
}

const FIELDS = [
  'scoping',
  'attributeConsumingServiceIndex',
  'assertionConsumerServiceIndex',
  'providerName',
  'extensions',
  'allowCreate',
] as const satisfies readonly (keyof AuthnRequestSettings)[];

/** The merged settings and the ACS the Response will come to. @internal */
export interface ResolvedAuthnRequestSettings {
  readonly settings: AuthnRequestSettings;
  /** The SP's ACS named by `assertionConsumerServiceIndex`, when one is given. */
  readonly indexedAcs?: Endpoint;
}

function invalid(found: string, idp: string, cause?: unknown): SamlError {
  return new SamlError(
    'AUTHN_REQUEST_OPTION_INVALID',
    'An AuthnRequest option set for this IdP or login cannot be sent.',
    {
      expected:
        'scoping, attributeConsumingServiceIndex, assertionConsumerServiceIndex, providerName, ' +
        'extensions and allowCreate as SAML core §3.4.1 defines them',
      found,
      hint: `check the AuthnRequest options of IdP ${idp} (its policy) and of the login call`,
      ...(cause !== undefined && { cause }),
    },
  );
}

/**
 * Merges the login's AuthnRequest settings over the IdP's (field by field; the login wins),
 * checks them with the rules of {@link createAuthnRequest}, and finds the ACS an
 * `assertionConsumerServiceIndex` names.
 * @throws SamlError `AUTHN_REQUEST_OPTION_INVALID` when a value cannot be sent
 * @internal
 */
export function resolveAuthnRequestSettings(
  policy: AuthnRequestSettings | undefined,
  login: AuthnRequestSettings,
  acsEndpoints: readonly Endpoint[],
  idpEntityId: string,
): ResolvedAuthnRequestSettings {
  const merged: Record<string, unknown> = {};
  for (const f of FIELDS) {
    const v = login[f] !== undefined ? login[f] : policy?.[f];
    if (v !== undefined) merged[f] = v;
  }
  const settings = merged as AuthnRequestSettings;
  const { allowCreate, assertionConsumerServiceIndex: acsIndex, ...rest } = settings;
  try {
    // The builder's own checks, on these fields alone: types, ranges, XML-safe characters, and
    // Extensions well-formed and outside the SAML namespaces (SAML core §3.2.1).
    createAuthnRequest({
      issuer: 'urn:samlkit:check',
      id: '_check',
      now: 0,
      ...rest,
      ...(acsIndex !== undefined && { assertionConsumerServiceIndex: acsIndex }),
      ...(allowCreate !== undefined && { nameIdPolicy: { allowCreate } }),
    });
  } catch (e) {
    if (!(e instanceof TypeError || e instanceof SamlError)) throw e;
    const detail = e instanceof SamlError ? `${e.code}: ${e.message}` : e.message;
    throw invalid(detail.replace(/^createAuthnRequest: /, '').slice(0, 500), idpEntityId, e);
  }
  if (acsIndex === undefined) return { settings };
  // The index is the one SP metadata publishes: the endpoint's `index`, else its position.
  const indexedAcs = acsEndpoints.find((e, i) => (e.index ?? i) === acsIndex);
  if (!indexedAcs || (indexedAcs.binding !== 'post' && indexedAcs.binding !== 'redirect')) {
    throw invalid(
      indexedAcs
        ? `assertionConsumerServiceIndex ${acsIndex} names an ACS with the ${indexedAcs.binding} binding, which this SP's ACS endpoint does not take`
        : `assertionConsumerServiceIndex ${acsIndex}, but the SP's AssertionConsumerServices have indexes ${acsEndpoints.map((e, i) => e.index ?? i).join(', ') || '(none)'}`,
      idpEntityId,
    );
  }
  return { settings, indexedAcs };
}
