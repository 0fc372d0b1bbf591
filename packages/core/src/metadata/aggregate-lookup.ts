// The index a verified federation aggregate is served from: counts, summaries, the trust rules,
// and each IdP parsed from its own bytes on first lookup (aggregate.ts builds it).
import { describeValue, SamlError } from '../errors.js';
import { fragmentText } from './aggregate-fragment.js';
import type { AggregateTrust, Entry, FederationAggregate } from './aggregate-types.js';
import { parseIdpMetadata } from './idp.js';

/** A structural refusal of the aggregate. @internal */
export function invalid(summary: string, expected: string, found: string): SamlError {
  return new SamlError('METADATA_INVALID', summary, {
    expected,
    found,
    hint: 'check the aggregate URL and the pinned federation certificate',
  });
}

/**
 * The index over a verified aggregate's text.
 * @internal
 */
export function indexedAggregate(
  text: string,
  entries: ReadonlyMap<string, Entry>,
  order: readonly Entry[],
  root: Pick<FederationAggregate, 'name' | 'validUntil' | 'cacheDuration' | 'publisher'>,
): FederationAggregate {
  let idps = 0;
  let sps = 0;
  for (const e of order) {
    if (e.summary.idp) idps++;
    if (e.summary.sp) sps++;
  }
  const summaries = Object.freeze(order.map((e) => e.summary));
  const trusted = (e: Entry, trust: AggregateTrust): boolean => {
    const s = e.summary;
    if (trust.deny?.includes(s.entityId)) return false;
    if (trust.allow !== undefined && !trust.allow.includes(s.entityId)) return false;
    if (
      trust.registrationAuthorities !== undefined &&
      (s.registrationAuthority === undefined ||
        !trust.registrationAuthorities.includes(s.registrationAuthority))
    )
      return false;
    if (
      trust.entityCategories !== undefined &&
      !s.entityCategories.some((c) => trust.entityCategories!.includes(c))
    )
      return false;
    return true;
  };

  return {
    name: root.name,
    validUntil: root.validUntil,
    cacheDuration: root.cacheDuration,
    publisher: root.publisher,
    counts: Object.freeze({ entities: order.length, idps, sps }),
    summary: (entityId) => entries.get(entityId)?.summary,
    entities: () => summaries,
    isTrusted(entityId, trust) {
      const e = entries.get(entityId);
      return e !== undefined && trusted(e, trust);
    },
    async idp(entityId, lookup) {
      const e = entries.get(entityId);
      if (!e?.summary.idp || (lookup.trust !== undefined && !trusted(e, lookup.trust))) {
        throw new SamlError(
          'METADATA_ENTITY_NOT_FOUND',
          'The IdP is not trusted in the aggregate.',
          {
            expected: 'a SAML 2.0 IdP of the aggregate that the trust rules admit',
            found: !e
              ? `no entity ${describeValue(entityId)}`
              : !e.summary.idp
                ? 'an entity that is not an IdP'
                : 'an IdP the trust rules leave out',
            hint: 'check the entity ID, and the registrationAuthorities / entityCategories / allow / deny rules',
          },
        );
      }
      if (e.duplicate) {
        throw invalid(
          'The metadata lists the entity several times.',
          'each entityID once',
          describeValue(entityId),
        );
      }
      const t = lookup.now instanceof Date ? lookup.now.getTime() : lookup.now;
      if (!e.cached) {
        // Only the parts of the entity parseIdpMetadata reads (aggregate-fragment.ts).
        const fragment = fragmentText(text, e.parts ?? [e.start, e.end], e.wrapper);
        e.cached = {
          ...(await parseIdpMetadata(fragment, { entityId, now: t })),
          signatureVerified: true,
        };
      }
      const md = e.cached;
      if (md.validUntil !== undefined && md.validUntil <= t) {
        throw new SamlError('METADATA_EXPIRED', 'The metadata has expired.', {
          expected: `validUntil after ${new Date(t).toISOString()}`,
          found: `validUntil ${new Date(md.validUntil).toISOString()}`,
          hint: 'load a fresh aggregate (or check this server’s clock)',
        });
      }
      return md;
    },
  };
}
