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

/**
 * Validates cookie options against the public base URL.
 * @throws TypeError for malformed options (a name that is not a token, an unsafe path or domain,
 *   `secure: false` outside http://localhost, `SameSite=None` without Secure)
 * @internal
 */
export function resolveCookie(
  options: SessionCookieOptions | undefined,
  base: URL,
): CookieSettings {
  const o = options ?? {};
  const name = o.name ?? 'samlkit_session';
  if (!TOKEN.test(name)) throw new TypeError('cookie.name must be an RFC 6265 token');
  if (o.domain !== undefined && !DOMAIN.test(o.domain)) {
    throw new TypeError('cookie.domain must be a host name');
  }
  const path = o.path ?? '/';
  if (!PATH.test(path)) throw new TypeError('cookie.path must be a path without ";" or spaces');
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
 * Reads one cookie from a `Cookie` header. When the name occurs several times (a cookie set for a
 * parent domain or path as well), every value is returned, most specific first as browsers send.
 * @internal
 */
export function readCookies(header: string | null, name: string): string[] {
  if (!header) return [];
  const out: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2)
      value = value.slice(1, -1);
    if (value !== '') out.push(value);
  }
  return out;
}
