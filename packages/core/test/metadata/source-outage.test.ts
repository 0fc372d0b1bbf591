// Metadata never blocks a login: a metadata server on 127.0.0.1 that this test controls goes
// down, hangs, answers garbage or badly signed documents, rolls its IdP's key twice within a
// minute, and answers conditional requests with 304. Time is the injected clock; the only waits
// are the ones the test itself releases.
import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createMetadataSource,
  DEFAULT_ROLLOVER_WAIT_MS,
  type IdpMetadata,
  loadPrivateKey,
  loadPublicKey,
  MemoryStore,
  type MetadataEvent,
  type MetadataSource,
  type MetadataSourceOptions,
  type SamlError,
  signXml,
} from '@samlkit/core';
import { verifyElementSignature } from '@samlkit/core/xml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseXml } from '../../src/lib/xml.js';
import { defaultSleep } from '../../src/metadata/refresher.js';
import { makeCert, okta, type TestCert } from './fixtures.js';

type Mode = 'serve' | 'hang' | 'garbage' | 'error' | 'not-modified-always';

/** What the metadata server does, and what it saw. */
const idpServer = {
  mode: 'serve' as Mode,
  body: '',
  /** Validators it sends with a document; a request carrying a matching one gets a 304. */
  etag: undefined as string | undefined,
  lastModified: undefined as string | undefined,
  requests: [] as IncomingHttpHeaders[],
  full: 0,
  notModified: 0,
  held: [] as ServerResponse[],
  arrived: [] as Array<() => void>,
};

let server: Server;
let port = 0;
let base = '';

function listen(): Promise<void> {
  return new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
}
async function stopServer(): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Resolves once the server has received `n` requests in all. */
function requestsReached(n: number): Promise<void> {
  if (idpServer.requests.length >= n) return Promise.resolve();
  return new Promise<void>((resolve) => {
    idpServer.arrived.push(() => {
      if (idpServer.requests.length >= n) resolve();
    });
  }).then(() => requestsReached(n));
}

/** Answers every request the server holds open. */
function release(status: number, body: string): void {
  for (const res of idpServer.held.splice(0)) {
    res.writeHead(status, { 'content-type': 'application/samlmetadata+xml' });
    res.end(body);
  }
}

let certs: TestCert[];
let pinCert: TestCert;
let rogueCert: TestCert;

beforeAll(async () => {
  certs = await Promise.all(['idp-2025', 'idp-2026', 'idp-2027'].map((cn) => makeCert(cn)));
  [pinCert, rogueCert] = await Promise.all([makeCert('federation-signer'), makeCert('rogue')]);
  server = createServer((req, res) => {
    idpServer.requests.push(req.headers);
    for (const f of idpServer.arrived.splice(0)) f();
    const s = idpServer;
    if (s.mode === 'hang') return void s.held.push(res);
    if (s.mode === 'garbage') {
      res.writeHead(200, { 'content-type': 'text/html' });
      return void res.end('<html><body>Maintenance</body></html>');
    }
    if (s.mode === 'error') {
      res.writeHead(500);
      return void res.end('oops');
    }
    if (s.mode === 'not-modified-always') {
      res.writeHead(304);
      return void res.end();
    }
    const validators = {
      ...(s.etag !== undefined && { etag: s.etag }),
      ...(s.lastModified !== undefined && { 'last-modified': s.lastModified }),
    };
    const inm = req.headers['if-none-match'];
    const ims = req.headers['if-modified-since'];
    // RFC 9110 §13.1.2 / §13.1.3: If-None-Match wins when present.
    const unchanged =
      inm !== undefined
        ? s.etag !== undefined && inm === s.etag
        : ims !== undefined && s.lastModified !== undefined && ims === s.lastModified;
    if (unchanged) {
      s.notModified++;
      res.writeHead(304, validators);
      return void res.end();
    }
    s.full++;
    res.writeHead(200, { 'content-type': 'application/samlmetadata+xml', ...validators });
    res.end(s.body);
  });
  await listen();
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterEach(() => {
  release(503, '');
  Object.assign(idpServer, {
    mode: 'serve',
    body: '',
    etag: undefined,
    lastModified: undefined,
    requests: [],
    full: 0,
    notModified: 0,
    arrived: [],
  });
});

afterAll(stopServer);

const metadataFor = (cert: TestCert) => okta(cert.b64);

/** A Response as the IdP signs it with `cert`, and the signature check a login runs on it. */
function signedBy(cert: TestCert): Promise<string> {
  return signXml(
    '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r1" Version="2.0" IssueInstant="2026-06-01T00:00:00Z"/>',
    { key: loadPrivateKey(cert.keyPem) },
  );
}
async function login(xml: string, idp: IdpMetadata): Promise<string> {
  const v = await verifyElementSignature(parseXml(xml).documentElement, { keys: idp.signingKeys });
  if (!v) throw new Error('unsigned');
  return v.element.getAttribute('ID')!;
}

function clock(start = Date.parse('2026-06-01T00:00:00Z')) {
  const c = { t: start, now: () => c.t };
  return c;
}
type Clock = ReturnType<typeof clock>;

let n = 0;
function source(extra: Partial<MetadataSourceOptions> = {}, c: Clock = clock()) {
  const events: MetadataEvent[] = [];
  const s = createMetadataSource({
    url: `${base}/metadata/${++n}`,
    fetch,
    now: c.now,
    onEvent: (e) => events.push(e),
    ...extra,
  });
  return { s, c, events };
}

const failures = (events: MetadataEvent[]) =>
  events.flatMap((e) => (e.type === 'metadata-refresh-failed' ? [e.error as SamlError] : []));

/**
 * The IdP's first key rotation, 10 s after `start`: its server publishes certs[1], and the first
 * login signed with the new key downloads the new metadata (through `s`) and passes.
 */
async function firstRotation(
  s: Pick<MetadataSource, 'withRollover'>,
  c: Clock,
  start: number,
): Promise<void> {
  idpServer.body = metadataFor(certs[1]!);
  c.t = start + 10_000;
  await expect(s.withRollover(async (idp) => login(await signedBy(certs[1]!), idp))).resolves.toBe(
    '_r1',
  );
}

/** The IdP's second rotation, at time `at`: certs[2] is published; a Response signed with it. */
async function secondRotation(c: Clock, at: number): Promise<string> {
  idpServer.body = metadataFor(certs[2]!);
  const third = await signedBy(certs[2]!);
  c.t = at;
  return third;
}

/**
 * A `sleep` whose waits for the rate limit's window pass on the test's clock `c` (recorded in
 * `windowWaits`), while a login's bounded wait (the one given a signal) is real time and never
 * runs out before the local server answers.
 */
function windowSleep(c: Clock, windowWaits: number[]): NonNullable<MetadataSourceOptions['sleep']> {
  return (ms, signal) => {
    if (signal) return defaultSleep(ms, signal);
    windowWaits.push(ms);
    c.t += ms;
    return Promise.resolve();
  };
}

describe('a login never waits for a scheduled refresh', () => {
  it('get() and logins are served from the last good copy while the server holds the refresh open', async () => {
    idpServer.body = metadataFor(certs[0]!);
    const { s, c, events } = source();
    const first = await s.get();
    const message = await signedBy(certs[0]!);

    idpServer.mode = 'hang';
    c.t += 7 * 3600_000; // the 6-hour schedule is due
    const during = await s.get(); // starts the refresh, does not wait for it
    expect(during).toBe(first);
    await requestsReached(2);
    expect(idpServer.held).toHaveLength(1); // the server still holds the refresh open…
    expect(s.status().refreshing).toBe(true);
    // …and logins go on with the copy in force, however many arrive meanwhile.
    for (let i = 0; i < 5; i++)
      await expect(s.withRollover((idp) => login(message, idp))).resolves.toBe('_r1');
    expect(idpServer.requests).toHaveLength(2); // one refresh in flight, not one per login

    // The server answers at last: the refresh completes in the background.
    release(200, metadataFor(certs[1]!));
    await s.idle();
    expect(s.status().refreshing).toBe(false);
    expect(events.at(-1)).toMatchObject({ type: 'metadata-updated', reason: 'scheduled' });
    expect(await s.get()).not.toBe(first);
  });

  it('a refresh that never settles (a runtime that froze it) is replaced once stale, not joined forever', async () => {
    idpServer.body = metadataFor(certs[0]!);
    const { s, c } = source({ timeoutMs: 10_000, peerWaitAttempts: 5, peerWaitMs: 400 });
    const first = await s.get();
    idpServer.mode = 'hang';
    c.t += 7 * 3600_000;
    expect(await s.get()).toBe(first);
    await requestsReached(2);
    // 10 s timeout + 5 × 400 ms of peer waits + a minute for store calls: beyond that it is lost.
    c.t += 10_000 + 2_000 + 60_000 + 1;
    expect(await s.get()).toBe(first);
    await requestsReached(3);
    expect(idpServer.held).toHaveLength(2);
  });

  it('a server that is down, hangs, answers garbage, 500 or a badly signed document: logins go on with the last good copy, and every failure reaches onEvent', async () => {
    const pin = { keys: [loadPublicKey(pinCert.pem)] };
    const signed = (cert: TestCert, signer: TestCert) =>
      signXml(
        metadataFor(cert)
          .replace('<md:EntityDescriptor ', '<md:EntityDescriptor ID="_md" ')
          .replace(/^<\?xml[^>]*>/, ''),
        {
          key: loadPrivateKey(signer.keyPem),
        },
      );
    idpServer.body = await signed(certs[0]!, pinCert);
    const { s, c, events } = source({ verify: pin, timeoutMs: 200 });
    const good = await s.get();
    const message = await signedBy(certs[0]!);

    const scenarios: Array<[string, () => Promise<void>, string, RegExp]> = [
      ['down', async () => stopServer(), 'METADATA_FETCH_FAILED', /ECONNREFUSED|fetch failed/],
      [
        'hanging',
        async () => {
          await listen();
          idpServer.mode = 'hang';
        },
        'METADATA_FETCH_FAILED',
        /TimeoutError|abort/i,
      ],
      [
        'garbage',
        async () => {
          release(503, '');
          idpServer.mode = 'garbage';
        },
        'METADATA_INVALID',
        /./,
      ],
      [
        'HTTP 500',
        async () => {
          idpServer.mode = 'error';
        },
        'METADATA_FETCH_FAILED',
        /HTTP 500/,
      ],
      [
        'signed by another key',
        async () => {
          idpServer.mode = 'serve';
          idpServer.body = await signed(certs[1]!, rogueCert);
        },
        'METADATA_INVALID',
        /./,
      ],
    ];
    for (const [name, setUp, code, found] of scenarios) {
      await setUp();
      c.t += 7 * 3600_000;
      // The login is answered from the last good copy before the refresh has even finished.
      await expect(
        s.withRollover((idp) => login(message, idp)),
        name,
      ).resolves.toBe('_r1');
      await s.idle();
      const err = failures(events).at(-1)!;
      expect(err.code, name).toBe(code);
      expect(
        `${err.details.found} ${String((err.details.cause as Error | undefined)?.message)}`,
        name,
      ).toMatch(found);
      expect(await s.get(), name).toBe(good);
      expect(s.status().lastError, name).toBe(err);
    }
    // The forged document's failure names the signature problem.
    expect(failures(events).at(-1)!.details.signatureCode).toMatch(/^SIGNATURE_/);
    expect(failures(events)).toHaveLength(scenarios.length);

    // Back to a good document: the next due refresh adopts it and clears the error.
    idpServer.body = await signed(certs[1]!, pinCert);
    c.t += 7 * 3600_000;
    await s.get();
    await s.idle();
    expect(s.status().lastError).toBeUndefined();
    expect(await s.get()).not.toBe(good);
  });
});

describe('a signature by an unknown key', () => {
  it('waits for the refresh at most rolloverWaitMs (2 s by default), then fails; the refresh finishes in the background', async () => {
    idpServer.body = metadataFor(certs[0]!);
    const waits: number[] = [];
    let timeUp!: () => void;
    const { s, c, events } = source({
      // The test decides when the time is up: no timing in the assertions.
      sleep: (ms) => {
        waits.push(ms);
        return new Promise<void>((resolve) => {
          timeUp = resolve;
        });
      },
    });
    await s.get();
    // The IdP rolls its key; its metadata server hangs.
    idpServer.mode = 'hang';
    c.t += 10_000;
    const rotated = await signedBy(certs[1]!);
    const attempt = s.withRollover((idp) => login(rotated, idp));
    await requestsReached(2);
    expect(waits).toEqual([DEFAULT_ROLLOVER_WAIT_MS]);
    expect(DEFAULT_ROLLOVER_WAIT_MS).toBeLessThanOrEqual(2000);
    timeUp();
    await expect(attempt).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
    expect(idpServer.held).toHaveLength(1); // the login failed while the refresh still hangs
    expect(events.at(-1)).toEqual({
      type: 'metadata-wait-exceeded',
      url: s.url,
      reason: 'signature',
      waitedMs: DEFAULT_ROLLOVER_WAIT_MS,
    });

    // The server answers; the next login passes without another download.
    release(200, metadataFor(certs[1]!));
    await s.idle();
    await expect(s.withRollover((idp) => login(rotated, idp))).resolves.toBe('_r1');
    expect(idpServer.requests).toHaveLength(2);
  });

  it('rolloverWaitMs is configurable', async () => {
    idpServer.body = metadataFor(certs[0]!);
    const waits: number[] = [];
    const { s, c } = source({
      rolloverWaitMs: 750,
      sleep: (ms) => {
        waits.push(ms);
        return new Promise<void>(() => {});
      },
    });
    await s.get();
    await firstRotation(s, c, c.t);
    expect(waits).toEqual([750]);
    expect(() => source({ rolloverWaitMs: -1 })).toThrow(TypeError);
  });

  it('a second genuine rotation within a minute costs seconds of failed logins, not a minute', async () => {
    idpServer.body = metadataFor(certs[0]!);
    const { s, c, events } = source();
    await s.get();
    const start = c.t;

    // First rotation, 10 s later: the first Response with the new key triggers the refresh.
    await firstRotation(s, c, start);

    // Second rotation 2 s after the first: one more download only once the rate limit allows.
    const third = await secondRotation(c, start + 12_000);
    await expect(s.withRollover((idp) => login(third, idp))).rejects.toMatchObject({
      code: 'SIGNATURE_INVALID',
    });
    expect(events.at(-1)).toMatchObject({ type: 'metadata-refresh-skipped', why: 'rate-limited' });
    c.t = start + 15_000; // 5 s after the last download, not 60 s
    await expect(s.withRollover((idp) => login(third, idp))).resolves.toBe('_r1');
    expect(idpServer.requests).toHaveLength(3);
  });

  /** A source whose waits for the rate limit's window pass on the test's clock ({@link windowSleep}). */
  function windowClockSource(extra: Partial<MetadataSourceOptions> = {}) {
    const windowWaits: number[] = [];
    const c = clock();
    const made = source({ sleep: windowSleep(c, windowWaits), ...extra }, c);
    return { ...made, windowWaits };
  }

  it('a second rotation while the rate limit holds: the login waits for the window when it reopens within rolloverWaitMs', async () => {
    idpServer.body = metadataFor(certs[0]!);
    const { s, c, events, windowWaits } = windowClockSource();
    await s.get();
    const start = c.t;
    // First rotation, 10 s later: the first Response with the new key downloads the new metadata.
    await firstRotation(s, c, start);
    // Second rotation 3.5 s after the first: the rate limit (5 s) lets the next download start
    // 1.5 s later, within the 2 s the login may wait, so the login waits instead of failing.
    const third = await secondRotation(c, start + 13_500);
    await expect(s.withRollover((idp) => login(third, idp))).resolves.toBe('_r1');
    expect(windowWaits).toEqual([1_500]);
    expect(c.t).toBe(start + 15_000); // the download started when the window reopened, not before
    expect(idpServer.requests).toHaveLength(3);
    expect(events.filter((e) => e.type === 'metadata-refresh-skipped')).toEqual([]);
    expect(events.at(-1)).toMatchObject({
      type: 'metadata-updated',
      reason: 'signature',
      signingKeysChanged: true,
    });
  });

  it('in a cluster (a shared store): the waiting login takes the refresh lock when the window reopens, once for all nodes', async () => {
    idpServer.body = metadataFor(certs[0]!);
    const c = clock();
    const store = new MemoryStore({ now: c.now });
    const url = `${base}/metadata/${++n}`;
    const windowWaits: number[] = [];
    const node = () =>
      createMetadataSource({
        url,
        fetch,
        store,
        now: c.now,
        sleep: windowSleep(c, windowWaits),
      });
    const [a, b] = [node(), node()];
    await a.get();
    await b.get();
    const start = c.t;
    await firstRotation(a, c, start);
    // The second rotation reaches node A 3.5 s later: it waits 1.5 s for the window, and the
    // cluster's lock (taken by A's own last download until then) is free again by then.
    const third = await secondRotation(c, start + 13_500);
    await expect(a.withRollover((idp) => login(third, idp))).resolves.toBe('_r1');
    expect(windowWaits).toEqual([1_500]);
    // Node B takes the newest keys from the store: no download of its own.
    const before = idpServer.requests.length;
    await expect(b.withRollover((idp) => login(third, idp))).resolves.toBe('_r1');
    expect(idpServer.requests).toHaveLength(before);
  });

  it('a window that reopens beyond rolloverWaitMs is not waited for: the login fails at once', async () => {
    idpServer.body = metadataFor(certs[0]!);
    const { s, c, events, windowWaits } = windowClockSource({ rolloverWaitMs: 1_000 });
    await s.get();
    const start = c.t;
    await firstRotation(s, c, start);
    // 3.5 s later the window is 1.5 s away: more than the 1 s this SP lets a login wait.
    const third = await secondRotation(c, start + 13_500);
    await expect(s.withRollover((idp) => login(third, idp))).rejects.toMatchObject({
      code: 'SIGNATURE_INVALID',
    });
    expect(windowWaits).toEqual([]);
    expect(events.at(-1)).toMatchObject({ type: 'metadata-refresh-skipped', why: 'rate-limited' });
    expect(idpServer.requests).toHaveLength(2);
  });

  it('forged Responses cause at most one download per 5 s, and each check of unchanged metadata is a 304', async () => {
    idpServer.body = metadataFor(certs[0]!);
    idpServer.etag = '"v1"';
    const downloadsAt: number[] = [];
    const { s, c } = windowClockSource();
    await s.get();
    const forged = await signedBy(rogueCert); // no metadata will ever list this key
    const start = c.t;
    // 60 forged Responses, 500 ms apart, from 10 s on.
    for (let i = 0; i < 60; i++) {
      c.t = start + 10_000 + 500 * i;
      const before = idpServer.requests.length;
      await expect(s.withRollover((idp) => login(forged, idp))).rejects.toMatchObject({
        code: 'SIGNATURE_INVALID',
      });
      if (idpServer.requests.length > before) downloadsAt.push(c.t - start);
    }
    // Downloads at 10, 15, 20, 25, 30, 35 and 40 s (a forged Response less than rolloverWaitMs
    // before the window reopens waits for it): seven checks in 30 s, each a 304.
    expect(downloadsAt).toEqual([10_000, 15_000, 20_000, 25_000, 30_000, 35_000, 40_000]);
    expect(idpServer.requests).toHaveLength(8);
    expect(idpServer.full).toBe(1);
    expect(idpServer.notModified).toBe(7);
  });
});

describe('conditional requests', () => {
  for (const [name, validators, header, value] of [
    ['ETag', { etag: 'W/"abc-1"' }, 'if-none-match', 'W/"abc-1"'],
    [
      'Last-Modified',
      { lastModified: 'Sun, 31 May 2026 08:00:00 GMT' },
      'if-modified-since',
      'Sun, 31 May 2026 08:00:00 GMT',
    ],
  ] as const) {
    it(`a scheduled refresh sends the ${name} back; a 304 keeps the copy without parsing it again`, async () => {
      idpServer.body = metadataFor(certs[0]!);
      Object.assign(idpServer, validators);
      const { s, c, events } = source();
      const first = await s.get();
      expect(idpServer.requests[0]![header]).toBeUndefined();
      const fetchedAt = s.status().fetchedAt!;

      c.t += 7 * 3600_000;
      await s.get();
      await s.idle();
      expect(idpServer.requests[1]![header]).toBe(value);
      expect(idpServer.notModified).toBe(1);
      expect(await s.get()).toBe(first); // the same object: not parsed again
      expect(s.status()).toMatchObject({
        fetchedAt,
        checkedAt: c.t,
        nextRefreshAt: c.t + 6 * 3600_000,
      });
      expect(events.at(-1)).toEqual({
        type: 'metadata-not-modified',
        url: s.url,
        reason: 'scheduled',
        checkedAt: c.t,
        nextRefreshAt: c.t + 6 * 3600_000,
      });

      // The IdP publishes new metadata: a new validator, a full answer, adopted.
      idpServer.body = metadataFor(certs[1]!);
      if ('etag' in validators) idpServer.etag = 'W/"abc-2"';
      else idpServer.lastModified = 'Mon, 01 Jun 2026 08:00:00 GMT';
      c.t += 7 * 3600_000;
      await s.get();
      await s.idle();
      expect(idpServer.full).toBe(2);
      expect(events.at(-1)).toMatchObject({ type: 'metadata-updated', signingKeysChanged: true });
    });
  }

  it('a 304 to a request that was not conditional is a failure, not a document', async () => {
    idpServer.mode = 'not-modified-always';
    const { s, events } = source();
    await expect(s.get()).rejects.toMatchObject({
      code: 'METADATA_FETCH_FAILED',
      details: { found: 'HTTP 304 Not Modified to a request that was not conditional' },
    });
    expect(failures(events)).toHaveLength(1);
  });

  it('in a cluster, one node’s 304 moves every node’s schedule without a download', async () => {
    idpServer.body = metadataFor(certs[0]!);
    idpServer.etag = '"v1"';
    const c = clock();
    const store = new MemoryStore({ now: c.now });
    const url = `${base}/metadata/${++n}`;
    const a = createMetadataSource({ url, fetch, store, now: c.now });
    const b = createMetadataSource({ url, fetch, store, now: c.now });
    await a.get();
    const fromB = await b.get();
    expect(idpServer.requests).toHaveLength(1);

    c.t += 7 * 3600_000;
    await a.get();
    await a.idle();
    expect(idpServer.notModified).toBe(1);
    await b.get();
    await b.idle();
    expect(idpServer.requests).toHaveLength(2); // B took A's confirmation from the store
    expect(b.status().checkedAt).toBe(c.t);
    expect(await b.get()).toBe(fromB);
  });
});
