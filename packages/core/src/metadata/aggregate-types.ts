// The types of the federation aggregate loader (aggregate.ts): its options, what it knows of
// each entity, the trust rules, and the index it returns.
import type { PublicKey } from '../crypto/keys.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type { XmlLimits } from '../lib/xml.js';
import type { DiscoveryInfo } from './aggregate-discovery.js';
import type { IdpMetadata } from './idp.js';

/** Options of {@link loadAggregate}. */
export interface LoadAggregateOptions {
  /** The federation's pinned metadata-signing keys. Only these verify the aggregate. */
  readonly keys: readonly PublicKey[];
  /** The current time: an aggregate whose validUntil has passed is refused. */
  readonly now: Date | number;
  /** Accept a SHA-1 based signature. **Weakens security.** */
  readonly allowSha1?: boolean;
  /**
   * Parsing limits. Default `maxSize` 128 MiB (characters); the count limits follow it
   * ({@link XmlLimits.maxNodes}). Every other limit keeps its default.
   */
  readonly limits?: XmlLimits;
  /** The WebCrypto provider. */
  readonly crypto?: CryptoProvider;
}

/** What the index knows of an entity without parsing it. */
export interface AggregateEntitySummary {
  readonly entityId: string;
  /** Has an IDPSSODescriptor listing SAML 2.0. */
  readonly idp: boolean;
  /** Has an SPSSODescriptor. */
  readonly sp: boolean;
  /** `mdrpi:RegistrationInfo/@registrationAuthority`, when present. */
  readonly registrationAuthority?: string;
  /** Values of the `http://macedir.org/entity-category` entity attribute. */
  readonly entityCategories: readonly string[];
  /** Values of the assurance-certification entity attribute (e.g. `https://refeds.org/sirtfi`). */
  readonly assuranceCertifications: readonly string[];
  /** Carries the REFEDS hide-from-discovery category: do not list it in a discovery page. */
  readonly hiddenFromDiscovery: boolean;
  /** IdPs: what a discovery page shows and searches (mdui:UIInfo, mdui:DiscoHints, shibmd:Scope). */
  readonly discovery?: DiscoveryInfo;
}

/**
 * Which entities of an aggregate an SP trusts. Every condition given must hold; `{}` trusts every
 * entity. `deny` always wins.
 */
export interface AggregateTrust {
  /** Only entities registered by one of these authorities (`mdrpi:RegistrationInfo`). */
  readonly registrationAuthorities?: readonly string[];
  /** Only entities carrying at least one of these entity categories. */
  readonly entityCategories?: readonly string[];
  /** Only these entity IDs. */
  readonly allow?: readonly string[];
  /** Never these entity IDs. */
  readonly deny?: readonly string[];
}

/** A verified, indexed federation aggregate. */
export interface FederationAggregate {
  /** The aggregate's `Name`, when present. */
  readonly name: string | undefined;
  /** The root's `validUntil` (epoch ms), when present. */
  readonly validUntil: number | undefined;
  /** The root's `cacheDuration` in milliseconds, when present (SAML metadata §2.3.1). */
  readonly cacheDuration: number | undefined;
  /** `mdrpi:PublicationInfo/@publisher` on the root, when present (the federation's name). */
  readonly publisher: string | undefined;
  /** How many EntityDescriptors, IdPs and SPs it holds. */
  readonly counts: { readonly entities: number; readonly idps: number; readonly sps: number };
  /** The summary of one entity, or undefined. */
  summary(entityId: string): AggregateEntitySummary | undefined;
  /** Every entity summary, in document order. */
  entities(): readonly AggregateEntitySummary[];
  /** Whether `trust` admits the entity. */
  isTrusted(entityId: string, trust: AggregateTrust): boolean;
  /**
   * The IdP's metadata, parsed from its own bytes of the verified document on first use (then
   * cached). Refused when the entity is absent, not an IdP, or not admitted by `trust`.
   * @throws SamlError `METADATA_ENTITY_NOT_FOUND`, `METADATA_INVALID`, `METADATA_EXPIRED`
   */
  idp(
    entityId: string,
    options: { readonly now: Date | number; readonly trust?: AggregateTrust },
  ): Promise<IdpMetadata>;
}

/** One indexed EntityDescriptor: its summary and its byte range in the text. @internal */
export interface Entry {
  readonly summary: AggregateEntitySummary;
  readonly start: number;
  readonly end: number;
  /** Start tags of the enclosing EntitiesDescriptors (declarations, validity), outermost first. */
  readonly wrapper: WrapperTag[];
  /** IdPs: the ranges parseIdpMetadata reads, [start, end, …] (aggregate-fragment.ts). */
  readonly parts?: readonly number[];
  duplicate: boolean;
  cached?: IdpMetadata;
}

/** An enclosing EntitiesDescriptor's start and end tag. @internal */
export interface WrapperTag {
  readonly open: string;
  readonly close: string;
}

/** A summary while the streaming pass fills it in. @internal */
export interface MutableSummary {
  entityId: string;
  idp: boolean;
  sp: boolean;
  registrationAuthority?: string;
  entityCategories: string[];
  assuranceCertifications: string[];
  hiddenFromDiscovery: boolean;
  discovery?: DiscoveryInfo;
}
