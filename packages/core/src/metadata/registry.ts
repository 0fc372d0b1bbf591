import type { IdentityProviderConfig } from '../config.js';
import { describeValue, SamlError } from '../errors.js';
import type { IdpPolicy } from '../sp/idp-policy.js';
import type { MetadataSource } from './source.js';

/** One IdP the SP trusts, and how login finds it. */
export interface IdpRegistryEntry {
  /** The IdP's entity ID (the Issuer of its messages). */
  readonly entityId: string;
  /** Its configuration: static (e.g. from `parseIdpMetadata`) or a metadata source. */
  readonly idp: IdentityProviderConfig | MetadataSource;
  /**
   * App-defined keys that select this IdP: tenant IDs, customer slugs, email domains
   * (home-realm discovery). Matched case-insensitively; each key names one IdP.
   */
  readonly keys?: readonly string[];
  /**
   * Extra query parameters for AuthnRequests to this IdP, for the Redirect binding's
   * `extraParams`: e.g. `{ domain_hint: 'contoso.com' }` (Entra ID) or `{ whr: '…' }` (AD FS).
   */
  readonly authnRequestParams?: Readonly<Record<string, string>>;
  /** How the SP treats this IdP (allowSha1, userIdAttribute, …); each field falls back to the SP options. */
  readonly policy?: IdpPolicy;
}

/** How login chose an IdP. */
export interface ResolvedIdp {
  readonly entityId: string;
  /** The IdP configuration in force (metadata sources are read, and refreshed when due). */
  readonly idp: IdentityProviderConfig;
  /** Extra AuthnRequest query parameters for this IdP (possibly empty). */
  readonly authnRequestParams: Readonly<Record<string, string>>;
  /** The IdP's own policy, when its entry has one. */
  readonly policy?: IdpPolicy;
}

/** What selects an IdP at login: its entityID, an app key, or a user's email address. */
export type IdpHint =
  | { readonly entityId: string }
  | { readonly key: string }
  | { readonly email: string };

/** Several IdPs for one SP (SaaS: each customer brings its own). */
export interface IdpRegistry {
  /** Entity IDs of every registered IdP. */
  readonly entityIds: readonly string[];
  /** Whether an IdP with this entity ID is registered. */
  has(entityId: string): boolean;
  /**
   * Picks the IdP for a login.
   * @throws SamlError `IDP_UNKNOWN` when nothing matches; the metadata codes when a source has no
   *   usable metadata
   */
  resolve(hint: IdpHint): Promise<ResolvedIdp>;
  /**
   * The IdP to check an incoming Response or logout message against: the one its Issuer names,
   * which must also be the IdP the request went to (the pending request's `idpEntityId`) when
   * the message answers a request. Take no pending request to learn that value: verify the
   * message first, then take the request with the conditional
   * `store.takePendingRequest(id, { kind, idpEntityId: verifiedIssuer })`, which leaves a request
   * sent to another IdP intact (SAML profiles §4.1.4.2).
   * @throws SamlError `ISSUER_MISMATCH`, `IDP_UNKNOWN`
   */
  forMessage(issuer: string, requestedIdpEntityId?: string): Promise<ResolvedIdp>;
  /**
   * Runs `fn` with the IdP's configuration; for a metadata source, with its rollover retry
   * (see {@link MetadataSource.withRollover}).
   */
  withRollover<T>(entityId: string, fn: (idp: IdentityProviderConfig) => Promise<T>): Promise<T>;
}

function isSource(idp: IdentityProviderConfig | MetadataSource): idp is MetadataSource {
  return typeof (idp as MetadataSource).get === 'function';
}

function unknown(what: string, value: string, known: readonly string[]): SamlError {
  return new SamlError('IDP_UNKNOWN', `No IdP is configured for this ${what}.`, {
    expected: `one of ${known.length} configured IdP${known.length === 1 ? '' : 's'}${
      known.length
        ? ` (${known
            .slice(0, 5)
            .map((k) => describeValue(k))
            .join(', ')}${known.length > 5 ? ', …' : ''})`
        : ''
    }`,
    found: describeValue(value),
    hint: `add the IdP (or this ${what}) to the SP configuration, or check what the login was started with`,
  });
}

/**
 * Builds the registry of IdPs one SP trusts, from static configurations and metadata sources
 * (separate metadata per IdP, or several entities picked out of one federation aggregate).
 * Login picks one by entityID, by an app-defined key (tenant, customer) or by the domain of the
 * user's email address (home-realm discovery); every Response and logout message is then checked
 * against the IdP its Issuer names — and that IdP must be the one the request went to.
 *
 * @param entries - the IdPs
 * @returns the registry
 * @throws SamlError `CONFIG_INVALID` for a duplicate entity ID or key, or a static configuration
 *   whose entityId differs from its entry's
 *
 * @example Two customers, each with their own IdP
 * ```ts
 * const idps = createIdpRegistry([
 *   { entityId: 'https://sts.windows.net/<tenant>/', idp: entraSource,
 *     keys: ['contoso', 'contoso.com'], authnRequestParams: { domain_hint: 'contoso.com' } },
 *   { entityId: 'http://www.okta.com/exk123', idp: oktaConfig, keys: ['fabrikam.com'] },
 * ]);
 * const { idp, authnRequestParams } = await idps.resolve({ email: 'ann@contoso.com' });
 * ```
 *
 * @see SAML 2.0 profiles §4.1.3.2 (IdP discovery), §4.1.4.2 (Issuer of the Response)
 */
export function createIdpRegistry(entries: readonly IdpRegistryEntry[]): IdpRegistry {
  if (!Array.isArray(entries)) throw new TypeError('createIdpRegistry: entries must be an array');
  const byEntity = new Map<string, IdpRegistryEntry>();
  const byKey = new Map<string, IdpRegistryEntry>();
  for (const [i, e] of entries.entries()) {
    if (!e || typeof e.entityId !== 'string' || e.entityId === '' || !e.idp) {
      throw new SamlError('CONFIG_INVALID', 'An IdP entry is incomplete.', {
        expected: '{ entityId, idp }',
        found: `entry ${i}`,
        hint: 'give each IdP its entity ID and its configuration or metadata source',
      });
    }
    if (byEntity.has(e.entityId)) {
      throw new SamlError('CONFIG_INVALID', 'An IdP is configured twice.', {
        expected: 'each entity ID once',
        found: describeValue(e.entityId),
      });
    }
    if (!isSource(e.idp) && e.idp.entityId !== e.entityId) {
      throw new SamlError('CONFIG_INVALID', 'An IdP entry names two entity IDs.', {
        expected: `idp.entityId equal to ${describeValue(e.entityId)}`,
        found: describeValue(e.idp.entityId),
      });
    }
    byEntity.set(e.entityId, e);
    for (const key of e.keys ?? []) {
      const k = key.trim().toLowerCase();
      const other = byKey.get(k);
      if (other) {
        throw new SamlError('CONFIG_INVALID', 'Two IdPs share a key.', {
          expected: 'each key (tenant, domain) naming one IdP',
          found: `${describeValue(key)} for ${describeValue(other.entityId)} and ${describeValue(e.entityId)}`,
        });
      }
      byKey.set(k, e);
    }
  }
  const entityIds = Object.freeze([...byEntity.keys()]);

  const load = async (e: IdpRegistryEntry): Promise<IdentityProviderConfig> => {
    if (!isSource(e.idp)) return e.idp;
    const idp = await e.idp.get();
    if (idp.entityId !== e.entityId) {
      throw new SamlError('METADATA_ENTITY_NOT_FOUND', 'The metadata describes another IdP.', {
        expected: `entityID ${describeValue(e.entityId)}`,
        found: describeValue(idp.entityId),
        hint: `check the metadata URL ${e.idp.url}, or create the source with entityId`,
      });
    }
    return idp;
  };
  const resolved = async (e: IdpRegistryEntry): Promise<ResolvedIdp> => ({
    entityId: e.entityId,
    idp: await load(e),
    authnRequestParams: e.authnRequestParams ?? {},
    ...(e.policy !== undefined && { policy: e.policy }),
  });

  return Object.freeze({
    entityIds,
    has: (entityId: string) => byEntity.has(entityId),
    async resolve(hint: IdpHint): Promise<ResolvedIdp> {
      if ('entityId' in hint) {
        const e = byEntity.get(hint.entityId);
        if (!e) throw unknown('entity ID', hint.entityId, entityIds);
        return resolved(e);
      }
      if ('key' in hint) {
        const e = byKey.get(hint.key.trim().toLowerCase());
        if (!e) throw unknown('key', hint.key, [...byKey.keys()]);
        return resolved(e);
      }
      if ('email' in hint) {
        const at = hint.email.lastIndexOf('@');
        const domain = at >= 0 ? hint.email.slice(at + 1) : '';
        const e = domain ? byKey.get(domain.trim().toLowerCase()) : undefined;
        if (!e) throw unknown('email domain', domain || hint.email, [...byKey.keys()]);
        return resolved(e);
      }
      throw new TypeError('IdpRegistry.resolve: hint must have entityId, key or email');
    },
    async forMessage(issuer: string, requestedIdpEntityId?: string): Promise<ResolvedIdp> {
      if (typeof issuer !== 'string')
        throw new TypeError('IdpRegistry.forMessage: issuer must be a string');
      // SAML profiles §4.1.4.2/§4.1.4.3: the response must come from the IdP the request was sent
      // to; a message from another (even trusted) IdP answering it is refused.
      if (requestedIdpEntityId !== undefined && issuer !== requestedIdpEntityId) {
        throw new SamlError(
          'ISSUER_MISMATCH',
          'The message comes from another IdP than the request went to.',
          {
            expected: `Issuer ${describeValue(requestedIdpEntityId)}`,
            found: describeValue(issuer),
            hint: 'a response from one customer’s IdP cannot complete a login started at another’s',
          },
        );
      }
      const e = byEntity.get(issuer);
      if (!e) throw unknown('Issuer', issuer, entityIds);
      return resolved(e);
    },
    async withRollover<T>(
      entityId: string,
      fn: (idp: IdentityProviderConfig) => Promise<T>,
    ): Promise<T> {
      const e = byEntity.get(entityId);
      if (!e) throw unknown('entity ID', entityId, entityIds);
      if (!isSource(e.idp)) return fn(e.idp);
      await load(e);
      return e.idp.withRollover(fn);
    },
  });
}
