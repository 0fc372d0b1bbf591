// A browser, as far as the session-library tests need one: testkit's CookieJar, requests that follow no
// redirect, and an SP-initiated login in which the IdP's POST arrives cross-site (without the
// application's Lax cookies, as a browser sends it) and the finish GET same-site (with them).
import type { CookieJar, TestIdp } from '@samlkit/testkit';
import { expect } from 'vitest';

/** A browser request: cookies from the jar (unless told otherwise), no redirects followed. */
export async function visit(
  url: string,
  jar: CookieJar,
  init: { method?: string; body?: string; cookies?: boolean; type?: string } = {},
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (init.cookies !== false && jar.size > 0) headers.cookie = jar.header();
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
export async function signIn(
  idp: TestIdp,
  url: string,
  jar: CookieJar,
  nameId = 'alice@example.com',
) {
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
