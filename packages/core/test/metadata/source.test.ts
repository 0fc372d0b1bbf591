import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createMetadataSource,
  type IdpMetadata,
  loadPrivateKey,
  loadPublicKey,
  MemoryStore,
  type MetadataEvent,
  SamlError,
  signXml,
} from '@samlkit/core';
import { verifyElementSignature } from '@samlkit/core/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { equalBytes } from '../../src/lib/bytes.js';
import { parseXml } from '../../src/lib/xml.js';
import { defaultSleep } from '../../src/metadata/refresher.js';
import { makeCert, okta, type TestCert } from './fixtures.js';

// A local metadata server: serves whatever `served` holds and counts requests.
const served = { status: 200, body: '' };
let hits = 0;
let server: Server;
let base: string;

let oldCert: TestCert;
let newCert: TestCert;
let pinCert: TestCert;

beforeAll(async () => {
  [oldCert, newCert, pinCert] = await Promise.all([
    makeCert('idp-2025'),
    makeCert('idp-2026'),
    makeCert('federation-signer'),
  ]);
  server = createServer((_req, res) => {
    hits++;
    res.writeHead(served.status, { 'content-type': 'application/samlmetadata+xml' });
    res.end(served.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const metadataFor = (cert: TestCert, attrs = '') =>
  okta(cert.b64).replace('<md:EntityDescriptor ', `<md:EntityDescriptor ${attrs} `);

/** A message signed by the IdP with `cert`, and a verifier as a Response validator would run it. */
async function signedMessage(cert: TestCert): Promise<string> {
  return signXml(
    '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r1" Version="2.0" IssueInstant="2026-06-01T00:00:00Z"/>',
    { key: loadPrivateKey(cert.keyPem) },
  );
}
async function verifyWith(xml: string, idp: IdpMetadata): Promise<string> {
  const root = parseXml(xml).documentElement;
  const v = await verifyElementSignature(root, { keys: idp.signingKeys });
  if (!v) throw new Error('unsigned');
  return v.element.getAttribute('ID')!;
}

function clock(start = Date.parse('2026-06-01T00:00:00Z')) {
  const c = { t: start, now: () => c.t };
  return c;
}

let n = 0;
const freshUrl = () => `${base}/metadata/${++n}`;

describe('metadata source', () => {
  it('rollover: a response signed with a new certificate triggers one refresh, then verifies', async () => {
    served.status = 200;
    served.body = metadataFor(oldCert);
    const events: MetadataEvent[] = [];
    const c = clock();
    const source = createMetadataSource({
      url: freshUrl(),
      fetch,
      now: c.now,
      onEvent: (e) => events.push(e),
    });
    hits = 0;
    const first = await source.get();
    expect(hits).toBe(1);
    expect(first.signingKeys.some((k) => equalBytes(k.spki, loadPublicKey(oldCert.pem).spki))).toBe(
      true,
    );

    // The IdP rolls its certificate and publishes new metadata.
    served.body = metadataFor(newCert);
    const message = await signedMessage(newCert);
    // Without the refresh the cached metadata refuses it.
    await expect(verifyWith(message, first)).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });

    c.t += 120_000; // past the rate limit window of the initial download
    let calls = 0;
    const id = await source.withRollover(async (idp) => {
      calls++;
      return verifyWith(message, idp);
    });
    expect(id).toBe('_r1');
    expect(calls).toBe(2);
    expect(hits).toBe(2);
    const updated = events.filter((e) => e.type === 'metadata-updated');
    expect(updated.at(-1)).toMatchObject({
      reason: 'signature',
      signingKeysChanged: true,
      source: 'fetch',
    });
  });

  it('rollover refresh is rate-limited: forged responses cannot make it hammer the IdP', async () => {
    served.status = 200;
    served.body = metadataFor(oldCert);
    const c = clock();
    const source = createMetadataSource({
      url: freshUrl(),
      fetch,
      now: c.now,
      // A wait for the rate limit's window passes on the test's clock; a login's bounded wait
      // (the one with a signal) is real time.
      sleep: (ms, signal) => {
        if (signal) return defaultSleep(ms, signal);
        c.t += ms;
        return Promise.resolve();
      },
    });
    hits = 0;
    await source.get();
    c.t += 120_000;
    const start = c.t;
    const forged = await signedMessage(newCert); // no metadata will ever list this key
    for (let i = 0; i < 5; i++) {
      c.t = start + 1000 * i;
      await expect(source.withRollover((idp) => verifyWith(forged, idp))).rejects.toMatchObject({
        code: 'SIGNATURE_INVALID',
      });
    }
    // The initial download, one refresh at 0 s and one at 5 s (the forged Response of 3 s waited
    // the 2 s for that window, rolloverWaitMs) — one per rateLimit (5 s), not one per Response.
    expect(hits).toBe(3);
  });

  it('does not refresh for errors other than an unverifiable signature', async () => {
    served.body = metadataFor(oldCert);
    const c = clock();
    const source = createMetadataSource({ url: freshUrl(), fetch, now: c.now });
    hits = 0;
    await source.get();
    c.t += 120_000;
    const err = new SamlError('AUDIENCE_MISMATCH', 'x');
    await expect(source.withRollover(() => Promise.reject(err))).rejects.toBe(err);
    expect(hits).toBe(1);
  });

  it('a broken metadata server leaves the last good metadata in force, and reports it', async () => {
    served.status = 200;
    served.body = metadataFor(oldCert, 'cacheDuration="PT1H"');
    const events: MetadataEvent[] = [];
    const c = clock();
    const source = createMetadataSource({
      url: freshUrl(),
      fetch,
      now: c.now,
      onEvent: (e) => events.push(e),
    });
    const good = await source.get();

    for (const [status, body] of [
      [500, 'oops'],
      [200, '<html><body>Sign in</body></html>'],
      [200, 'not xml at all <'],
      [200, metadataFor(newCert).replace('use="signing"', 'use="encryption"')],
    ] as const) {
      served.status = status;
      served.body = body;
      c.t += 2 * 3600_000; // the scheduled refresh is due
      hits = 0;
      const idp = await source.get(); // served at once; the refresh runs in the background
      await source.idle();
      expect(hits).toBe(1);
      expect(idp).toBe(good);
      const failed = events.at(-1);
      expect(failed?.type).toBe('metadata-refresh-failed');
      expect(source.status().lastError).toBeInstanceOf(SamlError);
    }
    const codes = events
      .filter((e) => e.type === 'metadata-refresh-failed')
      .map((e) => (e as { error: SamlError }).error.code);
    expect(codes).toEqual([
      'METADATA_FETCH_FAILED',
      'METADATA_INVALID',
      'XML_PARSE_ERROR',
      'METADATA_INVALID',
    ]);

    // Once the IdP is back, the next due refresh adopts it and clears the error.
    served.status = 200;
    served.body = metadataFor(newCert);
    c.t += 3600_000;
    await source.get();
    await source.idle();
    const back = await source.get();
    expect(back).not.toBe(good);
    expect(source.status().lastError).toBeUndefined();
  });

  it('an unreachable server with nothing cached is METADATA_FETCH_FAILED', async () => {
    const source = createMetadataSource({
      url: 'http://127.0.0.1:9/metadata',
      fetch,
      now: clock().now,
    });
    await expect(source.get()).rejects.toMatchObject({ code: 'METADATA_FETCH_FAILED' });
  });

  it('metadata past its validUntil is not used even when the refresh fails', async () => {
    served.status = 200;
    served.body = metadataFor(oldCert, 'validUntil="2026-06-02T00:00:00Z"');
    const c = clock();
    const source = createMetadataSource({ url: freshUrl(), fetch, now: c.now });
    const idp = await source.get();
    expect(idp.validUntil).toBe(Date.parse('2026-06-02T00:00:00Z'));
    // It refreshes at half of the remaining validity at the latest.
    expect(source.status().nextRefreshAt).toBeLessThanOrEqual(c.t + 12 * 3600_000);
    served.status = 503;
    c.t = Date.parse('2026-06-02T00:00:01Z');
    await expect(source.get()).rejects.toMatchObject({ code: 'METADATA_EXPIRED' });
  });

  it('follows cacheDuration within the configured bounds', async () => {
    served.status = 200;
    served.body = metadataFor(oldCert, 'cacheDuration="PT1H"');
    const c = clock();
    const source = createMetadataSource({ url: freshUrl(), fetch, now: c.now });
    hits = 0;
    await source.get();
    c.t += 59 * 60_000;
    await source.get();
    expect(hits).toBe(1);
    c.t += 2 * 60_000;
    await source.get();
    await source.idle();
    expect(hits).toBe(2);

    // A tiny cacheDuration is clamped to minInterval.
    served.body = metadataFor(oldCert, 'cacheDuration="PT1S"');
    const c2 = clock();
    const s2 = createMetadataSource({
      url: freshUrl(),
      fetch,
      now: c2.now,
      refresh: { minInterval: 10 * 60_000 },
    });
    hits = 0;
    await s2.get();
    c2.t += 9 * 60_000;
    await s2.get();
    expect(hits).toBe(1);
  });

  it('pins the first entityID: metadata naming another entity is refused', async () => {
    served.status = 200;
    served.body = metadataFor(oldCert, 'cacheDuration="PT1H"');
    const c = clock();
    const source = createMetadataSource({ url: freshUrl(), fetch, now: c.now });
    await source.get();
    served.body = metadataFor(newCert, 'cacheDuration="PT1H"').replace(
      'entityID="http://www.okta.com/exk1abcdEFGH"',
      'entityID="https://evil.example/idp"',
    );
    c.t += 2 * 3600_000;
    await source.get();
    await source.idle();
    const idp = await source.get();
    expect(idp.entityId).toBe('http://www.okta.com/exk1abcdEFGH');
    expect(source.status().lastError?.code).toBe('METADATA_ENTITY_NOT_FOUND');
  });

  it('refuses plain-http metadata URLs to other hosts unless signed or explicitly allowed', () => {
    expect(() => createMetadataSource({ url: 'http://idp.example/metadata', fetch })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    expect(() =>
      createMetadataSource({
        url: 'http://idp.example/metadata',
        fetch,
        allowInsecureHttpForDevelopment: true,
      }),
    ).not.toThrow();
    expect(() =>
      createMetadataSource({
        url: 'http://idp.example/metadata',
        fetch,
        verify: { keys: [loadPublicKey(pinCert.pem)] },
      }),
    ).not.toThrow();
  });

  it('emits an expiry warning with the days remaining', async () => {
    const soon = await makeCert('idp-expiring', 12, new Date('2026-05-31T00:00:00Z'));
    served.status = 200;
    served.body = metadataFor(soon);
    const events: MetadataEvent[] = [];
    const source = createMetadataSource({
      url: freshUrl(),
      fetch,
      now: clock().now,
      onEvent: (e) => events.push(e),
    });
    await source.get();
    const w = events.find((e) => e.type === 'expiry-warning');
    expect(w).toMatchObject({ warning: { kind: 'certificate', owner: 'idp', daysRemaining: 11 } });
    expect((w as { warning: { message: string } }).warning.message).toContain('expires in 11 days');
  });
});

describe('metadata source in a cluster (shared store)', () => {
  it('20 nodes refresh once: one download, the others take it from the store', async () => {
    served.status = 200;
    served.body = metadataFor(oldCert);
    const c = clock();
    const memory = new MemoryStore({ now: c.now });
    let written!: () => void;
    const writtenOnce = new Promise<void>((r) => {
      written = r;
    });
    const store = {
      getValue: (k: string) => memory.getValue(k),
      rememberOnce: (k: string, e: number) => memory.rememberOnce(k, e),
      setValue: async (k: string, v: string, e: number) => {
        await memory.setValue(k, v, e);
        written();
      },
    };
    const url = freshUrl();
    const nodes = Array.from({ length: 20 }, () =>
      createMetadataSource({ url, fetch, store, now: c.now, sleep: () => writtenOnce }),
    );
    hits = 0;
    const results = await Promise.all(nodes.map((s) => s.get()));
    expect(hits).toBe(1);
    for (const r of results) expect(r.entityId).toBe('http://www.okta.com/exk1abcdEFGH');
    expect(nodes.filter((s) => s.status().fetchedAt !== undefined)).toHaveLength(20);
  });

  it('a node adopts the copy another node stored, without downloading', async () => {
    served.status = 200;
    served.body = metadataFor(oldCert, 'cacheDuration="PT1H"');
    const c = clock();
    const store = new MemoryStore({ now: c.now });
    const url = freshUrl();
    const a = createMetadataSource({ url, fetch, store, now: c.now });
    const b = createMetadataSource({ url, fetch, store, now: c.now });
    hits = 0;
    await a.get();
    await b.get();
    expect(hits).toBe(1);

    // A rollover seen on node B: B refreshes and stores; node A then adopts B's copy for its
    // own failing response without a second download.
    served.body = metadataFor(newCert, 'cacheDuration="PT1H"');
    const message = await signedMessage(newCert);
    c.t += 120_000;
    await expect(b.withRollover((idp) => verifyWith(message, idp))).resolves.toBe('_r1');
    expect(hits).toBe(2);
    await expect(a.withRollover((idp) => verifyWith(message, idp))).resolves.toBe('_r1');
    expect(hits).toBe(2);
  });

  it('a new signing certificate is adopted only from metadata that verifies against the pin', async () => {
    const pin = { keys: [loadPublicKey(pinCert.pem)] };
    const signedDoc = async (cert: TestCert) =>
      signXml(metadataFor(cert, 'ID="_md"').replace(/^<\?xml[^>]*>/, ''), {
        key: loadPrivateKey(pinCert.keyPem),
      });
    served.status = 200;
    served.body = await signedDoc(oldCert);
    const c = clock();
    const store = new MemoryStore({ now: c.now });
    const url = freshUrl();
    const events: MetadataEvent[] = [];
    const node = createMetadataSource({
      url,
      fetch,
      store,
      now: c.now,
      verify: pin,
      onEvent: (e) => events.push(e),
    });
    await node.get();

    // An attacker with write access to the shared store plants unsigned metadata with its key.
    await store.setValue(
      `metadata:${url}`,
      JSON.stringify({ xml: metadataFor(newCert), fetchedAt: c.t + 1 }),
      c.t + 86_400_000,
    );
    // ...and the IdP endpoint serves the same unsigned document.
    served.body = metadataFor(newCert);
    const forged = await signedMessage(newCert);
    c.t += 120_000;
    await expect(node.withRollover((idp) => verifyWith(forged, idp))).rejects.toMatchObject({
      code: 'SIGNATURE_INVALID',
    });
    const idp = await node.get();
    expect(idp.signingKeys.some((k) => equalBytes(k.spki, loadPublicKey(newCert.pem).spki))).toBe(
      false,
    );
    const codes = events
      .filter((e) => e.type === 'metadata-refresh-failed')
      .map((e) => {
        const err = (e as { error: SamlError }).error;
        return `${err.code}/${err.details.signatureCode}`;
      });
    // Neither the planted store copy nor the unsigned download is adopted.
    expect(codes).toEqual([
      'METADATA_INVALID/SIGNATURE_MISSING',
      'METADATA_INVALID/SIGNATURE_MISSING',
    ]);
  });

  it('a store that is down does not stop logins: the node fetches for itself', async () => {
    served.status = 200;
    served.body = metadataFor(oldCert);
    const down = () => Promise.reject(new SamlError('STORE_UNAVAILABLE', 'down'));
    const events: MetadataEvent[] = [];
    const node = createMetadataSource({
      url: freshUrl(),
      fetch,
      store: { getValue: down, setValue: down, rememberOnce: down },
      now: clock().now,
      onEvent: (e) => events.push(e),
    });
    await expect(node.get()).resolves.toMatchObject({
      entityId: 'http://www.okta.com/exk1abcdEFGH',
    });
    expect(events.filter((e) => e.type === 'store-error').length).toBeGreaterThan(0);
  });
});
