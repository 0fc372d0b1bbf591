// What a discovery page needs of each IdP of an aggregate, collected in the aggregate loader's
// streaming pass (aggregate.ts calls the collector from its start / text / end callbacks):
// mdui:UIInfo (SAML V2.0 Metadata Extensions for Login and Discovery User Interface, "mdui",
// §2.1), mdui:DiscoHints (§2.2) and shibmd:Scope (Shibboleth metadata extension). Only the
// Extensions of an IDPSSODescriptor are read: mdui §2.1 places UIInfo in a role descriptor's
// Extensions, and a discovery page lists identity providers.
import type { StreamElement } from './aggregate-c14n.js';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const MDUI = 'urn:oasis:names:tc:SAML:metadata:ui';
const SHIBMD = 'urn:mace:shibboleth:metadata:1.0';
/** Namespaces in XML 1.0 §3: the xml prefix (xml:lang, XML 1.0 §2.12). */
const XML_NS = 'http://www.w3.org/XML/1998/namespace';

/** A localized text of an IdP (`xml:lang` is required on mdui elements, mdui §2.1). */
export interface DiscoveryText {
  readonly value: string;
  /** The `xml:lang` of the element, when it had one. */
  readonly lang?: string;
}

/** An `mdui:Logo` (mdui §2.1.6): only https: URLs and raster `data:` images are kept. */
export interface DiscoveryLogo {
  /** An `https:` URL or a `data:image/(png|jpeg|gif|webp);base64,` URI. */
  readonly value: string;
  readonly width?: number;
  readonly height?: number;
  readonly lang?: string;
}

/** A `shibmd:Scope` value: the domain (or, with `regexp`, the pattern) of scoped attributes. */
export interface DiscoveryScope {
  readonly value: string;
  readonly regexp: boolean;
}

/** What a discovery page shows and searches of one IdP. Every list may be empty. */
export interface DiscoveryInfo {
  /** `mdui:DisplayName` per language. */
  readonly displayNames: readonly DiscoveryText[];
  /** `mdui:Description` per language. */
  readonly descriptions: readonly DiscoveryText[];
  /**
   * `mdui:Keywords` per language: the keywords separated by single spaces, `+` standing for a
   * space inside a keyword (mdui §2.1.4), as published.
   */
  readonly keywords: readonly DiscoveryText[];
  readonly logos: readonly DiscoveryLogo[];
  /** `mdui:InformationURL` (https: or http: only). */
  readonly informationUrls: readonly DiscoveryText[];
  /** `mdui:PrivacyStatementURL` (https: or http: only). */
  readonly privacyStatementUrls: readonly DiscoveryText[];
  /** `mdui:DiscoHints/mdui:DomainHint` (mdui §2.2.2), lower-cased. */
  readonly domainHints: readonly string[];
  /** `mdui:DiscoHints/mdui:IPHint` (mdui §2.2.1): CIDR blocks, as published. */
  readonly ipHints: readonly string[];
  /** `shibmd:Scope` values of the IDPSSODescriptor. */
  readonly scopes: readonly DiscoveryScope[];
}

/**
 * Size bounds: a hostile (or careless) aggregate must not make a discovery page or its feed
 * large. Longer texts are cut at a character boundary; longer URLs are dropped (a cut URL is a
 * different URL); at most {@link DISCOVERY_LIMITS.perList} values of each kind are kept.
 */
export const DISCOVERY_LIMITS: {
  readonly name: number;
  readonly description: number;
  readonly keywords: number;
  readonly url: number;
  readonly logo: number;
  readonly hint: number;
  readonly perList: number;
} = Object.freeze({
  name: 256,
  description: 1024,
  keywords: 512,
  url: 2048,
  logo: 65_536,
  hint: 256,
  perList: 16,
});

const SPACE = /[\t\n\r ]+/g;
// C0 and C1 controls other than white space, and lone surrogates, never reach a page.
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const RASTER_DATA = /^data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/]+={0,2}$/;
const LANG = /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/;

/** Collapses white space, removes controls and cuts to `max` characters (never inside a pair). */
export function cleanDiscoveryText(raw: string, max: number): string {
  let v = raw.replace(CONTROLS, '').replace(LONE_SURROGATE, '').replace(SPACE, ' ').trim();
  if (v.length > max) {
    const cut = v.charCodeAt(max - 1) >= 0xd800 && v.charCodeAt(max - 1) <= 0xdbff ? max - 1 : max;
    v = v.slice(0, cut).trimEnd();
  }
  return v;
}

/**
 * A logo URL as a page may show it, or undefined: `https:` URLs, and `data:` URIs of raster
 * images in base64 (never `javascript:`, never `http:`, never an SVG, which can carry script).
 */
export function safeLogoUrl(raw: string): string | undefined {
  const v = raw.replace(SPACE, '');
  if (v === '' || v.length > DISCOVERY_LIMITS.logo) return undefined;
  if (/^data:/i.test(v)) return RASTER_DATA.test(v) ? v : undefined;
  if (v.length > DISCOVERY_LIMITS.url) return undefined;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return undefined;
  }
  return url.protocol === 'https:' ? url.href : undefined;
}

/** An http(s) URL (mdui InformationURL / PrivacyStatementURL), or undefined. */
function safeLinkUrl(raw: string): string | undefined {
  const v = raw.replace(SPACE, '');
  if (v === '' || v.length > DISCOVERY_LIMITS.url) return undefined;
  try {
    const url = new URL(v);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

function dimension(value: string | undefined): number | undefined {
  if (value === undefined || !/^[ \t\r\n]*[0-9]{1,5}[ \t\r\n]*$/.test(value)) return undefined;
  const n = Number(value.trim());
  return n > 0 ? n : undefined;
}

type Field =
  | 'displayNames'
  | 'descriptions'
  | 'keywords'
  | 'logos'
  | 'informationUrls'
  | 'privacyStatementUrls'
  | 'domainHints'
  | 'ipHints'
  | 'scopes';

const UI_FIELDS: Readonly<Record<string, Field>> = {
  DisplayName: 'displayNames',
  Description: 'descriptions',
  Keywords: 'keywords',
  Logo: 'logos',
  InformationURL: 'informationUrls',
  PrivacyStatementURL: 'privacyStatementUrls',
};
const HINT_FIELDS: Readonly<Record<string, Field>> = {
  DomainHint: 'domainHints',
  IPHint: 'ipHints',
};

interface Mutable {
  displayNames: DiscoveryText[];
  descriptions: DiscoveryText[];
  keywords: DiscoveryText[];
  logos: DiscoveryLogo[];
  informationUrls: DiscoveryText[];
  privacyStatementUrls: DiscoveryText[];
  domainHints: string[];
  ipHints: string[];
  scopes: DiscoveryScope[];
}

/** The streaming collector aggregate.ts drives. @internal */
export interface DiscoveryCollector {
  /** A start tag `rel` levels below the EntityDescriptor (1 = a role descriptor). */
  start(el: StreamElement, rel: number): void;
  /** Character data directly inside the element `rel` levels below the EntityDescriptor. */
  text(rel: number, value: string): void;
  /** The end of the element `rel` levels below the EntityDescriptor. */
  end(rel: number): void;
  /** The entity's discovery data (undefined when it had none), and a reset for the next one. */
  take(): DiscoveryInfo | undefined;
}

/** Creates the collector for one streaming pass. @internal */
export function createDiscoveryCollector(): DiscoveryCollector {
  let info: Mutable | undefined;
  let inIdp = false;
  let inExtensions = false;
  let container: 'ui' | 'hints' | undefined;
  let field:
    | { name: Field; lang?: string; width?: number; height?: number; regexp?: boolean }
    | undefined;
  let fieldRel = 0;
  let buffer: string[] = [];
  let buffered = 0;

  const data = (): Mutable =>
    (info ??= {
      displayNames: [],
      descriptions: [],
      keywords: [],
      logos: [],
      informationUrls: [],
      privacyStatementUrls: [],
      domainHints: [],
      ipHints: [],
      scopes: [],
    });

  const langOf = (el: StreamElement): string | undefined => {
    const v = el.attributes.find((a) => a.uri === XML_NS && a.local === 'lang')?.value.trim();
    return v !== undefined && LANG.test(v) ? v.toLowerCase() : undefined;
  };

  function finish(): void {
    const f = field!;
    const raw = buffer.join('');
    field = undefined;
    buffer = [];
    buffered = 0;
    const d = data();
    const list = d[f.name] as unknown[];
    if (list.length >= DISCOVERY_LIMITS.perList) return;
    const lang = f.lang !== undefined ? { lang: f.lang } : {};
    switch (f.name) {
      case 'displayNames':
      case 'descriptions':
      case 'keywords': {
        const max =
          f.name === 'displayNames'
            ? DISCOVERY_LIMITS.name
            : f.name === 'descriptions'
              ? DISCOVERY_LIMITS.description
              : DISCOVERY_LIMITS.keywords;
        const value = cleanDiscoveryText(raw, max);
        if (value !== '') d[f.name].push({ value, ...lang });
        return;
      }
      case 'logos': {
        const value = safeLogoUrl(raw);
        if (value !== undefined) {
          d.logos.push({
            value,
            ...(f.width !== undefined && { width: f.width }),
            ...(f.height !== undefined && { height: f.height }),
            ...lang,
          });
        }
        return;
      }
      case 'informationUrls':
      case 'privacyStatementUrls': {
        const value = safeLinkUrl(raw);
        if (value !== undefined) d[f.name].push({ value, ...lang });
        return;
      }
      case 'domainHints':
      case 'ipHints': {
        const value = cleanDiscoveryText(raw, DISCOVERY_LIMITS.hint).replace(/ /g, '');
        if (value !== '') d[f.name].push(f.name === 'domainHints' ? value.toLowerCase() : value);
        return;
      }
      case 'scopes': {
        const value = cleanDiscoveryText(raw, DISCOVERY_LIMITS.hint);
        if (value !== '') d.scopes.push({ value, regexp: f.regexp === true });
        return;
      }
    }
  }

  return {
    start(el, rel) {
      if (rel === 1) {
        inIdp = el.uri === MD && el.local === 'IDPSSODescriptor';
      } else if (rel === 2) {
        inExtensions = inIdp && el.uri === MD && el.local === 'Extensions';
      } else if (rel === 3 && inExtensions) {
        container = undefined;
        if (el.uri === MDUI && el.local === 'UIInfo') container = 'ui';
        else if (el.uri === MDUI && el.local === 'DiscoHints') container = 'hints';
        else if (el.uri === SHIBMD && el.local === 'Scope') {
          // shibmd:Scope/@regexp is xs:boolean (XML Schema part 2 §3.2.2: true, false, 1, 0).
          const r = el.attributes.find((a) => a.uri === '' && a.name === 'regexp')?.value.trim();
          field = { name: 'scopes', regexp: r === 'true' || r === '1' };
          fieldRel = 3;
        }
      } else if (rel === 4 && container !== undefined) {
        const name =
          el.uri === MDUI ? (container === 'ui' ? UI_FIELDS : HINT_FIELDS)[el.local] : undefined;
        if (name !== undefined) {
          const lang = langOf(el);
          const attr = (n: string) =>
            el.attributes.find((a) => a.uri === '' && a.name === n)?.value;
          const width = name === 'logos' ? dimension(attr('width')) : undefined;
          const height = name === 'logos' ? dimension(attr('height')) : undefined;
          field = {
            name,
            ...(lang !== undefined && { lang }),
            ...(width !== undefined && { width }),
            ...(height !== undefined && { height }),
          };
          fieldRel = 4;
        }
      }
    },
    text(rel, value) {
      // Only the element's own character data (entity and character references already
      // replaced by the streaming pass, XML 1.0 §4.4), never a child element's.
      if (field === undefined || rel !== fieldRel) return;
      const cap = field.name === 'logos' ? DISCOVERY_LIMITS.logo + 64 : DISCOVERY_LIMITS.url * 2;
      if (buffered >= cap) return;
      buffer.push(value);
      buffered += value.length;
    },
    end(rel) {
      if (field !== undefined && rel === fieldRel) finish();
      if (rel === 3) container = undefined;
      else if (rel === 2) inExtensions = false;
      else if (rel === 1) inIdp = false;
    },
    take() {
      const out = info;
      info = undefined;
      inIdp = false;
      inExtensions = false;
      container = undefined;
      field = undefined;
      buffer = [];
      buffered = 0;
      return out;
    },
  };
}
