// A cookie-holding HTTP client that acts like a browser without JavaScript: it follows redirects,
// keeps cookies per host (Path and Secure ignored: loopback only), reads HTML forms and submits
// them. Enough to drive a SAML login and logout across an SP and an IdP.

/** A page the client landed on. */
export interface Page {
  readonly url: string;
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

/** An HTML form as a browser would submit it. */
export interface HtmlForm {
  readonly action: string;
  readonly method: 'GET' | 'POST';
  readonly fields: URLSearchParams;
}

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  '#39': "'",
  '#x27': "'",
  '#x2F': '/',
  '#x3D': '=',
};

/** Decodes the HTML character references that appear in attribute values. */
export function decodeHtml(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X')) {
      return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    }
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    return ENTITIES[name] ?? whole;
  });
}

function attributes(tag: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of tag.matchAll(
    /([a-zA-Z_:][-\w:.]*)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g,
  )) {
    const name = m[1]!.toLowerCase();
    if (out.has(name)) continue;
    out.set(name, decodeHtml(m[2] ?? m[3] ?? m[4] ?? ''));
  }
  return out;
}

/**
 * Reads the forms of a page: action (resolved against the page URL), method and the fields a
 * browser would send (inputs with a name; checkboxes only when checked; no submit buttons).
 */
export function readForms(page: Pick<Page, 'url' | 'body'>): HtmlForm[] {
  const forms: HtmlForm[] = [];
  for (const m of page.body.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attrs = attributes(m[1]!);
    const fields = new URLSearchParams();
    for (const input of m[2]!.matchAll(/<input\b([^>]*)>/gi)) {
      const a = attributes(input[1]!);
      const name = a.get('name');
      const type = (a.get('type') ?? 'text').toLowerCase();
      if (!name || type === 'submit' || type === 'image' || type === 'button') continue;
      if ((type === 'checkbox' || type === 'radio') && !a.has('checked')) continue;
      fields.append(name, a.get('value') ?? '');
    }
    forms.push({
      action: new URL(attrs.get('action') || page.url, page.url).href,
      method: (attrs.get('method') ?? 'get').toUpperCase() === 'POST' ? 'POST' : 'GET',
      fields,
    });
  }
  return forms;
}

/** The cookie-holding client. */
export class BrowserClient {
  readonly #jar = new Map<string, Map<string, string>>();
  /** Every URL requested, in order (for assertions on the path a login took). */
  readonly history: string[] = [];

  /** The cookies held for a host. */
  cookies(host: string): ReadonlyMap<string, string> {
    return this.#jar.get(host) ?? new Map();
  }

  #store(url: URL, response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...rest] = line.split(';');
      const eq = pair!.indexOf('=');
      if (eq < 1) continue;
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = rest.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a));
      const jar = this.#jar.get(url.hostname) ?? new Map<string, string>();
      this.#jar.set(url.hostname, jar);
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
  }

  /** One request, no redirect following. */
  async request(
    href: string,
    init: { method?: 'GET' | 'POST'; form?: URLSearchParams } = {},
  ): Promise<Page> {
    const url = new URL(href);
    const headers = new Headers({ accept: 'text/html' });
    const jar = this.#jar.get(url.hostname);
    if (jar && jar.size > 0) {
      headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    }
    if (init.form) headers.set('content-type', 'application/x-www-form-urlencoded');
    this.history.push(`${init.method ?? 'GET'} ${url.href}`);
    const response = await fetch(url, {
      method: init.method ?? 'GET',
      headers,
      redirect: 'manual',
      ...(init.form ? { body: init.form.toString() } : {}),
    });
    this.#store(url, response);
    return {
      url: url.href,
      status: response.status,
      headers: response.headers,
      body: await response.text(),
    };
  }

  /** A request, then every redirect after it (at most 20), like a browser. */
  async go(
    href: string,
    init: { method?: 'GET' | 'POST'; form?: URLSearchParams } = {},
  ): Promise<Page> {
    let page = await this.request(href, init);
    for (let hops = 0; hops < 20; hops++) {
      const location = page.headers.get('location');
      if (page.status < 300 || page.status > 399 || !location) return page;
      page = await this.request(new URL(location, page.url).href);
    }
    throw new Error(`too many redirects, last at ${page.url}`);
  }

  /** Submits a form (with some fields replaced) and follows the redirects after it. */
  submit(form: HtmlForm, overrides: Record<string, string> = {}): Promise<Page> {
    const fields = new URLSearchParams(form.fields);
    for (const [k, v] of Object.entries(overrides)) fields.set(k, v);
    if (form.method === 'GET') {
      const url = new URL(form.action);
      url.search = fields.toString();
      return this.go(url.href);
    }
    return this.go(form.action, { method: 'POST', form: fields });
  }

  /**
   * Submits auto-posting SAML forms (pages whose form carries SAMLRequest or SAMLResponse) until
   * the page is something else, as a browser running their one-line script would.
   */
  async autoPost(page: Page): Promise<Page> {
    let current = page;
    for (let hops = 0; hops < 10; hops++) {
      const form = readForms(current).find(
        (f) => f.fields.has('SAMLResponse') || f.fields.has('SAMLRequest'),
      );
      if (!form || current.status !== 200) return current;
      current = await this.submit(form);
    }
    throw new Error(`too many auto-posted forms, last at ${current.url}`);
  }
}
