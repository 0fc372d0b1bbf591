// The IdP list of a discovery page and of the DiscoFeed JSON: pure functions over the discovery
// data an aggregate's streaming pass collected (aggregate-discovery.ts), or an application's own.
import type { AggregateEntitySummary, AggregateTrust, FederationAggregate } from './aggregate.js';
import {
  type DiscoveryInfo,
  type DiscoveryLogo,
  type DiscoveryText,
  safeLogoUrl,
} from './aggregate-discovery.js';

/** One IdP a discovery page lists: its entity ID and what mdui / shibmd say of it. */
export interface DiscoveryIdp extends Partial<DiscoveryInfo> {
  readonly entityId: string;
}

/** One entry of the Shibboleth SP DiscoFeed format (what external discovery UIs read). */
export interface DiscoFeedEntry {
  readonly entityID: string;
  readonly DisplayNames?: readonly { readonly value: string; readonly lang: string }[];
  readonly Descriptions?: readonly { readonly value: string; readonly lang: string }[];
  readonly Keywords?: readonly { readonly value: string; readonly lang: string }[];
  readonly Logos?: readonly {
    readonly value: string;
    readonly height: string;
    readonly width: string;
    readonly lang?: string;
  }[];
  readonly InformationURLs?: readonly { readonly value: string; readonly lang: string }[];
  readonly PrivacyStatementURLs?: readonly { readonly value: string; readonly lang: string }[];
}

const ALL: AggregateTrust = Object.freeze({});
/** The list of each aggregate (for one trust object), made once: a page asks at every request. */
const LISTS = new WeakMap<
  object,
  { readonly trust: AggregateTrust; readonly list: readonly DiscoveryIdp[] }
>();
/** One entry per summary object, so that search and feed caches keyed by entry keep hitting. */
const ENTRIES = new WeakMap<AggregateEntitySummary, DiscoveryIdp>();

function entryOf(s: AggregateEntitySummary): DiscoveryIdp {
  let entry = ENTRIES.get(s);
  if (!entry) {
    entry = Object.freeze({ entityId: s.entityId, ...s.discovery });
    ENTRIES.set(s, entry);
  }
  return entry;
}

/**
 * The IdPs a discovery page lists: SAML 2.0 IdPs the trust rules admit, without those carrying the
 * REFEDS hide-from-discovery category. From a verified aggregate (`loadAggregate`, or
 * `createAggregateSource().get()`), or from summaries already filtered by trust
 * (`createAggregateSource().entities()`). The answer for an aggregate and a `trust` object is
 * made once and then reused.
 *
 * @param from - the aggregate, or the trusted entity summaries
 * @param trust - the SP's trust rules, for an aggregate (default: every entity)
 * @returns the IdPs, in document order
 * @example
 * ```ts
 * const idps = discoveryIdpsOf(fed, { registrationAuthorities: ['https://incommon.org'] });
 * ```
 * @see REFEDS hide-from-discovery entity category; mdui §2.1
 */
export function discoveryIdpsOf(
  from: Pick<FederationAggregate, 'entities' | 'isTrusted'> | readonly AggregateEntitySummary[],
  trust: AggregateTrust = ALL,
): readonly DiscoveryIdp[] {
  if (Array.isArray(from)) {
    return (from as readonly AggregateEntitySummary[])
      .filter((s) => s.idp && !s.hiddenFromDiscovery)
      .map(entryOf);
  }
  const aggregate = from as Pick<FederationAggregate, 'entities' | 'isTrusted'>;
  const hit = LISTS.get(aggregate);
  if (hit && hit.trust === trust) return hit.list;
  const list: DiscoveryIdp[] = [];
  for (const s of aggregate.entities()) {
    if (!s.idp || s.hiddenFromDiscovery || !aggregate.isTrusted(s.entityId, trust)) continue;
    list.push(entryOf(s));
  }
  const frozen = Object.freeze(list);
  LISTS.set(aggregate, { trust, list: frozen });
  return frozen;
}

/**
 * Parses `Accept-Language` (RFC 9110 §12.5.4) into lower-case language ranges by preference,
 * `*` and q=0 left out; at most 16.
 */
export function acceptedLanguages(header: string | null | undefined): string[] {
  if (!header) return [];
  const ranges: { lang: string; q: number; i: number }[] = [];
  for (const [i, part] of header.slice(0, 1024).split(',').entries()) {
    const [tag, ...params] = part.trim().split(';');
    const lang = tag!.trim().toLowerCase();
    if (!/^[a-z]{1,8}(-[a-z0-9]{1,8})*$/.test(lang)) continue;
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([01](\.[0-9]{0,3})?)\s*$/i.exec(p);
      if (m) q = Number(m[1]);
    }
    if (q > 0) ranges.push({ lang, q, i });
  }
  ranges.sort((a, b) => b.q - a.q || a.i - b.i);
  return ranges.slice(0, 16).map((r) => r.lang);
}

/**
 * The text for the reader: the first of `languages` that matches (exactly, then by primary
 * subtag), else English, else the first given; undefined for an empty list.
 */
export function pickText(
  texts: readonly DiscoveryText[] | undefined,
  languages: readonly string[],
): string | undefined {
  if (!texts || texts.length === 0) return undefined;
  for (const lang of languages) {
    const exact = texts.find((t) => t.lang === lang);
    if (exact) return exact.value;
    const primary = lang.split('-')[0];
    const loose = texts.find((t) => t.lang?.split('-')[0] === primary);
    if (loose) return loose.value;
  }
  return (texts.find((t) => t.lang === 'en') ?? texts[0])!.value;
}

/** The IdP's name for the reader (its entity ID when it has no DisplayName). */
export function displayNameOf(idp: DiscoveryIdp, languages: readonly string[]): string {
  return pickText(idp.displayNames, languages) ?? idp.entityId;
}

/** A logo to show: the one closest to 64 px high in the reader's language or none. */
export function logoOf(idp: DiscoveryIdp, languages: readonly string[]): DiscoveryLogo | undefined {
  const logos = idp.logos ?? [];
  if (logos.length === 0) return undefined;
  const inLang = logos.filter((l) => l.lang === undefined || languages.includes(l.lang));
  const pool = inLang.length > 0 ? inLang : logos;
  return [...pool].sort(
    (a, b) => Math.abs((a.height ?? 64) - 64) - Math.abs((b.height ?? 64) - 64),
  )[0];
}

function fold(s: string): string {
  // Case and accents do not matter when searching ("Universität" is found by "universitat").
  return s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

interface Searchable {
  readonly haystack: string;
  readonly domains: readonly string[];
}

/** What a search compares, folded once per IdP object (a page is searched at every keystroke). */
const SEARCHABLE = new WeakMap<DiscoveryIdp, Searchable>();

function searchable(idp: DiscoveryIdp): Searchable {
  const cached = SEARCHABLE.get(idp);
  if (cached) return cached;
  const names = (idp.displayNames ?? []).map((t) => fold(t.value));
  const keywords = (idp.keywords ?? []).map((t) => fold(t.value.replace(/\+/g, ' ')));
  const domains = [
    ...(idp.domainHints ?? []),
    ...(idp.scopes ?? []).filter((s) => !s.regexp).map((s) => s.value.toLowerCase()),
  ];
  let host = '';
  try {
    host = new URL(idp.entityId).hostname;
  } catch {
    // a URN entity ID has no host
  }
  const made = { haystack: [...names, ...keywords, ...domains, host].join('\n'), domains };
  SEARCHABLE.set(idp, made);
  return made;
}

/**
 * Searches IdPs by name, keyword, domain and scope: every word of `query` must occur in the
 * IdP's DisplayNames (any language), Keywords, DomainHints or scopes (non-regexp), or its entity
 * ID's host; a DisplayName in the reader's language that starts with the query ranks first.
 * An e-mail address searches by its domain.
 *
 * @param idps - the listed IdPs
 * @param query - what the user typed
 * @param languages - the reader's languages (for ranking)
 * @param limit - at most this many results
 * @returns the matching IdPs, best first
 */
export function searchDiscoveryIdps(
  idps: readonly DiscoveryIdp[],
  query: string,
  languages: readonly string[],
  limit = 50,
): DiscoveryIdp[] {
  const q = fold(query.slice(0, 200).trim());
  const at = q.lastIndexOf('@');
  const words = (at >= 0 ? q.slice(at + 1) : q).split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return [];
  const scored: { idp: DiscoveryIdp; score: number; name: string }[] = [];
  for (const idp of idps) {
    const { haystack, domains } = searchable(idp);
    if (!words.every((w) => haystack.includes(w))) continue;
    const name = fold(displayNameOf(idp, languages));
    const score =
      (name.startsWith(q) ? 0 : name.includes(q) ? 1 : 2) +
      (domains.some((d) => d === words[0] || d.endsWith(`.${words[0]}`)) ? -1 : 0);
    scored.push({ idp, score, name });
  }
  scored.sort((a, b) => a.score - b.score || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return scored.slice(0, limit).map((s) => s.idp);
}

const texts = (list: readonly DiscoveryText[] | undefined) =>
  list && list.length > 0 ? list.map((t) => ({ value: t.value, lang: t.lang ?? 'en' })) : undefined;

/**
 * The IdPs in the Shibboleth SP DiscoFeed format (what the Shibboleth embedded discovery
 * service and other external discovery UIs read): one object per IdP with `entityID` and, when
 * present, `DisplayNames`, `Descriptions`, `Keywords`, `Logos`, `InformationURLs`,
 * `PrivacyStatementURLs`.
 *
 * @param idps - the listed IdPs
 * @returns the feed entries
 * @example
 * ```ts
 * new Response(JSON.stringify(toDiscoFeed(discoveryIdpsOf(fed))), {
 *   headers: { 'content-type': 'application/json' },
 * });
 * ```
 */
export function toDiscoFeed(idps: readonly DiscoveryIdp[]): DiscoFeedEntry[] {
  return idps.map((idp) => {
    // An application's own list did not pass the aggregate's checks: logos are checked again.
    const logos = (idp.logos ?? []).flatMap((l) => {
      const value = safeLogoUrl(l.value);
      return value === undefined
        ? []
        : [
            {
              value,
              height: String(l.height ?? ''),
              width: String(l.width ?? ''),
              ...(l.lang !== undefined && { lang: l.lang }),
            },
          ];
    });
    const names = texts(idp.displayNames);
    const descriptions = texts(idp.descriptions);
    const keywords = texts(idp.keywords);
    const info = texts(idp.informationUrls);
    const privacy = texts(idp.privacyStatementUrls);
    return {
      entityID: idp.entityId,
      ...(names !== undefined && { DisplayNames: names }),
      ...(descriptions !== undefined && { Descriptions: descriptions }),
      ...(keywords !== undefined && { Keywords: keywords }),
      ...(logos.length > 0 && { Logos: logos }),
      ...(info !== undefined && { InformationURLs: info }),
      ...(privacy !== undefined && { PrivacyStatementURLs: privacy }),
    };
  });
}
