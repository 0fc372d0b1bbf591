// IdP discovery for the service provider's login route: the SAML Identity Provider Discovery
// Service Protocol (sstc-saml-idp-discovery §2.4) towards an external discovery service, or the
// built-in discovery page and the DiscoFeed JSON.
import { resolveCrypto } from '../crypto/provider.js';
import { describeValue, SamlError } from '../errors.js';
import { toBase64 } from '../lib/bytes.js';
import { escapeHtml } from '../lib/html.js';
import { safeLogoUrl } from '../metadata/aggregate-discovery.js';
import { createDiscoveryRedirect } from '../metadata/discovery.js';
import {
  acceptedLanguages,
  type DiscoveryIdp,
  displayNameOf,
  logoOf,
  searchDiscoveryIdps,
} from '../metadata/discovery-feed.js';
import { withPassiveMarker } from './acs-passive.js';
import { readCookie } from './cookie.js';
import { type DiscoFeedCors, discoFeedResponse, resolveFeedCors } from './discofeed.js';
import { DISCOVERY_PAGE_SCRIPT, DISCOVERY_PAGE_STYLE } from './discovery-assets.js';
import {
  htmlResponse,
  methodNotAllowed,
  PAGE_HEADERS,
  redirectResponse,
  wantsJson,
} from './http.js';
import { carriedLoginParams } from './login.js';
import { normalizePath, returnPath, type Settings } from './settings.js';
import type { LoginOptions } from './types.js';

export { DISCOVERY_PAGE_SCRIPT, DISCOVERY_PAGE_STYLE } from './discovery-assets.js';

/**
 * How the login route finds the IdP when the login names none (`/saml/login` without `?idp=`):
 * the user picks it at a discovery service.
 */
export interface DiscoveryOptions {
  /**
   * An external discovery service (a federation's "where are you from" page): login without an
   * IdP sends the browser there (sstc-saml-idp-discovery §2.4.1) and the service returns it to
   * the login route with the chosen `entityID`. Without it, the built-in page (`paths.discovery`)
   * is used. A passive login (`isPassive`) asks the service not to interact (`isPassive=true`).
   */
  readonly service?: string;
  /**
   * The selection policy URI sent to the external service (`policy`, sstc-saml-idp-discovery
   * §2.4.1); sent only when set. Without it the service applies the protocol's default,
   * `urn:oasis:names:tc:SAML:profiles:SSO:idp-discovery-protocol:single`.
   */
  readonly policy?: string;
  /**
   * The IdPs the built-in page and the DiscoFeed (`paths.discofeed`) list: a list, or a function
   * asked at each request (an aggregate refreshed in the background, say). `discoveryIdpsOf`
   * makes one from a federation aggregate. Listing an IdP does not make it trusted: the chosen
   * IdP must still be one of `idps`.
   */
  readonly idps?:
    | readonly DiscoveryIdp[]
    | (() => readonly DiscoveryIdp[] | Promise<readonly DiscoveryIdp[]>);
  /** The built-in page's heading. Default "Where are you from?" */
  readonly title?: string;
  /**
   * Which origins may read the DiscoFeed (`paths.discofeed`) from a browser script, such as an
   * embedded discovery service served from a CDN: `'*'` (default: the feed is public and read
   * without credentials), a list of origins (the request's `Origin` is echoed when listed, with
   * `Vary: Origin`), or `false` (no CORS headers). Credentials are never allowed.
   */
  readonly feedCors?: DiscoFeedCors;
}

/** The query parameter marking a return from a discovery service (as the Shibboleth SP does). */
const RETURN_MARK = 'SAMLDS';
/** sstc-saml-idp-discovery §2.4.1: the default name of the parameter carrying the choice. */
const ENTITY_ID = 'entityID';
const REMEMBER_MAX_AGE = 365 * 24 * 3600;
const RESULT_LIMIT = 50;
/** Up to this many IdPs, the page lists them all without a search. */
const LIST_ALL = 100;

let hashes: Promise<{ script: string; style: string }> | undefined;

/** `'sha256-…'` CSP sources of the page's script and style (CSP Level 3 §8.4). */
function pageHashes(s: Settings): Promise<{ script: string; style: string }> {
  const crypto = resolveCrypto(s.crypto);
  const of = async (text: string) =>
    `'sha256-${toBase64(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))))}'`;
  hashes ??= (async () => ({
    script: await of(DISCOVERY_PAGE_SCRIPT),
    style: await of(DISCOVERY_PAGE_STYLE),
  }))();
  return hashes;
}

/** The resolved discovery settings of a service provider. @internal */
export interface DiscoverySettings {
  readonly options: DiscoveryOptions | undefined;
  readonly paths: { readonly discovery: string; readonly discofeed: string };
  readonly feedCors: DiscoFeedCors;
}

/**
 * Checks the discovery option and resolves its paths.
 * @throws SamlError `CONFIG_INVALID` for a service URL that is not absolute http(s), an option
 *   without a service and without IdPs, or a `feedCors` that is not `'*'`, `false` or origins
 * @internal
 */
export function resolveDiscovery(
  options: DiscoveryOptions | undefined,
  paths: { readonly discovery: string; readonly discofeed: string },
): DiscoverySettings {
  if (options !== undefined) {
    if (options.service === undefined && options.idps === undefined) {
      throw new SamlError(
        'CONFIG_INVALID',
        'The discovery option names no discovery service and no IdPs.',
        {
          expected:
            'discovery.service (an external discovery service) or discovery.idps (the built-in page)',
          found: 'neither',
          hint: 'set discovery.idps, e.g. to discoveryIdpsOf(aggregate)',
        },
      );
    }
    // sstc-saml-idp-discovery §2.4.1: policy is a URI.
    if (
      options.policy !== undefined &&
      (typeof options.policy !== 'string' || !/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(options.policy))
    ) {
      throw new SamlError('CONFIG_INVALID', 'The discovery policy is not a URI.', {
        expected: 'an absolute URI naming a selection policy',
        found: describeValue(String(options.policy)),
        hint: 'leave discovery.policy out for the protocol’s default single-IdP policy',
      });
    }
    if (options.service !== undefined) {
      let ok = false;
      try {
        const u = new URL(options.service);
        ok = u.protocol === 'https:' || u.protocol === 'http:';
      } catch {
        ok = false;
      }
      if (!ok) {
        throw new SamlError('CONFIG_INVALID', 'The discovery service URL is not absolute.', {
          expected: 'an absolute https: URL',
          found: describeValue(String(options.service)),
          hint: 'set discovery.service to the federation discovery service’s URL',
        });
      }
    }
  }
  return { options, paths, feedCors: resolveFeedCors(options?.feedCors) };
}

/**
 * The discovery paths: `paths.discovery` and `paths.discofeed`, by default under the prefix.
 * @internal
 */
export function discoveryPaths(
  prefix: string,
  paths: { readonly discovery?: string; readonly discofeed?: string } | undefined,
): { readonly discovery: string; readonly discofeed: string } {
  const under = (name: string) => (prefix === '/' ? `/${name}` : `${prefix}/${name}`);
  return {
    discovery: normalizePath(paths?.discovery, under('discovery'), 'paths.discovery'),
    discofeed: normalizePath(paths?.discofeed, under('discofeed'), 'paths.discofeed'),
  };
}

/** Whether `pathname` is a discovery route this SP serves (the option set, with IdPs). @internal */
export function isDiscoveryRoute(d: DiscoverySettings, pathname: string): boolean {
  return (
    d.options?.idps !== undefined &&
    (pathname === d.paths.discovery || pathname === d.paths.discofeed)
  );
}

async function listed(d: DiscoverySettings): Promise<readonly DiscoveryIdp[]> {
  const idps = d.options?.idps;
  if (idps === undefined) return [];
  return typeof idps === 'function' ? await idps() : idps;
}

/** The name of the cookie remembering the last choice (`__Host-` on https). */
function rememberName(s: Settings): string {
  return `${s.cookie.secure ? '__Host-' : ''}samlkit_idp`;
}

function rememberCookie(s: Settings, entityId: string): string {
  const parts = [
    `${rememberName(s)}=${encodeURIComponent(entityId)}`,
    'Path=/',
    `Max-Age=${REMEMBER_MAX_AGE}`,
    'HttpOnly',
  ];
  if (s.cookie.secure) parts.push('Secure');
  parts.push('SameSite=Lax');
  return parts.join('; ');
}

function remembered(s: Settings, request: Request): string | undefined {
  const { value } = readCookie(request.headers.get('cookie'), rememberName(s));
  if (value === undefined || value.length > 2048) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** A same-origin return path for after the login, or undefined (then the default is used). */
function safeReturn(s: Settings, d: DiscoverySettings, value: string | null): string | undefined {
  if (value === null) return undefined;
  const path = returnPath(s, value);
  if (path === undefined) return undefined;
  const pathname = path.replace(/[?#].*$/, '');
  return pathname === d.paths.discovery || pathname === d.paths.discofeed ? undefined : path;
}

/** The entity ID of the trusted IdP `value` names, or undefined. */
async function trustedEntityId(s: Settings, value: string): Promise<string | undefined> {
  try {
    return (await s.directory.forLogin(value)).idp.entityId;
  } catch (error) {
    // Only "no such IdP" is an answer; an outage (metadata download, store, expired or broken
    // metadata) is not a verdict on the choice and is reported as what it is.
    if (
      error instanceof SamlError &&
      (error.code === 'IDP_UNKNOWN' || error.code === 'METADATA_ENTITY_NOT_FOUND')
    )
      return undefined;
    throw error;
  }
}

/**
 * A passive login that discovery could not answer without the user: back to its return address
 * with `samlkit_passive=none` (PASSIVE_MARKER); no session or login state is touched.
 */
function passiveUnanswered(
  s: Settings,
  d: DiscoverySettings,
  options: LoginOptions,
): DiscoveryStep {
  s.logger.info?.('login: passive, no IdP chosen at discovery; nobody signed in', {});
  const to = safeReturn(s, d, options.returnTo ?? null) ?? s.defaultReturnTo;
  return { response: redirectResponse(withPassiveMarker(to), [], 303) };
}

/** What the login route does before starting a login. @internal */
export type DiscoveryStep =
  | { readonly response: Response }
  | { readonly options: LoginOptions; readonly setCookie?: string };

/** Whether a request with an IdP choice is an answer of this SP's discovery (§2.4.2). */
function isDiscoveryAnswer(s: Settings, d: DiscoverySettings, request: Request, url: URL): boolean {
  if (url.searchParams.get(RETURN_MARK) !== '1') return false;
  const site = request.headers.get('sec-fetch-site');
  if (site === 'same-origin' || site === 'same-site') return true;
  const from = request.headers.get('origin') ?? request.headers.get('referer');
  let origin: string | undefined;
  try {
    origin = from === null ? undefined : new URL(from).origin;
  } catch {
    origin = undefined;
  }
  if (origin === undefined) return false;
  const service = d.options?.service;
  if (service !== undefined) return origin === new URL(service).origin;
  return site === null && origin === new URL(s.base).origin;
}

/**
 * Before a login: a login that names no IdP goes to discovery (the external service, or the
 * built-in page), keeping its `returnTo` in the return URL; a return from discovery carries the
 * chosen `entityID`, which is taken only when it names an IdP the SP trusts (the login's `idps`),
 * and is remembered for the next visit.
 * @throws SamlError `IDP_UNKNOWN` for a chosen IdP the SP does not trust, or a return from the
 *   discovery service without a choice
 * @see sstc-saml-idp-discovery §2.4.1 (request), §2.4.2 (response)
 * @internal
 */
export async function discoveryStep(
  s: Settings,
  d: DiscoverySettings,
  request: Request,
  options: LoginOptions,
): Promise<DiscoveryStep> {
  if (d.options === undefined || options.idp !== undefined) return { options };
  const url = new URL(request.url);
  const chosen = url.searchParams.get(ENTITY_ID);
  if (chosen !== null && chosen !== '') {
    // §2.4.2: the returned entityID is only a choice, not a proof. It must name a trusted IdP
    // by its entity ID (not a key or an e-mail address, which the directory would also take).
    if ((await trustedEntityId(s, chosen)) !== chosen) {
      throw new SamlError(
        'IDP_UNKNOWN',
        'The discovery service chose an IdP this SP does not trust.',
        {
          expected: 'the entity ID of one of the IdPs this SP trusts',
          found: describeValue(chosen.slice(0, 200)),
          hint: 'add the IdP to the SP’s idps (or the federation’s trust rules), or restrict the discovery service to them',
        },
      );
    }
    // The choice is remembered only from a discovery answer the user gave: the built-in page's
    // form (same site) or a return from the configured service (its Referer). A link elsewhere
    // naming an IdP logs in but plants no "last choice" (Fetch Metadata: Sec-Fetch-Site).
    return {
      options: { ...options, idp: chosen },
      ...(isDiscoveryAnswer(s, d, request, url) && { setCookie: rememberCookie(s, chosen) }),
    };
  }
  if (url.searchParams.has(RETURN_MARK)) {
    // §2.4.2: a response without entityID means the service could not (passively) choose. To
    // a passive login that is its answer: back to the application, nobody signed in, as after an
    // IdP's NoPassive (SAML core §3.4.1).
    if (options.isPassive === true) return passiveUnanswered(s, d, options);
    throw new SamlError('IDP_UNKNOWN', 'The discovery service returned without choosing an IdP.', {
      expected: `an ${ENTITY_ID} parameter in the discovery service’s response`,
      found: 'none',
      hint: 'pick an identity provider at the discovery service',
    });
  }
  const returnTo = safeReturn(s, d, options.returnTo ?? null);
  const passive = options.isPassive === true;
  if (d.options.service !== undefined) {
    // §2.4.1: return is the SP's own login URL, built here, never taken from the request. A
    // passive login stays passive after the service's answer (isPassive travels in it).
    const back = new URL(s.paths.login, s.base);
    back.searchParams.set(RETURN_MARK, '1');
    if (passive) back.searchParams.set('isPassive', '1');
    if (returnTo !== undefined) back.searchParams.set('returnTo', returnTo);
    for (const [k, v] of carriedLoginParams(s, url)) back.searchParams.set(k, v);
    const location = createDiscoveryRedirect({
      discoveryUrl: d.options.service,
      spEntityId: s.sp.entityId,
      returnUrl: back.href,
      returnIdParam: ENTITY_ID,
      ...(passive && { isPassive: true }),
      ...(d.options.policy !== undefined && { policy: d.options.policy }),
    });
    return { response: redirectResponse(location, [], 303) };
  }
  if (passive) {
    // The built-in page asks the user, which a passive login must not (SAML core §3.4.1): only a
    // remembered choice that names an IdP the SP still trusts is taken, else nobody signs in.
    const last = remembered(s, request);
    if (last !== undefined && (await trustedEntityId(s, last)) === last) {
      return { options: { ...options, idp: last } };
    }
    return passiveUnanswered(s, d, options);
  }
  const query = new URLSearchParams(carriedLoginParams(s, url));
  if (returnTo !== undefined) query.set('returnTo', returnTo);
  const q = query.toString();
  return {
    response: redirectResponse(q === '' ? d.paths.discovery : `${d.paths.discovery}?${q}`, [], 303),
  };
}

/** The discovery routes (see {@link isDiscoveryRoute}): the built-in page and the DiscoFeed. @internal */
export async function handleDiscovery(
  s: Settings,
  d: DiscoverySettings,
  request: Request,
): Promise<Response> {
  const { pathname } = new URL(request.url);
  if (pathname === d.paths.discofeed)
    return discoFeedResponse(d.feedCors, request, () => listed(d));
  if (request.method !== 'GET' && request.method !== 'HEAD') return methodNotAllowed(['GET']);
  return discoveryPage(s, d, request, await listed(d));
}

interface Shown {
  readonly entityId: string;
  readonly name: string;
  readonly logo?: string;
}

function shown(idp: DiscoveryIdp, languages: readonly string[]): Shown {
  const logo = logoOf(idp, languages);
  // Application-supplied lists did not pass the aggregate collector: check logos again.
  const src = logo === undefined ? undefined : safeLogoUrl(logo.value);
  return {
    entityId: idp.entityId,
    name: displayNameOf(idp, languages),
    ...(src !== undefined && { logo: src }),
  };
}

function countMessage(n: number, query: string): string {
  if (query === '') return '';
  return n === 0
    ? 'No identity provider found.'
    : `${n === RESULT_LIMIT ? `${n}+` : n} identity provider${n === 1 ? '' : 's'} found.`;
}

function button(r: Shown): string {
  const img = r.logo !== undefined ? `<img src="${escapeHtml(r.logo)}" alt="">` : '';
  return `<button type="submit" name="${ENTITY_ID}" value="${escapeHtml(r.entityId)}">${img}<span>${escapeHtml(r.name)}</span></button>`;
}

async function discoveryPage(
  s: Settings,
  d: DiscoverySettings,
  request: Request,
  idps: readonly DiscoveryIdp[],
): Promise<Response> {
  const url = new URL(request.url);
  const languages = [...acceptedLanguages(request.headers.get('accept-language')), 'en'];
  const query = (url.searchParams.get('q') ?? '').slice(0, 200);
  const returnTo = safeReturn(s, d, url.searchParams.get('returnTo'));
  const results = (
    query.trim() !== ''
      ? searchDiscoveryIdps(idps, query, languages, RESULT_LIMIT)
      : idps.length <= LIST_ALL
        ? [...idps].sort((a, b) =>
            displayNameOf(a, languages).localeCompare(displayNameOf(b, languages)),
          )
        : []
  ).map((idp) => shown(idp, languages));
  const message = countMessage(results.length, query.trim());
  if (wantsJson(request)) {
    return new Response(JSON.stringify({ results, message }), {
      status: 200,
      headers: { ...PAGE_HEADERS, 'content-type': 'application/json; charset=utf-8' },
    });
  }
  const lastId = remembered(s, request);
  const last = lastId === undefined ? undefined : idps.find((i) => i.entityId === lastId);
  const lang = languages[0]!.split('-')[0]!;
  const title = d.options?.title ?? 'Where are you from?';
  const hidden = [
    ...(returnTo === undefined ? [] : [['returnTo', returnTo] as const]),
    ...carriedLoginParams(s, url),
  ]
    .map(([k, v]) => `<input type="hidden" name="${k}" value="${escapeHtml(v)}">`)
    .join('');
  const { script, style } = await pageHashes(s);
  // The choice goes to this SP's own login route (never to a `return` taken from the request):
  // the login then checks that the chosen IdP is trusted (sstc-saml-idp-discovery §2.4.2).
  const body =
    `<!DOCTYPE html>\n<html lang="${escapeHtml(lang)}"><head><meta charset="utf-8">` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escapeHtml(title)}</title><style>${DISCOVERY_PAGE_STYLE}</style></head><body><main>\n` +
    `<h1>${escapeHtml(title)}</h1>\n` +
    `<form id="disco-search" role="search" method="get" action="${escapeHtml(d.paths.discovery)}">` +
    `<label for="disco-q">Search for your institution by name, domain or keyword</label>` +
    `<div class="row"><input id="disco-q" name="q" type="search" value="${escapeHtml(query)}" autocomplete="off" autocapitalize="none" spellcheck="false" placeholder="e.g. University of Example, example.edu">` +
    `${hidden}<button type="submit">Search</button></div></form>\n` +
    `<p id="disco-count" class="count" role="status" aria-live="polite">${escapeHtml(message)}</p>\n` +
    `<form id="disco-choose" method="get" action="${escapeHtml(s.paths.login)}">` +
    `<input type="hidden" name="${RETURN_MARK}" value="1">${hidden}` +
    (last
      ? `<div class="last"><p>Continue with your last choice:</p>${button(shown(last, languages))}</div>`
      : '') +
    `<ul id="disco-results" aria-label="Identity providers">${results.map((r) => `<li>${button(r)}</li>`).join('')}</ul></form>\n` +
    `<script>${DISCOVERY_PAGE_SCRIPT}</script></main></body></html>\n`;
  // No form-action: browsers apply it to the redirects after a submission too, and the choice's
  // login answers with a redirect to the IdP; both forms' actions are fixed here.
  return htmlResponse(body, 200, {
    'content-security-policy': `default-src 'none'; script-src ${script}; style-src ${style}; img-src https: data:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'`,
  });
}
