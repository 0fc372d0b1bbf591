import { CookieJar } from '@samlkit/testkit';
import { describe, expect, it } from 'vitest';

function response(...lines: string[]): Response {
  return new Response(null, {
    headers: lines.map((line): [string, string] => ['set-cookie', line]),
  });
}

describe('CookieJar', () => {
  it('keeps what responses set and sends it back as one Cookie header', () => {
    const jar = new CookieJar();
    jar.take(response('a=1; Path=/; HttpOnly', 'b=two; Secure; SameSite=Lax'));
    expect(jar.header()).toBe('a=1; b=two');
    expect([...jar.everSet]).toEqual(['a', 'b']);
  });

  it('removes a cookie cleared by an empty value, Max-Age=0 or an Expires in the past', () => {
    const jar = new CookieJar();
    jar.take(response('a=1', 'b=2', 'c=3', 'd=4'));
    jar.take(
      response(
        'a=; Path=/',
        'b=x; Max-Age=0',
        'c=x; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT',
        'd=5; Max-Age=60',
      ),
    );
    expect(jar.header()).toBe('d=5');
    // It remembers every name ever set, cleared or not.
    expect(jar.everSet.has('a')).toBe(true);
  });
});
