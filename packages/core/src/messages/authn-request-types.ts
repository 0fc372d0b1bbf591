// The AuthnRequest as data: the options of createAuthnRequest and what parseAuthnRequest returns
// (SAML core §3.4.1).
import type { BindingName } from '../config.js';
import type { CryptoProvider } from '../crypto/provider.js';

/** How the IdP should match the requested authentication contexts (SAML core §3.3.2.2.1). */
export type AuthnContextComparison = 'exact' | 'minimum' | 'maximum' | 'better';

/** `<samlp:NameIDPolicy>`: the identifier the SP wants for the user (SAML core §3.4.1.1). */
export interface NameIdPolicy {
  /** A NameID format URI, e.g. `urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress`. */
  readonly format?: string;
  /** Whether the IdP may create a new identifier for the user at this SP. */
  readonly allowCreate?: boolean;
  /** The name qualifier for an affiliation, when the SP is part of one. */
  readonly spNameQualifier?: string;
}

/** `<samlp:RequestedAuthnContext>` with one or more `<saml:AuthnContextClassRef>` (SAML core §3.3.2.2.1). */
export interface RequestedAuthnContext {
  /** Default `exact` (SAML core §3.3.2.2.1). */
  readonly comparison?: AuthnContextComparison;
  /** AuthnContextClassRef URIs, in order of preference. */
  readonly classRefs: readonly [string, ...string[]];
}

/**
 * Where the IdP sends the Response. `assertionConsumerServiceIndex` is mutually exclusive with
 * `assertionConsumerServiceUrl` and `protocolBinding` (SAML core §3.4.1), so the three shapes are
 * a discriminated union; give neither to let the IdP use the SP's default endpoint from metadata.
 */
export type AssertionConsumerServiceChoice =
  | {
      /** The ACS URL, which the IdP checks against the SP's metadata. */
      readonly assertionConsumerServiceUrl: string;
      /** The binding for the Response: a short name (`post`) or a binding URI. */
      readonly protocolBinding?: BindingName | string;
      readonly assertionConsumerServiceIndex?: never;
    }
  | {
      /** The index of an AssertionConsumerService in the SP's metadata. */
      readonly assertionConsumerServiceIndex: number;
      readonly assertionConsumerServiceUrl?: never;
      readonly protocolBinding?: never;
    }
  | {
      readonly assertionConsumerServiceUrl?: never;
      readonly assertionConsumerServiceIndex?: never;
      /** The binding for the Response: a short name (`post`) or a binding URI. */
      readonly protocolBinding?: BindingName | string;
    };

/** One `<samlp:IDPEntry>`: an IdP the requester would accept (SAML core §3.4.1.3.1). */
export interface IdpEntry {
  /** The IdP's entity ID (`ProviderID`, an anyURI). */
  readonly providerId: string;
  /** A human-readable name for the IdP (`Name`). */
  readonly name?: string;
  /** The IdP's SingleSignOnService location for this binding (`Loc`, an anyURI). */
  readonly loc?: string;
}

/** `<samlp:IDPList>`: the IdPs a proxying IdP may pass the request on to (SAML core §3.4.1.3). */
export interface IdpList {
  /** One or more IdPs, in order of preference. */
  readonly entries: readonly [IdpEntry, ...IdpEntry[]];
  /** A URI where the complete list can be fetched (`<samlp:GetComplete>`). */
  readonly getComplete?: string;
}

/**
 * `<samlp:Scoping>`: which IdPs may answer and how far the request may be proxied (SAML core
 * §3.4.1.2). Every part is optional; `proxyCount: 0` forbids proxying.
 */
export interface Scoping {
  /** How many proxying steps are allowed (`ProxyCount`, a non-negative integer). */
  readonly proxyCount?: number;
  /** The IdPs the requester trusts to authenticate the user. */
  readonly idpList?: IdpList;
  /** Entity IDs on whose behalf the request is made (`<samlp:RequesterID>`, in order). */
  readonly requesterIds?: readonly [string, ...string[]];
}

/** Fields shared by {@link AuthnRequestOptions} and the parsed {@link AuthnRequest}. */
export interface AuthnRequestFields {
  /** The SP entity ID (`<saml:Issuer>`, SAML profiles §4.1.4.1). */
  readonly issuer: string;
  /** The IdP SingleSignOnService URL the request is sent to (`Destination`). */
  readonly destination?: string;
  /** Ask the IdP to authenticate the user again even with a session (step-up). */
  readonly forceAuthn?: boolean;
  /** Ask the IdP not to interact with the user (fails with NoPassive when it would have to). */
  readonly isPassive?: boolean;
  readonly nameIdPolicy?: NameIdPolicy;
  readonly requestedAuthnContext?: RequestedAuthnContext;
  /**
   * `<samlp:Extensions>` content as an XML fragment: one or more elements, each qualified with a
   * namespace that is not a SAML-defined one (SAML core §3.2.1), declared in the fragment.
   */
  readonly extensions?: string;
  /** Human-readable SP name some IdPs show on their login page. */
  readonly providerName?: string;
  /**
   * The index of an AttributeConsumingService in the SP's metadata: which attributes the SP asks
   * for (`AttributeConsumingServiceIndex`, an xs:unsignedShort; SAML core §3.4.1).
   */
  readonly attributeConsumingServiceIndex?: number;
  /** `<samlp:Scoping>`: IdP list, proxy count and requester IDs (SAML core §3.4.1.2). */
  readonly scoping?: Scoping;
}

/** Options for {@link createAuthnRequest}. */
export type AuthnRequestOptions = AuthnRequestFields &
  AssertionConsumerServiceChoice & {
    /** The current time (a `Date` or epoch milliseconds): becomes `IssueInstant`. */
    readonly now: Date | number;
    /** The random source for the ID (default: the runtime's WebCrypto). */
    readonly crypto?: CryptoProvider;
    /** A fixed ID instead of a random one (tests, replays of a stored request). */
    readonly id?: string;
  };

/** An `<samlp:AuthnRequest>` as data: what {@link parseAuthnRequest} returns. */
export type AuthnRequest = AuthnRequestFields & {
  readonly id: string;
  /** `IssueInstant` in epoch milliseconds. */
  readonly issueInstant: number;
  readonly assertionConsumerServiceUrl?: string;
  readonly assertionConsumerServiceIndex?: number;
  /** The binding URI for the Response. */
  readonly protocolBinding?: string;
};

/** What {@link createAuthnRequest} returns. */
export interface CreatedAuthnRequest {
  /** The request ID: store it to check the Response's `InResponseTo`. */
  readonly id: string;
  /** The serialized `<samlp:AuthnRequest>` (unsigned). */
  readonly xml: string;
  /** `IssueInstant` in epoch milliseconds. */
  readonly issueInstant: number;
  /** The request as data, exactly what {@link parseAuthnRequest} reads back from `xml`. */
  readonly request: AuthnRequest;
}
