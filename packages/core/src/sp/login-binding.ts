import { resolveCrypto } from '../crypto/provider.js';
import { toBase64, utf8 } from '../lib/bytes.js';
import { createSessionId } from '../store/session-id.js';
import { type CookieSettings, readOneCookie, serializeCookie } from './cookie.js';
import type { Settings } from './settings.js';

/**
 * Login CSRF defence: the browser that starts an SP-initiated login gets a random nonce in a
 * short-lived SameSite=Lax cookie; the pending request keeps only its SHA-256. The ACS (a
 * cross-site POST, where the cookie is not sent) validates the Response and parks the outcome
 * under a one-time finish code; the finish step (a same-site top-level GET, where the Lax cookie
 * is sent) completes the login only when the cookie holds the nonce. An attacker who makes a
 * victim's browser deliver the attacker's own Response cannot supply the attacker's nonce.
 */

/** Nonces one browser may hold at once (concurrent logins in several tabs); the oldest drop off. */
export const MAX_LOGIN_NONCES = 8;

/** How long a validated login waits for its finish step (the browser follows the 303 at once). */
export const FINISH_TTL_MS: number = 5 * 60_000;

/** The prefix of finish records among pending requests (never a SAML request ID). */
export const FINISH_ID_PREFIX = 'finish:';

/** A nonce, a finish code, or a session ID: 256 random bits, base64url (43 characters). */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** The longest directory both paths live under (`/saml/login`, `/saml/acs` → `/saml`). */
function commonDirectory(a: string, b: string): string {
  const x = a.split('/');
  const y = b.split('/');
  const out: string[] = [];
  // Compare directories only: the last segment of each path is the endpoint itself.
  for (let i = 0; i < Math.min(x.length, y.length) - 1; i++) {
    if (x[i] !== y[i]) break;
    out.push(x[i]!);
  }
  const dir = out.join('/');
  return dir === '' ? '/' : dir;
}

/**
 * The login cookie: `<session cookie name>_login`, HttpOnly, Secure and Domain as the session
 * cookie, always SameSite=Lax (it must arrive on the top-level GET that follows the IdP's
 * cross-site POST), scoped to the directory of the login and ACS endpoints (to `/` for a
 * `__Host-` name, which requires it), and living as long as a pending request.
 * @internal
 */
export function loginCookieSettings(s: Settings): CookieSettings {
  const name = `${s.cookie.name}_login`;
  return {
    name,
    ...(s.cookie.domain !== undefined ? { domain: s.cookie.domain } : {}),
    path: name.startsWith('__Host-') ? '/' : commonDirectory(s.paths.login, s.paths.acs),
    maxAge: Math.max(1, Math.ceil(s.requestTtlMs / 1000)),
    sameSite: 'Lax',
    secure: s.cookie.secure,
  };
}

/** The nonces the request's login cookie holds (well-formed ones only), newest first. */
function readNonces(s: Settings, request: Request): string[] {
  const out: string[] = [];
  // Several login cookies (one planted for a parent domain by another host) are not merged:
  // none is used, so a planted nonce can never finish a login here.
  const value = readOneCookie(s.logger, request, loginCookieSettings(s).name);
  for (const nonce of value?.split('.') ?? []) {
    if (TOKEN.test(nonce) && !out.includes(nonce)) out.push(nonce);
  }
  return out;
}

function nonceCookie(s: Settings, nonces: readonly string[]): string {
  return serializeCookie(loginCookieSettings(s), nonces.length ? nonces.join('.') : null);
}

async function sha256(s: Settings, value: string): Promise<Uint8Array> {
  const digest = await resolveCrypto(s.crypto).subtle.digest('SHA-256', utf8(value));
  return new Uint8Array(digest);
}

function base64url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Creates the browser binding for a new login: a fresh nonce added to the browser's login cookie
 * (keeping the nonces of logins still open in other tabs, at most {@link MAX_LOGIN_NONCES}), and
 * the hash the pending request stores.
 * @internal
 */
export async function bindLogin(
  s: Settings,
  request: Request,
): Promise<{ hash: string; setCookie: string }> {
  const nonce = createSessionId(s.crypto);
  const kept = readNonces(s, request).slice(0, MAX_LOGIN_NONCES - 1);
  return {
    hash: base64url(await sha256(s, nonce)),
    setCookie: nonceCookie(s, [nonce, ...kept]),
  };
}

/** The nonces a request's login cookie holds, each with the hash a login stores for it. */
export interface HeldNonces {
  readonly nonces: readonly string[];
  /** `hashes[i]` is the hash of `nonces[i]`, as {@link bindLogin} stored it. */
  readonly hashes: readonly string[];
}

/**
 * The nonces of the request's login cookie and their hashes: the finish step looks its record up
 * under `finish:<code>:<hash>` for each, so only a browser holding the nonce can take (and so
 * spend) the finish code.
 * @internal
 */
export async function heldNonces(s: Settings, request: Request): Promise<HeldNonces> {
  const nonces = readNonces(s, request);
  const hashes: string[] = [];
  for (const nonce of nonces) hashes.push(base64url(await sha256(s, nonce)));
  return { nonces, hashes };
}

/**
 * The `Set-Cookie` that removes the nonce of a finished login from the login cookie (or clears
 * the whole cookie when it was the last).
 * @internal
 */
export function loginCookieWithout(s: Settings, held: HeldNonces, index: number): string {
  return nonceCookie(
    s,
    held.nonces.filter((_, i) => i !== index),
  );
}

/** Whether a value can be a finish code (checked before any store lookup). @internal */
export function isFinishCode(value: string | null): value is string {
  return value !== null && TOKEN.test(value);
}
