// How the Node ⇄ Web bridge hands a request body over, over real sockets: a small body with a
// Content-Length is read whole before the handler runs (one array, no stream adapter); a large or
// chunked one is streamed, so samlkit's own cap applies while it reads and nothing is buffered
// past it. Either way the SAML form checks (oversize, repeated fields) answer as before.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { isSamlError } from '@samlkit/core';
import { createSamlHandlers } from '@samlkit/fetch';
import {
  fetchListener,
  readSamlRequest,
  readWebRequest,
  requestUrl,
  SMALL_BODY_BYTES,
} from '@samlkit/node-bridge';
import { createTestIdp, generateTestKeys } from '@samlkit/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { readBody } from '../../core/src/sp/http.js';

interface Seen {
  /** Whether Node had the whole body when the handler was called. */
  readonly complete: boolean;
  /** The body the handler read. */
  readonly body: string;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

/**
 * A server whose handler reports what it saw. `headersSeen` settles when Node has parsed a
 * request's head, before any of its body was sent (the client waits for it).
 */
async function start(): Promise<{
  port: number;
  headersSeen: () => Promise<void>;
  seen: () => Promise<Seen>;
}> {
  let current: IncomingMessage | undefined;
  let onHeaders: () => void = () => {};
  let onSeen: (s: Seen) => void = () => {};
  let headers = new Promise<void>((r) => (onHeaders = r));
  let seen = new Promise<Seen>((r) => (onSeen = r));
  const listener = fetchListener(async (request) => {
    const complete = current?.complete === true;
    const body = await request.text();
    onSeen({ complete, body });
    return new Response(`read ${body.length}`);
  });
  const server = createServer((req, res) => {
    current = req;
    listener(req, res);
    onHeaders();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    headersSeen: async () => {
      await headers;
      headers = new Promise<void>((r) => (onHeaders = r));
    },
    seen: async () => {
      const s = await seen;
      seen = new Promise<Seen>((r) => (onSeen = r));
      return s;
    },
  };
}

/** Sends a request head, waits until the server has parsed it, then sends `body`. */
async function post(
  server: Awaited<ReturnType<typeof start>>,
  framing: { length: number } | 'chunked',
  body: string,
): Promise<string> {
  const socket = connect(server.port, '127.0.0.1');
  let answer = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => (answer += d));
  const ended = new Promise<void>((resolve) => socket.on('end', resolve));
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const framingHeader =
    framing === 'chunked' ? 'transfer-encoding: chunked' : `content-length: ${framing.length}`;
  socket.write(
    `POST /x HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\ncontent-type: text/plain\r\n${framingHeader}\r\n\r\n`,
  );
  await server.headersSeen();
  socket.end(framing === 'chunked' ? `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n` : body);
  await ended;
  return answer;
}

describe('the request body through the Node bridge', () => {
  it('a body of at most SMALL_BODY_BYTES with a Content-Length is read whole before the handler runs', async () => {
    const server = await start();
    for (const body of ['', 'SAMLResponse=abc', 'x'.repeat(SMALL_BODY_BYTES)]) {
      const answer = post(server, { length: body.length }, body);
      expect(await server.seen()).toEqual({ complete: true, body });
      expect(await answer).toMatch(new RegExp(`^HTTP/1\\.1 200 [^]*read ${body.length}$`));
    }
  });

  it('a larger or chunked body is streamed: the handler runs before it has arrived', async () => {
    const server = await start();
    const large = 'y'.repeat(SMALL_BODY_BYTES + 1);
    const answer = post(server, { length: large.length }, large);
    expect(await server.seen()).toEqual({ complete: false, body: large });
    expect(await answer).toMatch(/^HTTP\/1\.1 200 /);
    const chunked = post(server, 'chunked', 'SAMLResponse=abc');
    expect(await server.seen()).toEqual({ complete: false, body: 'SAMLResponse=abc' });
    expect(await chunked).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('a connection lost before a small body ends reaches no handler', async () => {
    let called = false;
    let closed: () => void = () => {};
    const gone = new Promise<void>((r) => (closed = r));
    const listener = fetchListener(async () => {
      called = true;
      return new Response('no');
    });
    const server = createServer((req, res) => {
      req.once('close', () => setImmediate(closed));
      listener(req, res);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write('POST /x HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 10\r\n\r\nabc');
    socket.destroy();
    await gone;
    expect(called).toBe(false);
  });
});

describe('reading a small body of a request already gone', () => {
  it('refuses at once (BINDING_INVALID) instead of waiting for a body that will never come', async () => {
    let result: (r: unknown) => void = () => {};
    const outcome = new Promise<unknown>((r) => (result = r));
    const server = createServer((req) => {
      // An earlier middleware awaited something; meanwhile the client went away.
      req.once('close', () => {
        readWebRequest(req, 'http://127.0.0.1/x', { consumed: false }).then(
          () => result('read'),
          (e: unknown) => result(e),
        );
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write('POST /x HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 10\r\n\r\nabc');
    await new Promise((r) => setTimeout(r, 50));
    socket.destroy();
    const e = await outcome;
    expect(isSamlError(e) && e.code).toBe('BINDING_INVALID');
  });
});

describe('the ACS form through the bridge, small and streamed', () => {
  it('refuses a repeated SAMLResponse (small body) and an oversize form (streamed) as before', async () => {
    const idp = await createTestIdp();
    const keys = await generateTestKeys({ subject: 'bridge sp' });
    const base = 'https://app.test';
    const saml = createSamlHandlers({
      sp: {
        entityId: `${base}/saml/metadata`,
        assertionConsumerServices: [{ binding: 'post', location: `${base}/saml/acs` }],
        signingKeys: [{ privateKey: keys.privateKey, certificate: keys.certificatePem }],
      },
      idps: idp.config,
      baseUrl: base,
      logger: { warn() {}, error() {} },
    });
    const server = createServer(fetchListener((request) => saml.fetch(request)));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/saml/acs`;
    const postForm = async (body: string | ReadableStream<Uint8Array>) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body,
        ...(typeof body === 'string' ? {} : { duplex: 'half' }),
      } as RequestInit);
      return {
        status: response.status,
        code: ((await response.json()) as { error: { code: string } }).error.code,
      };
    };
    expect(
      await postForm('SAMLResponse=PHg%2BPC94Pg%3D%3D&SAMLResponse=PHg%2BPC94Pg%3D%3D'),
    ).toEqual({
      status: 400,
      code: 'BINDING_INVALID',
    });
    // 3 MiB with a Content-Length: refused from the declared length, before any byte is read.
    expect(await postForm(`SAMLResponse=${'A'.repeat(3 * 1024 * 1024)}`)).toEqual({
      status: 400,
      code: 'XML_TOO_LARGE',
    });
    // 3 MiB chunked (no length to go by): refused by samlkit's cap while it streams.
    const chunk = new TextEncoder().encode('A'.repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('SAMLResponse='));
        if (sent++ < 48) controller.enqueue(chunk);
        else controller.close();
      },
    });
    expect(await postForm(stream)).toEqual({ status: 400, code: 'XML_TOO_LARGE' });
  });
});

describe('the request body of a SAML endpoint through the Node adapters (readSamlRequest)', () => {
  /** A server handing each request to samlkit's body reader as the adapters do. */
  async function samlServer(): Promise<{
    port: number;
    seen: () => Promise<Seen & { own: boolean }>;
  }> {
    let onSeen: (s: Seen & { own: boolean }) => void = () => {};
    let seen = new Promise<Seen & { own: boolean }>((r) => (onSeen = r));
    const server = createServer((req, res) => {
      void readSamlRequest(req, requestUrl(req), { consumed: false }).then(async (request) => {
        const own = request.body !== null;
        onSeen({ complete: req.complete, body: await readBody(request), own });
        res.end('ok');
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      port: (server.address() as AddressInfo).port,
      seen: async () => {
        const s = await seen;
        seen = new Promise((r) => (onSeen = r));
        return s;
      },
    };
  }

  it('hands a small body to samlkit as bytes (the Request has none), a large one as a stream', async () => {
    const server = await samlServer();
    const send = (body: string) =>
      fetch(`http://127.0.0.1:${server.port}/saml/acs`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
    const small = 'SAMLResponse=abc&RelayState=%C3%A9';
    await send(small);
    expect(await server.seen()).toEqual({ complete: true, body: small, own: false });
    const large = 'z'.repeat(SMALL_BODY_BYTES + 1);
    await send(large);
    expect(await server.seen()).toMatchObject({ body: large, own: true });
  });
});
