import { readOneCookie, serializeCookie } from './cookie.js';
import type { Settings } from './settings.js';
import type { SessionIdStorage } from './types.js';

/**
 * The `session` option, checked: an object with `get` and `set` functions, or undefined.
 * @throws TypeError for anything else
 * @internal
 */
export function checkSessionStorage(storage: unknown): SessionIdStorage | undefined {
  if (storage === undefined) return undefined;
  const s = storage as Partial<SessionIdStorage> | null;
  if (typeof s?.get !== 'function' || typeof s.set !== 'function') {
    throw new TypeError('session must have get(request) and set(request, id) functions');
  }
  return storage as SessionIdStorage;
}

/**
 * The session ID this request names: the application's session library's when the `session`
 * option is set (a samlkit cookie the browser may send is then ignored), else samlkit's cookie.
 * @internal
 */
export async function sessionIdOf(
  s: Settings,
  storage: SessionIdStorage | undefined,
  request: Request,
): Promise<string | undefined> {
  if (!storage) return readOneCookie(s.logger, request, s.cookie.name);
  const id = await storage.get(request);
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/**
 * With the `session` option, moves the session ID out of a response: every session-cookie line
 * samlkit wrote (`serializeCookie`) becomes a `storage.set` call — the ID after a login, `null`
 * after a logout — and is left out of the response. Other cookies (the login cookie) stay.
 * @internal
 */
export async function keepSessionInStorage(
  s: Settings,
  storage: SessionIdStorage | undefined,
  request: Request,
  response: Response,
): Promise<Response> {
  if (!storage) return response;
  const prefix = `${s.cookie.name}=`;
  const cleared = serializeCookie(s.cookie, null);
  const lines = response.headers.getSetCookie();
  if (!lines.some((line) => line.startsWith(prefix))) return response;
  const headers = new Headers();
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers.set(name, value);
  });
  for (const line of lines) {
    if (!line.startsWith(prefix)) headers.append('set-cookie', line);
    else if (line === cleared) await storage.set(request, null);
    else await storage.set(request, line.slice(prefix.length, line.indexOf(';')));
  }
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}
