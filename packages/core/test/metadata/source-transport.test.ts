// What the metadata source fetches never leaves https: real https and http servers on 127.0.0.1,
// a certificate made for the test, and a fetch that trusts only that certificate.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createMetadataSource, isSamlError } from '@samlkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ByteCounter,
  listenHttps,
  makeSelfSigned,
  type SelfSigned,
  trustingFetch,
} from '../support/tls.js';
import { makeCert, okta, type TestCert } from './fixtures.js';

let tls: SelfSigned;
let cert: TestCert;
let https: HttpsServer;
let origin: string;
let plain: HttpServer;
let plainOrigin: string;
let plainHits = 0;
/** Bytes the https server managed to hand to the socket for the last streamed answer. */
let written = 0;
let streamDone: Promise<void> = Promise.resolve();

const CAP = 64 * 1024; // limits.maxSize; the byte cap is 3 × this
const HUGE = 64 * 1024 * 1024;

beforeAll(async () => {
  tls = makeSelfSigned();
  cert = await makeCert('idp-transport');
  const xml = okta(cert.b64);
  ({ server: https, origin } = await listenHttps(tls, (req, res) => {
    const path = req.url ?? '/';
    if (path === '/metadata') {
      res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' });
      res.end(xml);
    } else if (path === '/to-http') {
      res.writeHead(302, { location: `${plainOrigin}/metadata` });
      res.end();
    } else if (path.startsWith('/hop/')) {
      const left = Number(path.slice(5));
      res.writeHead(302, { location: left > 0 ? `/hop/${left - 1}` : '/metadata' });
      res.end();
    } else if (path === '/loop') {
      res.writeHead(307, { location: '/loop' });
      res.end();
    } else if (path === '/chunked') {
      // 64 MiB, chunked (no Content-Length), written as fast as the client reads.
      res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' });
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      written = 0;
      streamDone = new Promise<void>((resolve) => {
        const pump = () => {
          while (written < HUGE) {
            written += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
          resolve();
        };
        res.on('close', () => resolve());
        pump();
      });
    } else if (path === '/declared') {
      // Announces 64 MiB and sends a first part, then nothing: reading it whole would hang.
      res.writeHead(200, {
        'content-type': 'application/samlmetadata+xml',
        'content-length': String(HUGE),
      });
      res.write(Buffer.alloc(1024, 0x20));
    } else {
      res.writeHead(404);
      res.end();
    }
  }));
  plain = createHttpServer((_req, res) => {
    plainHits++;
    res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' });
    res.end(xml);
  });
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  plainOrigin = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const s of [https, plain]) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

async function failure(url: string, extra: Record<string, unknown> = {}, counter?: ByteCounter) {
  const source = createMetadataSource({
    url,
    fetch: trustingFetch(tls, counter),
    limits: { maxSize: CAP },
    ...extra,
  });
  try {
    await source.get();
  } catch (err) {
    if (isSamlError(err)) return err;
    throw err;
  }
  throw new Error('the metadata was adopted');
}

describe('metadata source transport', () => {
  it('adopts metadata over https, through redirects within the hop limit', async () => {
    for (const path of ['/metadata', '/hop/4']) {
      const source = createMetadataSource({ url: `${origin}${path}`, fetch: trustingFetch(tls) });
      expect((await source.get()).entityId).toBe('http://www.okta.com/exk1abcdEFGH');
    }
  });

  it('refuses a redirect from https to http: the http server is never asked', async () => {
    plainHits = 0;
    const err = await failure(`${origin}/to-http`);
    expect(err.code).toBe('METADATA_FETCH_FAILED');
    expect(err.message).toMatch(/redirected to a URL that is not https/);
    expect(err.details.found).toContain(plainOrigin);
    expect(plainHits).toBe(0);
    // The development option (and only it) allows the downgrade.
    const source = createMetadataSource({
      url: `${origin}/to-http`,
      fetch: trustingFetch(tls),
      allowInsecureHttpForDevelopment: true,
    });
    expect((await source.get()).entityId).toBe('http://www.okta.com/exk1abcdEFGH');
    expect(plainHits).toBe(1);
  });

  it('gives up on a redirect loop and on chains longer than maxRedirects', async () => {
    const loop = await failure(`${origin}/loop`);
    expect(loop.code).toBe('METADATA_FETCH_FAILED');
    expect(loop.message).toMatch(/too many times/);
    const long = await failure(`${origin}/hop/3`, { maxRedirects: 3 });
    expect(long.code).toBe('METADATA_FETCH_FAILED');
    expect(long.details.expected).toBe('at most 3 redirects');
  });

  it('refuses a chunked 64 MiB body after reading just over the cap', async () => {
    const counter: ByteCounter = { read: 0 };
    const err = await failure(`${origin}/chunked`, {}, counter);
    expect(err.code).toBe('XML_TOO_LARGE');
    expect(err.details.found).toBe(`more than ${3 * CAP} bytes`);
    // samlkit read at most one network chunk past the cap, not the 64 MiB.
    expect(counter.read).toBeGreaterThan(3 * CAP);
    expect(counter.read).toBeLessThan(3 * CAP + 256 * 1024);
    await streamDone;
    // The server stopped when the client hung up: socket buffers, far from the whole body.
    expect(written).toBeLessThan(HUGE / 4);
  });

  it('refuses a Content-Length over the cap before reading the body', async () => {
    const counter: ByteCounter = { read: 0 };
    const err = await failure(`${origin}/declared`, {}, counter);
    expect(err.code).toBe('XML_TOO_LARGE');
    expect(err.details.found).toBe(`Content-Length ${HUGE}`);
    expect(counter.read).toBe(0);
  });

  it('refuses a configured plain-http URL to another host unless the development option is set', () => {
    const fetch = trustingFetch(tls);
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
  });
});
