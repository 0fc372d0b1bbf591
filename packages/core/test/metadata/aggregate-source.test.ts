import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AggregateEvent,
  createAggregateSource,
  createServiceProvider,
  isSamlError,
  loadPublicKey,
  MemoryStore,
  signXml,
} from '@samlkit/core';
import { generateTestKeys, type TestKeys } from '@samlkit/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltAggregate, buildAggregate } from '../../../testkit/src/aggregate.js';
import { BASE, req, spConfig, keys as spKeysOf } from '../sp/support.js';
import { aggregateKeys } from '../support/aggregate-setup.js';

// A federation aggregate as a live trust source: the last good copy serves while a refresh runs
// and after one fails, refreshes are conditional, and the resolver answers only trusted IdPs.

const NOW = Date.UTC(2031, 4, 6, 12, 0, 0);
const HOUR = 3600_000;
let fed: TestKeys;
let first: BuiltAggregate;
let second: BuiltAggregate;

beforeAll(async () => {
  let certificates: string[];
  ({ fed, certificates } = await aggregateKeys());
  first = await buildAggregate({
    entities: 30,
    hiddenEvery: 3,
    signingKey: fed,
    certificates,
    now: NOW,
  });
  second = await buildAggregate({ entities: 33, signingKey: fed, certificates, now: NOW + HOUR });
});

const keys = () => [loadPublicKey(fed.certificatePem)];
const idpIds = (a: BuiltAggregate) => a.entities.filter((e) => e.role === 'idp');

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('createAggregateSource', () => {
  it('answers trusted IdPs by entity ID for messages and logins, nothing else', async () => {
    const [idp1, idp2] = idpIds(first);
    const sp = first.entities.find((e) => e.role === 'sp')!;
    const source = createAggregateSource({
      load: async () => first.xml,
      keys: keys(),
      trust: { deny: [idp2!.entityId] },
      now: () => NOW,
    });
    const msg = await source.resolver.lookup({ purpose: 'message', entityId: idp1!.entityId });
    expect(msg?.idp.entityId).toBe(idp1!.entityId);
    expect(msg?.idp.signingKeys.length).toBeGreaterThan(0);
    const login = await source.resolver.lookup({ purpose: 'login', idp: idp1!.entityId });
    expect(login?.idp.entityId).toBe(idp1!.entityId);
    // Denied by the trust rules, an SP, an unknown entity, no entity at all.
    expect(await source.resolver.lookup({ purpose: 'message', entityId: idp2!.entityId })).toBe(
      undefined,
    );
    expect(await source.resolver.lookup({ purpose: 'message', entityId: sp.entityId })).toBe(
      undefined,
    );
    expect(await source.resolver.lookup({ purpose: 'login', idp: 'https://nope' })).toBe(undefined);
    expect(await source.resolver.lookup({ purpose: 'login' })).toBe(undefined);
    expect(source.resolver.forTenant('t1')).toBe(source.resolver);
  });

  it('lists trusted IdPs for discovery, hidden ones only when asked', async () => {
    const source = createAggregateSource({
      load: async () => first.xml,
      keys: keys(),
      now: () => NOW,
    });
    const idps = idpIds(first);
    const listed = await source.entities();
    expect(listed.map((e) => e.entityId)).toEqual(
      idps.filter((e) => !e.hidden).map((e) => e.entityId),
    );
    const all = await source.entities({ includeHidden: true });
    expect(all.map((e) => e.entityId)).toEqual(idps.map((e) => e.entityId));
    expect(idps.some((e) => e.hidden)).toBe(true);
  });

  it('is usable as the SP idps option: a login goes to the IdP the aggregate names', async () => {
    const idp = idpIds(first)[0]!;
    const source = createAggregateSource({
      load: async () => first.xml,
      keys: keys(),
      now: () => NOW,
    });
    const { spKeys } = await spKeysOf();
    const saml = createServiceProvider({
      sp: spConfig(spKeys),
      idps: source.resolver,
      store: new MemoryStore(),
      baseUrl: BASE,
      now: () => NOW,
    });
    const res = await saml.login(req(`/saml/login?idp=${encodeURIComponent(idp.entityId)}`));
    const expected = (await source.resolver.lookup({ purpose: 'login', idp: idp.entityId }))!;
    const location = res.headers.get('location') ?? '';
    expect(res.status).toBe(303);
    expect(
      expected.idp.singleSignOnServices.some((s) => location.startsWith(`${s.location}?`)),
    ).toBe(true);
    const unknown = await saml.login(req('/saml/login?idp=https%3A%2F%2Fnot.in.the.federation'));
    expect(unknown.status).toBe(400);
  });

  it('serves the aggregate in force while a scheduled refresh runs, then the new one', async () => {
    let t = NOW;
    let next: Promise<string> = Promise.resolve(first.xml);
    const events: AggregateEvent[] = [];
    const source = createAggregateSource({
      load: () => next,
      keys: keys(),
      now: () => t,
      onEvent: (e) => events.push(e),
    });
    const a = await source.get();
    expect(a.counts.entities).toBe(30);
    // Past the default 6-hour interval: due. The load hangs until released.
    t = NOW + 7 * HOUR;
    const hold = deferred<string>();
    next = hold.promise;
    expect(await source.get()).toBe(a); // not waiting for the refresh
    expect(source.status().refreshing).toBe(true);
    const idp = idpIds(first)[0]!;
    expect(
      (await source.resolver.lookup({ purpose: 'login', idp: idp.entityId }))?.idp.entityId,
    ).toBe(idp.entityId);
    hold.resolve(second.xml);
    await source.idle();
    const b = await source.get();
    expect(b).not.toBe(a);
    expect(b.counts.entities).toBe(33);
    expect(events.map((e) => e.type)).toEqual(['aggregate-updated', 'aggregate-updated']);
  });

  it('keeps the last good aggregate when a refresh brings a tampered or wrongly signed one', async () => {
    let t = NOW;
    let xml = first.xml;
    const events: AggregateEvent[] = [];
    const other = await generateTestKeys({ subject: 'not the federation' });
    const forged = await buildAggregate({
      entities: 3,
      signingKey: other,
      certificates: [other.certificatePem],
      now: NOW,
    });
    const source = createAggregateSource({
      load: async () => xml,
      keys: keys(),
      now: () => t,
      onEvent: (e) => events.push(e),
    });
    const a = await source.get();
    const idp = idpIds(first)[1]!;
    for (const bad of [xml.replace(idp.entityId, `${idp.entityId}x`), forged.xml]) {
      xml = bad;
      t += 7 * HOUR;
      expect(await source.refresh()).toBe(a);
      const failed = events.at(-1)!;
      expect(failed.type).toBe('aggregate-refresh-failed');
      if (failed.type === 'aggregate-refresh-failed') {
        expect(failed.error.code).toBe('METADATA_INVALID');
        expect(failed.retryAt).toBe(t + 5 * 60_000);
      }
      expect(source.status().lastError?.code).toBe('METADATA_INVALID');
    }
    expect(
      (await source.resolver.lookup({ purpose: 'message', entityId: idp.entityId }))?.idp.entityId,
    ).toBe(idp.entityId);
  });

  it('refuses to serve an aggregate past its validUntil when no fresh one loads', async () => {
    let t = NOW;
    let fail = false;
    const source = createAggregateSource({
      load: async () => {
        if (fail) throw new Error('connection refused');
        return first.xml;
      },
      keys: keys(),
      now: () => t,
    });
    await source.get();
    fail = true;
    t = first.validUntil + 1;
    const e = await source.get().catch((x: unknown) => x);
    expect(isSamlError(e, 'METADATA_EXPIRED')).toBe(true);
    expect(
      await source.resolver
        .lookup({ purpose: 'message', entityId: idpIds(first)[0]!.entityId })
        .catch((x: unknown) => (isSamlError(x) ? x.code : x)),
    ).toBe('METADATA_EXPIRED');
  });

  it('schedules the next refresh by the root cacheDuration (and reads the publisher)', async () => {
    const xml = await signXml(
      first.xml
        .replace(/<ds:Signature [\s\S]*?<\/ds:Signature>/, '')
        .replace('<md:EntitiesDescriptor ', '<md:EntitiesDescriptor cacheDuration="PT1H" '),
      { key: fed.privateKey },
    );
    const source = createAggregateSource({ load: async () => xml, keys: keys(), now: () => NOW });
    const a = await source.get();
    expect(a.cacheDuration).toBe(HOUR);
    expect(a.publisher).toBe('https://fed.example.org/metadata');
    expect(source.status().nextRefreshAt).toBe(NOW + HOUR);
    const plain = createAggregateSource({
      load: async () => first.xml,
      keys: keys(),
      now: () => NOW,
    });
    expect((await plain.get()).cacheDuration).toBe(undefined);
    expect(plain.status().nextRefreshAt).toBe(NOW + 6 * HOUR);
  });

  it('refuses an aggregate signed by another key at the first load', async () => {
    const other = await generateTestKeys({ subject: 'another federation' });
    const source = createAggregateSource({
      load: async () => first.xml,
      keys: [loadPublicKey(other.certificatePem)],
      now: () => NOW,
    });
    const e = await source.get().catch((x: unknown) => x);
    expect(isSamlError(e, 'METADATA_INVALID')).toBe(true);
  });

  describe('over HTTP', () => {
    let server: Server;
    let base: string;
    let served: BuiltAggregate;
    const requests: { ifNoneMatch: string | undefined; status: number }[] = [];

    beforeAll(async () => {
      served = first;
      server = createServer((req, res) => {
        const etag = `"${served.id}"`;
        if (req.headers['if-none-match'] === etag) {
          requests.push({ ifNoneMatch: req.headers['if-none-match'], status: 304 });
          res.writeHead(304, { etag }).end();
          return;
        }
        requests.push({ ifNoneMatch: req.headers['if-none-match'], status: 200 });
        res.writeHead(200, { 'content-type': 'application/samlmetadata+xml', etag });
        res.end(served.xml);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('refreshes with conditional requests: 304 keeps the copy, a new ETag brings the new one', async () => {
      let t = NOW;
      const events: AggregateEvent[] = [];
      const source = createAggregateSource({
        url: `${base}/aggregate.xml`,
        fetch: (u, init) => fetch(u, init),
        keys: keys(),
        now: () => t,
        onEvent: (e) => events.push(e),
      });
      const a = await source.get();
      t += 7 * HOUR;
      expect(await source.refresh()).toBe(a);
      served = second;
      t += 7 * HOUR;
      const b = await source.refresh();
      expect(b.counts.entities).toBe(33);
      expect(requests).toEqual([
        { ifNoneMatch: undefined, status: 200 },
        { ifNoneMatch: `"${first.id}"`, status: 304 },
        { ifNoneMatch: `"${first.id}"`, status: 200 },
      ]);
      expect(events.map((e) => e.type)).toEqual([
        'aggregate-updated',
        'aggregate-not-modified',
        'aggregate-updated',
      ]);
      // At most one download per rate-limit period, whatever asks.
      expect(await source.refresh()).toBe(b);
      expect(events.at(-1)?.type).toBe('aggregate-refresh-skipped');
      expect(requests).toHaveLength(3);
    });
  });
});
