import { createServiceProvider, MemoryStore, SamlError } from '@samlkit/core';
import { generateTestKeys } from '@samlkit/testkit';
import { describe, expect, it } from 'vitest';
import { readCookie, resolveCookie, serializeCookie } from '../../src/sp/cookie.js';
import {
  defaultErrorResponse,
  ERROR_PAGE_STYLE,
  ERROR_PAGE_STYLE_HASH,
  readBody,
  readForm,
  statusForError,
} from '../../src/sp/http.js';

const err = (code: ConstructorParameters<typeof SamlError>[0]) => new SamlError(code, 'x', {});

describe('error status and pages', () => {
  it('maps codes to HTTP statuses', () => {
    expect(statusForError(err('BASE64_INVALID'))).toBe(400);
    expect(statusForError(err('RETURN_TO_UNSAFE'))).toBe(400);
    expect(statusForError(err('SIGNATURE_INVALID'))).toBe(403);
    expect(statusForError(err('LOGIN_REFUSED'))).toBe(403);
    expect(statusForError(err('SESSION_NOT_FOUND'))).toBe(401);
    expect(statusForError(err('STORE_UNAVAILABLE'))).toBe(503);
    expect(statusForError(err('CONFIG_INVALID'))).toBe(500);
    expect(statusForError(new Error('bug'))).toBe(500);
  });

  it('never shows details or raw input, and answers JSON when asked', async () => {
    const e = new SamlError('AUDIENCE_MISMATCH', 'Audience <b>x</b>', {
      expected: 'secret-expected',
      found: 'secret-found',
      raw: '<samlp:Response/>',
    });
    const html = await defaultErrorResponse(e, new Request('https://a.test/'), 403).text();
    expect(html).toContain('<code>AUDIENCE_MISMATCH</code>');
    expect(html).not.toMatch(/secret|samlp|<b>/);
    const json = defaultErrorResponse(
      e,
      new Request('https://a.test/', { headers: { accept: 'application/json' } }),
      403,
    );
    expect(json.headers.get('content-type')).toContain('application/json');
    expect(await json.json()).toEqual({
      error: { code: 'AUDIENCE_MISMATCH', message: 'Sign-in failed. Please try again.' },
    });
  });

  it('has a styled page whose style the CSP allows by its exact hash, and nothing else', async () => {
    const digest = await crypto.subtle.digest(
      'SHA-256',
      new TextEncoder().encode(ERROR_PAGE_STYLE),
    );
    const hash = btoa(String.fromCharCode(...new Uint8Array(digest)));
    expect(ERROR_PAGE_STYLE_HASH).toBe(`'sha256-${hash}'`);
    const res = defaultErrorResponse(err('EXPIRED'), new Request('https://a.test/'), 403);
    expect(res.headers.get('content-security-policy')).toBe(
      `default-src 'none'; style-src ${ERROR_PAGE_STYLE_HASH}`,
    );
    expect(await res.text()).toContain(`<style>${ERROR_PAGE_STYLE}</style>`);
  });

  it('leads somewhere: sign in again and home, but no new sign-in for a refused user', async () => {
    const links = { home: '/app?x="1"', login: '/auth/login' };
    const page = (code: Parameters<typeof err>[0], status: number) =>
      defaultErrorResponse(err(code), new Request('https://a.test/'), status, links).text();
    const expired = await page('EXPIRED', 403);
    expect(expired).toContain('<a href="/auth/login">Sign in again</a>');
    expect(expired).toContain('<a href="/app?x=&quot;1&quot;">Home</a>');
    expect(await page('SESSION_NOT_FOUND', 401)).toContain('<a href="/auth/login">Sign in</a>');
    const refused = await page('LOGIN_REFUSED', 403);
    expect(refused).not.toContain('/auth/login');
    expect(refused).toContain('>Home</a>');
  });

  it("the service provider's pages use its login path and home, or the application's renderError", async () => {
    const idp = await generateTestKeys();
    const options = {
      sp: {
        entityId: 'https://a.test/saml/metadata',
        assertionConsumerServices: [
          { binding: 'post' as const, location: 'https://a.test/auth/acs' },
        ],
      },
      idps: {
        entityId: 'https://idp.test',
        singleSignOnServices: [{ binding: 'redirect' as const, location: 'https://idp.test/sso' }],
        signingKeys: [idp.publicKey],
      },
      baseUrl: 'https://a.test',
      store: new MemoryStore(),
      paths: { prefix: '/auth' },
      defaultReturnTo: '/start',
      logger: { warn() {}, error() {} },
    };
    const sp = createServiceProvider(options);
    const bad = () =>
      new Request('https://a.test/auth/acs', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'SAMLResponse=%%%',
      });
    const html = await (await sp.handle(bad()))!.text();
    // A failed ACS step offers a fresh login back to where the failed one was going (here the
    // default return address: the form carried nothing to read it from).
    expect(html).toContain('<a href="/auth/login?returnTo=%2Fstart">Sign in again</a>');
    expect(html).toContain('<a href="/start">Home</a>');
    const own = createServiceProvider({
      ...options,
      renderError: (error, _request, status) =>
        new Response(`my page: ${error.code}`, {
          status,
          headers: { 'content-type': 'text/plain' },
        }),
    });
    const mine = (await own.handle(bad()))!;
    expect(await mine.text()).toMatch(/^my page: [A-Z0-9_]+$/);
  });

  it('caps request bodies', async () => {
    const big = new Request('https://a.test/', { method: 'POST', body: 'x'.repeat(2000) });
    await expect(readBody(big, 1000)).rejects.toMatchObject({ code: 'XML_TOO_LARGE' });
    const declared = new Request('https://a.test/', {
      method: 'POST',
      body: 'x',
      headers: { 'content-length': '99999999' },
    });
    await expect(readBody(declared, 1000)).rejects.toMatchObject({ code: 'XML_TOO_LARGE' });
  });
});

describe('readForm', () => {
  const form = (body: string, type = 'application/x-www-form-urlencoded; charset=utf-8') =>
    readForm(
      new Request('https://a.test/saml/acs', {
        method: 'POST',
        body,
        headers: { 'content-type': type },
      }),
    );

  it('refuses a SAML field sent twice, however the second copy is spelled', async () => {
    for (const body of [
      'SAMLResponse=PHg%2B&SAMLResponse=PHk%2B',
      'SAMLResponse=PHg%2B&SAML%52esponse=PHk%2B',
      'RelayState=a&SAMLResponse=PHg%2B&RelayState=b',
      'SAMLRequest=PHg%2B&&SAMLRequest=',
    ]) {
      await expect(form(body)).rejects.toMatchObject({ code: 'BINDING_INVALID' });
    }
  });

  it('reads the fields of one login, decoded', async () => {
    const fields = await form('SAMLResponse=PHg%2BPC94Pg%3D%3D&RelayState=a+b%26c');
    expect(fields.get('SAMLResponse')).toBe('PHg+PC94Pg==');
    expect(fields.get('RelayState')).toBe('a b&c');
  });

  it('refuses a body over the cap and a body that is not a form', async () => {
    await expect(form(`SAMLResponse=${'A'.repeat(2 * 1024 * 1024)}`)).rejects.toMatchObject({
      code: 'XML_TOO_LARGE',
    });
    await expect(form('SAMLResponse=x', 'text/plain')).rejects.toMatchObject({
      code: 'BINDING_INVALID',
    });
  });
});

describe('the session cookie', () => {
  it('is __Host- prefixed, HttpOnly, Secure and SameSite=Lax by default on https', () => {
    const c = resolveCookie(undefined, new URL('https://app.test'));
    expect(serializeCookie(c, 'id1')).toBe(
      '__Host-samlkit_session=id1; Path=/; HttpOnly; Secure; SameSite=Lax',
    );
    // A Domain or a narrower Path rule out __Host-: the default is then __Secure-.
    expect(resolveCookie({ domain: 'app.test' }, new URL('https://app.test')).name).toBe(
      '__Secure-samlkit_session',
    );
    expect(resolveCookie({ path: '/app' }, new URL('https://app.test')).name).toBe(
      '__Secure-samlkit_session',
    );
    // Plain names only for http development.
    expect(resolveCookie(undefined, new URL('http://localhost:3000')).name).toBe('samlkit_session');
  });

  it('refuses prefixed names whose attributes browsers reject, at start-up, with the fix', () => {
    const https = new URL('https://app.test');
    const refused: [Parameters<typeof resolveCookie>[0], URL, RegExp][] = [
      [{ name: '__Host-s', domain: 'app.test' }, https, /remove cookie\.domain/],
      [{ name: '__Host-s', path: '/saml' }, https, /remove cookie\.domain and cookie\.path/],
      [{ name: '__host-s', domain: 'app.test' }, https, /__Secure-s/],
      [{ name: '__Host-s' }, new URL('http://localhost:3000'), /drop the prefix.*'s'/],
      [{ name: '__Secure-s' }, new URL('http://localhost:3000'), /serve the site over https/],
    ];
    for (const [options, base, fix] of refused) {
      let caught: unknown;
      try {
        resolveCookie(options, base);
      } catch (err) {
        caught = err;
      }
      expect(caught, JSON.stringify(options)).toMatchObject({ code: 'CONFIG_INVALID' });
      expect((caught as Error).message).toMatch(fix);
    }
    expect(resolveCookie({ name: '__Secure-s', domain: 'app.test' }, https).name).toBe(
      '__Secure-s',
    );
    expect(resolveCookie({ name: '__Host-s' }, https).name).toBe('__Host-s');
  });

  it('relaxes Secure only on http://localhost, and refuses SameSite=None without Secure', () => {
    expect(resolveCookie(undefined, new URL('http://localhost:3000')).secure).toBe(false);
    expect(resolveCookie(undefined, new URL('http://127.0.0.1:3000')).secure).toBe(false);
    expect(() => resolveCookie({ secure: false }, new URL('https://app.test'))).toThrow(TypeError);
    expect(() => resolveCookie({ secure: false }, new URL('http://app.test'))).toThrow(TypeError);
    expect(() => resolveCookie({ sameSite: 'none' }, new URL('http://localhost'))).toThrow(
      TypeError,
    );
    const none = resolveCookie(
      { sameSite: 'none', domain: 'app.test', maxAge: 60 },
      new URL('https://app.test'),
    );
    expect(serializeCookie(none, 'v')).toBe(
      '__Secure-samlkit_session=v; Path=/; Domain=app.test; Max-Age=60; HttpOnly; Secure; SameSite=None',
    );
    expect(() => resolveCookie({ name: 'a b' }, new URL('https://app.test'))).toThrow(TypeError);
    expect(() => resolveCookie({ path: '/a;b' }, new URL('https://app.test'))).toThrow(TypeError);
  });

  it('trusts no value of a repeated cookie name', () => {
    expect(
      readCookie('a=1; samlkit_session=x; samlkit_session="y"; b=2', 'samlkit_session'),
    ).toEqual({ duplicate: true, count: 2 });
    expect(readCookie('a=1; samlkit_session="x"', 'samlkit_session')).toEqual({
      value: 'x',
      duplicate: false,
      count: 1,
    });
    expect(readCookie(null, 'samlkit_session')).toEqual({ duplicate: false, count: 0 });
  });
});
