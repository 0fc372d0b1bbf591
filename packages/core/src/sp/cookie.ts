import { describeValue, SamlError } from '../errors.js';
import type { SessionCookieOptions } from './types.js';

/** Resolved cookie settings. @internal */
export interface CookieSettings {
  readonly name: string;
  readonly domain?: string;
  readonly path: string;
  readonly maxAge?: number;
  readonly sameSite: 'Lax' | 'Strict' | 'None';
  readonly secure: boolean;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/; // RFC 6265 §4.1.1 cookie-name (an RFC 7230 token)
const DOMAIN = /^\.?[A-Za-z0-9.-]+$/;
const PATH = /^\/[\u0021-\u003a\u003c-\u007e]*$/; // no controls, spaces or ';'

/** True for http://localhost and loopback addresses, where browsers allow non-Secure cookies. @internal */
export function isLocalDevOrigin(url: URL): boolean {
  return (
    url.protocol === 'http:' &&
    (url.hostname === 'localhost' ||
      url.hostname.endsWith('.localhost') ||
      url.hostname === '127.0.0.1' ||
      url.hostname === '[::1]')
  );
}

/** The default session cookie name, without a prefix (http://localhost development). */
export const DEFAULT_COOKIE_NAME = 'samlkit_session';

function configInvalid(found: string, expected: string, hint: string): SamlError {
  return new SamlError('CONFIG_INVALID', 'The cookie settings produce a cookie browsers reject.', {
    expected,
    found,
    hint,
    option: 'cookie',
  });
}

/**
 * Validates cookie options against the public base URL.
 *
 * The default name carries a cookie prefix whenever the base URL is https: `__Host-` (Secure, no
 * Domain, Path=/ — a cookie no other host, not even a sibling subdomain, can set or overwrite),
 * or `__Secure-` when a Domain or another Path is configured. Plain names only for http
 * development. A prefixed name whose attributes break the prefix rules (RFC 6265bis §4.1.3) is
 * refused here, at start-up, rather than silently dropped by every browser later.
 *
 * @throws SamlError `CONFIG_INVALID` for a prefix its attributes break; TypeError for malformed
 *   options (a name that is not a token, an unsafe path or domain, `secure: false` outside
 *   http://localhost, `SameSite=None` without Secure)
 * @internal
 */
export function resolveCookie(
  options: SessionCookieOptions | undefined,
  base: URL,
): CookieSettings {
  const o = options ?? {};
  if (o.domain !== undefined && !DOMAIN.test(o.domain)) {
    throw new TypeError('cookie.domain must be a host name');
  }
  const path = o.path ?? '/';
  if (!PATH.test(path)) throw new TypeError('cookie.path must be a path without ";" or spaces');
  const https = base.protocol === 'https:';
  const name =
    o.name ??
    (!https
      ? DEFAULT_COOKIE_NAME
      : o.domain === undefined && path === '/'
        ? `__Host-${DEFAULT_COOKIE_NAME}`
        : `__Secure-${DEFAULT_COOKIE_NAME}`);
  if (!TOKEN.test(name)) throw new TypeError('cookie.name must be an RFC 6265 token');
  if (o.maxAge !== undefined && !(Number.isInteger(o.maxAge) && o.maxAge > 0)) {
    throw new TypeError('cookie.maxAge must be a positive whole number of seconds');
  }
  const local = isLocalDevOrigin(base);
  const secure = o.secure ?? !local;
  if (!secure && !local) {
    throw new TypeError(
      'cookie.secure: false is allowed only when baseUrl is http://localhost (local development)',
    );
  }
  const sameSite = o.sameSite ?? 'lax';
  if (sameSite !== 'lax' && sameSite !== 'strict' && sameSite !== 'none') {
    throw new TypeError("cookie.sameSite must be 'lax', 'strict' or 'none'");
  }
  if (sameSite === 'none' && !secure) {
    throw new TypeError("cookie.sameSite 'none' needs secure: true (browsers drop it otherwise)");
  }
  // RFC 6265bis §4.1.3 (cookie name prefixes; browsers match them case-insensitively): a
  // __Secure- cookie must be Secure and set from a secure origin; a __Host- cookie besides has
  // no Domain and Path=/.
  const prefix = /^__host-/i.test(name) ? '__Host-' : /^__secure-/i.test(name) ? '__Secure-' : '';
  if (prefix !== '') {
    const plain = name.slice(prefix.length);
    if (!https) {
      throw configInvalid(
        `cookie.name ${describeValue(name)} with baseUrl ${describeValue(base.origin)}`,
        `a ${prefix} cookie only on an https baseUrl (browsers refuse it from http)`,
        `drop the prefix for http development (name: '${plain}'), or serve the site over https`,
      );
    }
    if (!secure) {
      throw configInvalid(
        `cookie.name ${describeValue(name)} with secure: false`,
        `a ${prefix} cookie with Secure`,
        'remove secure: false',
      );
    }
  }
  if (prefix === '__Host-' && (o.domain !== undefined || path !== '/')) {
    throw configInvalid(
      `cookie.name ${describeValue(name)} with ${o.domain !== undefined ? `domain ${describeValue(o.domain)}` : ''}${o.domain !== undefined && path !== '/' ? ' and ' : ''}${path !== '/' ? `path ${describeValue(path)}` : ''}`,
      'a __Host- cookie without Domain and with Path=/',
      `remove cookie.domain and cookie.path, or name it '__Secure-${name.slice(7)}' (which a sibling subdomain can then overwrite)`,
    );
  }
  return {
    name,
    ...(o.domain !== undefined ? { domain: o.domain } : {}),
    path,
    ...(o.maxAge !== undefined ? { maxAge: o.maxAge } : {}),
    sameSite: sameSite === 'lax' ? 'Lax' : sameSite === 'strict' ? 'Strict' : 'None',
    secure,
  };
}

/**
 * The `Set-Cookie` value for a session ID, or one that clears the cookie when `value` is null.
 * Always HttpOnly (RFC 6265 §5.2.6).
 * @internal
 */
export function serializeCookie(settings: CookieSettings, value: string | null): string {
  const parts = [`${settings.name}=${value ?? ''}`, `Path=${settings.path}`];
  if (settings.domain !== undefined) parts.push(`Domain=${settings.domain}`);
  if (value === null) {
    parts.push('Max-Age=0', 'Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  } else if (settings.maxAge !== undefined) {
    parts.push(`Max-Age=${settings.maxAge}`);
  }
  parts.push('HttpOnly');
  if (settings.secure) parts.push('Secure');
  parts.push(`SameSite=${settings.sameSite}`);
  return parts.join('; ');
}

/**
 * Reads one cookie from a `Cookie` header. A browser sends one cookie per name unless another
 * cookie of that name was set for a parent domain or path — by a sibling subdomain, for example
 * (cookie tossing). samlkit never sets two, so several are an attack or a leftover, and none of
 * them is trusted: `duplicate` is then true and `value` undefined.
 * @internal
 */
export function readCookie(
  header: string | null,
  name: string,
): { readonly value?: string; readonly duplicate: boolean; readonly count: number } {
  if (!header) return { duplicate: false, count: 0 };
  const values: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2)
      value = value.slice(1, -1);
    values.push(value);
  }
  if (values.length > 1) return { duplicate: true, count: values.length };
  return values[0]
    ? { value: values[0], duplicate: false, count: 1 }
    : { duplicate: false, count: values.length };
}

/**
 * The cookie's value, or undefined when absent or sent several times; the latter is logged as
 * `COOKIE_DUPLICATE` (a warning with the SamlError's JSON as details).
 * @internal
 */
export function readOneCookie(
  logger: { warn(message: string, details?: Record<string, unknown>): void },
  request: Request,
  name: string,
): string | undefined {
  const read = readCookie(request.headers.get('cookie'), name);
  if (read.duplicate) {
    const error = new SamlError(
      'COOKIE_DUPLICATE',
      'The request carries several cookies of one samlkit name; none is used.',
      {
        expected: `at most one ${name} cookie`,
        found: `${read.count} ${name} cookies`,
        hint: 'another host (a sibling subdomain) or an older deployment set a cookie of this name for a parent domain or path; use a __Host- name (the default on https) and remove the other cookie',
        name,
        path: new URL(request.url).pathname,
      },
    );
    logger.warn(error.message, error.toJSON() as unknown as Record<string, unknown>);
  }
  return read.value;
}
