// The DiscoFeed route (`paths.discofeed`): the listed IdPs as the JSON the Shibboleth SP's
// DiscoFeed handler serves, readable by a discovery UI on another origin through CORS (Fetch
// standard, "CORS protocol"). The feed is public and read without credentials: no cookie is read
// and `Access-Control-Allow-Credentials` is never sent.
import { describeValue, SamlError } from '../errors.js';
import { type DiscoveryIdp, toDiscoFeed } from '../metadata/discovery-feed.js';
import { methodNotAllowed } from './http.js';

/**
 * Which origins may read the DiscoFeed from a browser script: `'*'` (any, the default), a list of
 * origins (`https://ds.example.org`; the request's `Origin` is echoed when listed, with
 * `Vary: Origin`), or `false` (no CORS headers: same-origin pages only).
 */
export type DiscoFeedCors = '*' | readonly string[] | false;

/** The methods the feed answers. */
const METHODS = 'GET, HEAD';
/** How long a browser may cache a preflight's answer (s). */
const PREFLIGHT_MAX_AGE = '86400';

/**
 * Checks the `discovery.feedCors` option.
 * @throws SamlError `CONFIG_INVALID` for a value that is not `'*'`, `false` or a list of origins
 * @internal
 */
export function resolveFeedCors(value: DiscoFeedCors | undefined): DiscoFeedCors {
  if (value === undefined) return '*';
  if (value === '*' || value === false) return value;
  if (!Array.isArray(value)) {
    throw new SamlError('CONFIG_INVALID', 'discovery.feedCors is not "*", false or a list.', {
      expected: '"*", false, or a list of origins such as ["https://ds.example.org"]',
      found: describeValue(String(value)),
      hint: 'leave it out to let any origin read the public feed',
    });
  }
  for (const origin of value as readonly unknown[]) {
    let ok = false;
    try {
      // An origin is scheme://host[:port], with nothing after it (RFC 6454 §6.2).
      const u = new URL(String(origin));
      ok =
        typeof origin === 'string' &&
        (u.protocol === 'https:' || u.protocol === 'http:') &&
        u.origin === origin;
    } catch {
      ok = false;
    }
    if (!ok) {
      throw new SamlError('CONFIG_INVALID', 'discovery.feedCors lists a value that is no origin.', {
        expected: 'origins such as https://ds.example.org (no path, no trailing slash)',
        found: describeValue(String(origin)),
        hint: 'write each origin exactly as browsers send it in the Origin header',
      });
    }
  }
  return value;
}

/** The CORS headers for a request: Allow-Origin when the origin may read, Vary when it depends. */
function corsHeaders(cors: DiscoFeedCors, request: Request): Record<string, string> {
  if (cors === false) return {};
  if (cors === '*') return { 'access-control-allow-origin': '*' };
  const origin = request.headers.get('origin');
  // The answer depends on Origin: caches must keep one per origin (Fetch standard, CORS protocol
  // and HTTP caches).
  return origin !== null && cors.includes(origin)
    ? { 'access-control-allow-origin': origin, vary: 'Origin' }
    : { vary: 'Origin' };
}

/** The DiscoFeed of a list, made once per list (a federation's is megabytes of JSON). */
const FEEDS = new WeakMap<readonly DiscoveryIdp[], string>();

/**
 * Answers the DiscoFeed route: GET and HEAD the feed, OPTIONS (a CORS preflight, or a plain
 * question) the methods. `Access-Control-Allow-Credentials` is never sent, so a browser never
 * lets another site read the feed with the user's cookies (Fetch standard, CORS check).
 * @internal
 */
export async function discoFeedResponse(
  cors: DiscoFeedCors,
  request: Request,
  listed: () => Promise<readonly DiscoveryIdp[]>,
): Promise<Response> {
  const allowed = corsHeaders(cors, request);
  if (request.method === 'OPTIONS') {
    // A preflight is answered for GET and HEAD without extra request headers: the feed needs
    // none (Accept is CORS-safelisted).
    return new Response(null, {
      status: 204,
      headers: {
        allow: METHODS,
        ...allowed,
        ...('access-control-allow-origin' in allowed && {
          'access-control-allow-methods': METHODS,
          'access-control-max-age': PREFLIGHT_MAX_AGE,
        }),
      },
    });
  }
  if (request.method !== 'GET' && request.method !== 'HEAD')
    return methodNotAllowed(['GET', 'HEAD']);
  const idps = await listed();
  let json = FEEDS.get(idps);
  if (json === undefined) {
    json = JSON.stringify(toDiscoFeed(idps));
    FEEDS.set(idps, json);
  }
  return new Response(request.method === 'HEAD' ? null : json, {
    status: 200,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'public, max-age=300',
      'x-content-type-options': 'nosniff',
      ...allowed,
    },
  });
}
