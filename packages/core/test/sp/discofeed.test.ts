import {
  type DiscoFeedCors,
  type DiscoveryIdp,
  type DiscoveryOptions,
  isSamlError,
} from '@samlkit/core';
import { describe, expect, it } from 'vitest';
import { req, setup } from './support.js';

// The DiscoFeed read by a discovery UI on another origin (Fetch standard, CORS protocol): public
// data, read without credentials.

const IDPS: DiscoveryIdp[] = [
  { entityId: 'https://idp.test/metadata', displayNames: [{ value: 'Test IdP', lang: 'en' }] },
];
const CDN = 'https://cdn.ds.example';

async function feedSp(discovery: Partial<DiscoveryOptions> = {}) {
  return (await setup({ discovery: { idps: IDPS, ...discovery } })).sp;
}

const feed = (init: RequestInit = {}) => req('/saml/discofeed', init);

describe('DiscoFeed CORS', () => {
  it('by default any origin may read it, never with credentials', async () => {
    const sp = await feedSp();
    for (const method of ['GET', 'HEAD']) {
      const res = (await sp.handle(feed({ method, headers: { origin: CDN } })))!;
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      expect(res.headers.get('vary')).toBeNull(); // the same answer for every origin
    }
    expect((await sp.handle(feed()))!.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('answers a preflight for GET and HEAD only, without credentials', async () => {
    const sp = await feedSp();
    const res = (await sp.handle(
      feed({
        method: 'OPTIONS',
        headers: { origin: CDN, 'access-control-request-method': 'GET' },
      }),
    ))!;
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, HEAD');
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect(res.headers.get('access-control-allow-headers')).toBeNull();
    expect(await res.text()).toBe('');
    // Other methods stay refused.
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const refused = (await sp.handle(feed({ method, headers: { origin: CDN } })))!;
      expect(refused.status).toBe(405);
      expect(refused.headers.get('allow')).toBe('GET, HEAD');
    }
  });

  it('with a list, echoes a listed Origin with Vary: Origin, and answers others without it', async () => {
    const sp = await feedSp({ feedCors: [CDN, 'http://localhost:8080'] });
    const ok = (await sp.handle(feed({ headers: { origin: CDN } })))!;
    expect(ok.headers.get('access-control-allow-origin')).toBe(CDN);
    expect(ok.headers.get('vary')).toBe('Origin');
    const other = (await sp.handle(feed({ headers: { origin: 'https://evil.example' } })))!;
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(other.headers.get('vary')).toBe('Origin');
    const none = (await sp.handle(feed()))!;
    expect(none.headers.get('access-control-allow-origin')).toBeNull();
    expect(none.headers.get('vary')).toBe('Origin');
    const preflight = (await sp.handle(
      feed({ method: 'OPTIONS', headers: { origin: 'https://evil.example' } }),
    ))!;
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-methods')).toBeNull();
    const listed = (await sp.handle(
      feed({ method: 'OPTIONS', headers: { origin: 'http://localhost:8080' } }),
    ))!;
    expect(listed.headers.get('access-control-allow-origin')).toBe('http://localhost:8080');
    expect(listed.headers.get('access-control-allow-methods')).toBe('GET, HEAD');
  });

  it('feedCors: false sends no CORS header', async () => {
    const sp = await feedSp({ feedCors: false });
    const res = (await sp.handle(feed({ headers: { origin: CDN } })))!;
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = (await sp.handle(feed({ method: 'OPTIONS', headers: { origin: CDN } })))!;
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('the built-in page and its JSON get no CORS header', async () => {
    const sp = await feedSp();
    const page = (await sp.handle(req('/saml/discovery?q=test', { headers: { origin: CDN } })))!;
    expect(page.headers.get('access-control-allow-origin')).toBeNull();
    const json = (await sp.handle(
      req('/saml/discovery?q=test', { headers: { origin: CDN, accept: 'application/json' } }),
    ))!;
    expect(json.headers.get('access-control-allow-origin')).toBeNull();
    expect((await sp.handle(req('/saml/discovery', { method: 'OPTIONS' })))!.status).toBe(405);
  });

  it('refuses a feedCors that is not "*", false or a list of origins', async () => {
    for (const bad of [
      ['https://cdn.ds.example/'],
      ['https://cdn.ds.example/path'],
      ['cdn.ds.example'],
      ['*'],
      ['null'],
      'https://cdn.ds.example',
      true,
    ]) {
      let code: string | undefined;
      try {
        await feedSp({ feedCors: bad as DiscoFeedCors });
      } catch (e) {
        code = isSamlError(e) ? e.code : String(e);
      }
      expect(code, String(bad)).toBe('CONFIG_INVALID');
    }
  });
});
