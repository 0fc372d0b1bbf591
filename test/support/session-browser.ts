// A browser, as far as the session-library tests need one: a cookie jar, requests that follow no
// redirect, and an SP-initiated login in which the IdP's POST arrives cross-site (without the
// application's Lax cookies, as a browser sends it) and the finish GET same-site (with them).
import type { TestIdp } from '@samlkit/testkit';
import { expect } from 'vitest';

/**
 * A browser's cookie jar (name=value pairs: enough here). It remembers the name of every cookie any
 * response set, to show that samlkit's own session cookie never appears.
 */
export class Jar {
  readonly cookies = new Map<string, string>();
  readonly everSet = new Set<string>();
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      const cleared =
        value === '' || /max-age=0/i.test(line) || /expires=thu, 01 jan 1970/i.test(line);
      if (cleared) this.cookies.delete(name);
      else {
        this.cookies.set(name, value);
        this.everSet.add(name);
      }
    }
  }
}

/** A browser request: cookies from the jar (unless told otherwise), no redirects followed. */
export async function visit(
  url: string,
  jar: Jar,
  init: { method?: string; body?: string; cookies?: boolean; type?: string } = {},
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (init.cookies !== false && jar.cookies.size > 0) headers.cookie = jar.header();
  if (init.type) headers['content-type'] = init.type;
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    redirect: 'manual',
    headers,
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  jar.take(res);
  return res;
}

export const FORM = 'application/x-www-form-urlencoded';

/**
 * SP-initiated login against `idp`: the IdP's POST goes cross-site (no Lax cookie), the finish GET
 * same-site. The application returns to `/me`.
 */
export async function signIn(idp: TestIdp, url: string, jar: Jar, nameId = 'alice@example.com') {
  const begin = await visit(`${url}/saml/login?returnTo=/me`, jar);
  expect(begin.status).toBe(303);
  const { request, relayState } = await idp.readAuthnRequest(begin.headers.get('location')!);
  const delivery = await idp.answerLogin(request, relayState, { nameId, sessionIndex: 'idx-1' });
  if (delivery.binding !== 'post') throw new Error('expected POST');
  const form = delivery.form.toString();
  const acs = await visit(`${url}/saml/acs`, jar, {
    method: 'POST',
    body: form,
    type: FORM,
    cookies: false,
  });
  const finishUrl = acs.headers.get('location') ?? '';
  const finish = await visit(`${url}${finishUrl}`, jar);
  return { acs, finish, form, finishUrl };
}
