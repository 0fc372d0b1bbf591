import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createMdqSource,
  isSamlError,
  loadPrivateKey,
  loadPublicKey,
  type MdqEvent,
  type MdqSourceOptions,
  MemoryStore,
  signXml,
} from '@samlkit/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mdqHeld404Count } from '../../src/metadata/mdq.js';
import { errorCode, req, setup } from '../sp/support.js';
import { makeCert, okta, type TestCert } from './fixtures.js';

// The MDQ client against a local MDQ service: per-entity GETs, the pinned signing key, 404s
// remembered, conditional refreshes, a bounded wait, and one download for a cluster.

const HOUR = 3600_000;
const START = Date.now();
let mdqKey: TestCert;
let otherKey: TestCert;
let idpCert: TestCert;
let server: Server;
let base: string;
/** Documents by request path; `hang` never answers; `{ redirect }` answers 302 to that path. */
const routes = new Map<string, string | 'hang' | { redirect: string }>();
const seen: { path: string; accept: string | undefined; ifNoneMatch: string | undefined }[] = [];
const hanging: ServerResponse[] = [];

const iso = (t: number) => new Date(t).toISOString();

async function entity(
  entityId: string,
  o: { validUntil?: number; key?: TestCert; id?: string } = {},
): Promise<string> {
  const key = o.key ?? mdqKey;
  const xml = okta(idpCert.b64)
    .replace(/^<\?xml[^>]*>/, '')
    .replace(
      'entityID="http://www.okta.com/exk1abcdEFGH"',
      `ID="${o.id ?? '_mdq1'}" entityID="${entityId}" validUntil="${iso(o.validUntil ?? START + 10 * 24 * HOUR)}"`,
    );
  return signXml(xml, { key: loadPrivateKey(key.keyPem), certificate: key.pem });
}

const path = (entityId: string) => `/entities/${encodeURIComponent(entityId)}`;
const hits = (p: string) => seen.filter((s) => s.path === p).length;

beforeAll(async () => {
  [mdqKey, otherKey, idpCert] = await Promise.all([
    makeCert('mdq signer'),
    makeCert('not the mdq signer'),
    makeCert('idp'),
  ]);
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const p = req.url ?? '';
    seen.push({
      path: p,
      accept: req.headers.accept,
      ifNoneMatch: req.headers['if-none-match'],
    });
    const doc = routes.get(p);
    if (doc === 'hang') {
      hanging.push(res);
      return;
    }
    if (doc === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (typeof doc === 'object') {
      res.writeHead(302, { location: doc.redirect }).end();
      return;
    }
    const etag = `"${createHash('sha256').update(doc).digest('hex').slice(0, 16)}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/samlmetadata+xml', etag }).end(doc);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mdq/`;
});

afterAll(async () => {
  for (const res of hanging) res.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

beforeEach(() => {
  seen.length = 0;
});

function mdq(overrides: Partial<MdqSourceOptions> = {}) {
  const events: MdqEvent[] = [];
  const source = createMdqSource({
    baseUrl: base,
    fetch: (u, init) => fetch(u, init),
    keys: [loadPublicKey(mdqKey.pem)],
    onEvent: (e) => events.push(e),
    ...overrides,
  });
  return { source, events };
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (!isSamlError(e)) throw e;
    return e.code === 'METADATA_INVALID' && e.details.signatureCode
      ? `METADATA_INVALID/${e.details.signatureCode}`
      : e.code;
  }
}

describe('createMdqSource', () => {
  it('GETs {base}/entities/{urlencoded ID} for application/samlmetadata+xml, verified', async () => {
    const id = 'https://idp.example.edu/idp/shibboleth';
    routes.set(`/mdq${path(id)}`, await entity(id));
    const { source } = mdq({ now: () => START });
    expect(await source.urlFor(id)).toBe(
      `${base}entities/https%3A%2F%2Fidp.example.edu%2Fidp%2Fshibboleth`,
    );
    const md = await source.get(id);
    expect(md.entityId).toBe(id);
    expect(md.signatureVerified).toBe(true);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.accept?.startsWith('application/samlmetadata+xml')).toBe(true);
    // Cached: the second lookup makes no request.
    const def = await source.resolver.lookup({ purpose: 'message', entityId: id });
    expect(def?.idp.entityId).toBe(id);
    expect(seen).toHaveLength(1);
  });

  it('sends the {sha1} transformed identifier when configured', async () => {
    const id = 'https://idp.sha1.example.edu/idp';
    const hex = createHash('sha1').update(id).digest('hex');
    routes.set(`/mdq/entities/%7Bsha1%7D${hex}`, await entity(id));
    const { source } = mdq({ identifier: 'sha1', now: () => START });
    expect((await source.get(id)).entityId).toBe(id);
    expect(seen.map((s) => s.path)).toEqual([`/mdq/entities/%7Bsha1%7D${hex}`]);
  });

  it('remembers a 404 for negativeCacheMs, across nodes sharing a store', async () => {
    const id = 'https://unknown.example.edu/idp';
    let t = START;
    const store = new MemoryStore({ now: () => t });
    const a = mdq({ store, now: () => t, negativeCacheMs: 10 * 60_000 });
    const b = mdq({ store, now: () => t, negativeCacheMs: 10 * 60_000 });
    expect(await code(a.source.get(id))).toBe('METADATA_ENTITY_NOT_FOUND');
    expect(a.events.map((e) => e.type)).toContain('mdq-not-found');
    expect(await a.source.resolver.lookup({ purpose: 'login', idp: id })).toBe(undefined);
    expect(await code(b.source.get(id))).toBe('METADATA_ENTITY_NOT_FOUND');
    expect(hits(`/mdq${path(id)}`)).toBe(1);
    // Registered since, and the negative cache has run out: found.
    routes.set(`/mdq${path(id)}`, await entity(id));
    t += 10 * 60_000 + 1;
    expect((await b.source.get(id)).entityId).toBe(id);
    expect(hits(`/mdq${path(id)}`)).toBe(2);
  });

  it('refreshes in the background with a conditional request: 304 keeps the copy', async () => {
    const id = 'https://idp.refresh.example.edu/idp';
    routes.set(`/mdq${path(id)}`, await entity(id));
    let t = START;
    const { source, events } = mdq({ now: () => t });
    const first = await source.get(id);
    t += 7 * HOUR; // past the default 6-hour interval
    expect(await source.get(id)).toBe(first); // served at once; the refresh runs behind
    await source.idle();
    expect(seen.map((s) => s.ifNoneMatch === undefined)).toEqual([true, false]);
    expect(events.map((e) => e.type)).toEqual(['metadata-updated', 'metadata-not-modified']);
    expect(await source.get(id)).toBe(first);
    expect(seen).toHaveLength(2);
  });

  it('refuses a response not signed by the pinned key, or unsigned', async () => {
    const id = 'https://idp.forged.example.edu/idp';
    routes.set(`/mdq${path(id)}`, await entity(id, { key: otherKey }));
    expect(await code(mdq({ now: () => START }).source.get(id))).toBe(
      'METADATA_INVALID/SIGNATURE_INVALID',
    );
    const unsigned = 'https://idp.unsigned.example.edu/idp';
    routes.set(
      `/mdq${path(unsigned)}`,
      (await entity(unsigned)).replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, ''),
    );
    expect(await code(mdq({ now: () => START }).source.get(unsigned))).toBe(
      'METADATA_INVALID/SIGNATURE_MISSING',
    );
  });

  it('refuses a response whose validUntil has passed', async () => {
    const id = 'https://idp.expired.example.edu/idp';
    routes.set(`/mdq${path(id)}`, await entity(id, { validUntil: START - 1000 }));
    expect(await code(mdq({ now: () => START }).source.get(id))).toBe('METADATA_EXPIRED');
  });

  it('refuses a response for another entity than the one asked for', async () => {
    const id = 'https://idp.asked.example.edu/idp';
    routes.set(`/mdq${path(id)}`, await entity('https://idp.other.example.edu/idp'));
    expect(await code(mdq({ now: () => START }).source.get(id))).toBe('METADATA_ENTITY_NOT_FOUND');
  });

  it('does not hold a login beyond lookupWaitMs when the service hangs', async () => {
    const id = 'https://idp.hanging.example.edu/idp';
    routes.set(`/mdq${path(id)}`, 'hang');
    // The wait is a sleep this test ends: the lookup must give up while the service still hangs.
    let endWait!: () => void;
    const waited: number[] = [];
    const { source, events } = mdq({
      now: () => START,
      lookupWaitMs: 250,
      sleep: (ms, signal) =>
        new Promise<void>((resolve) => {
          waited.push(ms);
          endWait = resolve;
          signal?.addEventListener('abort', () => resolve(), { once: true });
        }),
    });
    const lookup = source.resolver.lookup({ purpose: 'message', entityId: id });
    while (hits(`/mdq${path(id)}`) === 0) await new Promise((r) => setTimeout(r, 10));
    endWait();
    expect(await code(lookup)).toBe('METADATA_FETCH_FAILED');
    expect(waited).toEqual([250]);
    expect(events.at(-1)).toMatchObject({ type: 'mdq-wait-exceeded', waitedMs: 250 });
    expect(hanging.length).toBeGreaterThan(0); // the service never answered
  });

  it('two SP nodes sharing one store fetch each entity once', async () => {
    // The store keeps the nodes' clock (its entries expire by it).
    const store = new MemoryStore({ now: () => START });
    const id = 'https://idp.cluster.example.edu/idp';
    routes.set(`/mdq${path(id)}`, await entity(id));
    const a = mdq({ store, now: () => START });
    const b = mdq({ store, now: () => START });
    const [x, y] = await Promise.all([a.source.get(id), b.source.get(id)]);
    expect(x.entityId).toBe(id);
    expect(y.entityId).toBe(id);
    const c = mdq({ store, now: () => START });
    expect((await c.source.get(id)).entityId).toBe(id);
    expect(hits(`/mdq${path(id)}`)).toBe(1);
    expect(c.events[0]).toMatchObject({ type: 'metadata-updated', source: 'store' });
  });

  it('holds at most maxEntities entities and remembered 404s in memory', async () => {
    const ids = ['a', 'b', 'c'].map((x) => `https://idp-${x}.bounded.example.edu/idp`);
    routes.set(`/mdq${path(ids[0]!)}`, await entity(ids[0]!));
    routes.set(`/mdq${path(ids[1]!)}`, await entity(ids[1]!));
    const held = mdq({ now: () => START, maxEntities: 1 });
    await held.source.get(ids[0]!);
    await held.source.get(ids[1]!); // drops ids[0]
    await held.source.get(ids[0]!);
    expect(hits(`/mdq${path(ids[0]!)}`)).toBe(2);
    const unknown = ['x', 'y'].map((x) => `https://idp-${x}.unknown.example.edu/idp`);
    const misses = mdq({ now: () => START, maxEntities: 1 });
    expect(await code(misses.source.get(unknown[0]!))).toBe('METADATA_ENTITY_NOT_FOUND');
    expect(await code(misses.source.get(unknown[1]!))).toBe('METADATA_ENTITY_NOT_FOUND');
    // The latest 404 is remembered; the first was forgotten to make room, so it is asked again.
    expect(await code(misses.source.get(unknown[1]!))).toBe('METADATA_ENTITY_NOT_FOUND');
    expect(hits(`/mdq${path(unknown[1]!)}`)).toBe(1);
    expect(await code(misses.source.get(unknown[0]!))).toBe('METADATA_ENTITY_NOT_FOUND');
    expect(hits(`/mdq${path(unknown[0]!)}`)).toBe(2);
  });

  it('rate-limits downloads per entity', async () => {
    const id = 'https://idp.flaky.example.edu/idp';
    routes.set(`/mdq${path(id)}`, '<not-metadata/>');
    const { source } = mdq({ now: () => START });
    expect(await code(source.get(id))).toBe('METADATA_INVALID');
    expect(await code(source.get(id))).toBe('METADATA_INVALID');
    expect(hits(`/mdq${path(id)}`)).toBe(1);
  });

  it('never turns the entity ID "." or ".." into {base}/entities/ or {base}/ (no request)', async () => {
    const { source } = mdq({ now: () => START });
    for (const id of ['.', '..']) {
      let url: string | undefined;
      try {
        url = await source.urlFor(id);
      } catch (e) {
        expect(isSamlError(e) && e.code).toBe('METADATA_ENTITY_NOT_FOUND');
      }
      if (url !== undefined) {
        expect(new URL(url).pathname).not.toBe('/mdq/entities/');
        expect(new URL(url).pathname).not.toBe('/mdq/');
      }
      expect(await code(source.get(id))).toBe('METADATA_ENTITY_NOT_FOUND');
      expect(await source.resolver.lookup({ purpose: 'login', idp: id })).toBe(undefined);
      expect(await source.resolver.lookup({ purpose: 'message', entityId: id })).toBe(undefined);
    }
    expect(seen).toHaveLength(0);
  });

  it('holds at most maxEntities 404 answers that arrive after their lookup gave up', async () => {
    // Every lookup gives up at once; the service's 404 arrives afterwards and no one reads it.
    const { source } = mdq({
      now: () => START,
      maxEntities: 3,
      sleep: () => Promise.resolve(),
    });
    const ids = Array.from({ length: 20 }, (_, i) => `https://late-${i}.unknown.example.edu/idp`);
    for (const id of ids) expect(await code(source.get(id))).toBe('METADATA_FETCH_FAILED');
    await source.idle();
    while (hits(`/mdq${path(ids.at(-1)!)}`) === 0) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    expect(mdqHeld404Count(source)).toBeLessThanOrEqual(3);
  });
  it('sends at most newEntityBudget requests for new entities; held ones keep being served and refreshed', async () => {
    const good = 'https://idp.budget-known.example.edu/idp';
    routes.set(`/mdq${path(good)}`, await entity(good));
    let t = START;
    const { source, events } = mdq({
      now: () => t,
      newEntityBudget: { requests: 3, perMs: 60_000 },
    });
    expect((await source.get(good)).entityId).toBe(good); // spends one of the three
    const flood = Array.from({ length: 10 }, (_, i) => `https://random-${i}.flood.example/idp`);
    const codes: string[] = [];
    for (const id of flood) codes.push(await code(source.get(id)));
    // Two more requests went out (404, remembered); the other eight were refused without one.
    expect(codes.slice(0, 2)).toEqual(['METADATA_ENTITY_NOT_FOUND', 'METADATA_ENTITY_NOT_FOUND']);
    expect(codes.slice(2)).toEqual(Array(8).fill('METADATA_FETCH_FAILED'));
    expect(seen.filter((r) => r.path.includes('flood.example'))).toHaveLength(2);
    const refused = events.filter((e) => e.type === 'mdq-budget-exceeded');
    expect(refused).toHaveLength(8);
    expect(refused[0]).toMatchObject({ retryAt: START + 20_000 }); // one request per 20 s
    try {
      await source.get(flood[5]!);
    } catch (e) {
      expect(isSamlError(e) && e.message).toContain('budget');
      expect(isSamlError(e) && e.details.hint).toContain('newEntityBudget.requests');
      expect(isSamlError(e) && e.details.budget).toEqual({ requests: 3, perMs: 60_000 });
    }
    // Through the resolver it is an error (the SP answers 500 and logs it), not an unknown IdP.
    expect(await code(source.resolver.lookup({ purpose: 'login', idp: flood[6]! }))).toBe(
      'METADATA_FETCH_FAILED',
    );
    // Remembered 404s cost nothing and are answered as before.
    expect(await code(source.get(flood[0]!))).toBe('METADATA_ENTITY_NOT_FOUND');
    expect(seen.filter((r) => r.path.includes('flood.example'))).toHaveLength(2);
    // The entity held is served, and its due refresh goes out although the budget is spent.
    t += 7 * HOUR - 60_000; // past its refresh interval; the bucket would refill by now...
    for (const id of flood.slice(2)) await code(source.get(id)); // ...but the flood spends it again
    expect(await code(source.get('https://one-more.flood.example/idp'))).toBe(
      'METADATA_FETCH_FAILED',
    );
    const before = hits(`/mdq${path(good)}`);
    expect((await source.get(good)).entityId).toBe(good);
    await source.idle();
    expect(hits(`/mdq${path(good)}`)).toBe(before + 1);
    // Time refills the budget: one request per 20 s.
    t += 20_000;
    expect(await code(source.get(flood[9]!))).toBe('METADATA_ENTITY_NOT_FOUND');
    expect(await code(source.get('https://two-more.flood.example/idp'))).toBe(
      'METADATA_FETCH_FAILED',
    );
  });

  it('spends one token per download, however many redirects it follows', async () => {
    const ids = [1, 2, 3].map((i) => `https://idp.moved-${i}.example.edu/idp`);
    for (const id of ids) {
      routes.set(`/mdq${path(id)}`, { redirect: `/moved${path(id)}` });
      routes.set(`/moved${path(id)}`, await entity(id));
    }
    const { source, events } = mdq({
      now: () => START,
      newEntityBudget: { requests: 3, perMs: 60_000 },
    });
    // Three entities, each a request and its redirect hop: the budget of three lets all through.
    for (const id of ids) expect((await source.get(id)).entityId).toBe(id);
    for (const id of ids) expect(hits(`/moved${path(id)}`)).toBe(1);
    expect(events.filter((e) => e.type === 'mdq-budget-exceeded')).toHaveLength(0);
    expect(await code(source.get('https://idp.fourth.example.edu/idp'))).toBe(
      'METADATA_FETCH_FAILED',
    );
  });

  it('keeps to the budget when many lookups of new entities arrive at once', async () => {
    const { source, events } = mdq({
      now: () => START,
      newEntityBudget: { requests: 2, perMs: 60_000 },
    });
    const ids = Array.from({ length: 6 }, (_, i) => `https://burst-${i}.flood.example/idp`);
    const codes = await Promise.all(ids.map((id) => code(source.get(id))));
    expect(seen.filter((r) => r.path.includes('burst-'))).toHaveLength(2);
    expect(events.filter((e) => e.type === 'mdq-budget-exceeded')).toHaveLength(4);
    expect(codes.filter((c) => c === 'METADATA_ENTITY_NOT_FOUND')).toHaveLength(2);
    expect(codes.filter((c) => c === 'METADATA_FETCH_FAILED')).toHaveLength(4);
  });

  it('a flood of /saml/login?idp=<random> at the SP sends at most the budget to the service', async () => {
    const { source } = mdq({ now: () => START, newEntityBudget: { requests: 2, perMs: 60_000 } });
    const { sp } = await setup({ idps: source.resolver });
    const statuses: [number, string | undefined][] = [];
    for (let i = 0; i < 6; i++) {
      const id = encodeURIComponent(`https://sp-flood-${i}.flood.example/idp`);
      const res = await sp.login(req(`/saml/login?idp=${id}`));
      statuses.push([res.status, await errorCode(res)]);
    }
    expect(statuses).toEqual([
      [400, 'IDP_UNKNOWN'],
      [400, 'IDP_UNKNOWN'],
      ...Array(4).fill([500, 'METADATA_FETCH_FAILED']),
    ]);
    expect(seen.filter((r) => r.path.includes('sp-flood-'))).toHaveLength(2);
  });

  it('forged Issuers at the ACS spend the message budget only: a login of a new IdP still goes through', async () => {
    const good = 'https://idp.budget-login.example.edu/idp';
    routes.set(`/mdq${path(good)}`, await entity(good));
    const { source } = mdq({ now: () => START, newEntityBudget: { requests: 2, perMs: 60_000 } });
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) {
      const entityId = `https://forged-${i}.flood.example/idp`;
      codes.push(await code(source.resolver.lookup({ purpose: 'message', entityId })));
    }
    // Two requests (404: unknown IdP), then the message budget is spent.
    expect(codes).toEqual(['ok', 'ok', ...Array(3).fill('METADATA_FETCH_FAILED')]);
    expect(seen.filter((r) => r.path.includes('forged-'))).toHaveLength(2);
    // A user's login names a new IdP: its own budget is untouched.
    const found = await source.resolver.lookup({ purpose: 'login', idp: good });
    expect(found?.idp.entityId).toBe(good);
    // And the other way round: logins spend theirs, messages keep what is left of theirs.
    const { source: other } = mdq({
      now: () => START,
      newEntityBudget: { requests: 1, perMs: 60_000 },
    });
    expect(await code(other.get('https://login-flood-1.flood.example/idp'))).toBe(
      'METADATA_ENTITY_NOT_FOUND',
    );
    expect(await code(other.get('https://login-flood-2.flood.example/idp'))).toBe(
      'METADATA_FETCH_FAILED',
    );
    expect((await other.get(good, 'message')).entityId).toBe(good);
    await expect(other.get(good, 'other' as 'login')).rejects.toThrow(TypeError);
  });

  it('a discovery answer the SP cannot check (budget spent) is an outage, not an unknown IdP', async () => {
    const { source } = mdq({ now: () => START, newEntityBudget: { requests: 1, perMs: 60_000 } });
    const { sp } = await setup({
      idps: source.resolver,
      discovery: { service: 'https://ds.fed.example/ds' },
    });
    const statuses: [number, string | undefined][] = [];
    for (let i = 0; i < 3; i++) {
      const id = encodeURIComponent(`https://ds-flood-${i}.flood.example/idp`);
      const res = await sp.login(req(`/saml/login?SAMLDS=1&entityID=${id}`));
      statuses.push([res.status, await errorCode(res)]);
    }
    expect(statuses).toEqual([
      [400, 'IDP_UNKNOWN'],
      [500, 'METADATA_FETCH_FAILED'],
      [500, 'METADATA_FETCH_FAILED'],
    ]);
  });

  it('over the budget, still looks up an entity another node put in the store', async () => {
    const store = new MemoryStore({ now: () => START });
    const id = 'https://idp.budget-shared.example.edu/idp';
    routes.set(`/mdq${path(id)}`, await entity(id));
    const a = mdq({ store, now: () => START });
    await a.source.get(id);
    const b = mdq({ store, now: () => START, newEntityBudget: { requests: 1, perMs: 60_000 } });
    expect(await code(b.source.get('https://x.flood.example/idp'))).toBe(
      'METADATA_ENTITY_NOT_FOUND',
    );
    expect(await code(b.source.get('https://y.flood.example/idp'))).toBe('METADATA_FETCH_FAILED');
    expect((await b.source.get(id)).entityId).toBe(id); // read from the store, no request
    expect(hits(`/mdq${path(id)}`)).toBe(1);
  });

  it('unknown entity IDs cannot push verified entities out of memory', async () => {
    const good = ['a', 'b', 'c'].map((x) => `https://idp-${x}.keep.example.edu/idp`);
    for (const id of good) routes.set(`/mdq${path(id)}`, await entity(id));
    const { source } = mdq({
      now: () => START,
      maxEntities: 3,
      newEntityBudget: { requests: Infinity, perMs: 1 },
    });
    for (const id of good) await source.get(id);
    // Made-up IDs whose lookups fail without a verdict (a service that refuses them), then a
    // flood of them: each takes the place of an older unverified one, never a verified one.
    const bad = Array.from({ length: 20 }, (_, i) => `https://junk-${i}.keep.example/idp`);
    for (const id of bad) routes.set(`/mdq${path(id)}`, '<not-metadata/>');
    for (const id of bad) expect(await code(source.get(id))).toBe('METADATA_INVALID');
    const before = seen.length;
    for (const id of good) expect((await source.get(id)).entityId).toBe(id);
    expect(seen.length).toBe(before); // all three still held: no request
  });

  it('refuses a newEntityBudget that is not positive numbers', () => {
    for (const b of [
      { requests: 0, perMs: 1000 },
      { requests: 5, perMs: 0 },
      { requests: Number.NaN, perMs: 1000 },
      { requests: 5, perMs: Infinity },
    ]) {
      expect(() => mdq({ newEntityBudget: b })).toThrow(TypeError);
    }
  });
});
