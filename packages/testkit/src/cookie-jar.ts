/**
 * A browser's cookie jar, as far as tests need one: name → value for one site (no domain, path or
 * expiry bookkeeping), filled from responses' `Set-Cookie` lines and sent back as one `Cookie`
 * header. It also remembers the name of every cookie any response set, so a test can show that a
 * cookie never appeared.
 *
 * @example
 * ```ts
 * const jar = new CookieJar();
 * jar.take(await fetch(url, { redirect: 'manual' }));
 * await fetch(next, { headers: { cookie: jar.header() } });
 * ```
 */
export class CookieJar extends Map<string, string> {
  readonly #everSet = new Set<string>();

  /** The names of every cookie a response set (and did not clear), ever. */
  get everSet(): ReadonlySet<string> {
    return this.#everSet;
  }

  /** The `Cookie` header a browser would send: every cookie, `name=value` joined by `; `. */
  header(): string {
    return [...this].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  /**
   * Stores one `Set-Cookie` line: an empty value, `Max-Age=0` or an `Expires` in the past
   * removes the cookie (RFC 6265 §5.3), anything else sets it.
   */
  store(line: string): void {
    const [pair = '', ...attributes] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq === -1) return;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const expired = attributes.some((attribute) => {
      const [key = '', val = ''] = attribute.split('=').map((part) => part.trim());
      if (/^max-age$/i.test(key)) return Number(val) <= 0;
      if (/^expires$/i.test(key))
        return Date.parse(attribute.slice(attribute.indexOf('=') + 1)) <= Date.now();
      return false;
    });
    if (expired || value === '') {
      this.delete(name);
      return;
    }
    this.set(name, value);
    this.#everSet.add(name);
  }

  /** Stores every `Set-Cookie` line of a response; returns the response. */
  take(response: Response): Response {
    for (const line of response.headers.getSetCookie()) this.store(line);
    return response;
  }
}
